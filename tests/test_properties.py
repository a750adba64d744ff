"""Properties that must hold for every input, not just the boundaries we thought of.

Grades never fall as ANC or platelets fall, or as BSA or detachment rise; for bullous
reactions the property holds for the higher of SJS and TEN (above 30% detachment v5.0's SJS is
0 because the reaction is TEN).  Writing the same count in another unit never changes a grade.
The liver grades equal an independent reading of the reference's tables at every band edge.
"""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import COUNT_UNITS, make_visit, result_of

FAST = settings(max_examples=30, deadline=None)

# Exact decimals with up to three places, as a lab writes them.
counts = st.decimals(min_value=0, max_value=Decimal(20), places=3, allow_nan=False)
platelet_counts = st.decimals(min_value=0, max_value=Decimal(400), places=3, allow_nan=False)
percents = st.decimals(min_value=0, max_value=Decimal(100), places=2, allow_nan=False)
llns = st.sampled_from([None, 1.5, 1.8, 2.0])


def grade(visit: dict[str, Any], term: str) -> int | None:
    result = result_of(visit)["grades"][term]
    return result["grade"]  # type: ignore[no-any-return]


def pair(draw_a: Decimal, draw_b: Decimal) -> tuple[Decimal, Decimal]:
    return (draw_a, draw_b) if draw_a <= draw_b else (draw_b, draw_a)


@FAST
@given(counts, counts, llns)
def test_neutrophil_grade_never_falls_as_anc_falls(a: Decimal, b: Decimal, lln: Any) -> None:
    low, high = pair(a, b)
    lab: dict[str, Any] = {"unit": "10^9/L", **({"lln": lln} if lln else {})}
    g_low = grade(
        make_visit(labs={"anc": {**lab, "value": float(low)}}), "neutrophil_count_decreased"
    )
    g_high = grade(
        make_visit(labs={"anc": {**lab, "value": float(high)}}), "neutrophil_count_decreased"
    )
    assert g_low is not None and g_high is not None
    assert g_low >= g_high


@FAST
@given(counts, counts, st.sampled_from([37.0, 38.3, 38.4, 39.5]), st.sampled_from([0, 1, 1.5, 6]))
def test_febrile_neutropenia_never_falls_as_anc_falls(
    a: Decimal, b: Decimal, temp: float, hours: float
) -> None:
    low, high = pair(a, b)
    fever = {"max_temperature": {"value": temp, "unit": "C"}, "hours_at_or_above_38": hours}
    g_low = grade(
        make_visit(labs={"anc": {"value": float(low), "unit": "10^9/L"}}, fever=fever),
        "febrile_neutropenia",
    )
    g_high = grade(
        make_visit(labs={"anc": {"value": float(high), "unit": "10^9/L"}}, fever=fever),
        "febrile_neutropenia",
    )
    assert g_low is not None and g_high is not None
    assert g_low >= g_high


@FAST
@given(platelet_counts, platelet_counts, st.sampled_from([None, 75, 150]))
def test_platelet_grade_never_falls_as_platelets_fall(a: Decimal, b: Decimal, lln: Any) -> None:
    low, high = pair(a, b)
    lab: dict[str, Any] = {"unit": "10^9/L", **({"lln": lln} if lln else {})}
    g_low = grade(
        make_visit(labs={"platelets": {**lab, "value": float(low)}}), "platelet_count_decreased"
    )
    g_high = grade(
        make_visit(labs={"platelets": {**lab, "value": float(high)}}), "platelet_count_decreased"
    )
    assert g_low is not None and g_high is not None
    assert g_low >= g_high


@FAST
@given(
    percents,
    percents,
    st.sampled_from(["none", "mild", "moderate", "severe"]),
    st.sampled_from(["none", "instrumental", "self_care"]),
)
def test_rash_grade_never_falls_as_bsa_rises(
    a: Decimal, b: Decimal, symptoms: str, adl: str
) -> None:
    low, high = pair(a, b)

    def rash(bsa: Decimal) -> int | None:
        return grade(
            make_visit(
                skin={
                    "morphology": "maculopapular",
                    "bsa_percent": float(bsa),
                    "symptoms": symptoms,
                    "adl_limitation": adl,
                }
            ),
            "rash_maculo_papular",
        )

    g_low, g_high = rash(low), rash(high)
    assert g_low is not None and g_high is not None
    assert g_high >= g_low


@FAST
@given(percents, percents, st.sampled_from(["none", "mild"]), st.booleans(), st.booleans())
def test_exfoliative_grade_never_falls_as_bsa_rises(
    a: Decimal, b: Decimal, symptoms: str, fluid: bool, icu: bool
) -> None:
    """Across the 90% switch from rash maculo-papular to erythroderma: the higher of the two."""
    low, high = pair(a, b)

    def worst(bsa: Decimal) -> int:
        grades = result_of(
            make_visit(
                skin={
                    "morphology": "exfoliative",
                    "bsa_percent": float(bsa),
                    "symptoms": symptoms,
                    "fluid_electrolyte_abnormalities": fluid,
                    "icu_or_burn_unit": icu,
                }
            )
        )["grades"]
        values = [grades[t]["grade"] for t in ("rash_maculo_papular", "erythroderma")]
        assert None not in values, grades
        return int(max(values))

    assert worst(high) >= worst(low)


detached_percents = st.decimals(
    min_value=Decimal("0.01"), max_value=Decimal(100), places=2, allow_nan=False
)


@FAST
@given(detached_percents, detached_percents, st.booleans())
def test_bullous_grade_never_falls_as_detachment_rises(
    a: Decimal, b: Decimal, mucosa: bool
) -> None:
    """Among sloughing eruptions: blisters without detachment fit no SJS or TEN cell at all
    (not gradable, issue 13 row 4; golden cases)."""
    low, high = pair(a, b)

    def worst(detached: Decimal) -> int:
        grades = result_of(
            make_visit(
                skin={
                    "morphology": "bullous",
                    "bsa_percent": 100,
                    "detachment_bsa_percent": float(detached),
                    "mucosal_involvement": mucosa,
                }
            )
        )["grades"]
        values = [
            grades[t]["grade"] for t in ("stevens_johnson_syndrome", "toxic_epidermal_necrolysis")
        ]
        assert None not in values, grades
        return int(max(values))

    assert worst(high) >= worst(low)


@FAST
@given(percents, percents, st.booleans(), st.booleans(), st.booleans(), st.booleans())
def test_erythema_multiforme_grade_never_falls_as_bsa_rises_when_gradable(
    a: Decimal, b: Decimal, tender: bool, erosions: bool, fluid: bool, icu: bool
) -> None:
    low, high = pair(a, b)

    def em(bsa: Decimal) -> int | None:
        return grade(
            make_visit(
                skin={
                    "morphology": "target_lesions",
                    "bsa_percent": float(bsa),
                    "tenderness": tender,
                    "mucosal_involvement": erosions,
                    "fluid_electrolyte_abnormalities": fluid,
                    "icu_or_burn_unit": icu,
                }
            ),
            "erythema_multiforme",
        )

    g_low, g_high = em(low), em(high)
    if g_low is not None and g_high is not None:  # conjunction gaps are not gradable
        assert g_high >= g_low


@FAST
@given(
    counts, platelet_counts, st.sampled_from(sorted(COUNT_UNITS)), st.sampled_from([None, "1.8"])
)
def test_grades_do_not_depend_on_the_count_unit(
    anc: Decimal, platelets: Decimal, unit: str, lln: str | None
) -> None:
    def labs(u: str) -> dict[str, Any]:
        f = COUNT_UNITS[u]
        out: dict[str, Any] = {
            "anc": {"value": float(anc * f), "unit": u},
            "platelets": {"value": float(platelets * f), "unit": u},
        }
        if lln:
            out["anc"]["lln"] = float(Decimal(lln) * f)
        return out

    fever = {"max_temperature": {"value": 38.5, "unit": "C"}}
    base = result_of(make_visit(labs=labs("10^9/L"), fever=fever))["grades"]
    other = result_of(make_visit(labs=labs(unit), fever=fever))["grades"]
    assert {k: v["grade"] for k, v in base.items()} == {k: v["grade"] for k, v in other.items()}


@FAST
@given(
    st.decimals(min_value=Decimal("36.5"), max_value=Decimal("41"), places=2),
    st.sampled_from([0, 1, 2]),
)
def test_fahrenheit_and_celsius_grade_alike(celsius: Decimal, hours: int) -> None:
    fahrenheit = celsius * 9 / 5 + 32  # exact in Decimal for two places

    def fn(value: Decimal, unit: str) -> int | None:
        return grade(
            make_visit(
                labs={"anc": {"value": 0.8, "unit": "10^9/L"}},
                fever={
                    "max_temperature": {"value": float(value), "unit": unit},
                    "hours_at_or_above_38": hours,
                },
            ),
            "febrile_neutropenia",
        )

    assert fn(celsius, "C") == fn(fahrenheit, "F")


# ------------------------------------------------------------------ no silent continue (issue 13)

_TERMS_5 = [
    "febrile_neutropenia",
    "neutrophil_count_decreased",
    "erythema_multiforme",
    "erythroderma",
    "rash_maculo_papular",
    "stevens_johnson_syndrome",
    "toxic_epidermal_necrolysis",
]
_SKIN_TERMS = {
    "erythema_multiforme",
    "erythroderma",
    "exfoliative_dermatitis",
    "rash_maculo_papular",
    "stevens_johnson_syndrome",
    "toxic_epidermal_necrolysis",
}
_MORPHOLOGIES = ["maculopapular", "exfoliative", "erythroderma", "target_lesions", "bullous"]
skin_findings = st.fixed_dictionaries(
    {
        "morphology": st.sampled_from(_MORPHOLOGIES),
        "bsa_percent": st.decimals(
            min_value=Decimal("0.01"), max_value=Decimal(100), places=2, allow_nan=False
        ).map(float),
        "detachment_bsa_percent": st.sampled_from([0, 0, 5, 20, 40]),
        "symptoms": st.sampled_from(["none", "mild", "moderate", "severe"]),
        "adl_limitation": st.sampled_from(["none", "instrumental", "self_care"]),
        "tenderness": st.booleans(),
        "mucosal_involvement": st.booleans(),
        "fluid_electrolyte_abnormalities": st.booleans(),
        "icu_or_burn_unit": st.booleans(),
        "intervention": st.sampled_from(["none", "topical", "oral", "iv"]),
    }
)
doses = st.sampled_from([0, 100, 200, 300, 400, 600, 800])


@FAST
@given(
    skin_findings,
    st.lists(st.sampled_from(_TERMS_5), min_size=1, max_size=2, unique=True),
    counts,
    doses,
    st.sampled_from(["5.0", "6.0"]),
    st.sampled_from(["hematologic", "skin", "other"]),
)
def test_any_grade_5_never_resumes(
    skin: dict[str, Any], died: list[str], anc: Decimal, dose: int, version: str, held: str
) -> None:
    """Whatever else the visit says (a hold that could end, a dose to cap), a death attributed
    to a term stops imatinib: no dose, nothing to resume."""
    drug: dict[str, Any] = {"current_dose_mg": dose}
    history = []
    if dose == 0:
        drug["on_hold_for"] = held
        history = [
            {
                "date": "2024-01-02",
                "category": held,
                "term": "rash_maculo_papular",
                "grade": 3,
                "dose_mg": 400,
            }
        ]
    visit = make_visit(
        imatinib=drug,
        history=history or None,
        labs={
            "anc": {"value": float(anc), "unit": "10^9/L"},
            "platelets": {"value": 200, "unit": "10^9/L"},
        },
        fever={"max_temperature": {"value": 39.5, "unit": "C"}, "hours_at_or_above_38": 3},
        skin=skin,
        consequences={"died": died},
    )
    result = result_of(visit, version)
    rec = result["recommendation"]
    if any(g["grade"] == 5 for g in result["grades"].values()):
        assert rec["action"] == "discontinue", rec
        assert rec["dose_mg"] == 0 and rec["resume_dose_mg"] is None
    assert rec["action"] != "resume" or all(g["grade"] != 5 for g in result["grades"].values())


@FAST
@given(skin_findings, st.sampled_from(["5.0", "6.0"]))
def test_a_skin_finding_present_is_never_all_zero(skin: dict[str, Any], version: str) -> None:
    """A morphology with an affected area above 0% is never 'no finding' on every skin term:
    some term has a grade above 0 or says it cannot be graded."""
    grades = result_of(make_visit(skin=skin), version)["grades"]
    skin_terms = [t for t in grades if t in _SKIN_TERMS]
    assert skin_terms and any(grades[t]["grade"] != 0 for t in skin_terms), grades


# The reference's reading of the liver cells (ctcae-more-terms.md, sections 1 and 3, "Reading"):
# per branch, the top of grades 0-3 as (multiple, inclusive); above the last, grade 4.
_LIVER_BANDS: dict[tuple[str, str], list[tuple[int | Decimal, bool]]] = {
    ("alt", "uln"): [(1, True), (3, True), (5, True), (20, True)],
    ("bilirubin", "uln"): [(1, True), (Decimal("1.5"), True), (3, True), (10, True)],
    ("alt", "5.0"): [(Decimal("1.5"), False), (3, True), (5, True), (20, True)],
    ("bilirubin", "5.0"): [(1, True), (Decimal("1.5"), True), (3, True), (10, True)],
    ("alt", "6.0"): [(1, False), (Decimal("1.5"), True), (2, True), (4, True)],
    ("bilirubin", "6.0"): [(1, False), (Decimal("1.5"), True), (Decimal("2.5"), True), (10, True)],
}


def _liver_reading(
    test: str, version: str, value: Decimal, uln: Decimal, base: Decimal | None
) -> int | None:
    branch, ratio = "uln", value / uln
    if base is not None and base > uln:
        branch, ratio = version, value / base
        if test == "alt" and version == "6.0" and base > 5 * uln and 2 < ratio <= 4:
            return None  # fits no v6.0 cell (D10): nearest grades 2 and 4
    for grade, (top, inclusive) in enumerate(_LIVER_BANDS[(test, branch)]):
        if ratio < top or (inclusive and ratio == top):
            return grade
    return 4


def test_liver_grades_are_the_references_reading_at_every_band_edge() -> None:
    """ALT (AST reads the same cells) and bilirubin, both versions, each branch (no baseline,
    baseline above the ULN, and for v6.0 ALT above 5 x ULN): just below, at and just above
    every band edge of the branch, the grade is what the reference's table says (exact
    arithmetic: a ratio is never rounded). Every edge, not a sample: a bound read the wrong
    way is met at one point only."""
    wrong = []
    for test, version, base_x in itertools.product(
        ("alt", "bilirubin"), ("5.0", "6.0"), (None, Decimal(2), Decimal("5.5"))
    ):
        unit, uln = {"alt": ("U/L", Decimal(40)), "bilirubin": ("umol/L", Decimal(21))}[test]
        base = None if base_x is None else base_x * uln
        branch = "uln" if base is None else version
        edges = [top for top, _ in _LIVER_BANDS[(test, branch)]]
        for edge, shift in itertools.product(
            edges, (Decimal("-0.001"), Decimal(0), Decimal("0.001"))
        ):
            value = (edge + shift) * (uln if base is None else base)
            lab: dict[str, Any] = {"value": float(value), "unit": unit, "uln": float(uln)}
            if base is not None:
                lab["baseline"] = float(base)  # a float is read by its shortest text: exact
            got = grade(make_visit(ctcae_version=version, labs={test: lab}), _LIVER_TERM[test])
            want = _liver_reading(test, version, value, uln, base)
            if got != want:
                wrong.append((test, version, str(base), str(value), got, want))
    assert wrong == []


_LIVER_TERM = {
    "alt": "alanine_aminotransferase_increased",
    "bilirubin": "blood_bilirubin_increased",
}
