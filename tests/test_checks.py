"""``rules check`` semantics on copies of the shipped rules with one small edit each."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import RULES
from gist_tox.ruleset.checks import check_rules


def copied(tmp_path: Path) -> Path:
    """A copy of the shipped rules."""
    shutil.copytree(RULES, tmp_path / "rules")
    return tmp_path / "rules"


def edited(tmp_path: Path, relpath: str, old: str, new: str, count: int = 1) -> Path:
    """A copy of the shipped rules with ``old`` replaced by ``new`` in one file."""
    root = copied(tmp_path)
    path = root / relpath
    text = path.read_text(encoding="utf-8")
    assert text.count(old) >= count, f"{old!r} not in {relpath}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")
    return root


def lines(root: Path) -> list[str]:
    return [p.one_line(column=False) for p in check_rules(root)]


ANC = "ctcae-5.0/neutrophil_count_decreased.yaml"
PLT = "ctcae-5.0/platelet_count_decreased.yaml"
DOSING = "dosing/imatinib-gist.yaml"


def test_shipped_rules_have_no_problems() -> None:
    assert check_rules(RULES) == []


def test_overlapping_thresholds_named_with_file_and_line(tmp_path: Path) -> None:
    root = edited(tmp_path, ANC, "lt: 1.0, ge: 0.5}", "lt: 1.0, ge: 0.4}")
    found = lines(root)
    overlap = [line for line in found if "overlap:" in line]
    assert overlap, found
    assert f"{root / ANC}:" in overlap[0]
    assert "grades[3].when" in overlap[0] and "grades 3 (line" in overlap[0]
    assert "ANC = 0.4" in overlap[0]


def test_gap_between_grades(tmp_path: Path) -> None:
    root = edited(tmp_path, ANC, "lt: 1.5, ge: 1.0}", "lt: 1.5, ge: 1.1}")
    found = lines(root)
    assert any("gap: no grade is met at ANC = 1 " in line for line in found), found
    assert any("not monotone" in line for line in found), found


def test_removed_grade_leaves_a_gap(tmp_path: Path) -> None:
    root = edited(
        tmp_path,
        PLT,
        "    when: {field: labs.platelets, lt: 75, ge: 50}\n",
        "    when: {field: labs.platelets, lt: 75, ge: 50, gt: 5000}\n",
    )
    # a grade that can never be met is as good as removed
    found = lines(root)
    assert any("gap" in line and PLT in line for line in found), found


def test_removed_middle_grade_is_not_contiguous(tmp_path: Path) -> None:
    root = copied(tmp_path)
    path = root / PLT
    text = path.read_text()
    start = text.index("  - grade: 2")
    end = text.index("  - grade: 3")
    path.write_text(text[:start] + text[end:])
    found = lines(root)
    assert any("grade(s) 2 missing" in line for line in found), found
    assert any("gap" in line for line in found), found


def test_threshold_not_in_the_cited_wording(tmp_path: Path) -> None:
    root = edited(tmp_path, PLT, "lt: 25}", "lt: 20}")
    found = lines(root)
    assert any(
        "threshold 20 is not stated" in line and "grades[3].when.lt" in line for line in found
    ), found


EDEMA = "ctcae-5.0/edema_limbs.yaml"


@pytest.mark.parametrize(
    ("relpath", "old", "new", "expected"),
    [
        (EDEMA, "between: [2, 3]", "between: [2, 4]", "grade 4 is not a grade of Edema limbs"),
        (
            EDEMA,
            "discrepancy_percent, gt: 30}\n    reason",
            "discrepancy_percent, gt: 35}\n    reason",
            "gaps[0].when.all[1].gt: threshold 35 is not stated",
        ),
        (
            "ctcae-6.0/anemia.yaml",
            "mmol_l, ge: {field: labs.hemoglobin.lln}, lt: 6.2}",
            "mmol_l, ge: {field: labs.hemoglobin.lln}, lt: 6.3}",
            "warnings[0].when.any[2].all[1].lt: threshold 6.3 is not stated",
        ),
        (
            "ctcae-6.0/anemia.yaml",
            "{field: labs.hemoglobin.g_l, ge",
            "{field: labs.hemoglobin.gl, ge",
            "warnings[0].when.any[1].all[1].field: unknown input 'labs.hemoglobin.gl'",
        ),
    ],
)
def test_gaps_and_term_warnings_are_checked_like_grades(
    tmp_path: Path, relpath: str, old: str, new: str, expected: str
) -> None:
    found = lines(edited(tmp_path, relpath, old, new))
    assert any(expected in line for line in found), found


def test_consistent_threshold_change_with_a_note_is_accepted(tmp_path: Path) -> None:
    root = edited(tmp_path, ANC, "lt: 1.0, ge: 0.5}", "lt: 1.0, ge: 0.4}\n    note: local 0.4")
    path = root / ANC
    text = path.read_text().replace(
        "when: {field: labs.anc, lt: 0.5}", "when: {field: labs.anc, lt: 0.4}\n    note: local 0.4"
    )
    path.write_text(text)
    assert lines(root) == []


def test_unit_mistake_in_a_threshold(tmp_path: Path) -> None:
    root = edited(
        tmp_path, ANC, "when: {field: labs.anc, lt: 0.5}", "when: {field: labs.anc, lt: 500}"
    )
    assert any("outside the plausible range" in line for line in lines(root))


def test_broken_field_reference(tmp_path: Path) -> None:
    root = edited(tmp_path, ANC, "{field: labs.anc.lln}", "{field: labs.anc.lnn}")
    found = lines(root)
    assert any("labs.anc.lnn" in line and f"{ANC}:21:" in line for line in found), found


def test_schema_error_names_file_and_line(tmp_path: Path) -> None:
    root = edited(
        tmp_path,
        PLT,
        "    source: CTCAE v5.0, Platelet count decreased, grade 2\n",
        "    sauce: CTCAE v5.0, Platelet count decreased, grade 2\n",
    )
    found = lines(root)
    assert len(found) == 1 and f"{PLT}:" in found[0] and "sauce" in found[0], found


def test_empty_source_is_a_problem(tmp_path: Path) -> None:
    root = edited(
        tmp_path, PLT, "source: CTCAE v5.0, Platelet count decreased, grade 2", "source: ' '"
    )
    assert any("cites no source" in line for line in lines(root))


def test_skin_route_gap_and_overlap(tmp_path: Path) -> None:
    gap = edited(tmp_path / "a", "ctcae-5.0/rash_maculo_papular.yaml", "le: 90}", "le: 80}")
    assert any("'exfoliative'" in line and "no term" in line for line in lines(gap))
    over = edited(
        tmp_path / "b",
        "ctcae-5.0/erythroderma.yaml",
        "bsa_percent, gt: 90}\n",
        "bsa_percent, gt: 85}\n",
    )
    assert any("more than one term" in line for line in lines(over))


def test_alias_must_name_a_term_of_the_other_version(tmp_path: Path) -> None:
    root = edited(tmp_path, PLT, "aliases: [thrombocytopenia]", "aliases: [no_such_term]")
    assert any("alias 'no_such_term'" in line for line in lines(root))
    same = edited(
        tmp_path / "b", PLT, "aliases: [thrombocytopenia]", "aliases: [neutrophil_count_decreased]"
    )
    assert any("is a CTCAE v5.0 term id" in line for line in lines(same))


def test_id_must_match_file(tmp_path: Path) -> None:
    root = edited(tmp_path, PLT, "id: platelet_count_decreased", "id: neutrophil_count_decreased")
    assert any("must match the file name" in line for line in lines(root))


DOSING = "dosing/imatinib-gist.yaml"


@pytest.mark.skipif(not (RULES / DOSING).is_file(), reason="no dosing rules")
def test_dosing_resume_dose_must_be_the_next_ladder_level(tmp_path: Path) -> None:
    root = edited(tmp_path, DOSING, "to_mg: 300", "to_mg: 200")
    found = lines(root)
    assert any(
        "resume dose 200 mg after 400 mg" in line and f"{DOSING}:" in line for line in found
    ), found


@pytest.mark.skipif(not (RULES / DOSING).is_file(), reason="no dosing rules")
def test_dosing_names_terms_that_exist(tmp_path: Path) -> None:
    root = edited(tmp_path, DOSING, "[stevens_johnson_syndrome,", "[stevens_johnson_syndrom,")
    found = lines(root)
    assert any(
        "'stevens_johnson_syndrom'" in line and "discontinue_terms[0]" in line for line in found
    ), found


@pytest.mark.skipif(not (RULES / DOSING).is_file(), reason="no dosing rules")
def test_dosing_ladder_strictly_decreases(tmp_path: Path) -> None:
    root = edited(
        tmp_path, DOSING, "[800, 600, 400, 300, 200, 100]", "[800, 600, 400, 400, 200, 100]"
    )
    assert any("strictly decreas" in line for line in lines(root))


@pytest.mark.skipif(not (RULES / DOSING).is_file(), reason="no dosing rules")
def test_dosing_resume_below_hold_threshold(tmp_path: Path) -> None:
    root = edited(tmp_path, DOSING, "resume_at_least: {anc: 1.5,", "resume_at_least: {anc: 0.8,")
    assert any("below the hold threshold" in line for line in lines(root))


def test_missing_default_version_folder(tmp_path: Path) -> None:
    root = edited(
        tmp_path, "config.yaml", 'default_ctcae_version: "5.0"', 'default_ctcae_version: "6.0"'
    )
    shutil.rmtree(root / "ctcae-6.0", ignore_errors=True)
    assert any("has no term files" in line for line in lines(root))


def test_both_versions_are_checked(tmp_path: Path) -> None:
    if not (RULES / "ctcae-6.0" / "neutrophil_count_decreased.yaml").is_file():
        pytest.skip("no CTCAE v6.0 rules")
    root = edited(
        tmp_path, "ctcae-6.0/neutrophil_count_decreased.yaml", "id: neutrophil", "id: xneutrophil"
    )
    assert any("ctcae-6.0/" in line for line in lines(root))


def test_not_a_folder(tmp_path: Path) -> None:
    assert "not a folder" in check_rules(tmp_path / "nope")[0].message


# --------------------------------------------------------------------------------------------
# Properties: any consistent set of thresholds passes; moving one bound is always caught.


TERM = """\
kind: ctcae_term
id: neutrophil_count_decreased
term: Neutrophil count decreased
ctcae_version: "5.0"
soc: Investigations
meddra_code: "10029366"
category: hematologic
source: test
grades:
  - grade: 1
    ctcae: "<LLN - {a}"
    when: {{field: labs.anc, lt: {{field: labs.anc.lln}}, ge: {a}}}
    source: test
  - grade: 2
    ctcae: "<{a} - {b}"
    when: {{field: labs.anc, lt: {a2}, ge: {b}}}
    source: test
  - grade: 3
    ctcae: "<{b} - {c} {note}"
    when: {{field: labs.anc, lt: {b}, ge: {c}}}
    source: test
  - grade: 4
    ctcae: "<{c}"
    when: {{field: labs.anc, lt: {c}}}
    source: test
"""


def one_term_rules(tmp_path: Path, text: str) -> Path:
    root = tmp_path / "rules"
    (root / "ctcae-5.0").mkdir(parents=True, exist_ok=True)
    (root / "dosing").mkdir(exist_ok=True)
    for name in (
        "config.yaml",
        "reference-ranges.yaml",
        "interactions.yaml",
        "dosing/imatinib-gist.yaml",
    ):
        shutil.copy(RULES / name, root / name)
    (root / "ctcae-5.0" / "neutrophil_count_decreased.yaml").write_text(text)
    return root


thresholds = st.lists(
    st.integers(min_value=1, max_value=1799), min_size=3, max_size=3, unique=True
).map(lambda xs: [x / 1000 for x in sorted(xs, reverse=True)])


@settings(max_examples=25, deadline=None)
@given(ts=thresholds, shift=st.sampled_from([-0.001, 0.001]))
def test_consistent_thresholds_pass_and_a_moved_bound_is_caught(
    tmp_path_factory: pytest.TempPathFactory, ts: list[float], shift: float
) -> None:
    a, b, c = ts
    tmp = tmp_path_factory.mktemp("p")
    good = one_term_rules(tmp, TERM.format(a=a, a2=a, b=b, c=c, note=""))
    # the cells here are made up, so only their quotation of NCI may differ
    assert [p for p in check_rules(good) if "differs from NCI" not in p.message] == []
    moved = round(a + shift, 3)
    bad = one_term_rules(tmp / "bad", TERM.format(a=a, a2=moved, b=b, c=c, note=moved))
    found = [p.message for p in check_rules(bad)]
    expected = "overlap" if shift > 0 else "gap"
    assert any(m.startswith(expected) for m in found), found


# ---------------------------------------------------------------- dosing numbers vs their wording


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "hold_below: {anc: 1.0, platelets: 50}",
            "hold_below: {anc: 0.8, platelets: 50}",
            "hematologic.hold_below.anc = 0.8 does not appear in its quoted wording",
        ),
        (
            "resume_at_least: {anc: 1.5, platelets: 75}",
            "resume_at_least: {anc: 1.5, platelets: 100}",
            "hematologic.resume_at_least.platelets = 100 does not appear",
        ),
        (
            "- {from_mg: 400, to_mg: 300}",
            "- {from_mg: 400, to_mg: 200}",
            "label_recurrence_steps.to_mg = 200 does not appear",
        ),
        (
            "resume_at_most_grade: 1",
            "resume_at_most_grade: 2",
            "skin.resume_at_most_grade = 2 does not appear",
        ),
        ("hold_from_grade: 3", "hold_from_grade: 2", "skin.hold_from_grade = 2 does not appear"),
        ("escalate_to_mg: 800", "escalate_to_mg: 600", "progression.escalate_to_mg = 600"),
        (
            "discontinue_terms: [stevens_johnson_syndrome, toxic_epidermal_necrolysis]",
            "discontinue_terms: [toxic_epidermal_necrolysis]",
            "the wording names stevens johnson syndrome but stevens_johnson_syndrome is not listed",
        ),
        (
            "ladder_mg: [800, 600, 400, 300, 200, 100]",
            "ladder_mg: [800, 600, 400, 300, 250, 100]",
            "ladder_mg = 250 does not appear",
        ),
    ],
)
def test_an_edited_dosing_number_is_caught_against_its_quoted_wording(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    found = lines(edited(tmp_path, DOSING, old, new))
    assert any(expected in line and "imatinib-gist.yaml:" in line for line in found), found


def test_dosing_rules_without_wording_are_refused(tmp_path: Path) -> None:
    block = re.search(r"\nwording:\n(  .*\n|    .*\n)+", (RULES / DOSING).read_text())
    assert block is not None
    found = lines(edited(tmp_path, DOSING, block.group(0), "\n"))
    assert any("no `wording:` block" in line for line in found), found


def test_a_route_shared_on_purpose_is_not_an_overlap_and_unmarked_it_is(tmp_path: Path) -> None:
    """CTCAE v6.0 grades an exfoliative eruption over 90% BSA under exfoliative dermatitis and
    erythroderma, each route marked ``shared``; without the mark the same routes overlap."""
    assert not any("more than one term" in line for line in lines(RULES))
    unmarked = edited(tmp_path, "ctcae-6.0/erythroderma.yaml", "    shared: true\n", "")
    assert any("'exfoliative'" in line and "more than one term" in line for line in lines(unmarked))


def test_a_missing_dosing_file_is_found_as_loading_finds_it(tmp_path: Path) -> None:
    root = copied(tmp_path)
    (root / DOSING).unlink()
    assert lines(root) == [
        f"{root / 'config.yaml'}:8: dosing: names dosing rules 'imatinib-gist', but"
        " dosing/imatinib-gist.yaml does not exist"
    ]


def test_interaction_names_alike_once_normalised_are_a_problem(tmp_path: Path) -> None:
    root = edited(
        tmp_path, "interactions.yaml", "synonyms: [rifampin]", "synonyms: [rifampin, Rifampin.]"
    )
    found = lines(root)
    assert any(
        "interactions.yaml" in line and "'Rifampin.' reads as 'rifampin'" in line for line in found
    ), found


def test_dosing_rules_without_an_interaction_list_are_a_problem(tmp_path: Path) -> None:
    root = copied(tmp_path)
    (root / "interactions.yaml").unlink()
    assert any("interactions.yaml" in line and "missing" in line for line in lines(root))
