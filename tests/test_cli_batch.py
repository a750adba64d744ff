"""``gist-tox batch`` end to end, as a pharmacist or a script uses it."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import EXAMPLES, REPO, grade_json, invoke, make_visit
from gist_tox.render.csv import CSV_COLUMNS

BAD_INPUTS = REPO / "tests" / "bad_inputs"
SEVERE = make_visit(
    patient={"id": "P-SEVERE"},
    labs={"anc": {"value": 0.3, "unit": "10^9/L"}},
    fever={"max_temperature": {"value": 39.0, "unit": "C"}},
)


def clinic(folder: Path, *, bad: bool = True) -> Path:
    """A clinic folder: valid visits (two of one patient), and corrupted files if ``bad``."""
    visits = {
        "ward-a/p1-2024-01-01.yaml": make_visit(patient={"id": "P-1"}, date="2024-01-01"),
        "ward-a/p1-2024-02-01.yaml": make_visit(patient={"id": "P-1"}, date="2024-02-01"),
        "ward-b/severe.yaml": SEVERE,
        "ward-b/normal.json": make_visit(patient={"id": "P-2"}),
    }
    for name, visit in visits.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(visit) if name.endswith(".json") else yaml.safe_dump(visit))
    if bad:
        (folder / "examples").mkdir()
        shutil.copy(EXAMPLES / "hwang-2010-worst-visit.yaml", folder / "examples")
        (folder / "broken").mkdir()
        for name in [
            "unknown_field_typo.yaml",
            "python_tag.yaml",
            "trailing_comma.json",
            "binary.yaml",
            "empty.yaml",
            "top_level_list.yaml",
        ]:
            if (BAD_INPUTS / name).exists():
                shutil.copy(BAD_INPUTS / name, folder / "broken" / name)
        (folder / "broken" / "cut.yaml").write_text("patient: {id: X\ndate: 2024-")
    return folder


def ndjson(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


def test_mixed_folder_every_visit_as_grade_gives_every_bad_file_listed_exit_2(
    tmp_path: Path,
) -> None:
    folder = clinic(tmp_path / "clinic")
    on_disk = sorted(str(p) for p in folder.rglob("*") if p.is_file())
    result = invoke(["batch", "--format", "ndjson", "--jobs", "2", str(folder)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    records = ndjson(result.stdout)
    assert sorted(r["source"] for r in records) == on_disk  # nothing missing, nothing extra
    assert [r["source"] for r in records] == sorted(
        (r["source"] for r in records), key=lambda s: s.split("/")
    )
    failed = [r for r in records if r["format"] == "gist-tox/file-error@1"]
    assert {Path(r["source"]).parent.name for r in failed} == {"broken"}
    assert all(r["message"] for r in failed)
    for record in records:
        if record["format"] == "gist-tox/result@1":
            assert record == grade_json([record["source"]])
    # each failure is also one line on stderr, naming the file
    for record in failed:
        assert record["source"] in result.stderr


def test_all_good_exits_0_and_jobs_do_not_change_the_output(tmp_path: Path) -> None:
    folder = clinic(tmp_path, bad=False)
    one = invoke(["batch", "-f", "ndjson", "--jobs", "1", str(folder)])
    two = invoke(["batch", "-f", "ndjson", "--jobs", "2", str(folder)])
    assert one.exit_code == two.exit_code == 0, one.output + two.output
    assert one.stdout == two.stdout and len(one.stdout.splitlines()) == 4
    assert one.stderr == ""  # nothing extra when not on a terminal


def test_json_is_one_array_of_the_same_objects(tmp_path: Path) -> None:
    folder = clinic(tmp_path)
    as_json = invoke(["batch", "-f", "json", str(folder)])
    as_ndjson = invoke(["batch", "-f", "ndjson", str(folder)])
    assert as_json.exit_code == 2
    assert json.loads(as_json.stdout) == ndjson(as_ndjson.stdout)


def test_csv_has_the_documented_columns_and_one_row_per_file(tmp_path: Path) -> None:
    folder = clinic(tmp_path)
    result = invoke(["batch", "-f", "csv", str(folder)])
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == list(CSV_COLUMNS)
    assert len(rows) == len([p for p in folder.rglob("*") if p.is_file()])
    severe = next(r for r in rows if r["source"].endswith("severe.yaml"))
    expected = grade_json([severe["source"]])
    assert severe["status"] == "ok" and severe["patient_id"] == "P-SEVERE"
    assert severe["action"] == expected.get("recommendation", {}).get("action", "unknown")
    assert int(severe["worst_grade"]) == max(
        g["grade"] for g in expected["grades"].values() if g["grade"] is not None
    )
    typo = next(r for r in rows if r["source"].endswith("unknown_field_typo.yaml"))
    assert typo["status"] == "error" and typo["error_field"] and typo["error_message"]
    assert typo["action"] == "" and typo["patient_id"] == ""


def test_table_counts_actions_lists_actionable_visits_and_failed_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(clinic(tmp_path))
    result = invoke(["batch", "."])
    assert result.exit_code == 2
    out = result.stdout
    assert "visits shown, by action" in out and "files that failed" in out
    assert "P-SEVERE" in out and "ward-b/severe.yaml" in out
    assert "cut.yaml" in out and "unknown_field_typo.yaml" in out
    assert result.stderr == ""  # the table already lists the failures


def test_only_actionable_and_latest(tmp_path: Path) -> None:
    folder = clinic(tmp_path, bad=False)
    everything = ndjson(invoke(["batch", "-f", "ndjson", str(folder)]).stdout)
    needs_action = [
        r["source"]
        for r in everything
        if r["recommendation"]["action"] != "continue" or r["recommendation"]["review"]
    ]
    only = ndjson(invoke(["batch", "-f", "ndjson", "--only-actionable", str(folder)]).stdout)
    assert [r["source"] for r in only] == needs_action
    assert any(r["patient_id"] == "P-SEVERE" for r in only)
    latest = ndjson(invoke(["batch", "-f", "ndjson", "--latest", str(folder)]).stdout)
    assert [(r["patient_id"], r["date"]) for r in latest if r["patient_id"] == "P-1"] == [
        ("P-1", "2024-02-01")
    ]
    assert len(latest) == 3


def test_fail_on_exits_1_and_a_failed_file_still_wins_with_2(tmp_path: Path) -> None:
    folder = clinic(tmp_path / "good", bad=False)
    severe = grade_json([str(folder / "ward-b" / "severe.yaml")])
    action = severe.get("recommendation", {}).get("action", "unknown")
    assert action != "continue"
    assert invoke(["batch", "-f", "ndjson", "--fail-on", "continue", str(folder)]).exit_code == 1
    mild_folder = tmp_path / "mild"
    mild_folder.mkdir()
    (mild_folder / "a.yaml").write_text(
        yaml.safe_dump(
            make_visit(
                labs={
                    "anc": {"value": 3, "unit": "10^9/L"},
                    "platelets": {"value": 250, "unit": "10^9/L"},
                }
            )
        )
    )
    mild = grade_json([str(mild_folder / "a.yaml")])
    if mild.get("recommendation", {}).get("action") == "continue":
        assert (
            invoke(["batch", "-f", "csv", "--fail-on", "escalate", str(mild_folder)]).exit_code == 0
        )
    (mild_folder / "b.yaml").write_text("not: [valid")
    assert invoke(["batch", "-f", "csv", "--fail-on", "continue", str(mild_folder)]).exit_code == 2
    assert invoke(["batch", "--fail-on", "sometimes", str(mild_folder)]).exit_code == 2


def test_paths_from_stdin(tmp_path: Path) -> None:
    folder = clinic(tmp_path, bad=False)
    listed = [str(folder / "ward-b" / "severe.yaml"), "", str(folder / "ward-a")]
    result = invoke(["batch", "-f", "ndjson", "-"], input="\n".join(listed) + "\n")
    assert result.exit_code == 0, result.output
    assert [Path(r["source"]).name for r in ndjson(result.stdout)] == [
        "p1-2024-01-01.yaml",
        "p1-2024-02-01.yaml",
        "severe.yaml",
    ]
    empty = invoke(["batch", "-"], input="")
    assert empty.exit_code == 2 and "no visit files given" in empty.stderr
    unset = invoke(["batch", str(folder), ""])  # batch "$VISITS" with the variable unset
    assert unset.exit_code == 2 and unset.stdout == ""
    assert unset.stderr == (
        "gist-tox: an empty path was given (an unset variable?); name the visit files or folders\n"
    )
    piped = invoke(["batch", "-"], input=(EXAMPLES / "hwang-2010-worst-visit.yaml").read_text())
    assert piped.exit_code == 2 and len(piped.stderr.splitlines()) == 1
    assert "holds a visit, not a list of paths" in piped.stderr and "grade -" in piped.stderr


def test_a_folder_with_no_visits_is_exit_2_with_a_clear_line(tmp_path: Path) -> None:
    (tmp_path / "nothing").mkdir()
    (tmp_path / "nothing" / "notes.txt").write_text("hello")
    result = invoke(["batch", "-f", "ndjson", str(tmp_path / "nothing")])
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"gist-tox: {tmp_path / 'nothing'}: no visit files (*.yaml, *.yml, *.json) in this folder"
    )


def test_output_is_written_atomically(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = clinic(tmp_path / "v", bad=False)
    report = tmp_path / "out" / "report.csv"
    report.parent.mkdir()
    result = invoke(["batch", "-f", "csv", "-o", str(report), str(folder)])
    assert result.exit_code == 0 and result.stdout == ""
    assert len(report.read_text().splitlines()) == 5
    assert [p.name for p in report.parent.iterdir()] == ["report.csv"]

    import gist_tox.render.csv as render

    def crash(self: Any, stream: Any, report: Any) -> None:
        stream.write("half a report")
        raise KeyboardInterrupt

    monkeypatch.setattr(render.CsvRenderer, "batch", crash)
    again = invoke(["batch", "-f", "csv", "-o", str(report), str(folder)])
    assert again.exit_code == 130
    assert len(report.read_text().splitlines()) == 5  # the old report, untouched
    assert [p.name for p in report.parent.iterdir()] == ["report.csv"]


def test_output_inside_the_input_folder_is_not_read_back(tmp_path: Path) -> None:
    folder = clinic(tmp_path, bad=False)
    report = folder / "report.json"
    for _ in range(2):
        result = invoke(["batch", "-f", "json", "-o", str(report), str(folder)])
        assert result.exit_code == 0, result.output
    assert len(json.loads(report.read_text())) == 4


def test_progress_only_for_long_batches_and_passes_everything_through() -> None:
    from gist_tox.cli.batch import PROGRESS_MIN_FILES, _with_progress

    items: list[Any] = list(range(PROGRESS_MIN_FILES + 5))
    assert list(_with_progress(iter(items), lambda: len(items))) == items
    assert list(_with_progress(iter(items[:3]), lambda: 3)) == items[:3]


def test_quiet_shows_no_progress_bar(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from gist_tox.cli.batch import _wants_progress
    from gist_tox.cli.conventions import state

    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    monkeypatch.setattr(state, "quiet", False)
    assert _wants_progress("table", to_stdout=True)
    monkeypatch.setattr(state, "quiet", True)
    assert not _wants_progress("table", to_stdout=True)


def test_a_missing_output_folder_is_a_usage_error(tmp_path: Path) -> None:
    folder = clinic(tmp_path, bad=False)
    result = invoke(["batch", "-o", str(tmp_path / "no" / "r.csv"), str(folder)])
    assert result.exit_code == 2 and "does not exist" in result.stderr


def test_ctcae_and_rules_options_are_those_of_grade(tmp_path: Path) -> None:
    folder = clinic(tmp_path, bad=False)
    severe = str(folder / "ward-b" / "severe.yaml")
    result = invoke(
        ["batch", "-f", "ndjson", "--ctcae", "6.0", "--rules", str(REPO / "rules"), severe]
    )
    assert result.exit_code == 0, result.output
    graded = invoke(["grade", "-f", "json", "--ctcae", "6.0", severe])
    assert ndjson(result.stdout) == [json.loads(graded.stdout)]
    assert ndjson(result.stdout)[0]["rules"]["ctcae_version"] == "6.0"


def test_output_onto_a_visit_file_is_refused(tmp_path: Path) -> None:
    """batch never writes YAML, so an existing YAML file as --output is a visit: refused."""
    visit = tmp_path / "v.yaml"
    text = yaml.safe_dump(make_visit())
    visit.write_text(text, encoding="utf-8")
    for given in (tmp_path, visit):  # found in a folder, or named
        result = invoke(["batch", str(given), "-f", "json", "--output", str(visit)])
        assert result.exit_code == 2, result.output
        assert "it is never overwritten" in result.stderr
    assert visit.read_text(encoding="utf-8") == text


def test_a_visit_under_review_is_kept_listed_and_can_fail_a_script(tmp_path: Path) -> None:
    """Issue 13, row 6: a visit without blood counts continues, but under review; it is never
    hidden by --only-actionable, and --fail-on review lets a script stop on it."""
    counts = {"anc": {"value": 3, "unit": "10^9/L"}, "platelets": {"value": 250, "unit": "10^9/L"}}
    (tmp_path / "measured.yaml").write_text(yaml.safe_dump(make_visit(labs=counts)))
    (tmp_path / "no-labs.yaml").write_text(yaml.safe_dump(make_visit(patient={"id": "P-NOLABS"})))
    only = ndjson(invoke(["batch", "-f", "ndjson", "--only-actionable", str(tmp_path)]).stdout)
    assert [r["patient_id"] for r in only] == ["P-NOLABS"]
    assert only[0]["recommendation"]["action"] == "continue"
    rows = list(csv.DictReader(io.StringIO(invoke(["batch", "-f", "csv", str(tmp_path)]).stdout)))
    review = {Path(r["source"]).name: r["review"] for r in rows}
    assert review["measured.yaml"] == "" and "counts-not-measured" in review["no-labs.yaml"]
    failing = invoke(["batch", "-f", "csv", "--fail-on", "review", str(tmp_path)])
    assert failing.exit_code == 1 and "P-NOLABS" in failing.stderr
    (tmp_path / "no-labs.yaml").unlink()
    assert invoke(["batch", "-f", "csv", "--fail-on", "review", str(tmp_path)]).exit_code == 0
