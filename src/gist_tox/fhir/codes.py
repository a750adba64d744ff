"""The codes gist-tox reads and writes in FHIR: LOINC for labs and temperatures, UCUM units,
imatinib's codes, and the canonical URLs of this project's own FHIR artefacts.

Why a module of constants: the reader, the writer and the Questionnaire must agree on every
code, and an integrator must find them in one place (the README lists the same).
"""

from __future__ import annotations

from gist_tox.units import COUNT_UNIT_SPELLINGS, TEMPERATURE_UNIT_SPELLINGS

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ATC = "http://www.whocc.no/atc"
MEDDRA = "http://terminology.hl7.org/CodeSystem/MDRAE"
SNOMED = "http://snomed.info/sct"

LAB_CODES: dict[str, str] = {
    # absolute neutrophil count
    "751-8": "anc",
    "26499-4": "anc",
    "753-4": "anc",
    # platelets
    "777-3": "platelets",
    "26515-7": "platelets",
    "778-1": "platelets",
    # white cell count
    "6690-2": "wbc",
    "26464-8": "wbc",
    # differential, percent of leukocytes
    "770-8": "neutrophils_percent",
    "26511-6": "neutrophils_percent",
    "764-1": "bands_percent",
    "26508-2": "bands_percent",
}
"""LOINC code -> the visit's ``labs`` field."""

MORE_LAB_CODES: dict[str, str] = {
    # alanine aminotransferase (serum or plasma; with P-5'-P; blood)
    "1742-6": "alt",
    "1743-4": "alt",
    "76625-3": "alt",
    # aspartate aminotransferase (serum or plasma; second method)
    "1920-8": "ast",
    "30239-8": "ast",
    # TOTAL bilirubin (mass/volume in serum or plasma, in blood; moles/volume in serum or plasma)
    "1975-2": "bilirubin",
    "42719-5": "bilirubin",
    "14631-6": "bilirubin",
    # hemoglobin (mass/volume in blood, in arterial blood; moles/volume in blood)
    "718-7": "hemoglobin",
    "30313-1": "hemoglobin",
    "59260-0": "hemoglobin",
    # body weight; body weight measured
    "29463-7": "weight",
    "3141-9": "weight",
    # creatinine clearance: measured (24 h urine and serum or plasma); Cockcroft-Gault estimate
    "2164-2": "creatinine_clearance",
    "35591-7": "creatinine_clearance",
}
"""LOINC code -> what visit format extension A reads from it.  These never make a day a visit
day (that stays the day of a blood count).  eGFR codes (33914-3, 62238-1, 98979-8, ...) are not
read: the label's renal bands are creatinine clearance in mL/min, and the contract's ``renal``
section takes a CrCL only (an eGFR, normalised to 1.73 m2, is not one)."""

LIVER_LABS = frozenset({"alt", "ast", "bilirubin"})
"""Labs that carry the laboratory's ULN (``referenceRange.high``, required) and a baseline."""

UCUM_MORE_UNITS: dict[str, dict[str, str]] = {
    "alt": {"U/L": "U/L", "[IU]/L": "IU/L", "ukat/L": "ukat/L"},
    "ast": {"U/L": "U/L", "[IU]/L": "IU/L", "ukat/L": "ukat/L"},
    "bilirubin": {"umol/L": "umol/L", "mg/dL": "mg/dL"},
    "hemoglobin": {"g/dL": "g/dL", "g/L": "g/L", "mmol/L": "mmol/L"},
    "weight": {"kg": "kg"},
    "creatinine_clearance": {"mL/min": "mL/min"},
}
"""UCUM code -> the visit format's unit, per extension-A measurement: exactly the units the
visit format accepts (``gist_tox.visit_sections``; weight and CrCL are kg and mL/min, named by
their fields).  Any other unit is refused, never converted by a guess."""

PERCENT_LABS = frozenset({"neutrophils_percent", "bands_percent"})

TEMPERATURE_CODES: dict[str, str] = {
    "8310-5": "body temperature",
    "8331-1": "oral temperature",
    "8332-9": "rectal temperature",
    "8328-7": "axillary temperature",
    "8329-5": "core body temperature",
    "8333-7": "tympanic membrane temperature",
    "76011-6": "ear temperature",
}
"""Body temperature, and the site-specific codes read as body temperature (CTCAE's fever
criteria name no site)."""

UCUM_COUNT_CODES = ("10*9/L", "10*3/uL", "/uL", "/mm3", "{cells}/uL")
UCUM_TEMPERATURE_CODES = ("Cel", "[degF]")
UCUM_COUNT_UNITS: dict[str, str] = {c: COUNT_UNIT_SPELLINGS[c] for c in UCUM_COUNT_CODES}
"""UCUM code -> the visit format's unit, read from the one spelling table in
:mod:`gist_tox.units` (UCUM codes are case-sensitive: only these exact codes are taken)."""
UCUM_TEMPERATURE_UNITS: dict[str, str] = {
    c: TEMPERATURE_UNIT_SPELLINGS[c] for c in UCUM_TEMPERATURE_CODES
}
UCUM_PERCENT = "%"

IMATINIB_RXNORM = "282388"
"""RxNorm ingredient imatinib."""
IMATINIB_ATC = "L01EA01"
IMATINIB_CODES = frozenset(
    {(RXNORM, IMATINIB_RXNORM), (ATC, IMATINIB_ATC), ("http://www.whocc.no/atc/", IMATINIB_ATC)}
)
IMATINIB_NAMES = ("imatinib", "gleevec", "glivec")
"""A medication whose text or display names one of these is imatinib."""

OBSERVATION_STATUSES = frozenset({"final", "amended", "corrected"})

# -- the HL7 CTC Adverse Event IG (http://hl7.org/fhir/us/ctcae)
CTCAE_PROFILE = "http://hl7.org/fhir/us/ctcae/StructureDefinition/ctc-adverse-event"
CTCAE_GRADE_EXTENSION = "http://hl7.org/fhir/us/ctcae/StructureDefinition/ctcae-grade"
CTCAE_GRADE_SYSTEM = "http://hl7.org/fhir/us/ctcae/CodeSystem/ctcae-grade-code-system"
CTCAE_GRADE_DISPLAY = {
    0: "Absent Adverse Event",
    1: "Mild Adverse Event",
    2: "Moderate Adverse Event",
    3: "Severe Adverse Event",
    4: "Life Threatening or Disabling Adverse Event",
    5: "Death Related to Adverse Event",
}

# -- gist-tox's own artefacts.  Not published online: local canonical URLs, on a reserved
# domain (RFC 2606 ``.invalid``) so that nobody mistakes them for a resolvable address.
BASE = "https://gist-tox.invalid/fhir"
TERM_SYSTEM = f"{BASE}/CodeSystem/ctcae-term"
"""gist-tox term ids (``febrile_neutropenia``) beside the MedDRA code."""
EPISODE_EXTENSION = f"{BASE}/StructureDefinition/dose-limiting-episode"
"""On an AdverseEvent gist-tox writes: whether it is a dose-limiting episode (a ``history``
entry of later visits), its category and the daily dose it happened at."""
ACTION_SYSTEM = f"{BASE}/CodeSystem/recommendation-action"
ACTION_EXTENSION = f"{BASE}/StructureDefinition/recommendation-action"
HOLD_CATEGORY_SYSTEM = f"{BASE}/CodeSystem/hold-category"
RESUME_EXTENSION = f"{BASE}/StructureDefinition/resume"
REVIEW_SYSTEM = f"{BASE}/CodeSystem/review"
QUESTIONNAIRE_URL = f"{BASE}/Questionnaire/gist-tox-visit"
