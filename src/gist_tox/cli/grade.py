"""``gist-tox grade FILE|-``: one visit, its CTCAE grades and the imatinib dose, with reasons."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from gist_tox.cli.app import CtcaeOption, RulesOption, app
from gist_tox.cli.output import color_allowed, open_output


class GradeFormat(StrEnum):
    table = "table"
    json = "json"


@app.command()
def grade(
    file: Annotated[str, typer.Argument(help="Visit file (YAML, or JSON by its .json suffix); "
                                        "- reads stdin.", metavar="FILE|-")],
    fmt: Annotated[GradeFormat, typer.Option("--format", "-f", help="Output format.")] = (
        GradeFormat.table),
    rules: RulesOption = None,
    ctcae: CtcaeOption = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file "
                                                "(atomically) instead of stdout.")] = None,
    compare_ctcae: Annotated[bool, typer.Option(
        "--compare-ctcae", help="Grade under every CTCAE version (5.0 and 6.0) and show the "
        "grades side by side, marking the terms that differ.")] = False,
) -> None:
    """Grade one visit with CTCAE and recommend the imatinib dose, with the reasons.

    Exits 0 whenever it prints a result, whatever it recommends; 2 on bad input.
    """
    from gist_tox.pipeline import RuleSets, evaluate_file

    if compare_ctcae:
        if ctcae is not None:
            from gist_tox.errors import UsageError

            raise UsageError(f"--compare-ctcae grades under every CTCAE version; it cannot be"
                             f" combined with --ctcae {ctcae.value}")
        _compare(file, fmt, rules, output)
        return
    rulesets = RuleSets(rules, ctcae.value if ctcae else None)
    result = evaluate_file(file, rulesets).as_json()
    with open_output(output) as stream:
        if fmt is GradeFormat.json:
            from gist_tox.render.json import dumps

            stream.write(dumps(result) + "\n")
        else:
            from rich.console import Console

            from gist_tox.render.table import render_result

            console = Console(file=stream, no_color=not color_allowed(stream), emoji=False,
                              width=None,
                              highlight=False, soft_wrap=False)
            render_result(console, result)


def _compare(file: str, fmt: GradeFormat, rules: Path | None, output: Path | None) -> None:
    """``grade --compare-ctcae``: the same visit under every CTCAE version, side by side."""
    from gist_tox.compare import compare_file
    from gist_tox.pipeline import RuleSets

    data = compare_file(file, RuleSets(rules))
    with open_output(output) as stream:
        if fmt is GradeFormat.json:
            from gist_tox.render.json import dumps

            stream.write(dumps(data) + "\n")
        else:
            from rich.console import Console

            from gist_tox.render.compare import render_comparison

            console = Console(file=stream, no_color=not color_allowed(stream), emoji=False,
                              width=None,
                              highlight=False, soft_wrap=False)
            render_comparison(console, data)
