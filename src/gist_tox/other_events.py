"""``other_events``: CTCAE terms the tool does not compute, graded by the clinician.

Each item is checked against NCI's term list of the visit's CTCAE version (shipped with the
package, :mod:`gist_tox.nci`) and echoed with NCI's own wording of the grade given.  A term the
tool computes is refused (one finding never has two grades, D13); an id of the other version
only is refused naming NCI's mapped term; a grade NCI does not define for the term is refused
listing those it does.  The category says which dose rule reads the event (dosing R1-R3).
"""

from __future__ import annotations

from typing import Any

from gist_tox.documents import Document
from gist_tox.errors import InputError
from gist_tox.visit import Visit

HEPATIC_TERMS = frozenset({"hepatic_failure"})
FLUID_TERMS = frozenset(
    {
        "pericardial_effusion",
        "pulmonary_edema",
        "ascites",
        "generalized_edema",
        "localized_edema",
        "edema_trunk",
        "neck_edema",
    }
)
"""The fluid terms of dosing R2's table that only the clinician grades (``other_events``)."""
LAB_OR_BLOOD_SOCS = frozenset({"Investigations", "Blood and lymphatic system disorders"})


class OtherEvent:
    """One echoed ``other_events`` item; ``death_text``: NCI's grade 5 cell of its term, or
    None when NCI defines no grade 5 for it."""

    __slots__ = (
        "category",
        "death_text",
        "grade",
        "meddra_code",
        "nci_text",
        "soc",
        "specify",
        "term",
        "term_id",
    )

    def __init__(
        self,
        term_id: str,
        term: str,
        meddra_code: str,
        soc: str,
        grade: int,
        category: str,
        nci_text: str | None,
        specify: str | None,
        death_text: str | None = None,
    ) -> None:
        self.death_text = death_text
        self.term_id = term_id
        self.term = term
        self.meddra_code = meddra_code
        self.soc = soc
        self.grade = grade
        self.category = category
        self.nci_text = nci_text
        self.specify = specify

    def as_json(self) -> dict[str, Any]:
        return {
            "term_id": self.term_id,
            "term": self.term,
            "meddra_code": self.meddra_code,
            "soc": self.soc,
            "grade": self.grade,
            "category": self.category,
            "nci_text": self.nci_text,
            "specify": self.specify,
        }


def death_candidates(events: list[OtherEvent]) -> tuple[str, ...]:
    """The listed terms ``consequences.died: true`` may belong to: those with a grade 5."""
    return tuple(e.term_id for e in events if e.death_text is not None and e.grade != 5)


def died(event: OtherEvent) -> OtherEvent:
    """``event`` as grade 5: the death ``consequences.died`` attributes to it."""
    return OtherEvent(
        event.term_id,
        event.term,
        event.meddra_code,
        event.soc,
        5,
        event.category,
        event.death_text,
        event.specify,
        event.death_text,
    )


def category_of(term_id: str, soc: str) -> str:
    if term_id in HEPATIC_TERMS:
        return "hepatic"
    if term_id in FLUID_TERMS:
        return "fluid"
    if soc in LAB_OR_BLOOD_SOCS:
        return "investigations_or_blood"
    return "other_nonhematologic"


def _section(first_input: str) -> str:
    """The visit section a computed term is graded from, named from the first input it reads."""
    head = first_input.split(".")
    if head[0] in ("skin", "weight"):
        return head[0]
    return ".".join(head[:2])


def check_other_events(
    visit: Visit,
    version: str,
    computed: dict[str, str],
    source: str,
    document: Document | None,
    warnings: list[str],
) -> list[OtherEvent]:
    """Validate and echo ``visit.other_events`` under CTCAE ``version``.

    ``computed``: every term id the tool computes in that version (and their aliases) with the
    first input each reads, so that a refusal can say where the finding belongs."""
    items = visit.other_events or []
    if not items:
        return []
    from gist_tox.nci import VERSIONS, terms

    nci = terms(version)
    other = next(v for v in VERSIONS if v != version)

    def fail(index: int, key: str | None, message: str) -> InputError:
        path: tuple[Any, ...] = ("other_events", index) + ((key,) if key else ())
        if document is not None:
            return document.error(path, message, code="visit.other_events")
        field = f"other_events[{index}]" + (f".{key}" if key else "")
        return InputError(source, message, field=field, code="visit.other_events")

    died = _named(visit, "died")
    threatening = _named(visit, "life_threatening")
    seen: set[str] = set()
    out: list[OtherEvent] = []
    for index, item in enumerate(items):
        tid = item.term
        if tid in computed and tid in nci:
            raise fail(
                index,
                "term",
                f"{tid} is graded from {_section(computed[tid])}; give its findings there, not"
                " in other_events",
            )
        entry = nci.get(tid)
        if entry is None:
            theirs = terms(other).get(tid)
            if theirs is not None:
                mapped = [m for m in theirs.mapped_to if m in nci]
                where = [
                    f"{nci[m].term} ({m})"
                    + (f", graded from {_section(computed[m])}" if m in computed else "")
                    for m in mapped
                ]
                raise fail(
                    index,
                    "term",
                    f"{tid} is a CTCAE v{other} term only; NCI maps it to"
                    f" {' or '.join(where) or 'no v' + version + ' term'}",
                )
            import difflib

            close = difflib.get_close_matches(tid, list(nci), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise fail(
                index,
                "term",
                f"{tid!r} is not the id of an NCI CTCAE v{version} term (NCI's term in lower"
                f" case, other characters as '_'){hint}",
            )
        if tid in seen:
            raise fail(index, "term", f"{tid} is listed more than once")
        seen.add(tid)
        if item.grade > 0 and entry.cell(item.grade) is None:
            raise fail(
                index,
                "grade",
                f"grade {item.grade} is not a grade NCI CTCAE v{version} defines for"
                f" {entry.term}; defined: {', '.join(map(str, entry.defined_grades))}",
            )
        if entry.other_specify and item.specify is None:
            raise fail(index, "specify", f"{entry.term} needs specify: the event, in words")
        if not entry.other_specify and item.specify is not None:
            raise fail(
                index, "specify", f"specify is only for an '- Other, specify' term, not {tid}"
            )
        grade = item.grade
        if tid in died and entry.cell(5) is not None:
            grade = 5
        if tid in threatening:
            warnings.append(
                f"consequences.life_threatening names {tid!r}, listed in other_events: give its"
                " grade in other_events; nothing was changed"
            )
        out.append(
            OtherEvent(
                tid,
                entry.term,
                entry.meddra_code,
                entry.soc,
                grade,
                category_of(tid, entry.soc),
                entry.cell(grade) if grade > 0 else None,
                item.specify,
                entry.cell(5),
            )
        )
    return out


def _named(visit: Visit, name: str) -> set[str]:
    consequences = visit.consequences
    if consequences is None:
        return set()
    value = getattr(consequences, name)
    if isinstance(value, str):
        return {value}
    if isinstance(value, list):
        return set(value)
    return set()
