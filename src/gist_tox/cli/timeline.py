"""``gist-tox timeline PATIENT|-``: replay a patient's visits, deriving history and hold state."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gist_tox.cli.app import (
    FORMAT_FROM_OUTPUT,
    CtcaeOption,
    OutputOption,
    RulesOption,
    TimelineFormat,
    app,
    chosen_format,
)
from gist_tox.cli.output import check_output, open_output
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
    fmt: Annotated[TimelineFormat | None, FORMAT_FROM_OUTPUT] = None,
    rules: RulesOption = None,
    ctcae: CtcaeOption = None,
    output: OutputOption = None,
    plot: Annotated[
        Path | None,
        typer.Option(
            "--plot",
            help="Also draw the timeline as a picture, to this .png or .svg file "
            "(needs matplotlib: pip install 'gist-tox[plot]').",
            dir_okay=False,
            show_default=False,
        ),
    ] = None,
) -> None:
    """Grade and dose every visit of a patient in date order, each with the history and hold
    state that the recommendations before it imply.

    Exits 0 whenever it prints a timeline, whatever it recommends; 2 on bad input.
    """
    fmt = chosen_format(fmt, output, registry.TIMELINE)
    from gist_tox.pipeline import RuleSets
    from gist_tox.timeline import load_patient, replay, timeline_json

    if plot is not None:
        _can_plot(plot)
        check_output(plot, [file], option="--plot")  # before the replay, named as given
    patient = load_patient(file)
    rulesets = RuleSets(rules, ctcae.value if ctcae else None)
    evaluations = replay(patient, rulesets, file)
    data = timeline_json(patient, evaluations)
    if plot is not None:
        from gist_tox.render.plot import SUFFIXES, PlotRules, plot_timeline

        version = evaluations[0].ruleset.ctcae_version if evaluations else None
        picture = plot_timeline(
            data, PlotRules.of(rulesets.get(version)), SUFFIXES[plot.suffix.lower()]
        )
        with open_output(plot, [file], option="--plot") as stream:
            stream.buffer.write(picture)
    with open_output(output, [file]) as stream:
        renderer(fmt).timeline(stream, data)


def _can_plot(plot: Path) -> None:
    """Refuse ``--plot`` before any work when it cannot be done: a suffix that is not a picture
    format, or matplotlib (the optional extra) not installed."""
    from gist_tox.errors import UsageError
    from gist_tox.render.plot import SUFFIXES

    if plot.suffix.lower() not in SUFFIXES:
        raise UsageError(f"--plot {plot}: the file name must end in .png or .svg")
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise UsageError(
            "--plot needs matplotlib, which is not installed: pip install 'gist-tox[plot]'"
        ) from None
