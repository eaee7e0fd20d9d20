"""Repository of the counter: residents, cards, cases, inquiry letters, the audit log."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from madoguchi.rules.cases import CaseKind, CaseState
from madoguchi.rules.procedures import Applicant
from madoguchi.services.audit import GENESIS, AuditEntry, entry_hash
from madoguchi.services.domain import (
    Card,
    CardStatus,
    Case,
    InquiryLetter,
    Resident,
    ResidentStatus,
)
from madoguchi.services.errors import ConcurrentUpdate
from madoguchi.store.counter_models import (
    AuditRow,
    CardRow,
    CaseHistoryRow,
    CaseRow,
    InquiryLetterRow,
    ResidentRow,
)
from madoguchi.store.models import CounterRow
from madoguchi.store.repositories import core, next_counter

_AUDIT = AuditRow.__table__
_COUNTERS = CounterRow.__table__
AUDIT_SEQ = "audit-seq"
# One round trip for the next sequence number and the previous entry's hash: the counter's
# UPDATE … RETURNING the new value and, by a subquery, the hash of the entry before it.
_NEXT_AUDIT = (
    update(_COUNTERS)
    .where(_COUNTERS.c.name == AUDIT_SEQ)
    .values(value=_COUNTERS.c.value + 1)
    .returning(
        _COUNTERS.c.value,
        select(_AUDIT.c.hash)
        .where(_AUDIT.c.seq == _COUNTERS.c.value - 1)
        .correlate(_COUNTERS)
        .scalar_subquery(),
    )
)
# the same for a block of ``step`` entries: the last number and the hash before the first
_NEXT_AUDIT_BLOCK = (
    update(_COUNTERS)
    .where(_COUNTERS.c.name == AUDIT_SEQ)
    .values(value=_COUNTERS.c.value + bindparam("step"))
    .returning(
        _COUNTERS.c.value,
        select(_AUDIT.c.hash)
        .where(_AUDIT.c.seq == _COUNTERS.c.value - bindparam("step"))
        .correlate(_COUNTERS)
        .scalar_subquery(),
    )
)
_NEW_AUDIT = insert(_AUDIT)
_PREV_HASH = select(_AUDIT.c.hash).where(_AUDIT.c.seq == bindparam("prev_seq"))


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
    )


def _card(r: CardRow) -> Card:
    return Card(r.id, r.resident_id, r.created, r.expires, CardStatus(r.status), r.version)


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
        idempotency_key=r.idempotency_key,
        version=r.version,
    )


def _letter(r: InquiryLetterRow) -> InquiryLetter:
    return InquiryLetter(r.number, r.case_id, r.resident_id, r.address, r.mailed_at, r.used_at)


def _audit(r: AuditRow) -> AuditEntry:
    return AuditEntry(
        r.seq,
        r.at,
        r.clerk,
        r.office,
        r.terminal,
        r.action,
        r.case_id,
        r.resident_id,
        r.certificate,
        json.loads(r.detail),
        r.prev_hash,
        r.hash,
    )


class CounterRepository:
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
                status=r.status.value,
                adult_ward=r.adult_ward,
                planned_move_out=r.planned_move_out,
                changed_at=r.changed_at,
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
            pattern = f"%{name}%"
            stmt = stmt.where(ResidentRow.name.like(pattern) | ResidentRow.name_kana.like(pattern))
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
                status=r.status.value,
                adult_ward=r.adult_ward,
                planned_move_out=r.planned_move_out,
                changed_at=r.changed_at,
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

    def update_card(self, c: Card) -> Card:
        res = self.session.execute(
            update(CardRow)
            .where(CardRow.id == c.id, CardRow.version == c.version)
            .values(status=c.status.value, expires=c.expires, version=c.version + 1)
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

    # -- audit -----------------------------------------------------------------------------------
    def append_audit(
        self,
        *,
        at: datetime,
        clerk: str,
        office: str,
        terminal: str,
        action: str,
        case_id: str | None = None,
        resident_id: str | None = None,
        certificate: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> AuditEntry:
        """Append one entry; the counter row serialises concurrent appends (row lock).

        Core statements (no ORM object): audit rows are never changed once written, and
        every use case appends some, so this path is kept lean (bench/issuance_bench.py)."""
        return self.append_audits(
            [
                {
                    "at": at,
                    "clerk": clerk,
                    "office": office,
                    "terminal": terminal,
                    "action": action,
                    "case_id": case_id,
                    "resident_id": resident_id,
                    "certificate": certificate,
                    "detail": detail,
                }
            ]
        )[0]

    def append_audits(self, drafts: Sequence[Mapping[str, Any]]) -> list[AuditEntry]:
        """Append entries in this order (each a mapping of :meth:`append_audit`'s keyword
        arguments): their numbers reserved and the previous hash read in one statement, the
        chain computed here, the rows written in one executemany (bulk issuance)."""
        if not drafts:
            return []
        conn = core(self.session)
        n = len(drafts)
        row = conn.execute(_NEXT_AUDIT_BLOCK, {"step": n}).one_or_none()
        if row is None:  # the first entry ever
            last, prev = next_counter(self.session, AUDIT_SEQ, n), None
        else:
            last, prev = int(row[0]), row[1]
        first = last - n + 1
        if prev is None and first > 1:
            # PostgreSQL (READ COMMITTED) evaluates the subquery in the snapshot the
            # statement began with, before the row lock was granted: when another
            # transaction appended meanwhile, its entry is not visible to it yet. Read it
            # again in a new statement (found by tests/soak: 20 terminals on PostgreSQL).
            prev = conn.execute(_PREV_HASH, {"prev_seq": first - 1}).scalar()
            if prev is None:
                raise RuntimeError(f"audit entry {first - 1} is missing")
        entries: list[AuditEntry] = []
        rows: list[dict[str, Any]] = []
        for seq, d in enumerate(drafts, start=first):
            fields = (
                seq,
                d["at"],
                d["clerk"],
                d["office"],
                d["terminal"],
                d["action"],
                d.get("case_id"),
                d.get("resident_id"),
                d.get("certificate"),
                d.get("detail") or {},
                prev or GENESIS,
            )
            # built twice rather than dataclasses.replace (which costs more than the hash)
            entry = AuditEntry(*fields, entry_hash(AuditEntry(*fields)))
            prev = entry.hash
            entries.append(entry)
            rows.append(
                {
                    "seq": seq,
                    "at": entry.at,
                    "clerk": entry.clerk,
                    "office": entry.office,
                    "terminal": entry.terminal,
                    "action": entry.action,
                    "case_id": entry.case_id,
                    "resident_id": entry.resident_id,
                    "certificate": entry.certificate,
                    "detail": json.dumps(
                        dict(entry.detail), ensure_ascii=False, sort_keys=True, default=str
                    ),
                    "prev_hash": entry.prev_hash,
                    "hash": entry.hash,
                }
            )
        conn.execute(_NEW_AUDIT, rows[0] if n == 1 else rows)
        return entries

    def audit_between(
        self, start: datetime, end: datetime, *, limit: int = 1000
    ) -> list[AuditEntry]:
        """The audit entries of ``[start, end)``, newest first (the supervisor's trail)."""
        rows = self.session.scalars(
            select(AuditRow)
            .where(AuditRow.at >= start, AuditRow.at < end)
            .order_by(AuditRow.seq.desc())
            .limit(limit)
        )
        return [_audit(r) for r in rows]

    def audit_of_case(self, case_id: str) -> list[AuditEntry]:
        rows = self.session.scalars(
            select(AuditRow).where(AuditRow.case_id == case_id).order_by(AuditRow.seq)
        )
        return [_audit(r) for r in rows]

    def audit_entries(self) -> Iterator[AuditEntry]:
        for row in self.session.scalars(
            select(AuditRow).order_by(AuditRow.id).execution_options(yield_per=1000)
        ):
            yield _audit(row)
