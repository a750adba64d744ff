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
from typing import Annotated, Any, Literal, Protocol, Union

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, model_validator

from gist_tox.memo import per_object
from gist_tox.units import exact

BOUND_OPS: dict[str, tuple[str, Callable[[Fraction, Fraction], bool]]] = {
    "lt": ("<", lambda a, b: a < b),
    "le": ("<=", lambda a, b: a <= b),
    "gt": (">", lambda a, b: a > b),
    "ge": (">=", lambda a, b: a >= b),
}

NEGATED_SYMBOL = {"<": ">=", "<=": ">", ">": "<=", ">=": "<"}


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
        return [(op, getattr(self, op)) for op in BOUND_OPS if getattr(self, op) is not None]


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


_FIELDS_READ: dict[int, tuple[Condition, list[str]]] = {}


def fields_read(condition: Condition) -> list[str]:
    """Every input a condition reads, in order, without repeats (bounds included).

    Rules never change while they are in use, so the answer is remembered per condition object
    (the object itself is kept with it, so its id cannot be reused).
    """
    known = _FIELDS_READ.get(id(condition))
    if known is not None and known[0] is condition:
        return known[1]
    out: list[str] = []
    _collect_fields(condition, out)
    result = list(dict.fromkeys(out))
    _FIELDS_READ[id(condition)] = (condition, result)
    return result


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
            for op in BOUND_OPS:  # the order of ``Compare.bounds``
                bound = getattr(node, op)
                if isinstance(bound, FieldRef):
                    out.append(bound.field)


@per_object(limit=4096)
def _limits(condition: Compare) -> list[tuple[str, Callable[[Fraction, Fraction], bool], Any]]:
    """The bounds of a comparison with their symbol, test and exact limit (or field reference),
    worked out once per condition object."""
    out = []
    for op, bound in condition.bounds():
        symbol, test = BOUND_OPS[op]
        out.append((symbol, test, bound if isinstance(bound, FieldRef) else exact(bound)))
    return out


# --------------------------------------------------------------------------------------------
# Evaluation


Lookup = Callable[[str], Any]
"""Returns an input's value, or :data:`MISSING`."""


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


class Outcome(Record):
    """A three-valued truth, the inputs that were missing, the facts that decided it, and how
    many leaves failed (for the nearest grade when findings fit no cell)."""

    __slots__ = ("value", "missing", "because", "failed_leaves")  # noqa: RUF023 - repr order

    def __init__(
        self,
        value: bool | None,
        missing: list[str] | None = None,
        because: list[str] | None = None,
        failed_leaves: int = 0,
    ) -> None:
        self.value = value
        self.missing: list[str] = [] if missing is None else missing
        self.because: list[str] = [] if because is None else because
        self.failed_leaves = failed_leaves

    @property
    def unknown(self) -> bool:
        return self.value is None


class Describe(Protocol):
    """Renders inputs for people."""

    def label(self, field: str) -> str:
        """``labs.anc`` -> ``ANC``."""

    def quantity(self, field: str, value: Any) -> str:
        """``labs.anc``, 0.42 -> ``0.42 x10^9/L``."""


def _shown(describe: Describe, field_name: str, value: Any) -> str:
    return f"{describe.label(field_name)} {describe.quantity(field_name, value)}"


def evaluate(condition: Condition, lookup: Lookup, describe: Describe) -> Outcome:
    if isinstance(condition, AllOf):
        return _all([evaluate(c, lookup, describe) for c in condition.all])
    if isinstance(condition, AnyOf):
        return _any([evaluate(c, lookup, describe) for c in condition.any])
    if isinstance(condition, NotOf):
        inner = evaluate(condition.not_, lookup, describe)
        value = None if inner.value is None else not inner.value
        return Outcome(value, inner.missing, inner.because, 0 if value else 1)
    value = lookup(condition.field)
    if value is MISSING:
        return Outcome(None, [condition.field])
    if isinstance(condition, IsTrue):
        ok = bool(value) is condition.is_
        text = _shown(describe, condition.field, value)
        return Outcome(ok, [], [text] if ok else [], 0 if ok else 1)
    if isinstance(condition, OneOf):
        ok = value in condition.in_
        because = [_shown(describe, condition.field, value)] if ok else []
        return Outcome(ok, [], because, 0 if ok else 1)
    return _compare(condition, value, lookup, describe)


def _compare(condition: Compare, value: Any, lookup: Lookup, describe: Describe) -> Outcome:
    parts: list[str] = []
    failed = 0
    missing: list[str] = []
    value = exact(value)
    for symbol, test, bound in _limits(condition):
        if isinstance(bound, FieldRef):
            limit = lookup(bound.field)
            if limit is MISSING:
                missing.append(bound.field)
                continue
            limit = exact(limit)
            if test(value, limit):
                parts.append(f"{symbol} {_shown(describe, bound.field, limit)}")
            else:
                failed += 1
        elif test(value, bound):
            parts.append(f"{symbol} {describe.quantity(condition.field, bound)}")
        else:
            failed += 1
    if failed:
        return Outcome(False, [], [], failed)
    if missing:
        return Outcome(None, missing)
    return Outcome(True, [], [f"{_shown(describe, condition.field, value)} {' and '.join(parts)}"])


def _all(outcomes: list[Outcome]) -> Outcome:
    failed = sum(o.failed_leaves for o in outcomes)
    if any(o.value is False for o in outcomes):
        return Outcome(False, [], [], failed)
    missing = [m for o in outcomes for m in o.missing]
    if missing:
        return Outcome(None, list(dict.fromkeys(missing)), [], failed)
    return Outcome(True, [], [b for o in outcomes for b in o.because])


def _any(outcomes: list[Outcome]) -> Outcome:
    true = [o for o in outcomes if o.value is True]
    if true:
        return Outcome(True, [], [b for o in true for b in o.because])
    missing = [m for o in outcomes for m in o.missing]
    failed = min((o.failed_leaves for o in outcomes), default=0)
    if missing:
        return Outcome(None, list(dict.fromkeys(missing)), [], failed)
    return Outcome(False, [], [], failed)


# --------------------------------------------------------------------------------------------
# Compiled evaluation: the truth of a condition without its texts, for grading many visits.
#
# :func:`evaluate` above is the reference: it says why (``because``) at every node, which costs
# a text per comparison although grading shows the texts of one criterion per term at most.
# :func:`compiled` turns a condition, once per process, into a small tree of closures that give
# exactly ``evaluate``'s value, missing inputs and failed-leaf count (tests pin the equality);
# the texts are then asked of ``evaluate`` only for the criterion whose basis is shown.


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


@per_object(limit=4096)
def compiled(condition: Condition) -> Test:
    """The condition as a closure tree, built once per condition object (rules do not change
    while in use)."""
    return _compile(condition)


def _compile(condition: Condition) -> Test:
    if isinstance(condition, AllOf):
        return _compile_all(tuple(_compile(c) for c in condition.all))
    if isinstance(condition, AnyOf):
        return _compile_any(tuple(_compile(c) for c in condition.any))
    if isinstance(condition, NotOf):
        return _compile_not(_compile(condition.not_))
    if isinstance(condition, IsTrue):
        return _compile_is(condition.field, condition.is_)
    if isinstance(condition, OneOf):
        return _compile_in(condition.field, tuple(condition.in_))
    return _compile_compare(condition)


def _compile_all(children: tuple[Test, ...]) -> Test:
    def test(values: Mapping[str, Any]) -> Truth:
        # Every branch is evaluated: a false ``all`` counts the failed leaves of all of them.
        # Only unknown branches name missing inputs (true and false ones name none).
        value: bool | None = True
        missing: tuple[str, ...] = ()
        failed = 0
        for child in children:
            child_value, child_missing, child_failed = child(values)
            failed += child_failed
            if child_value is False:
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
        fewest = max(fewest, 0)  # as ``evaluate`` (min of none is 0; the schema forbids none)
        if missing:
            return None, tuple(dict.fromkeys(missing)), fewest
        return False, (), fewest

    return test


def _compile_not(inner: Test) -> Test:
    def test(values: Mapping[str, Any]) -> Truth:
        value, missing, _ = inner(values)
        if value is None:
            return None, missing, 1  # as ``evaluate``: an unknown ``not`` counts one failed leaf
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
        missing: list[str] = []
        for holds, ref in ref_bounds:
            limit = values.get(ref, MISSING)
            if limit is MISSING:
                missing.append(ref)
                continue
            limit_num, limit_den = (
                limit if type(limit) is Fraction else exact(limit)
            ).as_integer_ratio()
            if not holds(num * limit_den, limit_num * den):
                failed += 1
        if failed:
            return False, (), failed
        if missing:
            return None, tuple(missing), 0
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


ConditionKind = Literal["Compare", "IsTrue", "OneOf", "AllOf", "AnyOf", "NotOf"]
