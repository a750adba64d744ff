"""Worker processes for ``batch --jobs N`` (``gist_tox.pool``); their results are compared with
in-process grading in tests/test_batch.py.  Here: ``--jobs 1`` never loads them."""

from __future__ import annotations

import subprocess
import sys

from conftest import EXAMPLES


def test_one_job_grades_without_importing_multiprocessing() -> None:
    """multiprocessing costs ~30 ms of start-up; a single-process batch has no use for it."""
    code = (
        "import sys\n"
        "from gist_tox.batch import discover, run\n"
        f"outcomes = list(run(discover([{str(EXAMPLES)!r}]), jobs=1))\n"
        "assert sum(o.ok for o in outcomes) > 10, len(outcomes)\n"
        "loaded = [m for m in ('gist_tox.pool', 'multiprocessing', 'concurrent.futures.process')\n"
        "          if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
