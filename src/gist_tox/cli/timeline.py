"""``gist-tox timeline PATIENT|-``: replay a patient's visits, deriving history and hold state."""

from __future__ import annotations

from typing import Annotated

import typer

from gist_tox.cli.app import (
    CtcaeOption,
    OutputOption,
    RulesOption,
    TimelineFormat,
    app,
    chosen_format,
)
from gist_tox.cli.output import open_output
from gist_tox.render import registry
from gist_tox.render.registry import renderer


@app.command()
def timeline(
    file: Annotated[
        str,
        typer.Argument(
            help="Patient timeline file (YAML, or JSON by its .json suffix); - reads stdin.",
            metavar="PATIENT|-",
        ),
    ],
    fmt: Annotated[
        TimelineFormat | None,
        typer.Option(
            "--format",
            "-f",
            help="Output format (default: as the --output name says, .json; else table).",
            show_default=False,
        ),
    ] = None,
    rules: RulesOption = None,
    ctcae: CtcaeOption = None,
    output: OutputOption = None,
) -> None:
    """Grade and dose every visit of a patient in date order, each with the history and hold
    state that the recommendations before it imply.

    Exits 0 whenever it prints a timeline, whatever it recommends; 2 on bad input.
    """
    fmt = chosen_format(fmt, output, registry.TIMELINE)
    from gist_tox.pipeline import RuleSets
    from gist_tox.timeline import load_patient, replay, timeline_json

    patient = load_patient(file)
    rulesets = RuleSets(rules, ctcae.value if ctcae else None)
    data = timeline_json(patient, replay(patient, rulesets, file))
    with open_output(output, [file]) as stream:
        renderer(fmt).timeline(stream, data)
