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


def window_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """[first, last] as JST moments: the start of ``first``, the start of the day after
    ``last`` (a certificate's notAfter is compared against them)."""

    def start(day: date) -> datetime:
        return datetime.combine(day, datetime.min.time(), tzinfo=JST)

    return start(first), start(last + timedelta(days=1))


def add_item(found: dict[str, Candidate], new: Candidate, item: NoticeItem) -> None:
    """Add ``item`` to the candidate of ``new.card_id`` in ``found`` (``new`` when none)."""
    cand = found.get(new.card_id, new)
    found[new.card_id] = replace(cand, items=(*cand.items, item))


class NoticePlanning:
    session: Session

    def candidates(self, first: date, last: date) -> list[Candidate]:
        """Cards of residents whose good certificates or whose card expire in [first, last]."""
        start, end = window_bounds(first, last)
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
            add_item(
                found,
                Candidate(resident_id, card_id, card_expires, (), bool(by_stay)),
                NoticeItem(kind, serial, not_after.astimezone(JST).date()),
            )
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
            add_item(
                found,
                Candidate(resident_id, card_id, card_expires, (), bool(by_stay)),
                NoticeItem("card", None, card_expires),
            )
        return list(found.values())
