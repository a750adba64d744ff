"""``gist-tox grade`` end to end: in-process through typer's runner, and as the installed script."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import EXAMPLES, GIST_TOX, REPO, invoke, make_visit, refusal_lines, write_visit
from gist_tox.render.console import color_allowed

WORST = EXAMPLES / "hwang-2010-worst-visit.yaml"


def test_json_format_follows_the_result_contract() -> None:
    run = invoke(["grade", "--format", "json", str(WORST)])
    assert run.exit_code == 0, run.output
    data = json.loads(run.stdout)
    assert data["format"] == "gist-tox/result@1"
    assert data["source"] == str(WORST)
    assert data["patient_id"] == "HWANG-2010" and data["date"] == "2009-06-02"
    assert data["rules"]["ctcae_version"] == "5.0"
    assert data["rules"]["digest"].startswith("sha256:")
    assert isinstance(data["warnings"], list)
    for term in data["grades"].values():
        assert {"grade", "rule"} <= set(term)
        assert ("not_gradable" in term) == (term["grade"] is None)


def test_verbose_table_shows_grade_basis_and_rule_of_every_term() -> None:
    run = invoke(["grade", "-v", str(WORST)])
    assert run.exit_code == 0, run.output
    out = run.stdout
    assert "Febrile neutropenia" in out and "Rash maculo-papular" in out
    assert "[febrile_neutropenia/grade-4]" in out
    assert "[rash_maculo_papular/grade-3]" in out
    rows = [line for line in out.splitlines() if line.startswith("│") and line.count("│") == 4]
    assert max(len(line) for line in out.splitlines()) <= 80  # readable at 80 columns
    assert rows[0].split("│")[1].strip() == "Febrile neutropenia"  # worst grades first
    assert "\x1b[" not in out  # not a terminal: no colour codes


def test_table_dims_not_gradable_terms_with_reason_and_puts_warnings_last(tmp_path: Path) -> None:
    visit = write_visit(
        tmp_path,
        make_visit(
            labs={"anc": {"value": 0.8, "unit": "10^9/L"}},
            skin={"morphology": "maculopapular", "bsa_percent": 20, "clinician_grade": 3},
        ),
    )
    run = invoke(["grade", "-f", "table", str(visit)])
    assert run.exit_code == 0, run.output
    out = run.stdout
    assert "not gradable" in out
    lines = [line for line in out.splitlines() if line.strip()]
    first_warning = next(i for i, line in enumerate(lines) if line.startswith("warning:"))
    assert all(not line.startswith("│") for line in lines[first_warning:])


def test_stdin_dash_reads_the_visit() -> None:
    run = invoke(["grade", "-", "--format", "json"], input=WORST.read_text(encoding="utf-8"))
    assert run.exit_code == 0, run.output
    data = json.loads(run.stdout)
    assert data["source"] == "<stdin>"
    assert data["grades"]["febrile_neutropenia"]["grade"] == 4


def test_output_writes_the_file_and_nothing_to_stdout(tmp_path: Path) -> None:
    target = tmp_path / "result.json"
    run = invoke(["grade", str(WORST), "--format", "json", "--output", str(target)])
    assert run.exit_code == 0, run.output
    assert run.stdout == ""
    assert json.loads(target.read_text(encoding="utf-8"))["patient_id"] == "HWANG-2010"
    assert [p.name for p in tmp_path.iterdir()] == ["result.json"]  # no temporary left


def test_output_is_not_written_on_bad_input(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("patient: {id: X}\n", encoding="utf-8")
    target = tmp_path / "result.json"
    run = invoke(["grade", str(bad), "--output", str(target)])
    assert run.exit_code == 2
    assert not target.exists()


def test_no_color_turns_colour_off_even_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    assert color_allowed(Tty()) is True
    monkeypatch.setenv("NO_COLOR", "1")
    assert color_allowed(Tty()) is False
    run = invoke(["grade", str(WORST)])
    assert run.exit_code == 0 and "\x1b[" not in run.stdout


def test_version_prints_the_rules_digest_used_for_grading() -> None:
    run = invoke(["--version"])
    assert run.exit_code == 0, run.output
    digest = json.loads(invoke(["grade", "-f", "json", str(WORST)]).stdout)["rules"]["digest"]
    assert "gist-tox 0.1.0" in run.stdout
    assert digest in run.stdout


@pytest.mark.parametrize(
    ("args", "in_stderr"),
    [
        pytest.param(["grade", "no-such-visit.yaml"], "no-such-visit.yaml", id="missing-file"),
        pytest.param(["grade"], "missing argument", id="no-file"),
        pytest.param(["grade", "--format", "xml", "x.yaml"], "xml", id="bad-format"),
        pytest.param(["grade", "--ctcae", "4.0", "x.yaml"], "4.0", id="bad-ctcae"),
    ],
)
def test_usage_errors_exit_2(args: list[str], in_stderr: str) -> None:
    run = invoke(args)
    assert run.exit_code == 2
    assert in_stderr in run.stderr
    assert "Traceback" not in run.output


def test_rules_option_uses_that_folder(tmp_path: Path) -> None:
    run = invoke(["grade", "-f", "json", "--rules", str(REPO / "rules"), str(WORST)])
    assert run.exit_code == 0, run.output
    missing = invoke(["grade", "--rules", str(tmp_path / "nowhere"), str(WORST)])
    assert missing.exit_code == 2


# ---------------------------------------------------------------------------------------------
# The installed console script, run from another directory: the rules must ship with it.


@pytest.mark.skipif(not GIST_TOX.exists(), reason="gist-tox script not installed in this venv")
def test_installed_script_grades_from_another_directory(tmp_path: Path) -> None:
    visit = write_visit(
        tmp_path,
        make_visit(
            labs={"anc": {"value": 999, "unit": "/uL"}},
            fever={"max_temperature": {"value": 101, "unit": "F"}},
        ),
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(
        [str(GIST_TOX), "grade", "--format", "json", visit.name],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    grades = json.loads(done.stdout)["grades"]
    assert grades["neutrophil_count_decreased"]["grade"] == 3
    assert grades["febrile_neutropenia"]["grade"] == 3


@pytest.mark.skipif(not GIST_TOX.exists(), reason="gist-tox script not installed in this venv")
def test_installed_script_bad_input_is_one_line_exit_2(tmp_path: Path) -> None:
    (tmp_path / "v.yaml").write_text("patient: [\n", encoding="utf-8")
    done = subprocess.run(
        [str(GIST_TOX), "grade", "v.yaml"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert refusal_lines(done.stderr) and "v.yaml" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("fmt", ["table", "json"])
def test_a_reader_that_goes_away_is_exit_0(fmt: str) -> None:
    """`gist-tox grade ... | head -1`: a closed pipe is not a finding (exit 1) nor an error."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gist_tox",
            "grade",
            "-f",
            fmt,
            str(EXAMPLES / "hwang-2010-worst-visit.yaml"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=REPO,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    assert proc.wait(timeout=60) == 0
    assert proc.stderr.read() == b""


@pytest.mark.parametrize(
    ("command", "example"),
    [
        (["grade"], "hwang-2010-worst-visit.yaml"),
        (["grade", "--compare-ctcae"], "hwang-2010-worst-visit.yaml"),
        (["timeline"], "hwang-2010/patient.yaml"),
    ],
)
def test_output_onto_the_input_file_is_refused(
    command: list[str], example: str, tmp_path: Path
) -> None:
    """No command ever writes to its input files: `-o visit.yaml` would replace the record."""
    path = tmp_path / "in.yaml"
    original = (EXAMPLES / example).read_text(encoding="utf-8")
    path.write_text(original, encoding="utf-8")
    result = invoke([*command, str(path), "--output", str(path)])
    assert result.exit_code == 2, result.output
    assert f"--output {path}: is an input file" in result.stderr
    assert path.read_text(encoding="utf-8") == original


def test_table_shows_review_directly_under_the_action_in_words(tmp_path: Path) -> None:
    """Without colour and at 80 columns, the review cannot be missed: it comes straight after
    the action line, marked in words."""
    visit = write_visit(tmp_path, make_visit(labs=None))
    run = invoke(["grade", str(visit)])
    assert run.exit_code == 0, run.output
    lines = run.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80 and "\x1b[" not in run.stdout
    head = next(i for i, line in enumerate(lines) if "CONTINUE" in line)
    assert "!! REVIEW BEFORE ACTING" in lines[head + 1]
    assert "Blood counts not measured" in lines[head + 2]
    assert "[counts-not-measured]" in run.stdout
