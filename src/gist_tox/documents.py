"""Reading a YAML or JSON document safely, with positions for error messages.

Why this is more than ``yaml.safe_load``: a clinical input must never be silently reinterpreted
or allowed to hurt the process that reads it.  So this module

* refuses files over :data:`MAX_BYTES` before parsing them, and bytes that are not UTF-8;
* parses YAML with PyYAML's safe loader (the C one when present), so tags such as
  ``!!python/object`` are refused, never executed;
* refuses duplicate keys, which PyYAML would otherwise resolve by silently keeping the last one;
* measures how large a document would become once aliases are expanded, and refuses an
  alias-expansion bomb without expanding it;
* keeps the line and column of every mapping key, so that a later validation error can name the
  line of the field it is about;
* reads ``.json`` files as strict RFC 8259 JSON (no NaN, no trailing commas, no duplicate keys).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from gist_tox.errors import InputError

MAX_BYTES = 1024 * 1024
"""Files larger than this are refused before they are parsed (1 MiB)."""

MAX_EXPANDED_NODES = 20_000
"""A visit has a few hundred YAML nodes; far more after alias expansion is an attack or a mistake."""

FieldPath = tuple[str | int, ...]

_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def format_path(path: FieldPath) -> str:
    """``("history", 0, "date")`` -> ``history[0].date``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


@dataclass(frozen=True)
class Document:
    """A parsed document: its data, where it came from, and the position of each key."""

    source: str
    data: dict[str, Any]
    marks: dict[FieldPath, tuple[int, int]] = field(default_factory=dict)

    def position(self, path: FieldPath) -> tuple[int | None, int | None]:
        """The line and column of the deepest known key on ``path`` (1-based), if any."""
        for cut in range(len(path), 0, -1):
            mark = self.marks.get(tuple(path[:cut]))
            if mark is not None:
                return mark
        return None, None

    def error(self, path: FieldPath, message: str, code: str = "input") -> InputError:
        line, column = self.position(path)
        return InputError(
            self.source, message, field=format_path(path) or None, line=line, column=column,
            code=code,
        )


class _Loader(_BaseLoader):  # type: ignore[valid-type,misc]
    """The safe loader, with impossible dates reported at their position."""

    def construct_yaml_timestamp(self, node: yaml.Node) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError as exc:
            raise yaml.constructor.ConstructorError(
                None, None, f"impossible date or time {node.value!r} ({exc})", node.start_mark
            ) from None


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)


def read_bytes(source: str) -> bytes:
    """Read at most :data:`MAX_BYTES` from a path or from stdin (``-``)."""
    if source == "-":
        raw: bytes = sys.stdin.buffer.read(MAX_BYTES + 1)
    else:
        path = Path(source)
        try:
            if path.is_dir():
                raise InputError(source, "is a folder, expected a visit file", code="file")
            size = path.stat().st_size
            if size > MAX_BYTES:
                raise InputError(
                    source, f"file is {size} bytes; the limit is {MAX_BYTES} (1 MiB)", code="file"
                )
            with path.open("rb") as handle:
                raw = handle.read(MAX_BYTES + 1)
        except FileNotFoundError:
            raise InputError(source, "no such file", code="file") from None
        except PermissionError:
            raise InputError(source, "permission denied", code="file") from None
        except OSError as exc:
            raise InputError(source, f"cannot read: {exc.strerror or exc}", code="file") from None
    if len(raw) > MAX_BYTES:
        raise InputError(source, f"more than {MAX_BYTES} bytes (1 MiB); refused", code="file")
    return raw


def decode(source: str, raw: bytes) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(
            source, f"not UTF-8 text (invalid byte at offset {exc.start})", line=line,
            code="encoding",
        ) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        raise InputError(source, "empty file, expected a mapping of fields", code="empty")
    if "\x00" in text:
        raise InputError(source, "contains a NUL character; not a text file", code="encoding")
    return text


def read_document(source: str, *, text: str | None = None, json_mode: bool | None = None) -> Document:
    """Read ``source`` (a path or ``-``) into a :class:`Document` whose top level is a mapping.

    ``text`` skips reading (used for stdin that was read earlier); ``json_mode`` forces the JSON
    parser (default: by the ``.json`` suffix).
    """
    if text is None:
        text = decode(source, read_bytes(source))
    if json_mode is None:
        json_mode = source.lower().endswith(".json")
    if json_mode:
        data, marks = _parse_json(source, text), {}
    else:
        data, marks = _parse_yaml(source, text)
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"a single value ({type(data).__name__})"
        raise InputError(source, f"top level is {kind}, expected a mapping of fields", code="shape")
    return Document(source=source, data=data, marks=marks)


def _parse_json(source: str, text: str) -> Any:
    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in items:
            if key in out:
                raise InputError(source, f"duplicate key {key!r}", field=key, code="duplicate")
            out[key] = value
        return out

    def constant(name: str) -> Any:
        raise InputError(source, f"{name} is not a number; JSON allows finite numbers only",
                         code="number")

    try:
        return json.loads(text, object_pairs_hook=pairs, parse_constant=constant)
    except json.JSONDecodeError as exc:
        raise InputError(source, f"invalid JSON: {exc.msg}", line=exc.lineno, column=exc.colno,
                         code="syntax") from None
    except RecursionError:
        raise InputError(source, "JSON nested too deeply", code="syntax") from None


def _parse_yaml(source: str, text: str) -> tuple[Any, dict[FieldPath, tuple[int, int]]]:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise InputError(source, "empty document, expected a mapping of fields", code="empty")
        marks: dict[FieldPath, tuple[int, int]] = {}
        _check_size(source, node)
        _walk(source, node, (), marks)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or "invalid YAML"
        if "could not determine a constructor for the tag" in problem:
            tag = problem.split("tag", 1)[1].strip()
            problem = f"YAML tag {tag} is not allowed (tags are never executed; plain data only)"
        elif exc.context and "expected a single document" not in problem:
            problem = f"{exc.context}, {problem}"
        line = mark.line + 1 if mark else None
        column = mark.column + 1 if mark else None
        raise InputError(source, f"YAML: {problem}", line=line, column=column,
                         code="syntax") from None
    except yaml.YAMLError as exc:
        raise InputError(source, f"YAML: {exc}", code="syntax") from None
    except RecursionError:
        raise InputError(source, "YAML nested too deeply", code="syntax") from None
    finally:
        loader.dispose()
    return data, marks


def _check_size(source: str, root: yaml.Node) -> None:
    """Count nodes as if aliases were expanded, without expanding them (memoised per node)."""
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active:  # a recursive alias
            raise InputError(source, "recursive YAML alias; refused",
                             line=node.start_mark.line + 1, code="alias")
        active.add(key)
        total = 1
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                total += size(k) + size(v)
                if total > MAX_EXPANDED_NODES:
                    break
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                total += size(item)
                if total > MAX_EXPANDED_NODES:
                    break
        active.discard(key)
        if total > MAX_EXPANDED_NODES:
            raise InputError(
                source,
                f"YAML aliases would expand to more than {MAX_EXPANDED_NODES} nodes; refused "
                "(alias-expansion bomb?)",
                line=node.start_mark.line + 1, code="alias",
            )
        sizes[key] = total
        return total

    size(root)


def _walk(
    source: str, node: yaml.Node, path: FieldPath, marks: dict[FieldPath, tuple[int, int]]
) -> None:
    """Record key positions and refuse duplicate or non-string keys."""
    if isinstance(node, yaml.MappingNode):
        seen: dict[Hashable, int] = {}
        for key_node, value_node in node.value:
            line, column = key_node.start_mark.line + 1, key_node.start_mark.column + 1
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise InputError(source, "YAML merge keys (<<) are not allowed",
                                 line=line, column=column, code="syntax")
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != "tag:yaml.org,2002:str":
                raise InputError(
                    source, f"key {getattr(key_node, 'value', '?')!r} is not a text field name",
                    line=line, column=column, code="key",
                )
            key = key_node.value
            if key in seen:
                raise InputError(
                    source,
                    f"duplicate key {key!r} (first on line {seen[key]}, again on line {line}); "
                    "remove one",
                    field=format_path((*path, key)), line=line, column=column, code="duplicate",
                )
            seen[key] = line
            marks[(*path, key)] = (line, column)
            _walk(source, value_node, (*path, key), marks)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            marks.setdefault((*path, index), (item.start_mark.line + 1, item.start_mark.column + 1))
            _walk(source, item, (*path, index), marks)
