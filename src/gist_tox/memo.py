"""Memoising what is derived from a rule object, by the object's identity.

Why identity: rule objects are frozen pydantic models that never change while in use, but
hashing one means hashing every field (and some hold dicts, which cannot be hashed), so
``functools.lru_cache`` does not fit.  Each entry keeps its object, so the object's ``id`` cannot
be reused by another while the entry lives; past ``limit`` entries the memo starts afresh (a
process uses one or two rule sets; tests and ``rules diff`` load many).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def per_object(limit: int) -> Callable[[Callable[[T], R]], Callable[[T], R]]:
    """Decorate a function of one rule object so that it runs once per object."""

    def decorate(function: Callable[[T], R]) -> Callable[[T], R]:
        known: dict[int, tuple[T, R]] = {}

        @functools.wraps(function)
        def memoised(obj: T) -> R:
            hit = known.get(id(obj))
            if hit is not None and hit[0] is obj:
                return hit[1]
            value = function(obj)
            if len(known) >= limit:
                known.clear()
            known[id(obj)] = (obj, value)
            return value

        return memoised

    return decorate
