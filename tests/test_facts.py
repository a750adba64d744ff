"""Normalising a visit into facts: exact units, derived ANC, LLN defaults, contract defaults."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest

from conftest import make_visit
from gist_tox.facts import FIELDS, build_facts, missing_reason
from gist_tox.visit import Visit

DEFAULT_LLN = {"anc": (Fraction(18, 10), "test anc"), "platelets": (Fraction(150), "test plt")}


def facts_of(**sections: Any) -> Any:
    return build_facts(Visit.model_validate(make_visit(**sections)), DEFAULT_LLN)


def test_counts_are_exact_in_10e9_per_l_with_a_note() -> None:
    facts = facts_of(
        labs={
            "anc": {"value": 999, "unit": "/uL"},
            "platelets": {"value": 74999, "unit": "/mm3", "lln": 140000},
        }
    )
    assert facts.values["labs.anc"] == Fraction(999, 1000)
    assert facts.values["labs.platelets"] == Fraction(74999, 1000)
    assert facts.values["labs.platelets.lln"] == 140  # the lab's LLN, in the value's unit
    assert "converted exactly" in facts.notes["labs.anc"]


@pytest.mark.parametrize(
    ("differential", "expected"),
    [
        pytest.param({"neutrophils_percent": 40}, Fraction(8, 10), id="neutrophils-only"),
        pytest.param(
            {"neutrophils_percent": 40, "bands_percent": 10}, Fraction(1), id="with-bands"
        ),
    ],
)
def test_anc_is_derived_from_wbc_times_neutrophils_plus_bands(
    differential: dict[str, float], expected: Fraction
) -> None:
    facts = facts_of(labs={"wbc": {"value": 2000, "unit": "cells/uL"}, **differential})
    assert facts.values["labs.anc"] == expected
    assert facts.notes["labs.anc"].startswith("derived: WBC 2000 cells/uL x (neutrophils 40%")


def test_wbc_without_differential_leaves_anc_missing_with_a_note() -> None:
    facts = facts_of(labs={"wbc": {"value": 2.0, "unit": "10^9/L"}})
    assert "labs.anc" not in facts.values
    assert "cannot be derived" in facts.notes["labs.anc"]


def test_measured_anc_wins_over_differential_with_a_warning() -> None:
    facts = facts_of(
        labs={
            "anc": {"value": 0.9, "unit": "10^9/L"},
            "wbc": {"value": 2.0, "unit": "10^9/L"},
            "neutrophils_percent": 60,
        }
    )
    assert facts.values["labs.anc"] == Fraction(9, 10)
    assert any("measured ANC is used" in w for w in facts.warnings)


def test_lab_lln_is_used_else_the_rules_default_is_reported() -> None:
    own = facts_of(labs={"anc": {"value": 1.6, "unit": "10^9/L", "lln": 2.0}})
    assert own.values["labs.anc.lln"] == 2 and "labs.anc.lln" not in own.notes
    default = facts_of(labs={"anc": {"value": 1.6, "unit": "10^9/L"}})
    assert default.values["labs.anc.lln"] == Fraction(18, 10)
    assert "no lab LLN: default 1.8" in default.notes["labs.anc.lln"]


def test_fahrenheit_is_converted_exactly() -> None:
    facts = facts_of(fever={"max_temperature": {"value": 100.4, "unit": "F"}})
    assert facts.values["fever.max_temperature"] == 38
    assert "fever.hours_at_or_above_38" not in facts.values


def test_skin_defaults_inside_a_present_section() -> None:
    facts = facts_of(skin={"morphology": "maculopapular", "bsa_percent": 5})
    v = facts.values
    assert v["skin.symptoms"] == "none" and v["skin.adl_limitation"] == "none"
    assert v["skin.detachment_bsa_percent"] == 0
    assert v["skin.tenderness"] is False and v["skin.mucosal_involvement"] is False
    assert v["skin.icu_or_burn_unit"] is False


def test_missing_sections_stay_missing() -> None:
    facts = facts_of()
    assert "skin.bsa_percent" not in facts.values and "labs.anc" not in facts.values
    assert "labs.anc" not in facts.values_for(["x"])["x"]


def test_consequences_are_per_term() -> None:
    facts = facts_of(consequences={"died": True})
    views = facts.values_for(
        ["erythroderma", "febrile_neutropenia"], {"consequences.died": {"erythroderma": True}}
    )
    assert views["erythroderma"]["consequences.died"] is True
    assert views["febrile_neutropenia"]["consequences.died"] is False


def test_every_field_has_a_label_and_missing_reasons_name_the_field() -> None:
    assert all(info.label for info in FIELDS.values())
    assert "fever.hours_at_or_above_38" in missing_reason("fever.hours_at_or_above_38")
    assert "duration of fever unknown" in missing_reason("fever.hours_at_or_above_38")
    assert missing_reason("skin.tenderness").startswith("skin findings absent")


def test_a_tiny_count_in_a_per_microlitre_unit_is_flagged_not_silently_graded() -> None:
    from conftest import make_visit, result_of

    flagged = result_of(make_visit(labs={"platelets": {"value": 100, "unit": "/uL"}}))
    # Still graded as written (0.1 x10^9/L), but the unit is questioned.
    assert flagged["grades"]["platelet_count_decreased"]["grade"] == 4
    assert any(
        "labs.platelets is 100 /uL" in w and "check the unit" in w for w in flagged["warnings"]
    )
    anc = result_of(make_visit(labs={"anc": {"value": 1.2, "unit": "cells/uL"}}))
    assert any("labs.anc is 1.2 cells/uL" in w for w in anc["warnings"])
    real = result_of(make_visit(labs={"platelets": {"value": 1000, "unit": "/uL"}}))
    assert not any("check the unit" in w for w in real["warnings"])
    plain = result_of(make_visit(labs={"anc": {"value": 450, "unit": "/mm3"}}))
    assert not any("check the unit" in w for w in plain["warnings"])


def test_per_term_values_reach_only_their_term_and_leave_the_facts_as_they_were() -> None:
    facts = facts_of(
        labs={"anc": {"value": 0.8, "unit": "10^9/L"}},
        consequences={"died": True, "life_threatening": True},
    )
    before = dict(facts.values)
    per_term = {
        "consequences.died": {"erythroderma": True},
        "consequences.life_threatening": {"febrile_neutropenia": True, "erythroderma": True},
    }
    views = facts.values_for(
        ["erythroderma", "febrile_neutropenia", "neutrophil_count_decreased"], per_term
    )
    assert views["erythroderma"]["consequences.died"] is True
    assert views["febrile_neutropenia"]["consequences.died"] is False
    assert views["febrile_neutropenia"]["consequences.life_threatening"] is True
    assert views["neutrophil_count_decreased"]["consequences.life_threatening"] is False
    assert all(view["labs.anc"] == facts.values["labs.anc"] for view in views.values())
    assert facts.values == before


def test_facts_records_are_read_only_where_shared_and_survive_pickling() -> None:
    import pickle

    info = FIELDS["labs.anc"]
    with pytest.raises(AttributeError):
        info.unit = "/uL"
    assert pickle.loads(pickle.dumps(info)) == info
    assert hash(pickle.loads(pickle.dumps(info))) == hash(info)
    facts = facts_of(labs={"anc": {"value": 0.8, "unit": "10^9/L"}})
    assert pickle.loads(pickle.dumps(facts)) == facts
    assert "labs.anc" in repr(facts)
