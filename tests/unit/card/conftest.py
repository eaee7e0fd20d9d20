"""Fixtures for the card layer: a blank card, and a personalised card kept in a vault.

Personalising a card generates two RSA keys on it, so it is done once per session and the
card is saved; each test loads its own fresh copy (a new session) from that vault.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from madoguchi.card.jpki import JpkiCard
from madoguchi.card.virtual import CardVault, VirtualCard
from madoguchi.rules.pins import PinKind
from madoguchi.rules.validity import CertKind

ISSUER_KEY = hashlib.sha256(b"madoguchi test issuer key").digest()
VAULT_KEY = bytes(range(32, 64))
PINS: dict[PinKind, str] = {
    PinKind.SIGN: "MADO2026SIGN",
    PinKind.AUTH: "4826",
    PinKind.JUKI: "7391",
    PinKind.KENMEN: "5173",
}
#: A value of the right shape that is not the PIN.
WRONG: dict[PinKind, str] = {
    PinKind.SIGN: "WRONG2026",
    PinKind.AUTH: "0000",
    PinKind.JUKI: "0000",
    PinKind.KENMEN: "0000",
}


def apdu(text: str) -> bytes:
    """``"00 A4 04 0C"`` → bytes."""
    return bytes.fromhex(text)


def sw_of(response: bytes) -> int:
    return response[-2] << 8 | response[-1]


def der_blob(total: int) -> bytes:
    """A SEQUENCE of exactly ``total`` bytes (≥ 2) with recognisable content.

    The length is in the shortest form that gives that total (so 130 bytes is
    ``30 81 7F …``, a long form a strict DER parser would not write, but a card reads).
    """
    if total - 2 < 0x80:
        header = bytes([0x30, total - 2])
    elif total - 3 <= 0xFF:
        header = bytes([0x30, 0x81, total - 3])
    else:
        header = bytes([0x30, 0x82]) + (total - 4).to_bytes(2, "big")
    return header + bytes((i * 7 + 1) % 256 for i in range(total - len(header)))


def _certificate(subject: str, public_key: rsa.RSAPublicKey, ca_key: rsa.RSAPrivateKey) -> bytes:
    now = datetime(2026, 4, 1, tzinfo=UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    issuer = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "madoguchi test CA (not J-LIS)")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=365))
        .sign(ca_key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.DER)


@dataclass(frozen=True)
class Personalised:
    """What the counter put on the card, to compare with what the card gives back."""

    vault: CardVault
    card_id: str
    spki: dict[CertKind, bytes]
    certificates: dict[CertKind, bytes]
    ca_certificates: dict[CertKind, bytes]


@pytest.fixture(scope="session")
def ca_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def personalised(
    tmp_path_factory: pytest.TempPathFactory, ca_key: rsa.RSAPrivateKey
) -> Personalised:
    """A card with four PINs set, both keys generated on it and both certificates."""
    vault = CardVault(tmp_path_factory.mktemp("vault"), VAULT_KEY)
    card = VirtualCard.new(ISSUER_KEY)
    api = JpkiCard(card)
    api.authenticate_issuer(ISSUER_KEY)
    for pin, value in PINS.items():
        api.set_pin(pin, value)
    spki: dict[CertKind, bytes] = {}
    certs: dict[CertKind, bytes] = {}
    ca_certs: dict[CertKind, bytes] = {}
    for kind in CertKind:
        spki[kind] = api.generate_key(kind)
        public = serialization.load_der_public_key(spki[kind])
        assert isinstance(public, rsa.RSAPublicKey)
        certs[kind] = _certificate(f"holder {kind.value}", public, ca_key)
        ca_certs[kind] = _certificate(f"CA {kind.value}", ca_key.public_key(), ca_key)
        api.write_certificate(kind, certs[kind])
        api.write_ca_certificate(kind, ca_certs[kind])
    vault.save(card)
    return Personalised(vault, card.card_id, spki, certs, ca_certs)


@pytest.fixture
def card(personalised: Personalised) -> VirtualCard:
    """A fresh copy of the personalised card, in a new session."""
    return personalised.vault.load(personalised.card_id)


@pytest.fixture
def api(card: VirtualCard) -> JpkiCard:
    return JpkiCard(card)


@pytest.fixture
def blank() -> VirtualCard:
    return VirtualCard.new(ISSUER_KEY)
