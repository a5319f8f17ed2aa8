"""Worker classes for tests/test_worker.py, importable by the gunicorn it
starts: the production worker with a linger long enough that a test can
tell whether a thread gave a connection up early or sat out the wait."""

from player.worker import KeepAliveWorker


class PatientWorker(KeepAliveWorker):
    linger = 30.0
