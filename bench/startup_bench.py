"""Start-up of the `madoguchi` command and of the server (issue 14, item 17).

The peer is Typer and Rich themselves, on the same machine in the same run: a fresh
interpreter that does ``import typer, rich`` (the issue's yardstick) and, as a second
yardstick, a one-command Typer application with one option that prints through Rich — what
any Typer CLI pays, since Typer 0.29 coerces options with pydantic. Every figure is the
median of several fresh processes (wall time, from spawn to exit).

    python -m bench --only startup
    python -m bench.startup_bench          # on its own, prints the figures
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Sequence
from pathlib import Path

import httpx

from bench import report

PYTHON = sys.executable
MADOGUCHI = str(Path(sys.executable).with_name("madoguchi"))
MINIMAL_TYPER = textwrap.dedent(
    """
    import typer
    app = typer.Typer(add_completion=False)
    @app.command()
    def fee(on: str = typer.Option(...), json: bool = False) -> None:
        from rich.console import Console
        from rich.table import Table
        table = Table(show_header=False)
        table.add_row("on", on)
        Console().print(table)
    app()
    """
)


def environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of an installed CLI: bytecode caches written and used (a session that
    sets PYTHONDONTWRITEBYTECODE would time the compiler, not the start-up)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, **(extra or {})}


def wall(
    argv: Sequence[str], runs: int, env: dict[str, str] | None = None, *, warm: bool = True
) -> float:
    """Median wall time of ``runs`` fresh processes (after one unmeasured warm-up, which
    also writes the bytecode caches, unless ``warm`` is False)."""
    times = []
    for i in range(runs + (1 if warm else 0)):
        t0 = time.perf_counter()
        subprocess.run(list(argv), check=True, capture_output=True, env=environment(env))
        if i or not warm:
            times.append(time.perf_counter() - t0)
    return report.median(times)


def serve_start(
    data: Path, runs: int, workers: int = 1, env: dict[str, str] | None = None
) -> float:
    """Median time from spawning `madoguchi serve` to its first /healthz answer."""
    times = []
    for i in range(runs + 1):
        with socket_port() as port:
            t0 = time.perf_counter()
            args = ["--workers", str(workers)] if workers > 1 else []
            proc = subprocess.Popen(
                [MADOGUCHI, "serve", "--data-dir", str(data), "--port", str(port), *args],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=environment(env),
            )
            try:
                while True:
                    try:
                        if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).is_success:
                            break
                    except httpx.HTTPError:
                        if proc.poll() is not None:
                            raise RuntimeError("serve exited") from None
                        time.sleep(0.02)
                if i:
                    times.append(time.perf_counter() - t0)
            finally:
                proc.terminate()
                proc.wait(timeout=60)
    return report.median(times)


class socket_port:
    def __enter__(self) -> int:
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return int(s.getsockname()[1])

    def __exit__(self, *exc: object) -> None:
        return None


# an older tree's src/ (and MADOGUCHI_STARTUP_BEFORE_LABEL, what to call it), measured in
# the same run: `git archive <commit> | tar -x -C /tmp/old`, then point this at /tmp/old/src
BEFORE_ENV = "MADOGUCHI_STARTUP_BEFORE"


def run(quick: bool) -> report.Result:
    runs = 3 if quick else 9
    serve_runs = max(1, runs // 3)
    with tempfile.TemporaryDirectory() as tmp:
        minimal = Path(tmp) / "minimal.py"
        minimal.write_text(MINIMAL_TYPER)
        data = Path(tmp) / "data"
        subprocess.run(
            [MADOGUCHI, "ca", "init", "--data-dir", str(data)],
            check=True,
            capture_output=True,
            env=environment(),
        )
        env = {"MADOGUCHI_DATA_DIR": str(data)}
        expiry = ["--kind", "sign", "--birth", "1980-07-01", "--issued", "2026-04-01"]
        commands: dict[str, tuple[list[str], dict[str, str]]] = {
            "typer+rich": ([PYTHON, "-c", "import typer, rich"], {}),
            "typer app": ([PYTHON, str(minimal), "--on", "2026-11-29"], {}),
            "rules fee": ([MADOGUCHI, "rules", "fee", "--on", "2026-11-29"], {}),
            "rules expiry": (
                [MADOGUCHI, "rules", "expiry", *expiry, "--card-expiry", "2035-07-01", "--json"],
                {},
            ),
            **{
                f"{group} --help": ([MADOGUCHI, *group.split(), "--help"], {})
                for group in ("ca init", "staff add", "notices dispatch", "backup", "serve")
            },
            "audit verify": ([MADOGUCHI, "audit", "verify"], env),
        }
        old_src = os.environ.get(BEFORE_ENV)
        if old_src:  # the same commands with an older tree first on the path
            old = {"PYTHONPATH": old_src}
            for name in ("rules fee", "ca init --help", "audit verify"):
                argv, extra = commands[name]
                commands[f"before: {name}"] = (argv, {**extra, **old})
        # round after round, every command once: a load that comes and goes on a shared
        # machine falls on all of them alike (one unmeasured round first writes the caches)
        times: dict[str, list[float]] = {name: [] for name in commands}
        for i in range(runs + 1):
            for name, (argv, extra) in commands.items():
                seconds = wall(argv, 1, extra, warm=False)
                if i:
                    times[name].append(seconds)
        t = {name: report.median(values) for name, values in times.items()}
        serves: dict[str, list[float]] = {"serve": [], "serve 2": [], "before: serve": []}
        for _ in range(serve_runs):
            serves["serve"].append(serve_start(data, 1))
            serves["serve 2"].append(serve_start(data, 1, workers=2))
            if old_src:
                serves["before: serve"].append(serve_start(data, 1, env={"PYTHONPATH": old_src}))
        t |= {name: report.median(values) for name, values in serves.items() if values}
    typer_rich, typer_app, rules, rules_json = (
        t["typer+rich"],
        t["typer app"],
        t["rules fee"],
        t["rules expiry"],
    )
    helps = {g: t[f"{g} --help"] for g in ("ca init", "staff add", "notices dispatch", "backup")}
    helps["serve"] = t["serve --help"]
    audit, serve1, serve2 = t["audit verify"], t["serve"], t["serve 2"]
    before = {
        name.removeprefix("before: "): seconds
        for name, seconds in t.items()
        if name.startswith("before: ")
    }
    peer = "python -c 'import typer, rich'"
    figures = [
        report.figure(
            "madoguchi rules fee --on 2026-11-29",
            rules,
            "s",
            peer=typer_rich,
            peer_name=peer,
            better="lower",
            target="<= 2",
            notes=f"against a one-command Typer+Rich app ({typer_app:.2f} s): "
            f"{rules / typer_app:.2f}×",
        ),
        report.figure(
            "madoguchi rules expiry … --json",
            rules_json,
            "s",
            peer=typer_rich,
            peer_name=peer,
            better="lower",
            target="<= 2",
        ),
        report.figure(
            "a one-command Typer app with one option, printing a Rich table — Typer's floor",
            typer_app,
            "s",
            peer=typer_rich,
            peer_name=peer,
            better="lower",
            notes="Typer 0.29 builds a pydantic TypeAdapter per option: pydantic is loaded "
            "by any command that takes an option",
        ),
        *(
            report.figure(
                f"madoguchi {group} --help (the command's start)",
                seconds,
                "s",
                peer=typer_rich,
                peer_name=peer,
                better="lower",
                target="<= 4",
            )
            for group, seconds in helps.items()
        ),
        report.figure(
            "madoguchi audit verify (a command that opens the store)",
            audit,
            "s",
            peer=typer_rich,
            peer_name=peer,
            better="lower",
            notes="includes SQLAlchemy, the migrations check and the chain's verification",
        ),
        report.figure(
            "madoguchi serve: spawn to the first /healthz answer",
            serve1,
            "s",
            peer=typer_rich,
            peer_name=peer,
            better="lower",
        ),
        report.figure(
            "madoguchi serve --workers 2: spawn to the first /healthz answer",
            serve2,
            "s",
            peer=typer_rich,
            peer_name=peer,
            better="lower",
        ),
    ]
    figures += [
        report.figure(
            f"before ({os.environ.get(BEFORE_ENV + '_LABEL', os.environ.get(BEFORE_ENV))}): "
            f"madoguchi {what}",
            seconds,
            "s",
            peer=typer_rich,
            peer_name=peer,
            better="lower",
            notes="every command imported at start",
        )
        for what, seconds in before.items()
    ]
    notes = [
        f"Medians of {runs} rounds after one warm-up round, each round running every command "
        f"once in turn (serve: {serve_runs} rounds); wall time from spawn to exit (serve: to "
        "its first /healthz answer), with bytecode caches as an "
        "installed CLI has them, on the machine this section names, while other work ran; the yardstick is "
        "measured in the same run, so the ratios travel.",
        f"Typer's own floor is {typer_app / typer_rich:.1f}× the bare `import typer, rich`: "
        "Typer 0.29 coerces every option through a pydantic TypeAdapter, so any command with "
        "an option loads pydantic. A rules command is "
        f"{rules / typer_app:.2f}× that floor; 2× the bare import is out of reach while the "
        "CLI is built on Typer 0.29 (a Typer without pydantic, or no Typer for the rules "
        "commands, would be the way there).",
        "How: `madoguchi.cli.main` imports no command; `COMMANDS` names each command's module, "
        "imported when the command runs (and `--help` lists them from their registered help "
        "lines). A rules command loads Typer, Rich, pydantic (through Typer) and "
        "`madoguchi.rules`; never SQLAlchemy, Alembic, cryptography or the web application "
        "(tests/e2e/test_cli_startup.py guards it without timing).",
    ]
    return report.result(
        "startup",
        "Start-up of the madoguchi command and server",
        figures,
        notes,
        {"runs": runs},
    )


if __name__ == "__main__":
    for f in run("--quick" in sys.argv)["figures"]:
        ratio = f"{f['ratio']:.2f}×" if f["ratio"] else ""
        print(f"{f['name']}: {f['ours']:.3f} s {ratio} {f['notes']}")
