"""Safe reading of YAML and JSON documents (``gist_tox.documents``)."""

from __future__ import annotations

import contextlib
import math
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import gist_tox.documents as documents
from conftest import HANG_S, WRITER_S
from gist_tox.documents import (
    MAX_BYTES,
    MAX_EXPANDED_NODES,
    STDIN_NAME,
    decode,
    display_name,
    format_path,
    read_bytes,
    read_document,
)
from gist_tox.errors import InputError


def refused(text: str, name: str = "v.yaml") -> InputError:
    with pytest.raises(InputError) as caught:
        read_document(name, text=text)
    return caught.value


def test_a_mapping_is_read_with_the_position_of_each_key() -> None:
    doc = read_document("v.yaml", text="patient:\n  id: T\nhistory:\n  - date: 2024-01-01\n")
    assert doc.data["patient"] == {"id": "T"}
    assert doc.position(("patient", "id")) == (2, 3)
    assert doc.position(("history", 0, "date")) == (4, 5)
    # An unknown deeper path falls back to the deepest known key.
    assert doc.position(("patient", "id", "nothing")) == (2, 3)
    assert doc.position(("absent",)) == (None, None)


def test_json_documents_get_key_positions_too() -> None:
    doc = read_document("v.json", text='{"patient": {"id": "T"},\n "labs": {"anc": 1}}')
    assert doc.position(("labs", "anc")) == (2, 11)


def _deeper(frames: int, ask: Any) -> Any:
    return ask() if frames == 0 else _deeper(frames - 1, ask)


@pytest.mark.parametrize("name", ["v.json", "v.yaml"])
def test_key_positions_are_the_same_wherever_a_message_asks_for_them(name: str) -> None:
    """A document's positions are found when a message first asks for one, from deeper in the
    stack than the reading: a text nested nearly as deep as Python allows still has them."""
    shallow = '{"patient": {"id": "T"},\n "labs": {"anc": [1]}}'
    deep = None
    for depth in range(sys.getrecursionlimit(), 0, -5):  # the deepest the reading takes
        text = '{"patient": {"id": "T"},\n "labs": {"anc": ' + "[" * depth + "]" * depth + "}}"
        with contextlib.suppress(InputError):
            deep = read_document(name, text=text)
            break
    assert deep is not None
    for doc in (read_document(name, text=shallow), deep):
        assert _deeper(40, lambda doc=doc: doc.position(("labs", "anc"))) == (2, 11)


def test_format_path_quotes_names_that_are_not_plain() -> None:
    assert format_path(("history", 0, "date")) == "history[0].date"
    assert format_path(("labs", "anc")) == "labs.anc"
    assert format_path(("\x1b[2J",)) == "'\\x1b[2J'"
    assert len(format_path(("k" * 5000,))) <= 60


def test_stdin_is_displayed_as_stdin() -> None:
    assert display_name("-") == STDIN_NAME == "<stdin>"
    assert display_name("visit.yaml") == "visit.yaml"
    assert read_document("-", text="patient: {id: T}\n").source == "<stdin>"
    assert refused("[1]", name="-").source == "<stdin>"


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (b"", "empty file"),
        (b"  \n\t\n", "empty file"),
        (b"caf\xe9: 1\n", "not UTF-8"),
        (b"a: 1\x00\n", "NUL"),
    ],
)
def test_decode_refuses_what_is_not_text(raw: bytes, words: str) -> None:
    with pytest.raises(InputError, match=words):
        decode("v.yaml", raw)


def test_decode_names_the_line_of_a_bad_byte_and_drops_a_bom() -> None:
    with pytest.raises(InputError) as caught:
        decode("v.yaml", b"a: 1\nb: 2\nc: \xff\n")
    assert caught.value.line == 3
    assert decode("v.yaml", "\ufeffa: 1\n".encode()) == "a: 1\n"


def test_size_limit_both_sides(tmp_path: Path) -> None:
    ok = tmp_path / "ok.yaml"
    ok.write_bytes(b"#" * MAX_BYTES)
    assert len(read_bytes(str(ok))) == MAX_BYTES
    big = tmp_path / "big.yaml"
    big.write_bytes(b"#" * (MAX_BYTES + 1))
    with pytest.raises(InputError, match="limit is 1048576"):
        read_bytes(str(big))


def test_only_regular_files_are_read_a_device_or_a_held_pipe_never_blocks(
    tmp_path: Path,
) -> None:
    """A named pipe a writer holds open would block a read forever, a device may never end:
    anything but a regular file is refused at once, saying what it is."""
    if Path("/dev/zero").exists():
        with pytest.raises(InputError, match="/dev/zero: is a character device, not a regular"):
            read_bytes("/dev/zero")
    if not hasattr(os, "mkfifo"):
        return
    pipe = tmp_path / "held.yaml"
    os.mkfifo(pipe)
    writer = subprocess.Popen(["sh", "-c", f"sleep {WRITER_S} > '{pipe}'"])
    try:
        started = time.monotonic()
        with pytest.raises(InputError, match=r"is a named pipe \(FIFO\), not a regular file"):
            read_bytes(str(pipe))
        assert time.monotonic() - started < HANG_S
    finally:
        writer.kill()
        writer.wait()


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("- a\n- b\n", "top level is a list"),
        ("just words\n", "top level is plain text"),
        ("42\n", "top level is a number"),
        ("~\n", "top level is null"),
        ("true\n", "top level is true or false"),
        ("# nothing\n", "empty document"),
    ],
)
def test_top_level_must_be_a_mapping(text: str, words: str) -> None:
    assert words in refused(text).message


def test_syntax_errors_give_line_and_column() -> None:
    error = refused("a: 1\nb: [1, 2\nc: 3\n")
    assert error.line is not None and error.column is not None
    assert error.code == "syntax"


def test_a_tab_in_the_indentation_is_explained() -> None:
    assert "tab character" in refused("a:\n\tb: 1\n").message


def test_duplicate_keys_name_both_lines() -> None:
    error = refused("a: 1\nb:\n  c: 1\n  c: 2\n")
    assert error.field == "b.c" and error.line == 4
    assert "first on line 3, again on line 4" in error.message


def test_duplicate_json_keys_are_refused_with_positions() -> None:
    error = refused('{"a": 1,\n "a": 2}', name="v.json")
    assert "duplicate key 'a'" in error.message and "line 1" in error.message
    assert error.line == 2


@pytest.mark.parametrize(
    "text",
    [
        "a: !!python/object/apply:os.system ['true']\n",
        "a: !!python/name:os.system\n",
        "a: !!python/module:os\n",
        "a: !local thing\n",
    ],
)
def test_tags_are_refused(text: str) -> None:
    error = refused(text)
    assert "is not allowed" in error.message and error.line == 1


@pytest.mark.parametrize(
    "tag", ["!!binary aGk=", "!!set {a, b}", "!!omap [a: 1]", "!!pairs [a: 1]"]
)
def test_tags_that_build_non_plain_data_are_refused(tag: str) -> None:
    error = refused(f"a: {tag}\n")
    assert "is not allowed (plain data only)" in error.message and error.field == "a"


def test_explicit_plain_tags_are_plain_data() -> None:
    assert read_document("v.yaml", text="a: !!str 400\n").data == {"a": "400"}


def test_alias_bomb_is_refused_fast_without_expanding() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for level in range(1, 30):
        lines.append(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * 10) + "]")
    start = time.monotonic()
    error = refused("\n".join(lines) + "\n")
    assert time.monotonic() - start < HANG_S
    assert error.code == "alias" and str(MAX_EXPANDED_NODES) in error.message


def test_recursive_alias_is_refused() -> None:
    assert refused("a: &a [*a]\n").code == "alias"


def test_merge_keys_and_non_text_keys_are_refused() -> None:
    assert "merge keys" in refused("a: &x {b: 1}\nc: {<<: *x}\n").message
    assert "not a text field name" in refused("1: a\n").message
    assert "not a text field name" in refused("? [a]\n: 1\n").message


def test_impossible_yaml_dates_are_refused_at_their_position() -> None:
    error = refused("date: 2023-02-29\n")
    assert "impossible date" in error.message and (error.line, error.column) == (1, 7)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("a: {b: .nan}\n", "v.yaml"),
        ("a: {b: -.inf}\n", "v.yaml"),
        ('{"a": {"b": NaN}}', "v.json"),
        ('{"a": {"b": -Infinity}}', "v.json"),
        ('{"a": {"b": 1e999}}', "v.json"),
        ("a: {b: [1, .inf]}\n", "v.yaml"),
    ],
)
def test_non_finite_numbers_are_refused_naming_the_field(text: str, name: str) -> None:
    error = refused(text, name=name)
    assert "not a finite number" in error.message and error.field is not None
    assert error.field.startswith("a.b")


def test_integers_too_long_to_convert_are_refused() -> None:
    assert "too many digits" in refused("a: " + "9" * 5000 + "\n").message
    assert "too many digits" in refused('{"a": ' + "9" * 5000 + "}", name="v.json").message


@pytest.mark.parametrize("text", ["a: " + "[" * 5000 + "]" * 5000 + "\n", "- " * 3000 + "x\n"])
def test_deep_nesting_is_refused_not_a_crash(text: str) -> None:
    assert refused(text).code == "syntax"


def test_deep_json_nesting_is_refused() -> None:
    assert (
        "nested too deeply"
        in refused('{"a": ' + "[" * 100_000 + "]" * 100_000 + "}", name="v.json").message
    )


@pytest.mark.parametrize("text", ['{"a": 1,}', "{'a': 1}", '{"a": 1} // c', "a: 1\n"])
def test_json_is_strict(text: str) -> None:
    error = refused(text, name="v.json")
    assert error.message.startswith("invalid JSON") and error.line == 1


def test_json_suffix_is_case_insensitive() -> None:
    assert refused("a: 1\n", name="V.JSON").message.startswith("invalid JSON")


def test_two_documents_are_refused() -> None:
    assert "single document" in refused("a: 1\n---\nb: 2\n").message


@pytest.mark.parametrize(
    "text", ['a: "x\\e[2Jy"\n', 'a: ["ok", "x\\u202ey"]\n', 'a: "\\x85"\n', 'a: {b: "\\0"}\n']
)
def test_control_characters_in_text_are_refused(text: str) -> None:
    error = refused(text)
    assert "control character" in error.message and error.field is not None


def test_tabs_and_new_lines_in_text_are_plain_text() -> None:
    doc = read_document("v.yaml", text='note: "a\\tb"\nmore: |\n  line one\n  line two\n')
    assert doc.data["note"] == "a\tb" and doc.data["more"].count("\n") == 2


def test_keys_yaml_reads_as_something_else_say_to_quote_them() -> None:
    assert "quote it" in refused("no: 1\n").message
    assert "key a list is not a text field name" in refused("? [a]\n: 1\n").message


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("a: [" + ",".join(["1"] * 300_000) + "]\n", "v.yaml"),
        ("".join(f"k{i}: 1\n" for i in range(60_000)), "v.yaml"),
        ('{"a": [' + ",".join(["1"] * 300_000) + "]}", "v.json"),
    ],
)
def test_a_document_of_too_many_values_is_refused_fast(text: str, name: str) -> None:
    start = time.monotonic()
    error = refused(text, name=name)
    assert time.monotonic() - start < HANG_S
    assert error.code == "size" and "more than 20000 values" in error.message


def test_values_up_to_the_limit_are_read() -> None:
    text = "a: [" + ",".join(["1"] * (MAX_EXPANDED_NODES - 3)) + "]\n"
    assert len(read_document("v.yaml", text=text).data["a"]) == MAX_EXPANDED_NODES - 3


@pytest.mark.parametrize("depth", [200, 900])
def test_nesting_within_the_parsers_limits_is_validated_without_crashing(depth: int) -> None:
    for name, text in (
        ("v.yaml", "a: " + "[" * depth + "]" * depth + "\n"),
        ("v.json", '{"a": ' + "[" * depth + "]" * depth + "}"),
    ):
        try:
            doc = read_document(name, text=text)
        except InputError as exc:
            assert exc.code == "syntax"
        else:
            assert isinstance(doc.data["a"], list)


@pytest.mark.parametrize(
    ("written", "read_as"),
    [
        ("0400", "256"),
        ("0x190", "400"),
        ("0b11", "3"),
        ("6:40", "400"),
        ("1:30.5", "90.5"),
        ("4_00", "400"),  # YAML 1.1 drops the "_": a slip of the finger would read as a dose
        ("1_000.5", "1000.5"),
    ],
)
def test_numbers_yaml_would_misread_are_refused_naming_the_field(
    written: str, read_as: str
) -> None:
    error = refused(f"imatinib:\n  current_dose_mg: {written}\n")
    assert error.field == "imatinib.current_dose_mg" and (error.line, error.column) == (2, 20)
    assert f"the number {written!r} is ambiguous (YAML reads it as {read_as})" in error.message


@pytest.mark.parametrize(
    ("written", "value"),
    [
        ("400", 400),
        ("0", 0),
        ("+5", 5),
        ("-5", -5),
        ("0.5", 0.5),
        ("1.0e+3", 1000.0),
        ('"0400"', "0400"),
    ],
)
def test_plain_numbers_read_as_written(written: str, value: object) -> None:
    assert read_document("v.yaml", text=f"a: {written}\n").data["a"] == value


@pytest.mark.parametrize(
    "written", ["!!int '400'", '!!float "1.5"', "!!bool 'true'", "!!int |\n  400"]
)
def test_quoted_text_stays_text_whatever_its_tag(written: str) -> None:
    """Text is never read as a number: a tag on quoted text (or a block) does not make it one,
    so ``!!int '400'`` is refused as ``'400'`` is (by the visit's model)."""
    assert isinstance(read_document("v.yaml", text=f"a: {written}\n").data["a"], str)


# -- values read as PyYAML's safe constructor reads them ----------------------------------------


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
    """The reader's own reading of numbers, booleans, nulls and dates against the loader's
    constructor (PyYAML's, with the stricter numbers, booleans and dates): the same value, or
    the value is kept to be refused by what the constructor raises."""
    tag = "tag:yaml.org,2002:" + name
    node = yaml.ScalarNode(tag, text)
    loader = documents._Loader("")
    try:
        try:
            expected: Any = loader.yaml_constructors[tag](loader, node)
        except Exception as exc:
            expected = type(exc)
        builder = documents._Builder("v.yaml", loader)
        got: Any = builder.node(node, (), 0)
        if builder.unreadable:
            got = type(builder.unreadable[0][2])
        if isinstance(expected, float) and math.isnan(expected):
            assert isinstance(got, float) and math.isnan(got), (text, name)
        else:
            assert repr(got) == repr(expected) and type(got) is type(expected), (text, name)
    finally:
        loader.dispose()


@settings(max_examples=300, deadline=None, derandomize=True)
@given(number_texts, st.tuples(st.booleans(), st.booleans()))
def test_tags_are_resolved_as_pyyaml_resolves_them(text: str, implicit: tuple[bool, bool]) -> None:
    """The reader's tag resolution (without PyYAML's per-scalar list building) gives PyYAML's
    tag for every scalar, plain or quoted, and for collections."""
    loader = documents._Loader("")
    try:
        for kind in (yaml.ScalarNode, yaml.SequenceNode, yaml.MappingNode):
            expected = yaml.resolver.BaseResolver.resolve(loader, kind, text, implicit)  # type: ignore[no-untyped-call]
            assert loader.resolve(kind, text, implicit) == expected, (kind, text, implicit)
    finally:
        loader.dispose()


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
