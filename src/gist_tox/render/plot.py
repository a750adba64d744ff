"""``timeline --plot``: a patient's course as one picture (PNG or SVG).

Three panels over time: the imatinib dose as a step line with the holds shaded; ANC and
platelets with the dosing rules' hold and resume thresholds; each category's worst CTCAE grade
as markers.  The recommended action is written at each visit.  Every threshold drawn is read
from the rule set the timeline was graded with (:class:`PlotRules`), never written here.

matplotlib is an optional extra (``gist-tox[plot]``), imported only here and only when a plot
is asked for; the figure is built without pyplot, so no global state or display is touched.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gist_tox.ruleset.loader import RuleSet

SUFFIXES = {".png": "png", ".svg": "svg"}

_STOP = "#a4001d"
_ANC = "#1f5fa8"
_PLATELETS = "#7a1fa2"
_CATEGORY_STYLE = {
    "hematologic": ("o", _ANC, "hematologic"),
    "skin": ("s", "#d9730d", "skin"),
}
_OTHER_STYLE = ("^", "#666666", "other terms")


@dataclass(frozen=True)
class PlotRules:
    """The numbers a plot draws, as the rule set states them."""

    hold_below: dict[str, float]
    """ANC and platelets (x10^9/L) under which the dosing rules hold imatinib."""
    resume_at_least: dict[str, float]
    """ANC and platelets (x10^9/L) both needed to end a hematologic hold."""
    skin_hold_grade: int | None
    categories: dict[str, str] = field(default_factory=dict)
    """Term id -> category (``hematologic``, ``skin``, ...)."""

    @classmethod
    def of(cls, ruleset: RuleSet) -> PlotRules:
        categories: dict[str, str] = {term.id: str(term.category) for term in ruleset.terms}
        dosing = ruleset.dosing
        if dosing is None:  # a rule set without dosing rules: no threshold to draw
            return cls({}, {}, None, categories)
        heme = dosing.hematologic
        return cls(
            {"anc": float(heme.hold_below.anc), "platelets": float(heme.hold_below.platelets)},
            {
                "anc": float(heme.resume_at_least.anc),
                "platelets": float(heme.resume_at_least.platelets),
            },
            int(dosing.skin.hold_from_grade),
            categories,
        )


@dataclass
class _Visit:
    day: date
    action: str
    dose: int | None
    resume: int | None
    recurrence: bool
    anc: float | None
    platelets: float | None
    worst: dict[str, tuple[int, str]]
    """category -> (worst grade, its term)"""


def _count(result: dict[str, Any], name: str) -> float | None:
    """A count in x10^9/L, as the grading read it (converted from the visit's unit)."""
    for grade in result["grades"].values():
        value = (grade.get("inputs") or {}).get(f"labs.{name}")
        if isinstance(value, dict) and value.get("unit") == "10^9/L":
            return float(value["value"])
    return None


def _visits(data: dict[str, Any], rules: PlotRules) -> list[_Visit]:
    out: list[_Visit] = []
    for result in data["visits"]:
        rec = result.get("recommendation") or {}
        worst: dict[str, tuple[int, str]] = {}
        for term_id, grade in result["grades"].items():
            value = grade.get("grade")
            if value is None:
                continue
            category = rules.categories.get(term_id, "other")
            if category not in _CATEGORY_STYLE:
                category = "other"
            if category not in worst or value > worst[category][0]:
                worst[category] = (value, grade.get("term", term_id))
        out.append(
            _Visit(
                date.fromisoformat(result["date"]),
                rec.get("action", "no recommendation"),
                rec.get("dose_mg"),
                rec.get("resume_dose_mg"),
                any(r["rule"].endswith("recurrence") for r in rec.get("reasons", [])),
                _count(result, "anc"),
                _count(result, "platelets"),
                worst,
            )
        )
    return out


def plot_timeline(data: dict[str, Any], rules: PlotRules, fmt: str) -> bytes:
    """The figure of a ``gist-tox/timeline@1`` document, as PNG or SVG bytes."""
    from matplotlib import rc_context
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
    from matplotlib.figure import Figure
    from matplotlib.transforms import offset_copy

    visits = _visits(data, rules)
    version = data["visits"][0]["rules"]["ctcae_version"] if data["visits"] else "?"
    first, last = visits[0].day, visits[-1].day
    span = max((last - first).days, 28)
    end = last + timedelta(days=max(14, span // 12))

    figure = Figure(figsize=(11, 8.5), layout="constrained")
    dose_ax, count_ax, grade_ax = figure.subplots(
        3, 1, sharex=True, gridspec_kw={"height_ratios": [2.2, 2, 1.5]}
    )
    figure.suptitle(
        f"{data['patient_id']}: imatinib dose, blood counts and CTCAE v{version} grades",
        fontsize=13,
        fontweight="bold",
    )

    # Holds, shaded on every panel: from a hold (or stop) to the next visit that doses again.
    held: list[tuple[date, date]] = []
    for index, visit in enumerate(visits):
        if visit.action in ("hold", "discontinue"):
            until = visits[index + 1].day if index + 1 < len(visits) else end
            if held and held[-1][1] == visit.day:
                held[-1] = (held[-1][0], until)
            else:
                held.append((visit.day, until))
    for ax in (dose_ax, count_ax, grade_ax):
        for start, stop in held:
            ax.axvspan(start, stop, color=_STOP, alpha=0.12, linewidth=0)
        ax.grid(axis="y", color="#dddddd", linewidth=0.6)

    # Dose: a step line from each visit's recommendation, the level written where it changes.
    days = [v.day for v in visits if v.dose is not None] + [end]
    doses = [v.dose for v in visits if v.dose is not None]
    if doses:
        dose_ax.step(days, [*doses, doses[-1]], where="post", color="black", linewidth=2.2)
        previous = None
        for visit in visits:
            if visit.dose is not None and visit.dose != previous:
                dose_ax.annotate(
                    f"{visit.dose} mg",
                    (visit.day, visit.dose),
                    xytext=(3, 4),
                    textcoords="offset points",
                    fontsize=9,
                    fontweight="bold",
                )
                previous = visit.dose
    top = max([*(d for d in doses), 400]) * 2.2  # the upper half holds the actions
    dose_ax.set_ylim(-20, top)
    dose_ax.set_yticks(sorted({0, *doses}))
    dose_ax.set_ylabel("imatinib mg/day")
    for visit in visits:
        label = ("recurrence: " if visit.recurrence else "") + visit.action
        if visit.action == "hold" and visit.resume is not None:
            label += f", resume {visit.resume}"
        dose_ax.annotate(
            label,
            (visit.day, top * 0.97),
            rotation=90,
            ha="center",
            va="top",
            fontsize=8,
            color=_STOP if visit.action in ("hold", "discontinue") else "#333333",
        )
    dose_ax.plot([], [], color=_STOP, alpha=0.25, linewidth=8, label="imatinib held")
    dose_ax.legend(loc="lower left", fontsize=8, frameon=False)

    # Counts: ANC (left axis) and platelets (right axis), each with its hold and resume lines.
    platelet_ax = count_ax.twinx()
    for ax, name, colour, label in (
        (count_ax, "anc", _ANC, "ANC"),
        (platelet_ax, "platelets", _PLATELETS, "platelets"),
    ):
        points = [(v.day, getattr(v, name)) for v in visits if getattr(v, name) is not None]
        if points:
            ax.plot(*zip(*points, strict=True), marker="o", color=colour, label=label)
        ceiling = max([p for _, p in points] + [rules.resume_at_least.get(name, 0)] or [1])
        ax.set_ylim(0, ceiling * 1.15)
        ax.set_ylabel(f"{label} x10^9/L", color=colour)
        for value, style, word in (
            (rules.hold_below.get(name), "--", "hold below"),
            (rules.resume_at_least.get(name), ":", "resume at"),
        ):
            if value is None:
                continue
            ax.axhline(value, color=colour, linestyle=style, linewidth=1.2)
            left = name == "anc"  # ANC labelled on its own (left) side, platelets on the right
            ax.annotate(
                f"{label} {word} {value:.1f}" if value < 10 else f"{label} {word} {value:g}",
                (0.0 if left else 1.0, value),
                xycoords=("axes fraction", "data"),
                xytext=(4 if left else -4, 2 if left else -9),  # ANC above, platelets below
                textcoords="offset points",
                ha="left" if left else "right",
                fontsize=7.5,
                color=colour,
            )
    count_ax.set_title("blood counts (lines: the dosing rules' thresholds)", fontsize=9, loc="left")

    # Grades: each category's worst grade at each visit; grade >= the skin hold grade named.
    styles = [*_CATEGORY_STYLE.items(), ("other", _OTHER_STYLE)]
    for shift, (category, (marker, colour, label)) in zip((-4, 4, 0), styles, strict=True):
        points = [(v.day, v.worst[category]) for v in visits if category in v.worst]
        if not points:
            continue
        grade_ax.scatter(
            [d for d, _ in points],
            [g for _, (g, _) in points],
            marker=marker,
            color=colour,
            s=46,
            label=label,
            zorder=3,
            transform=offset_copy(grade_ax.transData, fig=figure, x=shift, units="points"),
        )
        named = [
            (day, grade, term)
            for day, (grade, term) in points
            if rules.skin_hold_grade is not None and grade >= rules.skin_hold_grade
        ]
        for index, (day, grade, term) in enumerate(named):
            grade_ax.annotate(
                term,
                (day, grade),
                xytext=(shift, 7 + 9 * (index % 2)),  # alternate heights: neighbours never collide
                textcoords="offset points",
                ha="center",
                fontsize=7,
            )
    grade_ax.set_ylim(-0.4, 5.4)
    grade_ax.set_yticks(range(6))
    grade_ax.set_ylabel("CTCAE grade")
    grade_ax.legend(loc="upper right", fontsize=8, ncols=3, frameon=False)
    locator = AutoDateLocator()  # type: ignore[no-untyped-call]
    grade_ax.xaxis.set_major_locator(locator)
    grade_ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
    grade_ax.set_xlim(first - timedelta(days=max(7, span // 40)), end)

    buffer = io.BytesIO()
    metadata: dict[str, Any] = {"Date": None} if fmt == "svg" else {}
    # SVG keeps its words as text (searchable, read by screen readers), not as drawn outlines
    with rc_context({"svg.fonttype": "none"}):
        figure.savefig(buffer, format=fmt, dpi=110, metadata=metadata)
    return buffer.getvalue()
