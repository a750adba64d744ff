"""CTCAE v5.0 grading beyond one term's cell: what a result reports about its inputs, how skin
findings route between terms, the clinician's grade, and consequences shared by terms.  Each
term's cells, both sides of every threshold, are the golden cases (cases/ctcae-5.0/)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import make_visit, result_of
from gist_tox.errors import InputError

FN = "febrile_neutropenia"
RASH = "rash_maculo_papular"
ERY = "erythroderma"
EM = "erythema_multiforme"
SJS = "stevens_johnson_syndrome"
TEN = "toxic_epidermal_necrolysis"
COUNT_UNITS = {"10^9/L": 1, "10^3/uL": 1, "/uL": 1000, "/mm3": 1000, "cells/uL": 1000}


# ---------------------------------------------------------------------------------------------
# Neutrophil count decreased


def anc(value_e9: str, unit: str, lln: str | None = None) -> dict[str, Any]:
    """An ANC written in ``unit`` from a decimal string in 10^9/L (no float arithmetic)."""
    from decimal import Decimal

    factor = COUNT_UNITS[unit]
    lab: dict[str, Any] = {"value": float(Decimal(value_e9) * factor), "unit": unit}
    if lln is not None:
        lab["lln"] = float(Decimal(lln) * factor)
    return {"labs": {"anc": lab}}


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


# --------------------------------------------------------------------------------------------
# CTCAE v6.0 beside v5.0: where the same findings grade differently (each version's own cells
# are its golden cases).


def grade6(**sections: Any) -> dict[str, Any]:
    grades: dict[str, Any] = result_of(make_visit(**sections), "6.0")["grades"]
    return grades


def grade5(**sections: Any) -> dict[str, Any]:
    grades: dict[str, Any] = result_of(make_visit(**sections), "5.0")["grades"]
    return grades


def anc_lab(value: float, unit: str = "10^9/L", **extra: Any) -> dict[str, Any]:
    return {"anc": {"value": value, "unit": unit, **extra}}


def plt_lab(value: float, unit: str = "10^9/L", **extra: Any) -> dict[str, Any]:
    return {"platelets": {"value": value, "unit": unit, **extra}}


def test_neutrophils_v6_grade_1_ignores_the_lln() -> None:
    # 1.6 is below the lab's LLN of 1.8: grade 1 in v5.0, grade 0 in v6.0.
    assert grade5(labs=anc_lab(1.6, lln=1.8))["neutrophil_count_decreased"]["grade"] == 1
    assert grade6(labs=anc_lab(1.6, lln=1.8))["neutrophil_count_decreased"]["grade"] == 0


def mp_skin(**findings: Any) -> dict[str, Any]:
    return {"skin": {"morphology": "maculopapular", **findings}}


def test_rash_maculo_papular_v6_grades_4_and_5_read_its_own_consequences() -> None:
    findings = mp_skin(bsa_percent=70, symptoms="severe")
    assert (
        grade6(**findings, consequences={"life_threatening": ["rash_maculo_papular"]})[
            "rash_maculo_papular"
        ]["grade"]
        == 4
    )
    assert grade6(**findings, consequences={"died": True})["rash_maculo_papular"]["grade"] == 5
    # v5.0 has no grade 4 or 5 for this term: the consequence is a warning, not a grade.
    result = result_of(make_visit(**findings, consequences={"died": True}), "5.0")
    assert result["grades"]["rash_maculo_papular"]["grade"] == 3
    assert any("consequences.died" in w for w in result["warnings"])


def test_exfoliative_over_90_is_erythroderma_in_v5_and_both_terms_in_v6() -> None:
    findings = {
        "morphology": "exfoliative",
        "bsa_percent": 95,
        "symptoms": "moderate",
        "intervention": "iv",
    }
    v5, v6 = grade5(skin=findings), grade6(skin=findings)
    assert "exfoliative_dermatitis" not in v5
    assert (v5["erythroderma"]["grade"], v5["rash_maculo_papular"]["grade"]) == (3, 0)
    assert (
        v6["exfoliative_dermatitis"]["grade"],
        v6["erythroderma"]["grade"],
        v6["rash_maculo_papular"]["grade"],
    ) == (3, 3, 0)


def test_sjs_life_threatening_is_grade_4_in_v6_only() -> None:
    findings = {"morphology": "bullous", "bsa_percent": 20, "detachment_bsa_percent": 5}
    lt = {"life_threatening": True}
    assert grade6(skin=findings, consequences=lt)["stevens_johnson_syndrome"]["grade"] == 4
    assert grade5(skin=findings, consequences=lt)["stevens_johnson_syndrome"]["grade"] == 3


def test_life_threatening_true_fn_with_exfoliative_dermatitis_is_refused_in_v6_only() -> None:
    visit = make_visit(
        labs=anc_lab(0.3),
        fever={"max_temperature": {"value": 39.4, "unit": "C"}, "hours_at_or_above_38": 20},
        consequences={"life_threatening": True},
        skin={"morphology": "exfoliative", "bsa_percent": 95, "intervention": "iv"},
    )
    assert result_of(visit, "5.0")["grades"]["febrile_neutropenia"]["grade"] == 4
    with pytest.raises(InputError, match="exfoliative_dermatitis"):
        result_of(visit, "6.0")


_COUNTS = st.integers(min_value=0, max_value=150_000)  # cells/uL


@settings(max_examples=40, deadline=None)
@given(low=_COUNTS, high=_COUNTS)
def test_v6_count_grades_are_monotone_and_unit_invariant(low: int, high: int) -> None:
    """A lower count never gives a lower grade, and /uL and 10^9/L give the same grade."""
    low, high = sorted((low, high))
    for term, lab in (("neutrophil_count_decreased", "anc"), ("thrombocytopenia", "platelets")):
        per_ul = [
            grade6(labs={lab: {"value": n, "unit": "/uL"}})[term]["grade"] for n in (low, high)
        ]
        si = grade6(labs={lab: {"value": low / 1000, "unit": "10^9/L"}})[term]["grade"]
        assert per_ul[0] >= per_ul[1]
        assert si == per_ul[0]  # low/1000 as written is exact decimal: no rounding drift


# --------------------------------------------------------------------------------------------
# The same visit under both versions


@pytest.mark.parametrize(
    ("sections", "term5", "term6", "v5", "v6"),
    [
        ({"labs": anc_lab(0.7)}, "neutrophil_count_decreased", "neutrophil_count_decreased", 3, 2),
        ({"labs": anc_lab(0.3)}, "neutrophil_count_decreased", "neutrophil_count_decreased", 4, 3),
        ({"labs": plt_lab(24)}, "platelet_count_decreased", "thrombocytopenia", 4, 3),
        (
            mp_skin(bsa_percent=60, symptoms="none"),
            "rash_maculo_papular",
            "rash_maculo_papular",
            2,
            3,
        ),
        (
            mp_skin(bsa_percent=8, symptoms="moderate"),
            "rash_maculo_papular",
            "rash_maculo_papular",
            1,
            3,
        ),
        (
            mp_skin(bsa_percent=20, adl_limitation="self_care"),
            "rash_maculo_papular",
            "rash_maculo_papular",
            3,
            1,
        ),
        (
            {"skin": {"morphology": "target_lesions", "bsa_percent": 20}},
            "erythema_multiforme",
            "erythema_multiforme",
            None,
            1,
        ),
    ],
)
def test_same_visit_differs_between_versions(
    sections: dict[str, Any], term5: str, term6: str, v5: int | None, v6: int
) -> None:
    assert grade5(**sections)[term5]["grade"] == v5
    assert grade6(**sections)[term6]["grade"] == v6


def test_forty_percent_sloughing_sjs_grade_4_in_v6_beyond_the_v5_band() -> None:
    findings = {"morphology": "bullous", "bsa_percent": 50, "detachment_bsa_percent": 40}
    assert grade5(skin=findings)["stevens_johnson_syndrome"]["grade"] == 0
    assert grade6(skin=findings)["stevens_johnson_syndrome"]["grade"] == 4
    assert grade5(skin=findings)["toxic_epidermal_necrolysis"]["grade"] == 4
    assert grade6(skin=findings)["toxic_epidermal_necrolysis"]["grade"] == 4
