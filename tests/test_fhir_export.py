"""FHIR Bulk Data export folders in ``batch`` (gist_tox.fhir.export)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from conftest import EXAMPLES, invoke
from test_fhir_reader import _decided

EXPORT = EXAMPLES / "fhir" / "export"
TWINS = [
    EXAMPLES / "fhir" / "hwang-2010-2009-04-27.yaml",
    EXAMPLES / "hwang-2010-worst-visit.yaml",
    EXAMPLES / "dosing" / "hematologic-recurrence.yaml",
    EXAMPLES / "dosing" / "skin-hold-resume.yaml",
    EXAMPLES / "dosing" / "platelets-hold.yaml",
]


def _batch(*args: str) -> tuple[int, list[dict[str, Any]]]:
    result = invoke(["batch", *args, "-f", "ndjson", "-j", "1"])
    return result.exit_code, [json.loads(line) for line in result.stdout.splitlines()]


def _by_visit(results: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(r["patient_id"], r["date"]): _decided(r) for r in results}


def test_an_export_grades_each_patients_latest_day_as_the_yaml_twins() -> None:
    code, exported = _batch(str(EXPORT))
    assert code == 0
    assert [r["source"] for r in exported] == [
        f"{EXPORT}/Patient/{pid}" for pid in ("EX-HEME", "EX-PLT", "EX-SKIN", "HWANG-2010")
    ]
    _, twins = _batch(*map(str, TWINS[1:]))
    assert _by_visit(exported) == _by_visit(twins)


def test_an_export_inside_a_folder_given_is_read_in_path_order_not_left_out() -> None:
    code, results = _batch(str(EXAMPLES / "fhir"))
    assert code == 0
    assert [r["source"] for r in results] == [
        *(f"{EXPORT}/Patient/{pid}" for pid in ("EX-HEME", "EX-PLT", "EX-SKIN", "HWANG-2010")),
        *(
            str(EXAMPLES / "fhir" / name)
            for name in (
                "hepatotoxicity-hold.json",
                "hwang-2010-2009-04-27.yaml",
                "hwang-2010-worst-visit.json",
            )
        ),
    ]


def test_a_report_written_among_the_visits_never_makes_their_folder_an_export(
    tmp_path: Path,
) -> None:
    for twin in TWINS[:2]:
        shutil.copy(twin, tmp_path)
    report = tmp_path / "report.ndjson"
    for _ in range(2):  # yesterday's report, then today's over it
        assert invoke(["batch", str(tmp_path), "-o", str(report)]).exit_code == 0
        assert [json.loads(line)["patient_id"] for line in report.read_text().splitlines()] == [
            "HWANG-2010",
            "HWANG-2010",
        ]
    code, results = _batch(str(tmp_path))
    assert code == 0 and [Path(r["source"]).name for r in results] == [t.name for t in TWINS[:2]]


def test_visit_files_beside_an_export_are_a_failure_not_left_out(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    shutil.copytree(EXPORT, folder)
    shutil.copy(TWINS[0], folder)
    code, results = _batch(str(folder))
    assert code == 2
    assert results[0]["source"] == str(folder)
    assert "holds 1 visit file(s)" in results[0]["message"]
    assert len(results) == 5  # and every patient of the export


def test_every_day_grades_each_day_with_a_blood_count() -> None:
    code, exported = _batch(str(EXPORT), "--every-day")
    assert code == 0
    _, twins = _batch(*map(str, TWINS))
    assert _by_visit(exported) == _by_visit(twins)


def test_a_bad_line_is_one_failure_and_every_patient_is_still_graded(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    shutil.copytree(EXPORT, folder)
    with (folder / "Observation.ndjson").open("a") as out:
        out.write("{not json\n")
    code, results = _batch(str(folder))
    assert code == 2
    failures = [r for r in results if r.get("format") == "gist-tox/file-error@1"]
    assert len(failures) == 1 and failures[0]["source"].endswith("Observation.ndjson")
    assert failures[0]["line"] == sum(1 for _ in (EXPORT / "Observation.ndjson").open()) + 1
    assert len(results) == 5


def test_a_bad_resource_fails_only_its_patient(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    shutil.copytree(EXPORT, folder)
    lines = (folder / "Observation.ndjson").read_text().splitlines()
    first = json.loads(lines[0])
    first["valueQuantity"]["code"] = "g/dL"
    lines[0] = json.dumps(first)
    (folder / "Observation.ndjson").write_text("\n".join(lines) + "\n")
    code, results = _batch(str(folder))
    assert code == 2
    failed = [r for r in results if r.get("format") == "gist-tox/file-error@1"]
    assert len(failed) == 1 and failed[0]["line"] == 1
    assert f"Observation/{first['id']} valueQuantity.code" in failed[0]["field"]
    assert sum(1 for r in results if r.get("format") == "gist-tox/result@1") == 3


def test_rules_diff_grades_an_export_and_a_bundle() -> None:
    bundle = EXAMPLES / "fhir" / "hwang-2010-worst-visit.json"
    result = invoke(["rules", "diff", "rules", "rules", str(EXPORT), str(bundle), "-f", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["visits"], report["changed"], report["unreadable"]) == (5, 0, 0)


def test_an_export_of_extension_a_visits_grades_each_as_its_yaml_twin(tmp_path: Path) -> None:
    """One visit per patient of the worked examples W1-W21 (a patient with two of them keeps
    its first), written as one export."""
    from fhir_twin import write_export
    from test_fhir_reader import WORKED_VISITS

    visits: dict[str, dict[str, Any]] = {}
    for case in WORKED_VISITS:
        visits.setdefault(case["visit"]["patient"]["id"], case["visit"])
    write_export(tmp_path / "export", list(visits.values()))
    for pid, visit in visits.items():
        (tmp_path / f"{pid}.yaml").write_text(json.dumps(visit))
    code, exported = _batch(str(tmp_path / "export"))
    assert code == 0 and len(exported) == len(visits)
    _, twins = _batch(*(str(tmp_path / f"{pid}.yaml") for pid in visits))
    assert _by_visit(exported) == _by_visit(twins)
