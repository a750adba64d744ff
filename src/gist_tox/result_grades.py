"""Every grade a result gives: NCI's terms the tool computed, then the clinician's
``other_events``, in one shape, for the views that list or rank a visit's grades."""

from __future__ import annotations

from typing import Any


def every_grade(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A result's ``grades`` followed by its ``other_events``, each event shaped as a grade
    (``grade``, ``term``, ``basis``, ``rule``), keyed ``other_events[i]``.

    Why: a view that lists or ranks a visit's grades from ``grades`` alone printed "no term
    graded above 0" (and a batch's worst grade 0) beside a hold for the clinician's diarrhoea
    grade 3.  Every such view reads this instead."""
    grades: dict[str, dict[str, Any]] = result["grades"]
    events = result.get("other_events")
    if not events:
        return grades  # read only, as every caller does: no copy per visit of a batch
    out = dict(grades)
    for index, event in enumerate(events):
        term = event["term"] + (f" ({event['specify']})" if event.get("specify") else "")
        text = event.get("nci_text")
        out[f"other_events[{index}]"] = {
            "grade": event["grade"],
            "term": term,
            "basis": "graded by the clinician (other_events)" + (f": {text}" if text else ""),
            "rule": f"other_events[{index}]",
        }
    return out
