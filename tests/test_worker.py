"""player.worker.KeepAliveWorker under a real gunicorn, started with the
README's production command line: answers on kept-alive and pipelined
connections, fairness to other connections while a thread waits on an idle
one, and prompt stops."""

from __future__ import annotations

import os
import random
import re
import shlex
import signal
import socket
import subprocess
import time
import wave
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.gunicorn_support import REPO, gunicorn_process

README = (REPO / "README.md").read_text(encoding="utf-8")
# Ranges of this size come back to back from a player filling its buffer.
RANGE = 64 * 1024


def production_command() -> tuple[dict[str, str], list[str]]:
    """The environment and arguments of the README's gunicorn command line."""
    block = re.search(r"## Production\n.*?```\n(.*?)\n```", README, re.S).group(1)
    words = shlex.split(block.replace("\\\n", " "))
    env = dict(word.split("=", 1) for word in words if re.fullmatch(r"[A-Z_]+=\S*", word))
    argv = [word for word in words if not re.fullmatch(r"[A-Z_]+=\S*", word)]
    assert argv[0] == "gunicorn"
    return env, argv[1:]


def with_option(options: list[str], names: tuple[str, ...], value: str) -> list[str]:
    """``options`` with the option called one of ``names`` set to ``value``."""
    return [*without_option(options, names), names[0], value]


def without_option(argv: list[str], names: tuple[str, ...]) -> list[str]:
    """``argv`` without the option called one of ``names`` and its value."""
    for index, word in enumerate(argv):
        if word in names:
            return [*argv[:index], *argv[index + 2:]]
    return list(argv)


@pytest.fixture(scope="module")
def library(tmp_path_factory) -> Path:
    """A media folder holding one WAV of noise, so every range differs."""
    folder = tmp_path_factory.mktemp("worker-library")
    with wave.open(str(folder / "noise.wav"), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(48_000)
        out.writeframes(random.Random(7).randbytes(4 * 48_000 * 6))
    return folder


@contextmanager
def production_server(library: Path, state: Path, **overrides: str
                      ) -> Iterator[tuple[subprocess.Popen, tuple[str, int]]]:
    """The README's production command, bound to a free loopback port and
    serving ``library``; ``overrides`` maps long option names to values."""
    readme_env, argv = production_command()
    *options, app = without_option(argv, ("-b", "--bind"))
    for name, value in overrides.items():
        options = with_option(options, (f"--{name.replace('_', '-')}",), value)
    env = {
        **os.environ,
        **readme_env,
        "PLAYER_MEDIA_DIR": str(library),
        "PLAYER_DATABASE": str(state / "player.sqlite"),
        "PLAYER_SECRET_KEY": "worker-test-secret",
        "PLAYER_PUBLIC_URL": "http://127.0.0.1",
        "PLAYER_PROXY_FIX": "0",
    }
    log = state / "gunicorn.log"
    with gunicorn_process(options, env, log, app) as (process, address):
        yield process, address
    text = log.read_text()
    assert "Traceback" not in text and "[ERROR]" not in text, text


class Connection:
    """One HTTP/1.1 connection, read and written by hand so that requests can
    be kept alive, pipelined or left idle exactly as a test needs."""

    def __init__(self, address: tuple[str, int]) -> None:
        self.sock = socket.create_connection(address, timeout=60)
        self.rfile = self.sock.makefile("rb")

    def send(self, *paths_and_ranges: tuple[str, str | None]) -> None:
        """Send one request for each (path, range), in a single write."""
        data = b""
        for path, byte_range in paths_and_ranges:
            fields = f"Range: bytes={byte_range}\r\n" if byte_range else ""
            data += f"GET {path} HTTP/1.1\r\nHost: test\r\n{fields}\r\n".encode()
        self.sock.sendall(data)

    def receive(self) -> tuple[int, dict[str, str], bytes]:
        status_line = self.rfile.readline()
        assert status_line.startswith(b"HTTP/1.1 "), status_line
        fields = {}
        while (line := self.rfile.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            fields[name.strip().lower()] = value.strip()
        body = self.rfile.read(int(fields.get("content-length", 0)))
        return int(status_line.split()[1]), fields, body

    def get(self, path: str, byte_range: str | None = None) -> tuple[int, dict[str, str], bytes]:
        self.send((path, byte_range))
        return self.receive()

    def close(self) -> None:
        self.rfile.close()
        self.sock.close()


@contextmanager
def connection(address: tuple[str, int]) -> Iterator[Connection]:
    conn = Connection(address)
    try:
        yield conn
    finally:
        conn.close()


def media_path(address: tuple[str, int]) -> str:
    with connection(address) as conn:
        status, _, body = conn.get("/api/media/noise")
    assert status == 200
    url = re.search(rb'"url": ?"([^"]+\.wav)"', body).group(1).decode()
    return "/" + url.split("/", 3)[3] if "://" in url else url


def test_readme_production_command_uses_the_keep_alive_worker():
    _, argv = production_command()
    assert "player.worker.KeepAliveWorker" in argv
    assert "--preload" in argv


def test_ranges_back_to_back_on_one_connection(library, tmp_path):
    data = (library / "noise.wav").read_bytes()
    starts = random.Random(1).sample(range(len(data) - RANGE), 200)
    with production_server(library, tmp_path) as (_, address):
        path = media_path(address)
        with connection(address) as conn:
            for start in starts:
                status, fields, body = conn.get(path, f"{start}-{start + RANGE - 1}")
                assert status == 206
                assert fields["content-range"] == (
                    f"bytes {start}-{start + RANGE - 1}/{len(data)}")
                assert body == data[start:start + RANGE]


def test_pipelined_requests_are_answered_in_order(library, tmp_path):
    data = (library / "noise.wav").read_bytes()
    ranges = [(0, 9), (len(data) - 100, len(data) - 1), (5000, 70_535)]
    with production_server(library, tmp_path) as (_, address):
        path = media_path(address)
        with connection(address) as conn:
            conn.send(*[(path, f"{first}-{last}") for first, last in ranges])
            for first, last in ranges:
                status, _, body = conn.receive()
                assert (status, body) == (206, data[first:last + 1])
            # The connection is still good after the pipelined run.
            assert conn.get("/api/media/noise")[0] == 200


def test_a_connection_idle_past_the_linger_is_still_served(library, tmp_path):
    with production_server(library, tmp_path, workers="1", threads="1") as (_, address):
        path = media_path(address)
        with connection(address) as idle:
            assert idle.get(path, "0-99")[0] == 206
            # Past the worker's linger the connection is the poller's again...
            time.sleep(0.5)
            # ... so the only thread serves another connection meanwhile,
            with connection(address) as other:
                assert other.get(path, "100-199")[0] == 206
            # and the idle one's next request is answered from the poller.
            assert idle.get(path, "200-299")[0] == 206


def test_waiting_connections_are_not_held_up_by_an_idle_one(library, tmp_path):
    """With one thread that would wait 30 s on an idle connection, another
    connection's request is answered at once: the thread gives the idle
    connection back as soon as work is queued."""
    overrides = {"workers": "1", "threads": "1", "keep_alive": "60",
                 "worker_class": "tests.linger_workers.PatientWorker"}
    with production_server(library, tmp_path, **overrides) as (_, address):
        path = media_path(address)
        with connection(address) as idle:
            assert idle.get(path, "0-99")[0] == 206
            # The only thread now waits on the idle connection; another
            # connection arrives.
            started = time.monotonic()
            with connection(address) as other:
                assert other.get(path, "100-199")[0] == 206
            assert time.monotonic() - started < 10
            # The idle connection was handed back, not dropped.
            started = time.monotonic()
            assert idle.get(path, "200-299")[0] == 206
            assert time.monotonic() - started < 10


def test_stopping_does_not_wait_for_the_linger(library, tmp_path):
    """SIGTERM while a thread waits on an idle connection: the worker stops in
    seconds, not after the 30 s linger or the 60 s graceful timeout."""
    overrides = {"workers": "1", "keep_alive": "60", "graceful_timeout": "60",
                 "worker_class": "tests.linger_workers.PatientWorker"}
    with production_server(library, tmp_path, **overrides) as (process, address):
        path = media_path(address)
        with connection(address) as idle:
            assert idle.get(path, "0-99")[0] == 206
            started = time.monotonic()
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=20)
            assert time.monotonic() - started < 15
            # The kept-alive connection is closed, not left hanging.
            assert idle.sock.recv(1) == b""


def test_a_client_that_hangs_up_while_waited_on(library, tmp_path):
    with production_server(library, tmp_path, workers="1", threads="1") as (_, address):
        path = media_path(address)
        with connection(address) as leaving:
            assert leaving.get(path, "0-99")[0] == 206
        with connection(address) as conn:
            assert conn.get(path, "0-99")[0] == 206


def test_an_unread_request_body_does_not_spoil_the_next_request(library, tmp_path):
    with production_server(library, tmp_path) as (_, address):
        path = media_path(address)
        with connection(address) as conn:
            body = b"x" * 5000
            conn.sock.sendall(b"POST /api/media/noise HTTP/1.1\r\nHost: test\r\n"
                              b"Content-Type: text/plain\r\n"
                              + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
            status, _, _ = conn.receive()
            assert status == 405
            assert conn.get(path, "0-9")[0] == 206
