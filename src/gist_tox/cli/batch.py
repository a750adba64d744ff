"""``gist-tox batch PATH...``: every visit in files and folders, graded and dosed as ``grade``
does, with the visits that need action first and every file that failed listed."""

from __future__ import annotations

import dataclasses
import os
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from gist_tox.cli import signals
from gist_tox.cli.app import BatchFormat, CtcaeOption, RulesOption, app, chosen_format, iso_day
from gist_tox.cli.conventions import state
from gist_tox.cli.output import check_output, open_output
from gist_tox.errors import ExitCode, UsageError, printable
from gist_tox.render import registry
from gist_tox.render.base import BatchReport
from gist_tox.render.registry import renderer

if TYPE_CHECKING:
    from gist_tox.batch import Outcome

PROGRESS_MIN_FILES = 50
"""Show a progress bar (on a terminal only) for batches longer than this."""


class Action(StrEnum):
    discontinue = "discontinue"
    hold = "hold"
    reduce = "reduce"
    resume = "resume"
    escalate = "escalate"
    continue_ = "continue"
    review = "review"


@app.command()
def batch(
    paths: Annotated[
        list[str],
        typer.Argument(
            help="Visit files and folders (searched recursively for *.yaml, *.yml, *.json); "
            "- reads a list of paths from stdin, one per line.",
            metavar="PATH...|-",
        ),
    ],
    fmt: Annotated[
        BatchFormat | None,
        typer.Option(
            "--format",
            "-f",
            help="Output format (default: as the --output name says, .csv .json .ndjson .html;"
            " else table).",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Write to this file instead of stdout (a regular file atomically).",
        ),
    ] = None,
    only_actionable: Annotated[
        bool,
        typer.Option(
            "--only-actionable", help="Keep only visits that need action (and failed files)."
        ),
    ] = False,
    latest: Annotated[
        bool, typer.Option("--latest", help="Keep only each patient's latest visit.")
    ] = False,
    since: Annotated[
        date | None,
        typer.Option(
            "--since",
            parser=iso_day,
            metavar="YYYY-MM-DD",
            help="Keep only visits on or after this date (before --latest).",
            show_default=False,
        ),
    ] = None,
    until: Annotated[
        date | None,
        typer.Option(
            "--until",
            parser=iso_day,
            metavar="YYYY-MM-DD",
            help="Keep only visits on or before this date (before --latest).",
            show_default=False,
        ),
    ] = None,
    fail_on: Annotated[
        Action | None,
        typer.Option(
            "--fail-on",
            help="Exit 1 when any visit's action is this severe or worse "
            "(discontinue > hold > reduce > resume > escalate > continue; a visit without a "
            "recommendation counts as the most severe); 'review': when any visit is under review "
            "(recommendation.review not empty); one line on stderr names the visits.",
            show_default=False,
        ),
    ] = None,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs",
            "-j",
            min=1,
            help="Worker processes (default: the number of CPUs).",
            show_default=False,
        ),
    ] = None,
    every_day: Annotated[
        bool,
        typer.Option(
            "--every-day",
            help="FHIR Bulk Data export folders: grade every day with a blood count of each"
            " patient (default: each patient's latest).",
        ),
    ] = False,
    rules: RulesOption = None,
    ctcae: CtcaeOption = None,
) -> None:
    """Grade and dose many visits at once; the ones that need action first.

    A bad file never stops the batch: it is listed with its reason.  Output is in path order
    whatever --jobs is.  Exits 0 when every file was processed, 2 when any file failed (after
    all the others were processed), 1 when --fail-on is met (2 wins).  Input files are never
    modified.
    """
    from gist_tox import batch as core

    fmt = chosen_format(fmt, output, registry.BATCH)
    if fmt == "fhir" and output is not None and output.suffix.lower() == ".json":
        raise UsageError(  # a .json name promises one JSON document; a batch's FHIR is NDJSON
            f"--output {output}: batch --format fhir writes NDJSON (one Bundle per line);"
            " name it .ndjson"
        )
    given = expand_stdin(paths)
    if not given:
        raise UsageError("no visit files given (the list on stdin was empty)")
    to_stdout = output is None or str(output) == "-"
    check_output(output, given)
    first = since.isoformat() if since else None
    last = until.isoformat() if until else None
    if first and last and first > last:
        raise UsageError(f"--since {first} is after --until {last}; no visit could be shown")
    exclude = [str(output)] if not to_stdout else []
    render = renderer(fmt)
    tally = core.Tally()
    outcomes: Iterable[core.Outcome] = core.run(
        core.discover(given, exclude=exclude, every_day=every_day),
        rules=rules,
        ctcae=ctcae.value if ctcae else None,
        jobs=jobs or os.cpu_count() or 1,
        indent=render.json_indent,
    )
    outcomes = signals.checked(outcomes)
    if _wants_progress(fmt, to_stdout):
        outcomes = _with_progress(
            outcomes,
            lambda: sum(1 for _ in core.discover(given, exclude=exclude, every_day=every_day)),
        )
    outcomes = tally.reading(outcomes)
    filters: list[str] = []
    if first or last:
        outcomes = core.within(outcomes, first, last)
        filters += [f"--since {first}"] if first else []
        filters += [f"--until {last}"] if last else []
    if latest:
        outcomes = core.latest_only(outcomes)
        filters.append("--latest")
    if only_actionable:
        outcomes = (o for o in outcomes if not o.ok or o.needs_action)
        filters.append("--only-actionable")
    watch = _Watch(fail_on.value if fail_on else None)
    with open_output(output) as stream:
        render.batch(
            stream, BatchReport(watch.count(tally.showing(outcomes)), tally, tuple(filters))
        )
    for line in watch.failures if (fmt != "table" or not to_stdout) else []:
        typer.echo(f"gist-tox: {line}", err=True)
    if watch.met:
        typer.echo(f"gist-tox: {watch.fail_on_line()}", err=True)
    if watch.failures:
        raise typer.Exit(ExitCode.INPUT_ERROR)
    if watch.met:
        raise typer.Exit(ExitCode.FINDINGS)


FAIL_ON_NAMED = 10
"""How many of the visits that met --fail-on its stderr line names (then "and N more")."""


class _Watch:
    """Watches outcomes as they stream past, for the exit code and the lines on stderr."""

    def __init__(self, fail_on: str | None) -> None:
        self.fail_on = fail_on
        self.failures: list[str] = []
        self.met: list[Outcome] = []

    def count(self, outcomes: Iterable[Outcome]) -> Iterator[Outcome]:
        for outcome in outcomes:
            if not outcome.ok:
                assert outcome.problem is not None, "a failed outcome carries its problem"
                self.failures.append(outcome.problem.one_line())
            elif self.fail_on is not None and (
                bool(outcome.review) if self.fail_on == "review" else outcome.at_least(self.fail_on)
            ):
                self.met.append(dataclasses.replace(outcome, text=""))  # the JSON is not needed
            yield outcome

    def fail_on_line(self) -> str:
        """One line saying which visits met ``--fail-on``: patient, date, action and file."""
        named = [
            f"{o.patient_id} {o.date} {o.action} ({printable(o.source)})"
            for o in self.met[:FAIL_ON_NAMED]
        ]
        more = len(self.met) - len(named)
        return f"--fail-on {self.fail_on} met by {len(self.met)} visit(s): {'; '.join(named)}" + (
            f"; and {more} more" if more else ""
        )


def expand_stdin(paths: list[str]) -> list[str]:
    """``paths`` with ``-`` replaced by the paths on stdin, one per line.  A visit piped in
    (``batch - < visit.yaml``, as ``grade -`` takes one) is a usage error naming ``grade -``,
    not one failed "file" per line of YAML; so is an empty path, which named nothing and was
    skipped (``batch "$VISITS"`` with the variable unset: 0 files read, exit 0)."""
    if "" in paths:
        raise UsageError(
            "an empty path was given (an unset variable?); name the visit files or folders"
        )
    out: list[str] = []
    for path in paths:
        if path == "-":
            lines = [line.strip() for line in sys.stdin.read().splitlines() if line.strip()]
            if lines and _DOCUMENT_START.match(lines[0]) and not os.path.lexists(lines[0]):
                raise UsageError(
                    "batch -: standard input holds a visit, not a list of paths (one per line);"
                    " to grade one visit from standard input, use gist-tox grade -"
                )
            out.extend(lines)
        else:
            out.append(path)
    return out


_DOCUMENT_START = re.compile(r"^(---|%YAML|#|\{|\[|[A-Za-z_][A-Za-z0-9_]*:(\s|$))")
"""The first line of a YAML or JSON document (a comment, a directive, ``{``, ``key:``), which
no path a ``find`` lists looks like."""


def _wants_progress(fmt: str, to_stdout: bool) -> bool:
    """A bar on stderr when it is a terminal, unless ``-q`` asks for the result alone or the
    results stream to the same terminal (they show progress already)."""
    if state.quiet or not sys.stderr.isatty():
        return False
    return fmt == "table" or not to_stdout or not sys.stdout.isatty()


def _with_progress(outcomes: Iterable[Outcome], count: Callable[[], int]) -> Iterator[Outcome]:
    """Pass ``outcomes`` through, with a transient rich progress bar on stderr for batches
    longer than :data:`PROGRESS_MIN_FILES` (counted by a second walk, only here).

    The bar is gone before anything after the last outcome is printed (the table).  It is
    refreshed from here, at most ten times a second, never from a thread: worker processes are
    forked while it runs, and a fork must not copy a lock held by another thread.
    """
    total = count()
    if total <= PROGRESS_MIN_FILES:
        yield from outcomes
        return
    from rich.console import Console
    from rich.progress import Progress

    progress = Progress(
        console=Console(stderr=True),
        transient=True,
        auto_refresh=False,
        redirect_stdout=False,
        redirect_stderr=False,
    )
    task = progress.add_task("grading visits", total=total)
    progress.start()
    shown = 0.0
    try:
        for outcome in outcomes:
            progress.advance(task, 1)
            now = time.monotonic()
            if now - shown > 0.1:
                progress.refresh()
                shown = now
            yield outcome
    finally:
        progress.stop()
