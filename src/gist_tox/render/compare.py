"""The terminal view of ``grade --compare-ctcae``: one row per adverse event, a column per CTCAE
version, the rows whose grades differ marked with ``≠`` (and in bold), the recommendation of each
version below, then a one-line summary of what differs."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

MARK = "≠"


def _cell(row: dict[str, Any], version: str) -> Text:
    if version not in row["in"]:
        return Text("—", style="dim")
    grade = row["grades"][version]
    if grade is None:
        return Text("n/g", style="dim italic")
    return Text(str(grade), style="bold red" if grade >= 3 else "")


def _name(row: dict[str, Any], versions: list[str], arrow: str = "→") -> str:
    names = [row["terms"][v] for v in versions if v in row["terms"]]
    unique = list(dict.fromkeys(names))
    return f" {arrow} ".join(unique)


def comparison_table(data: dict[str, Any], *, mark: str = MARK, arrow: str = "→") -> Table:
    """``mark`` and ``arrow``: ``!=`` and ``->`` where the output is ASCII only."""
    versions: list[str] = data["versions"]
    table = Table(show_header=True, header_style="bold")
    table.add_column("", width=len(mark), no_wrap=True)
    table.add_column("term", overflow="fold")
    for version in versions:
        table.add_column(f"v{version}", justify="right", no_wrap=True)
    for row in data["terms"]:
        differs = row["differs"]
        table.add_row(
            Text(mark if differs else "", style="bold yellow"),
            Text(_name(row, versions, arrow), style="bold" if differs else ""),
            *(_cell(row, v) for v in versions),
        )
    return table


def render_comparison(console: Console, data: dict[str, Any]) -> None:
    ascii_only = console.options.ascii_only
    mark, arrow = ("!=", "->") if ascii_only else (MARK, "→")
    head = Text.assemble(
        (data["patient_id"], "bold"),
        f"  {data['date']}  ",
        ("CTCAE " + " vs ".join(f"v{v}" for v in data["versions"]), "bold"),
        f"  {data['source']}",
    )
    console.print(head)
    if data.get("pinned"):
        console.print(
            Text(
                f"note: the visit is pinned to CTCAE v{data['pinned']}; compared under"
                " every version",
                style="yellow",
            )
        )
    console.print(comparison_table(data, mark=mark, arrow=arrow))
    for result in data["results"]:
        version = result["rules"]["ctcae_version"]
        rec = result.get("recommendation")
        if rec:
            resume = (
                f", resume at {rec['resume_dose_mg']} mg/day"
                if rec.get("resume_dose_mg") is not None
                else ""
            )
            resume += f" when {rec['resume_when']}" if rec.get("resume_when") else ""
            console.print(
                Text.assemble(
                    (f"v{version} recommendation: ", "bold"),
                    f"{rec['action']} {rec['dose_mg']} mg/day{resume}",
                )
            )
            for item in rec.get("review", []):
                console.print(
                    Text(f"!! v{version} review: ", style="bold")
                    + Text(f"{item['text']} [{item['code']}]")
                )
        for warning in result.get("warnings", []):
            console.print(Text(f"v{version} warning: ", style="bold yellow") + Text(warning))
    differing = [row for row in data["terms"] if row["differs"]]
    if differing:
        names = ", ".join(_name(row, data["versions"], arrow) for row in differing)
        console.print(
            Text(f"{mark} {len(differing)} term(s) differ between versions: {names}", style="bold")
        )
    else:
        console.print(Text("the grades are the same under every version", style="green"))
    if data.get("recommendations_differ"):
        console.print(
            Text(f"{mark} the recommendation differs between versions", style="bold yellow")
        )
    digests = "  ".join(
        f"v{r['rules']['ctcae_version']} {r['rules'].get('name', '')} {r['rules']['digest'][:19]}…"
        for r in data["results"]
    )
    console.print(Text(f"rules {digests}", style="dim"))
