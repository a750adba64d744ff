"""A graded visit -> FHIR R4 resources an EHR can store, show and act on.

What is written, and why each resource:

* **AdverseEvent** per term graded >= 1 (computed, or listed in ``other_events``), following
  the HL7 CTC Adverse Event IG: its profile, the CTCAE grade extension, ``event`` coded by
  MedDRA code (``version``: the CTCAE version) and by gist-tox term id, the subject, the
  visit's date, imatinib (a Medication entry) as the suspect entity.  A gist-tox extension
  says whether it is a dose-limiting episode (a ``history`` entry of later visits), its
  category and the daily dose it happened at, and carries the rule, basis and source of the
  grade.
* **MedicationRequest**, intent ``proposal``, status ``draft`` (it needs a clinician's sign-off)
  for the recommendation: for a dose (continue, reduce, resume, escalate) the daily dose; for a
  hold or a stop ``doNotPerform: true`` -- "do not give imatinib" is what FHIR R4 has for a
  proposal not to give a drug, and a clinician accepts or rejects it as any other proposal.
  ``reasonCode`` holds the hold's categories; a gist-tox extension the action (so a hold and a
  stop are told apart) and, for a hold, when and at what dose to resume.  The reasons are notes
  (text, rule, source), and ``supportingInformation`` references the AdverseEvents.
* **DetectedIssue** per ``recommendation.review`` item (and per warning): what a clinician must
  judge before acting, implicating the proposal.

The input is the ``gist-tox/result@1`` object (its ``next_visit`` says which findings start a
dose-limiting episode and what a hold is for), so this is an ordinary renderer
(``gist_tox.render.fhir``).  Every resource is validated with ``fhir.resources`` (R4B) before
it is written; the output is a ``collection`` Bundle.  Ids are derived from the patient, the
date and the content (UUID 5), so the same result always gives the same Bundle.
"""

from __future__ import annotations

import uuid
from typing import Any

from gist_tox.errors import Problem
from gist_tox.fhir import codes

_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, codes.BASE)
DOSE_ACTIONS = frozenset({"continue", "reduce", "resume", "escalate"})


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
    """The resources of one graded visit (a ``gist-tox/result@1`` object)."""

    def __init__(self, result: dict[str, Any]) -> None:
        self.result = result
        self.patient = f"Patient/{result['patient_id']}"
        self.day = str(result["date"])
        self.key = (str(result["patient_id"]), self.day)
        self.medication_url = f"urn:uuid:{_id(str(result['patient_id']), 'imatinib')}"
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
        rec = self.result.get("recommendation")
        if rec is not None:
            proposal = self._proposal(rec, events)
            self._issues(rec, proposal)
        return self.entries

    # -- AdverseEvents

    def _adverse_events(self) -> list[str]:
        follow = self.result.get("next_visit") or {}
        episodes = {e["term"]: e for e in follow.get("history", [])}
        version = str(self.result["rules"]["ctcae_version"])
        urls: list[str] = []
        grades: dict[str, Any] = self.result["grades"]
        for term_id, graded in grades.items():
            if graded.get("grade") is None or graded["grade"] < 1:
                continue
            episode = episodes.pop(term_id, None)
            urls.append(self._adverse_event(term_id, graded, graded["grade"], version, episode))
        for listed in self.result.get("other_events", []):  # clinician-graded (extension A)
            if listed["grade"] < 1 or listed["term_id"] in grades:
                continue
            episode = episodes.pop(listed["term_id"], None)
            grade = listed["grade"] if episode is None else episode["grade"]
            term = (
                listed["term"]
                if not listed.get("specify")
                else f"{listed['term']}: {listed['specify']}"
            )
            graded = {
                "term": term,
                "meddra_code": listed["meddra_code"],
                "basis": "graded by the clinician (other_events)",
            }
            urls.append(self._adverse_event(listed["term_id"], graded, grade, version, episode))
        for term_id, episode in episodes.items():  # an episode of a term not graded >= 1
            graded = {
                k: v for k, v in grades.get(term_id, {}).items() if k in ("term", "meddra_code")
            }
            urls.append(self._adverse_event(term_id, graded, episode["grade"], version, episode))
        return urls

    def _adverse_event(
        self,
        term_id: str,
        graded: dict[str, Any],
        grade: int,
        version: str,
        episode: dict[str, Any] | None,
    ) -> str:
        url = f"urn:uuid:{_id(*self.key, 'adverse-event', term_id)}"
        term = str(graded.get("term") or term_id)
        marker: list[dict[str, Any]] = [
            {"url": "doseLimiting", "valueBoolean": episode is not None}
        ]
        if episode is not None:
            marker.append({"url": "category", "valueCode": episode["category"]})
            marker.append({"url": "dose", "valueQuantity": _mg(episode["dose_mg"])})
        for name in ("rule", "basis", "source"):
            if graded.get(name):
                marker.append({"url": name, "valueString": str(graded[name])})
        coding: list[dict[str, Any]] = []
        if graded.get("meddra_code"):
            coding.append(
                {
                    "system": codes.MEDDRA,
                    "version": version,
                    "code": graded["meddra_code"],
                    "display": term,
                }
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

    def _proposal(self, rec: dict[str, Any], events: list[str]) -> str:
        url = f"urn:uuid:{_id(*self.key, 'recommendation')}"
        action = rec["action"]
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
                    "text": f"imatinib {rec['dose_mg']} mg per day (daily total)",
                    "timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d"}},
                    "doseAndRate": [{"doseQuantity": _mg(rec["dose_mg"])}],
                }
            ]
        else:
            resource["doNotPerform"] = True
            hold_for = (self.result.get("next_visit") or {}).get("on_hold_for") or []
            if hold_for:
                resource["reasonCode"] = [
                    {
                        "coding": [
                            {"system": codes.HOLD_CATEGORY_SYSTEM, "code": c} for c in hold_for
                        ],
                        "text": f"{action}: {', '.join(hold_for)}",
                    }
                ]
            if action == "hold":
                resume: list[dict[str, Any]] = []
                if rec.get("resume_when"):
                    resume.append({"url": "when", "valueString": rec["resume_when"]})
                if rec.get("resume_dose_mg") is not None:
                    resume.append({"url": "dose", "valueQuantity": _mg(rec["resume_dose_mg"])})
                if resume:
                    extension.append({"url": codes.RESUME_EXTENSION, "extension": resume})
        resource["note"] = self._notes(rec)
        if events:
            resource["supportingInformation"] = [{"reference": e} for e in events]
        self.add(url, resource)
        return url

    def _notes(self, rec: dict[str, Any]) -> list[dict[str, Any]]:
        head = f"gist-tox recommends: {rec['action']}, imatinib {rec['dose_mg']} mg/day from today"
        if rec["action"] == "hold":
            resume_dose = rec.get("resume_dose_mg")
            dose = "unknown" if resume_dose is None else f"{resume_dose} mg/day"
            head += f"; resume when {rec.get('resume_when') or 'the clinician decides'}, at {dose}"
        if rec.get("alternatives"):
            head += f"; consider {', '.join(rec['alternatives'])}"
        notes = [{"text": head + "."}]
        for reason in rec.get("reasons", []):
            notes.append({"text": f"{reason['text']} [{reason['rule']}; {reason['source']}]"})
        missing = [
            f"{g.get('term') or term_id} ({g.get('not_gradable')})"
            for term_id, g in self.result["grades"].items()
            if g.get("grade") is None
        ]
        if missing:
            notes.append({"text": "Not gradable: " + "; ".join(missing) + "."})
        return notes

    def _issues(self, rec: dict[str, Any], proposal: str) -> None:
        items = [(r["code"], r["text"], "high") for r in rec.get("review", [])]
        items += [("warning", text, "moderate") for text in self.result.get("warnings", [])]
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


def entries(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The Bundle entries of one graded visit (a ``gist-tox/result@1`` object)."""
    return _Visit(result).build()


def bundle(results: list[dict[str, Any]]) -> dict[str, Any]:
    """A ``collection`` Bundle of the visits' resources, each validated with fhir.resources."""
    unique = {entry["fullUrl"]: entry for r in results for entry in entries(r)}
    out = {"resourceType": "Bundle", "type": "collection", "entry": list(unique.values())}
    validate(out)
    return out


def validate(resource: dict[str, Any]) -> None:
    """Validate a resource (a Bundle with every entry) with ``fhir.resources``; a failure is a
    bug of this writer, never the user's input, so it is raised as is."""
    from fhir.resources.R4B import get_fhir_model_class

    get_fhir_model_class(resource["resourceType"]).model_validate(resource)  # entries too


def operation_outcome(problem: Problem | None) -> dict[str, Any]:
    """A file that could not be graded (``gist-tox/file-error@1``) as an OperationOutcome."""
    assert problem is not None, "a failed outcome carries its problem"
    where = problem.source if problem.line is None else f"{problem.source}:{problem.line}"
    issue: dict[str, Any] = {
        "severity": "error",
        "code": "invalid" if problem.code != "file" else "not-found",
        "diagnostics": f"{where}: {problem.message}",
    }
    if problem.field:
        issue["expression"] = [problem.field]
    out = {"resourceType": "OperationOutcome", "issue": [issue]}
    validate(out)
    return out
