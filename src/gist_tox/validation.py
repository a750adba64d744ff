"""Turning pydantic's validation errors into one clear line.

Pydantic already says what is wrong and where (``loc``); this module names the file, the dotted
field, the line of the key, and, for an unknown field, the closest known name.
"""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from gist_tox.documents import Document, FieldPath, format_path, shorten
from gist_tox.errors import InputError, echo
from gist_tox.validators import validate as validated

ModelT = TypeVar("ModelT", bound=BaseModel)


def validate(document: Document, model: type[ModelT]) -> ModelT:
    """Validate ``document.data`` as ``model`` or raise one :class:`InputError`."""
    try:
        return validated(model, document.data)
    except ValidationError as exc:
        raise to_input_error(document, exc, model) from None


def to_input_error(document: Document, exc: ValidationError, model: type[BaseModel]) -> InputError:
    """One line for the most specific problem, and how many other fields have problems."""
    errors = exc.errors(include_url=False)
    by_path: dict[FieldPath, list[Any]] = {}
    for error in errors:
        path = _strip_union_tags(tuple(p for p in error["loc"] if isinstance(p, str | int)))
        by_path.setdefault(path, []).append(error)
    # A problem inside a value (``on_hold_for[1]``) is more specific than one about the whole
    # value (``on_hold_for`` is not a text), which is another union member's view of it.
    # (Prefixes collected once: comparing every pair took minutes for a list of 30,000 bad items.)
    prefixes = {q[:cut] for q in by_path for cut in range(len(q))}
    paths = [p for p in by_path if p not in prefixes]
    # Prefer a wrong ``format`` (the wrong kind of file: its other fields would all be "unknown"),
    # then unknown fields (a typo), then the deepest location, then the order of the file.
    paths.sort(
        key=lambda p: (
            p != ("format",),
            all(e["type"] != "extra_forbidden" for e in by_path[p]),
            -len(p),
            document.position(p)[0] or float("inf"),
        )
    )
    path = paths[0]
    message = _message(by_path[path], path, model)
    more = len(paths) - 1
    if more > 0:
        message += f" (and {more} more problem{'s' if more > 1 else ''})"
    refused = document.error(path, message, code=f"visit.{by_path[path][0]['type']}")
    rest = sorted(paths[1:], key=lambda p: document.position(p)[0] or float("inf"))
    refused.also = [
        document.error(
            p, _message(by_path[p], p, model), code=f"visit.{by_path[p][0]['type']}"
        ).problem
        for p in rest[:MAX_PROBLEMS]
    ]
    return refused


MAX_PROBLEMS = 50
"""Problems of one file listed besides the first; the first line counts them all."""


def _strip_union_tags(path: FieldPath) -> FieldPath:
    """Pydantic puts union member names (``list[...]``, ``bool``) into ``loc``; drop them."""
    out: list[str | int] = []
    for part in path:
        if isinstance(part, str) and (
            part in {"bool", "str", "int", "float", "none"}
            or part.startswith(("list[", "literal[", "function-", "tuple[", "union["))
            or part.endswith("]")
        ):
            continue
        out.append(part)
    return tuple(out)


_PATTERNS = {
    r"^\S(.*\S)?$": "text without leading or trailing spaces",
    r"^[a-z][a-z0-9_]*$": "a term id in snake case, such as febrile_neutropenia",
}
"""What a field's ``pattern`` means, in words."""

_BOUNDS = {
    "greater_than_equal": ("ge", "at least"),
    "less_than_equal": ("le", "at most"),
    "greater_than": ("gt", "more than"),
    "less_than": ("lt", "less than"),
}


def _message(errors: list[Any], path: FieldPath, model: type[BaseModel]) -> str:
    """The message for the problems at one field; several are a union's members' views."""
    first = errors[0]
    value = first.get("input")
    if any(e["type"] == "extra_forbidden" for e in errors):
        name = str(path[-1]) if path else "?"
        known = known_fields(model, path[:-1])
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        allowed = f" (known fields: {', '.join(known)})" if known and not close else ""
        return f"unknown field {shorten(repr(name))}{hint}{allowed}"
    if first["type"] == "missing":
        return "required field is missing"
    if first["type"] == "value_error":
        return str(first.get("ctx", {}).get("error", first["msg"]))
    if first["type"] in _BOUNDS:
        key, words = _BOUNDS[first["type"]]
        limit = first.get("ctx", {}).get(key)
        return f"{_show(value)} is out of range; expected {words} {_show_limit(limit)}"
    if first["type"] in {"string_too_long", "string_too_short"}:  # free text: never repeated
        return f"{_length(value)} is not allowed; expected {_expected(first)}"
    if first["type"] in {"too_short", "too_long"}:
        ctx = first.get("ctx", {})
        count = ctx.get("actual_length", "?")
        if first["type"] == "too_short":
            limit = f"at least {ctx.get('min_length')}"
        else:
            limit = f"at most {ctx.get('max_length')}"
        return f"{_show(value)} of {count} item(s) is not allowed; expected {limit} item(s)"
    if first["type"] == "finite_number":
        return f"{_show(value)} is not a finite number; expected a number"
    expected = list(dict.fromkeys(_expected(e) for e in errors))
    return f"{_show(value)} is not allowed; expected {', or '.join(expected)}"


def _expected(error: Any) -> str:
    """What a field expects, in words, from one pydantic error about it."""
    kind = error["type"]
    if kind == "literal_error":
        return f"one of {error.get('ctx', {}).get('expected', '')}"
    if kind in {"int_type", "int_from_float", "int_parsing"}:
        return "a whole number"
    if kind in {"float_type", "float_parsing"}:
        return "a number"
    if kind in {"bool_type", "bool_parsing"}:
        return "true or false"
    if kind == "string_type":
        return "text"
    if kind in {"model_type", "model_attributes_type", "dict_type"}:
        return "a mapping of fields"
    if kind == "list_type":
        return "a list"
    if kind == "string_pattern_mismatch":
        pattern = error.get("ctx", {}).get("pattern", "")
        return _PATTERNS.get(pattern, f"text matching {pattern}")
    if kind == "string_too_long":
        return f"at most {error.get('ctx', {}).get('max_length')} characters"
    if kind == "string_too_short":
        return "text that is not empty"
    if kind in {"greater_than_equal", "less_than_equal", "greater_than", "less_than"}:
        key, words = _BOUNDS[kind]
        return f"{words} {_show_limit(error.get('ctx', {}).get(key))}"
    return str(error["msg"]).lower()


def _show(value: Any) -> str:
    """A value as the writer would recognise it (YAML spelling for booleans and null)."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return echo(value)
    return shorten(repr(value), 40)


def _length(value: Any) -> str:
    return f"text of {len(value)} characters" if isinstance(value, str) else _show(value)


def _show_limit(limit: Any) -> str:
    """A bound of the model, ``100`` rather than ``100.0``."""
    if isinstance(limit, float) and limit.is_integer():
        return str(int(limit))
    return str(limit)


def known_fields(model: type[BaseModel], path: FieldPath) -> list[str]:
    """The field names valid at ``path`` inside ``model`` (for "did you mean")."""
    current: Any = model
    for part in path:
        if isinstance(part, int):
            continue
        target = _model_in(current)
        if target is None or part not in target.model_fields:
            return []
        current = target.model_fields[part].annotation
    target = _model_in(current)
    return list(target.model_fields) if target is not None else []


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType, list, typing.Annotated):
        for arg in typing.get_args(annotation):
            found = _model_in(arg)
            if found is not None:
                return found
    return None


__all__ = ["format_path", "known_fields", "to_input_error", "validate"]
