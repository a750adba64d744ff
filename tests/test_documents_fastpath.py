"""The fast paths of ``gist_tox.documents`` give exactly what the careful paths give.

``read_document`` builds a document of plain data in one pass (``_build_plain``) and leaves
anything unusual to the careful path (``_walk``, PyYAML's constructor, ``_refuse_unsafe_values``),
whose messages are pinned by the other suites.  These tests hold the two to the same data, the
same key positions (in the same order) and the same errors, on generated YAML full of what is
unusual: tags, duplicate and non-text keys, ambiguous numbers, impossible dates, non-finite
numbers, escapes and control characters, deep nesting, aliases.  The resolver's memory of tags
and the one-open file reading are held to PyYAML's resolver and to the step-by-step checks.
"""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gist_tox.documents as documents
from gist_tox.documents import MAX_BYTES, read_bytes, read_document
from gist_tox.errors import InputError

REPO = Path(__file__).resolve().parents[1]

SETTINGS = settings(
    max_examples=400, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)


def outcome(text: str, name: str = "v.yaml") -> tuple[Any, ...]:
    """What reading ``text`` gives, in a form that tells ``1``, ``1.0`` and ``True`` apart and
    compares positions in order."""
    try:
        doc = read_document(name, text=text)
    except InputError as exc:
        return ("refused", exc.code, str(exc), exc.field, exc.line, exc.column)
    except Exception as exc:  # compared, not hidden: both paths must agree
        return ("raised", type(exc).__name__, str(exc))
    return ("read", repr(doc.data), list(doc.marks.items()), doc.source)


def careful_outcome(text: str, name: str = "v.yaml") -> tuple[Any, ...]:
    """:func:`outcome` with the one-pass build turned off: the careful path alone."""
    saved = documents._build_plain
    documents._build_plain = lambda *args: None
    try:
        return outcome(text, name)
    finally:
        documents._build_plain = saved


def assert_same(text: str, name: str = "v.yaml") -> tuple[Any, ...]:
    fast = outcome(text, name)
    assert fast == careful_outcome(text, name), text
    if fast[0] == "read":  # and the data is what PyYAML itself builds
        assert fast[1] == repr(yaml.load(text, Loader=yaml.CSafeLoader)), text
    return fast


# -- generated YAML ------------------------------------------------------------------------

PLAIN_SCALARS = [
    "400",
    "0",
    "-5",
    "+5",
    "1_000",
    "1_",
    "-0",
    "99999999999999999999",
    "9" * 30,
    "0.5",
    "-0.0",
    "1.",
    ".5",
    "-.5",
    "1.0e+3",
    "1e5",
    "1_000.5",
    "yes",
    "No",
    "on",
    "OFF",
    "true",
    "False",
    "~",
    "null",
    "Null",
    "",
    "2024-01-01",
    "2024-01-01 10:00:00",
    "2024-01-01T10:00:00Z",
    "2024-13-01",
    "text",
    "two words",
    "'0400'",
    "'it''s'",
    '"a\\tb"',
    '"caf\\u00e9"',
    '"plain"',
    "!!str 400",
    "!!int 400",
    "!!float 1",
    "!!null x",
    "!!bool yes",
    "!!timestamp 2024-01-01",
    "\u2028line",
    "|\n  block\n  text",
    ">\n  folded\n  text",
    "!!map {a: 1}",
    "!!seq [1]",
]
ODD_SCALARS = [
    "0_",
    "0400",
    "0x190",
    "0b11",
    "0o17",
    "6:40",
    "1:30.5",
    "1.0e999",
    "-1.0E+999",
    ".inf",
    "-.Inf",
    ".nan",
    ".NaN",
    "2023-02-29",
    '"\\e[2J"',
    '"\\u202e"',
    '"\\x85"',
    '"\\0"',
    '"\\ud800"',
    "\u202ebidi",
    "!!int abc",
    "!!float x",
    "!!binary aGk=",
    "!!set {a, b}",
    "!!omap [a: 1]",
    "!!pairs [a: 1]",
    "!!python/name:os.system",
    "!local thing",
    "!!str [1]",
    "<<",
    "=",
    "!!int \u0663",
    "!!int \u00b2",
    "!!float \u0663.5",
]
SCALARS = PLAIN_SCALARS + ODD_SCALARS
PLAIN_KEYS = ["a", "b", "c", "date", "value", "'q'", '"d"', "!!str 5", "\u202ekey", '"\\e"']
ODD_KEYS = ["no", "1", "1.5", "~", "<<", "=", "[a]", "{k: v}"]
KEYS = PLAIN_KEYS + ODD_KEYS

# Mostly plain, so that many documents are read and compared in full; sometimes odd.
scalar_text = st.sampled_from(PLAIN_SCALARS * 8 + ODD_SCALARS)
key_text = st.sampled_from(PLAIN_KEYS * 12 + ODD_KEYS)


def block(value: Any, indent: int) -> str:
    """YAML text of ``value`` (a tree of dicts, lists and scalar texts) in block style."""
    pad = " " * indent
    if isinstance(value, dict):
        if not value:
            return "{}"
        lines = []
        for key, item in value.items():
            inner = block(item, indent + 2)
            if isinstance(item, dict | list) and item:
                lines.append(f"{pad}{key}:\n{inner}")
            else:
                lines.append(f"{pad}{key}: {inner}")
        return "\n".join(lines)
    if isinstance(value, list):
        if not value:
            return "[]"
        return "\n".join(f"{pad}- {block(item, indent + 2).lstrip()}" for item in value)
    return str(value).replace("\n", "\n" + pad)


def flow(value: Any) -> str:
    """YAML text of ``value`` in flow style (block scalars become plain words)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k.strip()}: {flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(flow(v) for v in value) + "]"
    return "word" if str(value)[:1] in "|>" else str(value)


trees = st.recursive(
    scalar_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(key_text, inner, max_size=4),
    max_leaves=12,
)


@st.composite
def yaml_texts(draw: st.DrawFn) -> str:
    top = draw(st.dictionaries(key_text, trees, min_size=1, max_size=5))
    parts = []
    for key, value in top.items():
        one = {key: value}
        parts.append(flow(one)[1:-1] if draw(st.booleans()) else block(one, 0))
    text = "\n".join(parts) + "\n"
    if draw(st.integers(0, 9)) == 0:
        text = text.replace("\n", "\r\n")
    if draw(st.integers(0, 9)) == 0:
        text = "# a comment \u202e\n" + text
    return text


@pytest.mark.parametrize("scalar", SCALARS)
def test_each_value_reads_the_same_on_both_paths(scalar: str) -> None:
    assert_same(f"a: {scalar}\n")
    assert_same(f"a:\n  - 1\n  - {scalar.replace(chr(10), chr(10) + '    ')}\n")
    assert_same(f"a: {{b: [{flow(scalar)}]}}\n")


@pytest.mark.parametrize("key", KEYS)
def test_each_key_reads_the_same_on_both_paths(key: str) -> None:
    assert_same(f"{key}: 1\n")
    assert_same(f"a:\n  - {key}: x\n    {key}: y\n")
    assert_same(f"a: {{b: 1, {key}: [x]}}\n")


@SETTINGS
@given(yaml_texts())
def test_generated_documents_read_the_same_on_both_paths(text: str) -> None:
    assert_same(text)


@settings(SETTINGS, max_examples=200)
@given(
    st.dictionaries(
        st.text(max_size=6),
        st.recursive(
            st.none()
            | st.booleans()
            | st.integers()
            | st.floats()
            | st.text(max_size=12)
            | st.dates(),
            lambda inner: (
                st.lists(inner, max_size=3)
                | st.dictionaries(st.text(max_size=6), inner, max_size=3)
            ),
            max_leaves=10,
        ),
        min_size=1,
        max_size=5,
    ),
    st.booleans(),
)
def test_dumped_data_reads_the_same_on_both_paths(data: dict[str, Any], flow_style: bool) -> None:
    assert_same(yaml.safe_dump(data, default_flow_style=flow_style, allow_unicode=True))


@pytest.mark.parametrize(
    "path",
    sorted((REPO / "examples").rglob("*.yaml"))
    + sorted((REPO / "tests" / "bad_inputs").glob("*.yaml")),
    ids=lambda p: p.name,
)
def test_examples_and_bad_inputs_read_the_same_on_both_paths(path: Path) -> None:
    try:
        text = documents.decode(str(path), path.read_bytes())
    except InputError:
        return
    assert_same(text)


@pytest.mark.parametrize(
    "text",
    [
        "a: 1\nb:\n  c: [1, 2, {d: x}]\n  e: {f: 2024-01-01}\n",
        "a: &x {b: 1}\nc: *x\n",  # aliases: the careful path only
        "a: " + "[" * 70 + "]" * 70 + "\n",  # deeper than the one pass goes
        "a: " + "{b: " * 70 + "1" + "}" * 70 + "\n",
        "a: " + "[" * 300 + "]" * 300 + "\n",  # too deep for the careful path's recursion
        "a: " + "{b: " * 300 + "1" + "}" * 300 + "\n",
        "a: " + "[" * 990 + "]" * 990 + "\n",
        "a: 1\r\nb: 'x'\r\n",
        "- 1\n",
        "1\n",
        "!!map {a: 1}\n",
        "!!str {a: 1}\n",
        "!!set {a}\n",
        "!foo {a: 1}\n",
        "a: 1\nb: 2\na: 3\n",
        "a: {b: 1, b: 2}\n",
        "? [a]\n: 1\n",
        "1: a\n",
        "<<: {a: 1}\n",
        "a: !!bool maybe\n",
        "a: !!timestamp abc\n",
        'a: "\\t"\n',
        'a: "\\e"\n',
        "a: [1, 0x10]\nb: {c: 1, c: 2}\n",  # the careful path's order: keys first, then values
        "a: .nan\nb: 2023-02-29\n",
        "a: 1.0e+999\n",
    ],
)
def test_chosen_documents_read_the_same_on_both_paths(text: str) -> None:
    assert_same(text)


def test_a_visit_is_built_in_one_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fast path is taken for an ordinary visit (the careful path is not called)."""

    def never(*args: object) -> None:
        raise AssertionError("careful path taken")

    monkeypatch.setattr(documents, "_walk", never)
    monkeypatch.setattr(documents, "_refuse_unsafe_values", never)
    for path in sorted((REPO / "examples").glob("*.yaml")):
        assert read_document(str(path)).data


number_texts = st.one_of(
    st.from_regex(r"[-+ ]?[0-9._eE:+-]{0,10}[ \n]?", fullmatch=True),
    st.sampled_from(
        [
            ".inf",
            "-.Inf",
            ".nan",
            "nan",
            "inf",
            "-infinity",
            "1e999",
            "-0",
            "-0.0",
            " 1.5",
            "1.5 ",
            "+ 1.5",
            "- 1",
            "\u0663",
            "\u0663.5",
            "\u00b2",
            "1__0",
            "0x1F",
            "0o7",
            "0b1",
            "1:30",
            "1_000.5",
            "",
            "-",
            ".",
        ]
    ),
    st.text(max_size=6),
)


@settings(max_examples=500, deadline=None, derandomize=True)
@given(number_texts, st.sampled_from(["int", "float", "bool", "null", "timestamp"]))
def test_scalars_are_built_as_the_loader_builds_them(text: str, name: str) -> None:
    """The one pass's own reading of numbers, booleans and nulls against the loader's
    constructor: the same value, or the careful path (whatever the constructor does then)."""
    tag = "tag:yaml.org,2002:" + name
    node = yaml.ScalarNode(tag, text)
    loader = documents._Loader("")
    try:
        try:
            expected: Any = loader.yaml_constructors[tag](loader, node)
        except Exception:  # the careful path's business
            expected = documents._Unusual
        if isinstance(expected, float) and not math.isfinite(expected):
            expected = documents._Unusual
        try:
            got: Any = documents._PlainBuilder(loader, "\\").scalar(node, tag)
        except documents._Unusual:
            got = documents._Unusual
        assert repr(got) == repr(expected) and type(got) is type(expected), (text, name)
    finally:
        loader.dispose()


@pytest.mark.parametrize(("depth", "careful"), [(10, False), (70, True)])
@pytest.mark.parametrize("opening", ["[", "{b: "])
def test_deep_documents_take_the_careful_path(
    depth: int, careful: bool, opening: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The one pass recurses; past a depth it leaves the document to the careful path, whose
    recursion limit decides what is too deep, as it always has."""
    walked: list[object] = []
    walk = documents._walk

    def spy(*args: Any) -> None:
        walked.append(args)
        walk(*args)

    monkeypatch.setattr(documents, "_walk", spy)
    closing = "]" if opening == "[" else "}"
    text = "a: " + opening * depth + ("" if opening == "[" else "1") + closing * depth + "\n"
    assert read_document("v.yaml", text=text).data["a"]
    assert bool(walked) is careful


# -- the resolver's memory of tags -----------------------------------------------------------


@settings(max_examples=500, deadline=None, derandomize=True)
@given(
    st.one_of(
        st.sampled_from(SCALARS),
        st.text(max_size=12),
        st.from_regex(r"[-+.~0-9:_eExXobnNyYtTfF]{0,8}", fullmatch=True),
    ),
    st.booleans(),
    st.booleans(),
)
def test_tags_are_resolved_as_pyyaml_resolves_them(value: str, plain: bool, quoted: bool) -> None:
    reference: Any = yaml.resolver.Resolver()
    loader = documents._Loader("")
    try:
        for _ in range(2):  # the second answer comes from memory
            assert loader.resolve(yaml.ScalarNode, value, (plain, quoted)) == reference.resolve(
                yaml.ScalarNode, value, (plain, quoted)
            )
        for kind in (yaml.SequenceNode, yaml.MappingNode):
            assert loader.resolve(kind, None, plain) == reference.resolve(kind, None, plain)
    finally:
        loader.dispose()


def test_the_loader_has_no_path_resolvers() -> None:
    """Path resolvers would make tags depend on where a node is: the memory would be wrong."""
    assert not documents._Loader.yaml_path_resolvers


# -- reading files ---------------------------------------------------------------------------


def careful_read(source: str) -> bytes:
    """The step-by-step checks alone (folder, size, read, silent pipe)."""
    raw = documents._read_path(source, Path(source))
    if len(raw) > MAX_BYTES:
        raise InputError(source, f"more than {MAX_BYTES} bytes (1 MiB); refused", code="file")
    return raw


def read_outcome(read: Any, source: str) -> tuple[Any, ...]:
    try:
        return ("read", read(source))
    except InputError as exc:
        return ("refused", str(exc), exc.code)
    except ValueError as exc:  # a NUL in the name (no command line or folder can hold one)
        return ("raised", str(exc))


def test_files_read_the_same_as_step_by_step(tmp_path: Path) -> None:
    (tmp_path / "visit.yaml").write_text("a: 1\n")
    (tmp_path / "empty.yaml").write_bytes(b"")
    (tmp_path / "limit.yaml").write_bytes(b"#" * MAX_BYTES)
    (tmp_path / "over.yaml").write_bytes(b"#" * (MAX_BYTES + 1))
    (tmp_path / "chunks.yaml").write_bytes(b"#" * (200 * 1024))
    (tmp_path / "folder.yaml").mkdir()
    (tmp_path / "loop.yaml").symlink_to(tmp_path / "loop.yaml")
    (tmp_path / "dangling.yaml").symlink_to(tmp_path / "nowhere")
    (tmp_path / "to-folder").symlink_to(tmp_path / "folder.yaml")
    sources = [
        "visit.yaml",
        "empty.yaml",
        "limit.yaml",
        "over.yaml",
        "chunks.yaml",
        "folder.yaml",
        "folder.yaml/",
        "visit.yaml/",
        "visit.yaml/.",
        "loop.yaml",
        "folder.yaml//",
        "folder.yaml/.",
        "to-folder/.",
        "dangling.yaml",
        "missing.yaml",
        "to-folder",
        ".//visit.yaml",
        "./folder.yaml/../visit.yaml",
        "nul\x00.yaml",
    ]
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "pipe.yaml")
        sources.append("pipe.yaml")
    for name in sources:
        source = str(tmp_path / name) if not name.startswith(".") else str(tmp_path) + name[1:]
        assert read_outcome(read_bytes, source) == read_outcome(careful_read, source), name


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_a_device_reads_the_same_as_step_by_step() -> None:
    assert read_outcome(read_bytes, "/dev/zero") == read_outcome(careful_read, "/dev/zero")
    assert read_outcome(read_bytes, "/dev/null") == read_outcome(careful_read, "/dev/null")


@pytest.mark.skipif(
    sys.platform == "win32" or os.geteuid() == 0, reason="root reads whatever the permissions"
)
def test_unreadable_files_and_folders_read_the_same_as_step_by_step(tmp_path: Path) -> None:
    locked = tmp_path / "locked.yaml"
    locked.write_text("a: 1\n")
    locked.chmod(0)
    shut = tmp_path / "shut"
    shut.mkdir()
    shut.chmod(0)
    try:
        for path in (locked, shut):
            assert read_outcome(read_bytes, str(path)) == read_outcome(careful_read, str(path)), (
                path.name
            )
    finally:
        locked.chmod(0o644)
        shut.chmod(0o755)
