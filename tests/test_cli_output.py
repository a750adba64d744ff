"""How output files are written (``cli/output.py``): the format from the name, permissions as
the umask gives them, special files written through and never replaced, read-only files and
visits never replaced, and every refusal of the system one line naming the file."""

from __future__ import annotations

import errno
import json
import os
import resource
import stat
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from conftest import EXAMPLES, GIST_TOX, HANG_S, invoke, make_visit

VISIT = str(EXAMPLES / "hwang-2010-worst-visit.yaml")


@pytest.fixture()
def umask() -> Iterator[None]:
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def visits(folder: Path, count: int = 3) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        visit = make_visit(patient={"id": f"P-{i}"})
        (folder / f"v{i:05d}.yaml").write_text(yaml.safe_dump(visit))
    return folder


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_report_gets_what_the_umask_gives_and_an_old_one_keeps_its_mode(
    tmp_path: Path, umask: None
) -> None:
    report = tmp_path / "r.json"
    assert invoke(["grade", VISIT, "-o", str(report)]).exit_code == 0
    assert mode(report) == 0o644  # readable by colleagues on a shared drive
    report.chmod(0o640)
    assert invoke(["grade", VISIT, "-o", str(report)]).exit_code == 0
    assert mode(report) == 0o640
    os.umask(0o077)
    fresh = tmp_path / "private.json"
    assert invoke(["grade", VISIT, "-o", str(fresh)]).exit_code == 0
    assert mode(fresh) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["private.json", "r.json"]


@pytest.mark.parametrize(
    ("command", "name", "first"),
    [
        ("batch", "r.csv", "source,status,"),
        ("batch", "r.json", "["),
        ("batch", "r.ndjson", '{"format":"gist-tox/result@1"'),
        ("batch", "r.txt", None),
        ("grade", "r.json", "{"),
        ("grade", "r.txt", None),
        ("grade", "r.fhir.json", "{"),
    ],
)
def test_the_format_follows_the_output_name_when_not_given(
    tmp_path: Path, command: str, name: str, first: str | None
) -> None:
    """``.csv``, ``.json``, ``.ndjson`` (and ``.html``) name their format; any other name is
    the table."""
    source = str(visits(tmp_path / "v")) if command == "batch" else VISIT
    result = invoke([command, source, "-o", str(tmp_path / name)])
    assert result.exit_code == 0, result.output
    text = (tmp_path / name).read_text().lstrip()
    if first is None:
        assert text and not text.startswith(("{", "[", "source,")), text[:80]
    else:
        assert text.startswith(first), text[:80]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["batch", "-f", "table", "-o", "x.csv"], "--format table does not match --output x.csv"),
        (["batch", "-f", "ndjson", "-o", "x.json"], "(a .json name means json)"),
        (["grade", "-f", "json", "-o", "x.html"], "(a .html name means html); choose another"),
        (["grade", "-o", "x.csv"], "but this command writes table, json"),
        (["timeline", "-o", "x.ndjson"], "but this command writes table, json"),
        (["grade", "-f", "fhir", "-o", "x.csv"], "(a .csv name means csv); choose another"),
        (["batch", "-f", "fhir", "-o", "x.json"], "writes NDJSON (one Bundle per line)"),
    ],
)
def test_a_format_the_name_contradicts_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], words: str
) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke([*args, VISIT])
    assert result.exit_code == 2
    assert words in result.stderr and len(result.stderr.splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_a_device_is_written_through_never_replaced(tmp_path: Path) -> None:
    before = os.stat("/dev/null")
    assert invoke(["grade", VISIT, "-o", "/dev/null"]).exit_code == 0
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_ino == before.st_ino
    assert stat.S_IMODE(after.st_mode) == stat.S_IMODE(before.st_mode)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes")
def test_a_named_pipe_is_written_through_and_one_nothing_reads_is_refused_at_once(
    tmp_path: Path,
) -> None:
    pipe = tmp_path / "out.json"
    os.mkfifo(pipe)
    started = time.monotonic()
    result = invoke(["grade", VISIT, "-o", str(pipe)])
    assert result.exit_code == 2 and time.monotonic() - started < HANG_S
    assert f"{pipe}: is a named pipe that nothing reads from" in result.stderr
    read: list[bytes] = []
    reader = threading.Thread(target=lambda: read.append(pipe.read_bytes()))
    reader.start()
    while True:  # wait until the reader holds the pipe open
        time.sleep(0.05)
        result = invoke(["grade", VISIT, "-o", str(pipe)])
        if result.exit_code == 0:
            break
    reader.join(5)
    assert json.loads(read[0])["patient_id"] == "HWANG-2010"
    assert stat.S_ISFIFO(pipe.lstat().st_mode)


def test_a_symbolic_link_is_kept_and_the_file_it_names_replaced(tmp_path: Path) -> None:
    (tmp_path / "real.json").write_text("[]")
    link = tmp_path / "link.json"
    link.symlink_to("real.json")
    assert invoke(["grade", VISIT, "-o", str(link)]).exit_code == 0
    assert link.is_symlink()
    assert json.loads((tmp_path / "real.json").read_text())["patient_id"] == "HWANG-2010"


def test_a_read_only_file_is_never_replaced(tmp_path: Path) -> None:
    report = tmp_path / "r.csv"
    report.write_text("kept")
    report.chmod(0o444)
    result = invoke(["batch", str(visits(tmp_path / "v")), "-o", str(report)])
    assert result.exit_code == 2
    assert result.stderr == (
        f"gist-tox: --output {report}: is read-only (mode 0444); it is not replaced,"
        " choose another name or make it writable\n"
    )
    assert report.read_text() == "kept"


def test_batch_never_writes_over_a_json_visit_but_replaces_its_own_report(
    tmp_path: Path,
) -> None:
    folder = visits(tmp_path / "v")
    visit = tmp_path / "visit.json"
    visit.write_text(json.dumps(make_visit()))
    result = invoke(["batch", str(folder), "-o", str(visit)])
    assert result.exit_code == 2
    assert "is an existing JSON file that is not a gist-tox report" in result.stderr
    assert json.loads(visit.read_text()) == make_visit()
    report = tmp_path / "report.json"
    for _ in range(2):  # a batch report, replaced by the next run
        assert invoke(["batch", str(folder), "-o", str(report)]).exit_code == 0
    result_file = tmp_path / "result.json"  # a grade result
    assert invoke(["grade", VISIT, "-o", str(result_file)]).exit_code == 0
    assert invoke(["grade", VISIT, "-o", str(result_file)]).exit_code == 0


def test_a_full_device_names_the_output() -> None:
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full")
    result = invoke(["grade", VISIT, "-o", "/dev/full"])
    assert result.exit_code == 2
    assert result.stderr == "gist-tox: /dev/full: cannot write: No space left on device\n"


@pytest.mark.skipif(not GIST_TOX.exists(), reason="no gist-tox script beside the interpreter")
def test_a_file_the_system_cuts_short_is_an_error_naming_it_and_leaves_nothing(
    tmp_path: Path,
) -> None:
    """A full disk or a file size limit: one line naming the file, exit 2, no temporary file
    (a short write was once silently accepted: half a report, exit 0)."""
    folder = visits(tmp_path / "v", 40)

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (2000, 2000))

    for args in (["grade", VISIT, "-o", "big.json"], ["batch", "v", "-j2", "-o", "big.csv"]):
        done = subprocess.run(
            [str(GIST_TOX), *args],
            cwd=tmp_path,
            preexec_fn=limit,
            capture_output=True,
            text=True,
            timeout=60,
        )
        name = args[-1]
        assert done.returncode == 2, done.stderr
        assert done.stderr == f"gist-tox: {name}: cannot write: File too large\n"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["v"]
    assert len(list(folder.iterdir())) == 40


def test_a_rename_the_system_refuses_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In a folder with the sticky bit (``/tmp``), only a file's owner may replace it."""
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    report = shared / "r.json"
    report.write_text("[]")

    def refused(src: str, dst: str) -> None:
        raise PermissionError(errno.EPERM, "Operation not permitted", dst)

    monkeypatch.setattr(os, "replace", refused)
    result = invoke(["grade", VISIT, "-o", str(report)])
    assert result.exit_code == 2
    assert result.stderr == (
        f"gist-tox: {report}: cannot write: Operation not permitted ({shared} has the sticky"
        " bit: only a file's owner may replace it)\n"
    )
    assert sorted(p.name for p in shared.iterdir()) == ["r.json"]
