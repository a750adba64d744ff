"""Exact unit conversion: no value is rounded before it meets a CTCAE threshold."""

from __future__ import annotations

import re
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gist_tox.units import (
    COUNT_UNIT_FACTORS,
    COUNT_UNIT_SPELLINGS,
    TEMPERATURE_UNIT_SPELLINGS,
    count_to_canonical,
    count_unit,
    exact,
    show,
    spelling_pattern,
    temperature_to_celsius,
    temperature_unit,
    to_json_number,
)


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        pytest.param(0.42, "10^9/L", Fraction(42, 100), id="10^9/L"),
        pytest.param(0.42, "10^3/uL", Fraction(42, 100), id="10^3/uL-same-number"),
        pytest.param(999, "/uL", Fraction(999, 1000), id="/uL-999-is-0.999"),
        pytest.param(1500, "/mm3", Fraction(3, 2), id="/mm3"),
        pytest.param(75000, "cells/uL", Fraction(75), id="cells/uL"),
        pytest.param(74999, "cells/uL", Fraction(74999, 1000), id="cells/uL-just-below-75"),
    ],
)
def test_counts_convert_exactly_to_10e9_per_l(value: float, unit: str, expected: Fraction) -> None:
    assert count_to_canonical(value, unit) == expected


def test_every_contract_count_unit_is_known() -> None:
    assert set(COUNT_UNIT_FACTORS) == {"10^9/L", "10^3/uL", "/uL", "/mm3", "cells/uL"}


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        pytest.param(100.4, "F", Fraction(38), id="100.4F-is-exactly-38C"),
        pytest.param(101, "F", Fraction(115, 3), id="101F-is-38.33C"),
        pytest.param(38.3, "C", Fraction(383, 10), id="C-unchanged"),
        pytest.param(32, "F", Fraction(0), id="freezing"),
    ],
)
def test_temperatures_convert_exactly_to_celsius(
    value: float, unit: str, expected: Fraction
) -> None:
    assert temperature_to_celsius(value, unit) == expected


def test_101_f_is_above_38_3_c_and_100_4_f_is_not_above_38() -> None:
    assert temperature_to_celsius(101, "F") > Fraction(383, 10)
    assert not temperature_to_celsius(100.4, "F") > 38
    assert temperature_to_celsius(100.4, "F") >= 38


def test_exact_reads_a_float_as_the_decimal_written() -> None:
    assert exact(0.1) == Fraction(1, 10)
    assert exact(0.1) + exact(0.2) == exact(0.3)


def test_show_is_exact_or_marked_as_rounded() -> None:
    assert show(Fraction(999, 1000)) == "0.999"
    assert show(Fraction(115, 3)) == "~38.33"


def test_json_numbers_are_ints_when_whole() -> None:
    assert to_json_number(Fraction(75)) == 75 and isinstance(to_json_number(Fraction(75)), int)
    assert to_json_number(Fraction(1, 2)) == 0.5


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(st.floats(allow_nan=False, allow_infinity=False), st.integers(-(10**30), 10**30)),
    st.sampled_from([*COUNT_UNIT_FACTORS, "C", "F"]),
)
def test_remembered_conversions_equal_converting_afresh(value: float | int, unit: str) -> None:
    """The bounded caches of conversions give what the conversion itself gives, asked twice,
    for ints and floats that are equal but written differently (1e23 is not 10**23)."""
    fresh = Fraction(repr(value)) if isinstance(value, float) else Fraction(value)
    for _ in range(2):
        assert exact(value) == fresh
        if unit in COUNT_UNIT_FACTORS:
            assert count_to_canonical(value, unit) == fresh * COUNT_UNIT_FACTORS[unit]
        else:
            celsius = fresh if unit == "C" else (fresh - 32) * Fraction(5, 9)
            assert temperature_to_celsius(value, unit) == celsius


def test_equal_int_and_float_are_not_confused_by_the_caches() -> None:
    as_int = int(1e23)  # 99999999999999991611392, the float's exact value
    assert count_to_canonical(1e23, "10^9/L") == 10**23  # the float as written
    assert count_to_canonical(as_int, "10^9/L") == as_int
    assert count_to_canonical(1e23, "10^9/L") == 10**23
    assert exact(-0.0) == 0 and exact(0.0) == 0
    assert count_to_canonical(True, "10^9/L") == 1 and count_to_canonical(1.0, "10^9/L") == 1


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan")])
def test_a_float_that_is_not_a_number_is_refused_as_fraction_refuses_it(value: float) -> None:
    with pytest.raises(ValueError) as expected:
        Fraction(repr(value))
    with pytest.raises(ValueError) as got:
        exact(value)
    assert str(got.value) == str(expected.value)


# Spellings of units (labs write the same unit many ways; each is mapped exactly, never guessed)


@pytest.mark.parametrize(
    ("spelling", "unit"),
    [
        ("10^9/l", "10^9/L"),
        ("x10^9/L", "10^9/L"),
        ("X10^9/l", "10^9/L"),
        ("10*9/L", "10^9/L"),
        ("G/L", "10^9/L"),
        ("G/l", "10^9/L"),
        ("10*3/uL", "10^3/uL"),
        ("x10^3/uL", "10^3/uL"),
        ("K/uL", "10^3/uL"),
        ("k/ul", "10^3/uL"),
        ("{cells}/uL", "cells/uL"),
        ("Cells/uL", "cells/uL"),
        *((u, u) for u in ("10^9/L", "10^3/uL", "/uL", "/mm3", "cells/uL")),
    ],
)
def test_count_unit_spellings_map_to_a_unit_with_the_same_meaning(spelling: str, unit: str) -> None:
    assert count_unit(spelling) == unit


@pytest.mark.parametrize(
    "spelling",
    # grams per litre; the enzyme unit; mega; a spelling nobody defined; a temperature
    ["g/L", "g/l", "/UL", "K/UL", "/MM3", "/Mm3", "10^9", "10^9/L ", "x10^6/L", "C", ""],
)
def test_count_spellings_whose_case_or_form_means_something_else_are_unknown(
    spelling: str,
) -> None:
    assert count_unit(spelling) is None


@pytest.mark.parametrize(
    ("spelling", "unit"),
    [("C", "C"), ("F", "F"), ("Cel", "C"), ("CEL", "C"), ("[degF]", "F"), ("[DEGF]", "F")],
)
def test_temperature_spellings(spelling: str, unit: str) -> None:
    assert temperature_unit(spelling) == unit


@pytest.mark.parametrize("spelling", ["c", "f", "K", "degF", "Celsius", "°C", "[degC]"])
def test_other_temperature_spellings_are_unknown(spelling: str) -> None:
    assert temperature_unit(spelling) is None


def test_every_spelling_means_a_unit_of_the_format() -> None:
    assert set(COUNT_UNIT_SPELLINGS.values()) == set(COUNT_UNIT_FACTORS)
    assert set(TEMPERATURE_UNIT_SPELLINGS.values()) == {"C", "F"}


_UNIT_TEXT = st.one_of(
    st.sampled_from([*COUNT_UNIT_SPELLINGS, *TEMPERATURE_UNIT_SPELLINGS]).flatmap(
        lambda s: st.lists(st.booleans(), min_size=len(s), max_size=len(s)).map(
            lambda flips: "".join(c.swapcase() if f else c for c, f in zip(s, flips, strict=True))
        )
    ),
    st.text(alphabet="0139^*x/uLlGgKkmMCcFfel{}[]sd", max_size=10),
)


@settings(max_examples=400, deadline=None)
@given(_UNIT_TEXT)
def test_the_schema_pattern_accepts_exactly_what_the_tool_accepts(text: str) -> None:
    """Editors check units with the JSON Schema's pattern; it must agree with the tool, case
    variants included."""
    assert bool(re.fullmatch(spelling_pattern("count"), text)) == (count_unit(text) is not None)
    assert bool(re.fullmatch(spelling_pattern("temperature"), text)) == (
        temperature_unit(text) is not None
    )
