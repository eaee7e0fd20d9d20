"""Issue 14, item 17: each command imports only what it uses, so `madoguchi rules …` answers
in about the time Typer and Rich take to load. Guarded without timing: a fresh interpreter
imports the CLI and runs a command, then reports which heavy packages it loaded
(bench/startup_bench.py measures the times, docs/benchmarks.md)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from madoguchi.cli import main

HEAVY = (
    "sqlalchemy",
    "alembic",
    "fastapi",
    "starlette",
    "uvicorn",
    "cryptography",
    "pydantic_settings",
    "reportlab",
    "smartcard",
    "psycopg",
    "madoguchi.bootstrap",
    "madoguchi.store",
    "madoguchi.web",
)

PROBE = """
import json, sys
from madoguchi.cli.main import build_app
args = json.loads(sys.argv[1])
try:
    if args is not None:
        build_app()(args, prog_name="madoguchi")
except SystemExit as exc:
    assert exc.code in (0, None), exc.code
heavy = json.loads(sys.argv[2])
print(json.dumps(sorted({m.split(".")[0] if not m.startswith("madoguchi.") else
    ".".join(m.split(".")[:2]) for m in sys.modules
    if any(m == h or m.startswith(h + ".") for h in heavy)})))
"""


def loaded_after(args: list[str] | None) -> list[str]:
    """The heavy modules a fresh interpreter has loaded after importing the CLI and, unless
    ``args`` is None, running ``madoguchi ARGS``."""
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(args), json.dumps(HEAVY)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    last = proc.stdout.strip().splitlines()[-1]
    result = json.loads(last)
    assert isinstance(result, list)
    return result


def test_importing_the_cli_loads_nothing_heavy() -> None:
    assert loaded_after(None) == []


@pytest.mark.parametrize(
    "args",
    [
        ["rules", "fee", "--on", "2026-11-29"],
        [
            "rules",
            "expiry",
            "--kind",
            "sign",
            "--birth",
            "1980-07-01",
            "--issued",
            "2026-04-01",
            "--card-expiry",
            "2035-07-01",
            "--json",
        ],
        ["rules", "office", "--office", "kawanishi", "--at", "2026-11-24T10:00"],
        ["rules", "checklist", "--procedure", "new", "--applicant", "proxy"],
        ["--help"],
        ["rules", "--help"],
        ["--version"],
    ],
    ids=lambda a: " ".join(a[:2]),
)
def test_rules_commands_and_help_load_nothing_heavy(args: list[str]) -> None:
    assert loaded_after(args) == []


@pytest.mark.parametrize("group", ["ca", "db", "audit", "staff", "notices", "backup", "serve"])
def test_other_commands_start_without_the_web_application(group: str) -> None:
    """Their help (the command's start) loads neither the web application nor the store."""
    loaded = loaded_after([group, "--help"])
    assert not {"fastapi", "starlette", "uvicorn", "madoguchi.web", "alembic"} & set(loaded)


def test_each_registered_command_loads_and_its_help_line_is_its_own() -> None:
    for name, spec in main.COMMANDS.items():
        command = main.load_command(name, spec)
        assert command.name == name
        own = (command.help or "").strip().splitlines()[0]
        assert own == spec.help, name


def test_the_root_help_lists_every_command() -> None:
    from typer.testing import CliRunner

    result = CliRunner().invoke(main.build_app(), ["--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    for name in main.COMMANDS:
        assert f" {name} " in result.output
