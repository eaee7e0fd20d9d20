"""The virtual card at the APDU level (R-CARD-AP, R-PIN-2, R-PROC-6).

Every test here talks to :meth:`VirtualCard.transmit` with raw bytes, as a reader would.
"""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa, utils

from madoguchi.card.apdu import SW, build_command
from madoguchi.card.virtual import VirtualCard
from madoguchi.rules.pins import PinKind
from madoguchi.rules.validity import CertKind
from tests.unit.card.apdus import (
    SELECT_JPKI,
    SELECT_JUKI,
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
from tests.unit.card.conftest import PINS, WRONG, Personalised, apdu, sw_of

# -- SELECT ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("commands", "sw"),
    [
        ((SELECT_JPKI,), SW.OK),
        ((SELECT_JUKI,), SW.OK),
        ((SELECT_KENMEN,), SW.OK),
        (("00A4040C0AD392F000260100000002",), SW.FILE_NOT_FOUND),
        (("00A4040C05D392F00026",), SW.FILE_NOT_FOUND),  # a prefix is not the AID
        (("00A4040C",), SW.WRONG_LENGTH),
        (("00A4020C02000A",), SW.FILE_NOT_FOUND),  # no application selected
        ((SELECT_JPKI, "00A4020C02000A"), SW.OK),
        ((SELECT_JPKI, "00A4020C020011"), SW.FILE_NOT_FOUND),  # the kenmen PIN is elsewhere
        ((SELECT_KENMEN, "00A4020C02000A"), SW.FILE_NOT_FOUND),
        ((SELECT_KENMEN, "00A4020C020011"), SW.OK),
        ((SELECT_JUKI, "00A4020C02001C"), SW.OK),
        ((SELECT_JPKI, "00A4020C03000A00"), SW.WRONG_LENGTH),
        ((SELECT_JPKI, "00A4030C02000A"), SW.WRONG_P1P2),
        (("00A40401" + SELECT_JPKI[8:],), SW.WRONG_P1P2),
    ],
)
def test_r_card_ap_select(card: VirtualCard, commands: tuple[str, ...], sw: int) -> None:
    assert run(card, *commands) == sw


# -- READ BINARY ----------------------------------------------------------------------------


@pytest.mark.parametrize("chunk", [1, 100, 255, 256])
def test_r_card_ap_auth_certificate_reads_in_chunks_with_offsets(
    card: VirtualCard, personalised: Personalised, chunk: int
) -> None:
    run(card, SELECT_JPKI, select_ef(0x000A))
    data = b""
    while True:
        response = card.transmit(read(len(data), chunk))
        if sw_of(response) == SW.OFFSET_OUT_OF_RANGE:
            break
        assert sw_of(response) == SW.OK
        assert 0 < len(response) - 2 <= chunk
        data += response[:-2]
    assert data == personalised.certificates[CertKind.AUTH]
    assert len(data) > 256  # so the offsets were really used


def test_r_card_ap_le_00_means_256(card: VirtualCard, personalised: Personalised) -> None:
    run(card, SELECT_JPKI, select_ef(0x000B))
    response = card.transmit(apdu("00B0000000"))
    assert response[:-2] == personalised.ca_certificates[CertKind.AUTH][:256]


def test_r_card_ap_reading_past_the_end_is_6b00(
    card: VirtualCard, personalised: Personalised
) -> None:
    size = len(personalised.certificates[CertKind.AUTH])
    run(card, SELECT_JPKI, select_ef(0x000A))
    assert sw_of(card.transmit(read(size - 1, 256))) == SW.OK
    assert card.transmit(read(size - 1, 256))[:-2] == personalised.certificates[CertKind.AUTH][-1:]
    assert sw_of(card.transmit(read(size, 1))) == SW.OFFSET_OUT_OF_RANGE
    assert sw_of(card.transmit(read(0x7FFF, 1))) == SW.OFFSET_OUT_OF_RANGE


@pytest.mark.parametrize(
    ("command", "sw"),
    [
        ("00B08000" + "10", SW.WRONG_P1P2),  # a short EF id in P1: not supported
        ("00B00000", SW.WRONG_LENGTH),  # no Le
        ("00B0000001AA10", SW.WRONG_LENGTH),  # data
    ],
)
def test_r_card_ap_read_binary_format(card: VirtualCard, command: str, sw: int) -> None:
    assert run(card, SELECT_JPKI, select_ef(0x000A), command) == sw


def test_r_card_ap_token_info(card: VirtualCard) -> None:
    run(card, SELECT_JPKI, select_ef(0x0006))
    assert card.transmit(read(0, 20)) == b"JPKIAPICCTOKEN2     \x90\x00"


def test_r_card_ap_read_without_a_current_ef_is_6986(card: VirtualCard) -> None:
    assert run(card, SELECT_JPKI, read(0, 16)) == SW.NO_CURRENT_EF


def test_r_card_ap_signing_certificate_needs_the_signing_password(
    card: VirtualCard, personalised: Personalised
) -> None:
    run(card, SELECT_JPKI, select_ef(0x0001))
    assert sw_of(card.transmit(read(0, 256))) == SW.SECURITY_STATUS_NOT_SATISFIED
    run(card, select_ef(0x0018), verify(PINS[PinKind.AUTH]))  # the auth PIN is not enough
    run(card, select_ef(0x0001))
    assert sw_of(card.transmit(read(0, 256))) == SW.SECURITY_STATUS_NOT_SATISFIED
    run(card, select_ef(0x001B), verify(PINS[PinKind.SIGN]), select_ef(0x0001))
    response = card.transmit(read(0, 256))
    assert sw_of(response) == SW.OK
    assert response[:-2] == personalised.certificates[CertKind.SIGN][:256]


@pytest.mark.parametrize("ef", [0x0017, 0x001A, 0x0018, 0x001B])
def test_r_proc_6_key_and_pin_efs_are_never_readable(card: VirtualCard, ef: int) -> None:
    """Even with every PIN verified and the issuer authenticated."""
    select_pin(card, PinKind.SIGN)
    run(card, verify(PINS[PinKind.SIGN]), select_ef(0x0018), verify(PINS[PinKind.AUTH]))
    assert issuer_authenticate(card) == SW.OK
    run(card, select_ef(ef))
    for offset in (0, 1, 256):
        assert sw_of(card.transmit(read(offset, 256))) == SW.INCOMPATIBLE_FILE
    assert sw_of(card.transmit(build_command(0, 0xD6, 0, 0, b"\x00"))) == SW.INCOMPATIBLE_FILE


# -- VERIFY (R-PIN-2) -------------------------------------------------------------------------


@pytest.mark.parametrize(("pin", "limit"), [(k, 5 if k is PinKind.SIGN else 3) for k in PinKind])
def test_r_pin_2_wrong_tries_count_down_and_lock(
    card: VirtualCard, pin: PinKind, limit: int
) -> None:
    select_pin(card, pin)
    assert sw_of(card.transmit(verify(None))) == 0x63C0 | limit
    for left in range(limit - 1, -1, -1):
        assert sw_of(card.transmit(verify(WRONG[pin]))) == 0x63C0 | left
        assert sw_of(card.transmit(verify(None))) == 0x63C0 | left  # 63C0 once locked
    assert sw_of(card.transmit(verify(PINS[pin]))) == SW.PIN_LOCKED  # the right one: still locked
    assert sw_of(card.transmit(verify(None))) == 0x63C0
    card.reset()
    select_pin(card, pin)
    assert sw_of(card.transmit(verify(PINS[pin]))) == SW.PIN_LOCKED  # a power cycle does not help


@pytest.mark.parametrize("pin", list(PinKind))
def test_r_pin_2_verify_without_data_spends_nothing(card: VirtualCard, pin: PinKind) -> None:
    select_pin(card, pin)
    run(card, verify(WRONG[pin]))  # 63Cx: one spent
    before = sw_of(card.transmit(verify(None)))
    for _ in range(10):
        assert sw_of(card.transmit(verify(None))) == before
    assert before == 0x63C0 | (pin.max_tries - 1)


@pytest.mark.parametrize("pin", list(PinKind))
def test_r_pin_2_the_right_pin_restores_the_counter(card: VirtualCard, pin: PinKind) -> None:
    select_pin(card, pin)
    for _ in range(pin.max_tries - 1):
        card.transmit(verify(WRONG[pin]))
    assert sw_of(card.transmit(verify(PINS[pin]))) == SW.OK
    # as a real JPKI card, the counter is told even when verified (OpenSC's driver relies on it)
    assert sw_of(card.transmit(verify(None))) == 0x63C0 | pin.max_tries
    card.reset()
    select_pin(card, pin)
    assert sw_of(card.transmit(verify(None))) == 0x63C0 | pin.max_tries


def test_r_card_ap_a_wrong_try_ends_the_verification(card: VirtualCard) -> None:
    select_pin(card, PinKind.AUTH)
    run(card, verify(PINS[PinKind.AUTH]))
    assert sw_of(card.transmit(verify(WRONG[PinKind.AUTH]))) == 0x63C2
    assert sw_of(card.transmit(verify(None))) == 0x63C2


def test_r_card_ap_reset_and_leaving_the_application_end_verifications(card: VirtualCard) -> None:
    select_pin(card, PinKind.SIGN)
    run(card, verify(PINS[PinKind.SIGN]))
    assert run(card, SELECT_JPKI, select_ef(0x0001), read(0, 16)) == SW.OK  # same AP: kept
    assert (
        run(card, SELECT_KENMEN, SELECT_JPKI, select_ef(0x0001), read(0, 16))
        == SW.SECURITY_STATUS_NOT_SATISFIED
    )
    run(card, select_ef(0x001B))
    run(card, verify(PINS[PinKind.SIGN]))
    card.reset()
    assert (
        run(card, SELECT_JPKI, select_ef(0x0001), read(0, 16)) == SW.SECURITY_STATUS_NOT_SATISFIED
    )


@pytest.mark.parametrize(
    ("commands", "sw"),
    [
        ((SELECT_JPKI, "00200080"), SW.NO_CURRENT_EF),
        ((SELECT_JPKI, "00A4020C02000A", "00200080"), SW.INCOMPATIBLE_FILE),
        ((SELECT_JPKI, "00A4020C020018", "00200081"), SW.WRONG_P1P2),
        ((SELECT_JPKI, "00A4020C020018", "0020008000"), SW.WRONG_LENGTH),
    ],
)
def test_r_card_ap_verify_format(card: VirtualCard, commands: tuple[str, ...], sw: int) -> None:
    assert run(card, *commands) == sw


def test_r_pin_1_verify_of_a_pin_never_set_is_6985(blank: VirtualCard) -> None:
    select_pin(blank, PinKind.AUTH)
    assert sw_of(blank.transmit(verify(None))) == SW.CONDITIONS_NOT_SATISFIED
    assert sw_of(blank.transmit(verify("1234"))) == SW.CONDITIONS_NOT_SATISFIED


# -- COMPUTE DIGITAL SIGNATURE ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "algorithm"),
    [
        (CertKind.AUTH, hashes.SHA256()),
        (CertKind.SIGN, hashes.SHA256()),
        (CertKind.SIGN, hashes.SHA384()),
        (CertKind.AUTH, hashes.SHA512()),
    ],
)
def test_r_proc_6_the_card_signs_a_digest_info_with_its_key(
    card: VirtualCard, personalised: Personalised, kind: CertKind, algorithm: hashes.HashAlgorithm
) -> None:
    digest_hash = hashes.Hash(algorithm)
    digest_hash.update(b"e-application to the city")
    digest = digest_hash.finalize()
    prefixes = {
        32: "3031300d060960864801650304020105000420",
        48: "3041300d060960864801650304020205000430",
        64: "3051300d060960864801650304020305000440",
    }
    digest_info = bytes.fromhex(prefixes[len(digest)]) + digest
    pin = PinKind.SIGN if kind is CertKind.SIGN else PinKind.AUTH
    select_pin(card, pin)
    run(card, verify(PINS[pin]), select_ef(0x001A if kind is CertKind.SIGN else 0x0017))
    response = card.transmit(sign_apdu(digest_info))
    assert sw_of(response) == SW.OK
    public = serialization.load_der_public_key(personalised.spki[kind])
    assert isinstance(public, rsa.RSAPublicKey)
    public.verify(response[:-2], digest, padding.PKCS1v15(), utils.Prehashed(algorithm))


@pytest.mark.parametrize(
    ("commands", "sw"),
    [
        ((SELECT_JPKI, "00A4020C02001A"), SW.SECURITY_STATUS_NOT_SATISFIED),  # no PIN
        ((SELECT_JPKI, "00A4020C020018", verify(PINS[PinKind.AUTH]), "00A4020C02001A"), 0x6982),
        ((SELECT_JPKI, "00A4020C02001B", verify(PINS[PinKind.SIGN]), "00A4020C020017"), 0x6982),
        ((SELECT_JPKI,), SW.NO_CURRENT_EF),
        ((SELECT_JPKI, "00A4020C020018", verify(PINS[PinKind.AUTH])), SW.INCOMPATIBLE_FILE),
        ((SELECT_JPKI, "00A4020C02000A"), SW.INCOMPATIBLE_FILE),
    ],
)
def test_r_card_ap_signing_conditions(
    card: VirtualCard, commands: tuple[str | bytes, ...], sw: int
) -> None:
    digest_info = SHA256_PREFIX + hashlib.sha256(b"x").digest()
    assert run(card, *commands, sign_apdu(digest_info)) == sw


@pytest.mark.parametrize(
    ("command", "sw"),
    [
        (b"\x80\x2a\x00\x80\x05hello\x00", SW.INCORRECT_DATA),  # not a DigestInfo
        (sign_apdu(SHA256_PREFIX + bytes(31)), SW.INCORRECT_DATA),  # short digest
        (bytes.fromhex("002A0080") + bytes([51]) + SHA256_PREFIX + bytes(32) + b"\0", 0x6E00),
        (bytes.fromhex("802A009E") + bytes([51]) + SHA256_PREFIX + bytes(32) + b"\0", 0x6A86),
        (bytes.fromhex("802A008000"), SW.WRONG_LENGTH),  # Le only, no DigestInfo
    ],
)
def test_r_card_ap_signing_input(card: VirtualCard, command: bytes, sw: int) -> None:
    select_pin(card, PinKind.SIGN)
    run(card, verify(PINS[PinKind.SIGN]), select_ef(0x001A))
    assert sw_of(card.transmit(command)) == sw


def test_r_card_ap_no_key_yet_is_6985(blank: VirtualCard) -> None:
    assert issuer_authenticate(blank) == SW.OK
    select_pin(blank, PinKind.AUTH)
    run(blank, build_command(0, 0x2C, 0x02, 0x80, b"1234"), verify("1234"), select_ef(0x0017))
    assert sw_of(blank.transmit(sign_apdu(SHA256_PREFIX + bytes(32)))) == 0x6985
