"""``gist-tox grade FILE|-``: one visit, its CTCAE grades and the imatinib dose, with reasons."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gist_tox.cli.app import (
    FORMAT_FROM_OUTPUT,
    CtcaeOption,
    DateOption,
    OutputOption,
    ResultFormat,
    RulesOption,
    app,
    chosen_format,
)
from gist_tox.cli.conventions import state
from gist_tox.cli.output import open_output
from gist_tox.render import registry
from gist_tox.render.registry import renderer


@app.command()
def grade(
    file: Annotated[
        str,
        typer.Argument(
            help="Visit file (YAML, or JSON by its .json suffix); - reads stdin.", metavar="FILE|-"
        ),
    ],
    fmt: Annotated[ResultFormat | None, FORMAT_FROM_OUTPUT] = None,
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
    fmt = chosen_format(fmt, output, registry.RESULT)
    if file not in ("", "-") and Path(file).is_dir():  # "" is no name, not "."
        from gist_tox.errors import UsageError

        raise UsageError(
            f"{file}: is a folder; grade reads one visit file (gist-tox batch {file} grades"
            " every visit in it)"
        )
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
    shown = renderer(fmt).configured(quiet=state.quiet, verbose=state.verbose)
    with open_output(output, [file]) as stream:
        shown.result(stream, result)


def _compare(file: str, fmt: str, rules: Path | None, output: Path | None) -> None:
    """``grade --compare-ctcae``: the same visit under every CTCAE version, side by side."""
    from gist_tox.compare import compare_file
    from gist_tox.errors import UsageError
    from gist_tox.pipeline import RuleSets
    from gist_tox.render.registry import COMPARISON, names

    if fmt not in names(COMPARISON):
        raise UsageError(
            f"--compare-ctcae cannot be shown as --format {fmt};"
            f" use one of {', '.join(names(COMPARISON))}"
        )

    data = compare_file(file, RuleSets(rules))
    with open_output(output, [file]) as stream:
        renderer(fmt).comparison(stream, data)
