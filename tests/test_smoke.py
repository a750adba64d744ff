"""A first end-to-end check of the core: the published case's worst visit."""

from conftest import EXAMPLES, invoke, make_visit, result_of


def test_worst_visit_of_published_case_grades_fn4_and_rash3() -> None:
    result = invoke(["grade", "--format", "json", str(EXAMPLES / "hwang-2010-worst-visit.yaml")])
    assert result.exit_code == 0, result.output
    import json

    data = json.loads(result.stdout)
    assert data["rules"]["ctcae_version"] == "5.0"
    assert data["grades"]["febrile_neutropenia"]["grade"] == 4
    assert data["grades"]["rash_maculo_papular"]["grade"] == 3


def test_999_per_ul_is_grade_3_not_2() -> None:
    visit = make_visit(labs={"anc": {"value": 999, "unit": "/uL"}})
    assert result_of(visit)["grades"]["neutrophil_count_decreased"]["grade"] == 3


def test_bad_input_is_one_line_and_exit_2(tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "patient: {id: X}\ndate: 2024-01-01\nimatinib: {starting_dose_mg: 400, "
        "current_dose_mg: 400}\nlabs: {anc: {value: 1, unit: g/L}}\n"
    )
    result = invoke(["grade", str(bad)])
    assert result.exit_code == 2
    assert "bad.yaml" in result.stderr and "labs.anc.unit" in result.stderr
    assert "Traceback" not in result.output
