"""The CA's use cases: issuance and status changes (holds, revocations).

Each public method is one transaction; the ``*_in`` variants run inside a caller's unit of
work so the counter can issue, write the card and supersede in a single transaction. The CA's
set-up is in services/ca_setup.py, its OCSP answers in services/ocsp_service.py and its CRLs
in services/crl_service.py.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import date

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from madoguchi.pki import crl as crl_writer
from madoguchi.pki.authority import Authority
from madoguchi.pki.errors import FactsMissing, KeySizeError, KeyTypeError, UnknownCertificate
from madoguchi.pki.facts import HolderFacts
from madoguchi.pki.pop import verify_pop
from madoguchi.pki.profiles import EndEntityRequest, new_subject_id
from madoguchi.pki.records import CertRecord
from madoguchi.rules.dates import end_of_day_jst
from madoguchi.rules.revocation import (
    CertStatus,
    RevocationReason,
    StatusChange,
    next_status,
)
from madoguchi.rules.validity import CertKind
from madoguchi.services.ca_setup import KINDS, CaPolicy
from madoguchi.services.domain import Refused, issue_counter, status_counter
from madoguchi.services.ocsp_service import OcspResponder
from madoguchi.services.ports import Clock, UnitOfWork, UowFactory
from madoguchi.services.ports.ca import AnsweredOrder, IssueOrder, IssueRequest

__all__ = ["CaService", "IssueRequest"]

log = logging.getLogger("madoguchi.ca")


def _checked_key(r: IssueRequest) -> rsa.RSAPublicKey:
    """The card's RSA-2048 key, once its proof of possession verified (R-PROC-6)."""
    public_key = serialization.load_der_public_key(r.spki_der)
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise KeyTypeError("the card's key")
    if public_key.key_size != 2048:
        raise KeySizeError("the card's key", public_key.key_size, 2048)
    verify_pop(public_key, r.spki_der, r.challenge, r.pop_signature)
    if r.kind is CertKind.SIGN and r.facts is None:
        raise FactsMissing()
    return public_key


class CaService:
    def __init__(
        self,
        uow_factory: UowFactory,
        authorities: Mapping[CertKind, Authority],
        policy: CaPolicy,
        clock: Clock,
        ocsp: OcspResponder,
    ) -> None:
        self.uow_factory = uow_factory
        self.authorities = dict(authorities)
        self.policy = policy
        self.clock = clock
        self.ocsp = ocsp

    # -- issuance ------------------------------------------------------------------------
    def issue_order_in(self, uow: UnitOfWork, order: IssueOrder) -> list[CertRecord]:
        """A registration authority's order (issue 17): a key answered before gets the same
        certificates (the same municipality and the same card keys, or it is refused); a new
        one is signed and recorded with the municipality that asked (R-NAT-1)."""
        answered = uow.pki.answered_order(order.idempotency_key)
        if answered is not None:
            return self._answered(uow, answered, order)
        records = self.issue_many_in(uow, order.requests, municipality=order.municipality)
        card_ids = {r.card_id for r in order.requests}
        uow.pki.add_answered_order(
            AnsweredOrder(
                order.idempotency_key,
                order.municipality,
                card_ids.pop() if len(card_ids) == 1 else None,
                tuple((rec.kind, rec.serial) for rec in records),
            ),
            self.clock(),
        )
        return records

    @staticmethod
    def _answered(uow: UnitOfWork, answered: AnsweredOrder, order: IssueOrder) -> list[CertRecord]:
        keys = {r.kind: r.spki_der for r in order.requests}
        records = []
        for kind, serial in answered.certificates:
            record = uow.pki.certificate(kind, serial)
            assert record is not None
            spki = (
                x509.load_der_x509_certificate(record.der)
                .public_key()
                .public_bytes(
                    serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
                )
            )
            if answered.municipality != order.municipality or keys.get(kind) != spki:
                raise Refused("idempotency_key_reused", "this idempotency key named another order")
            records.append(record)
        return records

    def issue_many_in(
        self,
        uow: UnitOfWork,
        requests: Sequence[IssueRequest],
        *,
        municipality: str | None = None,
    ) -> list[CertRecord]:
        """Verify each card's proof of possession, sign, record — inside ``uow``.

        Every proof is checked first, then per CA one statement reserves the sequence
        numbers and one writes the rows; the certificates are signed in between (bulk
        issuance: bench/issuance_bench.py). The OCSP `good` answer is not signed here: it is
        signed at the first request for it or in advance, in batches
        (services/ocsp_service.py), so an issuance makes two signatures, not four. A
        certificate until then unknown to OCSP moves ``issue-seq``, so no process serves an
        `unknown` it kept."""
        keys = [_checked_key(r) for r in requests]
        wanted: dict[str, int] = {}
        for r in requests:
            wanted[issue_counter(r.kind)] = wanted.get(issue_counter(r.kind), 0) + 1
        reserved = uow.pki.next_values(wanted)
        seqs = {kind: iter(reserved.get(issue_counter(kind), ())) for kind in KINDS}
        partitions = self.policy.partitions
        now = self.clock()
        records = []
        for r, public_key in zip(requests, keys, strict=True):
            seq = next(seqs[r.kind])
            partition = partitions.partition_of(seq)
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
                    municipality=municipality,
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
        """One certificate in a transaction of its own (``testcard``, tests, benchmarks)."""
        request = IssueRequest(kind, spki_der, challenge, pop_signature, expires_on, facts, card_id)
        with self.uow_factory() as uow:
            (record,) = self.issue_many_in(uow, [request])
            uow.commit()
        return record

    # -- status --------------------------------------------------------------------------
    def change_status_in(
        self,
        uow: UnitOfWork,
        kind: CertKind,
        serial: int,
        change: StatusChange,
        reason: RevocationReason,
        *,
        municipality: str | None = None,
    ) -> CertRecord:
        """Hold or revoke (R-REV-3, R-REV-4): CRL entry kept, OCSP answer re-signed now;
        ``municipality`` asked for it (R-NAT-1; None: the CA operator)."""
        record = uow.pki.certificate(kind, serial, for_update=True)
        if record is None:
            raise UnknownCertificate(kind.value, serial)
        status = next_status(record.status, change)
        now = self.clock()
        if status is CertStatus.HELD:
            reason = RevocationReason.CERTIFICATE_HOLD
        entry = crl_writer.encode_entry(
            crl_writer.RevokedEntry(serial, now, reason, record.not_after)
        )
        uow.pki.set_status(kind, serial, status, now, reason, entry, municipality)
        log.info(
            "%s %s certificate %s (%s)", status.value, kind.value, f"{serial:x}", reason.rfc_name
        )
        uow.pki.next_value(status_counter(kind))
        updated = uow.pki.certificate(kind, serial)
        assert updated is not None
        self.ocsp.store_answer(uow, updated, now)
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

    def certificate(self, kind: CertKind, serial: int) -> CertRecord | None:
        with self.uow_factory.read_only() as uow:
            return uow.pki.certificate(kind, serial)
