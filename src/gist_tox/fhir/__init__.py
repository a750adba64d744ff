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
import re

EXPORT_SUFFIX = ".ndjson"

_GIST_TOX_OUTPUT = re.compile(rb'^(?:\xef\xbb\xbf)?\s*(?:$|\{\s*"format"\s*:\s*"gist-tox/)')
"""How an NDJSON file gist-tox wrote begins (``batch -f ndjson -o report.ndjson``): empty, or
an object whose first key names a gist-tox format."""


def is_export_file(path: str) -> bool:
    """Whether ``path`` is an ``*.ndjson`` file of an export: not a report gist-tox wrote.

    Why: ``batch visits/ -o visits/report.ndjson`` leaves a report among the visits; read as an
    export file, it made the next ``batch visits/`` read the folder as a FHIR export, and every
    visit file in it was left out."""
    if not path.lower().endswith(EXPORT_SUFFIX):
        return False
    try:
        with open(path, "rb") as handle:
            return not _GIST_TOX_OUTPUT.match(handle.read(64))
    except OSError:
        return True  # not ours to judge: reading it reports why it cannot be read


def is_export(folder: str) -> bool:
    """Whether ``folder`` is a FHIR Bulk Data export: it holds ``*.ndjson`` files (other than
    gist-tox's own reports)."""
    try:
        with os.scandir(folder) as entries:
            return any(e.is_file() and is_export_file(e.path) for e in entries)
    except OSError:
        return False
