"""JpkiCard, the API services use, over a virtual card (R-CARD-AP, R-PIN-1/2, R-PROC-5/6)."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa, utils
from hypothesis import given, settings
from hypothesis import strategies as st

from madoguchi.card.errors import (
    CardDataError,
    CardError,
    FileNotFound,
    InvalidPinFormat,
    IssuerAuthenticationFailed,
    IssuerNotAuthenticated,
    PinLocked,
    PinNotSet,
    SecurityStatusNotSatisfied,
    WrongPin,
)
from madoguchi.card.jpki import JpkiCard, der_length, sha256_digest_info
from madoguchi.card.virtual import VirtualCard
from madoguchi.rules.pins import PinKind, PinProblem
from madoguchi.rules.validity import CertKind
from tests.unit.card.conftest import ISSUER_KEY, PINS, WRONG, Personalised, der_blob


class RecordingTransport:
    """A fake reader that keeps every APDU exchanged, to check what goes over the wire."""

    def __init__(self, card: VirtualCard) -> None:
        self.card = card
        self.sent: list[bytes] = []
        self.answers: list[bytes] = []

    def transmit(self, apdu: bytes) -> bytes:
        self.sent.append(apdu)
        self.answers.append(self.card.transmit(apdu))
        return self.answers[-1]


def _verify_signature(spki: bytes, signature: bytes, digest: bytes) -> None:
    public = serialization.load_der_public_key(spki)
    assert isinstance(public, rsa.RSAPublicKey)
    public.verify(signature, digest, padding.PKCS1v15(), utils.Prehashed(hashes.SHA256()))


# -- certificates ------------------------------------------------------------------------------


def test_r_card_ap_reads_both_certificates_and_their_cas(
    api: JpkiCard, personalised: Personalised
) -> None:
    assert api.read_certificate(CertKind.AUTH) == personalised.certificates[CertKind.AUTH]
    sign = api.read_certificate(CertKind.SIGN, sign_password=PINS[PinKind.SIGN])
    assert sign == personalised.certificates[CertKind.SIGN]
    for kind in CertKind:
        assert api.read_ca_certificate(kind) == personalised.ca_certificates[kind]


def test_r_card_ap_the_signing_certificate_needs_the_password(api: JpkiCard) -> None:
    with pytest.raises(SecurityStatusNotSatisfied) as caught:
        api.read_certificate(CertKind.SIGN)
    assert caught.value.code == "security_status_not_satisfied"
    assert caught.value.sw == 0x6982
    with pytest.raises(WrongPin) as wrong:
        api.read_certificate(CertKind.SIGN, sign_password=WRONG[PinKind.SIGN])
    assert wrong.value.tries_left == 4
    with pytest.raises(ValueError, match="signing"):
        api.read_certificate(CertKind.AUTH, sign_password=PINS[PinKind.SIGN])


def test_r_card_ap_signing_certificate_after_verify_in_the_same_session(
    api: JpkiCard, card: VirtualCard, personalised: Personalised
) -> None:
    api.verify(PinKind.SIGN, PINS[PinKind.SIGN])
    assert api.read_certificate(CertKind.SIGN) == personalised.certificates[CertKind.SIGN]
    card.reset()
    with pytest.raises(SecurityStatusNotSatisfied):
        api.read_certificate(CertKind.SIGN)


def test_r_card_ap_a_blank_card_holds_no_certificate(blank: VirtualCard) -> None:
    api = JpkiCard(blank)
    assert api.read_certificate(CertKind.AUTH) is None
    assert api.read_ca_certificate(CertKind.SIGN) is None
    assert api.read_ca_certificate(CertKind.AUTH) is None


@pytest.mark.parametrize(
    "length", [2, 129, 130, 255, 256, 257, 258, 259, 511, 512, 513, 1000, 2048, 4095, 4096]
)
def test_r_card_ap_certificates_of_any_length_round_trip(blank: VirtualCard, length: int) -> None:
    """READ BINARY in 256-byte chunks at offsets; the DER header says where to stop."""
    transport = RecordingTransport(blank)
    api = JpkiCard(transport)
    api.authenticate_issuer(ISSUER_KEY)
    der = der_blob(length)
    api.write_certificate(CertKind.AUTH, der)
    transport.sent.clear()
    assert api.read_certificate(CertKind.AUTH) == der
    reads = [a for a in transport.sent if a[1] == 0xB0]
    assert len(reads) == max(1, -(-length // 256))  # never reads past the end
    assert [a[2] << 8 | a[3] for a in reads] == [256 * i for i in range(len(reads))]


def test_r_card_ap_write_certificate_replaces_a_longer_one(blank: VirtualCard) -> None:
    api = JpkiCard(blank)
    api.authenticate_issuer(ISSUER_KEY)
    api.write_ca_certificate(CertKind.SIGN, der_blob(3000))
    api.write_ca_certificate(CertKind.SIGN, der_blob(300))
    assert api.read_ca_certificate(CertKind.SIGN) == der_blob(300)


@pytest.mark.parametrize(
    "data", [b"", b"\x30", b"\x04\x01\x00", der_blob(300)[:-1], der_blob(300) + b"\0"]
)
def test_write_certificate_takes_one_der_structure(blank: VirtualCard, data: bytes) -> None:
    api = JpkiCard(blank)
    api.authenticate_issuer(ISSUER_KEY)
    with pytest.raises(ValueError, match="DER"):
        api.write_certificate(CertKind.AUTH, data)


@pytest.mark.parametrize(
    ("head", "total"),
    [("3000", 2), ("307F", 129), ("308180", 131), ("30820100", 260), ("3083010000", 65541)],
)
def test_der_length(head: str, total: int) -> None:
    assert der_length(bytes.fromhex(head)) == total


@pytest.mark.parametrize("head", ["", "30", "0400", "3080", "3084", "308201"])
def test_der_length_refuses_what_is_not_a_readable_header(head: str) -> None:
    with pytest.raises(CardDataError):
        der_length(bytes.fromhex(head))


# -- PINs (R-PIN-1, R-PIN-2) --------------------------------------------------------------------


@pytest.mark.parametrize(("pin", "limit"), [(k, 5 if k is PinKind.SIGN else 3) for k in PinKind])
def test_r_pin_2_tries_count_down_then_lock(api: JpkiCard, pin: PinKind, limit: int) -> None:
    assert api.tries_left(pin) == limit
    for left in range(limit - 1, 0, -1):
        with pytest.raises(WrongPin) as caught:
            api.verify(pin, WRONG[pin])
        assert (caught.value.tries_left, caught.value.pin, caught.value.code) == (
            left,
            pin,
            "wrong_pin",
        )
        assert api.tries_left(pin) == left
    with pytest.raises(PinLocked) as locked:  # the last wrong try locks
        api.verify(pin, WRONG[pin])
    assert locked.value.code == "pin_locked"
    assert api.tries_left(pin) == 0
    with pytest.raises(PinLocked):  # and the right PIN does not open it
        api.verify(pin, PINS[pin])
    if pin in (PinKind.SIGN, PinKind.AUTH):  # so does its key
        with pytest.raises(PinLocked):
            api.sign(CertKind(pin.value), PINS[pin], sha256_digest_info(bytes(32)))
    others = [k for k in PinKind if k is not pin]
    assert [api.tries_left(k) for k in others] == [k.max_tries for k in others]  # independent


@pytest.mark.parametrize("pin", list(PinKind))
def test_r_pin_2_the_counter_resets_a_locked_pin(api: JpkiCard, pin: PinKind) -> None:
    for _ in range(pin.max_tries):
        with pytest.raises((WrongPin, PinLocked)):
            api.verify(pin, WRONG[pin])
    api.authenticate_issuer(ISSUER_KEY)
    new = "NEWPASS9" if pin is PinKind.SIGN else "1357"
    api.set_pin(pin, new)
    assert api.tries_left(pin) == pin.max_tries
    api.verify(pin, new)
    assert api.tries_left(pin) == pin.max_tries


@pytest.mark.parametrize("pin", list(PinKind))
def test_r_pin_2_tries_left_spends_nothing(api: JpkiCard, pin: PinKind) -> None:
    with pytest.raises(WrongPin):
        api.verify(pin, WRONG[pin])
    assert [api.tries_left(pin) for _ in range(8)] == [pin.max_tries - 1] * 8
    api.verify(pin, PINS[pin])
    assert api.tries_left(pin) == pin.max_tries


@pytest.mark.parametrize(
    ("pin", "value", "problem"),
    [
        (PinKind.AUTH, "123", PinProblem.NOT_FOUR_DIGITS),
        (PinKind.JUKI, "12345", PinProblem.NOT_FOUR_DIGITS),
        (PinKind.KENMEN, "abcd", PinProblem.NOT_FOUR_DIGITS),
        (PinKind.SIGN, "ABC12", PinProblem.LENGTH),
        (PinKind.SIGN, "ABCDEFG", PinProblem.NEEDS_DIGIT),
        (PinKind.SIGN, "1234567", PinProblem.NEEDS_LETTER),
        (PinKind.SIGN, "ABC-123", PinProblem.CHARACTERS),
    ],
)
def test_r_pin_1_a_value_of_the_wrong_shape_spends_no_try(
    api: JpkiCard, pin: PinKind, value: str, problem: PinProblem
) -> None:
    with pytest.raises(InvalidPinFormat) as caught:
        api.verify(pin, value)
    assert (caught.value.problem, caught.value.code) == (problem, "invalid_pin_format")
    assert api.tries_left(pin) == pin.max_tries
    api.authenticate_issuer(ISSUER_KEY)
    with pytest.raises(InvalidPinFormat):
        api.set_pin(pin, value)


@pytest.mark.parametrize("typed", ["mado2026sign", "ＭＡＤＯ２０２６ＳＩＧＮ", "Mado2026Sign"])
def test_r_pin_1_lower_case_and_full_width_are_the_same_password(api: JpkiCard, typed: str) -> None:
    api.verify(PinKind.SIGN, typed)


def test_r_pin_1_pins_never_set_on_a_blank_card(blank: VirtualCard) -> None:
    api = JpkiCard(blank)
    for pin in PinKind:
        with pytest.raises(PinNotSet) as caught:
            api.tries_left(pin)
        assert caught.value.pin is pin
        with pytest.raises(PinNotSet):
            api.verify(pin, PINS[pin])


# -- signing (R-PROC-6) -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(CertKind))
def test_r_proc_6_the_card_signs_with_the_key_it_generated(
    api: JpkiCard, personalised: Personalised, kind: CertKind
) -> None:
    pin = PinKind.SIGN if kind is CertKind.SIGN else PinKind.AUTH
    digest = hashlib.sha256(b"an application form").digest()
    signature = api.sign(kind, PINS[pin], sha256_digest_info(digest))
    assert len(signature) == 256
    _verify_signature(personalised.spki[kind], signature, digest)
    other = CertKind.AUTH if kind is CertKind.SIGN else CertKind.SIGN
    with pytest.raises(InvalidSignature):  # and only with that key
        _verify_signature(personalised.spki[other], signature, digest)


def test_r_proc_6_a_wrong_pin_signs_nothing(api: JpkiCard) -> None:
    with pytest.raises(WrongPin) as caught:
        api.sign(CertKind.SIGN, WRONG[PinKind.SIGN], sha256_digest_info(bytes(32)))
    assert caught.value.tries_left == 4


@settings(max_examples=20, deadline=None)
@given(message=st.binary(max_size=200))
def test_r_proc_6_every_signature_verifies(personalised: Personalised, message: bytes) -> None:
    api = JpkiCard(personalised.vault.load(personalised.card_id))
    digest = hashlib.sha256(message).digest()
    signature = api.sign(CertKind.AUTH, PINS[PinKind.AUTH], sha256_digest_info(digest))
    _verify_signature(personalised.spki[CertKind.AUTH], signature, digest)


def test_sign_takes_a_digest_info(api: JpkiCard) -> None:
    with pytest.raises(ValueError, match="DigestInfo"):
        api.sign(CertKind.AUTH, PINS[PinKind.AUTH], b"")
    with pytest.raises(CardError) as caught:
        api.sign(CertKind.AUTH, PINS[PinKind.AUTH], b"not a digest info")
    assert (caught.value.code, caught.value.sw) == ("invalid_data", 0x6A80)
    with pytest.raises(ValueError, match="32"):
        sha256_digest_info(bytes(20))


# -- issuer operations -----------------------------------------------------------------------


def test_r_proc_5_issuance_on_a_blank_card(blank: VirtualCard) -> None:
    """The counter's steps: authenticate, set the PINs, generate, sign, write."""
    api = JpkiCard(blank)
    api.authenticate_issuer(ISSUER_KEY)
    for pin, value in PINS.items():
        api.set_pin(pin, value)
    spki = api.generate_key(CertKind.SIGN)
    digest = hashlib.sha256(b"proof of possession").digest()
    _verify_signature(
        spki, api.sign(CertKind.SIGN, PINS[PinKind.SIGN], sha256_digest_info(digest)), digest
    )
    api.write_certificate(CertKind.SIGN, der_blob(1500))
    assert api.read_certificate(CertKind.SIGN) == der_blob(1500)  # password verified above
    assert [api.tries_left(pin) for pin in PinKind] == [pin.max_tries for pin in PinKind]


def test_r_proc_6_a_new_key_replaces_the_old_one_and_its_certificate(
    api: JpkiCard, personalised: Personalised
) -> None:
    api.authenticate_issuer(ISSUER_KEY)
    spki = api.generate_key(CertKind.AUTH)
    assert spki != personalised.spki[CertKind.AUTH]
    assert api.read_certificate(CertKind.AUTH) is None
    assert api.read_ca_certificate(CertKind.AUTH) == personalised.ca_certificates[CertKind.AUTH]
    digest = hashlib.sha256(b"after renewal").digest()
    signature = api.sign(CertKind.AUTH, PINS[PinKind.AUTH], sha256_digest_info(digest))
    _verify_signature(spki, signature, digest)
    with pytest.raises(InvalidSignature):
        _verify_signature(personalised.spki[CertKind.AUTH], signature, digest)
    sign = api.read_certificate(CertKind.SIGN, sign_password=PINS[PinKind.SIGN])
    assert sign == personalised.certificates[CertKind.SIGN]  # the other kind is untouched


def test_r_proc_6_issuer_operations_need_the_issuer_key(api: JpkiCard) -> None:
    for operation in (
        lambda: api.generate_key(CertKind.SIGN),
        lambda: api.set_pin(PinKind.AUTH, "1111"),
        lambda: api.write_certificate(CertKind.AUTH, der_blob(10)),
        lambda: api.write_ca_certificate(CertKind.SIGN, der_blob(10)),
    ):
        with pytest.raises(IssuerNotAuthenticated) as caught:
            operation()
        assert (caught.value.code, caught.value.sw) == ("issuer_not_authenticated", 0x6982)
    with pytest.raises(IssuerAuthenticationFailed) as failed:
        api.authenticate_issuer(bytes(32))
    assert failed.value.code == "issuer_authentication_failed"
    with pytest.raises(IssuerNotAuthenticated):
        api.set_pin(PinKind.AUTH, "1111")
    api.verify(PinKind.AUTH, PINS[PinKind.AUTH])  # unchanged


# -- the wire ------------------------------------------------------------------------------------


def test_r_card_ap_the_apdus_on_the_wire(card: VirtualCard) -> None:
    transport = RecordingTransport(card)
    api = JpkiCard(transport)
    api.verify(PinKind.AUTH, PINS[PinKind.AUTH])
    assert [a.hex().upper() for a in transport.sent] == [
        "00A4040C0AD392F000260100000001",
        "00A4020C020018",
        "0020008004" + PINS[PinKind.AUTH].encode().hex().upper(),
    ]
    transport.sent.clear()
    digest_info = sha256_digest_info(bytes(32))
    api.sign(CertKind.AUTH, PINS[PinKind.AUTH], digest_info)
    assert transport.sent[-2:] == [
        bytes.fromhex("00A4020C020017"),
        bytes.fromhex("802A008033") + digest_info + b"\x00",
    ]
    transport.sent.clear()
    api.tries_left(PinKind.KENMEN)
    api.tries_left(PinKind.JUKI)
    assert [a.hex().upper() for a in transport.sent] == [
        "00A4040C0AD3921000310001010408",
        "00A4020C020011",
        "00200080",
        "00A4040C0AD3921000310001010401",
        "00A4020C02001C",
        "00200080",
    ]


class _Broken:
    def __init__(self, answer: bytes) -> None:
        self.answer = answer

    def transmit(self, apdu: bytes) -> bytes:
        return self.answer


@pytest.mark.parametrize(
    ("answer", "error", "code"),
    [
        (b"", CardDataError, "card_data_error"),
        (b"\x90", CardDataError, "card_data_error"),
        (b"\x6a\x82", FileNotFound, "file_not_found"),  # not a My Number card
        (b"\x6f\x00", CardError, "unexpected_status"),
        (b"\x61\x10", CardDataError, "card_data_error"),  # an answer that never ends
    ],
)
def test_a_card_that_answers_nonsense(answer: bytes, error: type[CardError], code: str) -> None:
    with pytest.raises(error) as caught:
        JpkiCard(_Broken(answer)).read_certificate(CertKind.AUTH)
    assert caught.value.code == code
