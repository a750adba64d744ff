"""One visit on one screen (``render/one_screen.py``): the action first and last, every term
shown (graded, folded at 0, or grouped as not gradable), the full view with ``-v``, the
decision alone with ``-q``."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import EXAMPLES, invoke, make_visit

SEED = str(EXAMPLES / "hwang-2010-worst-visit.yaml")
SCREEN = {"COLUMNS": "80", "LINES": "24"}


def grade(*args: str) -> Any:
    return invoke(["grade", *args], env=SCREEN)


def write(tmp_path: Path, **sections: object) -> str:
    path = tmp_path / "visit.yaml"
    path.write_text(yaml.safe_dump(make_visit(**sections)), encoding="utf-8")
    return str(path)


def test_the_seed_visit_fits_one_80x24_screen_with_the_action_first_and_last() -> None:
    run = grade(SEED)
    assert run.exit_code == 0, run.output
    lines = run.stdout.splitlines()
    assert len(lines) <= 23  # and the shell's prompt below it
    assert max(len(line) for line in lines) <= 80
    assert lines[0].startswith("HOLD  imatinib 0 mg/day")
    assert lines[-1].startswith("HOLD  imatinib 0 mg/day") and "resume at 300 mg/day" in lines[-1]
    assert lines[1].startswith("resume at 300 mg/day when ANC >= 1.5")


def test_graded_terms_worst_first_then_grade_0_folded_into_one_line() -> None:
    lines = grade(SEED).stdout.splitlines()
    rows = [line.split()[0] for line in lines if line[:3].strip().isdigit()]
    assert rows == ["4", "4", "3", "1", "0"]
    zero = next(i for i, line in enumerate(lines) if line.startswith(" 0  "))
    folded = " ".join(lines[zero : zero + 2])
    for name in ("Erythema multiforme", "Erythroderma", "Stevens-Johnson syndrome", "Toxic"):
        assert name in folded
        assert sum(name in line for line in lines) == 1


def test_an_other_event_graded_by_the_clinician_is_a_graded_row(tmp_path: Path) -> None:
    visit = write(tmp_path, other_events=[{"term": "diarrhea", "grade": 3}])
    screen, full = grade(visit).stdout, grade("-v", visit).stdout
    assert "no term graded above 0" not in screen
    assert re.search(r"^ 3  Diarrhea +graded by the clinician \(other_events\)", screen, re.M)
    assert re.search(r"Diarrhea +│ +3 │ graded by the clinician", full)


def test_terms_with_nothing_recorded_share_one_row_that_wraps_under_its_names() -> None:
    lines = grade(SEED).stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(" –  "))
    end = next(i for i in range(start + 1, len(lines)) if not lines[i].startswith("    "))
    assert end - start > 1  # the seed's list wraps, and every wrapped line is indented
    group = " ".join(" ".join(lines[start:end]).split())
    assert "Anemia" in group and "Pleural effusion" in group
    assert group.count("not recorded at this visit") == 1


def test_not_gradable_terms_are_grouped_by_their_shared_reason(tmp_path: Path) -> None:
    skin = {"morphology": "target_lesions", "bsa_percent": 20}  # fits no cell: own words
    text = " ".join(grade(write(tmp_path, skin=skin)).stdout.split())
    assert text.count("Erythema multiforme: not gradable, findings fit no CTCAE") == 1
    group = re.search(r"– ([^–]*): not gradable, not recorded at this visit", text)
    assert group is not None and "Neutrophil count decreased" in group[1]
    assert text.count("not recorded at this visit") == 1


@pytest.mark.parametrize("path", sorted((EXAMPLES / "terms").glob("*.yaml")), ids=lambda p: p.stem)
def test_every_term_of_the_result_is_on_the_screen(path: Path) -> None:
    """Folding never hides a term: each is a row, in the grade-0 line or in a not-gradable
    group."""
    result = json.loads(grade("-f", "json", str(path)).stdout)
    text = " ".join(grade(str(path)).stdout.split())
    for term in result["grades"].values():
        assert term["term"] in text


def test_review_comes_right_after_the_action_and_in_the_closing_line(tmp_path: Path) -> None:
    lines = grade(write(tmp_path, labs=None)).stdout.splitlines()
    assert lines[0].startswith("CONTINUE")
    assert lines[1].startswith("!! REVIEW BEFORE ACTING: 1 thing")
    assert "REVIEW 1 above first" in lines[-1]


def test_caps_share_one_line_lowest_first_with_why(tmp_path: Path) -> None:
    history = [
        {
            "date": "2024-01-08",
            "category": "hepatic",
            "term": "alanine_aminotransferase_increased",
            "grade": 3,
            "dose_mg": 600,
        },
    ]
    path = write(tmp_path, renal={"creatinine_clearance_ml_min": 45}, history=history)
    lines = grade(path).stdout.splitlines()
    caps = [line for line in lines if line.startswith("caps  ")]
    assert len(caps) == 1 and len(caps[0]) <= 80, caps
    assert caps[0].startswith("caps  hepatic <= 400, renal <= 600 mg/day (A hepatotoxicity episode")
    assert not any(line.startswith("caps") for line in grade(SEED).stdout.splitlines())


def test_verbose_is_the_full_table_with_every_reason_and_rule_id() -> None:
    text = grade("-v", SEED).stdout
    assert "recommendation" in text and "[dosing/imatinib-gist/skin-hold;" in text
    assert "[erythroderma/grade-0]" in text
    assert len(text.splitlines()) > 24


def test_quiet_is_the_decision_in_one_line_that_points_to_nothing_above(tmp_path: Path) -> None:
    run = grade(SEED, "-q")
    assert run.stdout.splitlines() == [
        "HOLD  imatinib 0 mg/day from today; resume at 300 mg/day when ANC >= 1.5 x10^9/L and"
        " platelets >= 75 x10^9/L and every skin term is grade <= 1"
    ]
    no_counts = grade("-q", write(tmp_path, labs=None))
    assert no_counts.stdout.splitlines() == [
        "CONTINUE  imatinib 400 mg/day from today; REVIEW FIRST: counts-not-measured"
    ]


def test_json_is_the_same_whatever_the_detail() -> None:
    assert grade("-f", "json", SEED).stdout == grade("-f", "json", "-v", SEED).stdout


def test_co_medications_in_one_line_with_the_inducer_dose_first(tmp_path: Path) -> None:
    lines = grade(write(tmp_path, comedications=["rifampin"])).stdout.splitlines()
    [line] = [line for line in lines if line.startswith("co-medications")]
    assert line.startswith("co-medications (inducer dose 600 mg/day, advice only): rifampin")
    assert lines[0].startswith("CONTINUE  imatinib 400 mg/day")
    lines = grade(write(tmp_path, comedications=["aspirin"])).stdout.splitlines()
    assert "co-medications: aspirin (not on the list)" in lines
