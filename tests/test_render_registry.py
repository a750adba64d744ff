"""The output registry: every ``--format`` a command offers renders what that command makes,
and each format is one renderer behind one interface."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from conftest import EXAMPLES, RULES, invoke
from gist_tox.render import registry
from gist_tox.render.base import Renderer


@pytest.mark.parametrize("name", list(registry.FORMATS))
def test_each_format_shows_exactly_the_kinds_it_is_registered_for(name: str) -> None:
    """A format offered for a kind it cannot show would fail only when a user picks it."""
    render = registry.renderer(name)
    implemented = {
        kind
        for kind in registry.KINDS
        if getattr(type(render), kind) is not getattr(Renderer, kind)
    }
    assert implemented == registry.FORMATS[name][1]


COMMANDS = {
    registry.RESULT: ["grade", str(EXAMPLES / "hwang-2010-worst-visit.yaml")],
    registry.COMPARISON: [
        "grade",
        "--compare-ctcae",
        str(EXAMPLES / "hwang-2010-worst-visit.yaml"),
    ],
    registry.TIMELINE: ["timeline", str(EXAMPLES / "hwang-2010" / "patient.yaml")],
    registry.BATCH: ["batch", "--jobs", "1", str(EXAMPLES / "dosing")],
    registry.DIFF: ["rules", "diff", str(RULES), str(RULES), str(EXAMPLES / "dosing")],
}


@pytest.mark.parametrize(
    ("kind", "name"), [(k, n) for k in registry.KINDS for n in registry.names(k)]
)
def test_every_format_a_command_offers_renders_through_the_command(
    kind: str, name: str, tmp_path: Path
) -> None:
    out = tmp_path / f"out.{name}"
    to_file = [] if kind == registry.DIFF else ["--output", str(out)]  # diff prints to stdout
    result = invoke([*COMMANDS[kind], "--format", name, *to_file])
    assert result.exit_code == 0, result.output
    text = result.stdout if kind == registry.DIFF else out.read_text(encoding="utf-8")
    assert text.strip()
    if name == "json":
        json.loads(text)


def test_a_format_a_command_cannot_show_is_refused_with_the_choices() -> None:
    result = invoke(["timeline", "--format", "csv", str(EXAMPLES / "hwang-2010" / "patient.yaml")])
    assert result.exit_code == 2
    assert "table" in result.stderr and "json" in result.stderr


def test_the_default_format_is_the_first_registered() -> None:
    buffer = io.StringIO()
    registry.renderer(registry.names(registry.RESULT)[0]).result(
        buffer,
        json.loads(
            invoke(["grade", "-f", "json", str(EXAMPLES / "hwang-2010-worst-visit.yaml")]).stdout
        ),
    )
    assert (
        buffer.getvalue() == invoke(["grade", str(EXAMPLES / "hwang-2010-worst-visit.yaml")]).stdout
    )
