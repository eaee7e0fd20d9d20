"""A real process killed (SIGKILL) in the middle of an issuance, at each point between the
CA's signature and the card write: afterwards no card holds a certificate the store does not
know, every good certificate the store knows is on its card, and the next attempt completes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

import pytest
from cryptography import x509

from madoguchi.bootstrap import Container
from madoguchi.card.errors import PinNotSet
from madoguchi.card.jpki import JpkiCard
from madoguchi.config import Settings
from madoguchi.rules.cases import CaseKind, CaseState
from madoguchi.rules.items import Item
from madoguchi.rules.revocation import CertStatus
from madoguchi.rules.validity import CertKind
from madoguchi.services.audit import Actor, verify_chain
from madoguchi.services.domain import Resident, ResidentStatus
from madoguchi.services.registry import new_resident_id

ACTOR = Actor("clerk01", "main", "T1")

ISSUE = textwrap.dedent("""
    import sys
    from pathlib import Path
    from madoguchi.bootstrap import Container
    from madoguchi.config import Settings
    from madoguchi.services.audit import Actor
    c = Container(Settings(data_dir=Path(sys.argv[1]), database_url=sys.argv[2])).start()
    c.counter.issue(sys.argv[3], sign_password="ABC123", auth_pin="3333",
                    actor=Actor("clerk01", "main", "T1"))
""")


def prepare(c: Container) -> tuple[str, str]:
    r = Resident(
        new_resident_id(),
        "帯広 太郎",
        "オビヒロ タロウ",
        date(1980, 7, 1),
        "1",
        "北海道帯広市西5条南7丁目1番地",
        ResidentStatus.RESIDENT,
        False,
        None,
        c.clock(),
    )
    with c.uow() as uow:
        c.registry.register(uow, r, ACTOR)
        card = c.card_side.new_card(uow, r, date(2026, 11, 24), juki_pin="1111", kenmen_pin="2222")
        uow.commit()
    case = c.counter.open_case(kind=CaseKind.P1, resident_id=r.id, actor=ACTOR)
    c.counter.record_visit(
        case.id, visit=1, items=[Item.CARD, Item.HOLDER_PIN], actor=ACTOR, juki_pin="1111"
    )
    return case.id, card.id


def on_card(c: Container, card_id: str) -> set[int]:
    api = JpkiCard(c.card_side.load(card_id))  # load runs the recovery
    serials = set()
    for kind, pw in ((CertKind.AUTH, None), (CertKind.SIGN, "ABC123")):
        try:
            der = api.read_certificate(kind, sign_password=pw)
        except PinNotSet:  # a card never personalised has no signing password yet
            continue
        if der:
            serials.add(x509.load_der_x509_certificate(der).serial_number)
    return serials


@pytest.mark.parametrize("point", ["issue.before_stage", "issue.after_stage", "issue.after_commit"])
def test_kill_9_mid_issuance(tmp_path: Path, db_url: str, point: str) -> None:
    data = tmp_path / "data"
    c = Container(Settings(data_dir=data, database_url=db_url))
    c.init_ca()
    case_id, card_id = prepare(c)
    proc = subprocess.run(
        [sys.executable, "-c", ISSUE, str(data), db_url, case_id],
        env={**os.environ, "MADOGUCHI_FAILPOINT": point},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr  # really killed there

    restarted = Container(Settings(data_dir=data, database_url=db_url)).start()
    held = on_card(restarted, card_id)
    with restarted.uow() as uow:
        known = {r.serial: r for r in uow.pki.certificates_of_card(card_id)}
        state = uow.counter.case(case_id).state
        assert verify_chain(uow.counter.audit_entries()).ok
    assert held <= set(known)  # no card holds a certificate the store does not know
    assert {s for s, r in known.items() if r.status is CertStatus.GOOD} == held
    if point == "issue.after_commit":
        assert state is CaseState.ISSUED and len(held) == 2  # completed by the recovery
    else:
        assert state is CaseState.OPEN and held == set() and known == {}  # rolled back
        done = restarted.counter.issue(
            case_id, sign_password="ABC123", auth_pin="3333", actor=ACTOR
        )  # the next attempt completes
        assert on_card(restarted, card_id) == {r.serial for r in done.certificates.values()}
