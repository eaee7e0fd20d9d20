"""Two terminals on the same case or the same card at the same moment: one wins, the other
gets a clear error (or, for a retried request, the winner's answer); never two issuances."""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path

from madoguchi.bootstrap import Container
from madoguchi.config import Settings
from madoguchi.rules.cases import CaseKind
from madoguchi.rules.errors import InvalidTransition
from madoguchi.rules.items import Item
from madoguchi.rules.revocation import CertStatus
from madoguchi.rules.validity import CertKind
from madoguchi.services.audit import Actor, verify_chain
from madoguchi.services.domain import Resident, ResidentStatus
from madoguchi.services.errors import ConcurrentUpdate
from madoguchi.services.registry import new_resident_id

T1, T2 = Actor("clerk01", "main", "T1"), Actor("clerk02", "main", "T2")


def setup(c: Container) -> Resident:
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
        c.registry.register(uow, r, T1)
        c.card_side.new_card(uow, r, date(2026, 11, 24), juki_pin="1111", kenmen_pin="2222")
        uow.commit()
    return r


def ready_case(c: Container, r: Resident, actor: Actor) -> str:
    case = c.counter.open_case(kind=CaseKind.P1, resident_id=r.id, actor=actor)
    c.counter.record_visit(
        case.id,
        visit=1,
        items=[Item.CARD, Item.HOLDER_ID],
        actor=actor,
        holder_documents=["drivers_license"],
    )  # type: ignore[list-item]
    return case.id


def race(c: Container, jobs: list[tuple[str, Actor]]) -> list[object]:
    results: list[object] = [None] * len(jobs)
    barrier = threading.Barrier(len(jobs))

    def run(i: int, case_id: str, actor: Actor) -> None:
        barrier.wait()
        try:
            results[i] = c.counter.issue(
                case_id, sign_password="ABC123", auth_pin="3333", actor=actor
            )
        except (ConcurrentUpdate, InvalidTransition) as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, cid, a)) for i, (cid, a) in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results


def good_auth(c: Container, card_id: str) -> int:
    with c.uow() as uow:
        return sum(
            1
            for r in uow.pki.certificates_of_card(card_id)
            if r.kind is CertKind.AUTH and r.status is CertStatus.GOOD
        )


def check(c: Container, r: Resident) -> None:
    with c.uow() as uow:
        card = c.registry.active_card(uow, r.id)
        assert verify_chain(uow.counter.audit_entries()).ok
    assert card is not None
    assert good_auth(c, card.id) == 1  # exactly one issuance took effect


def test_same_case_from_two_terminals(tmp_path: Path, db_url: str) -> None:
    c = Container(Settings(data_dir=tmp_path / "d", database_url=db_url))
    c.init_ca()
    r = setup(c)
    case_id = ready_case(c, r, T1)
    results = race(c, [(case_id, T1), (case_id, T2)])
    errors = [x for x in results if isinstance(x, Exception)]
    assert len(errors) <= 1
    check(c, r)


def test_same_card_two_cases(tmp_path: Path, db_url: str) -> None:
    c = Container(Settings(data_dir=tmp_path / "d", database_url=db_url))
    c.init_ca()
    r = setup(c)
    first, second = ready_case(c, r, T1), ready_case(c, r, T2)
    results = race(c, [(first, T1), (second, T2)])
    errors = [x for x in results if isinstance(x, Exception)]
    assert len(errors) == 1
    assert isinstance(errors[0], ConcurrentUpdate)
    check(c, r)
