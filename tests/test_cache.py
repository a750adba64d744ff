"""The rule-set cache: used only for byte-identical rules, never for edited or untrusted files.

A cache may never change an answer: the five ways it once did (issue 12) are each reproduced
below, with the per-user cache on (a fresh folder, used twice) and off (``GIST_TOX_NO_CACHE=1``),
through the CLI as users run it (``gist-tox grade``), so the pickled validator and rule set are
the ones users get.  (Storage itself, corrupt or foreign entries included, is test_diskcache's.)
"""

from __future__ import annotations

import io
import json
import os
import shutil
import struct
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import gist_tox
from conftest import RULES, invoke, make_visit
from gist_tox import diskcache, validators
from gist_tox.ruleset import cache
from gist_tox.ruleset.loader import load_ruleset


def _key(root: Path) -> str:
    return cache.key(cache.read_folder(root), "5.0")


@pytest.fixture()
def rules_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GIST_TOX_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("GIST_TOX_NO_CACHE", raising=False)
    target = tmp_path / "rules"
    shutil.copytree(RULES, target)
    return target


def test_second_load_comes_from_the_cache_and_equals_the_first(rules_copy: Path) -> None:
    first = load_ruleset(rules_copy, "5.0")
    assert list((rules_copy.parent / "cache").glob("rules-*.pickle"))
    second = load_ruleset(rules_copy, "5.0")
    assert second.digest == first.digest
    assert second.terms == first.terms and second.dosing == first.dosing


def test_an_edited_rule_file_is_never_served_from_the_cache(rules_copy: Path) -> None:
    before = load_ruleset(rules_copy, "5.0")
    path = rules_copy / "ctcae-5.0" / "neutrophil_count_decreased.yaml"
    path.write_text(path.read_text().replace("lt: 0.5}", "lt: 0.6}"))
    after = load_ruleset(rules_copy, "5.0")
    assert after.digest != before.digest
    grade4 = next(t for t in after.terms if t.id == "neutrophil_count_decreased").grades[-1]
    assert "0.6" in grade4.when.model_dump_json()


def test_an_invalid_edit_is_refused_even_after_a_valid_version_was_cached(rules_copy: Path) -> None:
    load_ruleset(rules_copy, "5.0")
    path = rules_copy / "ctcae-5.0" / "neutrophil_count_decreased.yaml"
    path.write_text(path.read_text().replace("meddra_code:", "medra_code:"))
    from gist_tox.errors import RulesError

    with pytest.raises(RulesError, match="medra_code"):
        load_ruleset(rules_copy, "5.0")


def test_a_rule_file_in_a_linked_folder_is_part_of_the_key(rules_copy: Path) -> None:
    """The loader reads a version folder through a symbolic link; so must the key."""
    real = rules_copy.parent / "v5-real"
    (rules_copy / "ctcae-5.0").rename(real)
    (rules_copy / "ctcae-5.0").symlink_to(real, target_is_directory=True)
    before = _key(rules_copy)
    path = real / "neutrophil_count_decreased.yaml"
    path.write_text(path.read_text().replace("lt: 0.5}", "lt: 0.6}"))
    assert _key(rules_copy) != before


def test_a_link_loop_in_the_rules_folder_ends(rules_copy: Path) -> None:
    (rules_copy / "ctcae-5.0" / "loop").symlink_to(rules_copy, target_is_directory=True)
    assert _key(rules_copy)


def test_yml_files_are_part_of_the_key_and_other_files_are_not(rules_copy: Path) -> None:
    before = _key(rules_copy)
    (rules_copy / "notes.txt").write_text("not a rule file")
    assert _key(rules_copy) == before
    (rules_copy / "extra.yml").write_text("kind: config\n")
    assert _key(rules_copy) != before


@pytest.fixture(params=["cache", "no-cache"])
def cache_mode(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> str:
    monkeypatch.setenv("GIST_TOX_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("PYDANTIC_DISABLE_PLUGINS", "__all__")  # as gist-tox runs
    monkeypatch.setattr(validators, "_BUILT", {})
    if request.param == "no-cache":
        monkeypatch.setenv("GIST_TOX_NO_CACHE", "1")
    else:
        monkeypatch.delenv("GIST_TOX_NO_CACHE", raising=False)
    return str(request.param)


def _write_visit(path: Path, **sections: Any) -> str:
    path.write_text(json.dumps(make_visit(**sections), default=str))
    return str(path)


def _grade(*args: str) -> tuple[int, dict[str, Any] | str]:
    result = invoke(["grade", "--format", "json", *args])
    if result.exit_code != 0:
        return result.exit_code, result.stderr
    return 0, json.loads(result.stdout)


def _history(term: str) -> list[dict[str, Any]]:
    return [{"date": "2024-01-01", "category": "skin", "term": term, "grade": 2, "dose_mg": 400}]


def test_the_same_rules_named_two_ways_grade_alike(
    cache_mode: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Defect 1: a rule set cached as ``--rules rules`` in one folder, then named by absolute
    path from another folder, resolved term ids against the second folder's ``rules``."""
    here, elsewhere = tmp_path / "here", tmp_path / "elsewhere"
    shutil.copytree(RULES, here / "rules")
    (elsewhere / "rules" / "ctcae-6.0").mkdir(parents=True)
    shutil.copy(
        RULES / "ctcae-6.0" / "erythroderma.yaml",
        elsewhere / "rules" / "ctcae-6.0" / "made_up_term.yaml",
    )
    real = _write_visit(tmp_path / "real.json", history=_history("exfoliative_dermatitis"))
    made_up = _write_visit(tmp_path / "made_up.json", history=_history("made_up_term"))
    for folder, rules in ((here, "rules"), (elsewhere, str(here / "rules"))):
        monkeypatch.chdir(folder)
        code, _ = _grade("--rules", rules, real)
        assert code == 0, (folder, _)
        code, message = _grade("--rules", rules, made_up)
        assert code == 2 and "made_up_term" in str(message), folder


class _EditAfterFirstOpen:
    """Replace ``target`` with ``edited`` (as an editor saves: a new file renamed over the old)
    just after the first time anything opens it: a save in the middle of loading the rules."""

    def __init__(self, target: Path, edited: str) -> None:
        self.target = os.path.abspath(target)
        self.edited = edited
        self.done = False

    def wrap(self, opener: Callable[..., Any]) -> Callable[..., Any]:
        def opened(path: Any, *args: Any, **kwargs: Any) -> Any:
            result = opener(path, *args, **kwargs)
            named = isinstance(path, str | os.PathLike) and os.fspath(path)
            if not self.done and named and os.path.abspath(named) == self.target:
                self.done = True
                spare = self.target + ".new"
                Path(spare).write_text(self.edited)
                os.replace(spare, self.target)
            return result

        return opened


def test_a_rule_file_saved_while_the_rules_load_is_read_once(
    cache_mode: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Defect 2: key, parsed rules and digest came from three reads of each file; a save
    between them cached the new rules under the old key, served after the file was put back."""
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    anc = rules / "ctcae-5.0" / "neutrophil_count_decreased.yaml"
    original = anc.read_text()
    reference = load_ruleset(rules, "5.0")  # cached now (cache mode), from the original bytes

    def grade4(ruleset: Any) -> str:
        term = next(t for t in ruleset.terms if t.id == "neutrophil_count_decreased")
        return str(term.grades[-1].when.model_dump_json())

    shutil.rmtree(tmp_path / "cache", ignore_errors=True)
    editor = _EditAfterFirstOpen(anc, original.replace("lt: 0.5}", "lt: 0.6}"))
    with pytest.MonkeyPatch.context() as opens:
        for module, name in ((os, "open"), (io, "open")):
            opens.setattr(module, name, editor.wrap(getattr(module, name)))
        opens.setattr("builtins.open", io.open)
        during = load_ruleset(rules, "5.0")
    assert editor.done
    # Whichever version was read, the digest printed is that of the rules graded with.
    if "0.6" in grade4(during):
        assert during.digest != reference.digest
    else:
        assert during.digest == reference.digest
    anc.write_text(original)  # put back: the original rules and digest again
    after = load_ruleset(rules, "5.0")
    assert after.digest == reference.digest and grade4(after) == grade4(reference)


def test_a_dosing_file_outside_the_rules_folder_is_part_of_the_key(
    cache_mode: str, tmp_path: Path
) -> None:
    """Defect 3: ``dosing: ../../ext/imatinib-gist`` was read but not part of the key."""
    rules = tmp_path / "site" / "rules"
    shutil.copytree(RULES, rules)
    ext = rules.parent / "ext"  # ../../ext from rules/dosing/
    ext.mkdir()
    (rules / "dosing" / "imatinib-gist.yaml").rename(ext / "imatinib-gist.yaml")
    config = rules / "config.yaml"
    config.write_text(
        config.read_text().replace("dosing: imatinib-gist", "dosing: ../../ext/imatinib-gist")
    )
    visit = _write_visit(
        tmp_path / "v.json",
        labs={
            "anc": {"value": 1.2, "unit": "10^9/L"},
            "platelets": {"value": 200, "unit": "10^9/L"},
        },
    )
    code, before = _grade("--rules", str(rules), visit)
    assert code == 0 and isinstance(before, dict)
    assert before["recommendation"]["action"] == "continue"
    dosing = ext / "imatinib-gist.yaml"
    dosing.write_text(
        dosing.read_text().replace("hold_below: {anc: 1.0,", "hold_below: {anc: 1.3,")
    )
    code, after = _grade("--rules", str(rules), visit)
    assert code == 0 and isinstance(after, dict), after
    assert after["recommendation"]["action"] == "hold"
    assert after["rules"]["digest"] != before["rules"]["digest"]


def _entries(cache: Path, kind: str) -> list[Path]:
    return sorted(cache.glob(f"{kind}-*.pickle"))


def _damage(path: Path, old: bytes, new: bytes) -> None:
    raw = path.read_bytes()
    assert raw.count(old) >= 1, "nothing to damage"
    path.write_bytes(raw.replace(old, new))


def test_a_damaged_rule_set_entry_is_rebuilt_not_trusted(cache_mode: str, tmp_path: Path) -> None:
    """Defect 4a: one 8-byte float changed in a pickled rule set (still a valid pickle) turned
    ANC grade 4 into grade 0, with the shipped digest printed."""
    visit = _write_visit(tmp_path / "v.json", labs={"anc": {"value": 0.42, "unit": "10^9/L"}})
    code, first = _grade(visit)
    assert code == 0 and isinstance(first, dict)
    assert first["grades"]["neutrophil_count_decreased"]["grade"] == 4
    for entry in _entries(tmp_path / "cache", "rules"):  # none without the cache
        _damage(entry, struct.pack(">d", 0.5), struct.pack(">d", 0.0))
    code, again = _grade(visit)
    assert code == 0 and again == first


def test_a_damaged_validator_entry_is_rebuilt_not_trusted(cache_mode: str, tmp_path: Path) -> None:
    """Defect 4b: one byte changed in the pickled validator made every run a traceback."""
    visit = _write_visit(tmp_path / "v.json")
    code, first = _grade(visit)
    assert code == 0
    entries = _entries(tmp_path / "cache", "validator")
    assert bool(entries) == (cache_mode == "cache")
    for entry in entries:  # one byte: a panic in pydantic-core, once an endless traceback
        _damage(entry, b"\x8c\x07no-info", b"\x8c\x07oo-info")
    validators._BUILT.clear()
    code, again = _grade(visit)
    assert code == 0 and again == first


@pytest.fixture()
def installed_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """gist-tox's modules copied, and the software stamp taken from the copy."""
    package = tmp_path / "gist_tox"
    shutil.copytree(Path(gist_tox.__file__).parent, package)
    monkeypatch.setattr(gist_tox, "__file__", str(package / "__init__.py"))
    diskcache.software_stamp.cache_clear()
    yield package
    diskcache.software_stamp.cache_clear()


def test_an_edited_module_of_the_same_size_and_time_changes_the_software_key(
    installed_copy: Path,
) -> None:
    """Defect 5: the installed code was keyed by each module's size and modification time."""
    before = diskcache.software_stamp()
    module = installed_copy / "units.py"
    info = module.stat()
    text = module.read_text()
    swapped = text.replace("1000", "1001", 1)
    assert swapped != text and len(swapped) == len(text)
    module.write_text(swapped)
    os.utime(module, ns=(info.st_atime_ns, info.st_mtime_ns))
    diskcache.software_stamp.cache_clear()
    assert diskcache.software_stamp() != before


def test_every_cached_answer_equals_the_uncached_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every example, graded cold, warm (both from the cache) and without the cache: the same."""
    examples = sorted(Path(RULES.parent, "examples").rglob("*.yaml"))
    outputs: dict[str, list[Any]] = {}
    monkeypatch.setenv("PYDANTIC_DISABLE_PLUGINS", "__all__")
    for mode in ("cold", "warm", "off"):
        monkeypatch.setattr(validators, "_BUILT", {})
        monkeypatch.setenv("GIST_TOX_CACHE_DIR", str(tmp_path / "cache"))
        if mode == "off":
            monkeypatch.setenv("GIST_TOX_NO_CACHE", "1")
        else:
            monkeypatch.delenv("GIST_TOX_NO_CACHE", raising=False)
        for example in examples:
            command = "timeline" if example.name == "patient.yaml" else "grade"
            result = invoke([command, "--format", "json", str(example)])
            outputs.setdefault(str(example), []).append(
                (result.exit_code, result.stdout, result.stderr)
            )
    for name, runs in outputs.items():
        assert runs[0] == runs[1] == runs[2], name


def test_an_edited_interaction_list_is_matched_and_digested_at_once(
    cache_mode: str, tmp_path: Path
) -> None:
    """The interaction list is part of the key and of the digest: a synonym removed after the
    rules were cached is no longer matched, and the digest printed is the new list's."""
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    visit = _write_visit(tmp_path / "visit.json", comedications=["rifampin"])
    code, before = _grade("--rules", str(rules), visit)
    assert code == 0 and isinstance(before, dict)
    assert before["patient_factors"]["comedications"][0]["id"] == "rifampicin"
    listing = rules / "interactions.yaml"
    listing.write_text(listing.read_text().replace("synonyms: [rifampin]", "synonyms: []"))
    code, after = _grade("--rules", str(rules), visit)
    assert code == 0 and isinstance(after, dict)
    assert after["patient_factors"]["comedications"][0]["id"] is None
    assert after["patient_factors"]["cyp3a4_inducer_dose_mg"] is None
    assert after["rules"]["digest"] != before["rules"]["digest"]
