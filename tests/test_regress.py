"""``rules diff`` core: every visit graded and dosed with both rule sets, changes listed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from conftest import RULES, make_visit
from gist_tox.errors import RulesError
from gist_tox.regress import diff_visits


def write_visits(folder: Path, visits: dict[str, dict[str, object]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, visit in visits.items():
        (folder / f"{name}.yaml").write_text(yaml.safe_dump(visit))
    return folder


def copy_rules(tmp_path: Path, relpath: str = "", old: str = "", new: str = "") -> Path:
    root = tmp_path / "rules"
    shutil.copytree(RULES, root)
    if relpath:
        path = root / relpath
        text = path.read_text()
        assert old in text
        path.write_text(text.replace(old, new, 1))
    return root


@pytest.fixture()
def visits(tmp_path: Path) -> Path:
    return write_visits(
        tmp_path / "visits",
        {
            "anc-045": make_visit(labs={"anc": {"value": 0.45, "unit": "10^9/L"}}),
            "anc-055": make_visit(labs={"anc": {"value": 0.55, "unit": "10^9/L"}}),
            "plt-060": make_visit(labs={"platelets": {"value": 60, "unit": "10^9/L"}}),
        },
    )


def test_identical_rules_change_nothing(tmp_path: Path, visits: Path) -> None:
    report = diff_visits(RULES, copy_rules(tmp_path), [str(visits)])
    assert len(report.visits) == 3 and report.changed == []


def test_threshold_change_lists_the_affected_visit_before_after(
    tmp_path: Path, visits: Path
) -> None:
    new = copy_rules(
        tmp_path,
        "ctcae-5.0/neutrophil_count_decreased.yaml",
        "when: {field: labs.anc, lt: 0.5}",
        "when: {field: labs.anc, lt: 0.6}",
    )
    report = diff_visits(RULES, new, [str(visits)])
    assert [v.source for v in report.changed] == [str(visits / "anc-055.yaml")]
    change = report.changed[0].changes[0]
    assert (change.what, change.before, change.after) == ("neutrophil_count_decreased", 3, 4)
    data = report.as_json()
    assert data["changed"] == 1 and data["visits"] == 3


def test_recommendation_changes_are_listed(tmp_path: Path) -> None:
    if not (RULES / "dosing" / "imatinib-gist.yaml").is_file():
        pytest.skip("no dosing rules")
    folder = write_visits(
        tmp_path / "v",
        {
            "recurrence": make_visit(
                labs={
                    "anc": {"value": 0.8, "unit": "10^9/L"},
                    "platelets": {"value": 200, "unit": "10^9/L"},
                },
                history=[
                    {
                        "date": "2024-01-10",
                        "category": "hematologic",
                        "term": "neutrophil_count_decreased",
                        "grade": 3,
                        "dose_mg": 400,
                    }
                ],
            )
        },
    )
    new = copy_rules(tmp_path, "dosing/imatinib-gist.yaml", "to_mg: 300", "to_mg: 200")
    report = diff_visits(RULES, new, [str(folder)])
    changes = {c.what: (c.before, c.after) for c in report.changed[0].changes}
    assert changes["recommendation.resume_dose_mg"] == (300, 200)


def test_refused_by_both_is_not_a_change(tmp_path: Path) -> None:
    folder = tmp_path / "v"
    folder.mkdir()
    (folder / "bad.yaml").write_text("patient: {id: X}\n")
    report = diff_visits(RULES, RULES, [str(folder)])
    assert report.changed == [] and len(report.unreadable) == 1


def test_broken_rules_raise(tmp_path: Path, visits: Path) -> None:
    new = copy_rules(
        tmp_path,
        "ctcae-5.0/neutrophil_count_decreased.yaml",
        "{field: labs.anc.lln}",
        "{field: labs.anc.lnn}",
    )
    with pytest.raises(RulesError, match=r"labs\.anc\.lnn"):
        diff_visits(RULES, new, [str(visits)])
