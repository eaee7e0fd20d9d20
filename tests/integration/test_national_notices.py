"""The CA operator's records of the holders and its national campaign (issue 17, R-NAT-2) on
SQLite and a real PostgreSQL (migration 0014): holders recorded with the orders and told by
the card's municipality only; planning across municipalities from the CA's own records; the
check at dispatch asking them (renewed, died); letters from the CA operator naming the
holder's municipality's counter."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import date

import pytest

from madoguchi.bootstrap import Container
from madoguchi.pki.records import CertRecord
from madoguchi.rules.notices import NoticeState
from madoguchi.rules.revocation import RevocationReason, StatusChange
from madoguchi.services.audit import Actor
from madoguchi.services.domain import NotFound, Refused
from madoguchi.services.ports import HolderRecord, MunicipalityCounter
from madoguchi.services.ra_desk import RaDesk
from tests.integration.test_ca_requests_store import _order, c  # noqa: F401 (the fixture)
from tests.support.pdf import pdf_text, squash

OBIHIRO, SAPPORO = "012076", "011002"
OPERATOR = Actor("cli:operator", "main", "cli")
CERTS_END = date(2031, 3, 3)  # the certificates of _order
WINDOW = (date(2031, 3, 1), date(2031, 3, 31))


def _holder(card_id: str, municipality: str, name: str, **changes: object) -> HolderRecord:
    holder = HolderRecord(
        card_id=card_id,
        municipality=municipality,
        resident_ref=f"R{name}",
        name=name,
        postal_code="080-0015",
        address="北海道帯広市西5条南7丁目1番地",
        card_expires=date(2036, 1, 1),  # the card outlives the window: certificates only
        limited_by_stay=False,
        resident_status="resident",
        card_status="active",
    )
    return replace(holder, **changes)  # type: ignore[arg-type]


def _issued(desk: RaDesk, municipality: str, name: str | None) -> tuple[str, list[CertRecord]]:
    order = _order(municipality)
    card_id = order.requests[0].card_id
    assert card_id is not None
    if name is not None:
        order = replace(order, holder=_holder(card_id, municipality, name))
    return card_id, desk.issue(order)


def test_holders_are_told_by_the_cards_municipality_only(c: Container) -> None:  # noqa: F811
    desk = RaDesk(c.ca)
    card, _ = _issued(desk, OBIHIRO, "帯広 花子")
    with c.uow.read_only() as uow:
        recorded = uow.pki.holder(card)
    assert recorded is not None and recorded.municipality == OBIHIRO
    assert recorded.updated_at is not None
    with pytest.raises(Refused) as other:
        desk.tell_holder(_holder(card, SAPPORO, "帯広 花子", address="札幌市"))
    assert other.value.code == "not_your_card"
    desk.tell_holder(_holder(card, OBIHIRO, "帯広 花子", resident_status="deceased"))
    with c.uow.read_only() as uow:
        told = uow.pki.holder(card)
    assert told is not None and told.resident_status == "deceased"
    with pytest.raises(NotFound) as unknown:
        desk.tell_holder(_holder("VC-never-issued", OBIHIRO, "誰 か"))
    assert unknown.value.code == "card_unknown_at_ca"


def test_the_national_campaign_asks_the_cas_records(c: Container) -> None:  # noqa: F811
    desk = RaDesk(c.ca)
    with c.uow() as uow:
        uow.pki.put_municipality_counter(
            MunicipalityCounter(
                OBIHIRO,
                "帯広市 戸籍住民課",
                "〒080-8670 帯広市西5条南7丁目1番地",
                "0155-65-4234",
                "8時45分〜17時30分",
            )
        )
        uow.pki.put_municipality_counter(MunicipalityCounter(SAPPORO, "札幌市 市民課", ""))
        uow.commit()
    stays, _ = _issued(desk, OBIHIRO, "帯広 一郎")
    renews, old = _issued(desk, OBIHIRO, "帯広 二郎")
    dies, _ = _issued(desk, SAPPORO, "札幌 三郎")
    _issued(desk, SAPPORO, None)  # a test card: no holder, no notice

    planned = c.national_notices.plan(OPERATOR, window=WINDOW, campaign_id="N")
    assert planned.planned == 3
    with c.uow.read_only() as uow:
        (notice,) = [
            n for n in uow.notices.with_state("N", NoticeState.PLANNED) if n.card_id == stays
        ]
    assert {i.what for i in notice.items} == {"sign", "auth"}
    assert notice.first_expiry == CERTS_END

    # meanwhile: 帯広市 renews one holder's certificates (the old ones revoked), 札幌市 tells
    # the CA that another died
    renewal = _order(OBIHIRO)
    desk.issue(
        replace(renewal, requests=tuple(replace(r, card_id=renews) for r in renewal.requests))
    )
    for rec in old:
        desk.change_status(
            OBIHIRO, rec.kind, rec.serial, StatusChange.REVOKE, RevocationReason.SUPERSEDED
        )
    desk.tell_holder(_holder(dies, SAPPORO, "札幌 三郎", resident_status="deceased"))

    sent = c.national_notices.dispatch("N", OPERATOR)
    assert (sent.sent, sent.suppressed) == (1, 2)
    with c.uow.read_only() as uow:
        reasons = {n.card_id: n.reason for n in uow.notices.with_state("N", NoticeState.SUPPRESSED)}
    assert reasons == {renews: "renewed", dies: "deceased"}
    (batch,) = sent.batches
    pdf_path, csv_path = c.national_notices.batch_files(batch)
    (row,) = csv.DictReader(io.StringIO(csv_path.read_text("utf-8")))
    assert (row["name"], row["municipality"]) == ("帯広 一郎", OBIHIRO)
    text = squash(pdf_text(pdf_path.read_bytes()))
    assert "madoguchiデモ認証局" in text  # the sender: the CA operator, never 帯広市長
    assert "地方公共団体情報システム機構ではありません" in text
    assert "帯広市戸籍住民課" in text and "0155-65-4234" in text
    assert "帯広市長様" in text  # the proxy's forms go to the holder's municipality
