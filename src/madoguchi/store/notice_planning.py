"""Planning's read (R-NOTICE-1): the cards whose good certificates or whose card expire in a
window, found by range scans of the expiry indexes, never the whole tables."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from madoguchi.rules.dates import JST
from madoguchi.services.domain import Candidate, NoticeItem
from madoguchi.store.counter_models import CardRow, ResidentRow
from madoguchi.store.models import CertificateRow


def _day_start(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=JST)


class NoticePlanning:
    session: Session

    def candidates(self, first: date, last: date) -> list[Candidate]:
        """Cards of residents whose good certificates or whose card expire in [first, last]."""
        start, end = _day_start(first), _day_start(last + timedelta(days=1))
        certs = self.session.execute(
            select(
                CertificateRow.card_id,
                CardRow.resident_id,
                CardRow.expires,
                CardRow.limited_by_stay,
                CertificateRow.kind,
                CertificateRow.serial_hex,
                CertificateRow.not_after,
            )
            .join(CardRow, CardRow.id == CertificateRow.card_id)
            .join(ResidentRow, ResidentRow.id == CardRow.resident_id)
            .where(
                CertificateRow.not_after >= start,
                CertificateRow.not_after < end,
                CertificateRow.status == "good",
                CardRow.status == "active",
                ResidentRow.status == "resident",
            )
        )
        found: dict[str, Candidate] = {}
        for cert_card, resident_id, card_expires, by_stay, kind, serial, not_after in certs:
            card_id = str(cert_card)  # joined to its card: never NULL here
            cand = found.setdefault(
                card_id, Candidate(resident_id, card_id, card_expires, (), bool(by_stay))
            )
            item = NoticeItem(kind, serial, not_after.astimezone(JST).date())
            found[card_id] = replace(cand, items=(*cand.items, item))
        cards = self.session.execute(
            select(CardRow.id, CardRow.resident_id, CardRow.expires, CardRow.limited_by_stay)
            .join(ResidentRow, ResidentRow.id == CardRow.resident_id)
            .where(
                CardRow.expires >= first,
                CardRow.expires <= last,
                CardRow.status == "active",
                ResidentRow.status == "resident",
            )
        )
        for card_id, resident_id, card_expires, by_stay in cards:
            cand = found.get(
                card_id, Candidate(resident_id, card_id, card_expires, (), bool(by_stay))
            )
            found[card_id] = replace(
                cand, items=(*cand.items, NoticeItem("card", None, card_expires))
            )
        return list(found.values())
