"""``other_events``: validated against NCI's term list of the chosen version, echoed with NCI's
wording of the grade given."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import make_visit, result_of
from gist_tox.errors import InputError


def events(*items: dict[str, Any], version: str = "5.0") -> list[dict[str, Any]]:
    return result_of(make_visit(other_events=list(items)), version)["other_events"]  # type: ignore[no-any-return]


def refusal(*items: dict[str, Any], version: str = "5.0") -> str:
    with pytest.raises(InputError) as info:
        events(*items, version=version)
    return str(info.value)


def test_echo_with_ncis_cell_and_category() -> None:
    (diarrhea,) = events({"term": "diarrhea", "grade": 3})
    assert diarrhea == {
        "term_id": "diarrhea",
        "term": "Diarrhea",
        "meddra_code": "10012727",
        "soc": "Gastrointestinal disorders",
        "grade": 3,
        "category": "other_nonhematologic",
        "nci_text": "Increase of >=7 stools per day over baseline; hospitalization indicated;"
        " severe increase in ostomy output compared to baseline; limiting self care ADL",
        "specify": None,
    }


@pytest.mark.parametrize(
    ("term", "category"),
    [
        ("lipase_increased", "investigations_or_blood"),
        ("ascites", "fluid"),
        ("hepatic_failure", "hepatic"),
        ("pruritus", "other_nonhematologic"),
    ],
)
def test_category(term: str, category: str) -> None:
    assert events({"term": term, "grade": 3})[0]["category"] == category


def test_grade_0_has_no_cell_and_died_makes_grade_5() -> None:
    assert events({"term": "diarrhea", "grade": 0})[0]["nci_text"] is None
    visit = make_visit(
        other_events=[{"term": "diarrhea", "grade": 4}], consequences={"died": ["diarrhea"]}
    )
    result = result_of(visit)
    assert (result["other_events"][0]["grade"], result["other_events"][0]["nci_text"]) == (
        5,
        "Death",
    )
    assert not [w for w in result["warnings"] if "diarrhea" in w]


@pytest.mark.parametrize(
    ("item", "version", "expected"),
    [
        (
            {"term": "rash_maculo_papular", "grade": 2},
            "5.0",
            "rash_maculo_papular is graded from skin",
        ),
        ({"term": "pleural_effusion", "grade": 2}, "5.0", "graded from fluid.pleural_effusion"),
        ({"term": "anemia", "grade": 2}, "6.0", "graded from labs.hemoglobin"),
        (
            {"term": "edema_trunk", "grade": 1},
            "6.0",
            "NCI maps it to Localized edema (localized_edema)",
        ),
        (
            {"term": "edema_limbs", "grade": 1},
            "6.0",
            "Peripheral edema (peripheral_edema), graded from fluid.limb_edema",
        ),
        ({"term": "diarhea", "grade": 1}, "5.0", "did you mean 'diarrhea'"),
        ({"term": "pericardial_effusion", "grade": 1}, "5.0", "defined: 2, 3, 4, 5"),
        ({"term": "diarrhea", "grade": 5}, "5.0", "at most 4"),
        ({"term": "gastrointestinal_disorders_other_specify", "grade": 2}, "5.0", "needs specify"),
        ({"term": "diarrhea", "grade": 2, "specify": "x"}, "5.0", "only for an '- Other, specify'"),
    ],
)
def test_refused(item: dict[str, Any], version: str, expected: str) -> None:
    assert expected in refusal(item, version=version)


def test_a_term_listed_twice_is_refused() -> None:
    assert "more than once" in refusal(
        {"term": "diarrhea", "grade": 1}, {"term": "diarrhea", "grade": 2}
    )


def test_history_may_name_any_nci_term() -> None:
    entry = {
        "date": "2024-01-01",
        "category": "other_nonhematologic",
        "term": "diarrhea",
        "grade": 3,
        "dose_mg": 400,
    }
    assert result_of(make_visit(history=[entry]))["grades"]
