"""Units of the visit format and their exact conversion.

Conversions use :class:`fractions.Fraction` so that no value is rounded before it is compared
with a CTCAE threshold: 999 /uL is exactly 999/1000 x10^9/L, and 100.4 F is exactly 38 C.
The plausibility bounds here are data sanity (a count cannot be negative), not clinical criteria;
clinical thresholds live only in ``rules/``.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from math import isfinite
from typing import Literal

CountUnit = Literal["10^9/L", "10^3/uL", "/uL", "/mm3", "cells/uL"]
TemperatureUnit = Literal["C", "F"]

COUNT_UNIT_FACTORS: dict[str, Fraction] = {
    "10^9/L": Fraction(1),
    "10^3/uL": Fraction(1),
    "/uL": Fraction(1, 1000),
    "/mm3": Fraction(1, 1000),
    "cells/uL": Fraction(1, 1000),
}
"""Multiply a count in the key's unit by the factor to get 10^9/L."""

COUNT_UNIT_SPELLINGS: dict[str, CountUnit] = {
    "10^9/L": "10^9/L",
    "x10^9/L": "10^9/L",
    "10*9/L": "10^9/L",  # UCUM
    "G/L": "10^9/L",  # giga per litre (g/L, grams per litre, is refused)
    "10^3/uL": "10^3/uL",
    "x10^3/uL": "10^3/uL",
    "10*3/uL": "10^3/uL",  # UCUM
    "K/uL": "10^3/uL",  # thousands per microlitre, as analysers print it
    "/uL": "/uL",
    "/mm3": "/mm3",
    "cells/uL": "cells/uL",
    "{cells}/uL": "cells/uL",  # UCUM, with its annotation
}
"""Every spelling of a count unit a visit may use, and the unit of the visit format it means.

This is the one place these spellings are known (the visit model, its JSON Schema and the FHIR
reader all read it).  Each maps to a unit with the same factor, so a spelling never changes a
number: ``K/uL`` is ``10^3/uL``.  Letters match in either case except where the case carries the
meaning (:data:`COUNT_CASE_SENSITIVE`)."""

TEMPERATURE_UNIT_SPELLINGS: dict[str, TemperatureUnit] = {
    "C": "C",
    "F": "F",
    "Cel": "C",  # UCUM
    "[degF]": "F",  # UCUM
}
"""Every spelling of a temperature unit, and the unit of the visit format it means."""

COUNT_CASE_SENSITIVE = frozenset("uUmMgG")
"""Letters of a count unit whose case changes its meaning: ``u`` micro but ``U`` the enzyme
unit, ``m`` milli but ``M`` mega, ``G`` giga but ``g`` gram.  Every other letter (``L``/``l``
litre, ``K``/``k`` thousand, ``x``/``X``, ``cells``) and every letter of a temperature unit of
more than one letter (``Cel``, ``[degF]``) matches in either case.  A one-letter spelling
(``C``, ``F``) matches only exactly: alone, ``c`` and ``f`` are prefixes."""


def _folded(spelling: str, sensitive: frozenset[str]) -> str:
    return "".join(ch if ch in sensitive else ch.lower() for ch in spelling)


_COUNT_FOLDED: dict[str, CountUnit] = {
    _folded(k, COUNT_CASE_SENSITIVE): v for k, v in COUNT_UNIT_SPELLINGS.items()
}
_TEMPERATURE_FOLDED: dict[str, TemperatureUnit] = {
    _folded(k, frozenset()): v for k, v in TEMPERATURE_UNIT_SPELLINGS.items() if len(k) > 1
}


def count_unit(spelling: str) -> CountUnit | None:
    """The visit format's count unit that ``spelling`` means, or None when it is none we know."""
    found = COUNT_UNIT_SPELLINGS.get(spelling)
    if found is not None:
        return found
    return _COUNT_FOLDED.get(_folded(spelling, COUNT_CASE_SENSITIVE))


def temperature_unit(spelling: str) -> TemperatureUnit | None:
    """The visit format's temperature unit that ``spelling`` means, or None when it is none."""
    found = TEMPERATURE_UNIT_SPELLINGS.get(spelling)
    if found is not None or len(spelling) < 2:
        return found
    return _TEMPERATURE_FOLDED.get(_folded(spelling, frozenset()))


def spelling_pattern(kind: Literal["count", "temperature"]) -> str:
    """A JSON Schema ``pattern`` (ECMA-262, no flags) that accepts exactly the spellings
    :func:`count_unit` or :func:`temperature_unit` accepts."""
    import re

    spellings, sensitive = (
        (COUNT_UNIT_SPELLINGS, COUNT_CASE_SENSITIVE)
        if kind == "count"
        else (TEMPERATURE_UNIT_SPELLINGS, frozenset())
    )

    def one(spelling: str) -> str:
        if len(spelling) == 1:
            return re.escape(spelling)
        return "".join(
            f"[{ch.upper()}{ch.lower()}]" if ch.isalpha() and ch not in sensitive else re.escape(ch)
            for ch in spelling
        )

    return "^(?:" + "|".join(one(s) for s in spellings) + ")$"


PLAUSIBLE_MAX_COUNT = {
    "anc": Fraction(200),
    "wbc": Fraction(1000),
    "platelets": Fraction(5000),
}
"""Upper bounds in 10^9/L beyond which a count is taken to be a unit or typing error."""

PLAUSIBLE_MIN_LLN = {
    "anc": Fraction("0.5"),
    "platelets": Fraction(50),
}
"""Lower bounds in 10^9/L for a lab's lower limit of normal.  An LLN below them would itself be
a CTCAE grade 3 count: it is a unit error (e.g. ``lln: 1.8`` in 10^9/L beside a value in /uL,
read as 0.0018 x10^9/L), which would silently turn grade 1 findings into grade 0."""

PLAUSIBLE_CELSIUS = (Fraction(25), Fraction(45))


def exact(number: float | int | Decimal | Fraction) -> Fraction:
    """The exact value a person wrote: 0.1 means one tenth, not the nearest binary float."""
    kind = type(number)
    if kind is Fraction:
        return number  # type: ignore[return-value]
    if kind is float:
        return _exact_float(number)
    return Fraction(number)


# The conversions below are remembered for the values last seen: a batch meets the same lab
# values, LLNs and temperatures again and again, and reading a float's text into a Fraction is
# the costly part.  A Fraction is immutable, so sharing one is safe; the caches are bounded.


@lru_cache(maxsize=4096)
def _exact_float(number: float) -> Fraction:
    # Floats that are equal have the same shortest text, except 0.0 and -0.0 (both exactly 0).
    text = repr(number)  # the shortest text that reads back as this float
    if not isfinite(number):
        return Fraction(text)  # refused, with Fraction's own error
    # The text read exactly by Decimal, in lowest terms: Fraction(text), a few times quicker.
    return Fraction(*Decimal(text).as_integer_ratio())


# ``typed``: an int and a float that are equal may still be written differently (the float
# 1e23 is the int 99999999999999991611392, but its text says 10**23), so they are not shared.


@lru_cache(maxsize=4096, typed=True)
def count_to_canonical(value: float | int, unit: str) -> Fraction:
    return exact(value) * COUNT_UNIT_FACTORS[unit]


@lru_cache(maxsize=1024, typed=True)
def temperature_to_celsius(value: float | int, unit: str) -> Fraction:
    if unit == "C":
        return exact(value)
    return (exact(value) - 32) * Fraction(5, 9)


def show(number: Fraction, places: int = 2) -> str:
    """A decimal rendering for people: exact when it has at most six decimals, else rounded
    to ``places`` and marked with "~" so that a reader knows it was rounded for display only."""
    return _show(*number.as_integer_ratio(), places)


# Remembered by the number's integer pair, not by the Fraction: hashing a Fraction computes a
# modular inverse, which cost more than the look-up saved (every basis shows its numbers).


@lru_cache(maxsize=4096)
def _show(numerator: int, denominator: int, places: int) -> str:
    as_decimal = Decimal(numerator) / Decimal(denominator)
    is_exact = as_decimal.as_integer_ratio() == (numerator, denominator)
    if is_exact and -as_decimal.normalize().as_tuple().exponent <= 6:  # type: ignore[operator]
        return format(as_decimal.normalize(), "f")
    return "~" + f"{as_decimal:.{places}f}"


def to_json_number(number: Fraction) -> float | int:
    """A JSON-friendly number: an int when whole, else the nearest float (``int / int`` is
    correctly rounded, exactly as ``float(number)``)."""
    numerator, denominator = number.as_integer_ratio()
    if denominator == 1:
        return int(numerator)
    return numerator / denominator
