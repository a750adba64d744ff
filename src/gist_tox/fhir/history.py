"""Earlier AdverseEvents -> the visit's ``history`` (dose-limiting episodes, oldest first).

An AdverseEvent is a history entry when it is dated before the visit, carries a CTCAE grade
>= 1 (the HL7 CTC Adverse Event IG's grade extension) and names a term gist-tox grades (by the
gist-tox term coding, or by MedDRA code) or, by the gist-tox term coding, any NCI CTCAE term
(an ``other_events`` term).  Its category and the daily dose it happened at come from the
gist-tox episode extension when gist-tox wrote it; an AdverseEvent gist-tox wrote with
``doseLimiting: false`` (a finding of a visit that was not an episode) is not history.  For one
an EHR wrote: the category is the term's (:func:`_category`), and the dose is that of the
imatinib order named as its suspect entity, else of the order in effect on its date; when
neither is known it is refused (the dose an episode happened at decides the dose to resume at).
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from gist_tox.fhir import codes
from gist_tox.fhir.resources import Resource, day_of, number, reference_id

if TYPE_CHECKING:
    from gist_tox.fhir.reader import Imatinib


@lru_cache(maxsize=1)
def _shipped_terms() -> tuple[dict[str, str], dict[str, str]]:
    """MedDRA code -> term id, and term id -> category, from the shipped rules (both versions)."""
    from gist_tox.ruleset.loader import load_ruleset, shipped_rules_dir

    by_code: dict[str, str] = {}
    category: dict[str, str] = {}
    for version in ("5.0", "6.0"):
        for term in load_ruleset(shipped_rules_dir(), version).terms:
            by_code.setdefault(term.meddra_code, term.id)
            category[term.id] = term.category
    return by_code, category


def _grade(model: Any) -> int | None:
    for extension in model.extension or []:
        if extension.url != codes.CTCAE_GRADE_EXTENSION or extension.valueCodeableConcept is None:
            continue
        for coding in extension.valueCodeableConcept.coding or []:
            if coding.system == codes.CTCAE_GRADE_SYSTEM and coding.code in "012345":
                return int(coding.code)
    return None


def _episode(model: Any) -> dict[str, Any] | None:
    for extension in model.extension or []:
        if extension.url == codes.EPISODE_EXTENSION:
            return {part.url: part for part in extension.extension or []}
    return None


@lru_cache(maxsize=1)
def _nci_terms() -> dict[str, Any]:
    """Every NCI term id of either CTCAE version (v6.0's entry where both have one): the terms
    an ``other_events`` item may name, and so a history entry too."""
    from gist_tox.nci import VERSIONS, terms

    found: dict[str, Any] = {}
    for version in reversed(VERSIONS):
        for term_id, term in terms(version).items():
            found.setdefault(term_id, term)
    return found


def _term(resource: Resource, model: Any) -> str | None:
    by_code, computed = _shipped_terms()
    codings = model.event.coding if model.event is not None and model.event.coding else []
    for index, coding in enumerate(codings):
        if coding.system == codes.TERM_SYSTEM and coding.code:
            if coding.code not in computed and coding.code not in _nci_terms():
                raise resource.error(
                    f"event.coding[{index}].code",
                    f"unknown gist-tox term id {coding.code!r} (neither a term gist-tox grades"
                    " nor an NCI CTCAE term id)",
                )
            return str(coding.code)
    for coding in codings:
        if coding.system == codes.MEDDRA and coding.code in by_code:
            return by_code[coding.code]
    return None


def _category(term: str, grade: int) -> str | None:
    """The history category of an episode an EHR recorded (no gist-tox episode extension), or
    ``None`` when the event is no episode gist-tox weighs: a computed term's own category when
    it is one (anemia and weight gain are not: they never hold imatinib); an NCI term listed as
    ``other_events`` by the category dosing R3 gives it, at grade >= 3 (an event of the
    Investigations or Blood SOC only at grade 4, when it is dosed as a non-hematologic one)."""
    from typing import get_args

    from gist_tox.other_events import category_of
    from gist_tox.visit import Category

    computed = _shipped_terms()[1]
    if term in computed:
        category = computed[term]
        return category if category in get_args(Category) else None
    if grade < 3:
        return None
    category = category_of(term, _nci_terms()[term].soc)
    if category == "investigations_or_blood":
        return "other_nonhematologic" if grade >= 4 else None
    return category


def history(
    resources: list[Resource], day: dt.date, imatinib: Imatinib, orders: dict[str, Resource]
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The history entries before ``day``, oldest first, and where each came from."""
    entries: list[tuple[dt.date, str, dict[str, Any]]] = []
    for resource in resources:
        model = resource.parse()
        grade = _grade(model)
        if grade is None or grade == 0:
            continue
        when = model.date or model.detected
        if when is None:
            raise resource.error("date", "an AdverseEvent with a CTCAE grade but no date")
        happened = day_of(when)
        if happened is None:
            raise resource.error("date", f"{when} is not a day; expected YYYY-MM-DD")
        if happened >= day:
            continue
        if model.actuality not in (None, "actual"):
            continue
        episode = _episode(model)
        if (
            episode is not None
            and getattr(episode.get("doseLimiting"), "valueBoolean", None) is False
        ):
            continue
        term = _term(resource, model)
        if term is None:
            continue  # a term gist-tox does not grade: not an episode it can weigh
        category = None
        if episode is not None and "category" in episode:
            category = episode["category"].valueCode
        if category is None:
            category = _category(term, grade)
            if category is None:
                continue  # not an episode gist-tox weighs (anemia, an other event below 3)
        dose = _dose(resource, model, episode, happened, imatinib, orders)
        entries.append(
            (
                happened,
                resource.label,
                {
                    "date": happened,
                    "category": category,
                    "term": term,
                    "grade": grade,
                    "dose_mg": dose,
                },
            )
        )
    entries.sort(key=lambda e: e[0])
    origins = {f"history[{i}]": label for i, (_, label, _) in enumerate(entries)}
    return [entry for _, _, entry in entries], origins


def _dose(
    resource: Resource,
    model: Any,
    episode: dict[str, Any] | None,
    happened: dt.date,
    imatinib: Imatinib,
    orders: dict[str, Resource],
) -> int:
    if episode is not None and "dose" in episode and episode["dose"].valueQuantity is not None:
        value = number(episode["dose"].valueQuantity.value)
        if isinstance(value, int):
            return value
        raise resource.error("extension.dose", f"{value} mg is not a whole mg dose")
    from gist_tox.fhir.reader import daily_dose

    for suspect in model.suspectEntity or []:
        for kind, element in (
            ("MedicationRequest", "dosageInstruction"),
            ("MedicationStatement", "dosage"),
        ):
            named = orders.get(f"{kind}/{reference_id(suspect.instance, kind)}") or orders.get(
                str(getattr(suspect.instance, "reference", ""))
            )
            if named is not None:
                dose = daily_dose(named, getattr(named.parse(), element) or [], element)
                if dose is not None:
                    return dose
    current = imatinib.on(happened)
    if current is not None and current.taking and current.dose is not None:
        return current.dose
    raise resource.error(
        "suspectEntity",
        "the imatinib dose this adverse event happened at is unknown: name the imatinib"
        " MedicationRequest as its suspect entity, or include the order in effect then",
    )
