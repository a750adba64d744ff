"""`gist-tox rules check|test|diff` end to end, on copies of the shipped rules with small,
clinically meaningful edits: what each command says about an edit (that every kind of edit is
caught by all three is test_rule_mutations.py), the unedited copy passing the README's CI
commands, the pre-commit hooks and the CI output formats."""

from __future__ import annotations

import json
import shlex
import shutil
from pathlib import Path

import pytest
import yaml

from conftest import REPO, RULES, invoke, make_visit
from gist_tox.ruleset.cases import collect

CASES = REPO / "cases"
ANC = "ctcae-5.0/neutrophil_count_decreased.yaml"
PLT = "ctcae-5.0/platelet_count_decreased.yaml"
DOSING = "dosing/imatinib-gist.yaml"
HAS_DOSING = (RULES / DOSING).is_file()
CASE_DIRS = [str(CASES / d) for d in ("ctcae-5.0", "ctcae-6.0", "dosing") if (CASES / d).is_dir()]

Edit = list[tuple[str, str, str]]

EDITS: dict[str, Edit] = {
    # grade 3/4 boundary of ANC moved from 0.5 to 0.4, consistently in both grades
    "threshold": [
        (ANC, "lt: 1.0, ge: 0.5}", "lt: 1.0, ge: 0.4}"),
        (ANC, "when: {field: labs.anc, lt: 0.5}", "when: {field: labs.anc, lt: 0.4}"),
    ],
    # grade 4 of ANC reaches up into grade 3
    "overlap": [(ANC, "when: {field: labs.anc, lt: 0.5}", "when: {field: labs.anc, lt: 0.6}")],
    # ANC exactly 0.5 moved from grade 3 to grade 4: same numbers, boundary read the other way
    "boundary-inclusion": [
        (ANC, "lt: 1.0, ge: 0.5}", "lt: 1.0, gt: 0.5}"),
        (ANC, "when: {field: labs.anc, lt: 0.5}", "when: {field: labs.anc, le: 0.5}"),
    ],
    # the top grade (Death) of a CTCAE v6.0 term removed: no gap, no overlap, still contiguous
    "removed-top-grade-v6": [
        (
            "ctcae-6.0/thrombocytopenia.yaml",
            """  - grade: 5
    ctcae: Death
    when: {field: consequences.died, is: true}
    source: CTCAE v6.0, Thrombocytopenia, grade 5
""",
            "",
        )
    ],
}
if HAS_DOSING:
    EDITS["resume-dose"] = [(DOSING, "to_mg: 300", "to_mg: 200")]


def edited_copy(tmp_path: Path, edits: Edit) -> Path:
    root = tmp_path / "rules"
    shutil.copytree(RULES, root)
    for relpath, old, new in edits:
        path = root / relpath
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {relpath}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def visits(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("visits")
    labs = {"platelets": {"value": 200, "unit": "10^9/L"}}
    visits = {
        "anc-045": make_visit(labs={"anc": {"value": 0.45, "unit": "10^9/L"}, **labs}),
        "anc-055": make_visit(labs={"anc": {"value": 0.55, "unit": "10^9/L"}, **labs}),
        "plt-060": make_visit(
            labs={
                "anc": {"value": 3, "unit": "10^9/L"},
                "platelets": {"value": 60, "unit": "10^9/L"},
            }
        ),
        "recurrence": make_visit(
            labs={"anc": {"value": 0.8, "unit": "10^9/L"}, **labs},
            history=[
                {
                    "date": "2024-01-10",
                    "category": "hematologic",
                    "term": "neutrophil_count_decreased",
                    "grade": 3,
                    "dose_mg": 400,
                }
            ],
        ),
        "sjs": make_visit(
            skin={"morphology": "bullous", "bsa_percent": 20, "detachment_bsa_percent": 5}
        ),
    }
    for name, visit in visits.items():
        (folder / f"{name}.yaml").write_text(yaml.safe_dump(visit))
    return folder


def test_threshold_change_lists_the_visits_before_after(tmp_path: Path, visits: Path) -> None:
    root = edited_copy(tmp_path, EDITS["threshold"])
    diff = invoke(["rules", "diff", str(RULES), str(root), str(visits)])
    assert diff.exit_code == 1
    assert f"{visits / 'anc-045.yaml'}: neutrophil_count_decreased: 4 -> 3" in diff.stdout
    assert "1 of 5 visit(s) changed" in diff.stdout
    test = invoke(["rules", "test", str(CASES / ANC), "--rules", str(root)])
    assert "grades.neutrophil_count_decreased.grade: expected 4, got 3" in test.stdout


def test_overlap_named_with_file_and_line(tmp_path: Path) -> None:
    root = edited_copy(tmp_path, EDITS["overlap"])
    check = invoke(["rules", "check", "--rules", str(root)])
    assert f"{root / ANC}:33: grades[3].when: overlap: grades 3 (line 27) and 4" in check.stdout


@pytest.mark.skipif(not HAS_DOSING, reason="no dosing rules")
def test_resume_dose_change_in_diff(tmp_path: Path, visits: Path) -> None:
    root = edited_copy(tmp_path, EDITS["resume-dose"])
    diff = invoke(["rules", "diff", "--format", "json", str(RULES), str(root), str(visits)])
    data = json.loads(diff.stdout)
    changes = {c["what"]: (c["before"], c["after"]) for v in data["changes"] for c in v["changes"]}
    assert changes["recommendation.resume_dose_mg"] == (300, 200)
    assert data["new_rules_problems"]


def test_rules_test_options(tmp_path: Path) -> None:
    junit = tmp_path / "r.xml"
    out = invoke(
        [
            "rules",
            "test",
            str(CASES / "ctcae-5.0"),
            "--select",
            "erythroderma",
            "--junit-xml",
            str(junit),
        ]
    )
    assert out.exit_code == 0, out.output
    cases = collect([CASES / "ctcae-5.0"])
    selected = [c for c in cases if c.mentions("erythroderma")]
    assert junit.read_text().count("<testcase") == len(selected) < len(cases)
    none = invoke(["rules", "test", str(CASES), "--select", "no_such_term"])
    assert none.exit_code == 1 and "no cases found" in none.stderr


def test_the_dosing_cases_pass_when_an_institution_switches_its_default_to_v6(
    tmp_path: Path,
) -> None:
    """The README's "an institution switches once there": the shipped cases still pass."""
    root = edited_copy(
        tmp_path, [("config.yaml", 'default_ctcae_version: "5.0"', 'default_ctcae_version: "6.0"')]
    )
    result = invoke(["rules", "test", str(CASES / "dosing"), "--rules", str(root)])
    assert result.exit_code == 0, result.stdout[-2000:]


def test_rules_test_fails_on_skips_unless_allowed(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(
        "covers: ctcae-5.0/erythroderma\ncases:\n  - id: s\n    skip: later\n"
        "    expect: {grades: {}}\n"
    )
    assert invoke(["rules", "test", str(tmp_path)]).exit_code == 1
    assert invoke(["rules", "test", str(tmp_path), "--allow-skipped"]).exit_code == 0


def test_rules_test_missing_cases_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = invoke(["rules", "test", str(tmp_path / "nope")])
    assert out.exit_code == 2 and "no such case file" in out.stderr
    rules = tmp_path / "installed" / "rules"  # as pip installs them: no cases/ beside
    shutil.copytree(RULES, rules)
    monkeypatch.chdir(tmp_path)
    out = invoke(["rules", "test", "--rules", str(rules)])
    assert out.exit_code == 2 and len(out.stderr.splitlines()) == 1
    assert "no golden cases found: neither ./cases nor a cases/ folder beside" in out.stderr


def test_missing_rules_folder_is_a_usage_error(tmp_path: Path, visits: Path) -> None:
    nope = str(tmp_path / "nope")
    for args, given_as in (
        (["check", "--rules", nope], "--rules"),
        (["test", str(CASES), "--rules", nope], "--rules"),
        (["diff", str(RULES), nope, str(visits)], "NEW_RULES"),
        (["diff", nope, str(RULES), str(visits)], "OLD_RULES"),
    ):
        out = invoke(["rules", *args])
        assert out.exit_code == 2, args
        assert out.stderr == f"gist-tox: {nope}: no such folder of rules ({given_as})\n"


# --------------------------------------------------------------------------------------------
# pre-commit hooks


def hooks() -> list[dict[str, object]]:
    data = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    assert isinstance(data, list)
    return data


def test_hooks_declared() -> None:
    ids = {h["id"] for h in hooks()}
    assert ids == {"gist-tox-rules-check", "gist-tox-rules-test"}
    assert all(h["pass_filenames"] is False for h in hooks())


@pytest.mark.parametrize("broken", [False, True])
def test_hook_entries_on_a_rules_repository(
    broken: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rules repository (rules/ and cases/ at its top) as pre-commit runs the hooks there."""
    edited_copy(tmp_path, EDITS["overlap"] if broken else [])
    for folder in CASE_DIRS:  # (all of cases/ runs in test_rule_cases.py)
        shutil.copytree(folder, tmp_path / "cases" / Path(folder).name)
    shutil.copytree(REPO / "examples", tmp_path / "examples")  # cases may name visit files
    monkeypatch.chdir(tmp_path)
    for hook in hooks():
        argv = shlex.split(str(hook["entry"]))
        assert argv[0] == "gist-tox"
        result = invoke(argv[1:])
        assert result.exit_code == (1 if broken else 0), (hook["id"], result.output)


# --------------------------------------------------------------------------------------------
# README "Keeping your own rules"


def _readme_yaml_blocks() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("<!-- section: maintainer -->", 1)[1].split("<!-- section:", 1)[0]
    blocks = section.split("```yaml\n")[1:]
    return [b.split("```", 1)[0] for b in blocks]


def test_readme_golden_case_example_passes(tmp_path: Path) -> None:
    import textwrap

    block = next(b for b in _readme_yaml_blocks() if "covers:" in b)
    (tmp_path / "c.yaml").write_text(textwrap.dedent(block))
    out = invoke(["rules", "test", str(tmp_path)])
    assert out.exit_code == 0, out.output
    assert "2 passed" in out.stdout


def test_readme_ci_workflow_and_pre_commit_config_are_yaml() -> None:
    blocks = [yaml.safe_load(b) for b in _readme_yaml_blocks() if "covers:" not in b]
    workflow = next(b for b in blocks if "jobs" in b)
    runs = [s.get("run", "") for s in workflow["jobs"]["rules"]["steps"]]
    assert any("rules check" in r for r in runs) and any("rules test" in r for r in runs)
    assert any("rules diff" in r for r in runs)
    config = next(b for b in blocks if "repos" in b)
    assert {h["id"] for h in config["repos"][0]["hooks"]} == {h["id"] for h in hooks()}


def test_removed_grade_names_the_grade_nci_defines(tmp_path: Path) -> None:
    root = edited_copy(tmp_path, EDITS["removed-top-grade-v6"])
    check = invoke(["rules", "check", "--rules", str(root)])
    assert check.exit_code == 1
    assert (
        f"{root / 'ctcae-6.0/thrombocytopenia.yaml'}:14: nci_grades: grade 5 is defined by"
        " NCI for Thrombocytopenia"
    ) in check.stdout


@pytest.mark.skipif(not HAS_DOSING, reason="no dosing rules")
def test_diff_replays_patient_timelines(tmp_path: Path) -> None:
    """A patient file among the visits is replayed with both rule sets, visit by visit: a
    changed dose step shows at every visit after it (here Hwang 2010's 200 -> 100 mg step)."""
    root = edited_copy(
        tmp_path,
        [
            (
                DOSING,
                "ladder_mg: [800, 600, 400, 300, 200, 100]",
                "ladder_mg: [800, 600, 400, 300, 150, 100]",
            )
        ],
    )
    patient = REPO / "examples" / "hwang-2010" / "patient.yaml"
    same = invoke(["rules", "diff", str(RULES), str(RULES), str(patient)])
    assert same.exit_code == 0, same.output
    assert "not compared" not in same.output
    diff = invoke(["rules", "diff", str(RULES), str(root), str(patient)])
    assert diff.exit_code == 1, diff.output
    assert f"{patient}:visits[" in diff.stdout
    assert "recommendation.resume_dose_mg: 200 -> 150" in diff.stdout


def test_diff_a_missing_visit_path_is_exit_2_after_the_others(tmp_path: Path, visits: Path) -> None:
    diff = invoke(["rules", "diff", str(RULES), str(RULES), str(tmp_path / "nope"), str(visits)])
    assert diff.exit_code == 2, diff.output
    assert f"{tmp_path / 'nope'}: no such file or folder" in diff.stderr
    assert "0 of 6 visit(s) changed" in diff.stdout


@pytest.mark.parametrize(
    "command",
    [
        ["rules", "test", str(CASES / "ctcae-5.0"), "--junit-xml"],
        ["grade", str(REPO / "examples" / "hwang-2010-worst-visit.yaml"), "--output"],
    ],
)
def test_output_into_a_missing_folder_is_one_line_exit_2(
    command: list[str], tmp_path: Path
) -> None:
    target = tmp_path / "missing" / "out.xml"
    result = invoke([*command, str(target)])
    assert result.exit_code == 2, result.output
    assert f" {target}: the folder {target.parent} does not exist" in result.stderr
    assert "internal error" not in result.stderr and not target.parent.exists()


def test_boundary_read_the_other_way_names_the_wording(tmp_path: Path) -> None:
    root = edited_copy(tmp_path, EDITS["boundary-inclusion"])
    check = invoke(["rules", "check", "--rules", str(root)])
    assert (
        f"{root / ANC}:33: grades[3].when.le: le: 0.5 reads the boundary the other way: the"
        " CTCAE wording states < 0.5"
    ) in check.stdout


def test_an_unreadable_case_file_is_exit_2_after_the_other_cases(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("cases: [\n", encoding="utf-8")
    shutil.copy(CASES / "ctcae-5.0" / "erythroderma.yaml", tmp_path / "good.yaml")
    result = invoke(["rules", "test", str(tmp_path)])
    assert result.exit_code == 2, result.output
    assert "FAILED bad.yaml::(file)" in result.stdout
    assert f"{tmp_path / 'bad.yaml'}:2:1" in result.stdout
    assert " passed, 1 failed" in result.stdout


# --------------------------------------------------------------------------------------------
# CI-native output and the README's CI examples


def test_check_formats_json_and_github(tmp_path: Path) -> None:
    root = edited_copy(tmp_path, EDITS["threshold"][:1])
    as_json = invoke(["rules", "check", "--rules", str(root), "--format", "json"])
    assert as_json.exit_code == 1
    data = json.loads(as_json.stdout)
    assert data["format"] == "gist-tox/rules-check@1" and data["ok"] is False
    first = data["problems"][0]
    assert first["file"].endswith(ANC) and isinstance(first["line"], int) and first["message"]
    github = invoke(["rules", "check", "--rules", str(root), "-f", "github"])
    assert github.exit_code == 1
    line = github.stdout.splitlines()[0]
    assert line.startswith(f"::error file={root / ANC},line={first['line']},title=gist-tox")
    clean = invoke(["rules", "check", "--rules", str(RULES), "-f", "json"])
    assert clean.exit_code == 0 and json.loads(clean.stdout)["problems"] == []


def test_github_annotations_escape_what_github_reads_as_syntax() -> None:
    from gist_tox.cli.rules import github_annotation

    line = github_annotation("error", "50% of\nit", file="a,b:c.yaml", line=3, title="t")
    assert line == "::error file=a%2Cb%3Ac.yaml,line=3,title=t::50%25 of%0Ait"


def test_rules_test_formats_json_and_github(tmp_path: Path) -> None:
    root = edited_copy(tmp_path, EDITS["threshold"])
    args = ["rules", "test", str(CASES / ANC), "--rules", str(root)]
    data = json.loads(invoke([*args, "-f", "json"]).stdout)
    assert data["format"] == "gist-tox/rules-test@1" and data["failed"] > 0
    assert {c["status"] for c in data["cases"]} >= {"passed", "failed"}
    github = invoke([*args, "-f", "github"])
    assert github.exit_code == 1
    lines = github.stdout.splitlines()
    assert all(line.startswith("::") for line in lines) and "passed" in github.stderr
    # each at a file of the repository and a line, where GitHub shows it on the pull request:
    # a case at its id, a rules check problem at the rule file's line
    assert any(line.startswith(f"::error file={CASES / ANC},line=") for line in lines)
    assert any(line.startswith(f"::error file={root / ANC},line=") for line in lines)
    assert all(",line=" in line for line in lines)


def test_quiet_check_prints_only_problems_and_verbose_test_lists_passes() -> None:
    assert invoke(["rules", "check", "--rules", str(RULES), "-q"]).stdout == ""
    one = [str(CASES / "ctcae-5.0" / "neutrophil_count_decreased.yaml")]
    verbose = invoke(["rules", "test", *one, "--rules", str(RULES), "-v"]).stdout
    assert "neutrophil_count_decreased.yaml::g0-at-lab-lln" in verbose
    assert verbose.count("PASSED ") > 1


def test_diff_writes_its_report_with_output(tmp_path: Path, visits: Path) -> None:
    root = edited_copy(tmp_path, EDITS["threshold"])
    report = tmp_path / "diff.txt"
    out = invoke(["rules", "diff", str(RULES), str(root), str(visits), "-o", str(report)])
    assert out.exit_code == 1 and out.stdout == ""
    assert "anc-045" in report.read_text(encoding="utf-8")
    as_json = tmp_path / "diff.json"  # the format follows the name, as for every -o
    out = invoke(["rules", "diff", str(RULES), str(root), str(visits), "-o", str(as_json)])
    assert out.exit_code == 1 and json.loads(as_json.read_text())["changed"] > 0
    out = invoke(["rules", "diff", str(RULES), str(root), str(visits), "-o", "diff.csv"])
    assert out.exit_code == 2 and "a .csv name, but this command writes" in out.stderr
    listed = "\n".join(str(v) for v in sorted(visits.iterdir())) + "\n"
    piped = invoke(["rules", "diff", str(RULES), str(root), "-"], input=listed)  # as batch -
    assert piped.exit_code == 1 and "anc-045" in piped.stdout, piped.output


def _readme_ci_commands() -> list[str]:
    blocks = [yaml.safe_load(b) for b in _readme_yaml_blocks() if "covers:" not in b]
    workflow = next(b for b in blocks if "jobs" in b)
    gitlab = next(b for b in blocks if "rules" in b and "script" in b["rules"])
    lines = [s.get("run", "") for s in workflow["jobs"]["rules"]["steps"]]
    lines += gitlab["rules"]["script"]
    return [
        line.strip()
        for text in lines
        for line in text.splitlines()
        if line.strip().startswith("gist-tox")
    ]


def test_readme_ci_examples_name_no_placeholder_host_or_tag() -> None:
    section = (REPO / "README.md").read_text(encoding="utf-8")
    assert "example.org" not in section and "@v0." not in section and "rev: v" not in section
    commands = _readme_ci_commands()
    assert any(c.startswith("gist-tox rules diff") for c in commands)


def test_readme_ci_commands_pass_in_a_copied_rules_repository(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As pasted: run in a rules repository (rules/, cases/, examples/), the approved rules
    checked out beside it."""
    repository = tmp_path / "my-rules"
    for name in ("rules", "cases", "examples"):
        shutil.copytree(REPO / name, repository / name)
    shutil.copytree(REPO / "rules", tmp_path / "approved" / "rules")
    monkeypatch.chdir(repository)
    for command in _readme_ci_commands():
        words = shlex.split(command.split("||")[0], comments=True)[1:]
        out = invoke(words)
        assert out.exit_code == 0, f"{command}\n{out.output}"
