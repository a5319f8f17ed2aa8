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

Use it with ``-k player.worker.KeepAliveWorker``; the ``--threads`` option
still sets the pool size.
"""

from __future__ import annotations

import math
import select
import time
from collections import deque

from gunicorn.workers.gthread import ThreadWorker


class KeepAliveWorker(ThreadWorker):
    """``gthread`` with kept-alive connections served on one thread while
    they stay busy."""

    #: Seconds a thread waits for the next request on a kept-alive connection
    #: before giving it back to the poller (never more than ``--keep-alive``).
    linger = 0.1
    #: Seconds between a waiting thread's looks for connections in the queue.
    look_every = 0.005

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # One entry per connection handed to the pool and not yet taken up by
        # a thread. A deque, because its append and pop are atomic between
        # threads and its length is read without a lock.
        self._queued: deque[None] = deque()

    def enqueue_req(self, conn):
        self._queued.append(None)
        super().enqueue_req(conn)

    def handle(self, conn):
        self._queued.pop()
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
                # Readable, or closed by the client: handle() tells which.
                return True
            if self._queued or not self.alive:
                return False
