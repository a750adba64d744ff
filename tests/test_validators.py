"""Validators kept across runs (``gist_tox.validators``): the cached validator is pydantic's own,
so every visit validates, and every bad one fails, exactly as ``Visit.model_validate`` does."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel, ValidationError

from conftest import EXAMPLES, make_visit
from gist_tox import diskcache, validators
from gist_tox.visit import HistoryEntry, Visit

BAD_INPUTS = Path(__file__).parent / "bad_inputs"


@pytest.fixture()
def fresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty cache, plugins disabled as ``gist-tox`` runs, nothing built in this process."""
    monkeypatch.setenv("GIST_TOX_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("GIST_TOX_NO_CACHE", raising=False)
    monkeypatch.setenv("PYDANTIC_DISABLE_PLUGINS", "__all__")
    monkeypatch.setattr(validators, "_BUILT", {})
    return tmp_path


def _no_rebuild(monkeypatch: pytest.MonkeyPatch, model: type[BaseModel]) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("rebuilt although the validator was cached")

    monkeypatch.setattr(model, "model_rebuild", refuse)
    monkeypatch.setattr(model, "__pydantic_complete__", False)


def test_built_once_then_read_back_from_the_cache(
    fresh: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = validators.validator(Visit)
    assert [p.name.split("-")[0] for p in fresh.glob("*.pickle")] == ["validator"]
    monkeypatch.setattr(validators, "_BUILT", {})
    _no_rebuild(monkeypatch, Visit)
    second = validators.validator(Visit)
    assert second is not first  # unpickled from the file
    visit = validators.validate(Visit, make_visit())
    assert isinstance(visit, Visit) and visit == Visit.model_validate(make_visit())


def _documents() -> list[Any]:
    docs: list[Any] = []
    for path in sorted([*EXAMPLES.rglob("*.yaml"), *BAD_INPUTS.glob("*.yaml")]):
        text = path.read_text(encoding="utf-8", errors="replace")
        if len(text) > 8192 or "*" in text:  # size limits and alias bombs: refused before
            continue  # pydantic ever sees them (documents.py), and slow to expand here
        try:
            docs.append(yaml.safe_load(text))
        except Exception:  # not YAML pyyaml reads: documents.py refuses those before pydantic
            continue
    return docs


def _outcome(validate: Any, data: Any) -> Any:
    try:
        return ("ok", validate(data))
    except ValidationError as exc:
        return ("error", exc.json(include_url=False))


def test_the_cached_validator_accepts_and_refuses_exactly_as_pydantic(
    fresh: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    validators.validator(Visit)
    monkeypatch.setattr(validators, "_BUILT", {})  # the next one comes from the file
    docs = _documents()
    assert len(docs) > 100
    for data in docs:
        assert _outcome(lambda d: validators.validate(Visit, d), data) == _outcome(
            Visit.model_validate, data
        )


def test_a_cached_validator_is_not_used_for_other_software(
    fresh: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    validators.validator(HistoryEntry)
    monkeypatch.setattr(validators, "_BUILT", {})
    monkeypatch.setattr(diskcache, "software_stamp", lambda: b"another gist-tox or pydantic")
    rebuilt: list[bool] = []
    original = HistoryEntry.model_rebuild

    def spy(*args: Any, **kwargs: Any) -> Any:
        rebuilt.append(True)
        return original(*args, **kwargs)

    monkeypatch.setattr(HistoryEntry, "model_rebuild", spy)
    monkeypatch.setattr(HistoryEntry, "__pydantic_complete__", False)
    validators.validator(HistoryEntry)
    assert rebuilt == [True]
    assert len(list(fresh.glob("validator-*.pickle"))) == 2


def test_with_plugins_enabled_pydantic_validates_and_nothing_is_cached(
    fresh: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PYDANTIC_DISABLE_PLUGINS")
    assert validators.validate(Visit, make_visit()).patient.id == "TEST-1"
    assert not list(fresh.glob("*.pickle"))


def test_grading_a_visit_builds_no_pydantic_schema_once_cached(tmp_path: Path) -> None:
    """What the cache is for: a second `gist-tox grade` loads neither pydantic's schema
    builder's plugin machinery (importlib.metadata) nor builds the visit's schema."""
    code = (
        "import sys\n"
        "from gist_tox.cli import main\n"
        "sys.argv = ['gist-tox', 'grade', '--format', 'json', sys.argv[1]]\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n"
        "from gist_tox.visit import Visit\n"
        "print('built' if Visit.__pydantic_complete__ else 'cached',"
        " 'importlib.metadata' in sys.modules, file=sys.stderr)\n"
    )
    env = {"GIST_TOX_CACHE_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    visit = str(EXAMPLES / "hwang-2010-worst-visit.yaml")
    runs = [
        subprocess.run(
            [sys.executable, "-c", code, visit],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        for _ in range(2)
    ]
    assert [r.returncode for r in runs] == [0, 0], runs[0].stderr
    assert runs[0].stdout == runs[1].stdout
    assert runs[1].stderr.split()[-2:] == ["cached", "False"], runs[1].stderr
