"""Benchmark 5's section *at half the card's capacity* alone, three runs on each database
(issue 14, item 18): 20 terminals, each starting a P1 at a fixed pace; the issue request's
p99 (without the card's key generation) as the median of the runs, with its spread.

Run: ``.venv/bin/python -m bench --only api_paced`` (writes the docs), or
``.venv/bin/python -m bench.api_paced_bench [ROUNDS [PACE [BACKEND]]]`` (one JSON line per
run; ``PACE`` fixes the seconds between a terminal's P1s, to compare two code versions at
the same load; ``BACKEND`` SQLite or PostgreSQL, else both).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
from typing import Any

from bench import report
from bench.api_bench import CARD, TERMINALS, keygen_alone, measure, p, pin_hash_alone
from bench.report import figure, postgres_url, result

ROUNDS, SECONDS = 3, 30.0


def measured_pace() -> float:
    """Seconds between a terminal's P1s so that the 20 together ask for half of what the
    virtual card's own work allows on this machine's cores (as benchmark 5 computes it)."""
    card_ms = 2 * keygen_alone(20) + 4 * pin_hash_alone(20)
    return TERMINALS / (1e3 / card_ms * (os.cpu_count() or 1) / 2)


def rounds(
    count: int,
    pace: float,
    seconds: float,
    residents: int,
    backends: tuple[str, ...] = ("SQLite", "PostgreSQL"),
) -> list[dict[str, Any]]:
    """``count`` runs on each database, alternating, one line (a dict) per run."""
    lines = []
    for n in range(count):
        for backend in backends:
            url = postgres_url(f"apiround{n}x") if backend == "PostgreSQL" else None
            if backend == "PostgreSQL" and url is None:
                continue
            load = os.getloadavg()[0]
            m = measure(backend, url, seconds, residents, TERMINALS, pace)
            issue = m["tally"].samples["issue"]
            line = {
                "backend": backend,
                "round": n + 1,
                "p99": round(p(issue, 0.99, ("keygen",)), 1),
                "p99 with keygen": round(p(issue, 0.99), 1),
                "p99 without card work": round(p(issue, 0.99, CARD), 1),
                "p99 in the database": round(p(issue, 0.99, what="db"), 1),
                "issuances": m["issuances"],
                "errors": len(m["errors"]),
                "load": round(load, 2),
            }
            print(json.dumps(line), flush=True)
            lines.append(line)
    return lines


def spread(values: list[float]) -> str:
    return (
        f"median {statistics.median(values):.0f} ms (min {min(values):.0f}, max {max(values):.0f})"
    )


def run(quick: bool) -> dict[str, Any]:
    count, seconds, residents = (1, 6.0, 60) if quick else (ROUNDS, SECONDS, 300)
    load_at_start = os.getloadavg()
    pace = measured_pace()
    lines = rounds(count, pace, seconds, residents)
    figures, notes = [], []
    for backend in ("SQLite", "PostgreSQL"):
        mine = [x for x in lines if x["backend"] == backend]
        if not mine:
            notes.append(f"{backend} not measured: {report.POSTGRES_PROBLEM}")
            continue
        p99s = [x["p99"] for x in mine]
        figures.append(
            figure(
                f"{backend}, {TERMINALS} terminals at half the card's capacity: issue p99 "
                f"without key generation, median of {len(mine)} runs",
                statistics.median(p99s),
                "ms",
                better="lower",
                notes=f"min {min(p99s):.0f}, max {max(p99s):.0f} ms; "
                f"{sum(x['errors'] for x in mine)} errors",
            )
        )
        notes.append(
            f"{backend}, issue p99 without key generation per run: "
            + ", ".join(
                f"{x['p99']:.0f} ms (with it {x['p99 with keygen']:.0f}, in the database "
                f"{x['p99 in the database']:.0f}; {x['issuances']} issuances, {x['errors']} "
                f"errors, load average {x['load']})"
                for x in mine
            )
            + f"; {spread(p99s)}."
        )
    notes.insert(
        0,
        f"Benchmark 5's paced section alone: {TERMINALS} terminals each start a P1 every "
        f"{pace:.1f} s (half the virtual card's capacity on this machine, measured at the "
        f"start) for {seconds:g} s, {count} run(s) on each database, alternating; the issue "
        "request's p99 without the card's key generation (see benchmark 5 for the timing "
        "headers). The machine was shared with other work (load average at the start "
        f"{', '.join(f'{x:.2f}' for x in load_at_start)} on {os.cpu_count()} cores): the "
        "spread is mostly theirs.",
    )
    notes.append(report.POSTGRES_NOTE)
    return result(
        "api_paced",
        f"Counter API at half the card's capacity: issue p99 over {count} runs",
        figures,
        notes,
        params={"terminals": TERMINALS, "seconds": seconds, "runs": count},
    )


if __name__ == "__main__":
    args = sys.argv[1:]
    rounds(
        int(args[0]) if args else ROUNDS,
        float(args[1]) if len(args) > 1 else measured_pace(),
        SECONDS,
        300,
        (args[2],) if len(args) > 2 else ("SQLite", "PostgreSQL"),
    )
