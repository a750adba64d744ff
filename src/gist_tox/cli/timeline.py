"""``gist-tox timeline PATIENT|-``: replay a patient's visits, deriving history and hold state."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from gist_tox.cli.app import CtcaeOption, RulesOption, app
from gist_tox.cli.output import color_allowed, open_output


class TimelineFormat(StrEnum):
    table = "table"
    json = "json"


@app.command()
def timeline(
    file: Annotated[str, typer.Argument(help="Patient timeline file (YAML, or JSON by its .json "
                                        "suffix); - reads stdin.", metavar="PATIENT|-")],
    fmt: Annotated[TimelineFormat, typer.Option("--format", "-f", help="Output format.")] = (
        TimelineFormat.table),
    rules: RulesOption = None,
    ctcae: CtcaeOption = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file "
                                                "(atomically) instead of stdout.")] = None,
) -> None:
    """Grade and dose every visit of a patient in date order, each with the history and hold
    state that the recommendations before it imply.

    Exits 0 whenever it prints a timeline, whatever it recommends; 2 on bad input.
    """
    from gist_tox.pipeline import RuleSets
    from gist_tox.timeline import load_patient, replay, timeline_json

    patient = load_patient(file)
    rulesets = RuleSets(rules, ctcae.value if ctcae else None)
    data = timeline_json(patient, replay(patient, rulesets, file))
    with open_output(output) as stream:
        if fmt is TimelineFormat.json:
            from gist_tox.render.json import dumps

            stream.write(dumps(data) + "\n")
        else:
            from rich.console import Console

            from gist_tox.render.table import render_timeline

            console = Console(file=stream, no_color=not color_allowed(stream),
                              width=None,
                              highlight=False, soft_wrap=False)
            render_timeline(console, data)
