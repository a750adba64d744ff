"""Memoising by object identity (``gist_tox.memo``): once per object, never across objects."""

from __future__ import annotations

from gist_tox.memo import per_object


class _Rule:
    def __eq__(self, other: object) -> bool:  # equal rules are still different objects
        return isinstance(other, _Rule)

    __hash__ = None  # type: ignore[assignment]  # like a rule model holding dicts


def test_runs_once_per_object_and_never_mixes_equal_objects() -> None:
    calls: list[_Rule] = []

    @per_object(limit=10)
    def derive(rule: _Rule) -> int:
        calls.append(rule)
        return len(calls)

    first, second = _Rule(), _Rule()
    assert derive(first) == derive(first) == 1
    assert derive(second) == 2
    assert calls == [first, second] and calls[0] is first and calls[1] is second


def test_past_its_limit_it_starts_afresh() -> None:
    calls: list[object] = []

    @per_object(limit=2)
    def derive(rule: object) -> int:
        calls.append(rule)
        return len(calls)

    rules = [object() for _ in range(3)]
    for rule in rules:
        derive(rule)
    assert derive(rules[2]) == 3  # kept after the reset
    assert derive(rules[0]) == 4  # forgotten at the reset, derived again
