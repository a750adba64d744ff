"""The closed condition vocabulary: parsing (never eval) and three-valued evaluation."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from gist_tox.facts import DESCRIBER
from gist_tox.ruleset.conditions import MISSING, Condition, compiled, evaluate, fields_read
from gist_tox.units import exact

PARSE: TypeAdapter[Any] = TypeAdapter(Condition)


def run(cond: dict[str, Any], **values: Any) -> bool | None:
    facts = {k.replace("__", "."): v for k, v in values.items()}
    return evaluate(PARSE.validate_python(cond), lambda n: facts.get(n, MISSING), DESCRIBER).value


@pytest.mark.parametrize(
    ("cond", "value", "expected"),
    [
        pytest.param({"field": "labs.anc", "lt": 1.0}, 0.999, True, id="lt-below"),
        pytest.param({"field": "labs.anc", "lt": 1.0}, 1.0, False, id="lt-at-bound-excluded"),
        pytest.param({"field": "labs.anc", "le": 1.0}, 1.0, True, id="le-at-bound-included"),
        pytest.param({"field": "labs.anc", "gt": 1.0}, 1.0, False, id="gt-at-bound-excluded"),
        pytest.param({"field": "labs.anc", "ge": 1.0}, 1.0, True, id="ge-at-bound-included"),
        pytest.param({"field": "labs.anc", "lt": 1.0, "ge": 0.5}, 0.5, True, id="range-low-end"),
        pytest.param({"field": "labs.anc", "lt": 1.0, "ge": 0.5}, 0.49, False, id="range-below"),
        pytest.param({"field": "labs.anc", "lt": 1.0}, None, None, id="missing-is-unknown"),
    ],
)
def test_comparisons_respect_their_own_sign(
    cond: dict[str, Any], value: float | None, expected: bool | None
) -> None:
    assert (run(cond) if value is None else run(cond, labs__anc=value)) is expected


def test_a_bound_may_be_another_field_and_missing_bound_is_unknown() -> None:
    cond = {"field": "labs.anc", "lt": {"field": "labs.anc.lln"}}
    assert run(cond, labs__anc=1.6, labs__anc__lln=1.8) is True
    assert run(cond, labs__anc=1.8, labs__anc__lln=1.8) is False
    assert run(cond, labs__anc=1.6) is None
    # a failing fixed bound decides even when the field bound is missing
    assert run({**cond, "ge": 1.5}, labs__anc=1.2) is False


@pytest.mark.parametrize(
    ("cond", "values", "expected"),
    [
        pytest.param(
            {"all": [{"field": "labs.anc", "lt": 1}, {"field": "skin.tenderness", "is": True}]},
            {"labs__anc": 2},
            False,
            id="all-false-beats-unknown",
        ),
        pytest.param(
            {"all": [{"field": "labs.anc", "lt": 1}, {"field": "skin.tenderness", "is": True}]},
            {"labs__anc": 0.5},
            None,
            id="all-true-and-unknown-is-unknown",
        ),
        pytest.param(
            {"any": [{"field": "labs.anc", "lt": 1}, {"field": "skin.tenderness", "is": True}]},
            {"labs__anc": 0.5},
            True,
            id="any-true-beats-unknown",
        ),
        pytest.param(
            {"any": [{"field": "labs.anc", "lt": 1}, {"field": "skin.tenderness", "is": True}]},
            {"labs__anc": 2},
            None,
            id="any-false-and-unknown-is-unknown",
        ),
        pytest.param(
            {"not": {"field": "skin.tenderness", "is": True}},
            {"skin__tenderness": False},
            True,
            id="not",
        ),
        pytest.param({"not": {"field": "skin.tenderness", "is": True}}, {}, None, id="not-unknown"),
        pytest.param(
            {"field": "skin.symptoms", "in": ["moderate", "severe"]},
            {"skin__symptoms": "mild"},
            False,
            id="in-no",
        ),
        pytest.param(
            {"field": "skin.symptoms", "in": ["moderate", "severe"]},
            {"skin__symptoms": "severe"},
            True,
            id="in-yes",
        ),
    ],
)
def test_kleene_logic(cond: dict[str, Any], values: dict[str, Any], expected: bool | None) -> None:
    assert run(cond, **values) is expected


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param({"field": "labs.anc"}, id="no-bound"),
        pytest.param({"field": "labs.anc", "lt": "1.0 or __import__('os')"}, id="text-bound"),
        pytest.param({"field": "labs.anc", "below": 1}, id="unknown-key"),
        pytest.param({"all": []}, id="empty-all"),
        pytest.param({"eval": "labs.anc < 1"}, id="not-a-condition"),
        pytest.param({"field": "labs.anc", "lt": float("nan")}, id="nan"),
    ],
)
def test_anything_outside_the_vocabulary_is_refused(bad: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        PARSE.validate_python(bad)


def test_fields_read_lists_bounds_too() -> None:
    cond = PARSE.validate_python(
        {
            "all": [
                {"field": "labs.anc", "lt": {"field": "labs.anc.lln"}},
                {"not": {"field": "skin.tenderness", "is": True}},
            ]
        }
    )
    assert fields_read(cond) == ["labs.anc", "labs.anc.lln", "skin.tenderness"]


def test_true_outcome_says_why() -> None:
    cond = PARSE.validate_python({"field": "labs.anc", "lt": 0.5})
    outcome = evaluate(cond, {"labs.anc": 0.42}.get, DESCRIBER)  # type: ignore[arg-type]
    assert outcome.value is True
    assert outcome.because == ["ANC 0.42 x10^9/L < 0.5 x10^9/L"]


# --------------------------------------------------------------------------------------------
# The compiled fast path (``compiled``) must give exactly what the reference ``evaluate`` gives:
# value, missing inputs (in order) and failed-leaf count, at and around every threshold.


def _reference(cond: Any, values: dict[str, Any]) -> tuple[Any, tuple[str, ...], int]:
    outcome = evaluate(cond, lambda n: values.get(n, MISSING), DESCRIBER)
    return outcome.value, tuple(outcome.missing), outcome.failed_leaves


def _shipped_conditions() -> list[Any]:
    from conftest import RULES
    from gist_tox.pipeline import RuleSets

    rulesets = RuleSets(RULES)
    out: list[Any] = []
    for version in ("5.0", "6.0"):
        for term in rulesets.get(version).terms:
            out.extend(g.when for g in term.grades)
            out.extend(c for c in [term.present_when] if c is not None)
            out.extend(r.when for r in term.applies_to or [] if r.when is not None)
    return out


SHIPPED = _shipped_conditions()


def _thresholds(cond: Any) -> list[Fraction]:
    """Every fixed bound of a condition (the values where its truth can change)."""
    from gist_tox.ruleset.conditions import AllOf, AnyOf, FieldRef, NotOf

    if isinstance(cond, AllOf | AnyOf):
        return [
            t for c in (cond.all if isinstance(cond, AllOf) else cond.any) for t in _thresholds(c)
        ]
    if isinstance(cond, NotOf):
        return _thresholds(cond.not_)
    return [exact(b) for _, b in getattr(cond, "bounds", list)() if not isinstance(b, FieldRef)]


def _values_near(draw: Any, cond: Any) -> dict[str, Any]:
    """Inputs for every field the condition reads: missing, or a value at, just below or just
    above one of its thresholds (as a Fraction, float or int), or any yes/no or enum value."""
    from gist_tox.facts import FIELDS

    marks = _thresholds(cond) or [Fraction(0)]
    values: dict[str, Any] = {}
    for name in fields_read(cond):
        if draw(st.integers(0, 5)) == 0:
            continue  # missing
        info = FIELDS.get(name)
        if info is not None and info.kind == "bool":
            values[name] = draw(st.booleans())
        elif info is not None and info.kind == "enum":
            values[name] = draw(st.sampled_from([*info.values, "other"]))
        else:
            mark = draw(st.sampled_from(marks))
            step = draw(
                st.sampled_from(
                    [
                        Fraction(0),
                        Fraction(1, 1000),
                        Fraction(1, 10**12),
                        Fraction(1, 2),
                        Fraction(7),
                    ]
                )
            )
            value = mark + step * draw(st.sampled_from([-1, 1]))
            form = draw(st.sampled_from(["fraction", "float", "int"]))
            values[name] = (
                float(value) if form == "float" else int(value) if form == "int" else value
            )
    return values


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_compiled_shipped_conditions_equal_evaluate_around_every_threshold(data: Any) -> None:
    cond = data.draw(st.sampled_from(SHIPPED))
    values = _values_near(data.draw, cond)
    assert compiled(cond)(values) == _reference(cond, values)


_NUMBERS = st.sampled_from([0, 0.5, 1, 1.5, 38.3, 2.0000000001])
_LEAVES = st.one_of(
    st.builds(
        lambda f, bounds: {"field": f, **bounds},
        st.sampled_from(["a", "b"]),
        st.dictionaries(st.sampled_from(["lt", "le", "gt", "ge"]), _NUMBERS, min_size=1),
    ),
    st.builds(
        lambda f, op, ref, n: {"field": f, op: {"field": ref}, "ge": n},
        st.sampled_from(["a", "b"]),
        st.sampled_from(["lt", "le", "gt"]),
        st.sampled_from(["b", "c"]),
        _NUMBERS,
    ),
    st.builds(
        lambda f, lo, hi: {"field": f, "lt": {"field": hi}, "ge": {"field": lo}},
        st.sampled_from(["a", "b"]),
        st.sampled_from(["a", "c"]),
        st.sampled_from(["b", "c"]),
    ),
    st.builds(lambda f, b: {"field": f, "is": b}, st.sampled_from(["p", "q"]), st.booleans()),
    st.builds(
        lambda f, xs: {"field": f, "in": xs},
        st.sampled_from(["e"]),
        st.lists(st.sampled_from(["x", "y", "z"]), min_size=1, max_size=3),
    ),
)
_TREES = st.recursive(
    _LEAVES,
    lambda inner: st.one_of(
        st.builds(lambda cs: {"all": cs}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda cs: {"any": cs}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda c: {"not": c}, inner),
    ),
    max_leaves=8,
)
_INPUTS = st.fixed_dictionaries(
    {},
    optional={
        "a": st.sampled_from(
            [
                Fraction(0),
                Fraction(1, 2),
                Fraction(1),
                Fraction(3, 2),
                1.5,
                2,
                Fraction(383, 10),
                38.3,
                Fraction(3, 2) - Fraction(1, 10**9),
            ]
        ),
        "b": st.sampled_from([Fraction(0), Fraction(1), 0.5, 1, Fraction(20000000001, 10**10)]),
        "c": st.sampled_from([Fraction(1), Fraction(3, 2), 1.5, 0]),
        "p": st.booleans(),
        "q": st.booleans(),
        "e": st.sampled_from(["x", "y", "w"]),
    },
)


@settings(max_examples=500, deadline=None)
@given(_TREES, _INPUTS)
def test_compiled_conditions_equal_evaluate_in_three_valued_logic(
    tree: dict[str, Any], values: dict[str, Any]
) -> None:
    cond = PARSE.validate_python(tree)
    assert compiled(cond)(values) == _reference(cond, values)


def test_compiled_is_built_once_per_condition_object() -> None:
    cond = PARSE.validate_python({"field": "labs.anc", "lt": 0.5})
    assert compiled(cond) is compiled(cond)
    assert compiled(cond)({"labs.anc": Fraction(1, 2)}) == (False, (), 1)
    assert compiled(cond)({"labs.anc": Fraction(49, 100)}) == (True, (), 0)
    assert compiled(cond)({}) == (None, ("labs.anc",), 0)


def test_compiled_agrees_on_branch_lists_the_schema_forbids() -> None:
    """Rules never hold an empty ``all``/``any`` (min_length 1), but were one built without
    validation, both evaluations would still agree."""
    from gist_tox.ruleset.conditions import AllOf, AnyOf

    for cond in (AllOf.model_construct(all=[]), AnyOf.model_construct(any=[])):
        assert compiled(cond)({}) == _reference(cond, {})
