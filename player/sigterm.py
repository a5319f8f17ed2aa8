"""Work to finish before the process dies of SIGTERM.

Where SIGTERM would end the process on the spot (its default action, as
under ``player run`` and ``flask run``), :func:`before_sigterm` installs one
handler that runs every registered piece of work, in the order registered,
and then lets the process die of the signal as it would have: a supervisor
still reads the exit status it always did. A server that handles SIGTERM
itself (gunicorn's master and workers, werkzeug's reloader) leaves through
``sys.exit``, so ``atexit`` work runs there already, and its handler is left
alone. The handler runs in the main thread between two bytecodes: work
must not wait for a lock that thread may hold (hand it to another thread,
with a time limit).
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable

_WORK: list[Callable[[], None]] = []


def before_sigterm(work: Callable[[], None]) -> bool:
    """Run ``work`` (once, however often it is registered) when SIGTERM
    comes, before the process dies of it; False (nothing registered) outside
    the main thread, where Python allows no signal handler, or where SIGTERM
    already has a handler of its own."""
    if threading.current_thread() is not threading.main_thread():
        return False
    if signal.getsignal(signal.SIGTERM) is not _die:
        if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
            return False
        signal.signal(signal.SIGTERM, _die)
    if work not in _WORK:
        _WORK.append(work)
    return True


def _die(signum: int, frame: object) -> None:
    for work in list(_WORK):
        work()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)
