"""SIGTERM and SIGHUP (``timeout``, ``kill``, a closed terminal) end ``batch -j2 -o`` as Ctrl-C
does: the workers stopped, the temporary file removed, one line, exit 143 or 129."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from conftest import GIST_TOX, make_visit

pytestmark = pytest.mark.skipif(
    not GIST_TOX.exists() or not Path("/proc/self/stat").exists(),
    reason="needs the gist-tox script and /proc",
)


@pytest.fixture(scope="module")
def clinic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Enough visits that a two-worker batch is still running a second after it starts."""
    folder = tmp_path_factory.mktemp("signals") / "visits"
    folder.mkdir()
    text = yaml.safe_dump(make_visit(labs={"anc": {"value": 0.8, "unit": "10^9/L"}}))
    for i in range(3000):
        (folder / f"v{i:05d}.yaml").write_text(text)
    return folder


def children(pid: int) -> set[int]:
    """The processes whose parent is ``pid``."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.add(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.parametrize(
    ("number", "code", "line"),
    [
        (signal.SIGTERM, 143, "gist-tox: terminated (SIGTERM)"),
        (signal.SIGHUP, 129, "gist-tox: hung up (SIGHUP)"),
    ],
)
@pytest.mark.parametrize("group", [False, True], ids=["parent", "process-group"])
def test_a_signal_stops_the_workers_and_leaves_no_file(
    clinic: Path, tmp_path: Path, number: int, code: int, line: str, group: bool
) -> None:
    """``kill PID`` signals the parent only; ``timeout`` and a closed terminal signal the whole
    process group, workers included."""
    process = subprocess.Popen(
        [str(GIST_TOX), "batch", str(clinic), "-j2", "-o", "out.csv"],
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        workers: set[int] = set()
        while time.monotonic() < deadline and process.poll() is None:
            workers = children(process.pid)
            partial = list(tmp_path.glob(".out.csv.*"))
            if len(workers) >= 2 and partial and partial[0].stat().st_size > 0:
                break  # rows are being written: the workers are up and grading
            time.sleep(0.05)
        assert process.poll() is None, "the batch ended before it could be signalled"
        if group:
            os.killpg(process.pid, number)
        else:
            process.send_signal(number)
        _, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == code, err
    assert err.splitlines() == [line]
    assert list(tmp_path.iterdir()) == [], "a temporary file or a report was left behind"
    time.sleep(0.2)
    assert not [pid for pid in workers if alive(pid)], "a worker is still running"
