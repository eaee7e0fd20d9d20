"""The card's signing key: a JPKI card (here the virtual card, as through a reader) signs
only after its password, says the tries left when it is wrong, and never gives its key."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding

from madoguchi.card.errors import PinLocked, WrongPin
from madoguchi.card.jpki import JpkiCard
from madoguchi.card.virtual import VirtualCard
from madoguchi.relying.errors import Pkcs11Failure, SigningRefused
from madoguchi.relying.keys import JpkiSigningKey, _choose_token
from madoguchi.relying.signing import sign_xml
from madoguchi.relying.verify import verify_document
from madoguchi.rules.pins import PinKind
from madoguchi.rules.validity import CertKind
from tests.unit.relying.conftest import XML, Ca, make_card

ISSUER_KEY = hashlib.sha256(b"relying test issuer").digest()
PASSWORD = "MADO2026"


def personalise(ca: Ca, *, with_sign: bool = True) -> VirtualCard:
    """A card as the counter leaves it: PINs set, keys on the card, certificates written."""
    card = VirtualCard.new(ISSUER_KEY)
    api = JpkiCard(card)
    api.authenticate_issuer(ISSUER_KEY)
    api.set_pin(PinKind.SIGN, PASSWORD)
    api.set_pin(PinKind.AUTH, "1234")
    if with_sign:
        spki = api.generate_key(CertKind.SIGN)
        public = serialization.load_der_public_key(spki)
        assert isinstance(public, rsa.RSAPublicKey)
        template = x509.load_der_x509_certificate(make_card(ca).certificate)
        cert = (
            x509.CertificateBuilder()
            .subject_name(template.subject)
            .issuer_name(ca.cert.subject)
            .public_key(public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(template.not_valid_before_utc)
            .not_valid_after(template.not_valid_after_utc)
        )
        for extension in template.extensions:
            cert = cert.add_extension(extension.value, extension.critical)
        der = cert.sign(ca.key, hashes.SHA256()).public_bytes(Encoding.DER)
        api.write_certificate(CertKind.SIGN, der)
        api.write_ca_certificate(CertKind.SIGN, ca.cert.public_bytes(Encoding.DER))
    card.reset()
    return card


def test_the_card_signs_after_its_password(ca: Ca) -> None:
    card = personalise(ca)
    key = JpkiSigningKey(JpkiCard(card), PASSWORD)
    assert key.ca_certificates == (ca.cert.public_bytes(Encoding.DER),)
    public = x509.load_der_x509_certificate(key.certificate).public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    signature = key.sign_sha256(b"data")
    public.verify(signature, b"data", padding.PKCS1v15(), hashes.SHA256())
    assert PASSWORD not in repr(key)
    signed = sign_xml(XML, key)
    assert verify_document(signed, anchors=[ca.cert]).valid


def test_a_wrong_password_says_the_tries_left_and_five_lock_it(ca: Ca) -> None:
    """R-PIN-2: the signing password has five tries."""
    card = personalise(ca)
    for left in (4, 3, 2, 1):
        with pytest.raises(WrongPin) as caught:
            JpkiSigningKey(JpkiCard(card), "WRONG2026")
        assert caught.value.tries_left == left
    with pytest.raises(PinLocked):
        JpkiSigningKey(JpkiCard(card), "WRONG2026")
    with pytest.raises(PinLocked):
        JpkiSigningKey(JpkiCard(card), PASSWORD)  # locked: the right one no longer opens it


def test_a_card_without_a_signing_certificate_refuses(ca: Ca) -> None:
    """Under-15s and adult wards get no signing certificate (R-ELIG-1)."""
    card = personalise(ca, with_sign=False)
    with pytest.raises(SigningRefused) as caught:
        JpkiSigningKey(JpkiCard(card), PASSWORD)
    assert caught.value.code == "no_sign_certificate"


@dataclass
class FakeSlot:
    slot_description: str


@dataclass
class FakeToken:
    label: str
    slot: FakeSlot


OPENSC = [
    FakeToken("JPKI (User Authentication PIN)", FakeSlot("reader A 00 00")),
    FakeToken("JPKI (Digital Signature PIN)", FakeSlot("reader A 00 00")),
    FakeToken("JPKI (User Authentication PIN)", FakeSlot("reader A 00 01")),
    FakeToken("JPKI (Digital Signature PIN)", FakeSlot("reader A 00 01")),
]


@pytest.mark.parametrize(
    ("tokens", "label", "reader", "expected"),
    [
        (OPENSC[:2], None, None, 1),  # OpenSC's JPKI token of the signing key
        (OPENSC, None, "reader A 00 01", 3),  # two cards: the reader decides
        (OPENSC, "JPKI (Digital Signature PIN)", "reader A 00 00", 1),
        ([FakeToken("my HSM", FakeSlot("slot 0"))], None, None, 0),  # the only token
    ],
)
def test_the_token_to_log_in_to(
    tokens: list[FakeToken], label: str | None, reader: str | None, expected: int
) -> None:
    assert _choose_token(tokens, label, reader) is tokens[expected]


@pytest.mark.parametrize(
    ("tokens", "label", "reader"),
    [
        (OPENSC, None, None),  # two signing tokens: never guess (a login spends a try)
        (OPENSC, None, "reader B"),
        ([], None, None),
        (OPENSC, "no such token", None),
        ([FakeToken("a", FakeSlot("s")), FakeToken("b", FakeSlot("s"))], None, None),
    ],
)
def test_an_ambiguous_or_missing_token_is_refused(
    tokens: list[FakeToken], label: str | None, reader: str | None
) -> None:
    with pytest.raises(Pkcs11Failure) as caught:
        _choose_token(tokens, label, reader)
    assert caught.value.code == "pkcs11_token"
