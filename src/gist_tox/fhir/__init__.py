"""FHIR R4 at the edges: a reader that turns FHIR resources into the one internal visit, and a
writer that turns a result into a FHIR ``collection`` Bundle.

Why an adapter and nothing more: grading and dosing know only :class:`gist_tox.visit.Visit`.  A
FHIR Bundle, a Bulk Data export or a QuestionnaireResponse becomes exactly the visit document a
YAML file would give, validated by the same model, so every grade and recommendation equals the
YAML twin's.  ``fhir.resources`` (pydantic models of FHIR, R4B package) parses what is read and
validates what is written; it is imported only on these paths, so that ``grade visit.yaml`` does
not pay for it.  This package's ``__init__`` imports nothing heavy.
"""

from __future__ import annotations

import os

EXPORT_SUFFIX = ".ndjson"


def is_export(folder: str) -> bool:
    """Whether ``folder`` is a FHIR Bulk Data export: it holds ``*.ndjson`` files."""
    try:
        with os.scandir(folder) as entries:
            return any(e.name.lower().endswith(EXPORT_SUFFIX) and e.is_file() for e in entries)
    except OSError:
        return False
