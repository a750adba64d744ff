"""The rule-set cache: used only for byte-identical rules, never for edited or untrusted files."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from conftest import RULES
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


def test_a_cache_file_writable_by_others_is_not_trusted(rules_copy: Path) -> None:
    load_ruleset(rules_copy, "5.0")
    key = _key(rules_copy)
    entry = rules_copy.parent / "cache" / f"rules-{key}.pickle"
    assert cache.load(key) is not None
    os.chmod(entry, 0o666)
    assert cache.load(key) is None


def test_a_corrupt_cache_file_is_ignored(rules_copy: Path) -> None:
    load_ruleset(rules_copy, "5.0")
    key = _key(rules_copy)
    (rules_copy.parent / "cache" / f"rules-{key}.pickle").write_bytes(b"garbage")
    assert cache.load(key) is None
    assert load_ruleset(rules_copy, "5.0").terms


def test_no_cache_when_turned_off(rules_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIST_TOX_NO_CACHE", "1")
    load_ruleset(rules_copy, "5.0")
    assert not (rules_copy.parent / "cache").exists()


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
