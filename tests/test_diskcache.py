"""The per-user cache (``gist_tox.diskcache``): exact entries or none, never untrusted files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gist_tox import diskcache

HEADER = b"test-format/1"


@pytest.fixture()
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GIST_TOX_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("GIST_TOX_NO_CACHE", raising=False)
    return tmp_path / "cache"


def test_an_entry_reads_back_as_written(folder: Path) -> None:
    assert diskcache.read("thing", "k1", HEADER) is None
    diskcache.write("thing", "k1", HEADER, {"a": [1, 2]})
    assert diskcache.read("thing", "k1", HEADER) == {"a": [1, 2]}
    assert oct(folder.stat().st_mode & 0o777) == "0o700"
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]  # no temporary left


def test_another_format_or_a_corrupt_file_reads_as_absent(folder: Path) -> None:
    diskcache.write("thing", "k1", HEADER, 1)
    assert diskcache.read("thing", "k1", b"test-format/2") is None
    (folder / "thing-k1.pickle").write_bytes(HEADER + b"not a pickle")
    assert diskcache.read("thing", "k1", HEADER) is None


def test_a_file_or_folder_others_can_write_is_not_trusted(folder: Path) -> None:
    diskcache.write("thing", "k1", HEADER, 1)
    os.chmod(folder / "thing-k1.pickle", 0o666)
    assert diskcache.read("thing", "k1", HEADER) is None
    os.chmod(folder / "thing-k1.pickle", 0o600)
    os.chmod(folder, 0o777)
    assert diskcache.read("thing", "k1", HEADER) is None


def test_turned_off_it_neither_reads_nor_writes(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GIST_TOX_NO_CACHE", "1")
    diskcache.write("thing", "k1", HEADER, 1)
    assert not folder.exists() and diskcache.read("thing", "k1", HEADER) is None


def test_only_the_newest_entries_of_a_kind_are_kept(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(diskcache, "KEEP", 2)
    diskcache.write("other", "x", HEADER, 0)
    for key in ("k1", "k2", "k3"):
        diskcache.write("thing", key, HEADER, key)
    assert sorted(p.name for p in folder.glob("thing-*")) == ["thing-k2.pickle", "thing-k3.pickle"]
    assert diskcache.read("other", "x", HEADER) == 0  # other kinds are not counted


def test_an_unwritable_cache_is_silently_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("GIST_TOX_CACHE_DIR", str(tmp_path / "file" / "cache"))
    diskcache.write("thing", "k1", HEADER, 1)
    assert diskcache.read("thing", "k1", HEADER) is None


def test_a_relative_xdg_cache_home_is_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The XDG spec: a relative path in XDG_CACHE_HOME is invalid and ignored, so the cache
    never lands in the current folder (a shared visits folder, say)."""
    monkeypatch.delenv("GIST_TOX_CACHE_DIR", raising=False)
    monkeypatch.delenv("GIST_TOX_NO_CACHE", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", "cache")
    assert diskcache.cache_dir() == tmp_path / "home" / ".cache" / "gist-tox"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert diskcache.cache_dir() == tmp_path / "xdg" / "gist-tox"
