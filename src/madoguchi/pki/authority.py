"""A certificate authority in memory: its certificate, its signer and its OCSP responder.

Creating roots and responders, and signing end-entity certificates. Nothing here touches the
store or reads the clock: times come in as arguments.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from madoguchi.pki.errors import ProfileViolation
from madoguchi.pki.profiles import (
    CaNames,
    EndEntityRequest,
    ca_builder,
    end_entity_builder,
    responder_builder,
)
from madoguchi.pki.signer import KeySigner, Signer
from madoguchi.rules.dates import end_of_day_jst, jst_date
from madoguchi.rules.validity import CertKind

CA_YEARS = 10


def sign_builder(builder: x509.CertificateBuilder, signer: Signer) -> x509.Certificate:
    """Sign with a software key in one step, or through the signer's ``sign`` (HSM)."""
    if signer.private_key is not None:
        return builder.sign(signer.private_key, hashes.SHA256())
    from madoguchi.pki.pkcs11_signer import sign_certificate

    return sign_certificate(builder, signer)


def create_root(kind: CertKind, names: CaNames, signer: Signer, now: datetime) -> x509.Certificate:
    """A self-signed root valid for ten years, ending at the end of a JST day (R-DATE-1)."""
    last_day = jst_date(now).replace(year=jst_date(now).year + CA_YEARS)
    cert = sign_builder(
        ca_builder(kind, names, signer.public_key, now, end_of_day_jst(last_day)), signer
    )
    cert.verify_directly_issued_by(cert)
    return cert


def create_responder(
    kind: CertKind,
    names: CaNames,
    ca_cert: x509.Certificate,
    ca_signer: Signer,
    now: datetime,
    days: int,
) -> tuple[x509.Certificate, KeySigner]:
    """A fresh delegated responder key and short-lived certificate signed by the CA."""
    key = KeySigner.generate()
    cert = sign_builder(
        responder_builder(
            kind,
            names,
            ca_cert,
            key.public_key,
            now - timedelta(minutes=5),
            now + timedelta(days=days),
        ),
        ca_signer,
    )
    return cert, key


def _key_hash(cert: x509.Certificate, algorithm: hashes.HashAlgorithm) -> bytes:
    spki = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    # the hash of the subjectPublicKey BIT STRING's value (RFC 6960 §4.1.1)
    h = hashes.Hash(algorithm)
    h.update(_spki_bit_string(spki))
    return h.finalize()


def _spki_bit_string(spki: bytes) -> bytes:
    """The contents (after the unused-bits byte) of the subjectPublicKey BIT STRING."""

    def read(buf: bytes, pos: int) -> tuple[int, int, int]:
        tag = buf[pos]
        first = buf[pos + 1]
        if first < 0x80:
            return tag, pos + 2, first
        n = first & 0x7F
        return tag, pos + 2 + n, int.from_bytes(buf[pos + 2 : pos + 2 + n], "big")

    _, pos, _ = read(spki, 0)  # outer SEQUENCE
    _, alg_start, alg_len = read(spki, pos)  # AlgorithmIdentifier
    tag, start, size = read(spki, alg_start + alg_len)
    if tag != 0x03:
        raise ProfileViolation("bad_spki", "SubjectPublicKeyInfo without a BIT STRING")
    return spki[start + 1 : start + size]


@dataclass(slots=True)
class Authority:
    """One CA (`sign` or `auth`) with its signer and its current OCSP responder."""

    kind: CertKind
    cert: x509.Certificate
    signer: Signer
    names: CaNames
    responder_cert: x509.Certificate
    responder_signer: KeySigner
    _hashes: dict[str, tuple[bytes, bytes]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.cert.public_key() != self.signer.public_key:
            raise ProfileViolation(
                "ca_key_mismatch", f"the {self.kind} CA key does not match its certificate"
            )

    @property
    def public_key(self) -> rsa.RSAPublicKey:
        return self.signer.public_key

    def issuer_hashes(self, algorithm: hashes.HashAlgorithm) -> tuple[bytes, bytes]:
        """(issuerNameHash, issuerKeyHash) of this CA for OCSP CertIDs (RFC 6960 §4.1.1)."""
        if algorithm.name not in self._hashes:
            h = hashes.Hash(algorithm)
            h.update(self.cert.subject.public_bytes())
            self._hashes[algorithm.name] = (h.finalize(), _key_hash(self.cert, algorithm))
        return self._hashes[algorithm.name]

    @property
    def key_id(self) -> bytes:
        return x509.SubjectKeyIdentifier.from_public_key(self.public_key).digest

    def issue(self, req: EndEntityRequest) -> x509.Certificate:
        """Sign an end-entity certificate for a key the card proved (R-X509)."""
        if req.not_after > self.cert.not_valid_after_utc:
            raise ProfileViolation("outlives_ca", "the certificate would outlive its CA")
        cert = sign_builder(end_entity_builder(req, self.names, self.cert), self.signer)
        try:
            cert.verify_directly_issued_by(self.cert)
        except (InvalidSignature, ValueError) as exc:
            raise ProfileViolation(
                "bad_signature", "the CA produced a certificate that does not verify"
            ) from exc
        return cert

    def fingerprint(self) -> str:
        return hashlib.sha256(self.cert.public_bytes(serialization.Encoding.DER)).hexdigest()
