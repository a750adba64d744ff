"""A FHIR Bulk Data export folder (``Patient.ndjson``, ``Observation.ndjson``, ... one resource
per line) -> one batch item per patient (or per patient and day).

Why the resources are grouped here, in the process that lists the work: an export is sorted by
resource type, not by patient, so each patient's resources are spread over every file.  They are
read once, grouped by the patient they are about (``subject``, or the Patient's own id), and
each patient's group travels with its item to whichever worker grades it.  The export is held in
memory while the batch runs as the lines' bytes (a pharmacist's export of 10,000 patients is
tens of megabytes), not as parsed objects: bytes are compact and the garbage collector never
scans them, where millions of parsed dicts made every collection walk the whole export.  The
worker parses its patient's lines again (microseconds each).

A line that is not a JSON object naming its ``resourceType`` becomes a failure record naming
the file and the line; the other lines and patients are graded.  Resources about no patient
(a ``Medication``) are given to the patients whose orders name them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any, NamedTuple

from gist_tox.errors import InputError
from gist_tox.fhir import is_export_file
from gist_tox.fhir.reader import blood_count_day
from gist_tox.fhir.resources import Resource, reference_id

MAX_LINE_BYTES = 1024 * 1024
"""A single resource larger than this (1 MiB) is refused, as a visit file that large is."""


Raw = tuple[str, int, bytes]
"""One line of an export: the file, the line number and the resource's JSON text."""


class Item(NamedTuple):
    """One thing to grade: ``path`` names it (``export/Patient/p1``, with ``/YYYY-MM-DD`` for one
    day), ``resources`` and ``day`` are what the reader needs; or ``error`` set."""

    path: str
    resources: list[Raw] | None = None
    day: str | None = None
    error: InputError | None = None


def _strict(text: str) -> Any:
    def refuse(name: str) -> Any:
        raise ValueError(f"{name} is not a number")

    return json.loads(text, parse_constant=refuse)


def resources(raw: list[Raw]) -> list[Resource]:
    """A patient's lines parsed (in the worker that grades it)."""
    return [Resource(_strict(text.decode("utf-8")), file, line) for file, line, text in raw]


def read(
    folder: str,
) -> tuple[dict[str, list[Raw]], dict[str, set[str]], list[InputError]]:
    """Every patient's lines in the export, the days each has a blood count, and the lines
    that could not be read."""
    patients: dict[str, list[Raw]] = {}
    days: dict[str, set[str]] = {}
    medications: dict[str, Raw] = {}
    meds_named: dict[str, set[str]] = {}
    problems: list[InputError] = []
    names = sorted(n for n in os.listdir(folder) if is_export_file(os.path.join(folder, n)))
    for name in names:
        path = os.path.join(folder, name)
        try:
            handle = open(path, "rb")  # noqa: SIM115 - closed below, read line by line
        except OSError as exc:
            problems.append(InputError(path, f"cannot read: {exc.strerror or exc}", code="file"))
            continue
        with handle:
            for number, raw in enumerate(handle, start=1):
                if not raw.strip():
                    continue
                try:
                    if len(raw) > MAX_LINE_BYTES:
                        raise ValueError(f"a line of more than {MAX_LINE_BYTES} bytes")
                    data = _strict(raw.decode("utf-8"))
                    if not isinstance(data, dict) or not isinstance(data.get("resourceType"), str):
                        raise ValueError("expected a JSON object that names its resourceType")
                except (ValueError, UnicodeDecodeError) as exc:
                    problems.append(InputError(path, f"not a FHIR resource: {exc}", line=number))
                    continue
                line: Raw = (path, number, raw)
                kind = data["resourceType"]
                if kind == "Medication" and isinstance(data.get("id"), str):
                    medications[data["id"]] = line
                    continue
                owner = data.get("id") if kind == "Patient" else _subject(data)
                if isinstance(owner, str) and owner:
                    patients.setdefault(owner, []).append(line)
                    day = blood_count_day(data)
                    if day is not None:
                        days.setdefault(owner, set()).add(day)
                    named = _medication(data)
                    if named is not None:
                        meds_named.setdefault(owner, set()).add(named)
    for owner, named_ids in meds_named.items():
        patients[owner].extend(medications[m] for m in sorted(named_ids) if m in medications)
    return patients, days, problems


def _subject(data: dict[str, Any]) -> str | None:
    for key in ("subject", "patient"):
        ref = data.get(key)
        if isinstance(ref, dict):
            return reference_id(ref.get("reference"), "Patient")
    return None


def _medication(data: dict[str, Any]) -> str | None:
    ref = data.get("medicationReference")
    return reference_id(ref.get("reference"), "Medication") if isinstance(ref, dict) else None


def items(folder: str, *, every_day: bool = False) -> Iterator[Item]:
    """The export's work in path order: one item per patient (its latest day with a blood
    count), or with ``every_day`` one per patient and day; then the lines that failed."""
    patients, days, problems = read(folder)
    out: list[Item] = []
    for pid, lines in patients.items():
        base = os.path.join(folder, "Patient", pid)
        if not every_day or not days.get(pid):  # none: graded to say there is nothing to grade
            out.append(Item(base, lines))
            continue
        out.extend(Item(os.path.join(base, day), lines, day) for day in sorted(days[pid]))
    out.extend(Item(f"{p.source}:{p.line}" if p.line else p.source, error=p) for p in problems)
    out.sort(key=lambda i: (tuple(os.path.normpath(i.path).split(os.sep)), i.error is not None))
    yield from out
