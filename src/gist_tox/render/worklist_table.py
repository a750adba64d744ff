"""``batch --format table``: the pharmacist's worklist in a terminal.

First the summary line and the visits shown by category, then one row per visit that needs
action (most urgent first, a patient's visits together), then every file that failed.  The table
needs the counts before the rows, so it reads every outcome first, keeping only what it shows.
"""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from gist_tox.batch import REVIEW, UNKNOWN, Outcome
from gist_tox.errors import printable
from gist_tox.render.base import BatchReport
from gist_tox.render.one_screen import ACTION_STYLE
from gist_tox.render.worklist import (
    Worklist,
    categories,
    collect,
    dose_text,
    resume_text,
    short_rule,
    worst_text,
)

_ACTION_STYLE = {**ACTION_STYLE, REVIEW: "bold magenta", UNKNOWN: "bold magenta"}


def render_worklist(console: Console, report: BatchReport) -> None:
    worklist = collect(report)
    tally = worklist.tally
    console.print(  # one line however wide (the terminal wraps it), so `head -1` has it all
        Text.assemble(
            (worklist.summary, "bold"),
            style="bold red" if tally.failed else "",
        ),
        soft_wrap=True,
    )
    console.print(_counts_table(worklist))
    if worklist.rows:
        table, notes = _worklist_table(worklist.rows, console.width)
        console.print(table)
        for note in notes:
            console.print(Text(note), overflow="ignore", crop=False)
    else:
        console.print(Text("No visit needs action.", style="green"))
    if worklist.failed:
        console.print(_failed_table(worklist.failed))


def _counts_table(worklist: Worklist) -> Table:
    table = Table(
        title="visits shown, by action",
        title_justify="left",
        min_width=30,
        header_style="bold",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    table.add_column("action")
    table.add_column("visits", justify="right")
    for name, count in categories(worklist):
        if count or name != UNKNOWN:
            table.add_row(Text(name, style=_ACTION_STYLE.get(name, "bold")), str(count))
    return table


def _worklist_table(rows: list[Outcome], width: int) -> tuple[Table, list[str]]:
    """patient and date, action and dose, how it goes on, why, file.

    Every column's width is set here, from the terminal's width, so that nothing is cut inside
    a word that matters: the date and the dose stay whole, a dosing rule's name fits the
    ``why`` column, and the file column is as wide as the longest file or folder name (or the
    whole path, when that fits in a quarter of the width), a path breaking only after a ``/``.
    When the names would leave too little room for the rest, the file column holds a number
    and the paths are listed, whole, under the table (returned as the second value).
    """
    paths = [printable(row.source) for row in rows]
    patient_width = min(
        max(10, *(len(printable(r.patient_id or "")) for r in rows)), max(14, width // 5)
    )
    action_width = max(6, *(len(r.action) for r in rows), *(len(dose_text(r)) for r in rows))
    rule = min(max((len(short_rule(r)) + 2 for row in rows for r in row.rules), default=0), 30)
    fixed = patient_width + action_width + 3 * 4 + 2  # " " | " " between columns, edges
    longest_name = max(len(name) for p in paths for name in p.split("/"))
    file_width = min(max(len(p) for p in paths), max(longest_name, width // 4))
    footnotes = width - fixed - file_width < 14 + max(rule, 14)
    if footnotes:
        file_width = max(len("file"), len(f"[{len(rows)}]"))
    rest = max(width - fixed - file_width, 28)
    why_width = min(max(rule, rest // 2), rest - 14)
    table = Table(
        title="visits that need action, most urgent first",
        title_justify="left",
        header_style="bold",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        show_lines=True,
    )
    table.add_column("patient / date", overflow="fold", width=patient_width)
    table.add_column("action / dose", overflow="fold", width=action_width)
    table.add_column("then", overflow="fold", width=rest - why_width)
    table.add_column("why", overflow="fold", width=why_width)
    if footnotes:
        table.add_column("file", no_wrap=True, justify="right", width=file_width)
    else:
        table.add_column("file", width=file_width, overflow="fold")
    for number, (row, path) in enumerate(zip(rows, paths, strict=True), start=1):
        action = Text(row.action, style=_ACTION_STYLE.get(row.action, "bold"))
        action.append(f"\n{dose_text(row)}", style="bold")
        if row.review:
            action.append("\nREVIEW", style=_ACTION_STYLE[REVIEW])
        why = Text(worst_text(row), style="dim" if row.worst_grade is None else "")
        for _, text in row.review:
            why.append("\nreview: ", style="bold")
            why.append(printable(text))
        if row.rules:
            why.append("\n[" + ", ".join(short_rule(r) for r in row.rules) + "]", style="dim")
        table.add_row(
            Text(printable(row.patient_id or "")) + Text(f"\n{row.date}", style="dim"),
            action,
            Text(printable(resume_text(row))),
            why,
            Text(f"[{number}]" if footnotes else wrap_path(path, file_width)),
        )
    notes = [f"[{number}] {path}" for number, path in enumerate(paths, start=1)]
    return table, notes if footnotes else []


def wrap_path(path: str, width: int) -> str:
    """``path`` on lines of at most ``width`` characters, broken only after a ``/`` (a single
    name longer than ``width`` stays whole on its own line, for the table to fold)."""
    parts = path.split("/")
    lines: list[str] = []
    line = ""
    for index, part in enumerate(parts):
        piece = part + ("/" if index < len(parts) - 1 else "")
        if line and len(line) + len(piece) > width:
            lines.append(line)
            line = piece
        else:
            line += piece
    lines.append(line)
    return "\n".join(lines)


def _failed_table(rows: list[Outcome]) -> Table:
    table = Table(
        title="files that failed",
        title_justify="left",
        header_style="bold red",
        box=box.SIMPLE_HEAD,
        expand=True,
        pad_edge=False,
    )
    table.add_column("file[:line[:column]]", overflow="fold", ratio=3)
    table.add_column("field", overflow="fold", ratio=2)
    table.add_column("reason", overflow="fold", ratio=5)
    for row in rows:
        problem = row.problem
        assert problem is not None, "a failed outcome carries its problem"
        table.add_row(_plain(problem.where), _plain(problem.field), _plain(problem.message))
    return table


def _plain(text: str | None) -> Text:
    """Text from a file (a name, a patient id, a message quoting a value) as it is: never read
    as rich markup (``[/bold]`` in a patient id crashed the table, ``[red]`` in a file name
    hid part of it), control characters escaped rather than sent to the terminal."""
    return Text(printable(text or ""))
