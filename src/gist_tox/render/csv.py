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
)


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


class CsvRenderer(Renderer):
    def batch(self, stream: TextIO, report: BatchReport) -> None:
        """RFC 4180 CSV with a header row of :data:`CSV_COLUMNS`; empty cells for ``None``."""
        writer = csv.writer(stream, lineterminator="\r\n")
        writer.writerow(CSV_COLUMNS)
        for outcome in report.outcomes:
            writer.writerow(csv_row(outcome))


RENDERER = CsvRenderer()
