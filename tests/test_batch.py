"""The batch core: finding files, grading each exactly as ``grade`` does, never losing one."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import RULES, deep_folders, make_visit
from gist_tox import batch
from gist_tox.batch import Outcome, discover, latest_only, run, severity, summarise
from gist_tox.errors import InputError
from gist_tox.pipeline import RuleSets, evaluate_file

SEVERE = make_visit(
    labs={"anc": {"value": 0.3, "unit": "10^9/L"}},
    fever={"max_temperature": {"value": 39.0, "unit": "C"}},
)


def write(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_text(data)
    elif path.suffix == ".json":
        path.write_text(json.dumps(data))
    else:
        path.write_text(yaml.safe_dump(data))
    return path


def results(found: Iterable[batch.Found], **kwargs: Any) -> list[dict[str, Any]]:
    return [json.loads(o.text) for o in run(found, rules=RULES, **kwargs)]


# --- discovery --------------------------------------------------------------------------------


def test_folders_are_walked_recursively_for_visit_suffixes_in_path_order(tmp_path: Path) -> None:
    for name in ["b/2.yaml", "a.yml", "b/1.json", "b/c/0.yaml", "notes.txt", "b-x.yaml"]:
        write(tmp_path / name, make_visit())
    found = list(discover([str(tmp_path)]))
    rel = [os.path.relpath(f.path, tmp_path) for f in found]
    # component by component: folder "b" sorts before the file "b-x.yaml"
    assert rel == ["a.yml", "b/1.json", "b/2.yaml", "b/c/0.yaml", "b-x.yaml"]
    assert all(f.error is None for f in found)


def test_an_explicit_file_is_read_whatever_its_suffix_and_listed_once(tmp_path: Path) -> None:
    visit = write(tmp_path / "visit.txt", make_visit())
    other = write(tmp_path / "x.yaml", make_visit())
    found = list(discover([str(visit), str(tmp_path), str(other), f"{tmp_path}/./x.yaml"]))
    assert [Path(f.path).name for f in found] == ["visit.txt", "x.yaml"]


def test_paths_keep_the_spelling_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "v" / "a.yaml", make_visit())
    monkeypatch.chdir(tmp_path)
    assert [f.path for f in discover(["./v/"])] == ["./v/a.yaml"]
    assert len(list(discover(["v", "./v/a.yaml"]))) == 1


def test_missing_path_and_empty_folder_are_failures_not_silence(tmp_path: Path) -> None:
    (tmp_path / "empty" / "sub").mkdir(parents=True)
    write(tmp_path / "empty" / "sub" / "readme.md", "not a visit")
    found = list(discover([str(tmp_path / "nope.yaml"), str(tmp_path / "empty")]))
    messages = {Path(f.path).name: f.error.message for f in found if f.error}
    assert messages == {
        "nope.yaml": "no such file or folder",
        "empty": "no visit files (*.yaml, *.yml, *.json) in this folder",
    }


def test_symlink_loops_and_broken_links_are_reported_and_not_followed(tmp_path: Path) -> None:
    write(tmp_path / "v" / "a.yaml", make_visit())
    (tmp_path / "v" / "loop").symlink_to(tmp_path / "v")
    (tmp_path / "v" / "self.yaml").symlink_to(tmp_path / "v" / "self.yaml")
    (tmp_path / "v" / "gone.yaml").symlink_to(tmp_path / "nowhere.yaml")
    found = {Path(f.path).name: f for f in discover([str(tmp_path / "v")])}
    assert found["a.yaml"].error is None
    assert "symbolic link loop" in found["loop"].error.message  # type: ignore[union-attr]
    assert "symbolic link loop" in found["self.yaml"].error.message  # type: ignore[union-attr]
    assert "broken symbolic link" in found["gone.yaml"].error.message  # type: ignore[union-attr]


def test_a_linked_folder_elsewhere_is_followed(tmp_path: Path) -> None:
    write(tmp_path / "elsewhere" / "a.yaml", make_visit())
    (tmp_path / "v").mkdir()
    (tmp_path / "v" / "link").symlink_to(tmp_path / "elsewhere")
    assert [Path(f.path).name for f in discover([str(tmp_path / "v")])] == ["a.yaml"]


def test_a_folder_nested_a_thousand_levels_deep_is_walked_not_a_crash(tmp_path: Path) -> None:
    """The walk uses a stack, not recursion: a deep branch never stops the batch; a branch too
    deep for the system's path length is one failure, and everything else is listed."""
    write(tmp_path / "a.yaml", make_visit())
    levels = ["d"] * 1000 + ["e" * 50] * 50  # the "e" levels go past the limit on a path
    with deep_folders(tmp_path, levels, {1000: yaml.safe_dump(make_visit())}):
        found = list(discover([str(tmp_path)]))
    names = [(Path(f.path).name, f.error is None) for f in found]
    assert names[0] == ("a.yaml", True)
    assert ("level-1000.yaml", True) in names
    too_deep = [f.error.message for f in found if f.error]
    assert len(too_deep) == 1 and "too long" in too_deep[0], too_deep


def test_a_file_named_by_two_spellings_is_listed_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Relative and absolute names, a folder given inside another, a link to a file or folder
    that the walk meets under its own name, a hard link: each file is listed once."""
    write(tmp_path / "v" / "a.yaml", make_visit())
    write(tmp_path / "v" / "sub" / "b.yaml", make_visit())
    write(tmp_path / "outside" / "c.yaml", make_visit())
    (tmp_path / "v" / "latest.yaml").symlink_to("a.yaml")
    (tmp_path / "v" / "sub-link").symlink_to("sub")
    (tmp_path / "v" / "c1.yaml").symlink_to(tmp_path / "outside" / "c.yaml")
    (tmp_path / "v" / "c2.yaml").symlink_to(tmp_path / "outside" / "c.yaml")
    os.link(tmp_path / "v" / "sub" / "b.yaml", tmp_path / "v" / "hard.yaml")
    monkeypatch.chdir(tmp_path)
    found = list(
        discover(["v", str(tmp_path / "v"), "v/sub", str(tmp_path / "v" / "a.yaml"), "./v/a.yaml"])
    )
    assert [f.path for f in found] == ["v/a.yaml", "v/c1.yaml", "v/hard.yaml"]
    # a link whose file the walk does not meet is read under the link's name
    assert [f.path for f in discover(["v/c2.yaml", "v/c1.yaml"])] == ["v/c1.yaml"]


def test_an_unreadable_folder_is_a_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "locked" / "a.yaml", make_visit())
    real = os.scandir

    def scandir(path: Any) -> Any:
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied")
        return real(path)

    monkeypatch.setattr("gist_tox.batch.os.scandir", scandir)
    found = list(discover([str(tmp_path)]))
    assert [(Path(f.path).name, f.error and f.error.message) for f in found] == [
        ("locked", "permission denied")
    ]


def test_the_output_file_is_never_read_as_a_visit(tmp_path: Path) -> None:
    write(tmp_path / "a.yaml", make_visit())
    write(tmp_path / "report.json", "[]")
    assert [
        Path(f.path).name
        for f in list(discover([str(tmp_path)], exclude=[str(tmp_path / "report.json")]))
    ] == ["a.yaml"]


# --- grading ----------------------------------------------------------------------------------


def test_each_valid_visit_is_exactly_what_grade_gives(tmp_path: Path) -> None:
    write(tmp_path / "a.yaml", SEVERE)
    write(tmp_path / "b.json", make_visit(patient={"id": "P-2"}))
    rulesets = RuleSets(RULES)
    for result in results(list(discover([str(tmp_path)]))):
        assert result == evaluate_file(result["source"], rulesets).as_json()


def test_bad_files_become_records_and_never_stop_the_batch(tmp_path: Path) -> None:
    write(tmp_path / "1-good.yaml", make_visit())
    write(tmp_path / "2-typo.yaml", make_visit(labs={"acn": {"value": 1, "unit": "10^9/L"}}))
    write(tmp_path / "3-syntax.yaml", "patient: {id: X\n")
    (tmp_path / "4-binary.yaml").write_bytes(b"\xff\xfe\x00")
    write(tmp_path / "5-good.yaml", SEVERE)
    out = results(list(discover([str(tmp_path)])))
    assert [Path(r["source"]).name for r in out] == [
        "1-good.yaml",
        "2-typo.yaml",
        "3-syntax.yaml",
        "4-binary.yaml",
        "5-good.yaml",
    ]
    assert [r["format"] for r in out] == [
        "gist-tox/result@1",
        *["gist-tox/file-error@1"] * 3,
        "gist-tox/result@1",
    ]
    typo = out[1]
    assert typo["field"] == "labs.acn" and typo["line"] and "'anc'" in typo["message"]
    assert set(typo) >= {"source", "field", "line", "column", "message"}
    assert out[2]["line"] is not None


def test_a_bug_in_one_file_is_a_record_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "a.yaml", make_visit())
    write(tmp_path / "b.yaml", make_visit())
    import gist_tox.pipeline as pipeline

    real = pipeline.evaluate_file

    def flaky(path: str, rulesets: RuleSets, **kw: Any) -> Any:
        if path.endswith("a.yaml"):
            raise ZeroDivisionError("boom")
        return real(path, rulesets, **kw)

    monkeypatch.setattr(pipeline, "evaluate_file", flaky)
    out = list(run(list(discover([str(tmp_path)])), rules=RULES))
    assert [o.ok for o in out] == [False, True]
    assert out[0].problem is not None
    assert "internal error: ZeroDivisionError: boom" in out[0].problem.message


def test_the_order_and_results_do_not_depend_on_jobs(tmp_path: Path) -> None:
    for index in range(30):
        visit = SEVERE if index % 3 == 0 else make_visit(patient={"id": f"P-{index}"})
        write(tmp_path / f"v{index:02d}.yaml", visit if index % 7 else "- not a mapping\n")
    found = list(discover([str(tmp_path)]))
    assert results(found, jobs=1) == results(found, jobs=2, chunk=4)


def test_a_file_that_kills_its_worker_is_a_failure_and_no_other_is_lost(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for index in range(12):
        write(
            tmp_path / f"v{index:02d}{'-crash' if index == 5 else ''}.yaml",
            make_visit(patient={"id": f"P-{index}"}),
        )
    parent = os.getpid()
    real = batch.Processor.__call__

    def dying(self: batch.Processor, path: str, payload: object = None) -> Outcome:
        if "crash" in path and os.getpid() != parent:
            os._exit(1)  # as if killed by the OOM killer
        return real(self, path, payload)

    monkeypatch.setattr(batch.Processor, "__call__", dying)
    out = list(run(discover([str(tmp_path)]), rules=RULES, jobs=2, chunk=2))
    assert len(out) == 12
    assert [o.ok for o in out] == [i != 5 for i in range(12)]
    assert out[5].problem is not None
    assert "worker process grading this file died" in out[5].problem.message


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(kinds=st.lists(st.sampled_from(["good", "severe", "bad", "list", "empty"]), max_size=8))
def test_nothing_is_lost(tmp_path_factory: pytest.TempPathFactory, kinds: list[str]) -> None:
    folder = tmp_path_factory.mktemp("v")
    content = {
        "good": make_visit(),
        "severe": SEVERE,
        "bad": "date: [",
        "list": "- 1\n",
        "empty": "",
    }
    for index, kind in enumerate(kinds):
        write(folder / f"{index}.yaml", content[kind])
    out = list(run(list(discover([str(folder)])), rules=RULES))
    if not kinds:
        assert len(out) == 1 and not out[0].ok  # the empty folder itself
        return
    assert [Path(o.source).name for o in out] == [f"{i}.yaml" for i in range(len(kinds))]
    assert [o.ok for o in out] == [k in ("good", "severe") for k in kinds]


# --- summaries and selection --------------------------------------------------------------------


def _result(
    grades: dict[str, int | None], recommendation: dict[str, Any] | None = None
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "source": "x.yaml",
        "patient_id": "P",
        "date": "2024-01-01",
        "rules": {"ctcae_version": "5.0", "digest": "sha256:0"},
        "grades": {k: {"grade": v, "term": k.title()} for k, v in grades.items()},
        "warnings": [],
    }
    if recommendation is not None:
        out["recommendation"] = recommendation
    return out


def test_worst_grade_is_the_highest_non_null_with_its_term() -> None:
    summary = summarise(_result({"a": 2, "b": None, "c": 3, "d": 3}), "")
    assert (summary.worst_grade, summary.worst_term, summary.not_gradable) == (3, "C", 1)
    assert summarise(_result({"a": None}), "").worst_grade is None
    zero = summarise(_result({"a": 0}), "")
    assert (zero.worst_grade, zero.worst_term) == (0, None)


def test_worst_grade_counts_the_clinicians_other_events() -> None:
    result = _result({"a": 0, "b": None})
    result["other_events"] = [{"term": "Diarrhea", "grade": 3, "specify": None}]
    summary = summarise(result, "")
    assert (summary.worst_grade, summary.worst_term, summary.not_gradable) == (3, "Diarrhea", 1)


def test_a_missing_recommendation_is_unknown_and_needs_action() -> None:
    summary = summarise(_result({"a": 0}), "")
    assert summary.action == "unknown" and summary.needs_action
    held = summarise(_result({"a": 3}, {"action": "hold", "dose_mg": 0}), "")
    assert (held.action, held.dose_mg, held.needs_action) == ("hold", 0, True)
    assert not summarise(_result({"a": 0}, {"action": "continue", "dose_mg": 400}), "").needs_action


def test_severity_order_and_fail_on_threshold() -> None:
    order = ["unknown", "discontinue", "hold", "reduce", "resume", "escalate", "continue"]
    assert sorted(order, key=severity, reverse=True) == order
    reduce = summarise(_result({}, {"action": "reduce", "dose_mg": 300}), "")
    assert reduce.at_least("reduce") and reduce.at_least("continue")
    assert not reduce.at_least("hold")
    assert summarise(_result({}), "").at_least("discontinue")  # unknown: never passed


def test_latest_keeps_each_patients_latest_visits_and_every_failure() -> None:
    def visit(name: str, patient: str, date: str) -> Outcome:
        return Outcome(source=name, ok=True, text="", patient_id=patient, date=date)

    failed = batch.failure(InputError("3.yaml", "broken"))
    outcomes = [
        visit("1.yaml", "A", "2024-01-01"),
        visit("2.yaml", "A", "2024-03-01"),
        failed,
        visit("4.yaml", "B", "2023-05-05"),
        visit("5.yaml", "A", "2024-03-01"),
    ]
    assert [o.source for o in latest_only(outcomes)] == ["2.yaml", "3.yaml", "4.yaml", "5.yaml"]
