"""A gunicorn worker for serving media: gthread that keeps a busy connection.

gunicorn's ``gthread`` worker hands every request on a kept-alive connection
across threads twice: after each answer the connection goes back to the main
thread's poller, and when the next request arrives the poller passes it to
the thread pool again. Each hand-off wakes a thread, moves the GIL and
touches the poller, which for a 64 KiB byte range costs more than the answer
itself. Players fetch media as a run of such ranges, one after the other on
the same connection.

:class:`KeepAliveWorker` lets the thread that answered a request wait a
moment (:attr:`~KeepAliveWorker.linger`) for the next one on the same
connection and answer it directly. It gives the connection back to the poller,
as ``gthread`` does, as soon as another connection is waiting for a thread,
when the worker is stopping, or when the moment passes, so a quiet client
never holds a thread for long and a busy worker stays fair. Everything else
(parsing, keep-alive limits, timeouts, graceful stops) is ``gthread``'s own.

It also never gives a thread to a request that is still arriving. ``gthread``
hands a new connection to a thread as soon as its first byte is there, and
the thread then blocks until the whole request head (and, later, the body)
has been read; twenty clients sending a byte every two seconds held every
thread and the site stopped answering. Here the main thread gathers each
request first, with the poller and without blocking: the head, and a body of
up to :attr:`~KeepAliveWorker.small_body` bytes (progress reports, forms),
are read into memory before a thread sees the connection. A larger body (an
upload) goes to a thread once the head is complete, where the app streams it.
A request not complete within :attr:`~KeepAliveWorker.gather_timeout`
seconds is answered 408 and closed, so a trickle costs neither a thread nor,
for long, a connection slot.

Use it with ``-k player.worker.KeepAliveWorker``; the ``--threads`` option
still sets the pool size.
"""

from __future__ import annotations

import errno
import math
import re
import select
import selectors
import socket
import time
from collections import deque
from functools import partial

from gunicorn.http2 import negotiation
from gunicorn.workers.gthread import TConn, ThreadWorker

_HEAD_END = re.compile(rb"\r?\n\r?\n")
_CONTENT_LENGTH = re.compile(rb"^content-length[ \t]*:[ \t]*(\d{1,18})[ \t]*\r?$", re.I | re.M)
_TRANSFER_ENCODING = re.compile(rb"^transfer-encoding[ \t]*:", re.I | re.M)
_EXPECT_CONTINUE = re.compile(rb"^expect[ \t]*:[ \t]*100-continue[ \t]*\r?$", re.I | re.M)
_TIMEOUT_ANSWER = (b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n"
                   b"Content-Type: text/plain; charset=utf-8\r\nContent-Length: 45\r\n\r\n"
                   b"The request did not arrive in time. Try again.")


def request_complete(data: bytes, small_body: int, head_limit: int) -> bool:
    """Whether ``data``, the start of a connection's next request, holds all
    that a thread needs to answer it without waiting on the client.

    That is the whole head and, for a body of at most ``small_body`` bytes, the
    whole body; for a larger or chunked body, the head alone (the app streams
    the rest). A head longer than ``head_limit`` counts as complete, so the
    HTTP parser can refuse it.

    >>> request_complete(b"GET / HTTP/1.1\\r\\nHost: a\\r\\n\\r\\n", 65536, 8190)
    True
    >>> request_complete(b"PUT /p HTTP/1.1\\r\\nContent-Length: 5\\r\\n\\r\\nab", 65536, 8190)
    False
    """
    end = _HEAD_END.search(data)
    if end is None:
        return len(data) > head_limit
    head = data[:end.start()]
    if _TRANSFER_ENCODING.search(head):
        return _chunks_complete(data[end.end():], small_body)
    length = _CONTENT_LENGTH.search(head)
    if length is None:
        return True
    wanted = int(length.group(1))
    return wanted > small_body or len(data) - end.end() >= wanted


def _chunks_complete(body: bytes, small_body: int) -> bool:
    """Whether a chunked body (RFC 9112, section 7.1) has arrived up to its
    last chunk and trailer section, or has grown past ``small_body`` bytes
    (an upload, which the app streams). Framing errors count as complete, so
    the HTTP parser can refuse them."""
    if len(body) > small_body:
        return True
    at = 0
    while True:
        line_end = body.find(b"\n", at)
        if line_end < 0:
            return False
        size_text = body[at:line_end].split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            return True
        at = line_end + 1
        if size == 0:
            # The trailer section ends with an empty line.
            while True:
                line_end = body.find(b"\n", at)
                if line_end < 0:
                    return False
                if body[at:line_end].strip() == b"":
                    return True
                at = line_end + 1
        at += size
        line_end = body.find(b"\n", at)
        if line_end < 0:
            return False
        at = line_end + 1


class KeepAliveWorker(ThreadWorker):
    """``gthread`` with kept-alive connections served on one thread while
    they stay busy."""

    #: Seconds a thread waits for the next request on a kept-alive connection
    #: before giving it back to the poller (never more than ``--keep-alive``).
    linger = 0.1
    #: Seconds between a waiting thread's looks for connections in the queue.
    look_every = 0.005
    #: Largest body read in full before a thread takes the request.
    small_body = 64 * 1024
    #: Seconds a request may take to arrive (its head, and a small body).
    gather_timeout = 30.0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # One entry per connection handed to the pool and not yet taken up by
        # a thread. A deque, because its append and pop are atomic between
        # threads and its length is read without a lock.
        self._queued: deque[None] = deque()
        # Connections whose next request is still arriving, oldest first,
        # each with the monotonic time by which it must be complete.
        self._gathering: deque[tuple[float, TConn]] = deque()

    def _gathers(self, conn: TConn) -> bool:
        """Whether this connection's requests are gathered by the poller:
        plain HTTP/1.x only (TLS bytes are not the request yet, and an HTTP/2
        preface is read by its own code)."""
        return not (self.cfg.is_ssl or conn.is_http2
                    or negotiation.prior_knowledge_allowed(self.cfg, conn.client))

    def accept(self, listener):
        try:
            client_sock, client_addr = listener.accept()
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        conn = TConn(self.cfg, client_sock, client_addr, listener.getsockname())
        if self._gathers(conn):
            conn.early = b""
            self._gather(conn)
        else:
            client_sock.setblocking(True)
            self.enqueue_req(conn)

    def on_client_socket_readable(self, conn, client):
        if not self._gathers(conn):
            return super().on_client_socket_readable(conn, client)
        self.poller.unregister(client)
        self.keepalived_conns.remove(conn)
        conn.early = b""
        self._gather(conn)
        self._on_gather_readable(conn, client)

    def _gather(self, conn: TConn) -> None:
        conn.sock.setblocking(False)
        self._gathering.append((time.monotonic() + self.gather_timeout, conn))
        self.poller.register(conn.sock, selectors.EVENT_READ,
                             partial(self._on_gather_readable, conn))

    def _stop_gathering(self, conn: TConn) -> None:
        self.poller.unregister(conn.sock)
        for index, (_, waiting) in enumerate(self._gathering):
            if waiting is conn:
                del self._gathering[index]
                break

    def _on_gather_readable(self, conn: TConn, client) -> None:
        """Read what has arrived; hand the connection to a thread once its
        request is complete, close it if the client has gone."""
        try:
            data = conn.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self._stop_gathering(conn)
            self.nr_conns -= 1
            conn.close()
            return
        head_was_complete = _HEAD_END.search(conn.early) is not None
        conn.early += data
        head_limit = self.cfg.limit_request_line + self.cfg.limit_request_field_size * 2
        if not request_complete(conn.early, self.small_body, head_limit):
            if not head_was_complete and _HEAD_END.search(conn.early) is not None:
                head = conn.early[:_HEAD_END.search(conn.early).start()]
                if _EXPECT_CONTINUE.search(head):
                    # The client waits for this before it sends the body
                    # (RFC 9110, section 10.1.1); a thread may send one more.
                    try:
                        conn.sock.send(b"HTTP/1.1 100 Continue\r\n\r\n")
                    except OSError:
                        pass
            return
        self._stop_gathering(conn)
        conn.data_ready = True
        self.enqueue_req(conn)

    def murder_keepalived(self, force=False):
        super().murder_keepalived(force)
        now = time.monotonic()
        while self._gathering and (force or self._gathering[0][0] <= now):
            _, conn = self._gathering.popleft()
            try:
                self.poller.unregister(conn.sock)
            except (KeyError, ValueError, OSError):
                pass
            if conn.early and not force:
                try:
                    conn.sock.send(_TIMEOUT_ANSWER)
                except OSError:
                    pass
            self.nr_conns -= 1
            conn.close()

    def enqueue_req(self, conn):
        self._queued.append(None)
        super().enqueue_req(conn)

    def handle(self, conn):
        self._queued.pop()
        early = getattr(conn, "early", b"")
        if early:
            conn.early = b""
            conn.sock.setblocking(True)
            conn.init()
            conn.parser.unreader.unread(early)
        result = super().handle(conn)
        while result is True and self._next_request_arrives(conn):
            result = super().handle(conn)
        return result

    def _next_request_arrives(self, conn) -> bool:
        """Whether the next request on ``conn`` is here, or arrives within the
        linger time, while no other connection waits for a thread."""
        if self._queued or not self.alive:
            return False
        if conn.parser.unreader.buf.getvalue():
            # Pipelined: the next request was read along with the last one.
            return True
        pending = getattr(conn.sock, "pending", None)
        if pending is not None and pending():
            # TLS: decrypted bytes waiting in the SSL object poll cannot see.
            return True
        poller = select.poll()
        poller.register(conn.sock, select.POLLIN)
        deadline = time.monotonic() + min(self.linger, self.cfg.keepalive)
        while True:
            wait = min(self.look_every, deadline - time.monotonic())
            if wait <= 0:
                return False
            if poller.poll(math.ceil(wait * 1000)):
                # Readable, or closed by the client: handle() tells which,
                # once the whole request is here (a thread never waits on a
                # request that trickles in; the poller gathers it instead).
                if self._arrived_whole(conn):
                    return True
                time.sleep(self.look_every)
            if self._queued or not self.alive:
                return False

    def _arrived_whole(self, conn) -> bool:
        """Whether the next request on ``conn`` has arrived whole, or the
        client has closed; looks without reading."""
        if not self._gathers(conn):
            return True
        head_limit = self.cfg.limit_request_line + self.cfg.limit_request_field_size * 2
        try:
            data = conn.sock.recv(self.small_body + head_limit + 1,
                                  socket.MSG_PEEK | socket.MSG_DONTWAIT)
        except (BlockingIOError, InterruptedError):
            return False
        except OSError:
            return True
        return not data or request_complete(data, self.small_body, head_limit)
