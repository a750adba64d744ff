"""Every shipped example grades, and each term's example shows a graded finding of its term."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conftest import EXAMPLES, result_of

EXPECTED = {
    "neutrophil_count_decreased": 3,
    "febrile_neutropenia": 3,
    "platelet_count_decreased": 2,
    "rash_maculo_papular": 2,
    "erythroderma": 3,
    "erythema_multiforme": 2,
    "stevens_johnson_syndrome": 3,
    "toxic_epidermal_necrolysis": 4,
}
"""The grade each term's example shows (examples/terms/<term id>.yaml)."""
# Visit files (examples/hwang-2010/ is a patient timeline, with its own schema and test).
ALL_EXAMPLES = sorted(
    [*EXAMPLES.glob("*.yaml"), *EXAMPLES.glob("terms/*.yaml"), *EXAMPLES.glob("boundaries/*.yaml")]
)


def graded(path: Path) -> dict[str, Any]:
    """The example read and graded as ``grade --format json`` does (the command itself, its
    table with each rule id, is test_cli_grade's)."""
    return result_of(path)


@pytest.mark.parametrize("term_id", list(EXPECTED))
def test_each_v5_term_has_an_example_showing_its_graded_finding(term_id: str) -> None:
    path = EXAMPLES / "terms" / f"{term_id}.yaml"
    result = graded(path)
    grade = result["grades"][term_id]
    assert grade["grade"] == EXPECTED[term_id], grade
    assert grade["rule"] == f"ctcae-5.0/{term_id}/grade-{EXPECTED[term_id]}"
    assert grade["basis"]
    assert result["warnings"] == []


@pytest.mark.parametrize("path", ALL_EXAMPLES, ids=lambda p: p.relative_to(EXAMPLES).as_posix())
def test_every_example_grades_and_points_at_the_visit_schema(path: Path) -> None:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    depth = len(path.relative_to(EXAMPLES).parts)
    assert first == f"# yaml-language-server: $schema={'../' * depth}schemas/visit.schema.json"
    assert graded(path)["format"] == "gist-tox/result@1"


def test_the_readme_visit_format_example_is_a_valid_visit(tmp_path: Path) -> None:
    readme = (EXAMPLES.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("<!-- section: visit-format -->", 1)[1].split("<!-- section:", 1)[0]
    example = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "readme-visit.yaml"
    path.write_text(example, encoding="utf-8")
    grades = graded(path)["grades"]
    assert grades["febrile_neutropenia"]["grade"] == 4
    assert grades["rash_maculo_papular"]["grade"] == 3
