"""Repositories: the only code that speaks SQL; they return domain objects, not rows."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from madoguchi.pki.records import CertRecord, serial_hex
from madoguchi.rules.revocation import CertStatus, RevocationReason
from madoguchi.rules.validity import CertKind
from madoguchi.store.models import (
    AuthorityRow,
    CertificateRow,
    CounterRow,
    CrlRow,
    OcspResponseRow,
    ResponderRow,
)


@dataclass(frozen=True, slots=True)
class StoredAuthority:
    kind: CertKind
    cert_der: bytes
    key_ref: str


@dataclass(frozen=True, slots=True)
class StoredResponder:
    kind: CertKind
    cert_der: bytes
    key_pem: bytes
    not_before: datetime
    not_after: datetime


@dataclass(frozen=True, slots=True)
class CachedOcsp:
    der: bytes
    produced_at: datetime
    next_update: datetime


def next_counter(session: Session, name: str, step: int = 1) -> int:
    """Increment and return a counter inside the current transaction (the row stays locked
    until commit, which serialises concurrent writers on PostgreSQL and SQLite alike).
    With ``step`` > 1 it reserves a block: the values ``result - step + 1 … result``."""
    value = session.scalar(
        update(CounterRow)
        .where(CounterRow.name == name)
        .values(value=CounterRow.value + step)
        .returning(CounterRow.value)
    )
    if value is None:
        session.execute(insert(CounterRow).values(name=name, value=step))
        return step
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
    )


class PkiRepository:
    """Authorities, responders, certificates, counters, CRLs and cached OCSP answers."""

    def __init__(self, session: Session) -> None:
        self.session = session

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

    def counter(self, name: str) -> int:
        """A counter's current value (0 when never incremented)."""
        return int(
            self.session.scalar(select(CounterRow.value).where(CounterRow.name == name)) or 0
        )

    # -- certificates ------------------------------------------------------------------
    def add_certificate(self, rec: CertRecord) -> None:
        self.session.add(
            CertificateRow(
                kind=rec.kind.value,
                serial_hex=rec.serial_hex,
                seq=rec.seq,
                partition=rec.partition,
                subject_id=rec.subject_id,
                card_id=rec.card_id,
                not_before=rec.not_before,
                not_after=rec.not_after,
                der=rec.der,
                status=rec.status.value,
            )
        )

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
            )
        )

    def crl_entries(
        self, kind: CertKind, at: datetime, partition: int | None = None
    ) -> Iterator[bytes]:
        """The DER entries of every revoked or held certificate not yet expired at ``at``
        (a serial stays on its CRL until the certificate's expiry), in serial order."""
        stmt = select(CertificateRow.crl_entry).where(
            CertificateRow.kind == kind.value,
            CertificateRow.status != CertStatus.GOOD.value,
            CertificateRow.not_after >= at,
        )
        if partition is not None:
            stmt = stmt.where(CertificateRow.partition == partition)
        stmt = stmt.order_by(CertificateRow.seq)
        for entry in self.session.scalars(stmt.execution_options(yield_per=10_000)):
            if entry is not None:
                yield entry

    def partitions(self, kind: CertKind) -> list[int]:
        return list(
            self.session.scalars(
                select(CertificateRow.partition)
                .where(CertificateRow.kind == kind.value)
                .distinct()
                .order_by(CertificateRow.partition)
            )
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
        row = self.session.get(OcspResponseRow, (kind.value, serial_hex(serial)))
        if row is None:
            self.session.add(
                OcspResponseRow(
                    kind=kind.value,
                    serial_hex=serial_hex(serial),
                    der=der,
                    produced_at=produced_at,
                    next_update=next_update,
                    stale=False,
                )
            )
        else:
            row.der, row.produced_at, row.next_update, row.stale = (
                der,
                produced_at,
                next_update,
                False,
            )
