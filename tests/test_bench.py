"""The README's benchmark command runs to its table (small sizes here: the
numbers it prints are measurements for a person to read, not assertions)."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.gunicorn_support import REPO


def test_stream_vs_nginx_prints_both_ratios():
    run = subprocess.run(
        [sys.executable, "bench/stream_vs_nginx.py", "--size-mb", "4", "--ranges", "50",
         "--rounds", "1"],
        cwd=REPO, capture_output=True, text=True, timeout=300)
    # Exit status 1 says a target was missed, which a 4 MB run may well do;
    # any other failure exits before the table with a message on stderr.
    assert run.returncode in (0, 1), run.stderr
    assert "gunicorn: 2 workers, player.worker.KeepAliveWorker, 4 threads" in run.stdout, (
        run.stdout + run.stderr)
    for label in ("whole", "ranges"):
        row = re.search(rf"^{label} +(\d+) +(\d+) +(\d+\.\d\d)x", run.stdout, re.M)
        assert row, run.stdout + run.stderr
        assert int(row.group(1)) > 0 and int(row.group(2)) > 0
