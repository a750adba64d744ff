"""The closed vocabulary of conditions a rule file may state, and their evaluation.

A condition is data, parsed into these pydantic models and interpreted here; nothing in a rule
file is ever evaluated as code.  Evaluation is three-valued (Kleene logic): a comparison over a
missing input is *unknown*, ``any`` is true as soon as one branch is true, ``all`` is false as
soon as one branch is false.  That is what lets "ANC >= 1.0 rules out febrile neutropenia, with
or without a temperature" hold while "ANC 0.8 and no temperature" stays not gradable.

Forms (YAML):

* ``{field: labs.anc, lt: 1.0, ge: 0.5}`` — every bound must hold (``lt``, ``le``, ``gt``, ``ge``);
  a bound is a number or ``{field: labs.anc.lln}`` (another input);
* ``{field: skin.tenderness, is: true}`` — a yes/no input;
* ``{field: skin.symptoms, in: [moderate, severe]}`` — an enumerated input;
* ``{all: [...]}``, ``{any: [...]}``, ``{not: {...}}``.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Annotated, Any, Protocol, Union

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, model_validator

from gist_tox.units import exact

BOUND_SYMBOLS: dict[str, str] = {"lt": "<", "le": "<=", "gt": ">", "ge": ">="}
"""Each bound of a comparison, in the order it is read and shown, with its symbol."""


class _Node(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class FieldRef(_Node):
    """A bound taken from another input, such as the lab's lower limit of normal."""

    field: str


Bound = Annotated[float, Field(allow_inf_nan=False)] | FieldRef


class Compare(_Node):
    """A numeric input within bounds; every bound given must hold."""

    field: str
    lt: Bound | None = None
    le: Bound | None = None
    gt: Bound | None = None
    ge: Bound | None = None

    @model_validator(mode="after")
    def _has_bound(self) -> Compare:
        if not self.bounds():
            raise ValueError("a comparison needs at least one of lt, le, gt, ge")
        return self

    def bounds(self) -> list[tuple[str, Bound]]:
        return [(op, getattr(self, op)) for op in BOUND_SYMBOLS if getattr(self, op) is not None]


class IsTrue(_Node):
    """A yes/no input equal to ``is``."""

    field: str
    is_: bool = Field(alias="is")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True)


class OneOf(_Node):
    """An enumerated input that is one of ``in``."""

    field: str
    in_: list[str] = Field(alias="in", min_length=1)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True)


class AllOf(_Node):
    all: list[Condition] = Field(min_length=1)


class AnyOf(_Node):
    any: list[Condition] = Field(min_length=1)


class NotOf(_Node):
    not_: Condition = Field(alias="not")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True)


def _kind(value: Any) -> str | None:
    if isinstance(value, BaseModel):
        return type(value).__name__
    if not isinstance(value, dict):
        return None
    for key, kind in (
        ("all", "AllOf"),
        ("any", "AnyOf"),
        ("not", "NotOf"),
        ("is", "IsTrue"),
        ("in", "OneOf"),
    ):
        if key in value:
            return kind
    if "field" in value:
        return "Compare"
    return None


Condition = Annotated[
    Union[  # noqa: UP007 - tagged members read best as one list
        Annotated[Compare, Tag("Compare")],
        Annotated[IsTrue, Tag("IsTrue")],
        Annotated[OneOf, Tag("OneOf")],
        Annotated[AllOf, Tag("AllOf")],
        Annotated[AnyOf, Tag("AnyOf")],
        Annotated[NotOf, Tag("NotOf")],
    ],
    Discriminator(
        _kind,
        custom_error_type="condition",
        custom_error_message=(
            "expected a condition: {field, lt/le/gt/ge}, {field, is}, {field, in}, "
            "{all: [...]}, {any: [...]} or {not: ...}"
        ),
    ),
]

# The recursive references to ``Condition`` resolve when a model is first used (defer_build):
# no schema is built at import time, and none at all for a cached rule set.


def fields_read(condition: Condition) -> list[str]:
    """Every input a condition reads, in order, without repeats (bounds included)."""
    out: list[str] = []
    _collect_fields(condition, out)
    return list(dict.fromkeys(out))


def _collect_fields(node: Condition, out: list[str]) -> None:
    if isinstance(node, AllOf):
        for child in node.all:
            _collect_fields(child, out)
    elif isinstance(node, AnyOf):
        for child in node.any:
            _collect_fields(child, out)
    elif isinstance(node, NotOf):
        _collect_fields(node.not_, out)
    else:
        out.append(node.field)
        if isinstance(node, Compare):
            for op in BOUND_SYMBOLS:  # the order of ``Compare.bounds``
                bound = getattr(node, op)
                if isinstance(bound, FieldRef):
                    out.append(bound.field)


# --------------------------------------------------------------------------------------------
# Evaluation


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


class Record:
    """A plain record with ``__slots__``: field-wise equality and a readable repr.

    Not a dataclass: creating a dataclass costs about a millisecond at import, on every
    start-up of ``gist-tox grade``; a slotted class is also quicker to build per visit."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        names: tuple[str, ...] = self.__slots__
        return all(getattr(self, n) == getattr(other, n) for n in names)

    __hash__ = None  # type: ignore[assignment]  # mutable, as a dataclass is by default

    def __repr__(self) -> str:
        names: tuple[str, ...] = self.__slots__
        shown = ", ".join(f"{n}={getattr(self, n)!r}" for n in names)
        return f"{type(self).__name__}({shown})"


class Describe(Protocol):
    """Renders inputs for people."""

    def label(self, field: str) -> str:
        """``labs.anc`` -> ``ANC``."""

    def quantity(self, field: str, value: Any) -> str:
        """``labs.anc``, 0.42 -> ``0.42 x10^9/L``."""


def _shown(describe: Describe, field_name: str, value: Any) -> str:
    return f"{describe.label(field_name)} {describe.quantity(field_name, value)}"


# --------------------------------------------------------------------------------------------
# Compiled evaluation: each condition becomes, once, a small tree of closures that gives its
# truth (value, missing inputs, failed leaves) for grading many visits, and, for a condition
# that holds, the facts that met it (``explain``), from the same tree.


Truth = tuple[bool | None, tuple[str, ...], int]
"""``(value, missing, failed_leaves)``: :class:`Outcome` without ``because``."""

Test = Callable[[Mapping[str, Any]], Truth]
"""A compiled condition: reads inputs from a mapping (an absent key is a missing input)."""

_TRUE: Truth = (True, (), 0)
_FALSE_ONE: Truth = (False, (), 1)
_FALSE_TWO: Truth = (False, (), 2)

_OPERATORS: dict[str, Callable[[int, int], bool]] = {
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
}
"""Bound tests on cross-multiplied integers: for fractions ``a/b`` and ``c/d`` with positive
denominators (always so in :class:`Fraction`), ``a/b < c/d`` exactly when ``a*d < c*b``."""


Explain = Callable[[Mapping[str, Any], "Describe"], list[str]]
"""The facts that met a compiled condition, asked only of one that holds."""


class Compiled(Record):
    """A condition compiled: ``test`` gives its truth, ``explain`` the facts that met it: for a
    condition that holds, every fact that made it hold (each ``any`` names the branches that
    hold); ``not`` passes on what its inner condition says; anything else says nothing."""

    __slots__ = ("explain", "test")

    def __init__(self, test: Test, explain: Explain) -> None:
        self.test = test
        self.explain = explain


def compile_condition(condition: Condition, count_failed: bool = True) -> Compiled:
    """The condition as closures, built once (by the rule set's plans) and used for every visit.

    ``count_failed``: whether the caller reads how many leaves failed (the third item of
    :data:`Truth`).  If not, a false ``all`` stops at its first false branch, the rest being
    unable to change its value or its missing inputs (a false one names none); its count of
    failed leaves is then only those seen."""
    if isinstance(condition, AllOf | AnyOf):
        every = isinstance(condition, AllOf)
        children = tuple(
            compile_condition(c, count_failed)
            for c in (condition.all if isinstance(condition, AllOf) else condition.any)
        )
        tests = tuple(c.test for c in children)
        test = _compile_all(tests, count_failed) if every else _compile_any(tests)

        def explain_branches(values: Mapping[str, Any], describe: Describe) -> list[str]:
            if test(values)[0] is not True:
                return []
            return [
                text
                for child in children
                if every or child.test(values)[0] is True
                for text in child.explain(values, describe)
            ]

        return Compiled(test, explain_branches)
    if isinstance(condition, NotOf):
        inner = compile_condition(condition.not_, count_failed)
        return Compiled(_compile_not(inner.test), inner.explain)
    if isinstance(condition, IsTrue | OneOf):
        name = condition.field
        test = (
            _compile_is(name, condition.is_)
            if isinstance(condition, IsTrue)
            else _compile_in(name, tuple(condition.in_))
        )

        def explain_value(values: Mapping[str, Any], describe: Describe) -> list[str]:
            if test(values)[0] is not True:
                return []
            return [_shown(describe, name, values[name])]

        return Compiled(test, explain_value)
    test = _compile_compare(condition)
    return Compiled(test, _explain_compare(condition, test))


def _explain_compare(condition: Compare, test: Test) -> Explain:
    """ "ANC 0.42 x10^9/L < 0.5 x10^9/L", each bound with its symbol, a field bound by name."""
    name = condition.field
    bounds = [
        (BOUND_SYMBOLS[op], bound if isinstance(bound, FieldRef) else exact(bound))
        for op, bound in condition.bounds()
    ]

    def explain(values: Mapping[str, Any], describe: Describe) -> list[str]:
        if test(values)[0] is not True:
            return []
        parts = [
            f"{symbol} {_shown(describe, bound.field, exact(values[bound.field]))}"
            if isinstance(bound, FieldRef)
            else f"{symbol} {describe.quantity(name, bound)}"
            for symbol, bound in bounds
        ]
        return [f"{_shown(describe, name, exact(values[name]))} {' and '.join(parts)}"]

    return explain


def _compile_all(children: tuple[Test, ...], count_failed: bool = True) -> Test:
    def test(values: Mapping[str, Any]) -> Truth:
        # Every branch is evaluated: a false ``all`` counts the failed leaves of all of them
        # (unless no one reads the count). Only unknown branches name missing inputs (true and
        # false ones name none).
        value: bool | None = True
        missing: tuple[str, ...] = ()
        failed = 0
        for child in children:
            child_value, child_missing, child_failed = child(values)
            failed += child_failed
            if child_value is False:
                if not count_failed:
                    return False, (), failed
                value = False
            elif child_value is None:
                missing += child_missing
                if value is True:
                    value = None
        if value is False:
            return False, (), failed
        if value is None:
            return None, tuple(dict.fromkeys(missing)), failed
        return _TRUE

    return test


def _compile_any(children: tuple[Test, ...]) -> Test:
    def test(values: Mapping[str, Any]) -> Truth:
        missing: tuple[str, ...] = ()
        fewest = -1
        for child in children:
            child_value, child_missing, child_failed = child(values)
            if child_value is True:
                return _TRUE  # branches have no effects: the rest cannot change the answer
            missing += child_missing
            if fewest < 0 or child_failed < fewest:
                fewest = child_failed
        fewest = max(fewest, 0)  # min of no branches is 0 (the schema forbids none)
        if missing:
            return None, tuple(dict.fromkeys(missing)), fewest
        return False, (), fewest

    return test


def _compile_not(inner: Test) -> Test:
    def test(values: Mapping[str, Any]) -> Truth:
        value, missing, _ = inner(values)
        if value is None:
            return None, missing, 1  # an unknown ``not`` counts one failed leaf
        return (not value), missing, 1 if value else 0

    return test


def _compile_is(name: str, wanted: bool) -> Test:
    unknown: Truth = (None, (name,), 0)

    def test(values: Mapping[str, Any]) -> Truth:
        value = values.get(name, MISSING)
        if value is MISSING:
            return unknown
        return _TRUE if bool(value) is wanted else _FALSE_ONE

    return test


def _compile_in(name: str, allowed: tuple[str, ...]) -> Test:
    unknown: Truth = (None, (name,), 0)

    def test(values: Mapping[str, Any]) -> Truth:
        value = values.get(name, MISSING)
        if value is MISSING:
            return unknown
        return _TRUE if value in allowed else _FALSE_ONE

    return test


def _compile_compare(condition: Compare) -> Test:
    """A comparison; fixed bounds become exact integer pairs here, once."""
    name = condition.field
    unknown: Truth = (None, (name,), 0)
    fixed: list[tuple[Callable[[int, int], bool], int, int]] = []
    refs: list[tuple[Callable[[int, int], bool], str]] = []
    for op, bound in condition.bounds():
        if isinstance(bound, FieldRef):
            refs.append((_OPERATORS[op], bound.field))
        else:
            limit = exact(bound)
            fixed.append((_OPERATORS[op], limit.numerator, limit.denominator))
    if not refs and len(fixed) == 1:
        return _compile_one_bound(name, *fixed[0])
    if not refs and len(fixed) == 2:
        return _compile_two_bounds(name, fixed[0], fixed[1])
    fixed_bounds = tuple(fixed)
    ref_bounds = tuple(refs)

    def test(values: Mapping[str, Any]) -> Truth:
        value = values.get(name, MISSING)
        if value is MISSING:
            return unknown
        num, den = (value if type(value) is Fraction else exact(value)).as_integer_ratio()
        failed = 0
        for holds, limit_num, limit_den in fixed_bounds:
            if not holds(num * limit_den, limit_num * den):
                failed += 1
        if not ref_bounds:
            return (False, (), failed) if failed else _TRUE
        missing: tuple[str, ...] = ()
        for holds, ref in ref_bounds:
            limit = values.get(ref, MISSING)
            if limit is MISSING:
                missing += (ref,)
                continue
            limit_num, limit_den = (
                limit if type(limit) is Fraction else exact(limit)
            ).as_integer_ratio()
            if not holds(num * limit_den, limit_num * den):
                failed += 1
        if failed:
            return False, (), failed
        if missing:
            return None, missing, 0
        return _TRUE

    return test


# The commonest comparisons, one fixed bound ("< 0.5") or two ("< 1.0 and >= 0.5"), without
# the loop: grading runs them for every grade of every term of every visit.


def _compile_one_bound(
    name: str, holds: Callable[[int, int], bool], limit_num: int, limit_den: int
) -> Test:
    unknown: Truth = (None, (name,), 0)

    def test(values: Mapping[str, Any]) -> Truth:
        value = values.get(name, MISSING)
        if value is MISSING:
            return unknown
        num, den = (value if type(value) is Fraction else exact(value)).as_integer_ratio()
        return _TRUE if holds(num * limit_den, limit_num * den) else _FALSE_ONE

    return test


def _compile_two_bounds(
    name: str,
    first: tuple[Callable[[int, int], bool], int, int],
    second: tuple[Callable[[int, int], bool], int, int],
) -> Test:
    unknown: Truth = (None, (name,), 0)
    holds_1, num_1, den_1 = first
    holds_2, num_2, den_2 = second

    def test(values: Mapping[str, Any]) -> Truth:
        value = values.get(name, MISSING)
        if value is MISSING:
            return unknown
        num, den = (value if type(value) is Fraction else exact(value)).as_integer_ratio()
        if holds_1(num * den_1, num_1 * den):
            return _TRUE if holds_2(num * den_2, num_2 * den) else _FALSE_ONE
        return _FALSE_ONE if holds_2(num * den_2, num_2 * den) else _FALSE_TWO

    return test
