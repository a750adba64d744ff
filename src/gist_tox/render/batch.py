"""Output of ``gist-tox batch``: a table for people, and JSON, NDJSON and CSV for programs.

NDJSON, JSON and CSV are written as the outcomes arrive (one line or row at a time), so memory
stays flat however large the batch; the table needs the counts first, so it keeps only the
visits that need action and the failed files.

CSV columns (stable; new columns are only ever added at the end) are :data:`CSV_COLUMNS`:

``source``
    the file; ``status`` ``ok`` or ``error``
``patient_id``, ``date``, ``ctcae_version``
    of the visit (empty for a failed file)
``action``, ``dose_mg``
    the recommendation (``unknown`` and empty when there is none)
``worst_grade``, ``worst_term``
    the highest grade given and its term (empty when no term could be graded; no term for 0)
``not_gradable``
    how many terms could not be graded
``warnings``
    the result's warnings, joined with `` | ``
``rules_digest``
    the digest of the rule files used
``error_field``, ``error_line``, ``error_column``, ``error_message``
    why a file failed (empty for a graded visit)
"""

from __future__ import annotations

import csv
import dataclasses
from collections import Counter
from collections.abc import Iterable
from typing import Any, TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from gist_tox.batch import ACTIONS, UNKNOWN, Outcome, severity
from gist_tox.errors import printable

CSV_COLUMNS = (
    "source",
    "status",
    "patient_id",
    "date",
    "ctcae_version",
    "action",
    "dose_mg",
    "worst_grade",
    "worst_term",
    "not_gradable",
    "warnings",
    "rules_digest",
    "error_field",
    "error_line",
    "error_column",
    "error_message",
)

_ACTION_STYLE = {
    "continue": "green",
    "escalate": "cyan",
    "resume": "yellow",
    "reduce": "yellow",
    "hold": "bold red",
    "discontinue": "bold red",
    UNKNOWN: "bold magenta",
}


def write_ndjson(stream: TextIO, outcomes: Iterable[Outcome]) -> None:
    """One JSON object per line: a ``gist-tox/result@1`` or a ``gist-tox/file-error@1``."""
    for outcome in outcomes:
        stream.write(outcome.text)
        stream.write("\n")


def write_json(stream: TextIO, outcomes: Iterable[Outcome]) -> None:
    """A JSON array of the same objects, written element by element."""
    stream.write("[")
    first = True
    for outcome in outcomes:
        stream.write("\n" if first else ",\n")
        stream.write(outcome.text)
        first = False
    stream.write("\n]\n" if not first else "]\n")


def csv_row(outcome: Outcome) -> list[Any]:
    error = outcome.error
    return [
        outcome.source,
        "ok" if outcome.ok else "error",
        outcome.patient_id,
        outcome.date,
        outcome.ctcae_version,
        outcome.action if outcome.ok else None,
        outcome.dose_mg,
        outcome.worst_grade,
        outcome.worst_term,
        outcome.not_gradable if outcome.ok else None,
        " | ".join(outcome.warnings),
        outcome.digest,
        error.get("field"),
        error.get("line"),
        error.get("column"),
        error.get("message"),
    ]


def write_csv(stream: TextIO, outcomes: Iterable[Outcome]) -> None:
    """RFC 4180 CSV with a header row of :data:`CSV_COLUMNS`; empty cells for ``None``."""
    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for outcome in outcomes:
        writer.writerow(csv_row(outcome))


def render_table(console: Console, outcomes: Iterable[Outcome]) -> None:
    """Counts by action, then each visit that needs action (most severe first), then every
    file that failed with its reason."""
    counts: Counter[str] = Counter()
    actionable: list[Outcome] = []
    failed: list[Outcome] = []
    for outcome in outcomes:
        if not outcome.ok:
            failed.append(outcome)
            continue
        counts[outcome.action] += 1
        if outcome.needs_action:
            actionable.append(dataclasses.replace(outcome, text=""))  # the JSON is not shown
    visits = sum(counts.values())
    console.print(
        Text.assemble(
            (f"{visits + len(failed)} file(s)", "bold"),
            f": {visits} visit(s) graded, ",
            (f"{len(failed)} failed", "bold red" if failed else "green"),
        )
    )
    console.print(_counts_table(counts))
    if actionable:
        actionable.sort(key=lambda o: -severity(o.action))  # stable: path order within an action
        console.print(_actionable_table(actionable))
    else:
        console.print(Text("No visit needs action.", style="green"))
    if failed:
        console.print(_failed_table(failed))


def _counts_table(counts: Counter[str]) -> Table:
    table = Table(
        title="visits by action",
        title_justify="left",
        show_header=True,
        header_style="bold",
        pad_edge=False,
    )
    table.add_column("action")
    table.add_column("visits", justify="right")
    order = [*ACTIONS, *sorted(set(counts) - set(ACTIONS), key=lambda a: (a != UNKNOWN, a))]
    for action in order:
        if counts[action] or action in ACTIONS:
            table.add_row(
                Text(action, style=_ACTION_STYLE.get(action, "bold")), str(counts[action])
            )
    return table


def _actionable_table(rows: list[Outcome]) -> Table:
    table = Table(
        title="visits that need action",
        title_justify="left",
        show_header=True,
        header_style="bold",
        expand=True,
        pad_edge=False,
    )
    table.add_column("patient", overflow="fold", ratio=2)
    table.add_column("date", no_wrap=True)
    table.add_column("worst grade", overflow="fold", ratio=3)
    table.add_column("action", no_wrap=True)
    table.add_column("dose", justify="right", no_wrap=True)
    table.add_column("file", overflow="fold", ratio=3)
    for row in rows:
        if row.worst_grade is None:
            worst = Text("none gradable", style="dim")
        else:
            worst = Text(f"{row.worst_grade} {row.worst_term or ''}".strip())
        table.add_row(
            _plain(row.patient_id),
            row.date,
            worst,
            Text(row.action, style=_ACTION_STYLE.get(row.action, "bold")),
            "–" if row.dose_mg is None else f"{row.dose_mg} mg",
            _plain(row.source),
        )
    return table


def _failed_table(rows: list[Outcome]) -> Table:
    table = Table(
        title="files that failed",
        title_justify="left",
        show_header=True,
        header_style="bold red",
        expand=True,
        pad_edge=False,
    )
    table.add_column("file[:line[:column]]", overflow="fold", ratio=3)
    table.add_column("field", overflow="fold", ratio=2)
    table.add_column("reason", overflow="fold", ratio=5)
    for row in rows:
        error = row.error
        where = ":".join(
            [row.source, *(str(error[k]) for k in ("line", "column") if error.get(k) is not None)]
        )
        table.add_row(
            _plain(where), _plain(error.get("field")), _plain(str(error.get("message", "")))
        )
    return table


def _plain(text: str | None) -> Text:
    """Text from a file (a name, a patient id, a message quoting a value) as it is: never read
    as rich markup (``[/bold]`` in a patient id crashed the table, ``[red]`` in a file name
    hid part of it), control characters escaped rather than sent to the terminal."""
    return Text(printable(text or ""))
