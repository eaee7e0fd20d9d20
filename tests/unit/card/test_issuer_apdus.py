"""The issuer's commands at the APDU level, and everything else a card refuses (R-PROC-5/6).

GET CHALLENGE / EXTERNAL AUTHENTICATE (HMAC-SHA256 with the issuer key), GENERATE
ASYMMETRIC KEY PAIR with GET RESPONSE, RESET RETRY COUNTER (R-PIN-1/2), UPDATE and ERASE
BINARY; then unknown instructions and classes.
"""

from __future__ import annotations

import hashlib
import hmac

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa, utils

from madoguchi.card.apdu import SW, build_command
from madoguchi.card.virtual import VirtualCard
from madoguchi.rules.pins import PinKind
from madoguchi.rules.validity import CertKind
from tests.unit.card.apdus import (
    SELECT_JPKI,
    SELECT_KENMEN,
    SHA256_PREFIX,
    issuer_authenticate,
    read,
    run,
    select_ef,
    select_pin,
    sign_apdu,
    verify,
)
from tests.unit.card.conftest import ISSUER_KEY, PINS, WRONG, Personalised, apdu, sw_of

# -- issuer commands ----------------------------------------------------------------------------

ISSUER_COMMANDS = [
    (SELECT_JPKI, "00460000020017"),  # GENERATE ASYMMETRIC KEY PAIR
    (SELECT_JPKI, "00A4020C020018", "002C02800431313131"),  # RESET RETRY COUNTER
    (SELECT_JPKI, "00A4020C02000A", "00D6000002AABB"),  # UPDATE BINARY
    (SELECT_JPKI, "00A4020C02000A", "000E0000"),  # ERASE BINARY
]


@pytest.mark.parametrize("commands", ISSUER_COMMANDS)
def test_r_proc_6_issuer_commands_need_issuer_authentication(
    card: VirtualCard, personalised: Personalised, commands: tuple[str, ...]
) -> None:
    assert run(card, *commands) == SW.SECURITY_STATUS_NOT_SATISFIED
    assert issuer_authenticate(card, key=bytes(32)) == SW.VERIFICATION_FAILED  # wrong key
    assert run(card, *commands) == SW.SECURITY_STATUS_NOT_SATISFIED
    assert issuer_authenticate(card) == SW.OK
    card.reset()  # a new session forgets it
    assert run(card, *commands) == SW.SECURITY_STATUS_NOT_SATISFIED
    # nothing changed: the certificate and the key are still there
    run(card, SELECT_JPKI, select_ef(0x000A))
    assert card.transmit(read(0, 4))[:-2] == personalised.certificates[CertKind.AUTH][:4]


def test_r_proc_6_external_authenticate_needs_a_fresh_challenge(card: VirtualCard) -> None:
    cryptogram = build_command(0, 0x82, 0, 0, bytes(32))
    assert sw_of(card.transmit(cryptogram)) == SW.CONDITIONS_NOT_SATISFIED  # no challenge
    challenge = card.transmit(apdu("0084000008"))[:-2]
    good = hmac.new(ISSUER_KEY, challenge, hashlib.sha256).digest()
    assert sw_of(card.transmit(build_command(0, 0x82, 0, 0, good))) == SW.OK
    card.reset()
    # replaying the same cryptogram: the challenge was used once and is gone
    assert sw_of(card.transmit(build_command(0, 0x82, 0, 0, good))) == 0x6985
    assert sw_of(card.transmit(apdu("0084000010"))) == SW.WRONG_LENGTH  # challenges are 8 bytes
    assert sw_of(card.transmit(build_command(0, 0x82, 0, 0, good[:16]))) == SW.WRONG_LENGTH


def test_r_proc_6_generate_key_answers_the_public_key_in_two_parts(
    card: VirtualCard, personalised: Personalised
) -> None:
    assert issuer_authenticate(card) == SW.OK
    run(card, SELECT_JPKI)
    first = card.transmit(apdu("00460000020017"))
    assert len(first) == 258 and sw_of(first) == 0x6126  # 256 bytes, 38 more waiting
    rest = card.transmit(apdu("00C0000026"))
    assert sw_of(rest) == SW.OK and len(rest) == 40
    spki = first[:-2] + rest[:-2]
    public = serialization.load_der_public_key(spki)
    assert isinstance(public, rsa.RSAPublicKey)
    assert (public.key_size, public.public_numbers().e) == (2048, 65537)
    assert spki != personalised.spki[CertKind.AUTH]  # a new key replaced the old one
    assert sw_of(card.transmit(apdu("00C0000026"))) == SW.CONDITIONS_NOT_SATISFIED  # all read
    # the auth certificate went with the old key; the signing one and the CA stay
    assert run(card, select_ef(0x000A), read(0, 1)) == SW.OFFSET_OUT_OF_RANGE
    assert run(card, select_ef(0x000B), read(0, 1)) == SW.OK
    # and the new key signs
    digest = hashlib.sha256(b"new key").digest()
    run(card, select_ef(0x0018), verify(PINS[PinKind.AUTH]), select_ef(0x0017))
    signature = card.transmit(sign_apdu(SHA256_PREFIX + digest))[:-2]
    public.verify(signature, digest, padding.PKCS1v15(), utils.Prehashed(hashes.SHA256()))


def test_get_response_in_small_pieces(card: VirtualCard) -> None:
    assert issuer_authenticate(card) == SW.OK
    run(card, SELECT_JPKI)
    first = card.transmit(apdu("0046000002001A10"))
    assert sw_of(first) == 0x6100 and len(first) == 18  # Le 16: 278 bytes remain
    data = first[:-2]
    while True:
        response = card.transmit(apdu("00C0000064"))
        data += response[:-2]
        if sw_of(response) == SW.OK:
            break
        assert sw_of(response) >> 8 == 0x61
    assert serialization.load_der_public_key(data)
    assert sw_of(card.transmit(apdu("00C0000000"))) == SW.CONDITIONS_NOT_SATISFIED


@pytest.mark.parametrize(
    ("commands", "sw"),
    [
        ((SELECT_KENMEN, "00460000020017"), SW.FILE_NOT_FOUND),  # keys live in the JPKI AP
        ((SELECT_JPKI, "0046000002000A"), SW.FILE_NOT_FOUND),  # not a key EF
        ((SELECT_JPKI, "004600000117"), SW.WRONG_LENGTH),
        ((SELECT_JPKI, "00460100020017"), SW.WRONG_P1P2),
    ],
)
def test_r_card_ap_generate_key_format(
    card: VirtualCard, commands: tuple[str, ...], sw: int
) -> None:
    assert issuer_authenticate(card) == SW.OK
    assert run(card, *commands) == sw


@pytest.mark.parametrize(
    ("pin", "value", "sw"),
    [
        (PinKind.AUTH, "9876", SW.OK),
        (PinKind.AUTH, "98765", SW.INCORRECT_DATA),  # R-PIN-1: four digits
        (PinKind.JUKI, "12a4", SW.INCORRECT_DATA),
        (PinKind.KENMEN, "0000", SW.OK),
        (PinKind.SIGN, "NEWPASS1", SW.OK),
        (PinKind.SIGN, "newpass1", SW.INCORRECT_DATA),  # the card takes upper case only
        (PinKind.SIGN, "ABCDEF", SW.INCORRECT_DATA),  # needs a digit
        (PinKind.SIGN, "A1", SW.INCORRECT_DATA),  # too short
        (PinKind.SIGN, "A1234567890123456", SW.INCORRECT_DATA),  # 17: too long
    ],
)
def test_r_pin_1_reset_retry_counter_checks_the_new_value(
    card: VirtualCard, pin: PinKind, value: str, sw: int
) -> None:
    assert issuer_authenticate(card) == SW.OK
    select_pin(card, pin)
    assert sw_of(card.transmit(build_command(0, 0x2C, 0x02, 0x80, value.encode()))) == sw
    expected = value if sw == SW.OK else PINS[pin]
    assert sw_of(card.transmit(verify(expected))) == SW.OK


def test_r_pin_2_a_locked_pin_is_reset_at_the_counter(card: VirtualCard) -> None:
    select_pin(card, PinKind.JUKI)
    for _ in range(3):
        card.transmit(verify(WRONG[PinKind.JUKI]))
    assert sw_of(card.transmit(verify(None))) == 0x63C0
    assert sw_of(card.transmit(verify(PINS[PinKind.JUKI]))) == SW.PIN_LOCKED
    assert issuer_authenticate(card) == SW.OK
    assert sw_of(card.transmit(build_command(0, 0x2C, 0x02, 0x80, b"2580"))) == SW.OK
    assert sw_of(card.transmit(verify(None))) == 0x63C3
    assert sw_of(card.transmit(verify("2580"))) == SW.OK
    assert sw_of(card.transmit(build_command(0, 0x2C, 0x02, 0x80, b"\xff\xfe\x00\x01"))) == 0x6A80
    assert sw_of(card.transmit(build_command(0, 0x2C, 0x03, 0x80, b"2580"))) == SW.WRONG_P1P2


def test_update_and_erase_binary_write_a_certificate_ef(card: VirtualCard) -> None:
    assert issuer_authenticate(card) == SW.OK
    run(card, SELECT_JPKI, select_ef(0x000B), "000E0000")  # ERASE from 0: empty
    assert sw_of(card.transmit(read(0, 1))) == SW.OFFSET_OUT_OF_RANGE
    assert run(card, "00D6000102AABB") == SW.OFFSET_OUT_OF_RANGE  # no gaps
    run(card, "00D6000003010203", "00D6000302AABB", "00D6000101FF")
    assert card.transmit(read(0, 256)) == bytes.fromhex("01FF03AABB9000")
    run(card, "000E0002")
    assert card.transmit(read(0, 256)) == bytes.fromhex("01FF9000")
    assert run(card, "000E0003") == SW.OFFSET_OUT_OF_RANGE
    assert run(card, "000E00000101") == SW.WRONG_LENGTH
    run(card, "000E0000")
    for offset in range(0, 4096, 255):
        run(
            card, build_command(0, 0xD6, offset >> 8, offset & 0xFF, bytes(min(255, 4096 - offset)))
        )
    assert run(card, "00D6100001AA") == SW.NOT_ENOUGH_MEMORY  # 4096 is the capacity
    assert run(card, select_ef(0x0006), "00D6000001AA") == SW.INCOMPATIBLE_FILE  # token info


# -- anything else ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "sw"),
    [
        ("", SW.WRONG_LENGTH),
        ("00", SW.WRONG_LENGTH),
        ("00A404", SW.WRONG_LENGTH),
        ("00FF0000", SW.INS_NOT_SUPPORTED),
        ("80FF0000", SW.INS_NOT_SUPPORTED),
        ("8020008000", SW.CLA_NOT_SUPPORTED),  # VERIFY is CLA 00
        ("0CA4040C0AD392F000260100000001", SW.CLA_NOT_SUPPORTED),  # secure messaging
        ("FFA4040C0AD392F000260100000001", SW.CLA_NOT_SUPPORTED),
        ("00A4040C0AD392F0002601000000", SW.WRONG_LENGTH),
        ("0084000108", SW.WRONG_P1P2),
        ("00C0000010", SW.CONDITIONS_NOT_SATISFIED),  # nothing to get
    ],
)
def test_r_card_ap_errors(card: VirtualCard, command: str, sw: int) -> None:
    assert card.transmit(apdu(command)) == sw.to_bytes(2, "big")


def test_transmit_refuses_what_is_not_bytes(card: VirtualCard) -> None:
    with pytest.raises(TypeError):
        card.transmit(5)  # type: ignore[arg-type]
    assert card.transmit(bytearray(apdu(SELECT_JPKI))) == b"\x90\x00"


@pytest.mark.parametrize("key", [b"", bytes(31), bytes(33)])
def test_the_issuer_key_is_32_bytes(key: bytes) -> None:
    with pytest.raises(ValueError, match="32"):
        VirtualCard.new(key)
