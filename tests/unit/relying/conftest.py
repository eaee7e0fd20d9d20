"""A small PKI of the tests' own, and keys that sign like a card, for the relying side.

The certificates here declare no OCSP responder and no CRL, so pyhanko-certvalidator's
hard-fail mode has nothing to fetch: these tests run without a network and check what does
not depend on revocation (integrity, changes, trust, facts, usage, expiry). Revocation is
checked end to end against the real CA (tests/e2e/test_sign_verify.py).

:class:`SoftwareCard` is a fake of :class:`madoguchi.relying.keys.SigningKey` — a software
RSA key that signs exactly as a card does (RSASSA-PKCS1-v1_5, SHA-256) and counts its
signatures; the real card is :class:`~madoguchi.relying.keys.JpkiSigningKey` over a
:class:`~madoguchi.card.virtual.VirtualCard` (test_keys.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from madoguchi.pki.facts import HolderFacts, facts_to_san
from tests.support.documents import XML, make_pdf

__all__ = ["XML", "make_pdf"]

NOW = datetime.now(UTC)
HOLDER = HolderFacts.create("帯広 花子", "2", date(1985, 7, 1), "北海道帯広市西5条南7丁目1番地")


@dataclass(frozen=True)
class Ca:
    key: rsa.RSAPrivateKey
    cert: x509.Certificate

    @property
    def pem(self) -> bytes:
        return self.cert.public_bytes(Encoding.PEM)


@dataclass
class SoftwareCard:
    """A fake card: a software key behind the SigningKey interface."""

    key: rsa.RSAPrivateKey
    certificate: bytes
    ca_certificates: tuple[bytes, ...]
    signed: list[bytes] = field(default_factory=list)

    def sign_sha256(self, data: bytes) -> bytes:
        self.signed.append(data)
        return self.key.sign(data, padding.PKCS1v15(), hashes.SHA256())


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def make_ca(unit: str) -> Ca:
    key = _key()
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "madoguchi test CA - not J-LIS"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit),
        ]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - timedelta(days=30))
        .not_valid_after(NOW + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .sign(key, hashes.SHA256())
    )
    return Ca(key, cert)


def make_card(
    ca: Ca,
    *,
    facts: HolderFacts | None = HOLDER,
    non_repudiation: bool = True,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
) -> SoftwareCard:
    """A signing certificate in the JPKI shape (four facts, nonRepudiation), no AIA, no CRL."""
    key = _key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "TESTSUBJECT")]))
        .issuer_name(ca.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or NOW - timedelta(days=1))
        .not_valid_after(not_after or NOW + timedelta(days=365))
        .add_extension(
            x509.KeyUsage(True, non_repudiation, False, False, False, False, False, False, False),
            critical=True,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), False
        )
    )
    if facts is not None:
        builder = builder.add_extension(facts_to_san(facts), critical=False)
    cert = builder.sign(ca.key, hashes.SHA256())
    return SoftwareCard(key, cert.public_bytes(Encoding.DER), (ca.cert.public_bytes(Encoding.DER),))


@pytest.fixture(scope="session")
def ca() -> Ca:
    return make_ca("test CA for digital signature")


@pytest.fixture(scope="session")
def other_ca() -> Ca:
    return make_ca("another CA")


@pytest.fixture(scope="session")
def card(ca: Ca) -> SoftwareCard:
    return make_card(ca)


@pytest.fixture(scope="session")
def pdf() -> bytes:
    return make_pdf()


@pytest.fixture(scope="session")
def signed_pdf(pdf: bytes, card: SoftwareCard) -> bytes:
    from madoguchi.relying.signing import sign_pdf

    return sign_pdf(pdf, card)


@pytest.fixture(scope="session")
def signed_xml(card: SoftwareCard) -> bytes:
    from madoguchi.relying.signing import sign_xml

    return sign_xml(XML, card)
