"""The CA operator's records of the cards' holders and the national notices' planning read
(issue 17, R-NAT-2, R-NOTICE-1): the cards whose good certificates or whose card expire in a
window, found by range scans of the expiry indexes, never the whole tables."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from madoguchi.rules.dates import JST
from madoguchi.services.domain import Candidate, NoticeItem
from madoguchi.services.ports import HolderRecord
from madoguchi.store.models import CaHolderRow, CertificateRow
from madoguchi.store.notice_planning import add_item, window_bounds

#: a holder the notices are for: a resident, with the card in use
_NOTICED = (CaHolderRow.resident_status == "resident", CaHolderRow.card_status == "active")


def _holder(row: CaHolderRow) -> HolderRecord:
    return HolderRecord(
        card_id=row.card_id,
        municipality=row.municipality,
        resident_ref=row.resident_ref,
        name=row.name,
        postal_code=row.postal_code,
        address=row.address,
        card_expires=row.card_expires,
        limited_by_stay=row.limited_by_stay,
        resident_status=row.resident_status,
        card_status=row.card_status,
        updated_at=row.updated_at,
    )


class CaHolders:
    """Mixed into the PKI repository: the holders the CA operator writes to."""

    session: Session

    def holder(self, card_id: str, *, for_update: bool = False) -> HolderRecord | None:
        row = self.session.get(CaHolderRow, card_id, with_for_update=for_update)
        return _holder(row) if row is not None else None

    def put_holder(self, holder: HolderRecord) -> None:
        row = self.session.get(CaHolderRow, holder.card_id)
        if row is None:
            row = CaHolderRow(card_id=holder.card_id)
            self.session.add(row)
        row.municipality, row.resident_ref = holder.municipality, holder.resident_ref
        row.name, row.postal_code, row.address = holder.name, holder.postal_code, holder.address
        row.card_expires, row.limited_by_stay = holder.card_expires, holder.limited_by_stay
        row.resident_status, row.card_status = holder.resident_status, holder.card_status
        assert holder.updated_at is not None
        row.updated_at = holder.updated_at
        self.session.flush()

    def holder_candidates(self, first: date, last: date) -> list[Candidate]:
        start, end = window_bounds(first, last)
        found: dict[str, Candidate] = {}

        def new(row: CaHolderRow) -> Candidate:
            ref = f"{row.municipality}:{row.resident_ref}"[:32]
            return Candidate(ref, row.card_id, row.card_expires, (), row.limited_by_stay)

        certs = self.session.execute(
            select(
                CaHolderRow,
                CertificateRow.kind,
                CertificateRow.serial_hex,
                CertificateRow.not_after,
            )
            .join(CaHolderRow, CaHolderRow.card_id == CertificateRow.card_id)
            .where(
                CertificateRow.not_after >= start,
                CertificateRow.not_after < end,
                CertificateRow.status == "good",
                *_NOTICED,
            )
        )
        for row, kind, serial, not_after in certs:
            add_item(found, new(row), NoticeItem(kind, serial, not_after.astimezone(JST).date()))
        cards = self.session.scalars(
            select(CaHolderRow).where(
                CaHolderRow.card_expires >= first, CaHolderRow.card_expires <= last, *_NOTICED
            )
        )
        for row in cards:
            add_item(found, new(row), NoticeItem("card", None, row.card_expires))
        return list(found.values())
