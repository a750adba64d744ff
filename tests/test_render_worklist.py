"""The pharmacist's worklist (``batch``): what each visit carries, in which order, with counts
that reconcile, and the date window."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import invoke, make_visit
from gist_tox.batch import URGENCY, Outcome
from gist_tox.render.csv import CSV_COLUMNS, neutralise
from gist_tox.render.worklist import order
from gist_tox.render.worklist_table import wrap_path

COUNTS = {"anc": {"value": 3.0, "unit": "10^9/L"}, "platelets": {"value": 250, "unit": "10^9/L"}}
HOLD = make_visit(patient={"id": "P-HOLD"}, labs={"anc": {"value": 0.6, "unit": "10^9/L"}})
NO_LABS = make_visit(patient={"id": "P-NOLABS"})  # continue, but counts not measured: review
FINE = make_visit(patient={"id": "P-FINE"}, labs=COUNTS)


def write(folder: Path, visits: dict[str, dict[str, Any]]) -> Path:
    for name, visit in visits.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(visit), encoding="utf-8")
    return folder


def outcome(patient: str, date: str, action: str, review: bool = False) -> Outcome:
    return Outcome(
        source=f"{patient}-{date}.yaml",
        ok=True,
        text="",
        patient_id=patient,
        date=date,
        action=action,
        review=(("code", "text"),) if review else (),
    )


def test_most_urgent_first_and_each_patients_visits_together() -> None:
    rows = [
        outcome("A", "2024-01-01", "escalate"),
        outcome("B", "2024-01-01", "resume"),
        outcome("C", "2024-01-01", "continue", review=True),
        outcome("A", "2024-03-01", "hold"),
        outcome("D", "2024-01-01", "reduce"),
        outcome("E", "2024-01-01", "discontinue"),
        outcome("F", "2024-01-01", "unknown"),
        outcome("G", "2024-01-01", "reduce", review=True),
    ]
    ordered = [(o.patient_id, o.date) for o in order(rows)]
    assert ordered == [
        ("F", "2024-01-01"),  # no recommendation at all: never assumed harmless
        ("E", "2024-01-01"),  # discontinue
        ("A", "2024-03-01"),  # hold ...
        ("A", "2024-01-01"),  # ... and the same patient's other visit with it
        ("C", "2024-01-01"),  # review
        ("G", "2024-01-01"),  # a reduce under review is reviewed first
        ("D", "2024-01-01"),  # reduce
        ("B", "2024-01-01"),  # resume
    ]
    assert [o.category for o in rows if o.patient_id in ("C", "G")] == ["review", "review"]
    assert URGENCY.index("hold") < URGENCY.index("review") < URGENCY.index("reduce")


def test_table_json_ndjson_and_csv_carry_what_to_do_for_each_visit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    folder = write(Path("v"), {"hold.yaml": HOLD, "nolabs.yaml": NO_LABS})
    table = invoke(["batch", "--jobs", "1", str(folder)]).stdout
    assert "resume at 400 mg/day when" in table
    assert "[hematologic-hold]" in table and "REVIEW" in table and "review: " in table

    rows = {
        r["patient_id"]: r
        for r in csv.DictReader(io.StringIO(invoke(["batch", "-f", "csv", str(folder)]).stdout))
    }
    hold, nolabs = rows["P-HOLD"], rows["P-NOLABS"]
    assert (hold["action"], hold["dose_mg"], hold["resume_dose_mg"]) == ("hold", "0", "400")
    assert hold["resume_when"].startswith("ANC >= 1.5")
    assert hold["rules"] == "dosing/imatinib-gist/hematologic-hold" and hold["review"] == ""
    assert nolabs["action"] == "continue" and nolabs["review"].startswith("counts-not-measured: ")

    for fmt in ("json", "ndjson"):
        text = invoke(["batch", "-f", fmt, str(folder)]).stdout
        results = json.loads(text) if fmt == "json" else [json.loads(x) for x in text.splitlines()]
        for result in results:
            rec = result["recommendation"]
            assert {
                "action",
                "dose_mg",
                "resume_dose_mg",
                "resume_when",
                "alternatives",
                "review",
            } <= set(rec)
            assert all(reason["rule"] for reason in rec["reasons"])


def test_csv_keeps_its_columns_and_appends_the_new_ones() -> None:
    assert CSV_COLUMNS[:16] == (
        "source", "status", "patient_id", "date", "ctcae_version", "action", "dose_mg",
        "worst_grade", "worst_term", "not_gradable", "warnings", "rules_digest",
        "error_field", "error_line", "error_column", "error_message",
    )  # fmt: skip
    assert CSV_COLUMNS[16:] == ("resume_dose_mg", "resume_when", "alternatives", "review", "rules")


@pytest.mark.parametrize("cell", ["=1+2", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_a_cell_a_spreadsheet_would_run_as_a_formula_is_neutralised(cell: str) -> None:
    assert neutralise(cell) == "'" + cell
    assert neutralise("P-1") == "P-1" and neutralise(-1) == -1 and neutralise(None) is None


def test_csv_shows_an_injected_patient_id_as_text(tmp_path: Path) -> None:
    evil = '=HYPERLINK("http://example.invalid","x")'
    folder = write(tmp_path / "v", {"evil.yaml": make_visit(patient={"id": evil}, labs=COUNTS)})
    row = next(csv.DictReader(io.StringIO(invoke(["batch", "-f", "csv", str(folder)]).stdout)))
    assert row["patient_id"] == "'" + evil and row["dose_mg"] == "400"


def test_summary_reconciles_files_read_graded_failed_and_shown(tmp_path: Path) -> None:
    folder = write(
        tmp_path / "v",
        {
            "a/1.yaml": make_visit(patient={"id": "P-A"}, date="2024-01-01", labs=COUNTS),
            "a/2.yaml": {**HOLD, "patient": {"id": "P-A"}, "date": "2024-02-01"},
            "b/1.yaml": FINE,
        },
    )
    (folder / "broken.yaml").write_text("patient: [", encoding="utf-8")
    plain = invoke(["batch", str(folder)]).stdout.splitlines()[0]
    assert plain == "4 file(s) read: 3 visit(s) graded, 1 failed; 1 need action"
    narrowed = invoke(["batch", "--latest", "--only-actionable", str(folder)]).stdout
    assert narrowed.splitlines()[0] == (
        "4 file(s) read: 3 visit(s) graded, 1 failed;"
        " 1 visit(s) shown after --latest --only-actionable; 1 need action"
    )
    window = ["--since", "2024-01-01", "--until", "2024-12-31"]
    longer = invoke(["batch", *window, "--latest", "--only-actionable", str(folder)]).stdout
    assert longer.splitlines()[0].endswith(  # one line, wider than the table's 120 columns
        "shown after --since 2024-01-01 --until 2024-12-31 --latest --only-actionable;"
        " 1 need action"
    )
    counts = dict(
        (line.split()[0], int(line.split()[1]))
        for line in narrowed.splitlines()
        if line.split() and line.split()[0] in URGENCY and line.split()[-1].isdigit()
    )
    assert sum(counts.values()) == 1 and counts["hold"] == 1


def test_since_and_until_select_visits_by_date_and_keep_failures(tmp_path: Path) -> None:
    folder = write(
        tmp_path / "v",
        {
            f"{d}.yaml": make_visit(date=d, labs=COUNTS)
            for d in ("2024-01-01", "2024-02-01", "2024-03-01")
        },
    )
    (folder / "broken.yaml").write_text("patient: [", encoding="utf-8")
    window = invoke(
        ["batch", "-f", "ndjson", "--since", "2024-02-01", "--until", "2024-02-01", str(folder)]
    )
    kept = [json.loads(line) for line in window.stdout.splitlines()]
    assert [r.get("date", r["format"]) for r in kept] == ["2024-02-01", "gist-tox/file-error@1"]
    since = invoke(["batch", "-f", "ndjson", "--since", "2024-02-01", str(folder)]).stdout
    assert len(since.splitlines()) == 3
    backwards = invoke(["batch", "--since", "2024-03-01", "--until", "2024-01-01", str(folder)])
    assert backwards.exit_code == 2 and "is after --until" in backwards.stderr
    american = invoke(["batch", "--since", "01/02/2024", str(folder)])
    assert american.exit_code == 2
    assert "'01/02/2024' is not a date; expected YYYY-MM-DD" in american.stderr  # as grade --date


def test_fail_on_names_the_visits_that_met_it_on_one_stderr_line(tmp_path: Path) -> None:
    folder = write(tmp_path / "v", {"hold.yaml": HOLD, "fine.yaml": FINE})
    result = invoke(["batch", "-f", "ndjson", "--fail-on", "hold", str(folder)])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "gist-tox: --fail-on hold met by 1 visit(s): "
        f"P-HOLD 2024-03-01 hold ({folder / 'hold.yaml'})"
    ]
    assert invoke(["batch", "-f", "ndjson", "--fail-on", "discontinue", str(folder)]).stderr == ""


def test_file_names_are_never_cut_inside_a_name(tmp_path: Path) -> None:
    assert wrap_path("clinic/ward-b/severe-case.yaml", 10) == "clinic/\nward-b/\nsevere-case.yaml"
    assert wrap_path("a/b.yaml", 20) == "a/b.yaml"
    name = "a-rather-long-visit-file-name-2024-03-01.yaml"
    folder = write(tmp_path / "deep" / "folder" / "of" / "visits", {name: HOLD})
    table = invoke(["batch", str(folder)]).stdout
    assert name in table  # whole on one line, in the table or in the list under it


@pytest.mark.parametrize("width", [80, 120, 200])
def test_the_table_fits_the_terminal_and_keeps_dates_rules_and_names_whole(width: int) -> None:
    from gist_tox.batch import Tally
    from gist_tox.render.base import BatchReport
    from gist_tox.render.console import terminal
    from gist_tox.render.worklist_table import render_worklist

    rows = [
        dataclasses.replace(
            outcome(f"PATIENT-{n}", f"2024-0{n}-1{n}", action),
            source=f"clinic/ward-{n}/a-long-visit-file-name-number-{n}.yaml",
            dose_mg=0 if action == "hold" else 300,
            resume_dose_mg=300 if action == "hold" else None,
            resume_when="ANC >= 1.5 x10^9/L and platelets >= 75 x10^9/L",
            rules=("dosing/imatinib-gist/hematologic-recurrence",),
        )
        for n, action in enumerate(["hold", "discontinue", "reduce", "escalate"], start=1)
    ]
    buffer = io.StringIO()
    tally = Tally()
    render_worklist(terminal(buffer, width), BatchReport(tally.reading(rows), tally))
    text = buffer.getvalue()
    assert max(len(line.rstrip()) for line in text.splitlines()) <= width
    for row in rows:
        assert f"{row.date}" in text and f"{row.patient_id}" in text
        assert os.path.basename(row.source) in text  # never broken inside the name
    assert text.count("[hematologic-recurrence]") == len(rows)
