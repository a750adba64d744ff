"""`rules check` proves every rule quotes NCI's cell, and fails on a one-word edit."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import RULES
from gist_tox.ruleset.checks import check_rules
from test_checks import edited, lines


def test_every_shipped_quotation_is_ncis_cell() -> None:
    assert [p for p in check_rules(RULES) if "NCI" in p.message] == []


@pytest.mark.parametrize(
    ("relpath", "old", "new", "says"),
    [
        (
            "ctcae-5.0/neutrophil_count_decreased.yaml",
            '"<1000 - 500/mm3; <1.0 - 0.5 x 10e9 /L"',
            '"<1000 - 500/mm3; <1.0 to 0.5 x 10e9 /L"',
            "grades[2].ctcae: the quotation differs from NCI CTCAE v5.0, Neutrophil count"
            " decreased, grade 3",
        ),
        (
            "ctcae-6.0/pleural_effusion.yaml",
            'ctcae: "Symptomatic with respiratory distress and hypoxia',
            'ctcae: "Symptomatic with respiratory distress or hypoxia',
            "grades[2].ctcae: the quotation differs from NCI CTCAE v6.0, Pleural effusion, grade 3",
        ),
    ],
)
def test_a_quotation_edited_by_one_word_is_reported_naming_term_and_grade(
    tmp_path: Path, relpath: str, old: str, new: str, says: str
) -> None:
    found = lines(edited(tmp_path, relpath, old, new))
    assert len(found) == 1, found
    assert says in found[0]
    assert f"{relpath}:" in found[0]


def test_a_wrong_meddra_code_and_an_unknown_id_are_reported(tmp_path: Path) -> None:
    root = edited(tmp_path, "ctcae-6.0/thrombocytopenia.yaml", '"10043554"', '"10043555"')
    assert any("meddra_code: '10043555' differs from NCI CTCAE v6.0" in x for x in lines(root))
