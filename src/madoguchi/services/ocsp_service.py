"""The CA's OCSP responder (RFC 6960, RFC 5019): answers from memory, from the store, or
signed now; answers signed in advance, in batches, for ``ca export-ocsp``.

An answer is signed at a status change (in that transaction: R-REV-4), at the first request
for it (then kept in the store and in memory), or in advance by :meth:`OcspResponder.presign`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from cryptography.hazmat.primitives import hashes
from cryptography.x509 import ocsp as x509_ocsp

from madoguchi.pki import ocsp
from madoguchi.pki.authority import Authority
from madoguchi.pki.errors import MalformedOcspRequest
from madoguchi.pki.records import CertRecord
from madoguchi.rules.validity import CertKind
from madoguchi.services.ca_setup import KINDS, CaPolicy
from madoguchi.services.domain import issue_counter, status_counter
from madoguchi.services.ocsp_cache import OcspMemory, OcspStoreReader, counters
from madoguchi.services.ports import Clock, UnitOfWork, UowFactory

SHA1 = ocsp.SUPPORTED_HASHES["sha1"]
#: the counters that say whether an OCSP answer kept in memory is still right
OCSP_COUNTERS = tuple(counters(KINDS))


@functools.cache
def _error(status: x509_ocsp.OCSPResponseStatus) -> bytes:
    return ocsp.error_response(status)


class OcspResponder:
    def __init__(
        self,
        uow_factory: UowFactory,
        authorities: Mapping[CertKind, Authority],
        policy: CaPolicy,
        clock: Clock,
        *,
        reader: OcspStoreReader | None = None,
        memory_entries: int = 20_000,
        on_answer: Callable[[str], None] = lambda source: None,
    ) -> None:
        """``reader`` reads :data:`OCSP_COUNTERS` and pre-signed answers cheaply (the store's
        OcspReader); without one, they are read through a read-only unit of work.
        ``on_answer`` is told where each answer came from: ``memory``, ``store``, ``signed``
        (now) or ``error`` (the metrics)."""
        self.on_answer = on_answer
        self.uow_factory = uow_factory
        self.authorities = dict(authorities)
        self.policy = policy
        self.clock = clock
        self._reader = reader
        self.memory = OcspMemory(
            reader.counters if reader is not None else self._read_counters,
            memory_entries,
            presigned=reader.presigned if reader is not None else None,
            fresh_for=policy.ocsp_validity / 4,
        )

    def _read_counters(self) -> dict[str, int]:
        with self.uow_factory.read_only() as uow:
            return {name: uow.pki.counter(name) for name in OCSP_COUNTERS}

    # -- signing -------------------------------------------------------------------------
    def _sign(
        self,
        record: CertRecord | None,
        kind: CertKind,
        serial: int,
        algorithm: hashes.HashAlgorithm,
        now: datetime,
    ) -> tuple[bytes, datetime]:
        authority = self.authorities[kind]
        next_update = min(
            now + self.policy.ocsp_validity, authority.responder_cert.not_valid_after_utc
        )
        der = ocsp.build_response(
            authority, serial, record, algorithm=algorithm, this_update=now, next_update=next_update
        )
        return der, next_update

    def store_answer(self, uow: UnitOfWork, record: CertRecord, now: datetime) -> None:
        """Sign and store the SHA-1 answer of ``record`` inside the caller's transaction (a
        status change: the answer says `revoked` from the moment it commits)."""
        der, next_update = self._sign(record, record.kind, record.serial, SHA1, now)
        uow.pki.put_ocsp(record.kind, record.serial, der, now, next_update)

    def presign(
        self, kind: CertKind, serials: Sequence[int], *, chunk: int = 200
    ) -> dict[int, tuple[bytes, datetime]]:
        """Sign and store the SHA-1 answers of these certificates now (the status each has),
        ``chunk`` to a transaction so the counter's writers never wait long; serials not
        issued are left out. For ``ca export-ocsp`` and a background job after issuances:
        the responder then finds them ready (:meth:`answer`)."""
        out: dict[int, tuple[bytes, datetime]] = {}
        for start in range(0, len(serials), chunk):
            with self.uow_factory() as uow:
                now = self.clock()
                for serial in serials[start : start + chunk]:
                    # locked: a revocation committed meanwhile is not overwritten by `good`
                    record = uow.pki.certificate(kind, serial, for_update=True)
                    if record is None:
                        continue
                    der, next_update = self._sign(record, kind, serial, SHA1, now)
                    uow.pki.put_ocsp(kind, serial, der, now, next_update)
                    out[serial] = (der, next_update)
                uow.commit()
        return out

    # -- answering -----------------------------------------------------------------------
    def from_memory(self, request_der: bytes) -> bytes | None:
        """The hot path, cheap enough to run on an event loop: the answer to request bytes
        seen before, from memory, if no status changed since (or None: call
        :meth:`answer`). No parsing, no signature, one small read of the counters."""
        rereads = self.memory.rereads
        der = self.memory.lookup(request_der, self.clock())
        if der is not None:  # read again from the store after a status change, or not
            self.on_answer("store" if self.memory.rereads != rereads else "memory")
        return der

    def answer(self, request_der: bytes) -> bytes:
        """The DER answer to a DER request: from memory, else the pre-signed one from the
        store, else signed now (and kept, in the store for SHA-1 CertIDs of issued
        certificates, in memory for all, until a quarter of its validity is left)."""
        now = self.clock()
        remembered = self.memory.lookup(request_der, now)
        if remembered is not None:
            self.on_answer("memory")
            return remembered
        try:
            query = ocsp.parse_request(request_der)
        except MalformedOcspRequest:
            self.on_answer("error")
            return _error(x509_ocsp.OCSPResponseStatus.MALFORMED_REQUEST)
        authority = ocsp.find_authority(query, list(self.authorities.values()))
        if authority is None:
            self.on_answer("error")
            return _error(x509_ocsp.OCSPResponseStatus.UNAUTHORIZED)
        key = (authority.kind, query.serial, query.algorithm.name)
        if not query.has_extensions:
            self.memory.name(request_der, key)
        remembered = self.memory.get(key, now)
        if remembered is not None:
            self.on_answer("memory")
            return remembered
        der, next_update, counter, generation = self._answer_from_store(authority.kind, query, now)
        refresh_at = next_update - self.policy.ocsp_validity / 4
        self.memory.put(key, der, refresh_at, counter, generation)
        return der

    def _answer_from_store(
        self, kind: CertKind, query: ocsp.OcspQuery, now: datetime
    ) -> tuple[bytes, datetime, str, int]:
        """(answer, nextUpdate, the counter that invalidates it, its value before reading)."""
        status, issued = status_counter(kind), issue_counter(kind)
        fresh_for = self.policy.ocsp_validity / 4
        cacheable = query.algorithm.name == SHA1.name
        if self._reader is not None and cacheable:
            generation = self._reader.counters()[status]  # before the answer, not after
            found = self._reader.presigned(kind, query.serial)
            if found is not None and found[1] - now > fresh_for:
                self.on_answer("store")
                return found[0], found[1], status, generation
        if not cacheable:  # signed for this request only: nothing is written
            with self.uow_factory.read_only() as reader:
                generations = {
                    status: reader.pki.counter(status),
                    issued: reader.pki.counter(issued),
                }
                record = reader.pki.certificate(kind, query.serial)
            der, next_update = self._sign(record, kind, query.serial, query.algorithm, now)
            self.on_answer("signed")
            counter = status if record is not None else issued
            return der, next_update, counter, generations[counter]
        with self.uow_factory() as uow:
            generations = {status: uow.pki.counter(status), issued: uow.pki.counter(issued)}
            cached = uow.pki.cached_ocsp(kind, query.serial)
            if cached is not None and cached.next_update - now > fresh_for:
                self.on_answer("store")
                return cached.der, cached.next_update, status, generations[status]
            # kept in the store: the row locked (PostgreSQL), so that a revocation committing
            # meanwhile waits, then replaces this answer, never the other way round
            record = uow.pki.certificate(kind, query.serial, for_update=True)
            der, next_update = self._sign(record, kind, query.serial, query.algorithm, now)
            if record is not None:
                uow.pki.put_ocsp(kind, query.serial, der, now, next_update)
                uow.commit()
        self.on_answer("signed")
        counter = status if record is not None else issued
        return der, next_update, counter, generations[counter]
