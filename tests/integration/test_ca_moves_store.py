"""The CA's side of moves between municipalities (issue 17, R-NAT-3, R-REV-2) on SQLite and a
real PostgreSQL (migration 0013): the move-out told by the card's municipality only, the
move-in making the new municipality the card's (the old one may no longer revoke), and the
30-day rule to the day."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from madoguchi.bootstrap import Container
from madoguchi.rules.revocation import CertStatus, RevocationReason, StatusChange
from madoguchi.rules.validity import CertKind
from madoguchi.services.domain import Refused
from madoguchi.services.ports import MunicipalityCounter
from madoguchi.services.ra_desk import RaDesk
from tests.integration.test_ca_requests_store import _order, c  # noqa: F401 (the fixture)

OBIHIRO, SAPPORO = "012076", "011002"
PLANNED = date(2026, 11, 24)


def _issued(c: Container, municipality: str) -> tuple[str, dict[CertKind, int]]:  # noqa: F811
    with c.uow() as uow:
        records = c.ca.issue_order_in(uow, _order(municipality))
        uow.commit()
    card_id = records[0].card_id
    assert card_id is not None
    return card_id, {r.kind: r.serial for r in records}


def test_a_move_in_makes_the_card_the_new_municipalitys(c: Container) -> None:  # noqa: F811
    desk = RaDesk(c.ca)
    card, serials = _issued(c, OBIHIRO)
    with pytest.raises(Refused) as other:
        c.ca_moves.move_out(SAPPORO, card, PLANNED)  # not its resident
    assert other.value.code == "not_your_card"
    with pytest.raises(Refused) as early:
        c.ca_moves.move_in(SAPPORO, card)  # no move-out told yet
    assert early.value.code == "no_move_out"
    told = c.ca_moves.move_out(OBIHIRO, card, PLANNED)
    assert told.moved_out_from == OBIHIRO and told.planned_move_out == PLANNED
    assert c.ca_moves.current(card) == OBIHIRO
    certs = c.ca_moves.move_in(SAPPORO, card)
    assert {r.serial for r in certs} == set(serials.values())
    assert c.ca_moves.current(card) == SAPPORO
    assert c.ca_moves.move_in(SAPPORO, card)  # told again: the same answer
    with pytest.raises(Refused) as twice:
        c.ca_moves.move_in(OBIHIRO, card)
    assert twice.value.code == "already_moved_in"
    reason = RevocationReason.UNSPECIFIED
    with pytest.raises(Refused) as old:
        desk.change_status(
            OBIHIRO, CertKind.AUTH, serials[CertKind.AUTH], StatusChange.HOLD, reason
        )
    assert old.value.code == "not_your_certificate"
    held = desk.change_status(
        SAPPORO, CertKind.AUTH, serials[CertKind.AUTH], StatusChange.HOLD, reason
    )
    assert held.status is CertStatus.HELD and held.status_municipality == SAPPORO
    assert c.ca_moves.run_deadlines(date(2027, 3, 1)) == []  # moved in: no deadline


def test_no_move_in_within_30_days_of_the_planned_date(c: Container) -> None:  # noqa: F811
    card, serials = _issued(c, OBIHIRO)
    c.ca_moves.move_out(OBIHIRO, card, PLANNED)
    assert c.ca_moves.run_deadlines(date(2026, 12, 24)) == []  # the 30th day: still in time
    lapsed = c.ca_moves.run_deadlines(date(2026, 12, 25))
    assert [x.residence.card_id for x in lapsed] == [card]
    assert [(r.kind, r.serial) for r in lapsed[0].revoked] == [
        (CertKind.AUTH, serials[CertKind.AUTH])
    ]
    auth = c.ca.certificate(CertKind.AUTH, serials[CertKind.AUTH])
    assert auth is not None and auth.status is CertStatus.REVOKED
    assert auth.reason is RevocationReason.CESSATION_OF_OPERATION
    assert auth.status_municipality is None  # the CA operator's rule
    sign = c.ca.certificate(CertKind.SIGN, serials[CertKind.SIGN])
    assert sign is not None and sign.status is CertStatus.GOOD  # the counter revokes sign
    assert c.ca_moves.run_deadlines(date(2026, 12, 26)) == []  # once
    with pytest.raises(Refused) as late:
        c.ca_moves.move_in(SAPPORO, card)
    assert late.value.code == "move_in_too_late"


def test_the_municipalities_counters_from_enrolment(c: Container, tmp_path: Path) -> None:  # noqa: F811
    """R-NAT-2: the CA names each municipality's counter (from `ca enroll-ra`)."""
    enrol = c.ra_enrolment
    enrol.enroll(OBIHIRO, "帯広市 戸籍住民課", tmp_path / "a")
    enrol.enroll(SAPPORO, "札幌市 市民課", tmp_path / "b", "札幌市中央区北1条西2丁目")
    enrol.enroll(OBIHIRO, "帯広市 川西支所", tmp_path / "c")  # no address: the first stays
    assert enrol.municipality_counters() == [
        MunicipalityCounter(SAPPORO, "札幌市 市民課", "札幌市中央区北1条西2丁目"),
        MunicipalityCounter(OBIHIRO, "帯広市 戸籍住民課", ""),
    ]
    enrol.enroll(OBIHIRO, "帯広市 市民課", tmp_path / "d", "帯広市西5条南7丁目1番地")
    assert enrol.municipality_counters()[1] == MunicipalityCounter(
        OBIHIRO, "帯広市 市民課", "帯広市西5条南7丁目1番地"
    )
