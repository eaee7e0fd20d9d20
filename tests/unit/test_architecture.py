"""The layers' rules that import-linter does not express (issue 13, DESIGN.md): the store
uses nothing of the services but the ports and the domain; no web or CLI module reads or
writes the store itself; no module of src/ (migrations aside) passes 400 lines."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "madoguchi"
MAX_LINES = 400


def _modules(package: str) -> list[Path]:
    return sorted(p for p in (SRC / package).rglob("*.py") if "migrations" not in p.parts)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
        elif isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
    return out


@pytest.mark.parametrize("path", _modules("store"), ids=lambda p: p.name)
def test_the_store_imports_only_the_ports_and_the_domain_of_the_services(path: Path) -> None:
    services = {m for m in _imports(path) if m.startswith("madoguchi.services")}
    allowed = {"madoguchi.services.ports", "madoguchi.services.domain"}
    assert services <= allowed, f"{path.name} imports {sorted(services - allowed)}"


@pytest.mark.parametrize("path", _modules("web") + _modules("cli"), ids=lambda p: p.name)
def test_no_web_or_cli_module_touches_the_store(path: Path) -> None:
    """Routes and commands parse, call a service or a view, and render: none opens a unit of
    work, uses a repository or imports the store."""
    text = path.read_text(encoding="utf-8")
    tree = ast.parse(text)
    store = {m for m in _imports(path) if m.startswith("madoguchi.store")}
    assert not store, f"{path.name} imports {sorted(store)}"
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in ("uow", "uow_factory", "engine"):
            pytest.fail(f"{path.name}:{node.lineno} uses .{node.attr}")


@pytest.mark.parametrize(
    "path",
    [p for p in SRC.rglob("*.py") if "migrations" not in p.parts],
    ids=lambda p: str(p.relative_to(SRC)),
)
def test_modules_stay_under_400_lines(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(SRC)} has {lines} lines"
