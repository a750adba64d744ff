"""The visit model (``gist_tox.visit``): contract defaults, strict types, plausible values."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from conftest import make_visit, result_of
from gist_tox.units import (
    COUNT_UNIT_FACTORS,
    COUNT_UNIT_SPELLINGS,
    PLAUSIBLE_MAX_COUNT,
    PLAUSIBLE_MIN_LLN,
    count_to_canonical,
)
from gist_tox.visit import Visit, anc_from_differential


def visit(**sections: Any) -> Visit:
    return Visit.model_validate(make_visit(**sections))


def refused(**sections: Any) -> str:
    with pytest.raises(ValidationError) as caught:
        visit(**sections)
    return str(caught.value)


def test_defaults_of_the_contract() -> None:
    v = visit(skin={"bsa_percent": 10}, consequences={})
    assert v.labs is None and v.fever is None and v.history == []
    assert v.skin is not None and v.skin.symptoms == "none" and v.skin.adl_limitation == "none"
    assert v.skin.intervention == "none" and v.skin.detachment_bsa_percent == 0
    assert v.skin.mucosal_involvement is False
    assert v.consequences is not None and v.consequences.life_threatening is False


def test_dates_are_iso_dates_only() -> None:
    assert visit(date="2024-02-29").date == dt.date(2024, 2, 29)
    assert visit(date=dt.date(2024, 3, 1)).date == dt.date(2024, 3, 1)
    assert "impossible date" in refused(date="2023-02-29")
    assert "YYYY-MM-DD" in refused(date="1/3/2024")
    assert "got 20240301" in refused(date=20240301)
    assert "not a date and time" in refused(date=dt.datetime(2024, 3, 1, 10, 0))


@pytest.mark.parametrize(
    ("char", "name"),
    [
        ("\u200b", "U+200B (ZERO WIDTH SPACE)"),
        ("\u200e", "U+200E (LEFT-TO-RIGHT MARK)"),
        ("\u200f", "U+200F (RIGHT-TO-LEFT MARK)"),
        ("\u061c", "U+061C (ARABIC LETTER MARK)"),
        ("\u00ad", "U+00AD (SOFT HYPHEN)"),
        ("\u2060", "U+2060 (WORD JOINER)"),
        ("\u00a0", "U+00A0 (NO-BREAK SPACE)"),
        ("\u3164", "U+3164 (HANGUL FILLER)"),
        ("\ufe0f", "U+FE0F (VARIATION SELECTOR-16)"),
    ],
)
def test_a_patient_id_holds_only_characters_that_show_as_themselves(char: str, name: str) -> None:
    """``HWANG\u200b-2010`` shows as ``HWANG-2010`` but would be another patient."""
    message = refused(patient={"id": f"HWANG{char}-2010"})
    assert f"contains {name} at character 6" in message


def test_a_patient_id_may_use_any_visible_letters() -> None:
    for id_ in ("GIST 0007", "\u00c9L\u00c8VE-\u6d4b\u8bd5", "\u0645\u0631\u064a\u0636-1"):
        assert visit(patient={"id": id_}).patient.id == id_


def test_unquoted_ctcae_version_is_read_as_text() -> None:
    assert visit(ctcae_version=5.0).ctcae_version == "5.0"
    assert visit(ctcae_version="6.0").ctcae_version == "6.0"
    assert "'5.0' or '6.0'" in refused(ctcae_version=4.0)


@pytest.mark.parametrize(
    ("name", "unit", "highest"),
    [
        ("anc", "10^9/L", 200),
        ("anc", "/uL", 200_000),
        ("platelets", "10^9/L", 5000),
        ("wbc", "cells/uL", 1_000_000),
    ],
)
def test_counts_are_plausible_up_to_the_bound_and_not_beyond(
    name: str, unit: str, highest: int
) -> None:
    visit(labs={name: {"value": highest, "unit": unit}})
    assert "implausible" in refused(labs={name: {"value": highest + 1, "unit": unit}})
    assert "implausible" in refused(labs={name: {"value": 1, "unit": unit, "lln": highest + 1}})


_UNITS = ["10^9/L", "10^3/uL", "/uL", "/mm3", "cells/uL"]
_NEAR_BOUNDS = st.sampled_from([0.5, 50, 200, 1000, 5000]).flatmap(
    lambda bound: st.sampled_from(_UNITS).flatmap(
        lambda unit: st.tuples(
            st.just(unit),
            st.floats(
                min_value=float(bound / COUNT_UNIT_FACTORS[unit]) * 0.999999,
                max_value=float(bound / COUNT_UNIT_FACTORS[unit]) * 1.000001,
            )
            | st.just(float(bound / COUNT_UNIT_FACTORS[unit])),
        )
    )
)


@settings(max_examples=300, deadline=None)
@given(name=st.sampled_from(["anc", "platelets", "wbc"]), unit_value=_NEAR_BOUNDS)
def test_plausibility_bounds_compare_the_exact_written_value(
    name: str, unit_value: tuple[str, float]
) -> None:
    """Values around every bound, in every unit: refused exactly when the exact written value
    (``units.exact``) is beyond it, as the bounds' docstrings say."""
    unit, value = unit_value
    high = PLAUSIBLE_MAX_COUNT[name]
    low = PLAUSIBLE_MIN_LLN.get(name)
    expect_value_ok = count_to_canonical(value, unit) <= high
    expect_lln_ok = expect_value_ok and (low is None or count_to_canonical(value, unit) >= low)
    for section, ok in (
        ({"value": value, "unit": unit}, expect_value_ok),
        ({"value": 1, "unit": unit, "lln": value}, expect_lln_ok),
    ):
        if value == 0 and "lln" in section:
            continue
        try:
            visit(labs={name: section})
            accepted = True
        except ValidationError:
            accepted = False
        assert accepted == ok, (section, count_to_canonical(value, unit))


def test_counts_cannot_be_negative_and_lln_cannot_be_0() -> None:
    visit(labs={"anc": {"value": 0, "unit": "10^9/L"}})
    assert "greater than or equal to 0" in refused(
        labs={"anc": {"value": -0.001, "unit": "10^9/L"}}
    )
    assert "not a lower limit of normal" in refused(
        labs={"anc": {"value": 1, "unit": "10^9/L", "lln": 0}}
    )


@pytest.mark.parametrize(
    ("value", "unit", "ok"),
    [
        (25, "C", True),
        (24.9, "C", False),
        (45, "C", True),
        (45.1, "C", False),
        (77, "F", True),
        (76.9, "F", False),
        (113, "F", True),
        (113.1, "F", False),
    ],
)
def test_temperatures_are_plausible_between_25_and_45_c(value: float, unit: str, ok: bool) -> None:
    fever = {"max_temperature": {"value": value, "unit": unit}}
    if ok:
        visit(fever=fever)
    else:
        assert "implausible" in refused(fever=fever)


def test_percentages_are_0_to_100_and_bands_need_neutrophils() -> None:
    visit(labs={"neutrophils_percent": 95, "bands_percent": 5})
    assert "exceed 100" in refused(labs={"neutrophils_percent": 95, "bands_percent": 5.5})
    assert "without neutrophils_percent" in refused(labs={"bands_percent": 5})
    assert "less than or equal to 100" in refused(skin={"bsa_percent": 100.01})


def test_skin_needs_bsa_or_a_clinician_grade() -> None:
    visit(skin={"clinician_grade": 2})
    assert "bsa_percent is required" in refused(skin={"morphology": "bullous"})


def test_strict_types_never_coerce_text() -> None:
    refused(imatinib={"current_dose_mg": "400"})
    refused(labs={"anc": {"value": "1.2", "unit": "10^9/L"}})
    refused(skin={"bsa_percent": 1, "tenderness": "no"})


def test_non_finite_numbers_are_refused_by_the_model_too() -> None:
    for bad in (float("nan"), float("inf")):
        refused(labs={"anc": {"value": bad, "unit": "10^9/L"}})
        refused(fever={"max_temperature": {"value": bad, "unit": "C"}})


def test_hold_categories_deduplicate() -> None:
    v = visit(imatinib={"current_dose_mg": 0, "on_hold_for": ["skin", "skin", "other"]})
    assert v.imatinib.hold_categories == ("skin", "other")


def test_anc_from_the_differential_is_exact() -> None:
    v = visit(
        labs={
            "wbc": {"value": 2.1, "unit": "10^9/L"},
            "neutrophils_percent": 15,
            "bands_percent": 5,
        }
    )
    assert v.labs is not None
    derived = anc_from_differential(v.labs)
    assert derived is not None and derived[0] == Fraction(42, 100)
    assert "bands 5%" in derived[1]


@pytest.mark.parametrize("spelling", sorted(COUNT_UNIT_SPELLINGS))
def test_a_count_unit_spelling_grades_exactly_as_the_unit_it_means(spelling: str) -> None:
    """Accepting a spelling never changes a result: the visit is the one written in the unit
    the spelling means (1,000-fold units keep their factor)."""
    unit = COUNT_UNIT_SPELLINGS[spelling]
    value = 0.9 if COUNT_UNIT_FACTORS[unit] == 1 else 900
    written = {"anc": {"value": value, "unit": spelling.replace("K", "k")}}
    canonical = {"anc": {"value": value, "unit": unit}}
    assert result_of(make_visit(labs=written)) == result_of(make_visit(labs=canonical))


@pytest.mark.parametrize(("spelling", "unit"), [("Cel", "C"), ("[degF]", "F"), ("[DEGF]", "F")])
def test_a_temperature_spelling_reads_as_the_unit_it_means(spelling: str, unit: str) -> None:
    fever = {"max_temperature": {"value": 101 if unit == "F" else 38.4, "unit": spelling}}
    assert visit(fever=fever).fever.max_temperature.unit == unit  # type: ignore[union-attr]


def test_a_spelling_whose_case_means_another_unit_is_refused() -> None:
    assert "input_value='g/L'" in refused(labs={"anc": {"value": 1, "unit": "g/L"}})  # grams
    assert "input_value='/UL'" in refused(labs={"anc": {"value": 1, "unit": "/UL"}})  # enzyme U


def test_a_normal_skin_exam_has_one_spelling_and_grades_every_skin_term_0() -> None:
    result = result_of(make_visit(skin={"bsa_percent": 0}))
    skin_terms = [g for g in result["grades"].values() if "rash" in (g["basis"] or "")]
    assert len(skin_terms) == 5
    assert {g["grade"] for g in skin_terms} == {0}
    assert {g["basis"] for g in skin_terms} == {"skin examined, no rash"}


@pytest.mark.parametrize("word", ["none", "None", "normal"])
def test_morphology_none_is_refused_with_the_spelling_of_a_normal_exam(word: str) -> None:
    assert "skin: {bsa_percent: 0}" in refused(skin={"morphology": word, "bsa_percent": 0})


def test_an_empty_skin_section_is_refused_with_the_spelling_of_a_normal_exam() -> None:
    assert "skin: {bsa_percent: 0}" in refused(skin={})
