"""A visit (as a dict of the visit format) written as a FHIR Bundle, the way an EHR would hold
it: Observations for labs and temperature, imatinib MedicationRequests, a QuestionnaireResponse
for what only the clinician knows, and AdverseEvents for the history.  Used to show that each
YAML example and its FHIR twin grade the same."""

from __future__ import annotations

import datetime as dt
from typing import Any

from gist_tox.fhir import codes

UCUM = {
    "10^9/L": "10*9/L",
    "10^3/uL": "10*3/uL",
    "/uL": "/uL",
    "/mm3": "/mm3",
    "cells/uL": "{cells}/uL",
}
LOINC = {
    "anc": "751-8",
    "platelets": "777-3",
    "wbc": "6690-2",
    "neutrophils_percent": "770-8",
    "bands_percent": "764-1",
}
MORE_UCUM = {"IU/L": "[IU]/L"}
"""Visit format extension A's units whose UCUM code differs from the visit's spelling."""
MORE_LOINC = {
    ("alt", None): "1742-6",
    ("ast", None): "1920-8",
    ("bilirubin", "umol/L"): "14631-6",
    ("bilirubin", "mg/dL"): "1975-2",
    ("hemoglobin", "mmol/L"): "59260-0",
    ("hemoglobin", None): "718-7",
}
BASELINE_DAY = "2000-01-03"
"""Where ``observed`` puts baselines when it is not told the day treatment started."""


def quantity(value: Any, unit: str) -> dict[str, Any]:
    return {"value": value, "unit": unit, "system": codes.UCUM, "code": unit}


def observation(
    oid: str,
    pid: str,
    code: str,
    when: str,
    value: Any,
    unit: str,
    low: Any = None,
    high: Any = None,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "resourceType": "Observation",
        "id": oid,
        "status": "final",
        "code": {"coding": [{"system": codes.LOINC, "code": code}]},
        "subject": {"reference": f"Patient/{pid}"},
        "effectiveDateTime": when,
        "valueQuantity": quantity(value, unit),
    }
    limits = {
        side: quantity(limit, unit)
        for side, limit in (("low", low), ("high", high))
        if limit is not None
    }
    if limits:
        out["referenceRange"] = [limits]
    return out


def _more_loinc(name: str, unit: str) -> str:
    return MORE_LOINC.get((name, unit)) or MORE_LOINC[(name, None)]


def _measured(visit: dict[str, Any], when: str, baseline_day: str) -> list[dict[str, Any]]:
    """Extension A's measurements: liver tests (ULN as referenceRange.high, the baseline an
    Observation before treatment started), hemoglobin, weight (and baseline weight), CrCL."""
    pid = visit["patient"]["id"]
    day = str(visit["date"])
    before = f"{baseline_day}T08:00:00Z"
    out: list[dict[str, Any]] = []
    for name, lab in (visit.get("labs") or {}).items():
        if name not in ("alt", "ast", "bilirubin", "hemoglobin"):
            continue
        unit = MORE_UCUM.get(lab["unit"], lab["unit"])
        code = _more_loinc(name, lab["unit"])
        out.append(
            observation(
                f"{name}-{day}", pid, code, when, lab["value"], unit, lab.get("lln"), lab.get("uln")
            )
        )
        if lab.get("baseline") is not None:
            out.append(observation(f"{name}-baseline", pid, code, before, lab["baseline"], unit))
    weight = visit.get("weight")
    if weight:
        out.append(observation(f"weight-{day}", pid, "29463-7", when, weight["value_kg"], "kg"))
        out.append(
            observation("weight-baseline", pid, "29463-7", before, weight["baseline_kg"], "kg")
        )
    clearance = (visit.get("renal") or {}).get("creatinine_clearance_ml_min")
    if clearance is not None:
        out.append(observation(f"crcl-{day}", pid, "2164-2", when, clearance, "mL/min"))
    for index, name in enumerate(visit.get("comedications") or []):
        out.append(
            {
                "resourceType": "MedicationStatement",
                "id": f"comedication-{index}-{day}",
                "status": "active",
                "medicationCodeableConcept": {"text": name},
                "subject": {"reference": f"Patient/{pid}"},
                "effectiveDateTime": day,
            }
        )
    return out


def _answer(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"valueBoolean": value}
    if isinstance(value, int):
        return {"valueInteger": value}
    if isinstance(value, float):
        return {"valueDecimal": value}
    return {"valueCoding": {"code": value}}


def order(
    oid: str, pid: str, day: str, dose: int | None, status: str = "active", hold_for: Any = None
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "id": oid,
        "status": status,
        "intent": "order",
        "medicationCodeableConcept": {
            "coding": [{"system": codes.RXNORM, "code": codes.IMATINIB_RXNORM}]
        },
        "subject": {"reference": f"Patient/{pid}"},
        "authoredOn": day,
    }
    if dose:
        out["dosageInstruction"] = [
            {
                "timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d"}},
                "doseAndRate": [{"doseQuantity": quantity(dose, "mg")}],
            }
        ]
    if hold_for:
        categories = [hold_for] if isinstance(hold_for, str) else hold_for
        out["statusReason"] = {
            "coding": [{"system": codes.HOLD_CATEGORY_SYSTEM, "code": c} for c in categories]
        }
    return out


def adverse_event(
    aid: str, pid: str, entry: dict[str, Any], *, extension: bool = True
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "resourceType": "AdverseEvent",
        "id": aid,
        "actuality": "actual",
        "extension": [
            {
                "url": codes.CTCAE_GRADE_EXTENSION,
                "valueCodeableConcept": {
                    "coding": [{"system": codes.CTCAE_GRADE_SYSTEM, "code": str(entry["grade"])}]
                },
            }
        ],
        "event": {
            "coding": [{"system": codes.TERM_SYSTEM, "code": entry["term"]}],
            "text": entry["term"],
        },
        "subject": {"reference": f"Patient/{pid}"},
        "date": str(entry["date"]),
    }
    if extension:
        out["extension"].append(
            {
                "url": codes.EPISODE_EXTENSION,
                "extension": [
                    {"url": "doseLimiting", "valueBoolean": True},
                    {"url": "category", "valueCode": entry["category"]},
                    {"url": "dose", "valueQuantity": quantity(entry["dose_mg"], "mg")},
                ],
            }
        )
    return out


def _answers(visit: dict[str, Any]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []

    def add(link_id: str, values: list[dict[str, Any]]) -> None:
        items.append({"linkId": link_id, "answer": values})

    if "ctcae_version" in visit:
        add("ctcae_version", [{"valueCoding": {"code": str(visit["ctcae_version"])}}])
    drug = visit["imatinib"]
    for name in ("indication", "disease_status"):
        if drug.get(name) is not None:
            add(f"imatinib.{name}", [{"valueCoding": {"code": drug[name]}}])
    hours = (visit.get("fever") or {}).get("hours_at_or_above_38")
    if hours is not None:
        add("fever.hours_at_or_above_38", [{"valueDecimal": hours}])
    for name, value in (visit.get("consequences") or {}).items():
        if isinstance(value, bool):
            add(f"consequences.{name}", [{"valueBoolean": value}])
        else:
            ids = [value] if isinstance(value, str) else value
            add(
                f"consequences.{name}",
                [{"valueCoding": {"system": codes.TERM_SYSTEM, "code": t}} for t in ids],
            )
    for name, value in (visit.get("skin") or {}).items():
        if isinstance(value, bool):
            add(f"skin.{name}", [{"valueBoolean": value}])
        elif name == "clinician_grade":
            add(f"skin.{name}", [{"valueInteger": value}])
        elif isinstance(value, int | float):
            add(f"skin.{name}", [{"valueDecimal": value}])
        elif value is not None:
            add(f"skin.{name}", [{"valueCoding": {"code": value}}])
    if "consequences" in visit and not visit["consequences"]:
        add("consequences.transfusion_indicated", [{"valueBoolean": False}])
    for finding, fields in (visit.get("fluid") or {}).items():
        for name, value in fields.items():
            link_id = f"fluid.{finding}.{name}"
            if isinstance(value, list):
                add(link_id, [_answer(v) for v in value])
            elif name == "discrepancy_percent":
                add(link_id, [{"valueDecimal": value}])
            elif value is not None:
                add(link_id, [_answer(value)])
    if (visit.get("renal") or {}).get("dialysis") is not None:
        add("renal.dialysis", [{"valueBoolean": visit["renal"]["dialysis"]}])
    if visit.get("hepatic_impairment") is not None:
        add("hepatic_impairment", [_answer(visit["hepatic_impairment"])])
    for event in visit.get("other_events") or []:
        children = [
            {
                "linkId": "other_events.term",
                "answer": [{"valueCoding": {"system": codes.TERM_SYSTEM, "code": event["term"]}}],
            },
            {"linkId": "other_events.grade", "answer": [{"valueInteger": event["grade"]}]},
        ]
        if event.get("specify") is not None:
            children.append(
                {"linkId": "other_events.specify", "answer": [{"valueString": event["specify"]}]}
            )
        items.append({"linkId": "other_events", "item": children})
    return items


def observed(visit: dict[str, Any], baseline_day: str = BASELINE_DAY) -> list[dict[str, Any]]:
    """What was observed on the visit's day: the Patient, labs, temperature, weight, CrCL,
    co-medications and the clinician's QuestionnaireResponse (no imatinib orders, no history);
    baselines as Observations on ``baseline_day`` (before treatment started)."""
    pid = visit["patient"]["id"]
    day = str(visit["date"])
    when = f"{day}T09:00:00+01:00"
    resources: list[dict[str, Any]] = [{"resourceType": "Patient", "id": pid}]
    resources.extend(_measured(visit, when, baseline_day))
    for name, lab in (visit.get("labs") or {}).items():
        if name not in LOINC:
            continue
        oid = f"{name.replace('_', '-')}-{day}"
        if isinstance(lab, dict):
            unit = UCUM[lab["unit"]]
            resources.append(
                observation(oid, pid, LOINC[name], when, lab["value"], unit, lab.get("lln"))
            )
        else:
            resources.append(observation(oid, pid, LOINC[name], when, lab, "%"))
    top = (visit.get("fever") or {}).get("max_temperature")
    if top is not None:
        unit = {"C": "Cel", "F": "[degF]"}[top["unit"]]
        resources.append(observation(f"temperature-{day}", pid, "8310-5", when, top["value"], unit))
    items = _answers(visit)
    if items:
        resources.append(
            {
                "resourceType": "QuestionnaireResponse",
                "id": f"clinician-{day}",
                "questionnaire": codes.QUESTIONNAIRE_URL,
                "status": "completed",
                "subject": {"reference": f"Patient/{pid}"},
                "authored": day,
                "item": items,
            }
        )
    return resources


def bundle_of(visit: dict[str, Any]) -> dict[str, Any]:
    """The FHIR twin of ``visit``."""
    pid = visit["patient"]["id"]
    day = str(visit["date"])
    drug = visit["imatinib"]
    history = visit.get("history", [])
    first = dt.date.fromisoformat(str(history[0]["date"]) if history else day)
    start = first - dt.timedelta(days=60)
    resources = observed(visit, (start - dt.timedelta(days=7)).isoformat())
    resources.append(order("imatinib-start", pid, start.isoformat(), drug["starting_dose_mg"]))
    if drug["current_dose_mg"] != drug["starting_dose_mg"] or drug["current_dose_mg"] == 0:
        previous = (dt.date.fromisoformat(day) - dt.timedelta(days=1)).isoformat()
        if drug["current_dose_mg"] == 0:
            resources.append(
                order("imatinib-now", pid, previous, None, "on-hold", drug.get("on_hold_for"))
            )
        else:
            resources.append(order("imatinib-now", pid, previous, drug["current_dose_mg"]))
    for index, entry in enumerate(history):
        resources.append(adverse_event(f"episode-{index}", pid, entry))
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": r} for r in resources],
    }


def export_of(visits: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The FHIR twins of ``visits`` as a Bulk Data export: resources by type (one NDJSON file
    each), every resource once (a patient's Patient and orders appear once however many of
    its visits are given)."""
    files: dict[str, dict[str, dict[str, Any]]] = {}
    for visit in visits:
        for entry in bundle_of(visit)["entry"]:
            resource = dict(entry["resource"])
            kind = resource["resourceType"]
            pid = visit["patient"]["id"]
            if kind != "Patient":
                resource["id"] = f"{pid}-{resource['id']}"[:64]
            files.setdefault(kind, {})[resource["id"]] = resource
    return {kind: list(found.values()) for kind, found in files.items()}


def write_export(folder: Any, visits: list[dict[str, Any]]) -> None:
    import json

    folder.mkdir(parents=True, exist_ok=True)
    for kind, resources in export_of(visits).items():
        with (folder / f"{kind}.ndjson").open("w") as out:
            for resource in resources:
                out.write(json.dumps(resource, default=str) + "\n")
