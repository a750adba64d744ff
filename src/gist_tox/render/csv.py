"""``--format csv``: one row per file, for a spreadsheet, written as each result arrives.

Columns (stable; new columns are only ever added at the end) are :data:`CSV_COLUMNS`:

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
``resume_dose_mg``, ``resume_when``
    for a hold: the dose to resume at and the condition to resume
``alternatives``
    other treatments to consider, joined with `` | ``
``review``
    what a clinician must judge before acting, ``code: text`` joined with `` | `` (empty: nothing)
``rules``
    the dosing rules that fired, joined with `` | ``

A text cell that a spreadsheet would run as a formula (one starting with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return) is written with a leading ``'``, as OWASP recommends
("CSV Injection"): a patient id ``=HYPERLINK(...)`` shows as text.  Numbers are left as they are.
"""

from __future__ import annotations

import csv
from typing import Any, TextIO

from gist_tox.batch import Outcome
from gist_tox.render.base import BatchReport, Renderer

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
    "resume_dose_mg",
    "resume_when",
    "alternatives",
    "review",
    "rules",
)

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What makes a spreadsheet read a cell as a formula (OWASP, CSV Injection)."""


def neutralise(cell: Any) -> Any:
    """A text cell as a spreadsheet shows it as text: ``'`` before a formula's first character."""
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        return "'" + cell
    return cell


def csv_row(outcome: Outcome) -> list[Any]:
    problem = outcome.problem
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
        problem and problem.field,
        problem and problem.line,
        problem and problem.column,
        problem and problem.message,
        outcome.resume_dose_mg,
        outcome.resume_when,
        " | ".join(outcome.alternatives),
        " | ".join(f"{code}: {text}" for code, text in outcome.review),
        " | ".join(outcome.rules),
    ]


class CsvRenderer(Renderer):
    def batch(self, stream: TextIO, report: BatchReport) -> None:
        """RFC 4180 CSV with a header row of :data:`CSV_COLUMNS`; empty cells for ``None``."""
        writer = csv.writer(stream, lineterminator="\r\n")
        writer.writerow(CSV_COLUMNS)
        for outcome in report.outcomes:
            writer.writerow([neutralise(cell) for cell in csv_row(outcome)])


RENDERER = CsvRenderer()
