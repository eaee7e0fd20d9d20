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
from madoguchi.services.domain import ConcurrentUpdate, Resident, ResidentStatus
from madoguchi.services.registry import active_card, new_resident_id

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
        card = active_card(uow, r.id)
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


def test_the_cards_work_holds_no_lock_other_terminals_wait_for(tmp_path: Path, db_url: str) -> None:
    """While one terminal's card is personalised (keys, PINs: seconds on a real card), no
    transaction of the issuance is open: another terminal opens a case meanwhile, at once."""
    c = Container(Settings(data_dir=tmp_path / "d", database_url=db_url))
    c.init_ca()
    r, other = setup(c), setup(c)
    case_id = ready_case(c, r, T1)
    prepare = c.card_side.prepare_issuance
    opened: list[object] = []

    def prepare_while_another_terminal_writes(*args: object, **kwargs: object) -> object:
        def open_other() -> None:
            opened.append(c.counter.open_case(kind=CaseKind.P1, resident_id=other.id, actor=T2))

        t = threading.Thread(target=open_other)
        t.start()
        t.join(10)  # with the database locked by this issuance it would wait for it
        assert opened, "another terminal waited for the card's work"
        return prepare(*args, **kwargs)

    c.card_side.prepare_issuance = prepare_while_another_terminal_writes  # type: ignore[method-assign]
    issued = c.counter.issue(case_id, sign_password="ABC123", auth_pin="3333", actor=T1)
    assert set(issued.certificates) == {CertKind.AUTH, CertKind.SIGN}
    check(c, r)


def test_a_card_issued_on_during_the_cards_work_is_not_overwritten(
    tmp_path: Path, db_url: str
) -> None:
    """The card is personalised before the transaction; if another terminal issues on the
    same card meanwhile, this issuance ends in ConcurrentUpdate and its card work is dropped:
    the card keeps the winner's certificates."""
    c = Container(Settings(data_dir=tmp_path / "d", database_url=db_url))
    c.init_ca()
    r = setup(c)
    first, second = ready_case(c, r, T1), ready_case(c, r, T2)
    prepare = c.card_side.prepare_issuance
    winner: list[object] = []

    def prepare_then_lose(*args: object, **kwargs: object) -> object:
        prepared = prepare(*args, **kwargs)
        c.card_side.prepare_issuance = prepare  # type: ignore[method-assign]
        # the other terminal issues now, in between
        winner.append(c.counter.issue(second, sign_password="XYZ789", auth_pin="4444", actor=T2))
        return prepared

    c.card_side.prepare_issuance = prepare_then_lose  # type: ignore[method-assign]
    try:
        c.counter.issue(first, sign_password="ABC123", auth_pin="3333", actor=T1)
    except ConcurrentUpdate:
        pass
    else:
        raise AssertionError("the second issuance on the card went through")
    check(c, r)
    with c.uow() as uow:
        card = active_card(uow, r.id)
    assert card is not None
    on_card = c.card_side.load(card.id)
    from madoguchi.card.jpki import JpkiCard

    auth_der = JpkiCard(on_card).read_certificate(CertKind.AUTH)
    assert auth_der == winner[0].certificates[CertKind.AUTH].der  # type: ignore[attr-defined]
