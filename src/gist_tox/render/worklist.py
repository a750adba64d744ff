"""``batch --format table``: the pharmacist's worklist in a terminal.

The table needs the counts before the rows, so it keeps only the visits that need action and the
failed files while the outcomes stream past.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable

from rich.console import Console
from rich.table import Table
from rich.text import Text

from gist_tox.batch import ACTIONS, UNKNOWN, Outcome, severity
from gist_tox.errors import printable

_ACTION_STYLE = {
    "continue": "green",
    "escalate": "cyan",
    "resume": "yellow",
    "reduce": "yellow",
    "hold": "bold red",
    "discontinue": "bold red",
    UNKNOWN: "bold magenta",
}


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
