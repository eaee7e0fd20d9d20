"""The CA's CRLs: published on request and re-published as soon as a status changed
(R-REV-4), full or per partition (pki/crl.py's PartitionScheme)."""

from __future__ import annotations

import io
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

from madoguchi.pki import crl as crl_writer
from madoguchi.pki.authority import Authority
from madoguchi.rules.validity import CertKind
from madoguchi.services.ca_setup import CaPolicy
from madoguchi.services.domain import status_counter
from madoguchi.services.ports import Clock, UowFactory


class CrlPublisher:
    def __init__(
        self,
        uow_factory: UowFactory,
        authorities: Mapping[CertKind, Authority],
        policy: CaPolicy,
        clock: Clock,
    ) -> None:
        self.uow_factory = uow_factory
        self.authorities = dict(authorities)
        self.policy = policy
        self.clock = clock
        self._cache: dict[tuple[CertKind, int | None], _Cached] = {}
        self._highest: dict[CertKind, int] = {}
        self._lock = threading.Lock()

    def partitions(self, kind: CertKind) -> list[int]:
        """The CRL partitions that hold at least one certificate of the CA of ``kind``."""
        with self.uow_factory.read_only() as uow:
            return uow.pki.partitions(kind)

    def publish(
        self, kind: CertKind, out: BinaryIO, *, partition: int | None = None
    ) -> crl_writer.CrlInfo:
        """Write the full CRL (or one partition's, with issuingDistributionPoint) as DER."""
        authority = self.authorities[kind]
        now = self.clock()
        with self.uow_factory() as uow:
            number = uow.pki.next_value(f"crl-number:{kind.value}")
            idp = None
            if partition is not None:
                idp = crl_writer.IssuingDistributionPoint(self.policy.crl_url(kind, partition))
            info = crl_writer.write_crl(
                out,
                issuer_name_der=authority.cert.subject.public_bytes(),
                authority_key_id=authority.key_id,
                crl_number=number,
                this_update=now,
                next_update=now + self.policy.crl_validity,
                entries=uow.pki.crl_entries(kind, now, partition),
                signer=authority.signer,
                idp=idp,
            )
            uow.pki.add_crl(
                kind,
                -1 if partition is None else partition,
                number,
                now,
                now + self.policy.crl_validity,
                info.entry_count,
                info.sha256,
            )
            uow.commit()
        return info

    def current(self, kind: CertKind, partition: int | None = None) -> bytes:
        """The CRL to serve: re-published as soon as any status changed (R-REV-4), or when
        half its validity has passed; otherwise the last one, from memory."""
        return self._current(kind, partition).data

    def served(self, kind: CertKind, partition: int | None = None) -> ServedCrl | None:
        """The CRL to serve with its nextUpdate, or None for a partition above the highest
        in use: only a partition a certificate names is ever signed (issue 14, item 3)."""
        if partition is not None and not self._in_use(kind, partition):
            return None
        cached = self._current(kind, partition)
        seconds = int((cached.next_update - self.clock()).total_seconds())
        return ServedCrl(cached.data, cached.next_update, max(0, seconds))

    def _in_use(self, kind: CertKind, partition: int) -> bool:
        """Partitions only grow: the highest is remembered, and asked again only above it."""
        if partition <= self._highest.get(kind, -1):
            return True
        with self.uow_factory.read_only() as uow:
            highest = uow.pki.highest_partition(kind)
        if highest is None:
            return False
        with self._lock:
            self._highest[kind] = max(highest, self._highest.get(kind, -1))
        return partition <= highest

    def _current(self, kind: CertKind, partition: int | None) -> _Cached:
        now = self.clock()
        with self.uow_factory.read_only() as uow:
            generation = uow.pki.counter(status_counter(kind))
        cached = self._cache.get((kind, partition))
        if (
            cached
            and cached.generation == generation
            and now - cached.published < self.policy.crl_validity / 2
        ):
            return cached
        buffer = io.BytesIO()
        info = self.publish(kind, buffer, partition=partition)
        fresh = _Cached(generation, now, info.next_update, buffer.getvalue())
        with self._lock:
            self._cache[(kind, partition)] = fresh
        return fresh


@dataclass(frozen=True, slots=True)
class ServedCrl:
    data: bytes
    next_update: datetime
    max_age: int  # seconds until nextUpdate: how long an HTTP cache may keep it


@dataclass(frozen=True, slots=True)
class _Cached:
    generation: int
    published: datetime
    next_update: datetime
    data: bytes
