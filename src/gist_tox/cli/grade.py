"""``gist-tox grade FILE|-``: one visit, its CTCAE grades and the imatinib dose, with reasons."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from gist_tox.cli.app import (
    CtcaeOption,
    DateOption,
    FormatOption,
    OutputOption,
    RulesOption,
    TableOrJson,
    app,
)
from gist_tox.cli.output import emit

if TYPE_CHECKING:
    from rich.console import Console


@app.command()
def grade(
    file: Annotated[
        str,
        typer.Argument(
            help="Visit file (YAML, or JSON by its .json suffix); - reads stdin.", metavar="FILE|-"
        ),
    ],
    fmt: FormatOption = TableOrJson.table,
    rules: RulesOption = None,
    ctcae: CtcaeOption = None,
    output: OutputOption = None,
    date: DateOption = None,
    compare_ctcae: Annotated[
        bool,
        typer.Option(
            "--compare-ctcae",
            help="Grade under every CTCAE version (5.0 and 6.0) and show the "
            "grades side by side, marking the terms that differ.",
        ),
    ] = False,
) -> None:
    """Grade one visit with CTCAE and recommend the imatinib dose, with the reasons.

    Exits 0 whenever it prints a result, whatever it recommends; 2 on bad input.
    """
    from gist_tox.pipeline import RuleSets, evaluate_file

    if compare_ctcae:
        if ctcae is not None:
            from gist_tox.errors import UsageError

            raise UsageError(
                f"--compare-ctcae grades under every CTCAE version; it cannot be"
                f" combined with --ctcae {ctcae.value}"
            )
        _compare(file, fmt, rules, output)
        return
    rulesets = RuleSets(rules, ctcae.value if ctcae else None)
    result = evaluate_file(file, rulesets, date=date).as_json()
    emit(output, result, as_json=fmt is TableOrJson.json, render=_render_result, inputs=[file])


def _render_result(console: Console, result: dict[str, Any]) -> None:
    from gist_tox.render.table import render_result

    render_result(console, result)


def _render_comparison(console: Console, data: dict[str, Any]) -> None:
    from gist_tox.render.compare import render_comparison

    render_comparison(console, data)


def _compare(file: str, fmt: TableOrJson, rules: Path | None, output: Path | None) -> None:
    """``grade --compare-ctcae``: the same visit under every CTCAE version, side by side."""
    from gist_tox.compare import compare_file
    from gist_tox.pipeline import RuleSets

    data = compare_file(file, RuleSets(rules))
    emit(output, data, as_json=fmt is TableOrJson.json, render=_render_comparison, inputs=[file])
