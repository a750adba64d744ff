"""The golden cases in cases/ run as part of the test suite, one test per case (file::case),
through the same runner as `gist-tox rules test`."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import REPO, RULES
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


def test_every_ctcae_5_rule_file_has_cases() -> None:
    missing = [name for name in uncovered_rule_files(RULES, CASES)
               if name.startswith("ctcae-5.0/")]
    assert missing == []


def test_there_are_cases() -> None:
    assert len(CASES) > 50
