"""The closed condition vocabulary: parsing (never eval) and three-valued evaluation."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from gist_tox.facts import DESCRIBER
from gist_tox.ruleset.conditions import Condition, compile_condition, fields_read

PARSE: TypeAdapter[Any] = TypeAdapter(Condition)


def run(cond: dict[str, Any], **values: Any) -> bool | None:
    facts = {k.replace("__", "."): v for k, v in values.items()}
    return compile_condition(PARSE.validate_python(cond)).test(facts)[0]


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
    cond = PARSE.validate_python(
        {"any": [{"field": "labs.anc", "lt": 0.5}, {"field": "x", "is": True}]}
    )
    compiled = compile_condition(cond)
    assert compiled.test({"labs.anc": 0.42})[0] is True
    assert compiled.explain({"labs.anc": 0.42}, DESCRIBER) == ["ANC 0.42 x10^9/L < 0.5 x10^9/L"]


def test_failed_leaves_and_missing_inputs_are_counted() -> None:
    """What "nearest grades" reads: how many comparisons failed, and which inputs were missing."""
    cond = PARSE.validate_python({"field": "labs.anc", "lt": 0.5})
    test = compile_condition(cond).test
    assert test({"labs.anc": Fraction(1, 2)}) == (False, (), 1)
    assert test({"labs.anc": Fraction(49, 100)}) == (True, (), 0)
    assert test({}) == (None, ("labs.anc",), 0)
    both = compile_condition(
        PARSE.validate_python(
            {"all": [{"field": "labs.anc", "lt": 0.5}, {"field": "x", "is": True}]}
        )
    ).test
    assert both({"labs.anc": 1, "x": False}) == (False, (), 2)
    assert both({"labs.anc": Fraction(1, 4)}) == (None, ("x",), 0)


def test_uncounted_a_false_all_stops_at_its_first_false_branch() -> None:
    """Compiled for a caller that never reads the failed leaves: the same value and missing
    inputs, the count covering only the branches evaluated."""
    cond = PARSE.validate_python(
        {
            "all": [
                {"field": "labs.anc", "lt": 0.5},
                {"any": [{"field": "y", "gt": 1}, {"field": "x", "is": True}]},
            ]
        }
    )
    counted = compile_condition(cond).test
    uncounted = compile_condition(cond, count_failed=False).test
    cases: list[dict[str, Any]] = [
        {},
        {"labs.anc": 1},
        {"labs.anc": 1, "x": False, "y": 0},
        {"labs.anc": Fraction(1, 4)},
        {"labs.anc": Fraction(1, 4), "x": True},
        {"labs.anc": Fraction(1, 4), "x": False, "y": 0},
    ]
    for values in cases:
        assert uncounted(values)[:2] == counted(values)[:2]
    assert counted({"labs.anc": 1, "x": False, "y": 0}) == (False, (), 2)
    assert uncounted({"labs.anc": 1, "x": False, "y": 0}) == (False, (), 1)


def test_a_double_negation_says_what_its_inner_condition_says() -> None:
    cond = PARSE.validate_python({"not": {"not": {"field": "labs.anc", "lt": 0.5}}})
    assert compile_condition(cond).explain({"labs.anc": 0.42}, DESCRIBER) == [
        "ANC 0.42 x10^9/L < 0.5 x10^9/L"
    ]
