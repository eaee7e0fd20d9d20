"""Operations with the real processes (issue 19): `madoguchi run-periodic --once` runs every
periodic job of the schedule (CRLs, OCSP export, audit checkpoint, move-in deadline, backup)
and logs each as JSON; then `madoguchi serve --workers 2` is ready, and its /metrics — read
on the loopback without a token — counts the requests of both workers together (prometheus
multiprocess mode), whichever worker answers the scrape."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.processes import madoguchi_json, serving

PASSPHRASE = "a long backup passphrase"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("ops")
    data, log = base / "data", base / "madoguchi.jsonl"
    madoguchi_json("demo-data", "--data-dir", str(data))  # the CA, residents, an audit log
    env = {
        "MADOGUCHI_BACKUP_PASSPHRASE": PASSPHRASE,
        "MADOGUCHI_LOG_FORMAT": "json",
        "MADOGUCHI_LOG_FILE": str(log),
    }
    ran = madoguchi_json("run-periodic", "--once", "--data-dir", str(data), env=env)
    return {"base": base, "data": data, "log": log, "env": env, "ran": ran}


def log_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_run_periodic_once_runs_every_job(world: dict[str, Any]) -> None:
    data = world["data"]
    assert world["ran"] == {
        "ran": [
            "crl",
            "ocsp-export",
            "audit-checkpoint",
            "move-in-deadline",
            "ca-deadlines",
            "reconcile",
            "backup",
        ],
        "failed": [],
    }
    public = data / "public"
    assert {p.name for p in (public / "crl").iterdir()} == {
        "sign.crl", "sign-0.crl", "auth.crl", "auth-0.crl",
    }  # fmt: skip
    assert len((public / "ocsp" / ".madoguchi-ocsp-export").read_text().split()) > 2
    (backup,) = (data / "backups").glob("madoguchi-*.backup")
    marker = json.loads((data / "ops" / "last-backup.json").read_text())
    assert marker["bytes"] == backup.stat().st_size
    assert (data / "audit" / "checkpoints.log").read_text().count("\n") == 1
    jobs = [x for x in log_lines(world["log"]) if x["logger"] == "madoguchi.periodic"]
    assert [(x["job"], x["exit_code"]) for x in jobs] == [(name, 0) for name in world["ran"]["ran"]]
    crl = next(x for x in jobs if x["job"] == "crl")
    assert {c["file"] for c in crl["result"]["crls"]} == {
        "sign.crl", "sign-0.crl", "auth.crl", "auth-0.crl",
    }  # fmt: skip


def scrape(url: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    r = httpx.get(url + "/metrics", timeout=10, headers={"connection": "close"})
    assert r.status_code == 200, r.text
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(r.text)
        for s in family.samples
    }


def test_two_workers_ready_and_counted_together(world: dict[str, Any]) -> None:
    log = world["log"]
    start = len(log_lines(log))
    with serving(world["data"], workers=2, env=world["env"]) as url:
        ready = httpx.get(url + "/readyz", timeout=10)
        assert ready.status_code == 200, ready.text
        for _ in range(24):  # a new connection each: the kernel spreads them over the workers
            r = httpx.get(url + "/ca/sign-ca.der", timeout=10, headers={"connection": "close"})
            assert r.status_code == 200 and len(r.headers["x-request-id"]) == 32
        deadline = time.monotonic() + 20
        while True:  # a line is written just after its answer went out: wait for the 24th
            served = [
                x for x in log_lines(log)[start:]
                if x["logger"] == "madoguchi.access" and x["route"] == "/ca/{name}-ca.der"
            ]  # fmt: skip
            if len(served) >= 24 or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert len(served) == 24
        assert len({x["pid"] for x in served}) == 2, "both workers answered"
        key = ("madoguchi_http_requests_total", frozenset(
            {"method": "GET", "route": "/ca/{name}-ca.der", "status": "200"}.items()
        ))  # fmt: skip
        issued = ("madoguchi_certificates_issued_total", frozenset({"kind": "sign"}.items()))
        seen = set()
        for _ in range(6):  # whichever worker answers the scrape: the same total
            samples = scrape(url)
            assert samples[key] == 24
            assert samples[("madoguchi_store_up", frozenset())] == 1
            assert samples[("madoguchi_backup_age_seconds", frozenset())] < 3600
            assert samples[("madoguchi_audit_unsigned_age_seconds", frozenset())] == 0
            seen.add(samples[issued])
        assert len(seen) == 1 and seen.pop() > 0
        proxied = httpx.get(url + "/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
        assert proxied.status_code == 401  # through a proxy the loopback is not local
