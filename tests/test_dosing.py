"""The imatinib dose recommendation: every rule branch, both sides of every threshold."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from conftest import RULES, invoke, make_visit, result_of
from gist_tox.errors import RulesError
from gist_tox.ruleset.cases import deep_merge
from gist_tox.ruleset.loader import load_ruleset

SUNITINIB = ["sunitinib"]


def labs(anc: float | None = 3.0, plt: float | None = 200) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if anc is not None:
        out["anc"] = {"value": anc, "unit": "10^9/L", "lln": 1.8}
    if plt is not None:
        out["platelets"] = {"value": plt, "unit": "10^9/L", "lln": 150}
    return out


def rash(bsa: float, symptoms: str = "none", **extra: Any) -> dict[str, Any]:
    return {"morphology": "maculopapular", "bsa_percent": bsa, "symptoms": symptoms, **extra}


RASH_G1 = rash(5)
RASH_G2 = rash(20)
RASH_G3 = rash(40, "moderate")


def episode(
    category: str, dose: int, grade: int = 3, term: str | None = None, date: str = "2024-01-01"
) -> dict[str, Any]:
    term = (
        term
        or {
            "hematologic": "neutrophil_count_decreased",
            "skin": "rash_maculo_papular",
            "other": "febrile_neutropenia",
        }[category]
    )
    return {"date": date, "category": category, "term": term, "grade": grade, "dose_mg": dose}


def drug(dose: int = 400, hold: Any = None, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"current_dose_mg": dose, **extra}
    if hold is not None:
        out["on_hold_for"] = hold
    return out


def full(ctcae: str | None = None, **sections: Any) -> dict[str, Any]:
    sections.setdefault("labs", labs())
    return result_of(make_visit(**sections), ctcae)


def rec(**sections: Any) -> dict[str, Any]:
    return full(**sections)["recommendation"]  # type: ignore[no-any-return]


def rules_of(r: dict[str, Any]) -> list[str]:
    return [reason["rule"].rsplit("/", 1)[-1] for reason in r["reasons"]]


# ------------------------------------------------------------------ contract shape


def test_recommendation_has_exactly_the_contract_keys_and_cited_reasons() -> None:
    r = rec()
    assert set(r) == {
        "action",
        "dose_mg",
        "resume_when",
        "resume_dose_mg",
        "max_dose_mg",
        "caps",
        "alternatives",
        "reasons",
        "review",
    }
    assert r["action"] == "continue" and r["dose_mg"] == 400
    assert r["resume_when"] is None and r["resume_dose_mg"] is None and r["alternatives"] == []
    assert r["max_dose_mg"] is None and r["caps"] == []
    assert r["reasons"] == [
        {
            "rule": "dosing/imatinib-gist/continue",
            "source": "Gleevec USPI section 2 (GIST dosing)",
            "text": "No dose-limiting finding at this visit: continue imatinib 400 mg/day.",
        }
    ]


# ------------------------------------------------------------------ hematologic


@pytest.mark.parametrize(
    ("anc", "plt", "action"),
    [
        (0.999, 200, "hold"),
        (1.0, 200, "continue"),
        (3.0, 49.999, "hold"),
        (3.0, 50, "continue"),
        (0.999, 49, "hold"),
    ],
)
def test_hematologic_hold_thresholds_both_sides(anc: float, plt: float, action: str) -> None:
    r = rec(labs=labs(anc, plt))
    assert r["action"] == action
    if action == "hold":
        assert r["dose_mg"] == 0 and r["resume_dose_mg"] == 400
        assert r["resume_when"] == "ANC >= 1.5 x10^9/L and platelets >= 75 x10^9/L"
        assert rules_of(r)[0] == "hematologic-hold"
        assert "dose adjustments for neutropenia and thrombocytopenia" in r["reasons"][0]["source"]


def test_counts_are_read_exactly_in_any_unit() -> None:
    assert (
        rec(
            labs={
                "anc": {"value": 999, "unit": "/uL"},
                "platelets": {"value": 200, "unit": "10^9/L"},
            }
        )["action"]
        == "hold"
    )
    assert (
        rec(
            labs={
                "anc": {"value": 1000, "unit": "cells/uL"},
                "platelets": {"value": 200, "unit": "10^9/L"},
            }
        )["action"]
        == "continue"
    )


def test_febrile_neutropenia_holds() -> None:
    r = rec(
        labs=labs(0.4, 180),
        fever={"max_temperature": {"value": 39, "unit": "C"}, "hours_at_or_above_38": 2},
    )
    assert r["action"] == "hold" and r["resume_dose_mg"] == 400


def test_grade_1_2_cytopenia_continues_with_monitoring() -> None:
    r = rec(labs=labs(1.2, 140))
    assert r["action"] == "continue" and r["dose_mg"] == 400
    assert rules_of(r) == ["continue", "hematologic-monitoring"]
    assert "weekly for the first month" in r["reasons"][1]["text"]


def test_missing_counts_are_a_warning_not_a_silent_pass() -> None:
    result = full(labs=None)
    r = result["recommendation"]
    assert r["action"] == "continue"
    assert "hematologic-unchecked" in rules_of(r)
    assert any("ANC and platelets not measured" in w for w in result["warnings"])
    assert [item["code"] for item in r["review"]] == ["counts-not-measured"]


def test_nothing_to_review_with_counts_measured() -> None:
    assert rec()["review"] == []


@pytest.mark.parametrize(
    ("dose", "resume", "rule"),
    [
        (800, 600, "hematologic-recurrence-policy"),
        (600, 400, "hematologic-recurrence-policy"),
        (400, 300, "hematologic-recurrence"),
        (300, 200, "hematologic-recurrence-policy"),
        (200, 100, "hematologic-recurrence-policy"),
    ],
)
def test_hematologic_recurrence_at_each_level(dose: int, resume: int, rule: str) -> None:
    r = rec(imatinib=drug(dose), labs=labs(0.8), history=[episode("hematologic", 400)])
    assert (r["action"], r["resume_dose_mg"]) == ("hold", resume)
    assert rules_of(r)[0] == rule
    expected = "EU SmPC 4.2" if rule == "hematologic-recurrence" else "project policy"
    assert r["reasons"][0]["source"].startswith(expected)


def test_hematologic_recurrence_at_100_discontinues_with_sunitinib() -> None:
    r = rec(imatinib=drug(100), labs=labs(0.8), history=[episode("hematologic", 300)])
    assert (r["action"], r["dose_mg"], r["alternatives"]) == ("discontinue", 0, SUNITINIB)
    assert rules_of(r) == ["ladder-stop"]


def test_first_hematologic_episode_at_100_resumes_at_100() -> None:
    r = rec(imatinib=drug(100), labs=labs(0.8))
    assert (r["action"], r["resume_dose_mg"]) == ("hold", 100)


HEME_HOLD: dict[str, Any] = {
    "imatinib": drug(0, "hematologic"),
    "history": [episode("hematologic", 400, 4)],
}


@pytest.mark.parametrize(
    ("anc", "plt", "action"),
    [
        (1.499, 200, "hold"),
        (1.5, 200, "resume"),
        (3.0, 74.999, "hold"),
        (3.0, 75, "resume"),
        (0.5, 20, "hold"),
        (None, 200, "hold"),
        (3.0, None, "hold"),
    ],
)
def test_hematologic_hold_ends_only_at_anc_1_5_and_platelets_75(
    anc: float | None, plt: float | None, action: str
) -> None:
    result = full(labs=labs(anc, plt), **HEME_HOLD)
    r = result["recommendation"]
    assert r["action"] == action
    if action == "hold":
        assert r["resume_dose_mg"] == 400 and rules_of(r)[0] == "hematologic-hold-continues"
    else:
        assert r["dose_mg"] == 400 and rules_of(r)[0] == "hematologic-resume"


def test_continuing_low_counts_during_a_hold_are_not_a_recurrence() -> None:
    r = rec(labs=labs(0.3, 20), **HEME_HOLD)
    assert r["resume_dose_mg"] == 400


def test_hold_after_a_recurrence_resumes_one_level_below() -> None:
    history = [episode("hematologic", 400), episode("hematologic", 400, date="2024-02-01")]
    r = rec(imatinib=drug(0, "hematologic"), labs=labs(2.0, 100), history=history)
    assert (r["action"], r["dose_mg"]) == ("resume", 300)


def test_hold_without_the_episode_in_history_keeps_holding_and_warns() -> None:
    result = full(imatinib=drug(0, "hematologic"), labs=labs(2.0, 100))
    r = result["recommendation"]
    assert r["action"] == "hold" and r["resume_dose_mg"] is None
    assert any("history has no hematologic episode" in w for w in result["warnings"])


# ------------------------------------------------------------------ skin


@pytest.mark.parametrize("skin", [RASH_G1, RASH_G2])
def test_skin_grade_1_2_continues_with_supportive_care(skin: dict[str, Any]) -> None:
    r = rec(skin=skin)
    assert (r["action"], r["dose_mg"]) == ("continue", 400)
    assert rules_of(r) == ["continue", "skin-supportive-care"]
    assert "topical corticosteroid" in r["reasons"][1]["text"]


def test_skin_grade_3_holds_and_resumes_one_level_below() -> None:
    r = rec(skin=RASH_G3)
    assert (r["action"], r["dose_mg"], r["resume_dose_mg"]) == ("hold", 0, 300)
    assert r["resume_when"] == "every skin term is grade <= 1"
    assert rules_of(r) == ["skin-hold"] and "project policy" in r["reasons"][0]["source"]


@pytest.mark.parametrize(("dose", "resume"), [(300, 200), (200, 100), (100, None)])
def test_skin_recurrence_at_each_level(dose: int, resume: int | None) -> None:
    r = rec(imatinib=drug(dose), skin=RASH_G3, history=[episode("skin", 400)])
    if resume is None:
        assert (r["action"], r["alternatives"]) == ("discontinue", SUNITINIB)
    else:
        assert (r["action"], r["resume_dose_mg"]) == ("hold", resume)
        assert rules_of(r)[0] == "skin-recurrence"


def test_first_skin_grade_3_at_100_discontinues() -> None:
    r = rec(imatinib=drug(100), skin=RASH_G3)
    assert (r["action"], r["alternatives"]) == ("discontinue", SUNITINIB)


SKIN_HOLD = {"imatinib": drug(0, "skin"), "history": [episode("skin", 400)]}


@pytest.mark.parametrize(
    ("skin", "action"),
    [
        ({"bsa_percent": 0}, "resume"),
        (RASH_G1, "resume"),
        (RASH_G2, "hold"),
        (RASH_G3, "hold"),
        (None, "hold"),
        ({"morphology": "maculopapular", "clinician_grade": 1}, "resume"),
        ({"bsa_percent": 20}, "hold"),  # rash without a morphology: not gradable keeps the hold
    ],
)
def test_skin_hold_ends_only_at_grade_1_or_less(skin: dict[str, Any] | None, action: str) -> None:
    r = rec(skin=skin, **SKIN_HOLD)
    assert r["action"] == action
    if action == "resume":
        assert r["dose_mg"] == 300 and rules_of(r)[0] == "skin-resume"
    else:
        assert r["resume_dose_mg"] == 300 and rules_of(r)[0] == "skin-hold-continues"


@pytest.mark.parametrize(
    "skin",
    [
        {"morphology": "bullous", "bsa_percent": 5, "detachment_bsa_percent": 5},  # SJS grade 3
        {"morphology": "bullous", "bsa_percent": 50, "detachment_bsa_percent": 40},  # TEN
        {"morphology": "erythroderma", "bsa_percent": 95, "icu_or_burn_unit": True},  # grade 4
    ],
)
def test_sjs_ten_or_grade_4_skin_discontinues_permanently(skin: dict[str, Any]) -> None:
    r = rec(skin=skin)
    assert (r["action"], r["dose_mg"], r["alternatives"]) == ("discontinue", 0, SUNITINIB)
    assert rules_of(r)[0] == "skin-discontinue"


def test_sjs_in_history_keeps_imatinib_stopped() -> None:
    r = rec(history=[episode("skin", 400, 3, "stevens_johnson_syndrome")])
    assert r["action"] == "discontinue"


def test_skin_dose_cap_reduces_a_dose_above_it() -> None:
    r = rec(history=[episode("skin", 400)])
    assert (r["action"], r["dose_mg"]) == ("reduce", 300)
    assert rules_of(r) == ["skin-dose-cap"]
    assert rec(imatinib=drug(300), history=[episode("skin", 400)])["action"] == "continue"


def test_cap_is_below_the_lowest_dose_that_caused_a_grade_3_rash() -> None:
    history = [episode("skin", 400), episode("skin", 300, date="2024-02-01")]
    r = rec(imatinib=drug(300), history=history)
    assert (r["action"], r["dose_mg"]) == ("reduce", 200)


def test_cap_after_a_grade_3_rash_at_100_stops() -> None:
    r = rec(imatinib=drug(100), history=[episode("skin", 100)])
    assert (r["action"], r["alternatives"]) == ("discontinue", SUNITINIB)


def test_hematologic_resume_is_capped_by_the_skin_cap() -> None:
    history = [episode("skin", 400), episode("hematologic", 300, date="2024-02-01")]
    r = rec(imatinib=drug(0, "hematologic"), labs=labs(2.0, 100), history=history)
    assert (r["action"], r["dose_mg"]) == ("resume", 300)
    history = [episode("skin", 300), episode("hematologic", 400, date="2024-02-01")]
    r = rec(imatinib=drug(0, "hematologic"), labs=labs(2.0, 100), history=history)
    assert (r["action"], r["dose_mg"]) == ("resume", 200)


def test_not_gradable_skin_fires_no_rule() -> None:
    result = full(skin={"bsa_percent": 40})
    assert result["grades"]["rash_maculo_papular"]["grade"] is None
    assert result["recommendation"]["action"] == "continue"


def test_skin_rules_are_generic_over_category_v6_exfoliative_dermatitis() -> None:
    result = full(
        "6.0", skin={"morphology": "exfoliative", "bsa_percent": 95, "intervention": "iv"}
    )
    assert result["grades"]["exfoliative_dermatitis"]["grade"] == 3
    r = result["recommendation"]
    assert (r["action"], r["resume_dose_mg"]) == ("hold", 300)


# ------------------------------------------------------------------ combining


def test_heme_and_skin_at_the_same_visit_hold_with_the_lowest_resume_dose() -> None:
    r = rec(labs=labs(0.3, 140), skin=RASH_G3)
    assert (r["action"], r["resume_dose_mg"]) == ("hold", 300)
    assert "ANC >= 1.5" in r["resume_when"] and "skin term is grade <= 1" in r["resume_when"]
    assert set(rules_of(r)) == {"hematologic-hold", "skin-hold"}


def test_hold_for_both_ends_only_when_both_have_recovered() -> None:
    both = {
        "imatinib": drug(0, ["hematologic", "skin"]),
        "history": [episode("hematologic", 400, 4), episode("skin", 400)],
    }
    assert rec(labs=labs(2.0, 150), skin=RASH_G2, **both)["action"] == "hold"
    assert rec(labs=labs(1.2, 150), skin=RASH_G1, **both)["action"] == "hold"
    r = rec(labs=labs(2.0, 150), skin=RASH_G1, **both)
    assert (r["action"], r["dose_mg"]) == ("resume", 300)


def test_new_hematologic_episode_during_a_skin_hold_keeps_the_hold() -> None:
    r = rec(labs=labs(0.5, 150), skin=RASH_G1, **SKIN_HOLD)
    assert (r["action"], r["resume_dose_mg"]) == ("hold", 300)
    assert "ANC >= 1.5" in r["resume_when"]


def test_hold_for_other_is_kept_and_said() -> None:
    result = full(imatinib=drug(0, "other"), history=[episode("other", 400)])
    r = result["recommendation"]
    assert (r["action"], r["resume_dose_mg"]) == ("hold", 400)
    assert "clinician" in r["resume_when"]
    assert any("clinician ends that hold" in w for w in result["warnings"])


def test_discontinue_outranks_hold() -> None:
    r = rec(
        labs=labs(0.3),
        skin={"morphology": "bullous", "bsa_percent": 5, "detachment_bsa_percent": 5},
    )
    assert r["action"] == "discontinue" and rules_of(r)[0] == "skin-discontinue"


# ------------------------------------------------------------------ progression


PROGRESSION = drug(400, disease_status="progression")


def test_progression_on_400_without_severe_reaction_escalates_to_800() -> None:
    r = rec(imatinib=PROGRESSION)
    assert (r["action"], r["dose_mg"], r["alternatives"]) == ("escalate", 800, [])
    assert "400 mg twice daily" in r["reasons"][0]["text"]


def test_grade_1_2_findings_do_not_block_escalation() -> None:
    r = rec(imatinib=PROGRESSION, skin=RASH_G2, labs=labs(1.2, 140))
    assert (r["action"], r["dose_mg"]) == ("escalate", 800)


@pytest.mark.parametrize(
    ("sections", "why"),
    [
        (
            {
                "imatinib": drug(300, disease_status="progression"),
                "history": [episode("skin", 400)],
            },
            "dose cap",
        ),
        ({"imatinib": drug(300, disease_status="progression")}, "below the starting dose"),
        ({"imatinib": PROGRESSION, "history": [episode("hematologic", 400, 4)]}, "grade 4"),
        ({"imatinib": PROGRESSION, "labs": labs(None, 200)}, "ANC measured"),
        ({"imatinib": drug(800, disease_status="progression")}, "from 400 mg/day"),
    ],
)
def test_progression_with_a_cap_or_severe_history_does_not_escalate(
    sections: dict[str, Any], why: str
) -> None:
    r = rec(**sections)
    assert r["action"] in ("continue", "reduce")
    assert r["alternatives"] == SUNITINIB
    reason = next(x for x in r["reasons"] if x["rule"].endswith("progression-no-escalation"))
    assert why in reason["text"]


def test_progression_with_a_grade_3_finding_holds_and_names_sunitinib() -> None:
    r = rec(imatinib=PROGRESSION, skin=RASH_G3)
    assert (r["action"], r["alternatives"]) == ("hold", SUNITINIB)


def test_adjuvant_progression_is_a_recurrence_no_escalation_and_restaging() -> None:
    result = full(imatinib=drug(400, indication="gist-adjuvant", disease_status="progression"))
    r = result["recommendation"]
    assert (r["action"], r["dose_mg"], r["alternatives"]) == ("continue", 400, SUNITINIB)
    assert rules_of(r) == ["progression-adjuvant"]
    assert any("re-staging" in w for w in result["warnings"])


# ------------------------------------------------------------------ rules as data


def _copy_rules(tmp_path: Path) -> Path:
    target = tmp_path / "rules"
    shutil.copytree(RULES, target)
    return target


def test_numbers_come_from_the_rule_file(tmp_path: Path) -> None:
    rules = _copy_rules(tmp_path)
    path = rules / "dosing" / "imatinib-gist.yaml"
    path.write_text(path.read_text().replace("hold_below: {anc: 1.0,", "hold_below: {anc: 0.5,"))
    visit = make_visit(labs=labs(0.8))
    assert result_of(visit, rules=rules)["recommendation"]["action"] == "continue"
    assert result_of(visit)["recommendation"]["action"] == "hold"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "ladder_mg: [800, 600, 400, 300, 200, 100]",
            "ladder_mg: [800, 400, 600]",
            "strictly decreasing",
        ),
        ("  continue:\n", "  contineu:\n", "missing continue"),
        ("regimen: 400 mg twice daily", "regimen: 400 mg twice daily\n  typo: 1", "unknown field"),
        (
            "continue imatinib {dose} mg/day",
            "continue imatinib {dosage} mg/day",
            "unknown placeholder",
        ),
        (
            "{term} grade <= {resume_grade} (listed in other_events)",
            "{term} grade <= {resume_at} (listed in other_events)",
            "unknown placeholder {resume_at}",
        ),
        ("    - skin.icu_or_burn_unit\n", "    - skin.icu_burn_unit\n", "not a yes/no finding"),
        ("  counts-not-measured:\n", "  counts-unmeasured:\n", "review: missing"),
        ("  overruled-dose:\n", "  overruled-doses:\n", "notes: missing"),
    ],
)
def test_a_broken_dosing_file_is_refused_naming_file_and_problem(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    rules = _copy_rules(tmp_path)
    path = rules / "dosing" / "imatinib-gist.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))
    with pytest.raises(RulesError) as info:
        load_ruleset(rules)
    assert "imatinib-gist.yaml" in info.value.one_line() and message in info.value.one_line()


def test_grade_table_shows_the_recommendation_panel_with_reasons() -> None:
    from conftest import EXAMPLES

    run = invoke(["grade", "-v", str(EXAMPLES / "hwang-2010-worst-visit.yaml")])
    assert run.exit_code == 0, run.output
    assert "HOLD" in run.stdout and "dosing/imatinib-gist/skin-hold" in run.stdout
    assert run.stdout.index("recommendation") < run.stdout.index("Febrile neutropenia")


def test_a_hold_without_a_reason_is_kept_for_the_clinician() -> None:
    result = full(imatinib=drug(0), history=[episode("hematologic", 400)])
    r = result["recommendation"]
    assert r["action"] == "hold" and "clinician" in r["resume_when"]
    assert any("unknown reason" in w for w in result["warnings"])


# --------------------------------------------------------------------------------------------
# Hematologic dosing reads counts: the same recommendation under both CTCAE versions, at the
# counts where the two versions grade differently.


def _anc(value: float) -> dict[str, Any]:
    return {"anc": {"value": value, "unit": "10^9/L"}}


def _plt(value: float) -> dict[str, Any]:
    return {"platelets": {"value": value, "unit": "10^9/L"}}


HEME_VISITS = [
    {"labs": {**_anc(0.7), **_plt(200)}},
    {"labs": {**_anc(0.3), **_plt(24)}},
    {"labs": {**_anc(1.2), **_plt(60)}},
    {"labs": {**_anc(2.0), **_plt(40)}},
    {"labs": {**_anc(0.999), **_plt(49.9)}},
    {"labs": {**_anc(1.0), **_plt(50)}},
    {"labs": {**_anc(3.0), **_plt(9)}},
    {
        "labs": {**_anc(0.8), **_plt(150)},
        "fever": {"max_temperature": {"value": 39, "unit": "C"}, "hours_at_or_above_38": 3},
    },
    {
        "labs": {**_anc(1.6), **_plt(80)},
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
        "labs": {**_anc(1.6), **_plt(80)},
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
