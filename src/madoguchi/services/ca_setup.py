"""The CA's set-up: its policy (names, URLs, validities), both roots and their responders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from madoguchi.pki.authority import Authority, create_responder, create_root
from madoguchi.pki.crl_partitions import PartitionScheme, partition_url
from madoguchi.pki.errors import CaExists, NoCa
from madoguchi.pki.keystore import KeyStore
from madoguchi.pki.profiles import CaNames
from madoguchi.pki.signer import KeySigner, Signer
from madoguchi.rules.validity import CertKind
from madoguchi.services.ports import UnitOfWork, UowFactory

KINDS = (CertKind.SIGN, CertKind.AUTH)


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

    @property
    def partitions(self) -> PartitionScheme:
        return PartitionScheme(self.partition_size)

    def crl_url(self, kind: CertKind, partition: int | None = None) -> str:
        base = self.base_url.rstrip("/")
        if partition is None:
            return f"{base}/crl/{kind.value}.crl"
        return partition_url(
            base + "/crl/{kind}-{partition}.crl", kind=kind.value, partition=partition
        )

    @property
    def ocsp_url(self) -> str:
        return self.base_url.rstrip("/") + "/ocsp"

    def ca_issuers_url(self, kind: CertKind) -> str:
        return f"{self.base_url.rstrip('/')}/ca/{kind.value}-ca.der"


def _new_responder(
    uow: UnitOfWork,
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
                raise CaExists(kind.value)
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
                raise NoCa()
            cert = x509.load_der_x509_certificate(stored.cert_der)
            signer = keys.load(stored.key_ref)
            r_cert = x509.load_der_x509_certificate(responder.cert_der)
            r_key = keys.unseal(responder.key_pem)
            if responder.not_after - now <= policy.responder_renew_before:
                r_cert, r_key = _new_responder(uow, keys, policy, kind, cert, signer, now)
            out[kind] = Authority(kind, cert, signer, policy.names, r_cert, r_key)
        uow.commit()
    return out
