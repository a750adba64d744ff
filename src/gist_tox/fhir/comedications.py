"""The medicines a patient takes besides imatinib on the visit's day -> ``comedications``.

Why names only: matching a name against the interaction list (``rules/interactions.yaml``) is
the core's job, for YAML and FHIR alike; the reader only says what the record names.  A
medicine is taken on the day when a MedicationStatement (status ``active``) or a
MedicationRequest (an order, status ``active``) for it is not dated after the day (an undated
active one is taken now) and its ``effectivePeriod`` (a statement's) has not ended before it.
Its name is the concept's ``text``, else the first coding's ``display``; a medicine coded
without either is named by its code (``RxNorm 9384``), so that it is listed as unmatched,
with a warning, rather than left out unseen.  The same name twice (case aside) is listed once.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from gist_tox.fhir import codes
from gist_tox.fhir.resources import Resource, day_of

_SYSTEM_NAMES = {codes.RXNORM: "RxNorm", codes.ATC: "ATC", codes.SNOMED: "SNOMED CT"}


def name_of(concept: Any) -> str | None:
    """What a medication concept calls the medicine."""
    if concept is None:
        return None
    if concept.text and concept.text.strip():
        return str(concept.text.strip())
    for coding in concept.coding or []:
        if coding.display and coding.display.strip():
            return str(coding.display.strip())
    for coding in concept.coding or []:
        if coding.code:
            system = _SYSTEM_NAMES.get(str(coding.system), str(coding.system or "code"))
            return f"{system} {coding.code}"
    return None


def comedications(
    resources: list[Resource], medications: dict[str, Any], day: dt.date
) -> tuple[list[str], dict[str, str]]:
    """The names taken on ``day`` besides imatinib, and where each came from."""
    from gist_tox.fhir.reader import ORDER_INTENTS, is_imatinib, medication_concept

    names: dict[str, tuple[str, str]] = {}
    for resource in resources:
        if resource.data.get("status") != "active":
            continue  # looked at before parsing: most orders in a record are not active
        model = resource.parse()
        concept = medication_concept(model, medications)
        if concept is None or is_imatinib(concept):
            continue
        if resource.type == "MedicationRequest":
            if model.intent not in ORDER_INTENTS:
                continue
            since = day_of(model.authoredOn)
        else:
            period = model.effectivePeriod
            since = day_of(
                model.effectiveDateTime or (period.start if period else None) or model.dateAsserted
            )
            ended = day_of(period.end) if period is not None and period.end else None
            if ended is not None and ended < day:
                continue
        if since is not None and since > day:
            continue  # started after the day (an undated active one is taken now)
        name = name_of(concept)
        if name is not None:
            names.setdefault(name.casefold(), (name, resource.label))
    listed = list(names.values())
    origins = {f"comedications[{i}]": label for i, (_, label) in enumerate(listed)}
    return [name for name, _ in listed], origins
