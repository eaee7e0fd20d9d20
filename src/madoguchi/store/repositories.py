"""Repositories: the only code that speaks SQL; they return domain objects, not rows."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from madoguchi.pki.records import CertRecord, serial_hex
from madoguchi.rules.revocation import CertStatus, RevocationReason
from madoguchi.rules.validity import CertKind
from madoguchi.services.domain import CachedOcsp, StoredAuthority, StoredResponder
from madoguchi.store.ca_holders import CaHolders
from madoguchi.store.ca_requests import CaRequests
from madoguchi.store.models import (
    AuthorityRow,
    CertificateRow,
    CounterRow,
    CrlRow,
    OcspResponseRow,
    ResponderRow,
)
from madoguchi.store.sequences import ISSUE_SEQUENCES, sequence_values

_COUNTERS = cast(Table, CounterRow.__table__)
_CERTIFICATES = cast(Table, CertificateRow.__table__)
_OCSP = cast(Table, OcspResponseRow.__table__)

# The hot paths' statements, built once with bound parameters: building a statement with
# literal values costs more than running it (SQLAlchemy makes a cache key of every value).
_BUMP_COUNTER = (
    update(_COUNTERS)
    .where(_COUNTERS.c.name == bindparam("counter_name"))
    .values(value=_COUNTERS.c.value + bindparam("step"))
    .returning(_COUNTERS.c.value)
)
_NEW_COUNTER = insert(_COUNTERS)
_NEW_CERTIFICATE = insert(_CERTIFICATES)


def _counter_upsert(dialect: Any) -> Any:
    """INSERT … ON CONFLICT (name) DO UPDATE SET value = value + :value RETURNING value."""
    stmt = dialect.insert(_COUNTERS)
    return stmt.on_conflict_do_update(
        index_elements=[_COUNTERS.c.name],
        set_={"value": _COUNTERS.c.value + stmt.excluded.value},
    ).returning(_COUNTERS.c.value)


def _ocsp_upsert(dialect: Any) -> Any:
    stmt = dialect.insert(_OCSP)
    replaced = {c: stmt.excluded[c] for c in ("der", "produced_at", "next_update", "stale")}
    return stmt.on_conflict_do_update(
        index_elements=[_OCSP.c.kind, _OCSP.c.serial_hex], set_=replaced
    )


_PUT_OCSP = {"postgresql": _ocsp_upsert(postgresql), "sqlite": _ocsp_upsert(sqlite)}
_FIRST_COUNTER = {"postgresql": _counter_upsert(postgresql), "sqlite": _counter_upsert(sqlite)}


def core(session: Session) -> Connection:
    """The session's connection, for the statements of the hot paths (issuance, audit).

    They go to the database as Core statements, built once with bound parameters: no ORM
    object, no identity map, no unit-of-work bookkeeping, which cost more than the SQL
    itself (bench/issuance_bench.py). Pending ORM changes are flushed first, as an ORM
    query would autoflush them, so statements still run in the order the code gives them
    (a resident added, then its audit entry). Only rows no ORM object of the session holds
    are written this way, so the identity map stays true.
    """
    if session.autoflush:
        session.flush()  # a no-op when nothing is pending
    return session.connection()


def next_counter(session: Session, name: str, step: int = 1) -> int:
    """Increment and return a counter inside the current transaction (the row stays locked
    until commit, which serialises concurrent writers on PostgreSQL and SQLite alike).
    With ``step`` > 1 it reserves a block: the values ``result - step + 1 … result``."""
    conn = core(session)
    value = conn.execute(_BUMP_COUNTER, {"counter_name": name, "step": step}).scalar()
    if value is None:
        # first use: two transactions may both find no row; the upsert lets the second one
        # wait for the first and then count on from it (found by tests/soak on PostgreSQL)
        value = conn.execute(
            _FIRST_COUNTER[conn.dialect.name], {"name": name, "value": step}
        ).scalar_one()
    return int(value)


def _record(row: CertificateRow) -> CertRecord:
    return CertRecord(
        kind=CertKind(row.kind),
        serial=int(row.serial_hex, 16),
        seq=row.seq,
        partition=row.partition,
        subject_id=row.subject_id,
        card_id=row.card_id,
        not_before=row.not_before,
        not_after=row.not_after,
        der=row.der,
        status=CertStatus(row.status),
        status_changed_at=row.status_changed_at,
        reason=RevocationReason(row.reason) if row.reason is not None else None,
        municipality=row.municipality,
        status_municipality=row.status_municipality,
    )


class PkiRepository(CaRequests, CaHolders):
    """Authorities, responders, certificates, counters, CRLs and cached OCSP answers."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._moved_at_commit: dict[str, int] = {}

    # -- authorities and responders ------------------------------------------------------
    def authority(self, kind: CertKind) -> StoredAuthority | None:
        row = self.session.scalar(select(AuthorityRow).where(AuthorityRow.kind == kind.value))
        return StoredAuthority(CertKind(row.kind), row.cert_der, row.key_ref) if row else None

    def add_authority(
        self, kind: CertKind, subject: str, cert_der: bytes, key_ref: str, at: datetime
    ) -> None:
        self.session.add(
            AuthorityRow(
                kind=kind.value, subject=subject, cert_der=cert_der, key_ref=key_ref, created_at=at
            )
        )

    def responder(self, kind: CertKind) -> StoredResponder | None:
        """The newest responder of a CA."""
        row = self.session.scalar(
            select(ResponderRow)
            .where(ResponderRow.kind == kind.value)
            .order_by(ResponderRow.not_after.desc(), ResponderRow.id.desc())
            .limit(1)
        )
        if row is None:
            return None
        return StoredResponder(
            CertKind(row.kind), row.cert_der, row.key_pem, row.not_before, row.not_after
        )

    def add_responder(
        self,
        kind: CertKind,
        serial: int,
        cert_der: bytes,
        key_pem: bytes,
        not_before: datetime,
        not_after: datetime,
    ) -> None:
        self.session.add(
            ResponderRow(
                kind=kind.value,
                serial_hex=serial_hex(serial),
                cert_der=cert_der,
                key_pem=key_pem,
                not_before=not_before,
                not_after=not_after,
            )
        )

    # -- counters ----------------------------------------------------------------------
    def next_value(self, name: str) -> int:
        return next_counter(self.session, name)

    def next_values(self, counts: Mapping[str, int]) -> dict[str, Sequence[int]]:
        """For each counter, ``count`` values reserved in one statement (a block).

        On PostgreSQL the CAs' issue sequences come from sequences (store/sequences.py):
        no lock, unique, not always consecutive; their counter rows move by as much in
        :meth:`before_commit`, the transaction's last statements. Other counters (and all
        on SQLite) are rows taken in name order, so two transactions that both need several
        never wait for each other crosswise (each row stays locked until commit)."""
        out: dict[str, Sequence[int]] = {}
        postgres = self.session.get_bind().dialect.name == "postgresql"
        for name, step in sorted(counts.items()):
            sequence = ISSUE_SEQUENCES.get(name) if postgres else None
            if sequence is not None:
                out[name] = sequence_values(core(self.session), sequence, step)
                self._moved_at_commit[name] = self._moved_at_commit.get(name, 0) + step
                continue
            last = next_counter(self.session, name, step)
            out[name] = range(last - step + 1, last + 1)
        return out

    def before_commit(self) -> None:
        """Move the counter rows of the issue sequences allocated from PostgreSQL sequences:
        their row locks are held from here to the COMMIT only, and the OCSP memory sees them
        move when the certificates are committed, not before (services/ocsp_cache.py)."""
        for name, step in sorted(self._moved_at_commit.items()):
            next_counter(self.session, name, step)
        self._moved_at_commit.clear()

    def forget_pending(self) -> None:
        self._moved_at_commit.clear()

    def counter(self, name: str) -> int:
        """A counter's current value (0 when never incremented)."""
        return int(
            self.session.scalar(select(CounterRow.value).where(CounterRow.name == name)) or 0
        )

    # -- certificates ------------------------------------------------------------------
    def add_certificate(self, rec: CertRecord) -> None:
        """A new row, written at once (a Core INSERT: the issuance's hot path)."""
        self.add_certificates([rec])

    def add_certificates(self, recs: Sequence[CertRecord]) -> None:
        """New rows in one statement (an executemany for several: bulk issuance)."""
        rows = [
            {
                "kind": rec.kind.value,
                "serial_hex": rec.serial_hex,
                "seq": rec.seq,
                "partition": rec.partition,
                "subject_id": rec.subject_id,
                "card_id": rec.card_id,
                "not_before": rec.not_before,
                "not_after": rec.not_after,
                "der": rec.der,
                "status": rec.status.value,
                "status_changed_at": None,
                "reason": None,
                "crl_entry": None,
                "municipality": rec.municipality,
                "status_municipality": None,
            }
            for rec in recs
        ]
        if rows:
            core(self.session).execute(_NEW_CERTIFICATE, rows[0] if len(rows) == 1 else rows)

    def certificate(
        self, kind: CertKind, serial: int, *, for_update: bool = False
    ) -> CertRecord | None:
        stmt = select(CertificateRow).where(
            CertificateRow.kind == kind.value, CertificateRow.serial_hex == serial_hex(serial)
        )
        if for_update:
            stmt = stmt.with_for_update()
        row = self.session.scalar(stmt)
        return _record(row) if row else None

    def certificates_of_card(self, card_id: str) -> list[CertRecord]:
        rows = self.session.scalars(
            select(CertificateRow)
            .where(CertificateRow.card_id == card_id)
            .order_by(CertificateRow.id)
        )
        return [_record(r) for r in rows]

    def set_status(
        self,
        kind: CertKind,
        serial: int,
        status: CertStatus,
        at: datetime,
        reason: RevocationReason | None,
        crl_entry: bytes | None,
        municipality: str | None = None,
    ) -> None:
        self.session.execute(
            update(CertificateRow)
            .where(
                CertificateRow.kind == kind.value, CertificateRow.serial_hex == serial_hex(serial)
            )
            .values(
                status=status.value,
                status_changed_at=at,
                reason=int(reason) if reason is not None else None,
                crl_entry=crl_entry,
                status_municipality=municipality,
            )
        )

    def crl_entries(
        self, kind: CertKind, at: datetime, partition: int | None = None
    ) -> Iterator[bytes]:
        """The DER entries of every revoked or held certificate not yet expired at ``at``
        (a serial stays on its CRL until the certificate's expiry), in issuance order.

        Issuance order is the row id's (near ``seq``'s: on PostgreSQL concurrent issuances
        may write out of ``seq`` order; a CRL's order means nothing), so the database may
        read the table in its own order instead of sorting a million rows by ``seq``. Streamed as Core rows, 10,000 a fetch
        (a server-side cursor on PostgreSQL): memory stays flat however long the CRL.
        bench/crl_store_bench.py: 1,000,000 entries read in a fraction of the time the
        ORM and the sort by ``seq`` took.
        """
        c = _CERTIFICATES.c
        stmt = select(c.crl_entry).where(
            c.kind == kind.value,
            c.status != CertStatus.GOOD.value,
            c.not_after >= at,
        )
        if partition is not None:
            stmt = stmt.where(c.partition == partition)
        result = core(self.session).execute(
            stmt.order_by(c.id),
            execution_options={"stream_results": True, "yield_per": 10_000},
        )
        for batch in result.scalars().partitions():
            yield from (entry for entry in batch if entry is not None)

    def partitions(self, kind: CertKind) -> list[int]:
        return list(
            self.session.scalars(
                select(CertificateRow.partition)
                .where(CertificateRow.kind == kind.value)
                .distinct()
                .order_by(CertificateRow.partition)
            )
        )

    def highest_partition(self, kind: CertKind) -> int | None:
        """The highest CRL partition holding a certificate of ``kind`` (None: none issued)."""
        return self.session.scalar(
            select(func.max(CertificateRow.partition)).where(CertificateRow.kind == kind.value)
        )

    def count(self, kind: CertKind) -> int:
        return int(
            self.session.scalar(
                select(func.count())
                .select_from(CertificateRow)
                .where(CertificateRow.kind == kind.value)
            )
            or 0
        )

    # -- CRLs ---------------------------------------------------------------------------
    def add_crl(
        self,
        kind: CertKind,
        partition: int,
        number: int,
        this_update: datetime,
        next_update: datetime,
        entries: int,
        sha256: str,
    ) -> None:
        self.session.add(
            CrlRow(
                kind=kind.value,
                partition=partition,
                number=number,
                this_update=this_update,
                next_update=next_update,
                entries=entries,
                sha256=sha256,
            )
        )

    # -- OCSP cache ----------------------------------------------------------------------
    def cached_ocsp(self, kind: CertKind, serial: int) -> CachedOcsp | None:
        row = self.session.get(OcspResponseRow, (kind.value, serial_hex(serial)))
        if row is None or row.stale:
            return None
        return CachedOcsp(row.der, row.produced_at, row.next_update)

    def put_ocsp(
        self, kind: CertKind, serial: int, der: bytes, produced_at: datetime, next_update: datetime
    ) -> None:
        """Insert or replace the cached answer: one upsert, no read first (the issuance's
        hot path), unless the session holds the row already, which is then updated."""
        key = (kind.value, serial_hex(serial))
        row = self.session.identity_map.get(identity_key(OcspResponseRow, key))
        if isinstance(row, OcspResponseRow):
            row.der, row.produced_at, row.next_update, row.stale = (
                der,
                produced_at,
                next_update,
                False,
            )
            return
        conn = core(self.session)
        conn.execute(
            _PUT_OCSP[conn.dialect.name],
            {
                "kind": key[0],
                "serial_hex": key[1],
                "der": der,
                "produced_at": produced_at,
                "next_update": next_update,
                "stale": False,
            },
        )
