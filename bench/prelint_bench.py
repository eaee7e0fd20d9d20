"""Linting each certificate before it is kept, as Let's Encrypt's Boulder lints each
certificate with zlint before signing it (issue 14, item 14): what it costs an issuance.

Benchmark 1's unit — one issuance as the counter makes it, both certificates signed and
stored, their audit entries, one commit on SQLite — with and without pkilint judging both
certificates before the commit. The two are run alternately, several rounds, so a busy
machine slows both alike; the figure is the linted rate against the plain one.

    python -m bench --only prelint
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench import report
from bench.issuance_bench import (
    CardKey,
    _audits,
    _requests,
    card_keys,
    container,
    issue_one,
)
from madoguchi.bootstrap import Container
from madoguchi.services.ca import CaService


def issue_linted(c: Container, ca: CaService, keys: list[CardKey], i: int) -> None:
    """:func:`bench.issuance_bench.issue_one` with pkilint judging both certificates
    before the commit (an ERROR or FATAL finding would refuse the issuance)."""
    from tests.support.pkilint import lint

    with c.uow() as uow:
        records = ca.issue_many_in(uow, _requests(keys, i))
        for rec in records:
            if lint("certificate", rec.der):
                raise RuntimeError(f"pkilint refused {rec.serial_hex}")
        uow.counter.append_audits(_audits(ca, records, i))
        uow.commit()


def _round(step: Callable[[int], None], start: int, n: int) -> float:
    t0 = time.perf_counter()
    for i in range(start, start + n):
        step(i)
    return (time.perf_counter() - t0) / n


def run(quick: bool) -> report.Result:
    n, rounds = (10, 3) if quick else (40, 5)
    keys = card_keys()
    with tempfile.TemporaryDirectory(prefix="bench-prelint-") as name:
        c = container(Path(name) / "sqlite")
        ca = c.ca
        for i in range(5):  # warm-up: caches, compiled statements, pkilint's validators
            issue_linted(c, ca, keys, 10**6 + i)
        plain, linted = [], []
        for r in range(rounds):
            plain.append(_round(lambda i: issue_one(c, ca, keys, i), 2 * r * n, n))
            linted.append(_round(lambda i: issue_linted(c, ca, keys, i), (2 * r + 1) * n, n))
        c.engine.dispose()
    plain_s, linted_s = statistics.median(plain), statistics.median(linted)
    extra_ms = 1000 * (linted_s - plain_s)
    figures = [
        report.figure(
            "SQLite, one transaction an issuance, both certificates linted by pkilint first",
            1 / linted_s,
            "issuances/s",
            peer=1 / plain_s,
            peer_name="the same issuances without the lint (benchmark 1's first row), "
            "run alternately with it",
            notes=f"+{extra_ms:.0f} ms an issuance ({extra_ms / 2:.0f} ms a certificate); "
            "not adopted",
        ),
    ]
    notes = [
        f"{rounds} alternating rounds of {n} issuances each way after a warm-up; medians. "
        "pkilint 0.13.3 parses the DER into pyasn1 objects and walks every node in pure "
        "Python with its RFC 5280 validators (the same set tests/integration/test_pkilint.py "
        "runs).",
        "Decision (docs/pki.md): not adopted. The issuance path would run at the linted rate "
        "above — a small fraction of benchmark 1's — for certificates whose every field comes "
        "from fixed profile code with typed inputs; the suite lints every kind of artefact "
        "instead. A CA taking free-form extensions from outside would need it.",
    ]
    return report.result(
        "prelint",
        "Pre-issuance lint (Boulder-style): the cost of pkilint on every issuance",
        figures,
        notes,
        {"issuances_per_round": n, "rounds": rounds},
    )


if __name__ == "__main__":
    for f in run("--quick" in sys.argv)["figures"]:
        print(f"{f['name']}: {f['ours']:.1f}/s against {f['peer']:.1f}/s — {f['notes']}")
