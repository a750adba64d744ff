"""Dependencies point one way: cli -> render -> core.  Only ``cli/`` and ``render/`` may know
about terminals (typer, rich); the core never calls ``sys.exit`` and never evaluates text."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import gist_tox

PACKAGE = Path(gist_tox.__file__).resolve().parent
CORE = sorted(
    p
    for p in PACKAGE.rglob("*.py")
    if p.relative_to(PACKAGE).parts[0] not in {"cli", "render", "__main__.py"}
)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", CORE, ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_core_module_knows_no_terminal_and_no_cli(path: Path) -> None:
    imported = _imports(path)
    assert not {n for n in imported if n.split(".")[0] in {"typer", "rich", "click"}}
    assert not {n for n in imported if n.startswith(("gist_tox.cli", "gist_tox.render"))}


@pytest.mark.parametrize(
    "path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: p.relative_to(PACKAGE).as_posix()
)
def test_no_eval_exec_or_unsafe_yaml(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            assert node.func.id not in {"eval", "exec", "compile", "__import__"}, node.lineno
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "yaml"
        ):
            assert node.attr not in {
                "load",
                "load_all",
                "unsafe_load",
                "full_load",
                "FullLoader",
                "UnsafeLoader",
                "Loader",
            }, node.lineno
    if path.relative_to(PACKAGE).parts[0] not in {"cli", "__main__.py"}:
        assert "sys.exit(" not in path.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "path",
    sorted((PACKAGE / "render").rglob("*.py")),
    ids=lambda p: p.relative_to(PACKAGE).as_posix(),
)
def test_renderers_know_no_command_line(path: Path) -> None:
    """A renderer writes a document; flags, exit codes and stderr are the command's."""
    imported = _imports(path)
    assert not {n for n in imported if n.split(".")[0] in {"typer", "click"}}
    assert not {n for n in imported if n.startswith("gist_tox.cli")}
