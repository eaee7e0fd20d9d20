"""The ports the services need; the store implements them (cosmicpython's dependency rule)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol

from madoguchi.pki.records import CertRecord
from madoguchi.rules.revocation import CertStatus, RevocationReason
from madoguchi.rules.validity import CertKind

Clock = Callable[[], datetime]


class StoredAuthorityLike(Protocol):
    kind: CertKind
    cert_der: bytes
    key_ref: str


class StoredResponderLike(Protocol):
    kind: CertKind
    cert_der: bytes
    key_pem: bytes
    not_before: datetime
    not_after: datetime


class CachedOcspLike(Protocol):
    der: bytes
    produced_at: datetime
    next_update: datetime


class PkiRepo(Protocol):
    def authority(self, kind: CertKind) -> StoredAuthorityLike | None: ...
    def add_authority(
        self, kind: CertKind, subject: str, cert_der: bytes, key_ref: str, at: datetime
    ) -> None: ...
    def responder(self, kind: CertKind) -> StoredResponderLike | None: ...
    def add_responder(
        self,
        kind: CertKind,
        serial: int,
        cert_der: bytes,
        key_pem: bytes,
        not_before: datetime,
        not_after: datetime,
    ) -> None: ...
    def next_value(self, name: str) -> int: ...
    def next_values(self, counts: Mapping[str, int]) -> dict[str, range]: ...
    def counter(self, name: str) -> int: ...
    def add_certificate(self, rec: CertRecord) -> None: ...
    def add_certificates(self, recs: Sequence[CertRecord]) -> None: ...
    def certificate(
        self, kind: CertKind, serial: int, *, for_update: bool = False
    ) -> CertRecord | None: ...
    def certificates_of_card(self, card_id: str) -> list[CertRecord]: ...
    def set_status(
        self,
        kind: CertKind,
        serial: int,
        status: CertStatus,
        at: datetime,
        reason: RevocationReason | None,
        crl_entry: bytes | None,
    ) -> None: ...
    def crl_entries(
        self, kind: CertKind, at: datetime, partition: int | None = None
    ) -> Iterator[bytes]: ...
    def partitions(self, kind: CertKind) -> list[int]: ...
    def add_crl(
        self,
        kind: CertKind,
        partition: int,
        number: int,
        this_update: datetime,
        next_update: datetime,
        entries: int,
        sha256: str,
    ) -> None: ...
    def cached_ocsp(self, kind: CertKind, serial: int) -> CachedOcspLike | None: ...
    def put_ocsp(
        self, kind: CertKind, serial: int, der: bytes, produced_at: datetime, next_update: datetime
    ) -> None: ...


class UnitOfWorkPort(Protocol):
    pki: PkiRepo
    counter: Any  # store.counter_repository.CounterRepository (residents, cases, audit)
    staff: Any  # store.staff_repository.StaffRepository (accounts, sessions, settings)
    notices: Any  # store.notice_repository.NoticeRepository (campaigns, notices, batches)
    checkpoints: Any  # store.checkpoint_repository.CheckpointRepository

    def __enter__(self) -> UnitOfWorkPort: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...


UowFactory = Callable[[], UnitOfWorkPort]
