"""Kill -9 at random moments (issue 8): a real process renewing certificates (superseding the
old ones), applying registry changes that revoke, publishing CRLs and dispatching notices is
killed with SIGKILL after a random delay, many times, on SQLite and on PostgreSQL. After
each kill, a fresh process checks:

- every card holds exactly the certificates the store says are current for it (after the
  card's recovery on load), and no certificate on a card is unknown to the store;
- no revocation is half-applied: a holder whose address changed after a sign certificate
  was issued has that certificate revoked (R-REV-1), and every superseded certificate has a
  newer one on its card;
- no notice is in a batch that is done without being sent, nor sent twice;
- the audit chain verifies.
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography import x509

from madoguchi.bootstrap import Container
from madoguchi.card.jpki import JpkiCard
from madoguchi.config import Settings
from madoguchi.pki.facts import facts_from_certificate
from madoguchi.rules.chars import certificate_text
from madoguchi.rules.dates import jst_date
from madoguchi.rules.notices import NoticeState
from madoguchi.rules.revocation import CertStatus, RevocationReason
from madoguchi.rules.validity import CertKind
from madoguchi.services.audit import verify_chain
from madoguchi.services.demo import MovableClock, load_demo_data
from madoguchi.services.registry import current_certificates
from tests.support.processes import OutputLines

KILLS = 6  # per database; each a random moment of a busy worker
HANG_GUARD = 600.0  # seconds: only a hung worker takes this long, however busy the machine


def check_invariants(c: Container) -> None:
    with c.uow.read_only() as uow:
        residents = uow.counter.find_residents(limit=1000)
        for r in residents:
            for card in uow.counter.cards_of(r.id):
                records = uow.pki.certificates_of_card(card.id)
                current = current_certificates(uow, card.id)
                for rec in records:
                    if rec.reason is RevocationReason.SUPERSEDED:
                        newer = [
                            o
                            for o in records
                            if o.kind is rec.kind and o.not_before > rec.not_before
                        ]
                        assert newer, f"superseded {rec.serial_hex} without a successor"
                sign = current.get(CertKind.SIGN)
                live = sign is not None and sign.not_after > c.clock()  # expired: left alone
                if live and sign.status is CertStatus.GOOD and r.status.value == "resident":
                    # R-REV-1: a good sign certificate states the holder's current address;
                    # one issued before the move must have been revoked by it
                    facts = facts_from_certificate(x509.load_der_x509_certificate(sign.der))
                    assert (
                        facts is not None and facts.address == certificate_text(r.address).text
                    ), f"{r.name}: moved, sign certificate of the old address still good"
        chain = verify_chain(uow.counter.audit_entries())
        assert chain.ok, chain.message
        for cp in uow.notices.campaigns():
            for batch in uow.notices.batches(cp.id):
                notices = uow.notices.in_batch(batch.id)
                if batch.state == "done":
                    assert all(n.state in (NoticeState.SENT, NoticeState.RETURNED) for n in notices)
            sends: Counter[str] = Counter()
            for n in uow.notices.with_state(cp.id, NoticeState.SENT, limit=10**6):
                for event in uow.notices.events(n.number):
                    sends[n.number] += event[1] == "send"
            assert all(v == 1 for v in sends.values()), "a notice sent twice"


def card_matches_store(c: Container) -> None:
    """The certificates read from each card are the store's current ones for it."""
    with c.uow.read_only() as uow:
        cards = [
            card
            for r in uow.counter.find_residents(limit=1000)
            for card in uow.counter.cards_of(r.id)
        ]
        current = {card.id: current_certificates(uow, card.id) for card in cards}
    for card in cards:
        api = JpkiCard(c.card_side.load(card.id))
        der = api.read_certificate(CertKind.AUTH)
        want = current[card.id].get(CertKind.AUTH)
        got = x509.load_der_x509_certificate(der).serial_number if der else None
        if want is None:
            continue  # held or revoked cards keep what they had
        assert got == want.serial, f"card {card.id}: {got} on the card, {want.serial} in the store"


@pytest.mark.parametrize("seed", [1])
def test_random_kill_points(tmp_path: Path, db_url: str, seed: int) -> None:
    data = tmp_path / "data"
    now = datetime.now(UTC)
    clock = MovableClock(now)
    c = Container(Settings(data_dir=data, database_url=db_url), clock)
    c.init_ca()
    load_demo_data(c.registry, c.counter, clock, c.card_side.new_card, jst_date(now))
    rng = random.Random(seed)
    finished = 0
    # one checker, built once: every check reads the store and the card files afresh, so
    # it sees what each kill left; building the services (migrations, CA keys) once instead
    # of after every kill keeps the test's time for the kills
    checker = Container(Settings(data_dir=data, database_url=db_url)).start()
    for k in range(KILLS):
        # kill after a random number of finished operations (so every worker does real
        # work, however slow the machine), then a random moment into the next one
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.support.fault_worker",
                str(data),
                db_url,
                str(seed * 100 + k),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        lines = OutputLines(proc)
        lines.wait_for("ready", HANG_GUARD)  # start-up is not part of the random delay
        for _ in range(rng.randint(1, 3)):
            lines.wait_for("", HANG_GUARD)  # an operation finished
        time.sleep(rng.uniform(0.0, 1.5))  # the random moment, measured from that line
        proc.send_signal(signal.SIGKILL)
        proc.wait(HANG_GUARD)
        err = proc.stderr.read() if proc.stderr else ""
        assert proc.returncode == -9, err
        finished += len(lines.finish(HANG_GUARD)) - 1  # not counting "ready"
        check_invariants(checker)
        card_matches_store(checker)
    assert finished >= KILLS  # each worker finished an operation or more before its kill
