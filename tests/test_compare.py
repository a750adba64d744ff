"""``grade --compare-ctcae``: one visit under CTCAE v5.0 and v6.0 side by side (compare.py,
render/compare.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import grade_json, invoke, make_visit, write_visit


def anc(value: float, unit: str = "10^9/L", **extra: Any) -> dict[str, Any]:
    return {"anc": {"value": value, "unit": unit, **extra}}


def plt(value: float, unit: str = "10^9/L", **extra: Any) -> dict[str, Any]:
    return {"platelets": {"value": value, "unit": unit, **extra}}


def _differing_visit(tmp_path: Path) -> Path:
    return write_visit(
        tmp_path,
        make_visit(
            labs={**anc(0.7), **plt(200, lln=150)},
            skin={"morphology": "maculopapular", "bsa_percent": 60},
        ),
    )


def test_compare_json_lists_both_versions_and_marks_differences(tmp_path: Path) -> None:
    out = grade_json(["--compare-ctcae", str(_differing_visit(tmp_path))])
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
    path = write_visit(
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
    out = grade_json(["--compare-ctcae", str(path)])
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
    path = write_visit(tmp_path, make_visit(labs=anc(0.7), ctcae_version="6.0"))
    out = grade_json(["--compare-ctcae", str(path)])
    assert out["pinned"] == "6.0"
    assert [r["rules"]["ctcae_version"] for r in out["results"]] == ["5.0", "6.0"]


def test_compare_table_lists_each_versions_review(tmp_path: Path) -> None:
    """Blisters without detachment fit no SJS or TEN cell under either version: both
    recommendations are under review, and the comparison says so under each."""
    skin = {"morphology": "bullous", "bsa_percent": 15, "detachment_bsa_percent": 0}
    run = invoke(["grade", "--compare-ctcae", str(write_visit(tmp_path, make_visit(skin=skin)))])
    assert run.exit_code == 0, run.output
    assert "!! v5.0 review:" in run.stdout and "!! v6.0 review:" in run.stdout
    assert "[finding-not-gradable]" in run.stdout
