"""Replaying a patient timeline: derived hold state and history, the published case end to end,
and the dose-safety property over generated visit sequences."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import EXAMPLES, RULES, invoke
from gist_tox.pipeline import RuleSets
from gist_tox.timeline import load_patient, replay

HWANG = EXAMPLES / "hwang-2010" / "patient.yaml"
LADDER = [800, 600, 400, 300, 200, 100]


def below(dose: int) -> int:
    lower = [d for d in LADDER if d < dose]
    return lower[0] if lower else 0


def timeline_of(patient: dict[str, Any]) -> dict[str, Any]:
    run = invoke(["timeline", "--format", "json", "-"], input=json.dumps(patient, default=str))
    assert run.exit_code == 0, run.output
    return json.loads(run.stdout)  # type: ignore[no-any-return]


def patient_with(visits: list[dict[str, Any]], **treatment: Any) -> dict[str, Any]:
    return {
        "patient": {"id": "T-1"},
        "treatment": {
            "indication": "gist-metastatic",
            "start": "2024-01-01",
            "starting_dose_mg": 400,
            **treatment,
        },
        "visits": [
            {"date": f"2024-{1 + i // 28:02d}-{1 + i % 28:02d}", **v} for i, v in enumerate(visits)
        ],
    }


def counts(anc: float | None, plt: float | None = 200) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if anc is not None:
        out["anc"] = {"value": anc, "unit": "10^9/L"}
    if plt is not None:
        out["platelets"] = {"value": plt, "unit": "10^9/L"}
    return {"labs": out}


OK = {**counts(3.0), "skin": {"bsa_percent": 0}}
RASH3 = {
    **counts(3.0),
    "skin": {"morphology": "maculopapular", "bsa_percent": 40, "symptoms": "moderate"},
}


def steps(data: dict[str, Any]) -> list[tuple[str, int, int | None]]:
    return [
        (
            v["recommendation"]["action"],
            v["recommendation"]["dose_mg"],
            v["recommendation"]["resume_dose_mg"],
        )
        for v in data["visits"]
    ]


# ------------------------------------------------------------------ the published case


@pytest.mark.parametrize("ctcae", ["5.0", "6.0"])
def test_published_case_reproduces_the_management(ctcae: str) -> None:
    run = invoke(["timeline", "--format", "json", "--ctcae", ctcae, str(HWANG)])
    assert run.exit_code == 0, run.output
    data = json.loads(run.stdout)
    assert data["format"] == "gist-tox/timeline@1" and data["patient_id"] == "HWANG-2010"
    assert all(v["format"] == "gist-tox/result@1" for v in data["visits"])
    assert steps(data) == [
        ("continue", 400, None),
        ("continue", 400, None),
        ("hold", 0, 300),  # grade 4 febrile neutropenia + grade 3 rash at 400
        ("hold", 0, 300),  # recovering: ANC 1.2, rash grade 2
        ("resume", 300, None),  # recovered
        ("hold", 0, 200),  # the rash recurs at 300
        ("resume", 200, None),
        ("hold", 0, 100),  # and again at 200
        ("resume", 100, None),
        ("continue", 100, None),
        ("continue", 100, None),  # 100 mg/day kept, partial response
    ]
    worst = data["visits"][2]
    assert worst["grades"]["febrile_neutropenia"]["grade"] == 4
    assert worst["grades"]["rash_maculo_papular"]["grade"] == 3
    rules = {r["rule"].rsplit("/", 1)[-1] for r in worst["recommendation"]["reasons"]}
    assert rules == {"hematologic-hold", "skin-hold"}
    assert not any(v["recommendation"]["action"] == "escalate" for v in data["visits"])


def test_published_case_table_has_one_row_per_visit() -> None:
    run = invoke(["timeline", str(HWANG)])
    assert run.exit_code == 0, run.output
    rows = [line for line in run.stdout.splitlines() if line.startswith("│20")]
    assert len(rows) == 11
    assert rows[2].split("│")[2].strip().startswith("4 Febrile") and "hold" in rows[2]
    assert rows[-1].split("│")[3].strip() == "continue" and "100" in rows[-1]


def test_a_visit_under_review_is_marked_in_its_row_and_its_reasons_listed() -> None:
    patient = patient_with([OK, {"skin": {"bsa_percent": 0}}])
    run = invoke(["timeline", "-"], input=json.dumps(patient, default=str))
    assert run.exit_code == 0, run.output
    lines = run.stdout.splitlines()
    row = next(i for i, line in enumerate(lines) if line.startswith("│2024-01-02"))
    assert "!! review" in lines[row + 1] and "!! review" not in lines[row - 1]
    assert any(
        line.startswith("!! review (2024-01-02): Blood counts not measured") for line in lines
    )


def test_progression_on_the_capped_dose_names_sunitinib_never_escalates() -> None:
    patient = load_patient(str(HWANG))
    raw = patient.model_dump(mode="json", exclude_none=True)
    raw["visits"].append(
        {
            "date": "2010-06-01",
            "disease_status": "progression",
            **counts(3.0),
            "skin": {"bsa_percent": 0},
        }
    )
    last = timeline_of(raw)["visits"][-1]["recommendation"]
    assert (last["action"], last["dose_mg"], last["alternatives"]) == (
        "continue",
        100,
        ["sunitinib"],
    )


# ------------------------------------------------------------------ derived state


def test_history_and_hold_state_are_derived_from_earlier_recommendations() -> None:
    data = timeline_of(
        patient_with([counts(0.8), counts(1.2), counts(1.6), counts(0.9), counts(2.0)])
    )
    assert steps(data) == [
        ("hold", 0, 400),
        ("hold", 0, 400),
        ("resume", 400, None),
        ("hold", 0, 300),
        ("resume", 300, None),
    ]
    fourth = data["visits"][3]["recommendation"]["reasons"][0]
    assert fourth["rule"].endswith("hematologic-recurrence")


def test_after_discontinuation_imatinib_stays_stopped() -> None:
    sjs = {
        **counts(3.0),
        "skin": {"morphology": "bullous", "bsa_percent": 5, "detachment_bsa_percent": 5},
    }
    data = timeline_of(patient_with([sjs, OK, OK]))
    assert [s[0] for s in steps(data)] == ["discontinue"] * 3


def test_sjs_during_a_skin_hold_stops_for_good() -> None:
    sjs = {
        **counts(3.0),
        "skin": {"morphology": "bullous", "bsa_percent": 5, "detachment_bsa_percent": 5},
    }
    data = timeline_of(patient_with([RASH3, sjs, OK, OK]))
    assert [s[0] for s in steps(data)] == ["hold", "discontinue", "discontinue", "discontinue"]


def test_skin_recurrences_step_down_to_a_stop() -> None:
    data = timeline_of(patient_with([RASH3, OK, RASH3, OK, RASH3, OK, RASH3, OK]))
    assert steps(data) == [
        ("hold", 0, 300),
        ("resume", 300, None),
        ("hold", 0, 200),
        ("resume", 200, None),
        ("hold", 0, 100),
        ("resume", 100, None),
        ("discontinue", 0, None),
        ("discontinue", 0, None),
    ]


def test_escalation_on_progression_then_no_second_escalation() -> None:
    prog = {**OK, "disease_status": "progression"}
    data = timeline_of(patient_with([prog, prog]))
    assert steps(data) == [("escalate", 800, None), ("continue", 800, None)]


def test_adjuvant_timeline_never_escalates() -> None:
    prog = {**OK, "disease_status": "progression"}
    data = timeline_of(patient_with([prog], indication="gist-adjuvant"))
    assert steps(data) == [("continue", 400, None)]
    assert any("re-staging" in w for w in data["visits"][0]["warnings"])


def test_output_file_and_error_exit(tmp_path: Path) -> None:
    out = tmp_path / "t.json"
    run = invoke(["timeline", "--format", "json", "--output", str(out), str(HWANG)])
    assert run.exit_code == 0 and json.loads(out.read_text())["patient_id"] == "HWANG-2010"
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "patient: {id: X}\ntreatment: {indication: gist-metastatic, start: 2024-01-01,"
        " starting_dose_mg: 400}\nvisits:\n  - date: 2024-01-02\n    history: []\n"
    )
    run = invoke(["timeline", str(bad)])
    assert run.exit_code == 2
    assert "bad.yaml" in run.stderr and "visits[0].history" in run.stderr
    assert "Traceback" not in run.output


def test_a_visit_file_is_one_line_that_points_to_grade() -> None:
    run = invoke(["timeline", str(EXAMPLES / "hwang-2010-worst-visit.yaml")])
    assert run.exit_code == 2
    assert run.stderr.splitlines() == [
        f"gist-tox: {EXAMPLES / 'hwang-2010-worst-visit.yaml'}:5:1: format: this is a single"
        " visit (gist-tox/visit@1), not a patient timeline; run `gist-tox grade` on it"
    ]


# ------------------------------------------------------------------ the safety property

_RULESETS = RuleSets(RULES)

_visit = st.fixed_dictionaries(
    {
        "labs": st.fixed_dictionaries(
            {
                "anc": st.sampled_from([0.4, 0.99, 1.0, 1.3, 1.5, 3.0]).map(
                    lambda v: {"value": v, "unit": "10^9/L"}
                ),
                "platelets": st.sampled_from([20, 49, 50, 74, 75, 200]).map(
                    lambda v: {"value": v, "unit": "10^9/L"}
                ),
            }
        ),
        "skin": st.sampled_from(
            [
                {"bsa_percent": 0},
                {"morphology": "maculopapular", "bsa_percent": 5},
                {"morphology": "maculopapular", "bsa_percent": 20},
                {"morphology": "maculopapular", "bsa_percent": 40, "symptoms": "moderate"},
                {"morphology": "exfoliative", "bsa_percent": 95, "symptoms": "severe"},
                {"morphology": "bullous", "bsa_percent": 5, "detachment_bsa_percent": 5},
            ]
        ),
        "disease_status": st.sampled_from(["responding", "progression", "stable"]),
    }
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    visits=st.lists(_visit, min_size=1, max_size=10),
    indication=st.sampled_from(["gist-unresectable", "gist-metastatic", "gist-adjuvant"]),
)
def test_dose_never_exceeds_the_skin_cap_nor_rises_after_a_severe_event(
    visits: list[dict[str, Any]], indication: str
) -> None:
    raw = patient_with(visits, indication=indication)
    patient = load_patient("p.json", text=json.dumps(raw))
    evaluations = replay(patient, _RULESETS, "p.json")
    actions = [e.recommendation.action for e in evaluations]
    if "discontinue" in actions:  # once stopped, imatinib stays stopped
        assert set(actions[actions.index("discontinue") :]) == {"discontinue"}
    for evaluation in evaluations:
        rec = evaluation.recommendation
        episodes = [*evaluation.visit.history, *rec.new_episodes]
        dose = rec.resume_dose_mg if rec.action == "hold" else rec.dose_mg
        dose = dose or 0
        heme_seen = 0
        for e in episodes:
            if e.grade < 3:
                continue
            if e.category == "skin":
                # never above one level below a dose that caused a grade >= 3 skin episode
                assert dose <= below(e.dose_mg), (e, rec.as_json())
            else:
                heme_seen += 1
                # the first hematologic episode may resume at its dose, never above it;
                # a recurrence steps below it
                limit = e.dose_mg if heme_seen == 1 else below(e.dose_mg)
                assert dose <= limit, (e, rec.as_json())
        if episodes:
            assert rec.action != "escalate"


def test_each_visit_result_names_its_place_in_the_file_and_errors_do_too(tmp_path: Path) -> None:
    data = timeline_of(patient_with([OK, OK]))
    assert [v["source"] for v in data["visits"]] == ["-:visits[0]", "-:visits[1]"]
    ambiguous = {
        **counts(0.3),
        "fever": {"max_temperature": {"value": 39, "unit": "C"}, "hours_at_or_above_38": 2},
        "consequences": {"life_threatening": True},
        "skin": {"morphology": "exfoliative", "bsa_percent": 95, "intervention": "iv"},
    }
    run = invoke(
        ["timeline", "--ctcae", "6.0", "-"], input=json.dumps(patient_with([OK, ambiguous]))
    )
    assert run.exit_code == 2
    assert "visits[1]" in run.stderr and "ambiguous" in run.stderr


def test_a_hepatic_episode_is_derived_held_resumed_and_capped() -> None:
    """Extension A: the timeline derives hepatic holds and caps as it does the others."""
    import yaml

    from gist_tox.patient import Patient
    from gist_tox.pipeline import RuleSets
    from gist_tox.timeline import replay
    from gist_tox.validators import validate

    cbc = {"anc": {"value": 3.0, "unit": "10^9/L"}, "platelets": {"value": 200, "unit": "10^9/L"}}

    def liver(alt: float) -> dict[str, object]:
        return {
            **cbc,
            "alt": {"value": alt, "unit": "U/L", "uln": 40},
            "ast": {"value": 30, "unit": "U/L", "uln": 40},
            "bilirubin": {"value": 10, "unit": "umol/L", "uln": 21},
        }

    patient = {
        "patient": {"id": "T-LIVER"},
        "treatment": {
            "indication": "gist-metastatic",
            "start": "2025-01-06",
            "starting_dose_mg": 400,
        },
        "visits": [
            {"date": "2025-03-03", "labs": liver(212)},
            {"date": "2025-03-24", "labs": liver(95)},
            {"date": "2025-09-01", "labs": liver(30)},
        ],
    }
    parsed = validate(Patient, yaml.safe_load(yaml.safe_dump(patient)))
    steps = [e.recommendation.as_json() for e in replay(parsed, RuleSets(), "p.yaml")]
    assert [(r["action"], r["dose_mg"], r["max_dose_mg"]) for r in steps] == [
        ("hold", 0, None),
        ("resume", 300, 300),
        ("continue", 300, 300),
    ]


def test_a_worse_finding_during_a_hepatic_hold_raises_its_episode_to_clinician_decided() -> None:
    """Extension A, "History and holds": ALT 22.5 x ULN (grade 4) during a hold for a grade 3
    episode raises that episode's grade, so the hold no longer ends by itself."""
    cbc = {"anc": {"value": 3.0, "unit": "10^9/L"}, "platelets": {"value": 200, "unit": "10^9/L"}}

    def liver(alt: float) -> dict[str, Any]:
        return {
            "labs": {
                **cbc,
                "alt": {"value": alt, "unit": "U/L", "uln": 40},
                "ast": {"value": 30, "unit": "U/L", "uln": 40},
                "bilirubin": {"value": 10, "unit": "umol/L", "uln": 21},
            }
        }

    data = timeline_of(patient_with([liver(212), liver(900), liver(95)]))
    recs = [v["recommendation"] for v in data["visits"]]
    assert [(r["action"], r["resume_dose_mg"], r["alternatives"]) for r in recs] == [
        ("hold", 300, []),
        ("hold", 300, ["sunitinib"]),
        ("hold", 300, ["sunitinib"]),
    ]
    assert recs[2]["reasons"][0]["rule"].endswith("/hepatic-clinician")
    assert "record it in history" in " ".join(data["visits"][1]["warnings"])


# ------------------------------------------------------------------ held-out-style timelines
# Written from the sources only (the label summary, the project's policy, the visit contract).

SKIN_CLEAR = {"skin": {"morphology": "maculopapular", "bsa_percent": 0}}
SKIN_G1 = {"skin": {"morphology": "maculopapular", "bsa_percent": 5}}
SKIN_G2 = {"skin": {"morphology": "maculopapular", "bsa_percent": 20, "symptoms": "mild"}}
SKIN_G3 = {
    "skin": {
        "morphology": "maculopapular",
        "bsa_percent": 60,
        "symptoms": "moderate",
        "adl_limitation": "self_care",
    }
}
EM_G3 = {"skin": {"morphology": "target_lesions", "bsa_percent": 40, "mucosal_involvement": True}}
SJS = {"skin": {"morphology": "bullous", "bsa_percent": 10, "detachment_bsa_percent": 5}}
PROGRESSION = {"disease_status": "progression"}


@pytest.mark.parametrize("ctcae", ["5.0", "6.0"])
def test_hematologic_recurrence_steps_down_by_the_label(ctcae: str) -> None:
    visits = [
        counts(3.0),
        counts(0.6),  # first episode at 400: hold, back to 400
        counts(1.4),  # still below 1.5: keep holding
        counts(1.6, 80),  # recovered: resume 400 (the dose before)
        counts(0.7),  # recurrence at 400: hold, resume at 300 (label)
        counts(1.8, 74),  # platelets below 75: keep holding
        counts(1.8, 75),  # recovered: resume 300
        {**counts(3.0), **PROGRESSION},  # capped: no escalation
    ]
    data = timeline_of({**patient_with(visits), "ctcae_version": ctcae})
    assert steps(data) == [
        ("continue", 400, None),
        ("hold", 0, 400),
        ("hold", 0, 400),
        ("resume", 400, None),
        ("hold", 0, 300),
        ("hold", 0, 300),
        ("resume", 300, None),
        ("continue", 300, None),
    ]
    assert data["visits"][-1]["recommendation"]["alternatives"] == ["sunitinib"]


@pytest.mark.parametrize("ctcae", ["5.0", "6.0"])
def test_one_heme_episode_rules_out_escalation(ctcae: str) -> None:
    """ANC 0.7 is a hold (a severe neutropenia in the label's table) under both versions, even
    though CTCAE v6.0 grades it 2: escalation stays ruled out afterwards under both."""
    visits = [counts(0.7), counts(2.0), {**counts(2.5), **PROGRESSION}]
    data = timeline_of({**patient_with(visits), "ctcae_version": ctcae})
    assert steps(data) == [("hold", 0, 400), ("resume", 400, None), ("continue", 400, None)]
    assert data["visits"][-1]["recommendation"]["alternatives"] == ["sunitinib"]


def test_skin_steps_down_caps_and_stops_at_sjs() -> None:
    normal = counts(3.0)
    visits = [
        {**normal, **SKIN_G2},  # grade 2: continue with supportive care
        {**normal, **SKIN_G3},  # grade 3 at 400: hold, resume 300
        {**normal, **SKIN_G2},  # not yet <= 1
        normal,  # not examined: keep holding
        {**normal, **SKIN_G1},  # settled: resume 300
        {**normal, **EM_G3},  # recurrence at 300: hold, resume 200
        {**normal, **SKIN_CLEAR},  # resume 200
        {**normal, **SKIN_CLEAR, **PROGRESSION},
        {**normal, **SJS},  # SJS: stop for good
        {**normal, **SKIN_CLEAR},  # stays stopped
    ]
    data = timeline_of(patient_with(visits))
    assert steps(data) == [
        ("continue", 400, None),
        ("hold", 0, 300),
        ("hold", 0, 300),
        ("hold", 0, 300),
        ("resume", 300, None),
        ("hold", 0, 200),
        ("resume", 200, None),
        ("continue", 200, None),
        ("discontinue", 0, None),
        ("discontinue", 0, None),
    ]
    assert [data["visits"][i]["recommendation"]["alternatives"] for i in (7, 9)] == [
        ["sunitinib"]
    ] * 2


def test_escalation_then_toxicity_steps_down_from_800() -> None:
    clear = {**counts(3.0), **SKIN_CLEAR}
    visits = [
        {**clear, **PROGRESSION},  # escalate 800
        {**counts(0.8), **SKIN_CLEAR},  # first heme episode at 800: hold, back to 800
        {**counts(1.7), **SKIN_CLEAR},  # recovered: resume 800
        {**counts(3.0), **SKIN_G3},  # skin grade 3 at 800: hold, resume 600
        {**counts(3.0), **SKIN_G1},  # resume 600
        {**clear, **PROGRESSION},  # capped
        {**counts(0.9), **SKIN_CLEAR},  # heme recurrence at 600: resume 400 (policy)
        {**counts(1.5, 75), **SKIN_CLEAR},
    ]
    data = timeline_of(patient_with(visits))
    assert steps(data) == [
        ("escalate", 800, None),
        ("hold", 0, 800),
        ("resume", 800, None),
        ("hold", 0, 600),
        ("resume", 600, None),
        ("continue", 600, None),
        ("hold", 0, 400),
        ("resume", 400, None),
    ]
    rules = [r["rule"] for r in data["visits"][6]["recommendation"]["reasons"]]
    assert "dosing/imatinib-gist/hematologic-recurrence-policy" in rules


def test_a_new_category_during_a_hold_holds_until_both_recover() -> None:
    visits = [
        {**counts(0.6), **SKIN_CLEAR},  # heme at 400: hold, back to 400
        {**counts(1.2), **SKIN_G3},  # skin grade 3 during the hold: hold, 300
        {**counts(2.0), **SKIN_G2},  # heme recovered, skin not yet: keep holding
        {**counts(1.4), **SKIN_G1},  # skin settled, ANC fell below 1.5 again
        {**counts(1.5, 75), **SKIN_G1},  # both: resume at the lowest, 300
        {**counts(3.0), **SKIN_CLEAR},
    ]
    data = timeline_of(patient_with(visits))
    assert steps(data) == [
        ("hold", 0, 400),
        ("hold", 0, 300),
        ("hold", 0, 300),
        ("hold", 0, 300),
        ("resume", 300, None),
        ("continue", 300, None),
    ]
    second = {r["rule"].rsplit("/", 1)[1] for r in data["visits"][1]["recommendation"]["reasons"]}
    assert "skin-hold" in second  # a new skin episode, not a continuation
    assert "ANC >= 1.5" in data["visits"][3]["recommendation"]["resume_when"]
