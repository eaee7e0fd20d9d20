"""The CA's records: authorities, responders, certificates, CRLs, OCSP answers."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Protocol

from madoguchi.pki.records import CertRecord
from madoguchi.rules.revocation import CertStatus, RevocationReason
from madoguchi.rules.validity import CertKind
from madoguchi.services.domain import CachedOcsp, StoredAuthority, StoredResponder
from madoguchi.services.ports.ca import CaRequestReader, CaRequestRepo


class PkiReader(CaRequestReader, Protocol):
    def authority(self, kind: CertKind) -> StoredAuthority | None:
        """The stored CA of ``kind`` (its certificate and key reference)."""

    def responder(self, kind: CertKind) -> StoredResponder | None:
        """The newest delegated OCSP responder of the CA of ``kind``."""

    def counter(self, name: str) -> int:
        """A named counter's value (0 when never incremented)."""

    def certificate(self, kind: CertKind, serial: int) -> CertRecord | None:
        """One issued certificate."""

    def certificates_of_card(self, card_id: str) -> list[CertRecord]:
        """Every certificate issued onto a card, oldest first."""

    def crl_entries(
        self, kind: CertKind, at: datetime, partition: int | None = None
    ) -> Iterator[bytes]:
        """The encoded CRL entries of the revoked or held certificates not expired at ``at``
        (of one partition, or all)."""

    def partitions(self, kind: CertKind) -> list[int]:
        """The CRL partitions that hold at least one certificate."""

    def highest_partition(self, kind: CertKind) -> int | None:
        """The highest CRL partition holding a certificate (None: none issued)."""

    def count(self, kind: CertKind) -> int:
        """How many certificates of ``kind`` were issued."""

    def cached_ocsp(self, kind: CertKind, serial: int) -> CachedOcsp | None:
        """The stored (pre-signed) OCSP answer for a SHA-1 CertID, unless stale."""


class PkiRepo(PkiReader, CaRequestRepo, Protocol):
    def add_authority(
        self, kind: CertKind, subject: str, cert_der: bytes, key_ref: str, at: datetime
    ) -> None:
        """Record a new CA."""

    def add_responder(
        self,
        kind: CertKind,
        serial: int,
        cert_der: bytes,
        key_pem: bytes,
        not_before: datetime,
        not_after: datetime,
    ) -> None:
        """Record a new OCSP responder certificate with its sealed key."""

    def next_value(self, name: str) -> int:
        """Increment a counter and return its new value (the row stays locked until commit)."""

    def next_values(self, counts: Mapping[str, int]) -> dict[str, Sequence[int]]:
        """Reserve ``count`` values of each counter, ascending: ``{name: values}`` (unique;
        the CAs' issue sequences may have gaps and interleave with other transactions')."""

    def add_certificate(self, rec: CertRecord) -> None:
        """Record one issued certificate."""

    def add_certificates(self, recs: Sequence[CertRecord]) -> None:
        """Record issued certificates in one statement."""

    def certificate(
        self, kind: CertKind, serial: int, *, for_update: bool = False
    ) -> CertRecord | None:
        """One certificate; ``for_update`` locks its row until commit."""

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
        """Hold or revoke, keeping the CRL entry already encoded and who asked for it
        (``municipality``; None: the CA operator)."""

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
        """Record a published CRL (partition -1: the full CRL)."""

    def put_ocsp(
        self, kind: CertKind, serial: int, der: bytes, produced_at: datetime, next_update: datetime
    ) -> None:
        """Store the answer for a certificate, replacing the one before."""
