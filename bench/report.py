"""The contract between ``python -m bench`` and its benchmark modules, and the report.

Every benchmark module ``bench/<id>_bench.py`` exposes::

    def run(quick: bool) -> dict: ...

``quick`` asks for a CI smoke run (small sizes, the whole ``--quick`` run under a minute);
otherwise the sizes of docs/benchmarks.md (the whole run a few minutes). ``run`` measures
its figure(s) and its peer's in the same process and returns a **result** (make it with
:func:`result`; plain JSON types only, it goes to docs/benchmarks.json as it is):

``id``
    short and unique, the module's name without ``_bench`` (``issuance``).
``title``
    one line for the report (``Full issuances per second``).
``figures``
    a list of **figures** (make each with :func:`figure`), the first the headline:

    ``name``       what was measured, one table row (``SQLite store``)
    ``ours``       our number (float), in ``unit``
    ``unit``       ``issuances/s``, ``s``, ``requests/s`` …
    ``peer``       the peer's or the physical limit's number, same unit, measured in the
                   same run (None when there is none)
    ``peer_name``  what the peer is (``openssl speed rsa2048 signatures/s ÷ 2``)
    ``better``     ``higher`` (rates) or ``lower`` (times)
    ``ratio``      ``ours / peer`` (None without a peer)
    ``target``     None, or ``{"on": "ratio" | "ours", "op": ">=" | "<=", "value": x}``
    ``met``        True / False against the target, None without one
    ``notes``      a short remark for the table (may be empty)
``notes``
    a list of paragraphs (Markdown): what exactly is timed, what is excluded, what limits
    it where a target is missed, and what would meet it.
``params``
    the sizes of the run (``{"entries": 1000000, "runs": 3}``).
``seconds``, ``number``, ``date``
    filled in by the runner: wall time of ``run``, issue 7's benchmark number (None for
    the others), the date of the run that measured it.

Figures are medians of :data:`RUNS` runs unless a note says otherwise. Never a timed unit
test: a benchmark reports, it does not fail on a slow machine (the runner exits non-zero
only when a module raises).

Shared helpers, so that modules measure their peers the same way: :func:`machine`,
:func:`timed`, :func:`openssl_rsa2048_signs`, :func:`postgres_url` (one throwaway
PostgreSQL server for the whole run, or None with :data:`POSTGRES_PROBLEM` set).
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import itertools
import json
import os
import platform
import re
import statistics
import subprocess
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RUNS = 3
ROOT = Path(__file__).resolve().parent.parent
DOCS_JSON = ROOT / "docs" / "benchmarks.json"
DOCS_MD = ROOT / "docs" / "benchmarks.md"

Result = dict[str, Any]
Figure = dict[str, Any]

_OPS = {">=": "≥", "<=": "≤"}


def _parse_target(target: str | None, on: str) -> dict[str, Any] | None:
    if target is None:
        return None
    m = re.fullmatch(r"\s*(>=|<=)\s*([0-9.]+)\s*", target)
    if not m:
        raise ValueError(f"a target reads '>= 0.5' or '<= 2': {target!r}")
    return {"on": on, "op": m.group(1), "value": float(m.group(2))}


def figure(
    name: str,
    ours: float,
    unit: str,
    *,
    peer: float | None = None,
    peer_name: str | None = None,
    better: str = "higher",
    target: str | None = None,
    target_on: str = "ratio",
    notes: str = "",
) -> Figure:
    """One figure; ``target`` is ``'>= 0.5'`` or ``'<= 2'``, on the ratio or on ``ours``."""
    if better not in ("higher", "lower"):
        raise ValueError("better is 'higher' or 'lower'")
    if target_on not in ("ratio", "ours"):
        raise ValueError("target_on is 'ratio' or 'ours'")
    ratio = ours / peer if peer else None
    goal = _parse_target(target, target_on)
    met: bool | None = None
    if goal is not None:
        value = ratio if target_on == "ratio" else ours
        if value is not None:
            met = value >= goal["value"] if goal["op"] == ">=" else value <= goal["value"]
    return {
        "name": name,
        "ours": float(ours),
        "unit": unit,
        "peer": None if peer is None else float(peer),
        "peer_name": peer_name,
        "better": better,
        "ratio": ratio,
        "target": goal,
        "met": met,
        "notes": notes,
    }


def result(
    id: str,
    title: str,
    figures: Sequence[Figure],
    notes: Sequence[str] = (),
    params: dict[str, Any] | None = None,
) -> Result:
    if not figures:
        raise ValueError("a result has at least one figure")
    return {
        "id": id,
        "title": title,
        "figures": list(figures),
        "notes": list(notes),
        "params": params or {},
    }


# -- measuring -----------------------------------------------------------------------------
def timed(fn: Callable[[], object], runs: int = RUNS) -> list[float]:
    """Wall seconds of ``runs`` calls of ``fn``."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def secs(x: float) -> str:
    """A duration for a note: ``850 ms`` or ``1.23 s``."""
    return f"{x * 1000:.0f} ms" if x < 1 else f"{x:.2f} s"


@functools.cache
def openssl_rsa2048_signs(seconds: int = 3) -> float:
    """RSA-2048 signatures per second of ``openssl speed -seconds N rsa2048``, one process
    (the physical limit of anything that signs with RSA-2048 on one core; measured once
    per run and shared by the modules)."""
    proc = subprocess.run(
        ["openssl", "speed", "-seconds", str(seconds), "rsa2048"],
        capture_output=True,
        text=True,
        check=True,
    )
    for line in proc.stdout.splitlines():
        m = re.match(r"rsa\s+2048 bits\s+\S+s\s+\S+s\s+([0-9.]+)\s+([0-9.]+)", line.strip())
        if m:
            return float(m.group(1))
    raise RuntimeError(f"cannot read openssl speed's output:\n{proc.stdout}")


def machine() -> dict[str, Any]:
    """The machine, as the report states it (read at run time)."""
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = None
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = round(int(line.split()[1]) / 2**20, 1)
    os_name = platform.platform()
    with contextlib.suppress(OSError):
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = line.split("=", 1)[1].strip('"')
    openssl = subprocess.run(
        ["openssl", "version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    import sqlite3

    import sqlalchemy

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": memory,
        "os": os_name,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "openssl": openssl,
        "sqlite": sqlite3.sqlite_version,
        "sqlalchemy": sqlalchemy.__version__,
        "postgresql": _postgres_version(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def _postgres_version() -> str | None:
    import glob

    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"))
    if not found:
        return None
    out = subprocess.run([found[-1], "--version"], capture_output=True, text=True, check=False)
    return out.stdout.strip() or None


# -- PostgreSQL ----------------------------------------------------------------------------
_pg_stack: contextlib.ExitStack | None = None
_pg_server: str | None = None
_pg_names = itertools.count()
POSTGRES_PROBLEM: str | None = None
#: How the throwaway server runs: say it wherever a PostgreSQL figure is reported.
POSTGRES_NOTE = (
    "PostgreSQL is a throwaway local cluster (tests/support/postgres.py: loopback TCP, "
    "fsync=off, full_page_writes=off, default shared_buffers): commits are not flushed to "
    "disk, as SQLite's WAL with synchronous=NORMAL does not flush them either."
)


def postgres_url(prefix: str) -> str | None:
    """A fresh database on the run's PostgreSQL server (started on first use, stopped at
    exit), or None when no server can start here (reason in :data:`POSTGRES_PROBLEM`)."""
    global _pg_stack, _pg_server, POSTGRES_PROBLEM
    if POSTGRES_PROBLEM is not None:
        return None
    if _pg_server is None:
        try:
            from tests.support.postgres import postgres_server

            stack = contextlib.ExitStack()
            _pg_server = stack.enter_context(postgres_server())
            _pg_stack = stack
            atexit.register(stop_postgres)
        except Exception as exc:  # not installed, cannot start: the report says so
            POSTGRES_PROBLEM = f"{type(exc).__name__}: {exc}"
            return None
    from tests.support.postgres import create_database

    return create_database(_pg_server, f"{prefix}{next(_pg_names)}")


def stop_postgres() -> None:
    global _pg_stack, _pg_server
    if _pg_stack is not None:
        _pg_stack.close()
    _pg_stack, _pg_server = None, None


# -- the report ----------------------------------------------------------------------------
def _num(x: float | None) -> str:
    if x is None:
        return "—"
    if x == 0:
        return "0"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    if abs(x) >= 1:
        return f"{x:.2f}"
    return f"{x:.3g}"


def _target_text(fig: Figure) -> str:
    goal = fig["target"]
    if not goal:
        return "—"
    op = _OPS[goal["op"]]
    if goal["on"] == "ratio":
        return f"{op} {goal['value']:g}×"
    return f"{op} {goal['value']:g} {fig['unit']}"


def _met_text(fig: Figure) -> str:
    return {True: "**met**", False: "**not met**", None: "—"}[fig["met"]]


def _ratio_text(fig: Figure) -> str:
    if fig["ratio"] is None:
        return "—"
    return f"{fig['ratio']:.3g}×"


def render_markdown(doc: dict[str, Any]) -> str:
    """docs/benchmarks.md from the data of docs/benchmarks.json."""
    m = doc["machine"]
    out = [
        "# Benchmarks",
        "",
        "Generated by `make bench` (`python -m bench`) from docs/benchmarks.json; do not edit",
        "by hand. Each figure is measured against its peer (another program doing the same",
        "work) or against the physical limit, **in the same run on the same machine**, and",
        "judged as a ratio; medians of three runs unless a note says otherwise. Performance is",
        "never a timed unit test: `python -m bench --quick` is the CI smoke run (small sizes).",
        "",
        f"Machine: {m['cores']} cores of {m['cpu']}, {m['memory_gib']} GiB, {m['os']} "
        f"(kernel {m['kernel']}), Python {m['python']}, {m['openssl']}, SQLite {m['sqlite']}, "
        f"SQLAlchemy {m['sqlalchemy']}, {m['postgresql'] or 'no PostgreSQL'}. "
        f"Run of {doc['date']} ({'with quick runs' if doc.get('quick') else 'full run'}, "
        f"{doc['seconds']:.0f} s in all; load average at the end "
        f"{', '.join(str(x) for x in m.get('load_average', []))}: other work on the machine "
        "slows ours and the peers alike, which is why the figures are ratios).",
        "",
        "| # | benchmark | what | ours | peer or limit (same run) | ratio | target | met |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for res in doc["results"]:
        n = res.get("number") or ""
        if "error" in res:
            out.append(f"| {n} | {res['title']} | failed: {res['error']} | | | | | |")
            continue
        for i, fig in enumerate(res["figures"]):
            peer = "—"
            if fig["peer"] is not None:
                peer = f"{_num(fig['peer'])} {fig['unit']} ({fig['peer_name']})"
            what = fig["name"] + (f" — {fig['notes']}" if fig["notes"] else "")
            out.append(
                f"| {n if i == 0 else ''} | {res['title'] if i == 0 else ''} | {what} | "
                f"{_num(fig['ours'])} {fig['unit']} | {peer} | {_ratio_text(fig)} | "
                f"{_target_text(fig)} | {_met_text(fig)} |"
            )
    out += [
        "",
        "Ratio = ours ÷ peer: for rates higher is better, for times lower is better. # is the",
        "benchmark's number in issue 7; the row without one is issue 3's CRL writer.",
        "",
        "## Commands",
        "",
        "```sh",
        "make bench                        # installs the peers, runs everything, writes these docs",
        ".venv/bin/python -m bench         # the same, without the Debian packages step",
        ".venv/bin/python -m bench --quick # CI smoke run: small sizes, under a minute, prints only",
        ".venv/bin/python -m bench --only issuance,notices   # some; merged into the docs",
        ".venv/bin/python -m bench.crl_bench [entries] [--simple]   # a module on its own",
        "```",
        "",
    ]
    for res in doc["results"]:
        n = res.get("number")
        out.append(f"## {n}. {res['title']}" if n else f"## {res['title']}")
        out.append("")
        if "error" in res:
            out += [f"Failed in this run: `{res['error']}`.", ""]
            continue
        params = ", ".join(f"{k} {_param(v)}" for k, v in res.get("params", {}).items())
        ran = f"`bench/{res['id']}_bench.py`, ran {res.get('seconds', 0):.0f} s"
        if res.get("date") and res["date"] != doc["date"]:
            ran += f", run of {res['date']}"
        own = res.get("machine")
        if own and own != doc["machine"]:
            load = ", ".join(str(x) for x in own.get("load_average", []))
            ran += f", on {own['cores']} cores of {own['cpu']} (load average {load})"
        if res.get("quick"):
            ran += ", **quick run** (small sizes)"
        out.append(f"({ran}{'; ' + params if params else ''}.)")
        out.append("")
        for note in res["notes"]:
            out.append(f"- {note}")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def _param(v: Any) -> str:
    return f"{v:,}" if isinstance(v, int) and not isinstance(v, bool) else str(v)


def write_docs(
    results: list[Result],
    seconds: float,
    quick: bool,
    *,
    merge: bool,
    json_path: Path = DOCS_JSON,
    md_path: Path = DOCS_MD,
) -> dict[str, Any]:
    """Write the raw figures and the rendered report; with ``merge``, results of other
    benchmarks already in ``json_path`` are kept (a partial run replaces only its own)."""
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    here = machine()
    header, header_date = here, now
    for res in results:
        res.setdefault("date", now)
        res.setdefault("quick", quick)
        res.setdefault("machine", here)  # a partial run's figures say where they were taken
    if merge and json_path.exists():
        old = json.loads(json_path.read_text())
        # the header keeps the machine and date of the run the other figures come from
        header, header_date = old.get("machine", here), old.get("date", now)
        merged = {r["id"]: r for r in old.get("results", [])}
        merged.update({r["id"]: r for r in results})
        results = sorted(
            merged.values(), key=lambda r: (r.get("number") is None, r.get("number") or 0)
        )
        seconds = sum(r.get("seconds", 0) for r in results)
    doc = {
        "date": header_date,
        "quick": any(r.get("quick") for r in results),
        "seconds": seconds,
        "machine": header,
        "results": results,
    }
    json_path.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
    md_path.write_text(render_markdown(doc))
    return doc


def print_table(results: list[Result]) -> None:
    for res in results:
        if "error" in res:
            print(f"{res['id']}: FAILED {res['error']}")
            continue
        for fig in res["figures"]:
            peer = f" | peer {_num(fig['peer'])} ({fig['peer_name']})" if fig["peer"] else ""
            ratio = f" | ratio {_ratio_text(fig)}" if fig["ratio"] is not None else ""
            target = f" | target {_target_text(fig)} {_met_text(fig)}" if fig["target"] else ""
            print(
                f"{res['id']}: {fig['name']}: {_num(fig['ours'])} {fig['unit']}{peer}{ratio}{target}"
            )
