"""The app in a real gunicorn on a free loopback port, for the tests of what
goes over the wire, and requests to it with nothing added but Host."""

from __future__ import annotations

import http.client
import re
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
STARTUP_TIMEOUT = 30
_LISTENING = re.compile(r"Listening at: http://127\.0\.0\.1:(\d+)")


@contextmanager
def gunicorn(options: Sequence[str], env: Mapping[str, str], log: Path
             ) -> Iterator[tuple[str, int]]:
    """Run ``player:create_app()`` in gunicorn with ``options``, its output
    written to ``log``; yield its address once it answers, and stop it after."""
    with gunicorn_process(options, env, log) as (_, address):
        yield address


@contextmanager
def gunicorn_process(options: Sequence[str], env: Mapping[str, str], log: Path,
                     app: str = "player:create_app()"
                     ) -> Iterator[tuple[subprocess.Popen, tuple[str, int]]]:
    """:func:`gunicorn` for ``app``, yielding the master process too.

    It listens on a free loopback port, so ``options`` must not bind. The
    control socket is off: its default path is one per user, which servers
    of tests running side by side would fight over.
    """
    with open(log, "wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--bind", "127.0.0.1:0", "--no-control-socket",
             *options, app],
            cwd=REPO, env=env, stdout=log_file, stderr=subprocess.STDOUT)
    try:
        yield process, wait_until_serving(process, log)
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_until_serving(process: subprocess.Popen, log: Path, offset: int = 0
                       ) -> tuple[str, int]:
    """The address gunicorn ``process`` says in ``log`` (after byte ``offset``,
    for a log that earlier servers wrote to) that it listens at, once a
    request there is answered; a test failure, with the log, when it exits or
    takes longer than ``STARTUP_TIMEOUT`` seconds."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited with {process.returncode}:\n{log.read_text()}")
        match = _LISTENING.search(log.read_bytes()[offset:].decode(errors="replace"))
        if match:
            address = ("127.0.0.1", int(match.group(1)))
            try:
                raw_request(address, "GET", "/api/media", ())
            except ConnectionError:
                pass
            else:
                return address
        time.sleep(0.1)
    pytest.fail(f"gunicorn did not start within {STARTUP_TIMEOUT} s:\n{log.read_text()}")


def raw_request(address: tuple[str, int], method: str, path: str,
                fields: Iterable[tuple[str, str]]) -> tuple[int, list[tuple[str, str]], bytes]:
    """Status, header fields and body of one request on a connection of its
    own, sent with exactly ``fields`` (repeated names kept) and Host."""
    connection = http.client.HTTPConnection(*address, timeout=30)
    try:
        connection.putrequest(method, path, skip_accept_encoding=True)
        for name, value in fields:
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.getheaders(), response.read()
    finally:
        connection.close()
