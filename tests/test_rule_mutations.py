"""A sample of the systematic rule mutants of tests/mutation_rules.py (issue 5's must-show):
one of each kind — a moved threshold, a flipped boundary, a removed grade, an overlap, a broken
reference, a dosing number, a dropped stop-term, an LLN — must be caught by ``rules check``,
``rules test`` (over the edited file's golden cases) and ``rules diff`` alike.  The unedited
rules pass all three in test_cli_rules.py (the README's CI commands).  The full matrix (about
1,200 mutants, many minutes) is ``python tests/mutation_rules.py``."""

from __future__ import annotations

from pathlib import Path

import pytest

from mutation_rules import COMMANDS, Mutant, all_mutants, catches, covering_cases

SAMPLE = [  # one of each kind; each mutant costs about a second
    "ctcae-5.0/neutrophil_count_decreased:g3:labs.anc:ge 0.5->0.4",
    "ctcae-5.0/neutrophil_count_decreased:g1:labs.anc:lt->le",
    "ctcae-5.0/neutrophil_count_decreased:field labs.anc.lln->_x",
    "ctcae-5.0/platelet_count_decreased:remove grade 2",
    "ctcae-6.0/thrombocytopenia:remove grade 5",
    "ctcae-6.0/erythema_multiforme:overlap g3:=g4",
    "ctcae-5.0/rash_maculo_papular:g1:skin.bsa_percent:gt 0->1",
    "dosing:ladder -600",
    "dosing:discontinue -stevens_johnson_syndrome",
    "dosing:discontinue stevens_johnson_syndrome->_x",
    "reference:anc.lln 1.8->1.7",
]

# Edits `rules check` cannot see, since the edited file stays self-consistent: an institution's
# own LLN (reference ranges are meant to be local), and a bound of 0 or a number the wording
# also states elsewhere.  `rules test` and `rules diff` must still catch them.
CHECK_BLIND = {
    "ctcae-5.0/rash_maculo_papular:g1:skin.bsa_percent:gt 0->1",
    "reference:anc.lln 1.8->1.7",
}


@pytest.fixture(scope="module")
def mutants() -> list[Mutant]:
    return all_mutants()


def test_the_generator_covers_every_kind_of_edit(mutants: list[Mutant]) -> None:
    names = [m.name for m in mutants]
    for kind in (
        "->le",
        "->ge",
        "remove grade 4",
        "remove grade 5",
        "overlap",
        "field ",
        "applies_to",
        "dosing:ladder",
        "dosing:hematologic",
        "dosing:skin",
        "dosing:progression",
        "dosing:discontinue",
        "reference:",
    ):
        assert any(kind in n for n in names), kind
    assert len(set(names)) == len(names)


@pytest.mark.parametrize("name", SAMPLE)
def test_each_sampled_mutant_is_caught_by_check_test_and_diff(
    name: str, mutants: list[Mutant], tmp_path: Path
) -> None:
    mutant = next(m for m in mutants if name in m.name)
    codes = catches(mutant, tmp_path, covering_cases(mutant))
    commands = [c for c in COMMANDS if not (c == "check" and name in CHECK_BLIND)]
    assert all(codes[c] != 0 for c in commands), (mutant.name, codes)
