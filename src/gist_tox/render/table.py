"""The terminal view of one result: recommendation first, then grades, warnings last.

It is made to be read in a second at 80 columns: each term's grade, the basis and the rule id;
terms that cannot be graded dimmed with their reason.
"""

from __future__ import annotations

from typing import Any, TextIO

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from gist_tox.errors import printable
from gist_tox.render.ascii import ascii_data, encodes
from gist_tox.render.base import BatchReport, Renderer
from gist_tox.render.console import terminal
from gist_tox.render.one_screen import ACTION_STYLE as _ACTION_STYLE
from gist_tox.render.one_screen import GRADE_STYLE as _GRADE_STYLE
from gist_tox.render.one_screen import comedication_line
from gist_tox.result_grades import every_grade


def render_result(console: Console, result: dict[str, Any]) -> None:
    rules = result["rules"]
    console.print(
        Text.assemble(
            (f"{result['patient_id']}", "bold"),
            f"  {result['date']}  ",
            (f"CTCAE v{rules['ctcae_version']}", "bold"),
            f"  {printable(result['source'])}",
        )
    )
    recommendation = result.get("recommendation")
    if recommendation:
        console.print(recommendation_panel(recommendation))
    comedications = comedication_line(result)
    if comedications is not None:
        console.print(comedications)
    console.print(grades_table(result))
    for warning in result.get("warnings", []):
        console.print(Text("warning: ", style="bold yellow") + Text(warning))
    console.print(Text(f"rules {rules.get('name', '')} {rules['digest'][:19]}…", style="dim"))


def recommendation_panel(rec: dict[str, Any]) -> Panel:
    action = rec["action"]
    head = Text.assemble(
        (action.upper(), _ACTION_STYLE.get(action, "bold")),
        f"  imatinib {rec['dose_mg']} mg/day from today",
    )
    if rec.get("review"):
        head.append("  (under review: see below)", style="bold")
    lines: list[Any] = [head]
    if rec.get("resume_when"):
        lines.append(
            Text(
                f"resume when {rec['resume_when']}"
                + (
                    f", at {rec['resume_dose_mg']} mg/day"
                    if rec.get("resume_dose_mg") is not None
                    else ""
                )
            )
        )
    lines.extend(review_lines(rec))
    if rec.get("alternatives"):
        lines.append(Text(f"alternatives: {', '.join(rec['alternatives'])}", style="cyan"))
    for index, reason in enumerate(rec.get("reasons", []), start=1):
        lines.append(
            Text.assemble(
                f"{index}. ", reason["text"], (f"  [{reason['rule']}; {reason['source']}]", "dim")
            )
        )
    return Panel(Group(*lines), title=Text("recommendation"), title_align="left", expand=True)


def review_lines(rec: dict[str, Any]) -> list[Text]:
    """What the tool could not judge, directly under the action: words, not colour, say it
    (``!! REVIEW`` reads the same on a monochrome terminal, in a log or on paper)."""
    items = rec.get("review") or []
    if not items:
        return []
    head = Text(
        f"!! REVIEW BEFORE ACTING: {len(items)} thing(s) the tool could not judge",
        style="bold reverse",
    )
    return [
        head,
        *(
            Text.assemble("!! ", (item["text"], "bold"), (f"  [{item['code']}]", "dim"))
            for item in items
        ),
    ]


def grades_table(result: dict[str, Any]) -> Table:
    """Worst grades first, not-gradable terms last (dimmed, with the reason); under each basis,
    dimmed, the rule that gave it (``<term id>/grade-N``; the full id is in ``--format json``)."""
    table = Table(show_header=True, header_style="bold", expand=True, pad_edge=False)
    table.add_column("term", ratio=2, overflow="fold")
    table.add_column("gr", justify="right", width=2, no_wrap=True)
    table.add_column("basis  [rule]", ratio=5, overflow="fold")
    rows = sorted(
        every_grade(result).items(),
        key=lambda item: -1 if item[1]["grade"] is None else item[1]["grade"],
        reverse=True,
    )
    for term_id, grade in rows:
        name = grade.get("term", term_id)
        if grade["grade"] is None:
            table.add_row(
                Text(name, style="dim"),
                Text("–", style="dim"),
                Text(f"not gradable: {grade['not_gradable']}", style="dim italic"),
            )
            continue
        value = grade["grade"]
        rule = (grade["rule"] or "").split("/", 1)[-1]
        basis = Text(grade["basis"])
        basis.append(f"  [{rule}]", style="dim")
        table.add_row(
            Text(name, style="bold" if value else ""),
            Text(str(value), style=_GRADE_STYLE.get(value, "")),
            basis,
        )
    return table


def render_timeline(console: Console, data: dict[str, Any]) -> None:
    """One row per visit: date, worst grade and term, action, the dose from that visit on."""
    visits = data["visits"]
    head = Text.assemble((data["patient_id"], "bold"), f"  {len(visits)} visit(s)")
    if visits:
        head.append(f"  CTCAE v{visits[0]['rules']['ctcae_version']}", style="bold")
    console.print(head)
    table = Table(show_header=True, header_style="bold", expand=True, pad_edge=False)
    table.add_column("date", no_wrap=True)
    table.add_column("worst grade", ratio=3, overflow="fold")
    table.add_column("action", no_wrap=True)
    table.add_column("dose mg/day", ratio=2, overflow="fold")
    fired = [
        [r["rule"].rsplit("/", 1)[-1] for r in (v.get("recommendation") or {}).get("reasons", [])]
        for v in visits
    ]
    # one rule per line, the column as wide as the longest name so none is cut mid-word
    longest = max((len(name) for names in fired for name in names), default=5)
    table.add_column("rules", min_width=min(longest, 28), overflow="fold", style="dim")
    for result, names in zip(visits, fired, strict=True):
        rec = result.get("recommendation") or {}
        action = rec.get("action", "–")
        dose = "–" if not rec else str(rec["dose_mg"])
        if action == "hold":
            resume = rec.get("resume_dose_mg")
            dose += f" (resume at {resume if resume is not None else '?'})"
        if rec.get("alternatives"):
            dose += f"; consider {', '.join(rec['alternatives'])}"
        shown = Text(action, style=_ACTION_STYLE.get(action, ""))
        if rec.get("review"):
            shown.append("\n!! review", style="bold")
        table.add_row(result["date"], worst_grade(result), shown, dose, "\n".join(names))
    console.print(table)
    for result in visits:  # what a clinician must judge first, then the warnings
        for item in (result.get("recommendation") or {}).get("review", []):
            console.print(
                Text(f"!! review ({result['date']}): ", style="bold")
                + Text(f"{item['text']} [{item['code']}]")
            )
    for result in visits:
        for warning in result.get("warnings", []):
            console.print(
                Text(f"warning ({result['date']}): ", style="bold yellow") + Text(warning)
            )


def worst_grade(result: dict[str, Any]) -> Text:
    """The highest grade at a visit and the term(s) that have it; 'not gradable' counted."""
    graded = {k: v for k, v in every_grade(result).items() if v["grade"] is not None}
    if not graded:
        return Text("not gradable", style="dim")
    top = max(v["grade"] for v in graded.values())
    if top == 0:
        return Text("0", style=_GRADE_STYLE[0])
    names = [v.get("term", k) for k, v in graded.items() if v["grade"] == top]
    return Text.assemble((str(top), _GRADE_STYLE.get(top, "")), f" {', '.join(names)}")


def _shown(stream: TextIO, data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with its texts in ASCII where ``stream`` cannot encode them, so that the table
    is laid out with the characters it shows."""
    return data if encodes(stream) else ascii_data(data)


class TableRenderer(Renderer):
    """``--format table``: for people, on a terminal (colour only there) or in a file.

    One visit has three levels of detail: the one-screen view (``render/one_screen.py``), the
    full view (``-v``: every term, reason and rule id) and the decision alone (``-q``)."""

    def __init__(self, detail: str = "screen") -> None:
        self.detail = detail

    def configured(self, *, quiet: bool = False, verbose: bool = False) -> Renderer:
        return TableRenderer("quiet" if quiet else "full" if verbose else "screen")

    def result(self, stream: TextIO, result: dict[str, Any]) -> None:
        from gist_tox.render import one_screen

        console, shown = terminal(stream), _shown(stream, result)
        if self.detail == "full":
            render_result(console, shown)
        elif self.detail == "quiet":
            line = one_screen.quiet_line(shown.get("recommendation"))
            console.print(line, soft_wrap=True)  # one line, never cut: nothing else is shown
        else:
            one_screen.render_one_screen(console, shown)

    def comparison(self, stream: TextIO, data: dict[str, Any]) -> None:
        from gist_tox.render.compare import render_comparison

        render_comparison(terminal(stream), _shown(stream, data))

    def timeline(self, stream: TextIO, data: dict[str, Any]) -> None:
        render_timeline(terminal(stream), _shown(stream, data))

    def batch(self, stream: TextIO, report: BatchReport) -> None:
        from gist_tox.render.worklist_table import render_worklist

        render_worklist(terminal(stream, None if stream.isatty() else 120), report)

    def diff(self, stream: TextIO, data: dict[str, Any]) -> None:
        """One line per change, ``visit: what: before -> after``, the count, then any problem
        ``rules check`` finds in the new rules.  Plain lines: they are read in CI logs."""
        for visit in data["changes"]:
            for change in visit["changes"]:
                stream.write(
                    f"{printable(visit['source'])}: {change['what']}: "
                    f"{_diff_cell(change['before'])} -> {_diff_cell(change['after'])}\n"
                )
        stream.write(
            f"{data['changed']} of {data['visits']} visit(s) changed"
            f" ({data['old']} -> {data['new']})\n"
        )
        for problem in data.get("new_rules_problems", []):
            stream.write(f"NEW rules problem: {problem}\n")


def _diff_cell(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "[]"
    return str(value)


RENDERER = TableRenderer()
