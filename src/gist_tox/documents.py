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

A YAML document is read in one pass over the composed nodes (:class:`_Builder`: data, key
positions and every check, cheaper than PyYAML's own constructor), which words its own messages.
"""

from __future__ import annotations

import errno
import functools
import math
import operator
import os
import re
import stat
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

import yaml

from gist_tox.errors import InputError, Problem, echo

MAX_BYTES = 1024 * 1024
"""Files larger than this are refused before they are parsed (1 MiB)."""

STDIN_NAME = "<stdin>"
"""How error messages and results name standard input (given on the command line as ``-``)."""

MAX_EXPANDED_NODES = 20_000
"""A visit has a few hundred YAML nodes; far more after alias expansion is an attack or a
mistake."""

FieldPath = tuple[str | int, ...]
Marks = dict[FieldPath, tuple[int, int]]

_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


_PLAIN_NAME = re.compile(r"^[A-Za-z0-9_-]{1,60}$")


def format_path(path: FieldPath) -> str:
    """``("history", 0, "date")`` -> ``history[0].date``.

    A key that is not a plain name is quoted (``repr``) and shortened, so that a key holding
    terminal escape codes, new lines or a megabyte of text cannot garble or flood the message.
    """
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
            continue
        name = part if _PLAIN_NAME.match(part) else shorten(repr(part))
        out += f".{name}" if out else name
    return out


def shorten(text: str, limit: int = 60) -> str:
    """``text`` cut to ``limit`` characters, marked with "..." when cut."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def display_name(source: str) -> str:
    """The name a message uses for ``source``: ``<stdin>`` for ``-``."""
    return STDIN_NAME if source == "-" else source


class Document(NamedTuple):
    """A parsed document: its data, where it came from, and the position of each key.

    (A named tuple, not a dataclass: creating a dataclass costs about a millisecond at every
    start-up.  Build it with ``marks`` whenever positions are known.)"""

    source: str
    data: dict[str, Any]
    marks: Mapping[FieldPath, tuple[int, int]] = MappingProxyType({})

    def position(self, path: FieldPath) -> tuple[int | None, int | None]:
        """The line and column of the deepest known key on ``path`` (1-based), if any."""
        for cut in range(len(path), 0, -1):
            mark = self.marks.get(tuple(path[:cut]))
            if mark is not None:
                return mark
        return None, None

    def problem(self, path: FieldPath, message: str, code: str = "input") -> Problem:
        """A problem at ``path`` of this document (file, line, column and field filled in)."""
        line, column = self.position(path)
        field = format_path(path) or None
        return Problem(self.source, message, field=field, line=line, column=column, code=code)

    def error(self, path: FieldPath, message: str, code: str = "input") -> InputError:
        return InputError.of(self.problem(path, message, code))


def _resolve(kind: Any, value: Any, implicit: tuple[bool, bool]) -> str:
    """The tag of a node, as PyYAML resolves it (the same resolvers, tried in the same order),
    without building the list of candidates anew for every scalar.  No path resolvers are
    registered, so a scalar that no implicit resolver matches (or a quoted one) is text, and a
    collection is a mapping or a sequence (PyYAML's defaults)."""
    if kind is _SCALAR:
        if implicit[0]:
            found = _IMPLICIT_RESOLVERS.get(value[:1], _ANY_FIRST_RESOLVERS)
            if found is not None:
                match = found[0].match(value)
                if match is not None:
                    return found[1][match.lastgroup]
        return _STR
    return _MAP if kind is _MAPPING else _SEQ


class _Loader(_BaseLoader):  # type: ignore[valid-type,misc]
    """The safe loader, with impossible dates reported at their position."""

    def construct_yaml_timestamp(self, node: yaml.Node) -> Any:
        if not self.timestamp_regexp.match(str(node.value)):  # only with an explicit !!timestamp
            raise _unreadable(node, "a date (YYYY-MM-DD)")
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError as exc:
            raise yaml.constructor.ConstructorError(
                None, None, f"impossible date or time {node.value!r} ({exc})", node.start_mark
            ) from None

    def construct_yaml_bool(self, node: yaml.Node) -> Any:
        if str(node.value).lower() not in self.bool_values:  # only with an explicit !!bool
            raise _unreadable(node, "true or false")
        return super().construct_yaml_bool(node)

    def construct_yaml_int(self, node: yaml.Node) -> Any:
        """YAML 1.1 reads ``0400`` as octal 256, ``0x190`` as hex and ``6:40`` as base 60: a
        dose or a count written so would be silently misread, so only plain decimals pass."""
        if not str(node.value).strip("_+- "):  # PyYAML's own fails on these (IndexError)
            raise _unreadable(node, "a whole number")
        try:
            value = super().construct_yaml_int(node)
        except ValueError as exc:
            if "integer string conversion" in str(exc):  # too many digits: said further up
                raise
            raise _unreadable(node, "a whole number") from None  # only with an explicit !!int
        if not _PLAIN_INT.match(str(node.value)):
            raise _ambiguous_number(node, value)
        return value

    def construct_yaml_float(self, node: yaml.Node) -> Any:
        if not str(node.value).strip("_+- "):  # PyYAML's own fails on these (IndexError)
            raise _unreadable(node, "a number")
        try:
            value = super().construct_yaml_float(node)
        except ValueError:  # only with an explicit !!float
            raise _unreadable(node, "a number") from None
        if ":" in str(node.value) or "_" in str(node.value):  # base 60, ``4_00.5``
            raise _ambiguous_number(node, value)
        return value

    resolve = staticmethod(functools.lru_cache(maxsize=64)(_resolve))
    """:func:`_resolve`, remembering the last tags asked for: the C parser asks this of every
    key, value and collection of every file, and a visit's keys (and its units, its sections)
    are those of the visits before it (four in five are found, without a Python call).  A tag
    depends only on the node's kind and text, so a remembered one is the one worked out; at
    most 64 texts are kept."""

    # The C composer calls these two around every node.  No path resolvers are registered, so
    # there is nothing to track (PyYAML's own return at once); each is a builtin that ignores
    # its arguments (one node and its index; none), so that the calls cost no Python frame.
    descend_resolver = operator.is_
    ascend_resolver = tuple


def _unreadable(node: yaml.Node, expected: str) -> yaml.constructor.ConstructorError:
    """A value whose explicit tag (``!!bool maybe``) it does not fit."""
    return yaml.constructor.ConstructorError(
        None,
        None,
        f"{echo(str(node.value))} tagged {_short_tag(node.tag)} is not {expected}",
        node.start_mark,
    )


def _ambiguous_number(node: yaml.Node, read_as: Any) -> yaml.constructor.ConstructorError:
    return yaml.constructor.ConstructorError(
        None,
        None,
        f"the number {str(node.value)!r} is ambiguous (YAML reads it as {read_as});"
        " write a plain decimal number",
        node.start_mark,
    )


_PLAIN_INT = re.compile(r"^[-+]?(0|[1-9][0-9]*)$")
"""A whole number as people write it: ``4_00`` (YAML 1.1 reads 400) is refused as ambiguous."""

_YAML_TAG = "tag:yaml.org,2002:"
_STR, _SEQ, _MAP = _YAML_TAG + "str", _YAML_TAG + "seq", _YAML_TAG + "map"
_INT, _FLOAT, _BOOL, _NULL = (_YAML_TAG + name for name in ("int", "float", "bool", "null"))
_NUMBER_TAGS = frozenset({_INT, _FLOAT, _BOOL, _NULL})
_MERGE = _YAML_TAG + "merge"
_SCALAR, _MAPPING = yaml.ScalarNode, yaml.MappingNode
"""The node classes, looked up once: the composer and the builder test every node's class."""

_Resolvers = tuple[re.Pattern[str], dict[str | None, str]]
"""Implicit resolvers as one pattern, and the tag of each of its named alternatives."""

_FLAG_LETTERS = (
    (re.ASCII, "a"),
    (re.IGNORECASE, "i"),
    (re.MULTILINE, "m"),
    (re.DOTALL, "s"),
    (re.VERBOSE, "x"),
)


def _one_pattern(resolvers: list[tuple[str, re.Pattern[str]]]) -> _Resolvers | None:
    """PyYAML's implicit ``resolvers`` for one first character as one pattern, so that a scalar
    is matched once rather than once per resolver: the alternatives in the order PyYAML tries
    the resolvers, each named and with its own flags.  Alternatives are tried in order, so the
    one that matches is the first resolver whose pattern matches, the one PyYAML takes."""
    if not resolvers:
        return None
    parts: list[str] = []
    tags: dict[str | None, str] = {}
    for index, (tag, regexp) in enumerate(resolvers):
        flags = "".join(letter for flag, letter in _FLAG_LETTERS if regexp.flags & flag)
        scoped = f"(?{flags}:{regexp.pattern}\n)" if flags else regexp.pattern
        parts.append(f"(?P<r{index}>{scoped})")
        tags[f"r{index}"] = tag
    return re.compile("|".join(parts)), tags


_ANY_FIRST = list(_Loader.yaml_implicit_resolvers.get(None, ()))
_ANY_FIRST_RESOLVERS = _one_pattern(_ANY_FIRST)
_IMPLICIT_RESOLVERS = {
    first: _one_pattern([*resolvers, *_ANY_FIRST])
    for first, resolvers in _Loader.yaml_implicit_resolvers.items()
    if first is not None
}
"""PyYAML's implicit resolvers by a scalar's first character ('' for an empty one), each list
followed by those for any first character, in the order PyYAML tries them."""

_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)
_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_yaml_int)
_Loader.add_constructor("tag:yaml.org,2002:bool", _Loader.construct_yaml_bool)
_Loader.add_constructor("tag:yaml.org,2002:float", _Loader.construct_yaml_float)


def read_bytes(source: str) -> bytes:
    """Read at most :data:`MAX_BYTES` from a path or from stdin (``-``)."""
    if source == "-":
        source = STDIN_NAME
        raw: bytes = sys.stdin.buffer.read(MAX_BYTES + 1)
    else:
        if not source:
            raise InputError("''", "no file name given (an empty argument)", code="file")
        raw = _read_file(source)
    if len(raw) > MAX_BYTES:
        raise InputError(source, f"more than {MAX_BYTES} bytes (1 MiB); refused", code="file")
    return raw


def _read_file(source: str) -> bytes:
    """A regular file's bytes: one ``open`` and one ``fstat``, then reads sized to the file.

    Anything the open refuses (no such file, no permission, a loop, a name the system cannot
    take, ``visit.yaml/``) goes to :func:`_read_path`, the checks one by one on the name as
    ``Path`` spells it, so that each problem keeps its own message.  The name is opened as given
    (building a ``Path`` costs more than the open): when that succeeds it is the file ``Path``'s
    spelling names too, which differs only by ``.`` parts, doubled and trailing slashes.

    The open never blocks (a named pipe is opened without waiting for a writer) and never makes
    a terminal ours; a path that is not a regular file (a named pipe, with or without a writer
    holding it, a device, a socket) is refused before anything is read from it, so that nothing
    can make ``grade`` or ``batch`` wait forever."""
    try:
        fd = os.open(source, os.O_RDONLY | _NONBLOCK | _NOCTTY)
    except (OSError, ValueError):
        return _read_path(source, Path(source))
    try:
        info = os.fstat(fd)
        _refuse_special(source, info)
        _refuse_size(source, info.st_size)
        return _read_regular(fd, info.st_size, MAX_BYTES + 1)
    except OSError as exc:
        raise _file_error(source, exc) from None
    finally:
        os.close(fd)


_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_NOCTTY = getattr(os, "O_NOCTTY", 0)


def _read_regular(fd: int, size: int, limit: int) -> bytes:
    """Up to ``limit`` bytes of a regular file of ``size`` bytes (read to its end, in case it
    grew since it was measured).  Python's buffered ``read(limit)`` would allocate ``limit``
    bytes (1 MiB) for every file first, which costs more than reading a visit."""
    parts: list[bytes] = []
    total = 0
    while total < limit:
        chunk = os.read(fd, min(limit - total, max(size + 1 - total, 64 * 1024)))
        if not chunk:
            break
        parts.append(chunk)
        total += len(chunk)
    return parts[0] if len(parts) == 1 else b"".join(parts)


def _read_path(source: str, path: Path) -> bytes:
    """Read a file the open refused, naming what is wrong."""
    try:
        if path.is_dir():
            raise InputError(source, "is a folder, expected a file", code="file")
        info = path.stat()
        _refuse_special(source, info)
        _refuse_size(source, info.st_size)
        fd = os.open(path, os.O_RDONLY | _NONBLOCK | _NOCTTY)
        try:
            return _read_regular(fd, info.st_size, MAX_BYTES + 1)
        finally:
            os.close(fd)
    except OSError as exc:
        raise _file_error(source, exc) from None


def _refuse_size(source: str, size: int) -> None:
    if size > MAX_BYTES:
        raise InputError(
            source, f"file is {size} bytes; the limit is {MAX_BYTES} (1 MiB)", code="file"
        )


_SPECIAL_KINDS = (
    (stat.S_ISDIR, "is a folder, expected a file"),
    (stat.S_ISFIFO, "is a named pipe (FIFO), not a regular file"),
    (stat.S_ISCHR, "is a character device, not a regular file"),
    (stat.S_ISBLK, "is a block device, not a regular file"),
    (stat.S_ISSOCK, "is a socket, not a regular file"),
)


def _refuse_special(source: str, info: os.stat_result) -> None:
    """Only regular files are read (``-`` reads standard input, pipe or not)."""
    if stat.S_ISREG(info.st_mode):
        return
    message = next(
        (words for test, words in _SPECIAL_KINDS if test(info.st_mode)), "is not a regular file"
    )
    hint = "" if stat.S_ISDIR(info.st_mode) else "; use - to read standard input"
    raise InputError(source, message + hint, code="file")


def _file_error(source: str, exc: OSError) -> InputError:
    """The message for a file the system would not let us read."""
    if isinstance(exc, FileNotFoundError):
        return InputError(source, "no such file", code="file")
    if isinstance(exc, PermissionError):
        return InputError(source, "permission denied", code="file")
    if exc.errno == errno.ELOOP:
        return InputError(source, "symbolic link loop; cannot read", code="file")
    return InputError(source, f"cannot read: {exc.strerror or exc}", code="file")


def decode(source: str, raw: bytes) -> str:
    """UTF-8 text of ``raw`` (a leading byte-order mark dropped), or an :class:`InputError`."""
    source = display_name(source)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(
            source,
            f"not UTF-8 text (invalid byte at offset {exc.start})",
            line=line,
            code="encoding",
        ) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        raise InputError(source, "empty file, expected a mapping of fields", code="empty")
    if "\x00" in text:
        raise InputError(source, "contains a NUL character; not a text file", code="encoding")
    return text


def read_document(
    source: str, *, text: str | None = None, json_mode: bool | None = None
) -> Document:
    """Read ``source`` (a path or ``-``) into a :class:`Document` whose top level is a mapping.

    ``text`` skips reading (used for stdin that was read earlier); ``json_mode`` forces the JSON
    parser (default: by the ``.json`` suffix).
    """
    if json_mode is None:
        json_mode = source.lower().endswith(".json")
    if text is None:
        text = decode(source, read_bytes(source))
    source = display_name(source)
    if json_mode:
        data = _parse_json(source, text)
        if _too_many_values(data):
            raise InputError(
                source,
                f"more than {MAX_EXPANDED_NODES} values; a visit has a few hundred",
                code="size",
            )
        marks: Mapping[FieldPath, tuple[int, int]] = (
            _LaterMarks(text) if _shallow(text) else _find_marks(text)
        )
    else:
        data, marks, plain = _parse_yaml(source, text)
    if not isinstance(data, dict):
        raise InputError(
            source,
            f"top level is {_kind(data)}, expected a mapping of fields (field: value lines)",
            code="shape",
        )
    document = Document(source=source, data=data, marks=marks)
    if json_mode or not plain:
        _refuse_unsafe_values(document, data, ())
    return document


def _kind(data: Any) -> str:
    """What a top level that is not a mapping is, in words, for the message."""
    if isinstance(data, list):
        return "a list"
    if data is None:
        return "null"
    if isinstance(data, str):
        return f"plain text ({echo(data)})"
    if isinstance(data, bool):
        return "true or false"
    if isinstance(data, int | float):
        return f"a number ({data!r})"
    return f"a single value ({type(data).__name__})"


_UNSAFE_TEXT = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
"""Control characters (tab and new line excepted) and bidirectional overrides: text holding them
could rewrite what a terminal or a report shows (a patient id that hides another).  Lone
surrogates (JSON ``"\\ud800"``) too: they cannot even be written out as UTF-8."""


def _refuse_unsafe_values(document: Document, data: Any, root: FieldPath) -> None:
    """Refuse, for every field, what is never data (in file order; a loop, not recursion, so
    that depth is never a problem).

    NaN and infinities (YAML ``.nan``/``.inf``, JSON ``NaN``/``Infinity``) would make every
    comparison silently false; control characters in text could make the output mislead."""
    stack: list[tuple[Any, FieldPath]] = [(data, root)]
    while stack:
        value, path = stack.pop()
        if isinstance(value, float) and not math.isfinite(value):
            raise document.error(
                path, f"{value} is not a finite number; expected a number", code="number"
            )
        if isinstance(value, str):
            found = _UNSAFE_TEXT.search(value)
            if found:
                raise document.error(
                    path,
                    f"text contains the control character {found.group()!r}; expected plain text",
                    code="text",
                )
        elif isinstance(value, dict):
            stack.extend(reversed([(item, (*path, key)) for key, item in value.items()]))
        elif isinstance(value, list):
            stack.extend(reversed([(item, (*path, i)) for i, item in enumerate(value)]))


class _DuplicateJsonKey(Exception):
    pass


def _parse_json(source: str, text: str) -> Any:
    """Strict JSON.  ``NaN``/``Infinity`` are read as floats and refused afterwards, by field."""
    import json  # only for .json files: kept off the start-up path

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in items:
            if key in out:
                raise _DuplicateJsonKey(key)
            out[key] = value
        return out

    try:
        return json.loads(text, object_pairs_hook=pairs)
    except json.JSONDecodeError as exc:
        raise InputError(
            source, f"invalid JSON: {exc.msg}", line=exc.lineno, column=exc.colno, code="syntax"
        ) from None
    except _DuplicateJsonKey as exc:
        # The YAML composer knows where both keys are; JSON's parser does not say.
        _find_marks(text, source=source)
        raise InputError(
            source, f"duplicate key {str(exc.args[0])!r}; remove one", code="duplicate"
        ) from None
    except RecursionError:
        raise InputError(source, "JSON nested too deeply", code="syntax") from None
    except ValueError as exc:  # e.g. an integer too long to convert
        raise InputError(source, f"invalid JSON: {_value_problem(exc)}", code="syntax") from None


def _too_many_values(data: Any) -> bool:
    """Whether ``data`` holds more than :data:`MAX_EXPANDED_NODES` values (stops counting there)."""
    count = 0
    stack = [data]
    while stack:
        item = stack.pop()
        count += 1
        if count > MAX_EXPANDED_NODES:
            return True
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _find_marks(text: str, source: str | None = None) -> dict[FieldPath, tuple[int, int]]:
    """Key positions of a YAML or JSON document, found by composing it as YAML (JSON is nearly a
    YAML subset).  Best effort: a document YAML cannot compose simply has no positions.  With
    ``source``, a duplicate key found on the way is raised, naming both lines."""
    marks: dict[FieldPath, tuple[int, int]] = {}
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is not None:
            builder = _Builder(source or "", loader, values=False)
            builder.build(node)
            marks = builder.marks or {}
    except InputError as exc:
        if source is not None and exc.code == "duplicate":
            raise
        return {}
    except (yaml.YAMLError, RecursionError, ValueError):
        return {}
    finally:
        loader.dispose()
    return marks


class _LaterMarks(Mapping[FieldPath, tuple[int, int]]):
    """The key positions of a document, found (:func:`_find_marks`) the first time a message
    asks for one.  Why: a document that is valid never asks.  For JSON, finding them composes
    the whole text as YAML, which costs more than reading the JSON itself; for YAML, noting
    them as the values are built made two tuples and a dictionary entry for every key and item
    of every visit (a third of building its values)."""

    __slots__ = ("_found", "_text")

    def __init__(self, text: str) -> None:
        self._text = text
        self._found: dict[FieldPath, tuple[int, int]] | None = None

    def _marks(self) -> dict[FieldPath, tuple[int, int]]:
        if self._found is None:
            self._found = _find_marks(self._text)
        return self._found

    def __getitem__(self, path: FieldPath) -> tuple[int, int]:
        return self._marks()[path]

    def __iter__(self) -> Iterator[FieldPath]:
        return iter(self._marks())

    def __len__(self) -> int:
        return len(self._marks())


_SHALLOW = 200
"""A document nested at most this deep has its key positions found later, from deeper in the
stack (a message), exactly as at once.  (A JSON text with at most this many ``{`` and ``[`` is
nested at most this deep.)"""


def _shallow(text: str) -> bool:
    """Whether finding the key positions of JSON ``text`` can wait for a message that asks
    for one: finding them recurses once per level, and a text nested nearly as deep as Python
    allows would, from deeper in the stack, find none where it found them at once."""
    return text.count("{") + text.count("[") <= _SHALLOW


def _parse_yaml(source: str, text: str) -> tuple[Any, Mapping[FieldPath, tuple[int, int]], bool]:
    """Data of a YAML text, built in one pass (:class:`_Builder`), its key positions (found when
    a message asks for one, :class:`_LaterMarks`, unless it is nested deeper than
    :data:`_SHALLOW`), and whether it is plainly safe: no number that is not finite, and no
    escape (backslash) or unsafe character anywhere in the text, so that no value can hold one
    (:func:`_refuse_unsafe_values` need not look).  Values that cannot be read are refused
    here, once the key positions that name their fields are known."""
    loader = _Loader(text)
    try:
        if len(text) > _COUNT_FIRST_ABOVE:
            _count_values(source, text)
        node = loader.get_single_node()
        if node is None:
            raise InputError(source, "empty document, expected a mapping of fields", code="empty")
        if "*" in text or len(text) > _COUNT_FIRST_ABOVE:  # only an alias (*name) can expand
            _check_size(source, node)
        builder = _Builder(source, loader)
        data = builder.build(node)
        marks: Mapping[FieldPath, tuple[int, int]] = _LaterMarks(text)
        if builder.unreadable or builder.deepest > _SHALLOW:
            # Found now, from no deeper in the stack than the values were built: a message
            # names the field of an unreadable value, and one asked for from deeper in the
            # stack would find none in a text nested nearly as deep as Python allows.
            keys = _Builder(source, loader, values=False)
            keys.build(node)
            marks = keys.marks or {}
            if builder.unreadable:
                raise builder.refusal(marks)
        plain = not builder.nonfinite and "\\" not in text and not _UNSAFE_TEXT.search(text)
        return data, marks, plain
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or "invalid YAML"
        if "could not determine a constructor for the tag" in problem:
            tag = _short_tag(problem.split("tag", 1)[1].strip().strip("'"))
            problem = f"YAML tag {tag!r} is not allowed (tags are never executed; plain data only)"
        elif exc.context and "expected a single document" not in problem:
            problem = f"{exc.context}, {problem}"
        line = mark.line + 1 if mark else None
        column = mark.column + 1 if mark else None
        if mark is not None and text[mark.index : mark.index + 1] == "\t":
            problem += " (a tab character: YAML is indented with spaces)"
        raise InputError(
            source, f"YAML: {problem}", line=line, column=column, code="syntax"
        ) from None
    except yaml.reader.ReaderError as exc:  # a character YAML never allows (an escape code)
        # The C reader counts bytes, the Python one characters: find the character itself.
        char = chr(exc.character) if isinstance(exc.character, int) else str(exc.character)
        where = text.find(char)
        before = text[: max(where, 0)]
        raise InputError(
            source,
            f"YAML: the character {char!r} is not allowed ({exc.reason})",
            line=before.count("\n") + 1 if where >= 0 else None,
            column=len(before) - before.rfind("\n") if where >= 0 else None,
            code="syntax",
        ) from None
    except yaml.YAMLError as exc:
        raise InputError(source, f"YAML: {shorten(str(exc), 200)}", code="syntax") from None
    except RecursionError:
        raise InputError(source, "YAML nested too deeply", code="syntax") from None
    except (ValueError, OverflowError) as exc:  # e.g. an integer too long to convert
        raise InputError(source, f"YAML: {_value_problem(exc)}", code="syntax") from None
    finally:
        loader.dispose()


class _Builder:
    """Builds a document's data, or its key positions, in one pass over its composed nodes.

    Why not PyYAML's constructor: this is several times cheaper, and it can say where every
    problem is.  What it refuses, in the order it reports them:

    1. at once, in file order: a tag that builds something other than plain data (bytes, sets,
       ordered pairs), a merge key (``<<``), a key that is not text, a duplicate key;
    2. then a value that cannot be read as its tag says (an impossible date, a number YAML would
       misread, a tag PyYAML has no constructor for): the first one in the order PyYAML's
       constructor would meet it (level by level, each level in file order), named by the field
       whose value it is.

    (Non-finite numbers and control characters are refused afterwards, for YAML and JSON alike,
    by :func:`_refuse_unsafe_values`.)  Plain scalars are built as PyYAML's safe constructor
    builds them (with our stricter numbers, booleans and dates: :class:`_Loader`), the common
    forms without a call.  With ``values=False`` only positions and keys are looked at (the key
    positions of a document, which a message may ask for: :class:`_LaterMarks`).
    """

    def __init__(self, source: str, loader: _Loader, *, values: bool = True) -> None:
        self.source = source
        self.loader = loader
        self.values = values
        self.marks: Marks | None = None if values else {}
        """The key positions, noted only with ``values=False``."""
        self.order = 0
        self.deepest = 0
        """The most levels of collections inside one another met."""
        self.nonfinite = False
        self.unreadable: list[tuple[int, int, Exception]] = []
        """The values that cannot be read as their tags say (see :meth:`refusal`)."""

    def build(self, root: yaml.Node) -> Any:
        return self.node(root, (), 0)

    def node(self, node: yaml.Node, path: FieldPath, depth: int) -> Any:
        """The value of ``node`` at ``path`` (``depth`` levels below the top)."""
        self.order += 1
        order, tag, kind = self.order, node.tag, node.__class__
        if tag in _REFUSED_TAGS:
            raise self._error(
                node, path, f"YAML tag {_short_tag(tag)!r} is not allowed (plain data only)"
            )
        if kind is _SCALAR:
            if not self.values:
                return None
            text: str = node.value
            if tag == _STR:
                return text
            if node.style and tag in _NUMBER_TAGS:  # type: ignore[attr-defined]
                return text  # quoted, or a block (``!!int "400"``): text, never a number
            if tag == _INT:
                if (
                    len(text) < 19
                    and text.isascii()
                    and text.isdigit()
                    and (text[0] != "0" or text == "0")
                ):
                    return int(text)
            elif tag == _FLOAT:
                # PyYAML reads it as ``sign * float(rest)``, ``_`` dropped: ``float(text)``
                # whenever that reads it (base 60, ``.inf`` and ``.nan`` it does not).
                if "_" not in text:  # ``float`` would drop it too: the constructor refuses it
                    try:
                        number = float(text)
                    except ValueError:
                        pass  # the loader's own constructor, below, reads it or says why not
                    else:
                        self.nonfinite = self.nonfinite or not math.isfinite(number)
                        return number
            elif tag == _NULL:
                return None
            elif tag == _BOOL:
                found = _BOOL_VALUES.get(text.lower())
                if found is not None:
                    return found
            return self._construct(node, depth, order)
        out: Any
        if depth > self.deepest:
            self.deepest = depth
        marks = self.marks
        if kind is _MAPPING:
            out = {}
            for key_node, value_node in node.value:
                key = key_node.value
                if key_node.__class__ is not _SCALAR or key_node.tag != _STR or key in out:
                    raise self._refused_key(key_node, node, path)
                if marks is not None:
                    mark = key_node.start_mark
                    marks[(*path, key)] = (mark.line + 1, mark.column + 1)
                if value_node.__class__ is _SCALAR and value_node.tag == _STR:
                    out[key] = value_node.value  # the commonest value, without a call
                    self.order += 1
                else:
                    out[key] = self.node(value_node, (*path, key), depth + 1)
            plain = tag == _MAP
        else:
            out = []
            for index, item in enumerate(node.value):
                item_path = (*path, index)
                if marks is not None:
                    mark = item.start_mark
                    marks.setdefault(item_path, (mark.line + 1, mark.column + 1))
                out.append(self.node(item, item_path, depth + 1))
            plain = tag == _SEQ
        return out if plain or not self.values else self._construct(node, depth, order)

    def _refused_key(self, key_node: yaml.Node, mapping: yaml.Node, path: FieldPath) -> InputError:
        """Why a key of ``mapping`` is refused: a merge key, a key that is not text, or a text
        key given twice (what is left once the other two are ruled out)."""
        line, column = key_node.start_mark.line + 1, key_node.start_mark.column + 1
        if key_node.tag == _MERGE:
            return InputError(
                self.source,
                "YAML merge keys (<<) are not allowed",
                line=line,
                column=column,
                code="syntax",
            )
        if key_node.__class__ is not yaml.ScalarNode or key_node.tag != _STR:
            shown = (
                shorten(repr(key_node.value))
                if isinstance(key_node, yaml.ScalarNode)
                else "a list"
                if isinstance(key_node, yaml.SequenceNode)
                else "a mapping"
            )
            return InputError(
                self.source,
                f"key {shown} is not a text field name (YAML reads it as"
                f" {_short_tag(key_node.tag)}; quote it if it is a name)",
                line=line,
                column=column,
                code="key",
            )
        key: str = key_node.value
        first = next(node for node, _ in mapping.value if node.value == key).start_mark
        return InputError(
            self.source,
            f"duplicate key {shorten(repr(key))}"
            f" ({_where_both((first.line + 1, first.column + 1), (line, column))}); remove one",
            field=format_path((*path, key)),
            line=line,
            column=column,
            code="duplicate",
        )

    def _construct(self, node: yaml.Node, depth: int, order: int) -> Any:
        """A value in a rarer form, by the loader's own constructor (with our checks); what it
        cannot read is kept, to be reported if it is the first PyYAML would meet."""
        try:
            value = self.loader.construct_object(node, deep=True)
        except (yaml.constructor.ConstructorError, ValueError, OverflowError) as exc:
            self.unreadable.append((depth, order, exc))
            return None
        if (isinstance(value, float) and not math.isfinite(value)) or isinstance(
            value, str | list | dict
        ):
            self.nonfinite = True  # the values walk looks at it (rare forms only)
        return value

    def refusal(self, marks: Marks) -> Exception:
        """Why the first unreadable value PyYAML's constructor would meet is refused: a value
        YAML cannot build (an impossible date, an ambiguous number), naming its field (by the
        key positions ``marks``); anything else as raised (worded by :func:`_parse_yaml`)."""
        exc = min(self.unreadable, key=lambda item: item[:2])[2]
        if not isinstance(exc, yaml.constructor.ConstructorError):
            return exc
        value_mark = exc.problem_mark
        if value_mark is None or not exc.problem or "constructor for the tag" in exc.problem:
            return exc
        return InputError(
            self.source,
            exc.problem,
            field=format_path(_field_at(marks, value_mark)) or None,
            line=value_mark.line + 1,
            column=value_mark.column + 1,
            code="value",
        )

    def _error(self, node: yaml.Node, path: FieldPath, message: str) -> InputError:
        return InputError(
            self.source,
            message,
            field=format_path(path) or None,
            line=node.start_mark.line + 1,
            column=node.start_mark.column + 1,
            code="syntax",
        )


_BOOL_VALUES: dict[str, bool] = dict(_Loader.bool_values)


def _value_problem(exc: Exception) -> str:
    """Words for a value the parser could not convert (Python's own text names its internals)."""
    if "integer string conversion" in str(exc):
        return "a number has too many digits (more than 4300); expected a plausible value"
    return f"a value cannot be read ({shorten(str(exc), 120)})"


def _field_at(marks: dict[FieldPath, tuple[int, int]], mark: Any) -> FieldPath:
    """The field whose value starts at ``mark``: the last key before it (keys in file order)."""
    where = (mark.line + 1, mark.column + 1)
    before = [(position, path) for path, position in marks.items() if position <= where]
    return max(before)[1] if before else ()


_COUNT_FIRST_ABOVE = 64 * 1024
"""Texts longer than this have their values counted from the event stream before any node is
built; a shorter text cannot hold enough values to be slow to build, and a visit is a few KiB."""


def _count_values(source: str, text: str) -> None:
    """Refuse a document of more than :data:`MAX_EXPANDED_NODES` values from the parser's event
    stream, stopping there: building the nodes of a megabyte of tiny values takes seconds."""
    scanner = _Loader(text)
    try:
        count = 0
        while scanner.check_event():
            event = scanner.get_event()
            if isinstance(event, yaml.NodeEvent):  # scalars, aliases, collection starts
                count += 1
                if count > MAX_EXPANDED_NODES:
                    raise InputError(
                        source,
                        f"more than {MAX_EXPANDED_NODES} values; a visit has a few hundred",
                        line=event.start_mark.line + 1 if event.start_mark else None,
                        code="size",
                    )
    finally:
        scanner.dispose()


def _check_size(source: str, root: yaml.Node) -> None:
    """Count nodes as if aliases were expanded, without expanding them (memoised per node)."""
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active:  # a recursive alias
            raise InputError(
                source, "recursive YAML alias; refused", line=node.start_mark.line + 1, code="alias"
            )
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
                line=node.start_mark.line + 1,
                code="alias",
            )
        sizes[key] = total
        return total

    size(root)


_REFUSED_TAGS = frozenset(_YAML_TAG + name for name in ("binary", "set", "omap", "pairs"))


def _short_tag(tag: str) -> str:
    """``tag:yaml.org,2002:python/name:os.system`` -> ``!!python/name:os.system``."""
    return "!!" + tag[len(_YAML_TAG) :] if tag.startswith(_YAML_TAG) else tag


def _where_both(first: tuple[int, int], again: tuple[int, int]) -> str:
    if first[0] == again[0]:
        return f"first at line {first[0]} column {first[1]}, again at column {again[1]}"
    return f"first on line {first[0]}, again on line {again[0]}"
