"""The README's examples work: every line of a fenced ``bash`` block that starts with
``gist-tox`` is run (in a copy of the repository's examples, with the files the README's prose
names: ``visit.yaml``, ``visits/``, ``old-rules``, ``bundle.json``) and must finish as the README
says commands finish: 0, or 1 for a command asked to report findings; never a usage or input
error, never an internal error."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest

from conftest import REPO, invoke


def readme_commands() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    commands = []
    for block in re.findall(r"^```bash\n(.*?)^```", text, flags=re.S | re.M):
        for line in block.splitlines():
            line = line.strip()
            if line.startswith("gist-tox"):
                commands.append(line)
    return commands


COMMANDS = readme_commands()


def test_the_readme_has_commands_to_run() -> None:
    assert len(COMMANDS) >= 20


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's examples, rules and cases, and the files the README names."""
    here = tmp_path_factory.mktemp("readme")
    for name in ("examples", "rules", "cases"):
        shutil.copytree(REPO / name, here / name)
    (here / "docs").mkdir()
    shutil.copy(REPO / "examples" / "hwang-2010-worst-visit.yaml", here / "visit.yaml")
    shutil.copytree(REPO / "examples" / "dosing", here / "visits")
    shutil.copytree(REPO / "rules", here / "old-rules")
    shutil.copy(REPO / "examples" / "fhir" / "hwang-2010-worst-visit.json", here / "bundle.json")
    return here


def _split(command: str) -> tuple[list[str], str | None]:
    """The arguments after ``gist-tox`` and the file redirected to stdin; a comment and an
    output redirection are left out."""
    words = shlex.split(command, comments=True)[1:]
    stdin = None
    if "<" in words:
        at = words.index("<")
        stdin, words = words[at + 1], words[:at] + words[at + 2 :]
    if ">" in words:
        words = words[: words.index(">")]
    return words, stdin


@pytest.mark.parametrize("command", COMMANDS)
def test_a_readme_command_runs(
    command: str, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if "--plot" in command:
        pytest.importorskip("matplotlib")  # the optional plot extra
    args, stdin = _split(command)
    monkeypatch.chdir(workspace)
    text = (workspace / stdin).read_text(encoding="utf-8") if stdin else None
    run = invoke(args, input=text)
    assert run.exit_code in (0, 1), f"{command}\n{run.stderr}"
    assert "internal error" not in run.stderr
