"""Uploads through a real gunicorn: a server killed mid-upload, a worker
killed mid-upload under the README's ``--preload`` (its master lives on), a
client that goes away or stalls, and a 1 GiB upload whose server memory must
stay flat."""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from player import create_app
from tests.gunicorn_support import REPO, STARTUP_TIMEOUT, wait_until_serving
from tests.mediagen import make_media
from tests.publish_support import (
    bearer,
    create_publisher,
    folder_state,
    sparse_wav,
    temp_files,
)

WAIT_TIMEOUT = 60
BOUNDARY = "----upload-test-boundary"
MEMORY_LIMIT = 150 * 1024 * 1024


class Gunicorn:
    """A gunicorn master with one production worker (player.worker), serving
    the app on a free port."""

    def __init__(self, env: dict[str, str], log: Path, options: tuple[str, ...] = (),
                 workers: int = 1) -> None:
        self.log = log
        # A server started again after a kill writes on after the first one.
        offset = log.stat().st_size if log.exists() else 0
        with open(log, "ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "--bind", "127.0.0.1:0", "--workers",
                 str(workers), "--no-control-socket", "--worker-class",
                 "player.worker.KeepAliveWorker", "--threads", "2", "--timeout", "120",
                 *options, "player:create_app()"],
                cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
        self.address = wait_until_serving(self.process, log, offset)

    def request(self, method: str, path: str, headers=None, body=None):
        connection = http.client.HTTPConnection(*self.address, timeout=300)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def worker_pids(self) -> list[int]:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            found = []
            for entry in os.listdir("/proc"):
                if not entry.isdigit():
                    continue
                try:
                    stat = Path(f"/proc/{entry}/stat").read_text()
                except OSError:
                    continue
                # The parent pid is the second field after the parenthesised name.
                if int(stat.rsplit(")", 1)[1].split()[1]) == self.process.pid:
                    found.append(int(entry))
            if found:
                return sorted(found)
            time.sleep(0.1)
        pytest.fail("gunicorn has no worker")

    def worker_pid(self) -> int:
        return self.worker_pids()[0]

    def kill(self) -> None:
        """SIGKILL the worker and the master: nothing gets to clean up."""
        os.kill(self.worker_pid(), signal.SIGKILL)
        self.process.kill()
        self.process.wait()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def server_env(media_dir, tmp_path) -> dict[str, str]:
    return {
        **os.environ,
        "PLAYER_MEDIA_DIR": str(media_dir),
        "PLAYER_DATABASE": str(tmp_path / "server.sqlite"),
        "PLAYER_SECRET_KEY": "gunicorn-upload-test",
    }


@pytest.fixture
def token(server_env, tmp_path) -> str:
    app = create_app({"TESTING": True, "MEDIA_DIR": server_env["PLAYER_MEDIA_DIR"],
                      "DATABASE": server_env["PLAYER_DATABASE"], "SECRET_KEY": "x"})
    return create_publisher(app)


@pytest.fixture
def gunicorn(server_env, tmp_path) -> Iterator[Gunicorn]:
    servers: list[Gunicorn] = []

    def start(options: tuple[str, ...] = (), workers: int = 1,
              **env: str) -> Gunicorn:
        servers.append(Gunicorn({**server_env, **env}, tmp_path / "gunicorn.log", options,
                                workers))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


def file_part_header(filename: str) -> bytes:
    return (
        f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nHalf\r\n"
        f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\";"
        f" filename=\"{filename}\"\r\n"
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()


def start_chunked_upload(address, token: str, media: bytes) -> socket.socket:
    """Send the headers and the first 2 MiB of a chunked upload, then stop."""
    sock = socket.create_connection(address)
    sock.sendall(
        f"POST /api/media HTTP/1.1\r\nHost: {address[0]}\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
        "Transfer-Encoding: chunked\r\n\r\n".encode())

    def chunk(data: bytes) -> None:
        sock.sendall(b"%x\r\n" % len(data) + data + b"\r\n")

    chunk(file_part_header("half.mp4"))
    chunk(media)
    for _ in range(32):
        chunk(b"\0" * 65536)
    return sock


def wait_for(predicate, what: str):
    deadline = time.monotonic() + WAIT_TIMEOUT
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"gave up waiting for {what}")


def partial_upload(media_dir: Path) -> list[Path]:
    return [p for p in (media_dir / ".uploads").glob("upload-*") if p.stat().st_size > 1024**2]


def library_listing(server: Gunicorn) -> list:
    """The API's items, with the server's origin (its port changes on restart) left out."""
    status, body = server.request("GET", "/api/media")
    assert status == 200
    return json.loads(re.sub(rb"http://127\.0\.0\.1:\d+", b"", body))["items"]


def test_killed_mid_upload_leaves_the_library_unchanged(
        gunicorn, token, media_dir, media_cache):
    server = gunicorn()
    items_before = library_listing(server)
    files_before = folder_state(media_dir)
    sock = start_chunked_upload(server.address, token,
                                make_media("mp4", media_cache).read_bytes())
    try:
        [partial] = wait_for(lambda: partial_upload(media_dir), "the upload to reach the disk")
        server.kill()
    finally:
        sock.close()
    # The killed worker's half-written file is still there...
    assert partial.exists()

    restarted = gunicorn()
    # ...until the next start removes it; the library never saw it.
    assert temp_files(media_dir) == []
    assert library_listing(restarted) == items_before
    assert folder_state(media_dir) == files_before


def uploading_worker(server: Gunicorn) -> int:
    """The worker whose thread holds the partial upload (it has it open)."""
    def holder() -> int | None:
        for pid in server.worker_pids():
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                try:
                    if "/.uploads/upload-" in os.readlink(fd):
                        return pid
                except OSError:
                    continue
        return None

    return wait_for(holder, "a worker holding the upload")


@pytest.mark.parametrize("workers", [1, 2])
def test_a_killed_worker_leaves_nothing_once_its_master_sweeps_again(
        gunicorn, token, media_dir, media_cache, workers):
    """Under --preload (the README's command) the master builds the app once
    and forks each new worker from it: nothing starts again after a worker
    is killed, yet its partial upload goes at the next sweep."""
    server = gunicorn(("--preload",), workers, PLAYER_UPLOAD_SWEEP_SECONDS="1")
    items_before = library_listing(server)
    files_before = folder_state(media_dir)
    sock = start_chunked_upload(server.address, token,
                                make_media("mp4", media_cache).read_bytes())
    try:
        [partial] = wait_for(lambda: partial_upload(media_dir), "the upload to reach the disk")
        os.kill(uploading_worker(server), signal.SIGKILL)
    finally:
        sock.close()
    assert partial.exists()

    def swept() -> bool:
        # Requests keep coming, as on a live site; each may start a sweep.
        server.request("GET", "/publish/login")
        return temp_files(media_dir) == []

    wait_for(swept, "a sweep to remove the killed worker's upload")
    assert server.process.poll() is None, "the master was never restarted"
    assert library_listing(server) == items_before
    assert folder_state(media_dir) == files_before


def test_a_stalled_upload_goes_once_idle_past_the_longest_upload(
        gunicorn, token, media_dir, media_cache):
    """A client that stops sending but keeps its connection open holds a
    thread and its staged file; the file goes once idle for longer than an
    upload may take (set to 2 s here), and the library never sees it."""
    server = gunicorn(("--preload",), PLAYER_UPLOAD_SWEEP_SECONDS="0.5",
                      PLAYER_UPLOAD_STALE_SECONDS="2")
    files_before = folder_state(media_dir)
    sock = start_chunked_upload(server.address, token,
                                make_media("mp4", media_cache).read_bytes())
    try:
        [partial] = wait_for(lambda: partial_upload(media_dir), "the upload to reach the disk")
        started = time.monotonic()

        def swept() -> bool:
            server.request("GET", "/api/media")
            return not partial.exists()

        wait_for(swept, "a sweep to remove the stalled upload")
        assert time.monotonic() - started > 1.5, "not before it was idle long enough"
    finally:
        sock.close()
    assert server.request("GET", "/api/media")[0] == 200
    assert temp_files(media_dir) == []
    assert folder_state(media_dir) == files_before


def test_a_client_that_goes_away_leaves_nothing(gunicorn, token, media_dir, media_cache):
    server = gunicorn()
    items_before = library_listing(server)
    files_before = folder_state(media_dir)
    sock = start_chunked_upload(server.address, token,
                                make_media("mp4", media_cache).read_bytes())
    wait_for(lambda: partial_upload(media_dir), "the upload to reach the disk")
    sock.close()
    wait_for(lambda: temp_files(media_dir) == [], "the worker to remove its temporary file")
    assert library_listing(server) == items_before
    assert folder_state(media_dir) == files_before


def memory_kib(pid: int, field: str) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(rf"^{field}:\s+(\d+) kB", status, re.MULTILINE).group(1))


@pytest.mark.slow
def test_a_1_gib_upload_keeps_server_memory_flat(gunicorn, token, media_dir, tmp_path):
    size = 1024**3
    source = tmp_path / "big.wav"
    sparse_wav(source, size)
    server = gunicorn()
    worker = server.worker_pid()
    samples: list[int] = []
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            samples.append(memory_kib(worker, "VmRSS"))
            time.sleep(0.05)

    head = file_part_header("big.wav")
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()

    def body() -> Iterator[bytes]:
        yield head
        with open(source, "rb") as f:
            while block := f.read(1024 * 1024):
                yield block
        yield tail

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        status, answer = server.request(
            "POST", "/api/media", body=body(),
            headers={**bearer(token), "Content-Length": str(len(head) + size + len(tail)),
                     "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"})
        peak_kib = memory_kib(worker, "VmHWM")
    finally:
        done.set()
        sampler.join()
    assert status == 201, answer
    item = json.loads(answer)
    assert item["kind"] == "audio"
    assert item["duration"] == pytest.approx((size - 44) / 16000, abs=0.01)
    assert (media_dir / f"{item['id']}.wav").stat().st_size == size
    assert temp_files(media_dir) == []
    print(f"\nworker RSS while receiving 1 GiB: max sampled {max(samples) / 1024:.1f} MiB,"
          f" peak (VmHWM) {peak_kib / 1024:.1f} MiB over {len(samples)} samples")
    assert max(samples) * 1024 < MEMORY_LIMIT
    assert peak_kib * 1024 < MEMORY_LIMIT
    (media_dir / f"{item['id']}.wav").unlink()
    shutil.rmtree(media_dir / ".uploads")
