"""The shipped Questionnaire for what only the clinician knows, and reading its answers.

Why a Questionnaire: skin findings, consequences, disease status, indication and the reason for
a hold (and visit format extension A's fluid findings, dialysis, hepatic impairment class, other
CTCAE events and baselines) are not in any laboratory feed; an EHR can render a Questionnaire as
a form and store the answers as a QuestionnaireResponse.  Each item's ``linkId`` is the visit
format's dotted field path (``skin.bsa_percent``), so an answer lands in exactly the field a
YAML visit would hold, and the visit model validates it the same way; ``other_events`` is a
repeating group, one repetition per event.  The answer options of coded items are read from
the visit model, so the form cannot drift from the format.
"""

from __future__ import annotations

import typing
from typing import Any

from gist_tox.fhir.codes import QUESTIONNAIRE_URL, TERM_SYSTEM

QUESTIONNAIRE_VERSION = "1"

# linkId -> (text, FHIR item type).  Coded items take their options from the visit model;
# ``terms`` items are "false, true, or the term ids it belongs to" (see the visit format).
ITEMS: dict[str, tuple[str, str]] = {
    "ctcae_version": ("CTCAE version this visit is pinned to", "choice"),
    "imatinib.indication": ("Indication for imatinib", "choice"),
    "imatinib.disease_status": ("Disease status", "choice"),
    "imatinib.on_hold_for": ("Imatinib is on hold for (category)", "choice"),
    "imatinib.starting_dose_mg": ("Dose treatment started on (mg/day)", "integer"),
    "imatinib.current_dose_mg": ("Daily dose taken now (mg/day; 0 = on hold)", "integer"),
    "fever.hours_at_or_above_38": ("Hours the temperature stayed at or above 38.0 C", "decimal"),
    "consequences.life_threatening": (
        "Life-threatening consequences, urgent intervention indicated (yes, or the adverse"
        " events they belong to)",
        "terms",
    ),
    "consequences.transfusion_indicated": ("Platelet transfusion indicated", "boolean"),
    "consequences.died": ("Death caused by an adverse event (yes, or its term)", "terms"),
    "skin.morphology": ("Skin reaction morphology", "choice"),
    "skin.bsa_percent": ("Body surface area affected by rash or erythema (%)", "decimal"),
    "skin.symptoms": ("Skin symptoms (pruritus, burning, tightness, tenderness)", "choice"),
    "skin.adl_limitation": ("Limitation of activities of daily living", "choice"),
    "skin.detachment_bsa_percent": ("Epidermal detachment / skin sloughing (% BSA)", "decimal"),
    "skin.mucosal_involvement": ("Oral, ocular or genital erosions", "boolean"),
    "skin.tenderness": ("Skin tenderness", "boolean"),
    "skin.intervention": ("Treatment the skin reaction needs", "choice"),
    "skin.fluid_electrolyte_abnormalities": ("Fluid or electrolyte abnormalities", "boolean"),
    "skin.icu_or_burn_unit": ("ICU or burn unit care indicated", "boolean"),
    "skin.clinician_grade": ("Bedside CTCAE grade of the skin reaction (0-5)", "integer"),
    # -- visit format extension A
    "consequences.red_cell_transfusion_indicated": ("Red cell transfusion indicated", "boolean"),
    "labs.alt.baseline": (
        "ALT before the first imatinib dose, in the unit of the day's ALT result",
        "decimal",
    ),
    "labs.ast.baseline": (
        "AST before the first imatinib dose, in the unit of the day's AST result",
        "decimal",
    ),
    "labs.bilirubin.baseline": (
        "Total bilirubin before the first imatinib dose, in the unit of the day's result",
        "decimal",
    ),
    "weight.baseline_kg": ("Body weight before the first imatinib dose (kg)", "decimal"),
    "fluid.limb_edema.present": ("Limb edema assessed: present", "boolean"),
    "fluid.limb_edema.appearance": ("Limb edema: how it is seen", "choice"),
    "fluid.limb_edema.discrepancy_percent": (
        "Limb edema: inter-limb discrepancy at the point of greatest visible difference (%)",
        "decimal",
    ),
    "fluid.limb_edema.discrepancy_measure": ("Limb edema: discrepancy measured by", "choice"),
    "fluid.limb_edema.adl_limitation": ("Limb edema: limitation of ADL", "choice"),
    "fluid.limb_edema.clinician_grade": ("Bedside CTCAE grade of the limb edema (0-3)", "integer"),
    "fluid.periorbital_edema.present": ("Periorbital edema assessed: present", "boolean"),
    "fluid.periorbital_edema.pitting": ("Periorbital edema: pitting", "boolean"),
    "fluid.periorbital_edema.indurated": ("Periorbital edema: indurated", "boolean"),
    "fluid.periorbital_edema.topical_intervention_indicated": (
        "Periorbital edema: topical intervention indicated",
        "boolean",
    ),
    "fluid.periorbital_edema.visual_disturbance": (
        "Periorbital edema: visual disturbance associated with the edema",
        "boolean",
    ),
    "fluid.periorbital_edema.ocular_findings": ("Periorbital edema: ocular findings", "choice"),
    "fluid.periorbital_edema.diuretics_indicated": (
        "Periorbital edema: diuretics indicated",
        "boolean",
    ),
    "fluid.periorbital_edema.operative_intervention_indicated": (
        "Periorbital edema: operative intervention indicated",
        "boolean",
    ),
    "fluid.periorbital_edema.clinician_grade": (
        "Bedside CTCAE grade of the periorbital edema (0-3)",
        "integer",
    ),
    "fluid.face_edema.present": ("Face edema assessed: present", "boolean"),
    "fluid.face_edema.swelling": ("Face edema: swelling", "choice"),
    "fluid.face_edema.adl_limitation": ("Face edema: limitation of ADL", "choice"),
    "fluid.face_edema.clinician_grade": ("Bedside CTCAE grade of the face edema (0-3)", "integer"),
    "fluid.pleural_effusion.present": (
        "Pleural effusion assessed (examination or imaging): present",
        "boolean",
    ),
    "fluid.pleural_effusion.symptomatic": ("Pleural effusion: symptomatic", "boolean"),
    "fluid.pleural_effusion.intervention": (
        "Pleural effusion: the most invasive intervention indicated",
        "choice",
    ),
    "fluid.pleural_effusion.respiratory_distress": (
        "Pleural effusion: respiratory distress",
        "boolean",
    ),
    "fluid.pleural_effusion.hypoxia": ("Pleural effusion: hypoxia", "boolean"),
    "fluid.pleural_effusion.clinician_grade": (
        "Bedside CTCAE grade of the pleural effusion (0-3)",
        "integer",
    ),
    "renal.creatinine_clearance_ml_min": ("Creatinine clearance (mL/min)", "decimal"),
    "renal.dialysis": ("On maintenance dialysis", "boolean"),
    "hepatic_impairment": (
        "Hepatic impairment class of baseline liver function (the label's table)",
        "choice",
    ),
    "other_events": ("Another CTCAE adverse event graded by the clinician", "group"),
    "other_events.term": (
        "CTCAE term id of the chosen version (e.g. diarrhea; NCI's term list)",
        "string",
    ),
    "other_events.grade": ("Its CTCAE grade (0-4; 0 = assessed and absent)", "integer"),
    "other_events.specify": ("The event, for an '- Other, specify' term", "string"),
}

REPEATS = frozenset(
    {
        "imatinib.on_hold_for",
        "consequences.life_threatening",
        "consequences.died",
        "fluid.periorbital_edema.ocular_findings",
        "other_events",
    }
)
GROUPS = frozenset({"other_events"})
"""Repeating groups: each repetition is one item of the visit's list (its children's linkIds
are the group's, dotted with the item's field)."""


def options(link_id: str) -> list[str]:
    """The codes a coded item allows, read from the visit model's annotation."""
    from pydantic import BaseModel

    from gist_tox import visit

    *sections, name = link_id.split(".")
    model: Any = visit.Visit
    for section in sections:  # the model of each section on the path
        stack = [model.model_fields[section].annotation]
        while stack:
            kind = stack.pop(0)
            if isinstance(kind, type) and issubclass(kind, BaseModel):
                model = kind
                break
            stack.extend(typing.get_args(kind))
    found: list[str] = []
    stack = [model.model_fields[name].annotation]
    while stack:
        kind = stack.pop(0)
        if typing.get_origin(kind) is typing.Literal:
            found.extend(str(a) for a in typing.get_args(kind))
        else:
            stack.extend(typing.get_args(kind))
    return list(dict.fromkeys(found))


def term_ids() -> list[str]:
    """Every term id of the shipped rules (either CTCAE version)."""
    from gist_tox.ruleset.loader import load_ruleset, shipped_rules_dir

    root = shipped_rules_dir()
    ids: set[str] = set()
    for version in ("5.0", "6.0"):
        ids |= set(load_ruleset(root, version).known_term_ids())
    return sorted(ids)


def questionnaire() -> dict[str, Any]:
    """The Questionnaire resource (validated with fhir.resources)."""
    items: list[dict[str, Any]] = []
    groups: dict[str, dict[str, Any]] = {}
    for link_id, (text, kind) in ITEMS.items():
        item: dict[str, Any] = {"linkId": link_id, "text": text, "type": kind}
        parent = link_id.rpartition(".")[0]
        if kind == "group":
            groups[link_id] = item
            item["item"] = []
        if kind == "choice":
            item["answerOption"] = [{"valueCoding": {"code": c}} for c in options(link_id)]
        elif kind == "terms":
            item["type"] = "open-choice"
            item["answerOption"] = [
                {"valueCoding": {"system": TERM_SYSTEM, "code": t}} for t in term_ids()
            ]
        if link_id in REPEATS:
            item["repeats"] = True
        (groups[parent]["item"] if parent in groups else items).append(item)
    resource = {
        "resourceType": "Questionnaire",
        "id": "gist-tox-visit",
        "url": QUESTIONNAIRE_URL,
        "version": QUESTIONNAIRE_VERSION,
        "name": "GistToxVisit",
        "title": "gist-tox visit: what only the clinician knows",
        "status": "active",
        "subjectType": ["Patient"],
        "description": (
            "Clinician-only fields of a gist-tox visit (gist-tox/visit@1). Each linkId is the"
            " visit format's dotted field path. For the consequences items, answer yes"
            " (valueBoolean true) when the visit has one such adverse event, or the term ids"
            " (valueCoding in the ctcae-term system, or valueString)."
        ),
        "item": items,
    }
    from fhir.resources.R4B.questionnaire import Questionnaire

    Questionnaire.model_validate(resource)
    return resource


# --------------------------------------------------------------------------------------------
# Reading the answers


def is_ours(data: dict[str, Any]) -> bool:
    """Whether a raw QuestionnaireResponse answers the shipped Questionnaire (any version)."""
    canonical = data.get("questionnaire")
    return isinstance(canonical, str) and canonical.split("|")[0] == QUESTIONNAIRE_URL


def answers(resources: list[Any], day: Any) -> dict[str, tuple[Any, str]]:
    """linkId -> (the visit value, the QuestionnaireResponse it came from) for the responses
    authored on ``day``.  Two responses that answer one item differently are refused."""
    from gist_tox.fhir.resources import day_of

    found: dict[str, tuple[Any, str]] = {}
    for resource in resources:
        model = resource.parse()
        if model.status not in ("completed", "amended"):
            continue
        if model.authored is None:
            raise resource.error("authored", "no date; expected the day it was answered")
        if day_of(model.authored) != day:
            continue
        mine: dict[str, tuple[Any, str]] = {}
        for link_id, value, element in _walk(resource, model.item or [], "item"):
            if link_id in GROUPS and link_id in mine:  # another repetition of the group
                mine[link_id] = ([*mine[link_id][0], *value], mine[link_id][1])
            else:
                mine[link_id] = (value, element)
        for link_id, (value, element) in mine.items():
            if link_id in found and found[link_id][0] != value:
                raise resource.error(
                    element,
                    f"{link_id}: {found[link_id][1]} answers {found[link_id][0]!r}, this"
                    f" response {value!r}; correct or remove one",
                    code="fhir.conflict",
                )
            found[link_id] = (value, resource.label)
    return found


def _walk(resource: Any, items: list[Any], where: str) -> list[tuple[str, Any, str]]:
    out: list[tuple[str, Any, str]] = []
    for index, item in enumerate(items):
        element = f"{where}[{index}]"
        if item.linkId in GROUPS:
            out.append((item.linkId, [_group(resource, item, element)], element))
            continue
        if item.item:
            out.extend(_walk(resource, item.item, f"{element}.item"))
        if not item.answer:
            continue
        spec = ITEMS.get(item.linkId)
        if spec is None:
            import difflib

            close = difflib.get_close_matches(item.linkId, ITEMS, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise resource.error(f"{element}.linkId", f"unknown item {item.linkId!r}{hint}")
        values = [
            _value(resource, spec[1], a, f"{element}.answer[{i}]")
            for i, a in enumerate(item.answer)
        ]
        if item.linkId in REPEATS:
            value: Any = values
            if spec[1] == "terms":
                value = _terms(resource, values, f"{element}.answer")
        elif len(values) > 1:
            raise resource.error(f"{element}.answer", f"{item.linkId} takes one answer")
        else:
            value = values[0]
        out.append((item.linkId, value, element))
    return out


def _group(resource: Any, item: Any, element: str) -> dict[str, Any]:
    """One repetition of a group: its children's answers by field (``other_events.grade``
    -> ``grade``); a child the Questionnaire does not have is refused."""
    fields: dict[str, Any] = {}
    for link_id, value, child in _walk(resource, item.item or [], f"{element}.item"):
        parent, _, name = link_id.rpartition(".")
        if parent != item.linkId:
            raise resource.error(f"{child}.linkId", f"{link_id} is not an item of {item.linkId}")
        fields[name] = value
    return fields


def _value(resource: Any, kind: str, answer: Any, element: str) -> Any:
    from gist_tox.fhir.resources import number

    if kind == "boolean" or (kind == "terms" and answer.valueBoolean is not None):
        if answer.valueBoolean is None:
            raise resource.error(element, "expected valueBoolean")
        return answer.valueBoolean
    if kind in ("choice", "terms", "string"):
        if answer.valueCoding is not None and answer.valueCoding.code:
            return answer.valueCoding.code
        if answer.valueString is not None:
            return answer.valueString
        raise resource.error(element, "expected valueCoding (or valueString)")
    if kind == "integer":
        if answer.valueInteger is None:
            raise resource.error(element, "expected valueInteger")
        return int(answer.valueInteger)
    value = answer.valueDecimal if answer.valueDecimal is not None else answer.valueInteger
    if value is None:
        raise resource.error(element, "expected valueDecimal")
    return number(value)


def _terms(resource: Any, values: list[Any], element: str) -> Any:
    """``false``, ``true`` or a list of term ids (the visit format's consequences)."""
    flags = [v for v in values if isinstance(v, bool)]
    ids = [v for v in values if not isinstance(v, bool)]
    if flags and (ids or len(flags) > 1):
        raise resource.error(element, "answer yes/no or the term ids, not both")
    return flags[0] if flags else ids
