"""CTCAE v5.0 grading, term by term, beyond the golden cases (cases/ctcae-5.0/, where both
sides of every count threshold in every unit live): LLNs, derived counts, skin findings.

Each row is one visit (only the sections it needs) and the grade one term must get; ``None``
means not gradable, with a word the reason must contain.  Bounds carry their own sign, as
CTCAE words them: "<1000 - 500/mm3" excludes 1000 and includes 500; "10 - 30% BSA" includes both
ends; ">30%" excludes 30 (contract, "Numbers at the boundaries").
"""

from __future__ import annotations

from typing import Any, NamedTuple

import pytest

from conftest import make_visit, result_of
from gist_tox.errors import InputError

COUNT_UNITS = {"10^9/L": 1, "10^3/uL": 1, "/uL": 1000, "/mm3": 1000, "cells/uL": 1000}


class Row(NamedTuple):
    id: str
    sections: dict[str, Any]
    term: str
    grade: int | None
    says: str = ""


def params(rows: list[Row]) -> list[Any]:
    return [pytest.param(r.sections, r.term, r.grade, r.says, id=r.id) for r in rows]


def check(sections: dict[str, Any], term: str, grade: int | None, says: str) -> dict[str, Any]:
    result = result_of(make_visit(**sections))
    got = result["grades"][term]
    assert got["grade"] == grade, got
    if grade is None:
        assert says in got["not_gradable"], got
        assert got["rule"] is None
    else:
        assert got["rule"].startswith(f"ctcae-5.0/{term}/")
        assert says in got["basis"], got
    return result


# ---------------------------------------------------------------------------------------------
# Neutrophil count decreased: <LLN-1.5; <1.5-1.0; <1.0-0.5; <0.5 (x10^9/L), in every unit.


def anc(value_e9: str, unit: str, lln: str | None = None) -> dict[str, Any]:
    """An ANC written in ``unit`` from a decimal string in 10^9/L (no float arithmetic)."""
    from decimal import Decimal

    factor = COUNT_UNITS[unit]
    lab: dict[str, Any] = {"value": float(Decimal(value_e9) * factor), "unit": unit}
    if lln is not None:
        lab["lln"] = float(Decimal(lln) * factor)
    return {"labs": {"anc": lab}}


@pytest.mark.parametrize(
    ("sections", "term", "grade", "says"),
    params(
        [
            Row("default-lln-at", anc("1.8", "10^9/L"), "neutrophil_count_decreased", 0),
            Row("default-lln-below", anc("1.79", "/uL"), "neutrophil_count_decreased", 1, "LLN"),
            Row("lab-lln-higher", anc("1.9", "10^9/L", lln="2.0"), "neutrophil_count_decreased", 1),
            Row("lab-lln-at-1.5", anc("1.5", "/mm3", lln="1.5"), "neutrophil_count_decreased", 0),
            Row(
                "lab-lln-below-1.5",
                anc("1.45", "10^9/L", lln="1.4"),
                "neutrophil_count_decreased",
                2,
            ),
            Row(
                "lab-lln-below-1.5-above",
                anc("1.6", "10^9/L", lln="1.4"),
                "neutrophil_count_decreased",
                0,
            ),
            Row(
                "wbc-derived-1.0",
                {
                    "labs": {
                        "wbc": {"value": 2000, "unit": "cells/uL"},
                        "neutrophils_percent": 45,
                        "bands_percent": 5,
                    }
                },
                "neutrophil_count_decreased",
                2,
            ),
            Row(
                "wbc-derived-0.999",
                {"labs": {"wbc": {"value": 1.998, "unit": "10^3/uL"}, "neutrophils_percent": 50}},
                "neutrophil_count_decreased",
                3,
            ),
            Row(
                "wbc-derived-bands-matter",
                {
                    "labs": {
                        "wbc": {"value": 1.0, "unit": "10^9/L"},
                        "neutrophils_percent": 45,
                        "bands_percent": 5,
                    }
                },
                "neutrophil_count_decreased",
                3,
                "0.5",
            ),
            Row(
                "no-anc",
                {"labs": {"platelets": {"value": 200, "unit": "10^9/L"}}},
                "neutrophil_count_decreased",
                None,
                "ANC missing",
            ),
            Row(
                "wbc-without-differential",
                {"labs": {"wbc": {"value": 2, "unit": "10^9/L"}}},
                "neutrophil_count_decreased",
                None,
                "ANC missing",
            ),
            Row("no-labs", {}, "neutrophil_count_decreased", None, "ANC missing"),
        ]
    ),
)
def test_neutrophil_lln_and_derivation(sections: Any, term: str, grade: int, says: str) -> None:
    check(sections, term, grade, says)


def test_default_lln_is_reported_in_the_inputs() -> None:
    got = result_of(make_visit(**anc("1.6", "10^9/L")))["grades"]["neutrophil_count_decreased"]
    assert got["grade"] == 1
    assert "no lab LLN: default" in got["inputs"]["labs.anc.lln"]["note"]


def test_derived_anc_is_reported_in_the_inputs() -> None:
    visit = make_visit(
        labs={
            "wbc": {"value": 2.0, "unit": "10^9/L"},
            "neutrophils_percent": 40,
            "bands_percent": 10,
        }
    )
    got = result_of(visit)["grades"]["neutrophil_count_decreased"]
    assert got["inputs"]["labs.anc"]["value"] == 1
    assert got["inputs"]["labs.anc"]["note"].startswith("derived: WBC")


# ---------------------------------------------------------------------------------------------
# Febrile neutropenia: ANC <1.0 with a single temperature >38.3 C (101 F) or >=38 C for more
# than one hour; 4 life-threatening; 5 death.


def fn(
    anc_e9: str, temp: tuple[float, str] | None = None, hours: float | None = None, **extra: Any
) -> dict[str, Any]:
    sections: dict[str, Any] = anc(anc_e9, "10^9/L", lln="1.8")
    fever: dict[str, Any] = {}
    if temp is not None:
        fever["max_temperature"] = {"value": temp[0], "unit": temp[1]}
    if hours is not None:
        fever["hours_at_or_above_38"] = hours
    if temp is not None or hours is not None:
        sections["fever"] = fever
    return {**sections, **extra}


FN = "febrile_neutropenia"
FEBRILE_ROWS = [
    Row("single-38.31C", fn("0.9", (38.31, "C")), FN, 3, "38.31 C > 38.3 C"),
    Row("single-38.3C-hours-1", fn("0.9", (38.3, "C"), 1), FN, 0),
    Row("single-101F", fn("0.9", (101, "F")), FN, 3, "> 38.3 C"),
    Row("single-100.9F-hours-0", fn("0.9", (100.9, "F"), 0), FN, 0),
    Row("sustained-100.4F-1.01h", fn("0.9", (100.4, "F"), 1.01), FN, 3, "> 1 h"),
    Row("sustained-38C-exactly-1h", fn("0.9", (38.0, "C"), 1), FN, 0),
    Row("sustained-38C-2h", fn("0.9", (38.0, "C"), 2), FN, 3),
    Row("sustained-hours-only", fn("0.9", None, 2), FN, 3),
    Row("anc-1.0-rules-out", fn("1.0", (39.5, "C"), 5), FN, 0),
    Row(
        "anc-1000-per-uL-rules-out",
        {**fn("0.5", (39.5, "C")), "labs": {"anc": {"value": 1000, "unit": "/uL"}}},
        FN,
        0,
    ),
    Row(
        "anc-999-per-mm3",
        {**fn("0.5", (39.5, "C")), "labs": {"anc": {"value": 999, "unit": "/mm3"}}},
        FN,
        3,
    ),
    Row("anc-1.0-no-fever-section", fn("1.0"), FN, 0),
    Row("anc-low-no-fever-section", fn("0.4"), FN, None, "temperature unknown"),
    Row("duration-unknown", fn("0.9", (38.3, "C")), FN, None, "duration of fever unknown"),
    Row("duration-unknown-100.4F", fn("0.9", (100.4, "F")), FN, None, "duration of fever unknown"),
    Row("temperature-unknown-short", fn("0.9", None, 0.5), FN, None, "temperature unknown"),
    Row(
        "anc-missing",
        {"fever": {"max_temperature": {"value": 39, "unit": "C"}}},
        FN,
        None,
        "ANC missing",
    ),
    Row(
        "life-threatening-true",
        fn("0.9", (39, "C"), consequences={"life_threatening": True}),
        FN,
        4,
        "life-threatening",
    ),
    Row(
        "life-threatening-listed",
        fn("0.9", (39, "C"), consequences={"life_threatening": [FN]}),
        FN,
        4,
    ),
    Row(
        "life-threatening-without-fn",
        fn("1.2", (39, "C"), consequences={"life_threatening": True}),
        FN,
        0,
    ),
    Row("died-true", fn("0.9", (39, "C"), consequences={"died": True}), FN, 5, "death"),
    Row("died-id", fn("0.9", (39, "C"), consequences={"died": FN}), FN, 5),
    Row("died-other-term", fn("0.9", (39, "C"), consequences={"died": ["erythroderma"]}), FN, 3),
    Row(
        "grade-4-not-5-from-life-threatening",
        fn("0.3", (40, "C"), 12, consequences={"life_threatening": True, "died": False}),
        FN,
        4,
    ),
]


@pytest.mark.parametrize(("sections", "term", "grade", "says"), params(FEBRILE_ROWS))
def test_febrile_neutropenia(sections: Any, term: str, grade: int | None, says: str) -> None:
    check(sections, term, grade, says)


def test_consequence_for_an_absent_term_is_a_warning_not_a_grade() -> None:
    result = result_of(
        make_visit(
            **fn("1.2", (39, "C"), consequences={"life_threatening": [FN], "died": ["tetanus"]})
        )
    )
    assert result["grades"][FN]["grade"] == 0
    assert any("not present" in w for w in result["warnings"])
    assert any("tetanus" in w for w in result["warnings"])


# ---------------------------------------------------------------------------------------------
# Skin terms.  A visit's ``skin`` section: morphology routes to the term(s) graded.


def skin(morphology: str, bsa: float | None = 0, **findings: Any) -> dict[str, Any]:
    section: dict[str, Any] = {"morphology": morphology, **findings}
    if bsa is not None:
        section["bsa_percent"] = bsa
    return {"skin": section}


RASH = "rash_maculo_papular"
RASH_ROWS = [
    Row("rash-0", skin("maculopapular", 0), RASH, 0, "no rash"),
    Row("rash-0.5", skin("maculopapular", 0.5), RASH, 1),
    Row("rash-9.99", skin("maculopapular", 9.99, symptoms="severe"), RASH, 1),
    Row("rash-10", skin("maculopapular", 10), RASH, 2),
    Row("rash-30-severe", skin("maculopapular", 30, symptoms="severe"), RASH, 2),
    Row("rash-30.01-severe", skin("maculopapular", 30.01, symptoms="severe"), RASH, 3),
    Row("rash-31-moderate", skin("maculopapular", 31, symptoms="moderate"), RASH, 3),
    Row("rash-31-mild", skin("maculopapular", 31, symptoms="mild"), RASH, 2),
    Row("rash-31-none", skin("maculopapular", 31), RASH, 2),
    Row(
        "rash-5-instrumental-adl", skin("maculopapular", 5, adl_limitation="instrumental"), RASH, 2
    ),
    Row("rash-5-self-care-adl", skin("maculopapular", 5, adl_limitation="self_care"), RASH, 3),
    Row(
        "rash-no-grade-4",
        skin("maculopapular", 100, symptoms="severe", icu_or_burn_unit=True),
        RASH,
        3,
    ),
    Row("exfoliative-90-is-rash", skin("exfoliative", 90), RASH, 2),
    Row("exfoliative-40-severe-is-rash", skin("exfoliative", 40, symptoms="severe"), RASH, 3),
    Row("exfoliative-91-not-rash", skin("exfoliative", 91), RASH, 0, "no rash maculo-papular"),
    Row("erythroderma-not-rash", skin("erythroderma", 95), RASH, 0, "skin examined"),
    Row("no-skin-section", {}, RASH, None, "skin findings absent"),
    Row(
        "clinician-when-bsa-missing",
        skin("maculopapular", None, clinician_grade=2),
        RASH,
        2,
        "clinician",
    ),
]

ERY = "erythroderma"
ERYTHRODERMA_ROWS = [
    Row("ery-91-no-symptoms", skin("erythroderma", 91), ERY, 2, "91%"),
    Row("ery-90.5", skin("erythroderma", 90.5), ERY, 2),
    Row("ery-95-mild", skin("erythroderma", 95, symptoms="mild"), ERY, 3),
    Row("ery-95-tender", skin("erythroderma", 95, tenderness=True), ERY, 3),
    Row("ery-95-fluid", skin("erythroderma", 95, fluid_electrolyte_abnormalities=True), ERY, 4),
    Row("ery-95-icu", skin("erythroderma", 95, icu_or_burn_unit=True), ERY, 4),
    Row("ery-95-self-care", skin("erythroderma", 95, adl_limitation="self_care"), ERY, 3),
    Row("ery-95-died", {**skin("erythroderma", 95), "consequences": {"died": True}}, ERY, 5),
    Row("ery-90-fits-no-cell", skin("erythroderma", 90), ERY, None, "fit no CTCAE"),
    Row("ery-0", skin("erythroderma", 0), ERY, 0),
    Row("exfoliative-91-is-erythroderma", skin("exfoliative", 91), ERY, 2),
    Row("exfoliative-100-symptoms", skin("exfoliative", 100, symptoms="moderate"), ERY, 3),
    Row(
        "exfoliative-90-not-erythroderma",
        skin("exfoliative", 90, symptoms="severe"),
        ERY,
        0,
        "no erythroderma",
    ),
    Row("maculopapular-not-erythroderma", skin("maculopapular", 95), ERY, 0),
    Row("ery-no-skin", {}, ERY, None, "skin findings absent"),
]

EM = "erythema_multiforme"
EM_ROWS = [
    Row("em-9.9-not-tender", skin("target_lesions", 9.9), EM, 1),
    Row(
        "em-9.9-tender-no-cell",
        skin("target_lesions", 9.9, tenderness=True),
        EM,
        None,
        "fit no CTCAE",
    ),
    Row("em-10-tender", skin("target_lesions", 10, tenderness=True), EM, 2),
    Row("em-30-tender", skin("target_lesions", 30, tenderness=True), EM, 2),
    Row("em-20-not-tender-no-cell", skin("target_lesions", 20), EM, None, "nearest grade(s): 1, 2"),
    Row("em-30.01-erosions", skin("target_lesions", 30.01, mucosal_involvement=True), EM, 3),
    Row(
        "em-30-erosions-is-not-3",
        skin("target_lesions", 30, mucosal_involvement=True),
        EM,
        None,
        "fit no CTCAE",
    ),
    Row("em-40-no-erosions-no-cell", skin("target_lesions", 40), EM, None, "fit no CTCAE"),
    Row("em-40-fluid", skin("target_lesions", 40, fluid_electrolyte_abnormalities=True), EM, 4),
    Row(
        "em-40-icu-and-erosions",
        skin("target_lesions", 40, icu_or_burn_unit=True, mucosal_involvement=True),
        EM,
        4,
    ),
    Row(
        "em-30-icu-no-cell",
        skin("target_lesions", 30, icu_or_burn_unit=True),
        EM,
        None,
        "fit no CTCAE",
    ),
    Row(
        "em-died",
        {
            **skin("target_lesions", 40, mucosal_involvement=True),
            "consequences": {"died": ["erythema_multiforme"]},
        },
        EM,
        5,
    ),
    Row("em-0", skin("target_lesions", 0), EM, 0, "no target lesions"),
    Row(
        "em-no-cell-clinician",
        skin("target_lesions", 20, clinician_grade=2),
        EM,
        2,
        "clinician grade 2",
    ),
]

SJS, TEN = "stevens_johnson_syndrome", "toxic_epidermal_necrolysis"
BULLOUS_ROWS = [
    Row("sjs-0", skin("bullous", 0), SJS, 0),
    Row("sjs-blisters-no-detachment", skin("bullous", 20), SJS, None, "fit no CTCAE v5.0 cell"),
    Row("sjs-0.1", skin("bullous", 20, detachment_bsa_percent=0.1), SJS, 3),
    Row("sjs-9.99", skin("bullous", 20, detachment_bsa_percent=9.99), SJS, 3),
    Row("sjs-10", skin("bullous", 20, detachment_bsa_percent=10), SJS, 4),
    Row("sjs-30", skin("bullous", 40, detachment_bsa_percent=30), SJS, 4),
    Row(
        "sjs-30.01-is-ten",
        skin("bullous", 40, detachment_bsa_percent=30.01),
        SJS,
        0,
        "toxic epidermal necrolysis",
    ),
    Row(
        "sjs-without-mucosa",
        skin("bullous", 20, detachment_bsa_percent=5, mucosal_involvement=False),
        SJS,
        3,
    ),
    Row("ten-0", skin("bullous", 0), TEN, 0),
    Row("ten-blisters-no-detachment", skin("bullous", 20), TEN, None, "fit no CTCAE v5.0 cell"),
    Row("ten-29.99", skin("bullous", 40, detachment_bsa_percent=29.99), TEN, 0),
    Row("ten-30", skin("bullous", 40, detachment_bsa_percent=30), TEN, 4),
    Row("ten-80", skin("bullous", 90, detachment_bsa_percent=80), TEN, 4),
    Row(
        "ten-died",
        {**skin("bullous", 90, detachment_bsa_percent=80), "consequences": {"died": True}},
        TEN,
        5,
    ),
    Row(
        "sjs-died-listed",
        {**skin("bullous", 90, detachment_bsa_percent=5), "consequences": {"died": [SJS]}},
        SJS,
        5,
    ),
    Row(
        "maculopapular-not-sjs",
        skin("maculopapular", 20, detachment_bsa_percent=20),
        SJS,
        0,
        "skin examined",
    ),
    Row(
        "target-lesions-not-ten",
        skin("target_lesions", 20, detachment_bsa_percent=40, tenderness=True),
        TEN,
        0,
    ),
    Row("sjs-no-skin", {}, SJS, None, "skin findings absent"),
    Row("ten-no-skin", {}, TEN, None, "skin findings absent"),
]


@pytest.mark.parametrize(
    ("sections", "term", "grade", "says"),
    params(RASH_ROWS + ERYTHRODERMA_ROWS + EM_ROWS + BULLOUS_ROWS),
)
def test_skin_terms(sections: Any, term: str, grade: int | None, says: str) -> None:
    check(sections, term, grade, says)


def test_detachment_of_exactly_30_percent_is_both_sjs_4_and_ten_4() -> None:
    grades = result_of(make_visit(**skin("bullous", 40, detachment_bsa_percent=30)))["grades"]
    assert (grades[SJS]["grade"], grades[TEN]["grade"]) == (4, 4)


def test_skin_terms_other_than_the_morphology_s_are_0_with_the_basis() -> None:
    grades = result_of(make_visit(**skin("target_lesions", 5)))["grades"]
    for term in (RASH, ERY, SJS, TEN):
        assert grades[term]["grade"] == 0
        assert grades[term]["basis"].startswith("skin examined, no"), grades[term]


def test_bsa_without_morphology_is_not_gradable() -> None:
    grades = result_of(make_visit(skin={"bsa_percent": 20}))["grades"]
    for term in (RASH, ERY, EM, SJS, TEN):
        assert grades[term]["grade"] is None
        assert "morphology missing" in grades[term]["not_gradable"]


# ---------------------------------------------------------------------------------------------
# The clinician's grade: used when the findings cannot grade, compared otherwise.


def test_clinician_grade_disagreeing_with_findings_is_a_warning_and_not_used() -> None:
    result = result_of(make_visit(**skin("maculopapular", 20, clinician_grade=3)))
    assert result["grades"][RASH]["grade"] == 2
    assert any("clinician_grade 3 differs" in w for w in result["warnings"])


def test_clinician_grade_agreeing_is_silent() -> None:
    result = result_of(make_visit(**skin("maculopapular", 20, clinician_grade=2)))
    assert result["grades"][RASH]["grade"] == 2
    assert not [w for w in result["warnings"] if "clinician" in w]


def test_clinician_grade_is_compared_even_when_findings_show_no_rash() -> None:
    result = result_of(make_visit(**skin("maculopapular", 0, clinician_grade=2)))
    assert result["grades"][RASH]["grade"] == 0
    assert any("clinician_grade 2 differs" in w for w in result["warnings"])


def test_clinician_grade_for_bullous_is_compared_with_the_higher_term() -> None:
    result = result_of(
        make_visit(**skin("bullous", 60, detachment_bsa_percent=40, clinician_grade=4))
    )
    assert result["grades"][TEN]["grade"] == 4
    assert not [w for w in result["warnings"] if "clinician" in w]


def test_clinician_grade_that_is_not_a_grade_of_the_term_is_not_used() -> None:
    result = result_of(make_visit(**skin("erythroderma", 80, clinician_grade=1)))
    assert result["grades"][ERY]["grade"] is None
    assert any("not a grade of Erythroderma" in w for w in result["warnings"])


def test_a_bedside_grade_5_is_never_used_grade_5_comes_only_from_died() -> None:
    result = result_of(make_visit(**skin("erythroderma", 80, clinician_grade=5)))
    assert result["grades"][ERY]["grade"] is None
    assert any("only from consequences.died" in w for w in result["warnings"])


@pytest.mark.parametrize(
    ("given", "placed_on"),
    [
        pytest.param(1, RASH, id="grade-1-only-rash"),
        pytest.param(4, ERY, id="grade-4-only-erythroderma"),
        pytest.param(3, None, id="grade-3-ambiguous-not-placed"),
    ],
)
def test_clinician_grade_for_exfoliative_of_unknown_extent_is_never_guessed(
    given: int, placed_on: str | None
) -> None:
    result = result_of(make_visit(**skin("exfoliative", None, clinician_grade=given)))
    grades = result["grades"]
    for term in (RASH, ERY):
        expected = given if term == placed_on else None
        assert grades[term]["grade"] == expected, grades[term]
    if placed_on is None:
        assert any("may be graded as" in w for w in result["warnings"])


# ---------------------------------------------------------------------------------------------
# Consequences belong to one adverse event; grade 5 only from ``died``.


def test_died_true_with_two_terms_that_use_it_is_refused_naming_them() -> None:
    visit = make_visit(
        **fn("0.5", (39, "C")), **skin("erythroderma", 95), consequences={"died": True}
    )
    with pytest.raises(InputError) as caught:
        result_of(visit)
    text = caught.value.one_line()
    assert "consequences.died" in text and FN in text and ERY in text


def test_died_true_with_one_present_term_is_that_term_s_grade_5() -> None:
    grades = result_of(
        make_visit(**fn("0.5", (39, "C")), **skin("maculopapular", 50), consequences={"died": True})
    )["grades"]
    assert grades[FN]["grade"] == 5
    assert grades[RASH]["grade"] == 2  # v5.0 rash maculo-papular has no grade 5


def test_died_listing_one_of_two_present_terms_is_not_ambiguous() -> None:
    grades = result_of(
        make_visit(**fn("0.5", (39, "C")), **skin("erythroderma", 95), consequences={"died": [ERY]})
    )["grades"]
    assert (grades[FN]["grade"], grades[ERY]["grade"]) == (3, 5)


def test_grade_5_needs_died() -> None:
    grades = result_of(
        make_visit(**fn("0.1", (41, "C"), 48), consequences={"life_threatening": True})
    )["grades"]
    assert grades[FN]["grade"] == 4
    assert all(g["grade"] != 5 for g in grades.values())


def test_result_has_every_v5_term_and_no_other() -> None:
    result = result_of(make_visit())
    assert set(result["grades"]) == {
        "neutrophil_count_decreased",
        FN,
        "platelet_count_decreased",
        RASH,
        ERY,
        EM,
        SJS,
        TEN,
        # visit format extension A's terms, absent here (no input)
        "alanine_aminotransferase_increased",
        "aspartate_aminotransferase_increased",
        "blood_bilirubin_increased",
        "anemia",
        "weight_gain",
        "edema_limbs",
        "periorbital_edema",
        "edema_face",
        "pleural_effusion",
    }
    assert result["rules"]["ctcae_version"] == "5.0"
    for got in result["grades"].values():
        assert got["grade"] is None and got["not_gradable"]


def test_death_attributed_to_a_clinician_graded_term_gives_its_grade_5() -> None:
    result = result_of(
        make_visit(
            skin={"morphology": "erythroderma", "clinician_grade": 3},
            consequences={"died": ["erythroderma"]},
        )
    )
    assert result["grades"][ERY]["grade"] == 5
    assert not [w for w in result["warnings"] if "not present" in w or "clinician" in w]
