"""A graded visit -> FHIR R4 resources an EHR can store, show and act on.

What is written, and why each resource:

* **AdverseEvent** per term graded >= 1, following the HL7 CTC Adverse Event IG: its profile,
  the CTCAE grade extension, ``event`` coded by MedDRA code (``version``: the CTCAE version)
  and by gist-tox term id, the subject, the visit's date, imatinib (a Medication entry) as the
  suspect entity.  A gist-tox extension says whether it is a dose-limiting episode (a
  ``history`` entry of later visits), its category and the daily dose it happened at, and
  carries the rule, basis and source of the grade.
* **MedicationRequest**, intent ``proposal``, status ``draft`` (it needs a clinician's sign-off)
  for the recommendation: for a dose (continue, reduce, resume, escalate) the daily dose; for a
  hold or a stop ``doNotPerform: true`` -- "do not give imatinib" is what FHIR R4 has for a
  proposal not to give a drug, and a clinician accepts or rejects it as any other proposal.
  ``reasonCode`` holds the hold's categories; a gist-tox extension the action (so a hold and a
  stop are told apart) and, for a hold, when and at what dose to resume.  The reasons are notes
  (text, rule, source), and ``supportingInformation`` references the AdverseEvents.
* **DetectedIssue** per ``recommendation.review`` item (and per warning): what a clinician must
  judge before acting, implicating the proposal.

Every resource is validated with ``fhir.resources`` (R4B) before it is written; the output is
a ``collection`` Bundle.  Ids are derived from the patient, the date and the content (UUID 5),
so the same result always gives the same Bundle.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from gist_tox.fhir import codes

if TYPE_CHECKING:
    from gist_tox.pipeline import Evaluation

_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, codes.BASE)
DOSE_ACTIONS = frozenset({"continue", "reduce", "resume", "escalate"})
HL7_ADVERSE_EVENT_CATEGORY = "http://terminology.hl7.org/CodeSystem/adverse-event-category"


def _id(*parts: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, "\0".join(parts)))


def _mg(dose: int) -> dict[str, Any]:
    return {"value": dose, "unit": "mg", "system": codes.UCUM, "code": "mg"}


def imatinib_concept() -> dict[str, Any]:
    return {
        "coding": [
            {"system": codes.RXNORM, "code": codes.IMATINIB_RXNORM, "display": "imatinib"},
            {"system": codes.ATC, "code": codes.IMATINIB_ATC, "display": "imatinib"},
        ],
        "text": "imatinib",
    }


class _Visit:
    """The resources of one graded visit."""

    def __init__(self, evaluation: Evaluation) -> None:
        self.evaluation = evaluation
        visit = evaluation.visit
        self.patient = f"Patient/{visit.patient.id}"
        self.day = visit.date.isoformat()
        self.key = (visit.patient.id, self.day)
        self.medication_url = f"urn:uuid:{_id(visit.patient.id, 'imatinib')}"
        self.entries: list[dict[str, Any]] = []

    def add(self, url: str, resource: dict[str, Any]) -> None:
        self.entries.append({"fullUrl": url, "resource": resource})

    def build(self) -> list[dict[str, Any]]:
        self.add(
            self.medication_url,
            {
                "resourceType": "Medication",
                "id": self.medication_url.removeprefix("urn:uuid:"),
                "code": imatinib_concept(),
            },
        )
        events = self._adverse_events()
        rec = self.evaluation.recommendation
        if rec is not None:
            proposal = self._proposal(rec, events)
            self._issues(rec, proposal)
        return self.entries

    # -- AdverseEvents

    def _adverse_events(self) -> list[str]:
        evaluation = self.evaluation
        rec = evaluation.recommendation
        episodes = {e.term: e for e in (rec.new_episodes if rec is not None else [])}
        version = evaluation.ruleset.ctcae_version
        urls: list[str] = []
        graded = evaluation.grading.grades
        for term_id, grade in graded.items():
            if grade.grade is None or grade.grade < 1:
                continue
            episode = episodes.pop(term_id, None)
            urls.append(
                self._adverse_event(
                    term_id,
                    grade.term,
                    grade.meddra_code,
                    grade.grade,
                    version,
                    episode,
                    grade.as_json(),
                )
            )
        for term_id, episode in episodes.items():  # an episode of a term not graded >= 1
            term = next((t for t in evaluation.ruleset.terms if t.id == term_id), None)
            urls.append(
                self._adverse_event(
                    term_id,
                    getattr(term, "term", term_id),
                    getattr(term, "meddra_code", None),
                    episode.grade,
                    version,
                    episode,
                    {},
                )
            )
        return urls

    def _adverse_event(
        self,
        term_id: str,
        term: str,
        meddra: str | None,
        grade: int,
        version: str,
        episode: Any,
        graded: dict[str, Any],
    ) -> str:
        url = f"urn:uuid:{_id(*self.key, 'adverse-event', term_id)}"
        dose = episode.dose_mg if episode is not None else None
        marker: list[dict[str, Any]] = [
            {"url": "doseLimiting", "valueBoolean": episode is not None}
        ]
        if episode is not None:
            marker.append({"url": "category", "valueCode": episode.category})
            if dose is not None:
                marker.append({"url": "dose", "valueQuantity": _mg(dose)})
        for name in ("rule", "basis", "source"):
            if graded.get(name):
                marker.append({"url": name, "valueString": str(graded[name])})
        coding: list[dict[str, Any]] = []
        if meddra:
            coding.append(
                {"system": codes.MEDDRA, "version": version, "code": meddra, "display": term}
            )
        coding.append({"system": codes.TERM_SYSTEM, "code": term_id, "display": term})
        self.add(
            url,
            {
                "resourceType": "AdverseEvent",
                "id": url.removeprefix("urn:uuid:"),
                "meta": {"profile": [codes.CTCAE_PROFILE]},
                "extension": [
                    {
                        "url": codes.CTCAE_GRADE_EXTENSION,
                        "valueCodeableConcept": {
                            "coding": [
                                {
                                    "system": codes.CTCAE_GRADE_SYSTEM,
                                    "code": str(grade),
                                    "display": codes.CTCAE_GRADE_DISPLAY[grade],
                                }
                            ]
                        },
                    },
                    {"url": codes.EPISODE_EXTENSION, "extension": marker},
                ],
                "actuality": "actual",
                "event": {"coding": coding, "text": f"{term} (CTCAE v{version})"},
                "subject": {"reference": self.patient},
                "date": self.day,
                "suspectEntity": [{"instance": {"reference": self.medication_url}}],
            },
        )
        return url

    # -- the recommendation

    def _proposal(self, rec: Any, events: list[str]) -> str:
        url = f"urn:uuid:{_id(*self.key, 'recommendation')}"
        action = rec.action
        extension: list[dict[str, Any]] = [
            {
                "url": codes.ACTION_EXTENSION,
                "valueCoding": {"system": codes.ACTION_SYSTEM, "code": action},
            }
        ]
        resource: dict[str, Any] = {
            "resourceType": "MedicationRequest",
            "id": url.removeprefix("urn:uuid:"),
            "extension": extension,
            "status": "draft",
            "intent": "proposal",
            "medicationReference": {"reference": self.medication_url, "display": "imatinib"},
            "subject": {"reference": self.patient},
            "authoredOn": self.day,
        }
        if action in DOSE_ACTIONS:
            resource["dosageInstruction"] = [
                {
                    "text": f"imatinib {rec.dose_mg} mg per day (daily total)",
                    "timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d"}},
                    "doseAndRate": [{"doseQuantity": _mg(rec.dose_mg)}],
                }
            ]
        else:
            resource["doNotPerform"] = True
            if rec.hold_for:
                resource["reasonCode"] = [
                    {
                        "coding": [
                            {"system": codes.HOLD_CATEGORY_SYSTEM, "code": c} for c in rec.hold_for
                        ],
                        "text": f"{action}: {', '.join(rec.hold_for)}",
                    }
                ]
            if action == "hold":
                resume: list[dict[str, Any]] = []
                if rec.resume_when:
                    resume.append({"url": "when", "valueString": rec.resume_when})
                if rec.resume_dose_mg is not None:
                    resume.append({"url": "dose", "valueQuantity": _mg(rec.resume_dose_mg)})
                if resume:
                    extension.append({"url": codes.RESUME_EXTENSION, "extension": resume})
        resource["note"] = self._notes(rec)
        if events:
            resource["supportingInformation"] = [{"reference": e} for e in events]
        self.add(url, resource)
        return url

    def _notes(self, rec: Any) -> list[dict[str, Any]]:
        head = f"gist-tox recommends: {rec.action}, imatinib {rec.dose_mg} mg/day from today"
        if rec.action == "hold":
            dose = "unknown" if rec.resume_dose_mg is None else f"{rec.resume_dose_mg} mg/day"
            head += f"; resume when {rec.resume_when or 'the clinician decides'}, at {dose}"
        if rec.alternatives:
            head += f"; consider {', '.join(rec.alternatives)}"
        notes = [{"text": head + "."}]
        for reason in rec.reasons:
            notes.append({"text": f"{reason['text']} [{reason['rule']}; {reason['source']}]"})
        missing = [
            f"{g.term} ({g.not_gradable})"
            for g in self.evaluation.grading.grades.values()
            if g.grade is None
        ]
        if missing:
            notes.append({"text": "Not gradable: " + "; ".join(missing) + "."})
        return notes

    def _issues(self, rec: Any, proposal: str) -> None:
        items = [(r["code"], r["text"], "high") for r in getattr(rec, "review", [])]
        items += [("warning", text, "moderate") for text in self.evaluation.warnings]
        for index, (code, text, severity) in enumerate(items):
            url = f"urn:uuid:{_id(*self.key, 'issue', str(index), code)}"
            self.add(
                url,
                {
                    "resourceType": "DetectedIssue",
                    "id": url.removeprefix("urn:uuid:"),
                    "status": "preliminary",
                    "code": {"coding": [{"system": codes.REVIEW_SYSTEM, "code": code}]},
                    "severity": severity,
                    "patient": {"reference": self.patient},
                    "identifiedDateTime": self.day,
                    "implicated": [{"reference": proposal}],
                    "detail": text,
                },
            )


def entries(evaluation: Evaluation) -> list[dict[str, Any]]:
    """The Bundle entries of one graded visit."""
    return _Visit(evaluation).build()


def bundle(evaluations: list[Evaluation]) -> dict[str, Any]:
    """A ``collection`` Bundle of the visits' resources, each validated with fhir.resources."""
    unique = {entry["fullUrl"]: entry for e in evaluations for entry in entries(e)}
    out = {"resourceType": "Bundle", "type": "collection", "entry": list(unique.values())}
    validate(out)
    return out


def validate(resource: dict[str, Any]) -> None:
    """Validate a resource (a Bundle with every entry) with ``fhir.resources``; a failure is a
    bug of this writer, never the user's input, so it is raised as is."""
    from fhir.resources.R4B import get_fhir_model_class

    get_fhir_model_class(resource["resourceType"]).model_validate(resource)  # entries too
