"""One visit on one screen (80x24): what to do first and last, every finding in between.

Why: the full view (``grade -v``) of a visit with several findings is 40-odd lines, and the
recommendation scrolled off the top of a terminal before the clinician read it.  This view keeps
everything that bears on the decision and folds what does not:

- the first line is the action and today's dose (then the patient, date and CTCAE version);
  then what the tool could not judge (``review``), when and at what dose to resume, and each
  reason on one line (its rule's name and the start of its text; ``-v`` gives every reason and
  source in full); the co-medications, when the visit lists any, in one line with the inducer
  dose (advice only);
- one row per term graded 1-5 with its basis (``-v`` adds the rule ids);
- terms graded 0 folded into one line, not-gradable terms grouped by their shared reason (a term
  that cannot be graded is never hidden, only grouped);
- every warning, in full;
- the file and the rule set, then the action again as the last line, so it is on screen
  whichever end of the output the reader sees.
"""

from __future__ import annotations

import re
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from gist_tox.errors import printable
from gist_tox.result_grades import every_grade

GRADE_STYLE = {0: "green", 1: "yellow", 2: "yellow", 3: "bold red", 4: "bold red", 5: "bold red"}
ACTION_STYLE = {
    "continue": "green",
    "escalate": "cyan",
    "resume": "yellow",
    "reduce": "yellow",
    "hold": "bold red",
    "discontinue": "bold red",
}


def render_one_screen(console: Console, result: dict[str, Any]) -> None:
    rules = result["rules"]
    rec = result.get("recommendation")
    head = action_text(rec)
    head.append(f"  {result['patient_id']}  {result['date']}  CTCAE v{rules['ctcae_version']}")
    print_line(console, head)
    for line in recommendation_lines(rec):
        console.print(line)
    caps = caps_line(rec)
    if caps is not None:
        print_line(console, caps)
    for line in reason_lines(rec):
        print_line(console, line)
    comedications = comedication_line(result)
    if comedications is not None:
        print_line(console, comedications)
    console.print(findings_table(result))
    folded = Table.grid()
    folded.add_column(width=4, no_wrap=True)  # the grade mark; wrapped names stay under names
    folded.add_column(overflow="fold")
    for mark, names in folded_lines(result):
        folded.add_row(mark, names)
    if folded.row_count:
        console.print(folded)
    for warning in result.get("warnings", []):
        console.print(Text("warning: ", style="bold yellow") + Text(warning))
    console.print(Text(printable(result["source"]), style="dim"), overflow="fold")
    more = "..." if console.options.ascii_only else "…"
    digest = f"{rules['digest'][:19]}{more}"
    footer = Text(f"rules {rules.get('name', '')} {digest}  (-v: every reason in full)")
    print_line(console, footer, style="dim")
    print_line(console, closing_line(rec))


def print_line(console: Console, text: Text, style: str = "") -> None:
    """``text`` in one line of the console's width, cut with an ellipsis (``...`` where the
    output is ASCII only, so that the line stays within the width)."""
    width = console.width
    if text.cell_len > width:
        more = "..." if console.options.ascii_only else "…"
        text = text.copy()
        text.truncate(width - len(more))
        text.append(more)
    console.print(text, style=style, no_wrap=True, overflow="crop")


def action_text(rec: dict[str, Any] | None) -> Text:
    """``HOLD  imatinib 0 mg/day from today``; without a recommendation, says so."""
    if not rec:
        return Text("NO RECOMMENDATION (no dosing rules in this rule set)", style="bold")
    action = rec["action"]
    return Text.assemble(
        (action.upper(), ACTION_STYLE.get(action, "bold")),
        f"  imatinib {rec['dose_mg']} mg/day from today",
    )


def closing_line(rec: dict[str, Any] | None) -> Text:
    """The decision again, in one line: action, dose, resume dose, and whether to review."""
    line = action_text(rec)
    if not rec:
        return line
    review = rec.get("review") or []
    if review:
        line.append(f"; REVIEW {len(review)} above first", style="bold")
    if rec.get("resume_dose_mg") is not None:
        line.append(f"; resume at {rec['resume_dose_mg']} mg/day (when: above)")
    if rec.get("alternatives"):
        line.append(f"; consider {', '.join(rec['alternatives'])}")
    return line


def quiet_line(rec: dict[str, Any] | None) -> Text:
    """The decision alone (``-q``), with nothing above it to point to: what to review by its
    codes, and when to resume in full."""
    line = action_text(rec)
    if not rec:
        return line
    review = rec.get("review") or []
    if review:
        codes = ", ".join(dict.fromkeys(item["code"] for item in review))
        line.append(f"; REVIEW FIRST: {codes}", style="bold")
    if rec.get("resume_dose_mg") is not None or rec.get("resume_when"):
        resume = rec.get("resume_dose_mg")
        line.append("; resume" + (f" at {resume} mg/day" if resume is not None else ""))
        if rec.get("resume_when"):
            line.append(f" when {rec['resume_when']}")
    if rec.get("alternatives"):
        line.append(f"; consider {', '.join(rec['alternatives'])}")
    return line


def recommendation_lines(rec: dict[str, Any] | None) -> list[Text]:
    if not rec:
        return []
    lines: list[Text] = []
    review = rec.get("review") or []
    if review:
        lines.append(
            Text(
                f"!! REVIEW BEFORE ACTING: {len(review)} thing(s) the tool could not judge",
                style="bold reverse",
            )
        )
        lines.extend(
            Text.assemble("!! ", (item["text"], "bold"), (f"  [{item['code']}]", "dim"))
            for item in review
        )
    if rec.get("resume_when"):
        resume = rec.get("resume_dose_mg")
        at = f"at {resume} mg/day " if resume is not None else ""
        lines.append(Text(f"resume {at}when {rec['resume_when']}"))
    if rec.get("alternatives"):
        lines.append(Text(f"alternatives: {', '.join(rec['alternatives'])}", style="cyan"))
    return lines


def caps_line(rec: dict[str, Any] | None) -> Text | None:
    """Every dose cap at the visit in one line, lowest first: kind and highest daily dose first
    (so that they survive a cut line), then why (the first clause of each cap's text), e.g.
    ``caps  hepatic <= 300, renal <= 600 mg/day (A hepatotoxicity episode happened at 400
    mg/day; Renal impairment, mild (CrCL 45 mL/min))``; ``None`` when no cap applies."""
    caps = (rec or {}).get("caps") or []
    if not caps:
        return None
    doses = ", ".join(f"{c['kind'].replace('_', ' ')} <= {c['max_dose_mg']}" for c in caps)
    why = "; ".join(c["text"].split(": ", 1)[0] for c in caps)
    return Text.assemble(("caps  ", "dim"), (f"{doses} mg/day", "bold"), f" ({why})")


def reason_lines(rec: dict[str, Any] | None) -> list[Text]:
    """Each reason in one line: its rule's name and the start of its text (printed without
    wrapping; ``-v`` shows each in full with its source)."""
    return [
        Text.assemble(("why ", "dim"), (r["rule"].rsplit("/", 1)[-1], "bold"), ": ", r["text"])
        for r in (rec or {}).get("reasons", [])
    ]


def comedication_line(result: dict[str, Any]) -> Text | None:
    """The visit's co-medications in one line, each with its interaction class (or "not on
    the list"), and the inducer dose when there is one; ``None`` when the visit lists none."""
    factors = result.get("patient_factors") or {}
    items = factors.get("comedications") or []
    if not items:
        return None
    line = Text("co-medications", style="bold")
    dose = factors.get("cyp3a4_inducer_dose_mg")
    if dose is not None:  # first, so that a narrow screen keeps it
        line.append(f" (inducer dose {dose} mg/day, advice only)")
    named = []
    for item in items:
        klass = item.get("class")
        kind = klass.replace("_", " ").replace("cyp3a4", "CYP3A4") if klass else "not on the list"
        named.append(f"{item['name']} ({kind})")
    line.append(": " + ", ".join(named))
    return line


def findings_table(result: dict[str, Any], *, rule_ids: bool = False) -> Table:
    """One row per term graded 1-5 (the clinician's ``other_events`` too), worst first: grade,
    term, basis."""
    table = Table(box=None, show_header=False, pad_edge=False, expand=True, padding=(0, 1))
    table.add_column("gr", justify="right", no_wrap=True, width=2)
    table.add_column("term", no_wrap=False, max_width=28)
    table.add_column("basis", ratio=1, overflow="fold")
    graded = [(term_id, grade) for term_id, grade in every_grade(result).items() if grade["grade"]]
    graded.sort(key=lambda item: -item[1]["grade"])
    for term_id, grade in graded:
        value = grade["grade"]
        basis = Text(grade["basis"] or "")
        if rule_ids:
            basis.append(f"  [{(grade['rule'] or '').split('/', 1)[-1]}]", style="dim")
        table.add_row(
            Text(str(value), style=GRADE_STYLE.get(value, "")),
            Text(grade.get("term", term_id), style="bold"),
            basis,
        )
    if not graded:
        table.add_row("", Text("no term graded above 0", style="green"), "")
    return table


NOT_RECORDED = "not recorded at this visit"
"""The reason shared by terms whose only reason is an input the visit does not give."""

_NOT_RECORDED = re.compile(r"^[^;]*\b(not measured|not assessed|absent|missing)(\s*\([^;]*\))?$")
"""A reason that is one missing input ("ALT not measured", "skin findings absent (no skin
section)"), as opposed to findings that fit no cell or a higher grade that cannot be ruled out,
which keep their own words."""


def folded_lines(result: dict[str, Any]) -> list[tuple[Text, Text]]:
    """Grade 0 in one row; not-gradable terms grouped by their shared reason.  Each row is its
    grade mark and its text, so that a wrapped list keeps the grades column clear."""
    lines: list[tuple[Text, Text]] = []
    zero = [g.get("term", k) for k, g in every_grade(result).items() if g["grade"] == 0]
    if zero:
        lines.append((Text(" 0  ", GRADE_STYLE[0]), Text(", ".join(zero))))
    groups: dict[str, list[str]] = {}
    for term_id, grade in result["grades"].items():
        if grade["grade"] is None:
            reason = grade.get("not_gradable") or ""
            key = NOT_RECORDED if _NOT_RECORDED.match(reason) else reason
            groups.setdefault(key, []).append(grade.get("term", term_id))
    for reason, names in groups.items():
        lines.append(
            (
                Text(" –  ", "bold"),
                Text.assemble(
                    (", ".join(names), "bold"),
                    (": not gradable, ", "italic"),
                    (reason, "italic"),
                ),
            )
        )
    return lines
