"""The audit log's statements: entries appended to the hash chain, read by day, by case, or
all in order. Only rows no ORM object holds are written here (Core statements)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from madoguchi.services.domain import GENESIS, AuditEntry, entry_hash
from madoguchi.store.counter_models import AuditRow
from madoguchi.store.models import CounterRow
from madoguchi.store.repositories import core, next_counter


def as_utc(at: datetime) -> datetime:
    """The time as the store gives it back (UtcDateTime): aware, in UTC."""
    return at.astimezone(UTC) if at.tzinfo is not None else at


_AUDIT = cast(Table, AuditRow.__table__)
_COUNTERS = cast(Table, CounterRow.__table__)
AUDIT_SEQ = "audit-seq"
# One round trip for a block of ``step`` entries: the counter's UPDATE … RETURNING the last
# number and, by a subquery, the hash of the entry before the first
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


class AuditLog:
    session: Session

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
                # hashed as stored: the store keeps UTC, so an aware time of another zone
                # (a JST clock) would otherwise verify as changed when read back
                as_utc(d["at"]),
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
