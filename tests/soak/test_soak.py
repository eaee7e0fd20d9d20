"""Load (issue 8): 20 counter terminals on PostgreSQL doing P1 issuances through the JSON API
of a real `madoguchi serve` process for a while, plus pairs of terminals racing on the same
card. Afterwards: zero errors, zero lost updates (every issuance a terminal was told about is
in the store and on the card), no double issuance for a card, the audit chain verifies.

`make test` runs it for a few seconds (MADOGUCHI_SOAK_SECONDS, default 8) so the code stays
alive; `make soak` runs it for three minutes and prints the figures (docs/reliability.md).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from madoguchi.bootstrap import Container
from madoguchi.config import Settings
from madoguchi.rules.revocation import CertStatus
from madoguchi.services.audit import Actor, verify_chain
from madoguchi.services.domain import Resident, ResidentStatus
from madoguchi.services.registry import new_resident_id
from tests.support.postgres import create_database
from tests.support.processes import MADOGUCHI, free_port

TERMINALS = 20
SECONDS = float(os.environ.get("MADOGUCHI_SOAK_SECONDS", "8"))
ADMIN = Actor("admin", "main", "soak")


def prepare(data: Path, url: str, residents: int) -> tuple[Container, list[str], list[str]]:
    c = Container(Settings(data_dir=data, database_url=url))
    c.init_ca()
    tokens = []
    for t in range(TERMINALS):
        login = f"t{t:02d}"
        c.staff.create_account(
            login=login,
            name=f"端末{t}",
            role="clerk",
            office="main",  # type: ignore[arg-type]
            password="soak-password-1",
            actor=ADMIN,
        )
        tokens.append(c.staff.create_api_token(login, f"T{t}", ADMIN))
    ids = []
    for i in range(residents):
        r = Resident(
            new_resident_id(),
            f"負荷 {i}",
            f"フカ {i}",
            __import__("datetime").date(1980, 1, 1 + i % 28),
            "1",
            "北海道帯広市西5条南7丁目1番地",
            ResidentStatus.RESIDENT,
            False,
            None,
            c.clock(),
        )
        with c.uow() as uow:
            r = c.registry.register(uow, r, ADMIN)
            c.card_side.new_card(uow, r, c.clock().date(), juki_pin="1234", kenmen_pin="5678")
            uow.commit()
        ids.append(r.id)
    return c, tokens, ids


@pytest.fixture
def server(tmp_path: Path, postgres: str) -> tuple[Container, list[str], list[str], str]:
    data = tmp_path / "data"
    url = create_database(postgres, "soak")
    c, tokens, ids = prepare(data, url, residents=int(40 + SECONDS * 12))
    port = free_port()
    proc = subprocess.Popen(
        [str(MADOGUCHI), "serve", "--data-dir", str(data), "--port", str(port)],
        env={
            **os.environ,
            "MADOGUCHI_DATABASE_URL": url,
            "MADOGUCHI_LOG_FILE": str(tmp_path / "serve.log"),
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise
            time.sleep(0.2)
    yield c, tokens, ids, base  # type: ignore[misc]
    proc.terminate()
    proc.wait(timeout=10)


def test_twenty_terminals(server: tuple[Container, list[str], list[str], str]) -> None:
    c, tokens, ids, base = server
    pool = list(ids)
    lock = threading.Lock()
    told: list[tuple[str, str]] = []  # (card holder, auth serial) the terminals were told
    errors: list[str] = []
    latency: list[float] = []
    races = Counter[str]()
    stop = time.monotonic() + SECONDS

    def take() -> str | None:
        with lock:
            return pool.pop() if pool else None

    def p1(client: httpx.Client, rid: str, race: bool) -> None:
        t0 = time.monotonic()
        r = client.post("/api/v1/cases", json={"kind": "P1", "resident_id": rid})
        if r.status_code != 201:
            errors.append(f"open {r.status_code} {r.text[:100]}")
            return
        case = r.json()["case"]["id"]
        r = client.post(
            f"/api/v1/cases/{case}/visits",
            json={
                "visit": 1,
                "items": ["card", "holder_id"],
                "holder_documents": ["drivers_license"],
            },
        )
        if r.status_code != 200:
            errors.append(f"visit {r.status_code} {r.text[:100]}")
            return
        r = client.post(
            f"/api/v1/cases/{case}/issue", json={"sign_password": "ABC123", "auth_pin": "1234"}
        )
        if r.status_code == 200:
            serials = {x["kind"]: x["serial"] for x in r.json()["certificates"]}
            with lock:
                told.append((rid, serials["auth"]))
                latency.append(time.monotonic() - t0)
        elif race and r.status_code == 409:
            races["lost the race (409)"] += 1  # the other terminal issued on this card first
        else:
            errors.append(f"issue {r.status_code} {r.text[:100]}")

    def terminal(n: int) -> None:
        with httpx.Client(
            base_url=base, headers={"Authorization": f"Bearer {tokens[n]}"}, timeout=60
        ) as client:
            while time.monotonic() < stop:
                rid = take()
                if rid is None:
                    return
                p1(client, rid, race=False)

    def racers() -> None:
        """Two terminals open P1 on the same card at once: exactly one issues."""
        clients = [
            httpx.Client(
                base_url=base, headers={"Authorization": f"Bearer {tokens[k]}"}, timeout=60
            )
            for k in (0, 1)
        ]
        while time.monotonic() < stop:
            rid = take()
            if rid is None:
                break
            pair = [threading.Thread(target=p1, args=(client, rid, True)) for client in clients]
            for t in pair:
                t.start()
            for t in pair:
                t.join()
        for client in clients:
            client.close()

    threads = [threading.Thread(target=terminal, args=(n,)) for n in range(2, TERMINALS)]
    threads.append(threading.Thread(target=racers))
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == [], errors[:5]
    assert len(told) >= TERMINALS // 2, "the terminals did real work"
    with c.uow() as uow:
        for rid, auth_serial in told:
            (card,) = uow.counter.cards_of(rid)
            good = [r for r in uow.pki.certificates_of_card(card.id) if r.status is CertStatus.GOOD]
            kinds = Counter(r.kind.value for r in good)
            assert all(v == 1 for v in kinds.values()), f"double issuance on {card.id}"
            assert auth_serial in {r.serial_hex for r in good}, "a lost update"
        chain = verify_chain(uow.counter.audit_entries())
        if not chain.ok:
            around = [
                (e.seq, e.prev_hash[:8], e.hash[:8], e.action, e.at.isoformat())
                for e in uow.counter.audit_entries()
                if abs(e.seq - (chain.broken_at or 0)) < 4
            ]
            raise AssertionError(f"{chain.message} {around}")
    ms = sorted(x * 1000 for x in latency)
    print(
        f"\nsoak: {len(told)} issuances in {SECONDS:.0f} s by {TERMINALS} terminals, "
        f"p50 {statistics.median(ms):.0f} ms, p99 {ms[int(len(ms) * 0.99) - 1]:.0f} ms per P1 "
        f"(3 requests, card key generation included), races {dict(races)}, errors 0"
    )
