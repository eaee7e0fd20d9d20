"""APDU builders and a runner for the card tests (the bytes a reader would send)."""

from __future__ import annotations

import hashlib
import hmac

from madoguchi.card.apdu import SW, build_command
from madoguchi.card.virtual import VirtualCard
from madoguchi.rules.pins import PinKind
from tests.unit.card.conftest import ISSUER_KEY, apdu, sw_of

SELECT_JPKI = "00A4040C0AD392F000260100000001"
SELECT_JUKI = "00A4040C0AD3921000310001010401"
SELECT_KENMEN = "00A4040C0AD3921000310001010408"
SELECT_APP = {
    PinKind.SIGN: SELECT_JPKI,
    PinKind.AUTH: SELECT_JPKI,
    PinKind.JUKI: SELECT_JUKI,
    PinKind.KENMEN: SELECT_KENMEN,
}
PIN_EF = {PinKind.SIGN: 0x001B, PinKind.AUTH: 0x0018, PinKind.JUKI: 0x001C, PinKind.KENMEN: 0x0011}
SHA256_PREFIX = bytes.fromhex("3031300d060960864801650304020105000420")


def select_ef(ef: int) -> bytes:
    return build_command(0x00, 0xA4, 0x02, 0x0C, ef.to_bytes(2, "big"))


def read(offset: int, le: int) -> bytes:
    return build_command(0x00, 0xB0, offset >> 8, offset & 0xFF, le=le)


def verify(value: str | None) -> bytes:
    return build_command(0x00, 0x20, 0x00, 0x80, value.encode() if value else b"")


def sign_apdu(digest_info: bytes) -> bytes:
    return build_command(0x80, 0x2A, 0x00, 0x80, digest_info, le=256)


def run(card: VirtualCard, *commands: str | bytes) -> int:
    """Send each command; all but the last must answer 9000; return the last SW."""
    sw: int = SW.OK
    for i, command in enumerate(commands):
        raw = apdu(command) if isinstance(command, str) else command
        sw = sw_of(card.transmit(raw))
        if i < len(commands) - 1:
            assert sw == SW.OK, f"{raw.hex()} answered {sw:04X}"
    return sw


def issuer_authenticate(card: VirtualCard, key: bytes = ISSUER_KEY) -> int:
    challenge = card.transmit(apdu("0084000008"))
    assert sw_of(challenge) == SW.OK and len(challenge) == 10
    cryptogram = hmac.new(key, challenge[:-2], hashlib.sha256).digest()
    return sw_of(card.transmit(build_command(0x00, 0x82, 0x00, 0x00, cryptogram)))


def select_pin(card: VirtualCard, pin: PinKind) -> None:
    run(card, SELECT_APP[pin], select_ef(PIN_EF[pin]))
