"""The golden dosing cases (cases/dosing/), run through the shared case runner and pipeline."""

from __future__ import annotations

import pytest

from conftest import REPO, RULES
from gist_tox.ruleset.cases import Case, Runner, collect

CASES = collect([REPO / "cases" / "dosing"])
RUNNER = Runner(RULES)


@pytest.mark.parametrize("case", CASES, ids=[c.nodeid for c in CASES])
def test_dosing_case(case: Case) -> None:
    result = RUNNER.run(case)
    assert result.status == "passed", "\n".join(result.messages)


def test_every_dosing_rule_branch_has_a_case() -> None:
    from gist_tox.dosing.schema import RULE_IDS

    expected = " ".join(str(c.spec.expect) for c in CASES if c.spec is not None)
    missing = [r for r in RULE_IDS if f"dosing/imatinib-gist/{r}'" not in expected]
    assert not missing
