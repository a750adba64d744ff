"""Co-medication names (``comedications.py``): the contract's normalisation, and matching
against the interaction list.  Whole-visit behaviour (advice, the inducer dose on the ladder,
warnings) is in the golden cases ``cases/dosing/imatinib-gist-comedications.yaml``."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import RULES
from gist_tox.comedications import match, normalise
from gist_tox.ruleset.interactions import InteractionList
from gist_tox.ruleset.loader import load_ruleset, read_rule_file


@pytest.mark.parametrize(
    ("name", "normal"),
    [
        ("St. John's Wort", "st johns wort"),
        ("ST JOHN\u2019S WORT", "st johns wort"),
        ("st_johns_wort", "st johns wort"),
        ("  Lopinavir/Ritonavir ", "lopinavir ritonavir"),
        ("L-thyroxine", "l thyroxine"),
        ("\uff32\uff49\uff46\uff41\uff4d\uff50\uff49\uff4e", "rifampin"),  # full-width: NFKC
        ("Stra\u00dfe", "strasse"),  # case-folded, not only lower-cased
        ("5-FU", "5 fu"),
        ("...", ""),
    ],
)
def test_normalise_as_the_contract_says(name: str, normal: str) -> None:
    assert normalise(name) == normal


@given(st.text(max_size=40))
def test_normalise_is_idempotent(name: str) -> None:
    once = normalise(name)
    assert normalise(once) == once


@given(st.text(max_size=40))
def test_a_normal_form_is_lower_case_words_of_letters_and_digits(name: str) -> None:
    normal = normalise(name)
    assert all(word.isascii() and word.isalnum() for word in normal.split(" ") if normal)
    assert normal == normal.strip() and "  " not in normal


def test_every_id_and_synonym_of_the_shipped_list_matches_its_own_entry() -> None:
    listing = read_rule_file(RULES, RULES / "interactions.yaml", InteractionList).model
    assert isinstance(listing, InteractionList)
    found = load_ruleset(RULES).interactions
    for entry in listing.entries:
        for name in (entry.id, *entry.synonyms):
            warnings: list[str] = []
            [item] = match([name], found, warnings)
            assert item.entry is not None and warnings == [], name
            assert (item.entry.id, item.entry.class_) == (entry.id, entry.class_), name
