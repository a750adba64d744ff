"""The loader's reference checks (``ruleset/loader.py``, ``check_term``): each refuses a rule
file that trips it, naming the file, its line and what is wrong, before any visit is graded."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import RULES
from gist_tox.errors import RulesError
from gist_tox.ruleset.loader import load_ruleset

ANC = "ctcae-5.0/neutrophil_count_decreased.yaml"
RASH = "ctcae-5.0/rash_maculo_papular.yaml"
INTERACTIONS = "interactions.yaml"


@pytest.mark.parametrize(
    ("relpath", "old", "new", "message"),
    [
        pytest.param(
            ANC,
            "{field: labs.anc, lt: 0.5}",
            "{field: labs.ancc, lt: 0.5}",
            "unknown input 'labs.ancc'",
            id="unknown-input",
        ),
        pytest.param(
            ANC,
            "{field: labs.anc, lt: 0.5}",
            "{field: skin.tenderness, lt: 0.5}",
            "skin.tenderness is bool, not a number; use 'is' or 'in'",
            id="wrong-kind-compare",
        ),
        pytest.param(
            ANC,
            "{field: labs.anc, lt: 0.5}",
            "{field: labs.anc, is: true}",
            "labs.anc is not yes/no",
            id="wrong-kind-is",
        ),
        pytest.param(
            ANC,
            "{field: labs.anc, lt: 0.5}",
            "{field: labs.anc, lt: {field: skin.symptoms}}",
            "bound 'skin.symptoms' is not a numeric input",
            id="wrong-kind-bound",
        ),
        pytest.param(
            RASH,
            "{field: skin.adl_limitation, in: [self_care]}",
            "{field: skin.adl_limitation, in: [selfcare]}",
            "'selfcare' is not a value of skin.adl_limitation",
            id="enum-value",
        ),
        pytest.param(
            RASH,
            "{field: skin.adl_limitation, in: [self_care]}",
            "{field: skin.bsa_percent, in: [self_care]}",
            "skin.bsa_percent is not enumerated",
            id="enum-on-a-number",
        ),
        pytest.param(
            ANC,
            'ctcae_version: "5.0"',
            'ctcae_version: "6.0"',
            "'6.0' but the file is in ctcae-5.0/",
            id="version-mismatch",
        ),
        pytest.param(
            RASH,
            "applies_to:\n  - morphology: maculopapular\n  - morphology: exfoliative        #"
            " contract: an exfoliative eruption up to 90% BSA\n"
            "    when: {field: skin.bsa_percent, le: 90}\n",
            "",
            "skin terms (and only they) must list the morphologies they grade",
            id="applies-to-missing-on-a-skin-term",
        ),
        pytest.param(
            ANC,
            'ctcae_version: "5.0"\n',
            'ctcae_version: "5.0"\napplies_to:\n  - {morphology: maculopapular}\n',
            "skin terms (and only they) must list the morphologies they grade",
            id="applies-to-on-a-term-that-is-not-skin",
        ),
        pytest.param(
            INTERACTIONS,
            "synonyms: [rifampin]",
            "synonyms: [rifampin, Rifampicin]",
            "'Rifampicin' reads as 'rifampicin' once normalised, as 'rifampicin' does",
            id="interaction-synonym-repeats-its-id",
        ),
        pytest.param(
            INTERACTIONS,
            "synonyms: [phenobarbitone]",
            "synonyms: [phenobarbitone, St. John's Wort]",
            "reads as 'st johns wort' once normalised",
            id="interaction-name-of-two-entries",
        ),
        pytest.param(
            INTERACTIONS,
            "synonyms: [grapefruit]",
            "synonyms: [grapefruit, '---']",
            "'---' has no letter or digit to match on",
            id="interaction-name-with-nothing-to-match",
        ),
        pytest.param(
            INTERACTIONS,
            "class: coumarin_anticoagulant\n    source: *coumarin",
            "class: anticoagulant\n    source: *coumarin",
            "class: 'anticoagulant' is not allowed",
            id="interaction-class-unknown",
        ),
    ],
)
def test_a_rule_file_that_trips_a_reference_check_is_refused(
    tmp_path: Path, relpath: str, old: str, new: str, message: str
) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    path = rules / relpath
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(RulesError) as refused:
        load_ruleset(rules, "5.0")
    shown = str(refused.value)
    assert relpath in shown and message in shown, shown
