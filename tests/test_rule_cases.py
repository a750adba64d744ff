"""The golden cases in cases/ run as part of the test suite, one test per case (file::case),
through the same runner as `gist-tox rules test`."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest

from conftest import COUNT_UNITS, REPO, RULES
from gist_tox.ruleset.cases import Case, Runner, collect, uncovered_rule_files

CASES_DIR = REPO / "cases"
CASES = collect([CASES_DIR]) if CASES_DIR.is_dir() else []
RUNNER = Runner(RULES)


def pytest_generate_tests(metafunc: Any) -> None:
    if "golden" in metafunc.fixturenames:
        metafunc.parametrize("golden", CASES, ids=[c.nodeid for c in CASES])


def test_golden_case(golden: Case) -> None:
    result = RUNNER.run(golden)
    if result.status == "skipped":
        pytest.fail(f"skipped case (not allowed in the project's own cases): {result.messages}")
    assert result.status == "passed", "\n".join(result.messages)


def test_every_dosing_rule_branch_has_a_case() -> None:
    from gist_tox.dosing.schema import RULE_IDS

    dosing = [c for c in CASES if c.display.startswith("dosing/")]
    assert dosing
    expected = " ".join(str(c.spec.expect) for c in dosing if c.spec is not None)
    missing = [r for r in RULE_IDS if f"dosing/imatinib-gist/{r}'" not in expected]
    assert not missing


def test_every_ctcae_rule_file_has_cases() -> None:
    missing = [
        n for n in uncovered_rule_files(RULES, CASES) if n.startswith(("ctcae-5.0/", "ctcae-6.0/"))
    ]
    assert missing == []


def test_there_are_cases() -> None:
    assert len(CASES) > 50


def _case_values(case: Case) -> dict[str, set[Fraction]]:
    """The values each numeric input takes across one case (exact, in the rules' units)."""
    from gist_tox.ruleset.cases import deep_merge
    from gist_tox.units import count_to_canonical, exact, temperature_to_celsius

    assert case.case_file is not None and case.spec is not None
    visit = deep_merge(case.case_file.base or {}, case.spec.visit or {})
    out: dict[str, set[Fraction]] = {}
    labs = visit.get("labs") or {}
    for name in ("anc", "platelets"):
        lab = labs.get(name)
        if isinstance(lab, dict) and lab.get("unit") in COUNT_UNITS:
            out.setdefault(f"labs.{name}", set()).add(count_to_canonical(lab["value"], lab["unit"]))
    fever = visit.get("fever") or {}
    temp = fever.get("max_temperature")
    if isinstance(temp, dict) and temp.get("unit") in ("C", "F"):
        out["fever.max_temperature"] = {temperature_to_celsius(temp["value"], temp["unit"])}
    if fever.get("hours_at_or_above_38") is not None:
        out["fever.hours_at_or_above_38"] = {exact(fever["hours_at_or_above_38"])}
    skin = visit.get("skin") or {}
    for name in ("bsa_percent", "detachment_bsa_percent"):
        if skin.get(name) is not None:
            out[f"skin.{name}"] = {exact(skin[name])}
    out.update(_extension_values(visit))
    return out


def _extension_values(visit: dict[str, Any]) -> dict[str, set[Fraction]]:
    """The numbers the extension's rules compare (liver multiples, weight gain...), as the
    engine derives them from a valid visit."""
    import json

    from gist_tox.errors import InputError
    from gist_tox.facts_extension import extension_facts
    from gist_tox.pipeline import load_visit

    try:
        parsed, _ = load_visit("case.json", text=json.dumps(visit, default=str))
    except InputError:
        return {}
    values: dict[str, Any] = {}
    extension_facts(parsed, values, {}, [])
    return {k: {v} for k, v in values.items() if isinstance(v, Fraction)}


def test_every_ctcae_5_threshold_has_cases_on_both_sides() -> None:
    """For each numeric threshold t of a v5.0 rule file, its cases include a value exactly at
    t and one just on the other side (within 1% of t, or 0.001)."""
    from gist_tox.ruleset.checks import _leaves
    from gist_tox.ruleset.conditions import Compare, FieldRef
    from gist_tox.ruleset.loader import read_rule_file
    from gist_tox.ruleset.schema import TermRule
    from gist_tox.units import exact

    missing: list[str] = []
    for path in sorted((RULES / "ctcae-5.0").glob("*.yaml")):
        covers = f"ctcae-5.0/{path.stem}"
        values: dict[str, set[Fraction]] = {}
        for case in CASES:
            if case.case_file is not None and case.case_file.covers == covers and case.spec:
                for name, found in _case_values(case).items():
                    values.setdefault(name, set()).update(found)
        term: TermRule = read_rule_file(RULES, path, TermRule).model  # type: ignore[assignment]
        conditions = [g.when for g in term.grades] + [
            r.when for r in term.applies_to or [] if r.when is not None
        ]
        if term.present_when is not None:
            conditions.append(term.present_when)
        for condition in conditions:
            for _, leaf in _leaves(condition, ()):
                if not isinstance(leaf, Compare):
                    continue
                for op, bound in leaf.bounds():
                    if isinstance(bound, FieldRef) or exact(bound) == 0:
                        continue
                    t = exact(bound)
                    near = max(t / 100, Fraction(1, 1000))
                    seen = values.get(leaf.field, set())
                    if op in ("lt", "ge"):
                        other = any(t - near <= v < t for v in seen)
                    else:
                        other = any(t < v <= t + near for v in seen)
                    if t not in seen or not other:
                        missing.append(f"{covers}: {leaf.field} {op} {t}")
    assert missing == []
