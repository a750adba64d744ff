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

from gist_tox.documents import Document, FieldPath, format_path
from gist_tox.errors import InputError

ModelT = TypeVar("ModelT", bound=BaseModel)


def validate(document: Document, model: type[ModelT]) -> ModelT:
    """Validate ``document.data`` as ``model`` or raise one :class:`InputError`."""
    try:
        return model.model_validate(document.data)
    except ValidationError as exc:
        raise to_input_error(document, exc, model) from None


def to_input_error(document: Document, exc: ValidationError, model: type[BaseModel]) -> InputError:
    errors = exc.errors(include_url=False)
    # Prefer the most specific problem: unknown fields first, then the deepest location.
    errors.sort(key=lambda e: (e["type"] != "extra_forbidden", -len(e["loc"])))
    first = _collapse_union(errors)
    path: FieldPath = tuple(p for p in first["loc"] if isinstance(p, str | int))
    path = _strip_union_tags(path)
    message = _message(first, path, model)
    more = len({tuple(e["loc"]) for e in errors}) - 1
    if more > 0:
        message += f" (and {more} more problem{'s' if more > 1 else ''})"
    return document.error(path, message, code=f"visit.{first['type']}")


def _collapse_union(errors: list[Any]) -> Any:
    return errors[0]


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


def _message(error: Any, path: FieldPath, model: type[BaseModel]) -> str:
    kind = error["type"]
    value = error.get("input")
    if kind == "extra_forbidden":
        name = str(path[-1]) if path else "?"
        known = known_fields(model, path[:-1])
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        allowed = f" (known fields: {', '.join(known)})" if known and not close else ""
        return f"unknown field {name!r}{hint}{allowed}"
    if kind == "missing":
        return "required field is missing"
    if kind == "literal_error":
        expected = error.get("ctx", {}).get("expected", "")
        return f"{_show(value)} is not allowed; expected one of {expected}"
    if kind in {"finite_number"}:
        return f"{_show(value)} is not a finite number"
    if kind in {"greater_than_equal", "less_than_equal", "greater_than", "less_than"}:
        return f"{_show(value)} is out of range: {error['msg'].lower()}"
    if kind in {"int_type", "int_from_float", "int_parsing"}:
        return f"{_show(value)} is not allowed; expected a whole number"
    if kind in {"float_type", "float_parsing"}:
        return f"{_show(value)} is not allowed; expected a number"
    if kind in {"bool_type", "bool_parsing"}:
        return f"{_show(value)} is not allowed; expected true or false"
    if kind in {"string_type"}:
        return f"{_show(value)} is not allowed; expected text"
    if kind in {"model_type", "model_attributes_type", "dict_type"}:
        return f"{_show(value)} is not allowed; expected a mapping of fields"
    if kind in {"list_type"}:
        return f"{_show(value)} is not allowed; expected a list"
    if kind == "string_pattern_mismatch":
        return f"{_show(value)} is not allowed; expected {error['msg'].lower()}"
    if kind == "value_error":
        return str(error.get("ctx", {}).get("error", error["msg"]))
    return f"{error['msg']} (got {_show(value)})"


def _show(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "null"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


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
