"""Clients that send their request a byte at a time must not stall the site:
30 of them against the README's production command, while a fresh client's
requests are still answered within a second."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import threading
import time

import pytest

from player.worker import request_complete
from tests.test_worker import README, connection, library, production_server  # noqa: F401

PROBE_LIMIT = 1.0
REPORT = json.dumps({"position": 1, "duration": 6, "event": "timeupdate"}).encode()


def trickle(address, head: bytes, body: bytes, stop: threading.Event, slow_head: bool) -> None:
    """Send ``head`` then ``body``, one byte every two seconds for the slow part."""
    try:
        with socket.create_connection(address, timeout=60) as sock:
            slow = head + body if slow_head else body
            if not slow_head:
                sock.sendall(head)
            for byte in slow:
                if stop.wait(2):
                    return
                sock.sendall(bytes([byte]))
    except OSError:
        pass


def timed_get(address, path: str) -> tuple[int, float]:
    started = time.monotonic()
    with connection(address) as conn:
        status, _, _ = conn.get(path)
    return status, time.monotonic() - started


@pytest.mark.slow
def test_thirty_slow_clients_do_not_stall_the_production_command(library, tmp_path):  # noqa: F811
    put = (b"PUT /api/media/noise/progress HTTP/1.1\r\nHost: test\r\n"
           b"Content-Type: application/json\r\nX-Viewer-Id: trickle-viewer-0001\r\n"
           b"Content-Length: %d\r\n\r\n" % len(REPORT))
    get = b"GET /api/media/noise HTTP/1.1\r\nHost: test\r\nUser-Agent: slow\r\n\r\n"
    chunked = (b"POST /api/media/noise/progress HTTP/1.1\r\nHost: test\r\n"
               b"Transfer-Encoding: chunked\r\n\r\n")
    stop = threading.Event()
    with production_server(library, tmp_path) as (_, address):
        clients = []
        for number in range(30):
            # Three variants: a trickling body, trickling headers, and a
            # head that never ends (the body of a chunked request counts too).
            kind = number % 3
            head, body, slow_head = ((put, REPORT, False), (get, b"", True),
                                     (chunked, b"5\r\nhello\r\n", False))[kind]
            client = threading.Thread(target=trickle, args=(address, head, body, stop, slow_head),
                                      daemon=True)
            client.start()
            clients.append(client)
        try:
            time.sleep(1.5)
            timings = []
            for _ in range(6):
                status, seconds = timed_get(address, "/api/media/noise")
                assert status == 200
                timings.append(seconds)
                time.sleep(0.5)
        finally:
            stop.set()
            for client in clients:
                client.join(timeout=10)
    assert max(timings) < PROBE_LIMIT, timings


def test_a_request_arriving_slowly_but_whole_is_answered(library, tmp_path):  # noqa: F811
    request = (b"GET /api/media/noise HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
    with production_server(library, tmp_path) as (_, address):
        with socket.create_connection(address, timeout=30) as sock:
            for start in range(0, len(request), 7):
                sock.sendall(request[start:start + 7])
                time.sleep(0.05)
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
    assert answer.startswith(b"HTTP/1.1 200 "), answer[:200]
    assert b'"id": "noise"' in answer or b'"id":"noise"' in answer


@pytest.mark.parametrize("data, complete", [
    (b"GET / HTTP/1.1\r\nHost: a\r\n", False),
    (b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", True),
    (b"GET / HTTP/1.1\nHost: a\n\n", True),
    (b"PUT /p HTTP/1.1\r\nContent-Length: 5\r\n\r\nabc", False),
    (b"PUT /p HTTP/1.1\r\ncontent-length:5\r\n\r\nabcde", True),
    (b"POST /upload HTTP/1.1\r\nContent-Length: 999999999\r\n\r\n", True),
    (b"POST /p HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", False),
    (b"POST /p HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n", False),
    (b"POST /p HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n", False),
    (b"POST /p HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n0\r\n\r\n",
     True),
    (b"POST /p HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nA: b\r\n\r\n", True),
    (b"POST /p HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", True),
    (b"POST /p HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" + b"1" * 70000, True),
    (b"G" * 20000, True),
])
def test_what_counts_as_a_whole_request(data, complete):
    assert request_complete(data, 65536, 8190) is complete


NGINX_WRAPPER = """\
worker_processes 1;
daemon off;
pid {state}/nginx.pid;
error_log {state}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {state}/client_body;
    proxy_temp_path {state}/proxy;
    fastcgi_temp_path {state}/fastcgi;
    uwsgi_temp_path {state}/uwsgi;
    scgi_temp_path {state}/scgi;
{config}
}}
"""


def readme_nginx_config() -> str:
    return re.search(r"<!-- nginx-config -->\n```nginx\n(.*?)```", README, re.S).group(1)


def test_readme_nginx_streams_only_upload_routes():
    config = readme_nginx_config()
    unbuffered = re.search(r"location ~ (\S+) \{[^}]*proxy_request_buffering off;", config)
    assert unbuffered, config
    assert config.count("proxy_request_buffering off") == 1
    pattern = re.compile(unbuffered.group(1))
    for path in ("/api/media", "/api/media/a-talk/tracks", "/publish/upload",
                 "/publish/media/a-talk/tracks"):
        assert pattern.search(path), path
    for path in ("/api/media/a-talk/progress", "/publish/login", "/api/media/a-talk",
                 "/publish/media/a-talk/delete", "/publish/media/a-talk/tracks/en/delete",
                 "/api/progress/validate"):
        assert not pattern.search(path), path


@pytest.mark.slow
def test_thirty_slow_clients_through_the_readme_nginx(library, tmp_path):  # noqa: F811
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.access(binary, os.X_OK):
        pytest.fail("nginx is missing: apt-get install -y nginx (.ci/run does)")
    put = (b"PUT /api/media/noise/progress HTTP/1.1\r\nHost: test\r\n"
           b"Content-Type: application/json\r\nX-Viewer-Id: trickle-viewer-0001\r\n"
           b"Content-Length: %d\r\n\r\n" % len(REPORT))
    upload = (b"POST /api/media HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer nope\r\n"
              b"Content-Type: multipart/form-data; boundary=x\r\nContent-Length: 5000\r\n\r\n")
    get = b"GET /api/media/noise HTTP/1.1\r\nHost: test\r\n\r\n"
    stop = threading.Event()
    with production_server(library, tmp_path) as (_, app_address):
        port = free_port()
        config = (readme_nginx_config()
                  .replace("127.0.0.1:8000", f"{app_address[0]}:{app_address[1]}")
                  .replace("listen 80;", f"listen 127.0.0.1:{port};"))
        state = tmp_path / "nginx"
        state.mkdir()
        (state / "nginx.conf").write_text(NGINX_WRAPPER.format(state=state, config=config))
        process = subprocess.Popen([binary, "-p", str(state), "-c", str(state / "nginx.conf"),
                                    "-e", str(state / "error.log")])
        try:
            address = ("127.0.0.1", port)
            deadline = time.monotonic() + 20
            while True:
                try:
                    timed_get(address, "/api/media/noise")
                    break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        pytest.fail((state / "error.log").read_text())
                    time.sleep(0.1)
            clients = []
            for number in range(30):
                head, body, slow_head = ((put, REPORT, False), (get, b"", True),
                                         (upload, b"--x\r\n" * 40, False))[number % 3]
                client = threading.Thread(target=trickle,
                                          args=(address, head, body, stop, slow_head),
                                          daemon=True)
                client.start()
                clients.append(client)
            time.sleep(1.5)
            timings = []
            for _ in range(6):
                status, seconds = timed_get(address, "/api/media/noise")
                assert status == 200
                timings.append(seconds)
                time.sleep(0.5)
        finally:
            stop.set()
            process.terminate()
            process.wait(timeout=15)
    assert max(timings) < PROBE_LIMIT, timings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
