"""CTCAE v6.0 beside v5.0: v6.0 criteria beyond the golden cases (cases/ctcae-6.0/), the same
visits under both versions where they differ, how the version is chosen (option, pin, configured
default), the side-by-side comparison, and hematologic dosing that must not depend on the
version."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import RULES, invoke, make_visit, result_of
from gist_tox.errors import InputError
from gist_tox.ruleset.cases import deep_merge

CASES = Path(__file__).resolve().parents[1] / "cases" / "ctcae-6.0"

V5_TERMS = {
    "neutrophil_count_decreased",
    "febrile_neutropenia",
    "platelet_count_decreased",
    "rash_maculo_papular",
    "erythroderma",
    "erythema_multiforme",
    "stevens_johnson_syndrome",
    "toxic_epidermal_necrolysis",
}
V6_TERMS = (V5_TERMS - {"platelet_count_decreased"}) | {
    "thrombocytopenia",
    "exfoliative_dermatitis",
}
# Visit format extension A's terms (absent in a visit without their inputs).
EXTENSION = {
    "alanine_aminotransferase_increased",
    "aspartate_aminotransferase_increased",
    "blood_bilirubin_increased",
    "anemia",
    "weight_gain",
    "periorbital_edema",
    "edema_face",
    "pleural_effusion",
}
V5_TERMS_ALL = V5_TERMS | EXTENSION | {"edema_limbs"}
V6_TERMS_ALL = V6_TERMS | EXTENSION | {"peripheral_edema"}


def grade6(**sections: Any) -> dict[str, Any]:
    grades: dict[str, Any] = result_of(make_visit(**sections), "6.0")["grades"]
    return grades


def grade5(**sections: Any) -> dict[str, Any]:
    grades: dict[str, Any] = result_of(make_visit(**sections), "5.0")["grades"]
    return grades


def anc(value: float, unit: str = "10^9/L", **extra: Any) -> dict[str, Any]:
    return {"anc": {"value": value, "unit": unit, **extra}}


def plt(value: float, unit: str = "10^9/L", **extra: Any) -> dict[str, Any]:
    return {"platelets": {"value": value, "unit": unit, **extra}}


# --------------------------------------------------------------------------------------------
# v6.0 thresholds (both sides of each count threshold, in every unit: cases/ctcae-6.0/)


def test_neutrophils_v6_grade_1_ignores_the_lln() -> None:
    # 1.6 is below the lab's LLN of 1.8: grade 1 in v5.0, grade 0 in v6.0.
    assert grade5(labs=anc(1.6, lln=1.8))["neutrophil_count_decreased"]["grade"] == 1
    assert grade6(labs=anc(1.6, lln=1.8))["neutrophil_count_decreased"]["grade"] == 0


def skin(**findings: Any) -> dict[str, Any]:
    return {"skin": {"morphology": "maculopapular", **findings}}


def test_rash_maculo_papular_v6_grades_4_and_5_read_its_own_consequences() -> None:
    findings = skin(bsa_percent=70, symptoms="severe")
    assert (
        grade6(**findings, consequences={"life_threatening": ["rash_maculo_papular"]})[
            "rash_maculo_papular"
        ]["grade"]
        == 4
    )
    assert grade6(**findings, consequences={"died": True})["rash_maculo_papular"]["grade"] == 5
    # v5.0 has no grade 4 or 5 for this term: the consequence is a warning, not a grade.
    result = result_of(make_visit(**findings, consequences={"died": True}), "5.0")
    assert result["grades"]["rash_maculo_papular"]["grade"] == 3
    assert any("consequences.died" in w for w in result["warnings"])


def test_exfoliative_over_90_is_erythroderma_in_v5_and_both_terms_in_v6() -> None:
    findings = {
        "morphology": "exfoliative",
        "bsa_percent": 95,
        "symptoms": "moderate",
        "intervention": "iv",
    }
    v5, v6 = grade5(skin=findings), grade6(skin=findings)
    assert "exfoliative_dermatitis" not in v5
    assert (v5["erythroderma"]["grade"], v5["rash_maculo_papular"]["grade"]) == (3, 0)
    assert (
        v6["exfoliative_dermatitis"]["grade"],
        v6["erythroderma"]["grade"],
        v6["rash_maculo_papular"]["grade"],
    ) == (3, 3, 0)


def test_sjs_life_threatening_is_grade_4_in_v6_only() -> None:
    findings = {"morphology": "bullous", "bsa_percent": 20, "detachment_bsa_percent": 5}
    lt = {"life_threatening": True}
    assert grade6(skin=findings, consequences=lt)["stevens_johnson_syndrome"]["grade"] == 4
    assert grade5(skin=findings, consequences=lt)["stevens_johnson_syndrome"]["grade"] == 3


def test_life_threatening_true_fn_with_exfoliative_dermatitis_is_refused_in_v6_only() -> None:
    visit = make_visit(
        labs=anc(0.3),
        fever={"max_temperature": {"value": 39.4, "unit": "C"}, "hours_at_or_above_38": 20},
        consequences={"life_threatening": True},
        skin={"morphology": "exfoliative", "bsa_percent": 95, "intervention": "iv"},
    )
    assert result_of(visit, "5.0")["grades"]["febrile_neutropenia"]["grade"] == 4
    with pytest.raises(InputError, match="exfoliative_dermatitis"):
        result_of(visit, "6.0")


_COUNTS = st.integers(min_value=0, max_value=150_000)  # cells/uL


@settings(max_examples=40, deadline=None)
@given(low=_COUNTS, high=_COUNTS)
def test_v6_count_grades_are_monotone_and_unit_invariant(low: int, high: int) -> None:
    """A lower count never gives a lower grade, and /uL and 10^9/L give the same grade."""
    low, high = sorted((low, high))
    for term, lab in (("neutrophil_count_decreased", "anc"), ("thrombocytopenia", "platelets")):
        per_ul = [
            grade6(labs={lab: {"value": n, "unit": "/uL"}})[term]["grade"] for n in (low, high)
        ]
        si = grade6(labs={lab: {"value": low / 1000, "unit": "10^9/L"}})[term]["grade"]
        assert per_ul[0] >= per_ul[1]
        assert si == per_ul[0]  # low/1000 as written is exact decimal: no rounding drift


# --------------------------------------------------------------------------------------------
# The same visit under both versions


@pytest.mark.parametrize(
    ("sections", "term5", "term6", "v5", "v6"),
    [
        ({"labs": anc(0.7)}, "neutrophil_count_decreased", "neutrophil_count_decreased", 3, 2),
        ({"labs": anc(0.3)}, "neutrophil_count_decreased", "neutrophil_count_decreased", 4, 3),
        ({"labs": plt(24)}, "platelet_count_decreased", "thrombocytopenia", 4, 3),
        (skin(bsa_percent=60, symptoms="none"), "rash_maculo_papular", "rash_maculo_papular", 2, 3),
        (
            skin(bsa_percent=8, symptoms="moderate"),
            "rash_maculo_papular",
            "rash_maculo_papular",
            1,
            3,
        ),
        (
            skin(bsa_percent=20, adl_limitation="self_care"),
            "rash_maculo_papular",
            "rash_maculo_papular",
            3,
            1,
        ),
        (
            {"skin": {"morphology": "target_lesions", "bsa_percent": 20}},
            "erythema_multiforme",
            "erythema_multiforme",
            None,
            1,
        ),
    ],
)
def test_same_visit_differs_between_versions(
    sections: dict[str, Any], term5: str, term6: str, v5: int | None, v6: int
) -> None:
    assert grade5(**sections)[term5]["grade"] == v5
    assert grade6(**sections)[term6]["grade"] == v6


def test_forty_percent_sloughing_sjs_grade_4_in_v6_beyond_the_v5_band() -> None:
    findings = {"morphology": "bullous", "bsa_percent": 50, "detachment_bsa_percent": 40}
    assert grade5(skin=findings)["stevens_johnson_syndrome"]["grade"] == 0
    assert grade6(skin=findings)["stevens_johnson_syndrome"]["grade"] == 4
    assert grade5(skin=findings)["toxic_epidermal_necrolysis"]["grade"] == 4
    assert grade6(skin=findings)["toxic_epidermal_necrolysis"]["grade"] == 4


# --------------------------------------------------------------------------------------------
# Choosing the version: --ctcae, the visit's pin, the configured default


def _write(tmp_path: Path, visit: dict[str, Any], name: str = "visit.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(json.loads(json.dumps(visit, default=str))))
    return path


def _json(args: list[str]) -> dict[str, Any]:
    run = invoke(["grade", "--format", "json", *args])
    assert run.exit_code == 0, run.output
    return json.loads(run.stdout)  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("option", "pin", "expected"),
    [
        ([], None, "5.0"),
        (["--ctcae", "6.0"], None, "6.0"),
        (["--ctcae", "5.0"], None, "5.0"),
        ([], "6.0", "6.0"),
        ([], "5.0", "5.0"),
        (["--ctcae", "6.0"], "6.0", "6.0"),
    ],
)
def test_version_follows_option_then_pin_then_default(
    tmp_path: Path, option: list[str], pin: str | None, expected: str
) -> None:
    visit = make_visit(labs=anc(0.7), ctcae_version=pin)
    result = _json([*option, str(_write(tmp_path, visit))])
    assert result["rules"]["ctcae_version"] == expected
    assert set(result["grades"]) == (V6_TERMS_ALL if expected == "6.0" else V5_TERMS_ALL)
    assert result["grades"]["neutrophil_count_decreased"]["grade"] == (
        2 if expected == "6.0" else 3
    )
    assert all(
        g["rule"] is None or g["rule"].startswith(f"ctcae-{expected}/")
        for g in result["grades"].values()
    )


@pytest.mark.parametrize(("option", "pin"), [("6.0", "5.0"), ("5.0", "6.0")])
def test_option_contradicting_the_pin_is_refused_naming_both(
    tmp_path: Path, option: str, pin: str
) -> None:
    path = _write(tmp_path, make_visit(labs=anc(0.7), ctcae_version=pin))
    run = invoke(["grade", "--ctcae", option, str(path)])
    assert run.exit_code == 2
    assert run.stdout == ""
    line = run.stderr.strip()
    assert "\n" not in line and "Traceback" not in line
    assert f"v{pin}" in line and f"--ctcae {option}" in line and "ctcae_version" in line


def test_configured_default_switches_the_version(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    config = rules / "config.yaml"
    config.write_text(
        config.read_text().replace('default_ctcae_version: "5.0"', 'default_ctcae_version: "6.0"')
    )
    path = _write(tmp_path, make_visit(labs=anc(0.7)))
    result = _json(["--rules", str(rules), str(path)])
    assert result["rules"]["ctcae_version"] == "6.0"
    assert set(result["grades"]) == V6_TERMS_ALL
    # the option and a pin still win over the configured default
    assert (
        _json(["--rules", str(rules), "--ctcae", "5.0", str(path)])["rules"]["ctcae_version"]
        == "5.0"
    )
    pinned = _write(tmp_path, make_visit(labs=anc(0.7), ctcae_version="5.0"), "pinned.yaml")
    assert _json(["--rules", str(rules), str(pinned)])["rules"]["ctcae_version"] == "5.0"


def test_unquoted_pin_is_read_as_the_version(tmp_path: Path) -> None:
    path = tmp_path / "v.yaml"
    path.write_text(yaml.safe_dump(make_visit(labs=anc(0.7))) + "ctcae_version: 6.0\n")
    assert _json([str(path)])["rules"]["ctcae_version"] == "6.0"


# --------------------------------------------------------------------------------------------
# --compare-ctcae


def _differing_visit(tmp_path: Path) -> Path:
    return _write(
        tmp_path,
        make_visit(
            labs={**anc(0.7), **plt(200, lln=150)},
            skin={"morphology": "maculopapular", "bsa_percent": 60},
        ),
    )


def test_compare_json_lists_both_versions_and_marks_differences(tmp_path: Path) -> None:
    out = _json(["--compare-ctcae", str(_differing_visit(tmp_path))])
    assert out["format"] == "gist-tox/ctcae-comparison@1"
    assert [r["rules"]["ctcae_version"] for r in out["results"]] == ["5.0", "6.0"]
    rows = {row["id"]: row for row in out["terms"]}
    assert rows["neutrophil_count_decreased"]["grades"] == {"5.0": 3, "6.0": 2}
    assert rows["neutrophil_count_decreased"]["differs"] is True
    assert rows["rash_maculo_papular"]["grades"] == {"5.0": 2, "6.0": 3}
    assert rows["febrile_neutropenia"]["differs"] is False
    # the renamed term is one row
    assert "platelet_count_decreased" not in rows
    assert rows["thrombocytopenia"]["term_ids"] == {
        "5.0": "platelet_count_decreased",
        "6.0": "thrombocytopenia",
    }
    assert rows["thrombocytopenia"]["grades"] == {"5.0": 0, "6.0": 0}
    assert rows["exfoliative_dermatitis"]["in"] == ["6.0"]
    assert rows["exfoliative_dermatitis"]["grades"] == {"5.0": None, "6.0": 0}
    assert rows["exfoliative_dermatitis"]["differs"] is False
    assert out["differing"] == ["neutrophil_count_decreased", "rash_maculo_papular"]


def test_compare_pairs_renamed_terms_and_marks_new_terms_that_grade(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        make_visit(
            labs=plt(24),
            skin={
                "morphology": "exfoliative",
                "bsa_percent": 95,
                "intervention": "oral",
                "symptoms": "moderate",
            },
        ),
    )
    out = _json(["--compare-ctcae", str(path)])
    rows = {row["id"]: row for row in out["terms"]}
    assert rows["thrombocytopenia"]["grades"] == {"5.0": 4, "6.0": 3}
    assert rows["erythroderma"]["grades"] == {"5.0": 3, "6.0": 3}  # v6.0 grades both terms
    assert rows["exfoliative_dermatitis"]["grades"] == {"5.0": None, "6.0": 2}
    assert out["differing"] == ["thrombocytopenia", "exfoliative_dermatitis"]
    run = invoke(["grade", "--compare-ctcae", str(path)])
    assert "Platelet count decreased → Thrombocytopenia" in run.stdout


def test_compare_table_marks_the_differing_terms(tmp_path: Path) -> None:
    run = invoke(["grade", "--compare-ctcae", str(_differing_visit(tmp_path))])
    assert run.exit_code == 0, run.output
    lines = run.stdout.splitlines()
    assert any("v5.0" in line and "v6.0" in line for line in lines)
    rows = [[c.strip() for c in line.split("│")[1:-1]] for line in lines if line.startswith("│")]
    marked = [row for row in rows if row[0] == "≠"]
    assert len(marked) == 2
    assert ["≠", "Neutrophil count decreased", "3", "2"] in marked
    assert ["", "Febrile neutropenia", "n/g", "n/g"] in rows
    assert ["≠", "Rash maculo-papular", "2", "3"] in marked
    assert "2 term(s) differ" in run.stdout


def test_compare_refuses_a_version_option(tmp_path: Path) -> None:
    run = invoke(["grade", "--compare-ctcae", "--ctcae", "6.0", str(_differing_visit(tmp_path))])
    assert run.exit_code == 2
    assert "--compare-ctcae" in run.stderr and "--ctcae 6.0" in run.stderr


def test_compare_ignores_the_pin_but_says_so(tmp_path: Path) -> None:
    path = _write(tmp_path, make_visit(labs=anc(0.7), ctcae_version="6.0"))
    out = _json(["--compare-ctcae", str(path)])
    assert out["pinned"] == "6.0"
    assert [r["rules"]["ctcae_version"] for r in out["results"]] == ["5.0", "6.0"]


# --------------------------------------------------------------------------------------------
# Hematologic dosing reads counts: the same recommendation under both versions


HEME_VISITS = [
    {"labs": {**anc(0.7), **plt(200)}},
    {"labs": {**anc(0.3), **plt(24)}},
    {"labs": {**anc(1.2), **plt(60)}},
    {"labs": {**anc(2.0), **plt(40)}},
    {"labs": {**anc(0.999), **plt(49.9)}},
    {"labs": {**anc(1.0), **plt(50)}},
    {"labs": {**anc(3.0), **plt(9)}},
    {
        "labs": {**anc(0.8), **plt(150)},
        "fever": {"max_temperature": {"value": 39, "unit": "C"}, "hours_at_or_above_38": 3},
    },
    {
        "labs": {**anc(1.6), **plt(80)},
        "imatinib": {"current_dose_mg": 0, "on_hold_for": "hematologic"},
        "history": [
            {
                "date": "2024-02-01",
                "category": "hematologic",
                "term": "platelet_count_decreased",
                "grade": 3,
                "dose_mg": 400,
            }
        ],
    },
    {
        "labs": {**anc(1.6), **plt(80)},
        "imatinib": {"current_dose_mg": 0, "on_hold_for": "hematologic"},
        "history": [
            {
                "date": "2024-02-01",
                "category": "hematologic",
                "term": "thrombocytopenia",
                "grade": 3,
                "dose_mg": 400,
            }
        ],
    },
]


@pytest.mark.parametrize("sections", HEME_VISITS)
def test_hematologic_recommendation_is_the_same_under_both_versions(
    sections: dict[str, Any],
) -> None:
    visit = deep_merge(make_visit(), sections)
    v5, v6 = result_of(visit, "5.0"), result_of(visit, "6.0")
    assert "recommendation" in v5 and "recommendation" in v6, "results carry no recommendation"
    strip = ("reasons",)
    same5 = {k: v for k, v in v5["recommendation"].items() if k not in strip}
    same6 = {k: v for k, v in v6["recommendation"].items() if k not in strip}
    assert same5 == same6
    assert [(r["rule"], r["text"]) for r in v5["recommendation"]["reasons"]] == [
        (r["rule"], r["text"]) for r in v6["recommendation"]["reasons"]
    ]


# --------------------------------------------------------------------------------------------
# The golden cases in cases/ctcae-6.0 run with all the others (test_rule_cases.py); here only
# that they cover every v6.0 term.


def test_golden_cases_cover_every_v6_term() -> None:
    covered = {yaml.safe_load(p.read_text())["covers"] for p in CASES.glob("*.yaml")}
    assert covered == {f"ctcae-6.0/{t}" for t in V6_TERMS_ALL}
    assert {p.stem for p in (RULES / "ctcae-6.0").glob("*.yaml")} == V6_TERMS_ALL


def test_compare_table_lists_each_versions_review(tmp_path: Path) -> None:
    """Blisters without detachment fit no SJS or TEN cell under either version: both
    recommendations are under review, and the comparison says so under each."""
    skin = {"morphology": "bullous", "bsa_percent": 15, "detachment_bsa_percent": 0}
    run = invoke(["grade", "--compare-ctcae", str(_write(tmp_path, make_visit(skin=skin)))])
    assert run.exit_code == 0, run.output
    assert "!! v5.0 review:" in run.stdout and "!! v6.0 review:" in run.stdout
    assert "[finding-not-gradable]" in run.stdout
