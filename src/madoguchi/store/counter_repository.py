"""Repository of the counter: residents, cards, cases, inquiry letters (and, through
:class:`~madoguchi.store.audit_log.AuditLog`, the audit log)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from madoguchi.rules.cases import CaseKind, CaseState
from madoguchi.rules.fees import FeeReason
from madoguchi.rules.procedures import Applicant
from madoguchi.services.domain import (
    Card,
    CardStatus,
    Case,
    ConcurrentUpdate,
    InquiryLetter,
    Resident,
    ResidentStatus,
)
from madoguchi.store.audit_log import AuditLog
from madoguchi.store.counter_models import (
    CardRow,
    CaseHistoryRow,
    CaseRow,
    InquiryLetterRow,
    ResidentRow,
)
from madoguchi.store.issue_intents import IssueIntents
from madoguchi.store.models import CertificateRow


def _escape_like(text: str) -> str:
    """``text`` matched literally by LIKE: its wildcards ``%`` ``_`` and the escape escaped."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _resident(r: ResidentRow) -> Resident:
    return Resident(
        r.id,
        r.name,
        r.name_kana,
        r.birth,
        r.gender,
        r.address,
        ResidentStatus(r.status),
        r.adult_ward,
        r.planned_move_out,
        r.changed_at,
        r.version,
        r.postal_code or "",
        r.nationality or "jp",
        r.stay_until,
        r.moved_abroad_on,
        r.fuhyo_address or "",
    )


def _card(r: CardRow) -> Card:
    return Card(
        r.id,
        r.resident_id,
        r.created,
        r.expires,
        CardStatus(r.status),
        r.version,
        bool(r.limited_by_stay),
        bool(r.extension_used),
        r.validity_changed_on,
        bool(r.face_auth),
        r.abroad_since,
        tuple(json.loads(r.remarks or "[]")),
        r.abroad_sign_serial,
    )


def _card_values(c: Card) -> dict[str, object]:
    """The issue-16 columns of a card (R-CARD-2…4, R-ABROAD-1, R-FACE-1, the remarks)."""
    return {
        "limited_by_stay": c.limited_by_stay,
        "extension_used": c.extension_used,
        "validity_changed_on": c.validity_changed_on,
        "face_auth": c.face_auth,
        "abroad_since": c.abroad_since,
        "remarks": json.dumps(list(c.remarks), ensure_ascii=False),
        "abroad_sign_serial": c.abroad_sign_serial,
    }


def _case(r: CaseRow) -> Case:
    return Case(
        id=r.id,
        kind=CaseKind(r.kind),
        resident_id=r.resident_id,
        card_id=r.card_id,
        office=r.office,
        clerk=r.clerk,
        terminal=r.terminal,
        state=CaseState(r.state),
        applicant=Applicant(r.applicant),
        opened_at=r.opened_at,
        closed_at=r.closed_at,
        refusal=r.refusal,
        items=json.loads(r.items),
        documents=json.loads(r.documents),
        issuing=json.loads(r.issuing) if r.issuing else None,
        fee_due=r.fee_due,
        receipt_no=r.receipt_no,
        fee_reason=FeeReason(r.fee_reason) if r.fee_reason else None,
        abroad_sign=bool(r.abroad_sign),
        idempotency_key=r.idempotency_key,
        version=r.version,
    )


def _letter(r: InquiryLetterRow) -> InquiryLetter:
    return InquiryLetter(r.number, r.case_id, r.resident_id, r.address, r.mailed_at, r.used_at)


class CounterRepository(AuditLog, IssueIntents):
    def __init__(self, session: Session) -> None:
        self.session = session

    # -- residents and cards ---------------------------------------------------------------
    def add_resident(self, r: Resident) -> None:
        self.session.add(
            ResidentRow(
                id=r.id,
                name=r.name,
                name_kana=r.name_kana,
                birth=r.birth,
                gender=r.gender,
                address=r.address,
                postal_code=r.postal_code,
                status=r.status.value,
                adult_ward=r.adult_ward,
                planned_move_out=r.planned_move_out,
                changed_at=r.changed_at,
                nationality=r.nationality,
                stay_until=r.stay_until,
                moved_abroad_on=r.moved_abroad_on,
                fuhyo_address=r.fuhyo_address or None,
                version=r.version,
            )
        )

    def resident(self, resident_id: str, *, for_update: bool = False) -> Resident | None:
        stmt = select(ResidentRow).where(ResidentRow.id == resident_id)
        row = self.session.scalar(stmt.with_for_update() if for_update else stmt)
        return _resident(row) if row else None

    def find_residents(
        self, *, name: str | None = None, birth: date | None = None, limit: int = 50
    ) -> list[Resident]:
        stmt = select(ResidentRow)
        if name:
            pattern = "%" + _escape_like(name) + "%"
            stmt = stmt.where(
                ResidentRow.name.like(pattern, escape="\\")
                | ResidentRow.name_kana.like(pattern, escape="\\")
            )
        if birth:
            stmt = stmt.where(ResidentRow.birth == birth)
        return [
            _resident(r)
            for r in self.session.scalars(stmt.order_by(ResidentRow.name_kana).limit(limit))
        ]

    def moved_out_by(self, day: date) -> list[Resident]:
        """Residents who moved out with a planned move-out date on or before ``day``."""
        rows = self.session.scalars(
            select(ResidentRow).where(
                ResidentRow.status == ResidentStatus.MOVED_OUT.value,
                ResidentRow.planned_move_out <= day,
            )
        )
        return [_resident(r) for r in rows]

    def update_resident(self, r: Resident) -> Resident:
        """Write ``r`` if nobody changed the row since it was read (optimistic lock)."""
        res = self.session.execute(
            update(ResidentRow)
            .where(ResidentRow.id == r.id, ResidentRow.version == r.version)
            .values(
                name=r.name,
                name_kana=r.name_kana,
                birth=r.birth,
                gender=r.gender,
                address=r.address,
                postal_code=r.postal_code,
                status=r.status.value,
                adult_ward=r.adult_ward,
                planned_move_out=r.planned_move_out,
                changed_at=r.changed_at,
                nationality=r.nationality,
                stay_until=r.stay_until,
                moved_abroad_on=r.moved_abroad_on,
                fuhyo_address=r.fuhyo_address or None,
                version=r.version + 1,
            )
        )
        if res.rowcount != 1:  # type: ignore[attr-defined]
            raise ConcurrentUpdate("resident")
        return replace(r, version=r.version + 1)

    def add_card(self, c: Card) -> None:
        self.session.add(
            CardRow(
                id=c.id,
                resident_id=c.resident_id,
                created=c.created,
                expires=c.expires,
                status=c.status.value,
                version=c.version,
                **_card_values(c),
            )
        )

    def card(self, card_id: str, *, for_update: bool = False) -> Card | None:
        stmt = select(CardRow).where(CardRow.id == card_id)
        row = self.session.scalar(stmt.with_for_update() if for_update else stmt)
        return _card(row) if row else None

    def cards_of(self, resident_id: str) -> list[Card]:
        return [
            _card(r)
            for r in self.session.scalars(
                select(CardRow).where(CardRow.resident_id == resident_id).order_by(CardRow.created)
            )
        ]

    def residents_with_certificates(self) -> list[str]:
        return list(
            self.session.scalars(
                select(CardRow.resident_id)
                .join(CertificateRow, CertificateRow.card_id == CardRow.id)
                .distinct()
                .order_by(CardRow.resident_id)
            )
        )

    def update_card(self, c: Card) -> Card:
        res = self.session.execute(
            update(CardRow)
            .where(CardRow.id == c.id, CardRow.version == c.version)
            .values(
                status=c.status.value, expires=c.expires, version=c.version + 1, **_card_values(c)
            )
        )
        if res.rowcount != 1:  # type: ignore[attr-defined]
            raise ConcurrentUpdate("card")
        return replace(c, version=c.version + 1)

    # -- cases ---------------------------------------------------------------------------------
    def add_case(self, c: Case) -> None:
        self.session.add(
            CaseRow(
                id=c.id,
                kind=c.kind.value,
                resident_id=c.resident_id,
                card_id=c.card_id,
                office=c.office,
                clerk=c.clerk,
                terminal=c.terminal,
                state=c.state.value,
                applicant=c.applicant.value,
                opened_at=c.opened_at,
                items=json.dumps(c.items),
                documents=json.dumps(c.documents),
                fee_reason=c.fee_reason.value if c.fee_reason else None,
                abroad_sign=c.abroad_sign,
                idempotency_key=c.idempotency_key,
                version=1,
            )
        )

    def case(self, case_id: str, *, for_update: bool = False) -> Case | None:
        stmt = select(CaseRow).where(CaseRow.id == case_id)
        row = self.session.scalar(stmt.with_for_update() if for_update else stmt)
        return _case(row) if row else None

    def case_by_key(self, key: str) -> Case | None:
        row = self.session.scalar(select(CaseRow).where(CaseRow.idempotency_key == key))
        return _case(row) if row else None

    def update_case(self, c: Case) -> Case:
        res = self.session.execute(
            update(CaseRow)
            .where(CaseRow.id == c.id, CaseRow.version == c.version)
            .values(
                state=c.state.value,
                card_id=c.card_id,
                closed_at=c.closed_at,
                refusal=c.refusal,
                items=json.dumps(c.items),
                documents=json.dumps(c.documents),
                issuing=json.dumps(c.issuing) if c.issuing is not None else None,
                fee_due=c.fee_due,
                receipt_no=c.receipt_no,
                fee_reason=c.fee_reason.value if c.fee_reason else None,
                version=c.version + 1,
            )
        )
        if res.rowcount != 1:  # type: ignore[attr-defined]
            raise ConcurrentUpdate("case")
        return replace(c, version=c.version + 1)

    def add_history(
        self, case_id: str, at: datetime, event: str, from_state: str, to_state: str, clerk: str
    ) -> None:
        self.session.add(
            CaseHistoryRow(
                case_id=case_id,
                at=at,
                event=event,
                from_state=from_state,
                to_state=to_state,
                clerk=clerk,
            )
        )

    def history(self, case_id: str) -> list[tuple[str, str, str]]:
        rows = self.session.scalars(
            select(CaseHistoryRow)
            .where(CaseHistoryRow.case_id == case_id)
            .order_by(CaseHistoryRow.id)
        )
        return [(r.event, r.from_state, r.to_state) for r in rows]

    def cases_of_resident(self, resident_id: str) -> list[Case]:
        rows = self.session.scalars(
            select(CaseRow).where(CaseRow.resident_id == resident_id).order_by(CaseRow.opened_at)
        )
        return [_case(r) for r in rows]

    def cases_between(self, start: datetime, end: datetime) -> list[Case]:
        return [
            _case(r)
            for r in self.session.scalars(
                select(CaseRow)
                .where(CaseRow.opened_at >= start, CaseRow.opened_at < end)
                .order_by(CaseRow.opened_at)
            )
        ]

    # -- inquiry letters -------------------------------------------------------------------------
    def add_letter(self, letter: InquiryLetter) -> None:
        self.session.add(
            InquiryLetterRow(
                number=letter.number,
                case_id=letter.case_id,
                resident_id=letter.resident_id,
                address=letter.address,
                mailed_at=letter.mailed_at,
                used_at=letter.used_at,
            )
        )

    def letter(self, number: str, *, for_update: bool = False) -> InquiryLetter | None:
        stmt = select(InquiryLetterRow).where(InquiryLetterRow.number == number)
        row = self.session.scalar(stmt.with_for_update() if for_update else stmt)
        return _letter(row) if row else None

    def letters_of_case(self, case_id: str) -> list[InquiryLetter]:
        return [
            _letter(r)
            for r in self.session.scalars(
                select(InquiryLetterRow).where(InquiryLetterRow.case_id == case_id)
            )
        ]

    def mark_letter_used(self, number: str, at: datetime) -> None:
        self.session.execute(
            update(InquiryLetterRow).where(InquiryLetterRow.number == number).values(used_at=at)
        )
