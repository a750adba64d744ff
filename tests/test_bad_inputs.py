"""The corpus of bad visit files: each is refused with exit 2 and one line that names the file and,
where it applies, the line, column and field, and what was expected; never a traceback.

``tests/bad_inputs/expected.yaml`` maps each file to substrings its message must contain.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
import yaml

from conftest import EXAMPLES, HANG_S, REPO, invoke, make_visit, refusal_lines

CORPUS = Path(__file__).parent / "bad_inputs"
EXPECTED: dict[str, list[str]] = yaml.safe_load((CORPUS / "expected.yaml").read_text())
CONTROL = EXAMPLES / "hwang-2010-worst-visit.yaml"


def assert_refused(result: object, name: str) -> str:
    """Exit 2, nothing on stdout, one stderr line starting with the program and file name."""
    assert result.exit_code == 2, (name, result.output)  # type: ignore[attr-defined]
    assert result.exception is None or isinstance(result.exception, SystemExit)  # type: ignore[attr-defined]
    stderr: str = result.stderr  # type: ignore[attr-defined]
    assert "Traceback" not in stderr and "Traceback" not in result.stdout  # type: ignore[attr-defined]
    assert result.stdout == ""  # type: ignore[attr-defined]
    lines = refusal_lines(stderr)
    assert all(line.startswith(f"gist-tox: {name}") for line in lines), lines
    return lines[0]


def test_the_corpus_index_lists_every_file_and_no_other() -> None:
    files = {p.name for p in CORPUS.iterdir() if p.name != "expected.yaml"}
    assert files == set(EXPECTED)
    assert len(files) >= 60


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_file_is_refused_with_its_message(name: str) -> None:
    path = str(CORPUS / name)
    start = time.monotonic()
    result = invoke(["grade", "--format", "json", path])
    assert time.monotonic() - start < HANG_S
    line = assert_refused(result, path)
    for expected in EXPECTED[name]:
        assert expected in line, (expected, line)


@pytest.mark.parametrize("name", ["unknown_unit.yaml", "duplicate_key.yaml", "nan.json"])
def test_table_format_refuses_the_same_way(name: str) -> None:
    path = str(CORPUS / name)
    assert_refused(invoke(["grade", path]), path)


def test_the_valid_control_still_grades() -> None:
    result = invoke(["grade", "--format", "json", str(CONTROL)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["grades"]["febrile_neutropenia"]["grade"] == 4


def test_a_file_over_1_mib_is_refused_before_parsing(tmp_path: Path) -> None:
    # An unclosed flow mapping: parsing it would fail with a syntax error, not a size error.
    big = tmp_path / "big.yaml"
    big.write_text("{patient: " + "x" * (1024 * 1024) + "\n")
    line = assert_refused(invoke(["grade", str(big)]), str(big))
    assert "1 MiB" in line and "YAML" not in line


def test_exactly_1_mib_is_still_read(tmp_path: Path) -> None:
    text = yaml.safe_dump(make_visit())
    path = tmp_path / "padded.yaml"
    path.write_text(text + "#" * (1024 * 1024 - len(text.encode()) - 1) + "\n")
    assert path.stat().st_size == 1024 * 1024
    assert invoke(["grade", "--format", "json", str(path)]).exit_code == 0


def test_stdin_is_named_stdin_not_dash() -> None:
    result = invoke(["grade", "-"], input="patient: {id: T}\nlabz: 1\n")
    line = assert_refused(result, "<stdin>")
    assert "did you mean 'labs'?" in line


def test_stdin_over_1_mib_is_refused() -> None:
    result = invoke(["grade", "-"], input="#" * (1024 * 1024 + 10))
    assert "1 MiB" in assert_refused(result, "<stdin>")


def test_empty_stdin_is_refused() -> None:
    assert "empty" in assert_refused(invoke(["grade", "-"], input=""), "<stdin>")


def test_a_folder_a_missing_file_and_a_symlink_loop_are_refused(tmp_path: Path) -> None:
    refused = assert_refused(invoke(["grade", str(tmp_path)]), str(tmp_path))
    assert f"is a folder; grade reads one visit file (gist-tox batch {tmp_path} grades" in refused
    missing = tmp_path / "nope.yaml"
    assert "no such file" in assert_refused(invoke(["grade", str(missing)]), str(missing))
    loop = tmp_path / "loop.yaml"
    loop.symlink_to(tmp_path / "loop2.yaml")
    (tmp_path / "loop2.yaml").symlink_to(loop)
    assert "symbolic link loop" in assert_refused(invoke(["grade", str(loop)]), str(loop))


def test_an_unreadable_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "secret.yaml"
    path.write_text(yaml.safe_dump(make_visit()))
    path.chmod(0)
    try:
        if path.open("rb").readable():  # root reads anything: nothing to test here
            pytest.skip("running as a user who can read a mode-000 file")
    except PermissionError:
        assert "permission denied" in assert_refused(invoke(["grade", str(path)]), str(path))
    finally:
        path.chmod(0o644)


def test_a_few_aliases_within_the_limit_are_plain_data(tmp_path: Path) -> None:
    path = tmp_path / "aliases.yaml"
    path.write_text(
        "patient: {id: T}\ndate: 2024-03-01\n"
        "imatinib: {starting_dose_mg: &dose 400, current_dose_mg: *dose}\n"
    )
    assert invoke(["grade", "--format", "json", str(path)]).exit_code == 0


# ---------------------------------------------------------------- batch and timeline

DOCUMENT_LEVEL = [
    name
    for name in sorted(EXPECTED)
    if not any(
        word in " ".join(EXPECTED[name])
        for word in (
            "patient",
            "imatinib",
            "labs",
            "skin",
            "fever",
            "history",
            "date",
            "format",
            "ctcae",
            "consequences",
            "unknown field",
            "known field",
        )
    )
]


@pytest.mark.parametrize("name", DOCUMENT_LEVEL)
def test_timeline_refuses_bad_documents_the_same_way(name: str) -> None:
    path = str(CORPUS / name)
    line = assert_refused(invoke(["timeline", "--format", "json", path]), path)
    for expected in EXPECTED[name]:
        assert expected in line, (expected, line)


def test_timeline_refuses_a_folder_a_symlink_loop_and_no_visits(tmp_path: Path) -> None:
    assert "folder" in assert_refused(invoke(["timeline", str(tmp_path)]), str(tmp_path))
    loop = tmp_path / "loop.yaml"
    loop.symlink_to(loop)
    assert "symbolic link loop" in assert_refused(invoke(["timeline", str(loop)]), str(loop))
    empty = tmp_path / "patient.yaml"
    empty.write_text(
        "format: gist-tox/patient@1\npatient: {id: T}\n"
        "treatment: {indication: gist-metastatic, start: 2024-01-01,"
        " starting_dose_mg: 400}\nvisits: []\n"
    )
    line = assert_refused(invoke(["timeline", str(empty)]), str(empty))
    assert "visits" in line and "at least 1 item" in line


def test_timeline_names_stdin() -> None:
    assert_refused(invoke(["timeline", "-"], input="[1]\n"), "<stdin>")


def batch_errors(args: list[str]) -> tuple[int, list[dict[str, object]], str]:
    result = invoke(["batch", "--jobs", "1", "--format", "ndjson", *args])
    assert "Traceback" not in result.output and "internal error" not in result.output
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    return (
        result.exit_code,
        [r for r in rows if r["format"] == "gist-tox/file-error@1"],
        result.stderr,
    )


def test_batch_lists_every_bad_file_and_still_grades_the_good_one(tmp_path: Path) -> None:
    for name in EXPECTED:
        (tmp_path / name).write_bytes((CORPUS / name).read_bytes())
    (tmp_path / "control.yaml").write_bytes(CONTROL.read_bytes())
    code, errors, stderr = batch_errors([str(tmp_path)])
    assert code == 2
    by_name = {Path(str(e["source"])).name: e for e in errors}
    # .yaml/.yml/.json only; every one of them bad except the control.
    assert set(by_name) == set(EXPECTED)
    for name, error in by_name.items():
        # The same parts as grade's one line: name[:line[:column]]: [field: ]message
        line = name + "".join(f":{error[k]}" for k in ("line", "column") if error[k] is not None)
        line += f": {error['field']}: " if error["field"] else ": "
        line += str(error["message"])
        for expected in EXPECTED[name]:
            assert expected in line, (expected, line)
    assert "control.yaml" not in stderr


@pytest.mark.parametrize(
    "name", ["unknown_unit.yaml", "duplicate_key.yaml", "unknown_field_typo.yaml"]
)
def test_the_readme_errors_section_shows_real_messages(name: str) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("<!-- section: errors -->", 1)[1].split("<!-- section:", 1)[0]
    path = str(CORPUS / name)
    line = assert_refused(invoke(["grade", path]), path)
    assert line.replace(path, "visit.yaml") in section


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes")
def test_a_named_pipe_nothing_writes_to_never_hangs(tmp_path: Path) -> None:
    folder = tmp_path / "visits"
    folder.mkdir()
    os.mkfifo(folder / "pipe.yaml")
    (folder / "v.yaml").write_bytes(CONTROL.read_bytes())
    start = time.monotonic()
    line = assert_refused(invoke(["grade", str(folder / "pipe.yaml")]), str(folder / "pipe.yaml"))
    assert "named pipe" in line
    code, errors, _ = batch_errors([str(folder)])
    assert code == 2 and [Path(str(e["source"])).name for e in errors] == ["pipe.yaml"]
    assert time.monotonic() - start < HANG_S
