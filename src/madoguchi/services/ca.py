"""The CA's use cases: set-up, issuance, status changes, OCSP answers and CRL publication.

Each public method is one transaction; the ``*_in`` variants run inside a caller's unit of
work so the counter can issue, write the card and supersede in a single transaction.
"""

from __future__ import annotations

import functools
import hashlib
import io
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import BinaryIO

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509 import ocsp as x509_ocsp

from madoguchi.pki import crl as crl_writer
from madoguchi.pki import ocsp
from madoguchi.pki.authority import Authority, create_responder, create_root
from madoguchi.pki.errors import PkiError
from madoguchi.pki.facts import HolderFacts
from madoguchi.pki.keystore import KeyStore
from madoguchi.pki.pop import verify_pop
from madoguchi.pki.profiles import CaNames, EndEntityRequest, new_subject_id
from madoguchi.pki.records import CertRecord
from madoguchi.pki.signer import KeySigner, Signer
from madoguchi.rules.dates import end_of_day_jst
from madoguchi.rules.revocation import (
    CertStatus,
    RevocationReason,
    StatusChange,
    next_status,
)
from madoguchi.rules.validity import CertKind
from madoguchi.services.ocsp_cache import (
    OcspMemory,
    OcspStoreReader,
    counters,
    issue_counter,
    status_counter,
)
from madoguchi.services.ports import Clock, UnitOfWorkPort, UowFactory
from madoguchi.services.readonly import read_only

log = logging.getLogger("madoguchi.ca")
KINDS = (CertKind.SIGN, CertKind.AUTH)
SHA1 = ocsp.SUPPORTED_HASHES["sha1"]
#: the counters that say whether an OCSP answer kept in memory is still right
OCSP_COUNTERS = tuple(counters(KINDS))


@dataclass(frozen=True, slots=True)
class CaPolicy:
    """The CA's configuration (from Settings)."""

    names: CaNames
    base_url: str
    partition_size: int
    ocsp_validity: timedelta
    crl_validity: timedelta
    responder_days: int
    responder_renew_before: timedelta

    def crl_url(self, kind: CertKind, partition: int | None = None) -> str:
        base = self.base_url.rstrip("/")
        suffix = "" if partition is None else f"-{partition}"
        return f"{base}/crl/{kind.value}{suffix}.crl"

    @property
    def ocsp_url(self) -> str:
        return self.base_url.rstrip("/") + "/ocsp"

    def ca_issuers_url(self, kind: CertKind) -> str:
        return f"{self.base_url.rstrip('/')}/ca/{kind.value}-ca.der"


def _new_responder(
    uow: UnitOfWorkPort,
    keys: KeyStore,
    policy: CaPolicy,
    kind: CertKind,
    cert: x509.Certificate,
    signer: Signer,
    now: datetime,
) -> tuple[x509.Certificate, KeySigner]:
    """A fresh delegated OCSP responder for the CA, stored with its key sealed."""
    r_cert, r_key = create_responder(kind, policy.names, cert, signer, now, policy.responder_days)
    uow.pki.add_responder(
        kind,
        r_cert.serial_number,
        r_cert.public_bytes(serialization.Encoding.DER),
        keys.seal(r_key),
        r_cert.not_valid_before_utc,
        r_cert.not_valid_after_utc,
    )
    return r_cert, r_key


def initialise_authorities(
    uow_factory: UowFactory, keys: KeyStore, policy: CaPolicy, now: datetime
) -> None:
    """`madoguchi ca init`: both roots and their responders; refuses if a CA exists."""
    with uow_factory() as uow:
        for kind in KINDS:
            if uow.pki.authority(kind) is not None:
                raise PkiError("ca_exists", f"the {kind.value} CA exists already")
        for kind in KINDS:
            signer, key_ref = keys.create(kind)
            cert = create_root(kind, policy.names, signer, now)
            uow.pki.add_authority(
                kind,
                cert.subject.rfc4514_string(),
                cert.public_bytes(serialization.Encoding.DER),
                key_ref,
                now,
            )
            _new_responder(uow, keys, policy, kind, cert, signer, now)
        uow.commit()


def load_authorities(
    uow_factory: UowFactory, keys: KeyStore, policy: CaPolicy, now: datetime
) -> dict[CertKind, Authority]:
    """Load both CAs, renewing a responder certificate that is about to expire."""
    out: dict[CertKind, Authority] = {}
    with uow_factory() as uow:
        for kind in KINDS:
            stored = uow.pki.authority(kind)
            responder = uow.pki.responder(kind)
            if stored is None or responder is None:
                raise PkiError("no_ca", "no CA yet: run `madoguchi ca init` first")
            cert = x509.load_der_x509_certificate(stored.cert_der)
            signer = keys.load(stored.key_ref)
            r_cert = x509.load_der_x509_certificate(responder.cert_der)
            r_key = keys.unseal(responder.key_pem)
            if responder.not_after - now <= policy.responder_renew_before:
                r_cert, r_key = _new_responder(uow, keys, policy, kind, cert, signer, now)
            out[kind] = Authority(kind, cert, signer, policy.names, r_cert, r_key)
        uow.commit()
    return out


@dataclass(frozen=True, slots=True)
class IssueRequest:
    """One certificate to issue: the card's key, its proof of possession, the expiry."""

    kind: CertKind
    spki_der: bytes
    challenge: bytes
    pop_signature: bytes
    expires_on: date
    facts: HolderFacts | None
    card_id: str | None


def _checked_key(r: IssueRequest) -> rsa.RSAPublicKey:
    """The card's RSA-2048 key, once its proof of possession verified (R-PROC-6)."""
    public_key = serialization.load_der_public_key(r.spki_der)
    if not isinstance(public_key, rsa.RSAPublicKey) or public_key.key_size != 2048:
        raise PkiError("key_type", "card keys are RSA-2048")
    verify_pop(public_key, r.spki_der, r.challenge, r.pop_signature)
    if r.kind is CertKind.SIGN and r.facts is None:
        raise PkiError("facts_missing", "a signing certificate carries the four facts")
    return public_key


class CaService:
    def __init__(
        self,
        uow_factory: UowFactory,
        authorities: Mapping[CertKind, Authority],
        policy: CaPolicy,
        clock: Clock,
        *,
        ocsp_reader: OcspStoreReader | None = None,
        ocsp_memory_entries: int = 20_000,
        on_ocsp_answer: Callable[[str], None] = lambda source: None,
    ) -> None:
        """``ocsp_reader`` reads :data:`OCSP_COUNTERS` and pre-signed answers cheaply (the
        store's OcspReader); without one, they are read through a unit of work.
        ``on_ocsp_answer`` is told where each OCSP answer came from: ``memory``, ``store``,
        ``signed`` (now) or ``error`` (the metrics)."""
        self.on_ocsp_answer = on_ocsp_answer
        self.uow_factory = uow_factory
        self.authorities = dict(authorities)
        self.policy = policy
        self.clock = clock
        self._crl_cache: dict[tuple[CertKind, int | None], tuple[int, datetime, bytes]] = {}
        self._ocsp_reader = ocsp_reader
        self.ocsp_memory = OcspMemory(
            ocsp_reader.counters if ocsp_reader is not None else self._read_counters,
            ocsp_memory_entries,
            presigned=ocsp_reader.presigned if ocsp_reader is not None else None,
            fresh_for=policy.ocsp_validity / 4,
        )

    def _read_counters(self) -> dict[str, int]:
        with read_only(), self.uow_factory() as uow:
            return {name: uow.pki.counter(name) for name in OCSP_COUNTERS}

    # -- issuance ------------------------------------------------------------------------
    def issue_in(
        self,
        uow: UnitOfWorkPort,
        *,
        kind: CertKind,
        spki_der: bytes,
        challenge: bytes,
        pop_signature: bytes,
        expires_on: date,
        facts: HolderFacts | None,
        card_id: str | None,
    ) -> CertRecord:
        """Verify the card's proof of possession, sign, record.

        The OCSP `good` answer is not signed here: it is signed at the first request for it
        (:meth:`ocsp_answer`, then kept in the store and in memory) or in advance, in
        batches, by :meth:`presign` (``ca export-ocsp``, a background job). An issuance
        makes two signatures, not four (bench/issuance_bench.py). A certificate until then
        unknown to OCSP moves ``issue-seq``, so no process serves an `unknown` it kept."""
        request = IssueRequest(kind, spki_der, challenge, pop_signature, expires_on, facts, card_id)
        return self.issue_many_in(uow, [request])[0]

    def issue_many_in(
        self, uow: UnitOfWorkPort, requests: Sequence[IssueRequest]
    ) -> list[CertRecord]:
        """:meth:`issue_in` for several certificates in one go (bulk issuance): every proof
        checked first, then per CA one statement reserves the sequence numbers and one
        writes the rows; the certificates are signed in between."""
        keys = [_checked_key(r) for r in requests]
        wanted: dict[str, int] = {}
        for r in requests:
            wanted[issue_counter(r.kind)] = wanted.get(issue_counter(r.kind), 0) + 1
        reserved = uow.pki.next_values(wanted)
        seqs = {kind: iter(reserved.get(issue_counter(kind), ())) for kind in KINDS}
        now = self.clock()
        records = []
        for r, public_key in zip(requests, keys, strict=True):
            seq = next(seqs[r.kind])
            partition = seq // self.policy.partition_size
            serial = x509.random_serial_number()
            req = EndEntityRequest(
                kind=r.kind,
                public_key=public_key,
                serial=serial,
                subject_id=new_subject_id(),
                not_before=now,
                not_after=end_of_day_jst(r.expires_on),
                crl_url=self.policy.crl_url(r.kind, partition),
                ocsp_url=self.policy.ocsp_url,
                ca_issuers_url=self.policy.ca_issuers_url(r.kind),
                facts=r.facts if r.kind is CertKind.SIGN else None,
            )
            cert = self.authorities[r.kind].issue(req)
            records.append(
                CertRecord(
                    kind=r.kind,
                    serial=serial,
                    seq=seq,
                    partition=partition,
                    subject_id=req.subject_id,
                    card_id=r.card_id,
                    not_before=cert.not_valid_before_utc,
                    not_after=cert.not_valid_after_utc,
                    der=cert.public_bytes(serialization.Encoding.DER),
                    status=CertStatus.GOOD,
                )
            )
        uow.pki.add_certificates(records)
        for rec in records:
            log.info("signing %s certificate %s", rec.kind.value, rec.serial_hex)
        return records

    def issue(
        self,
        *,
        kind: CertKind,
        spki_der: bytes,
        challenge: bytes,
        pop_signature: bytes,
        expires_on: date,
        facts: HolderFacts | None,
        card_id: str | None,
    ) -> CertRecord:
        with self.uow_factory() as uow:
            record = self.issue_in(
                uow,
                kind=kind,
                spki_der=spki_der,
                challenge=challenge,
                pop_signature=pop_signature,
                expires_on=expires_on,
                facts=facts,
                card_id=card_id,
            )
            uow.commit()
        return record

    # -- status --------------------------------------------------------------------------
    def change_status_in(
        self,
        uow: UnitOfWorkPort,
        kind: CertKind,
        serial: int,
        change: StatusChange,
        reason: RevocationReason,
    ) -> CertRecord:
        """Hold or revoke (R-REV-3, R-REV-4): CRL entry kept, OCSP answer re-signed now."""
        record = uow.pki.certificate(kind, serial, for_update=True)
        if record is None:
            raise PkiError("unknown_certificate", f"no {kind.value} certificate {serial:x}")
        status = next_status(record.status, change)
        now = self.clock()
        if status is CertStatus.HELD:
            reason = RevocationReason.CERTIFICATE_HOLD
        entry = crl_writer.encode_entry(
            crl_writer.RevokedEntry(serial, now, reason, record.not_after)
        )
        uow.pki.set_status(kind, serial, status, now, reason, entry)
        log.info(
            "%s %s certificate %s (%s)", status.value, kind.value, f"{serial:x}", reason.rfc_name
        )
        uow.pki.next_value(f"status-gen:{kind.value}")
        updated = uow.pki.certificate(kind, serial)
        assert updated is not None
        self._presign(uow, updated, now)
        return updated

    def revoke(self, kind: CertKind, serial: int, reason: RevocationReason) -> CertRecord:
        with self.uow_factory() as uow:
            record = self.change_status_in(uow, kind, serial, StatusChange.REVOKE, reason)
            uow.commit()
        return record

    def hold(self, kind: CertKind, serial: int) -> CertRecord:
        with self.uow_factory() as uow:
            record = self.change_status_in(
                uow, kind, serial, StatusChange.HOLD, RevocationReason.CERTIFICATE_HOLD
            )
            uow.commit()
        return record

    # -- OCSP ----------------------------------------------------------------------------
    def _sign_answer(
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

    def _presign(self, uow: UnitOfWorkPort, record: CertRecord, now: datetime) -> None:
        der, next_update = self._sign_answer(record, record.kind, record.serial, SHA1, now)
        uow.pki.put_ocsp(record.kind, record.serial, der, now, next_update)

    def presign(
        self, kind: CertKind, serials: Sequence[int], *, chunk: int = 200
    ) -> dict[int, tuple[bytes, datetime]]:
        """Sign and store the SHA-1 answers of these certificates now (the status each has),
        ``chunk`` to a transaction so the counter's writers never wait long; serials not
        issued are left out. For ``ca export-ocsp`` and a background job after issuances:
        the responder then finds them ready (:meth:`ocsp_answer`)."""
        out: dict[int, tuple[bytes, datetime]] = {}
        for start in range(0, len(serials), chunk):
            with self.uow_factory() as uow:
                now = self.clock()
                for serial in serials[start : start + chunk]:
                    # locked: a revocation committed meanwhile is not overwritten by `good`
                    record = uow.pki.certificate(kind, serial, for_update=True)
                    if record is None:
                        continue
                    der, next_update = self._sign_answer(record, kind, serial, SHA1, now)
                    uow.pki.put_ocsp(kind, serial, der, now, next_update)
                    out[serial] = (der, next_update)
                uow.commit()
        return out

    def ocsp_from_memory(self, request_der: bytes) -> bytes | None:
        """The hot path, cheap enough to run on an event loop: the answer to request bytes
        seen before, from memory, if no status changed since (or None: call
        :meth:`ocsp_answer`). No parsing, no signature, one small read of the counters."""
        rereads = self.ocsp_memory.rereads
        der = self.ocsp_memory.lookup(request_der, self.clock())
        if der is not None:  # read again from the store after a status change, or not
            self.on_ocsp_answer("store" if self.ocsp_memory.rereads != rereads else "memory")
        return der

    def ocsp_answer(self, request_der: bytes) -> bytes:
        """The DER answer to a DER request: from memory, else the pre-signed one from the
        store, else signed now (and kept, in the store for SHA-1 CertIDs of issued
        certificates, in memory for all, until a quarter of its validity is left)."""
        now = self.clock()
        remembered = self.ocsp_memory.lookup(request_der, now)
        if remembered is not None:
            self.on_ocsp_answer("memory")
            return remembered
        try:
            query = ocsp.parse_request(request_der)
        except PkiError:
            self.on_ocsp_answer("error")
            return _error(x509_ocsp.OCSPResponseStatus.MALFORMED_REQUEST)
        authority = ocsp.find_authority(query, list(self.authorities.values()))
        if authority is None:
            self.on_ocsp_answer("error")
            return _error(x509_ocsp.OCSPResponseStatus.UNAUTHORIZED)
        key = (authority.kind, query.serial, query.algorithm.name)
        if not query.has_extensions:
            self.ocsp_memory.name(request_der, key)
        remembered = self.ocsp_memory.get(key, now)
        if remembered is not None:
            self.on_ocsp_answer("memory")
            return remembered
        der, next_update, counter, generation = self._answer_from_store(authority.kind, query, now)
        refresh_at = next_update - self.policy.ocsp_validity / 4
        self.ocsp_memory.put(key, der, refresh_at, counter, generation)
        return der

    def _answer_from_store(
        self, kind: CertKind, query: ocsp.OcspQuery, now: datetime
    ) -> tuple[bytes, datetime, str, int]:
        """(answer, nextUpdate, the counter that invalidates it, its value before reading)."""
        status, issued = status_counter(kind), issue_counter(kind)
        fresh_for = self.policy.ocsp_validity / 4
        if self._ocsp_reader is not None and query.algorithm.name == SHA1.name:
            generation = self._ocsp_reader.counters()[status]  # before the answer, not after
            found = self._ocsp_reader.presigned(kind, query.serial)
            if found is not None and found[1] - now > fresh_for:
                self.on_ocsp_answer("store")
                return found[0], found[1], status, generation
        with self.uow_factory() as uow:
            generations = {status: uow.pki.counter(status), issued: uow.pki.counter(issued)}
            cacheable = query.algorithm.name == SHA1.name
            if cacheable:
                cached = uow.pki.cached_ocsp(kind, query.serial)
                if cached is not None and cached.next_update - now > fresh_for:
                    self.on_ocsp_answer("store")
                    return cached.der, cached.next_update, status, generations[status]
            # kept in the store: the row locked (PostgreSQL), so that a revocation committing
            # meanwhile waits, then replaces this answer, never the other way round
            record = uow.pki.certificate(kind, query.serial, for_update=cacheable)
            der, next_update = self._sign_answer(record, kind, query.serial, query.algorithm, now)
            if cacheable and record is not None:
                uow.pki.put_ocsp(kind, query.serial, der, now, next_update)
                uow.commit()
        self.on_ocsp_answer("signed")
        counter = status if record is not None else issued
        return der, next_update, counter, generations[counter]

    # -- CRLs ----------------------------------------------------------------------------
    def publish_crl(
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

    def current_crl(self, kind: CertKind, partition: int | None = None) -> bytes:
        """The CRL to serve: re-published as soon as any status changed (R-REV-4), or when
        half its validity has passed; otherwise the last one, from memory."""
        now = self.clock()
        with read_only(), self.uow_factory() as uow:
            generation = uow.pki.counter(f"status-gen:{kind.value}")
        cached = self._crl_cache.get((kind, partition))
        if cached and cached[0] == generation and now - cached[1] < self.policy.crl_validity / 2:
            return cached[2]
        buffer = io.BytesIO()
        self.publish_crl(kind, buffer, partition=partition)
        data = buffer.getvalue()
        self._crl_cache[(kind, partition)] = (generation, now, data)
        return data

    def certificate(self, kind: CertKind, serial: int) -> CertRecord | None:
        with read_only(), self.uow_factory() as uow:
            return uow.pki.certificate(kind, serial)


@functools.cache
def _error(status: x509_ocsp.OCSPResponseStatus) -> bytes:
    return ocsp.error_response(status)


def fingerprint(der: bytes) -> str:
    return hashlib.sha256(der).hexdigest()
