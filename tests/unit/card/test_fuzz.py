"""Any bytes in, a status word out: the card never raises (R-CARD-AP).

Three sources of input: raw random bytes; well-formed APDUs with the card's own CLA/INS
pairs and random parameters; and sequences mixing those with commands that move the card
into deeper states (applications and EFs selected, PINs verified, a challenge pending).
Every answer must be at least two bytes, end in a status word the card is documented to
use, and never be ``6F00`` (the catch-all for an internal failure).
"""

from __future__ import annotations

import hashlib
import hmac

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from madoguchi.card.apdu import INS, SW, build_command, is_known_status_word
from madoguchi.card.virtual import VirtualCard
from madoguchi.rules.pins import PinKind
from tests.unit.card.conftest import ISSUER_KEY, PINS, Personalised, apdu, sw_of

_PAIRS = [(0x00, int(ins)) for ins in INS if ins != INS.COMPUTE_DIGITAL_SIGNATURE]
_PAIRS.append((0x80, INS.COMPUTE_DIGITAL_SIGNATURE))

_JPKI = apdu("00A4040C0AD392F000260100000001")
_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420") + bytes(range(32))
_SIGN = build_command(0x80, 0x2A, 0, 0x80, _DIGEST_INFO, 256)
ISSUER = b"<issuer authentication>"  # a step the test performs with the issuer key


def _select_ef(ef: int) -> bytes:
    return build_command(0, 0xA4, 2, 0x0C, ef.to_bytes(2, "big"))


def _verify(pin: PinKind) -> bytes:
    return build_command(0, 0x20, 0, 0x80, PINS[pin].encode())


raw_bytes = st.binary(max_size=300)
_params = st.sampled_from([0x00, 0x02, 0x04, 0x0C, 0x80]) | st.integers(0, 255)
_data = st.binary(max_size=255) | st.sampled_from(
    [b"", b"\x00\x17", b"\x00\x1a", b"\x00\x0a", _JPKI[5:], _DIGEST_INFO, b"1234", bytes(32)]
)
well_formed = st.builds(
    build_command,
    st.sampled_from([0x00, 0x80]),
    st.sampled_from(sorted({ins for _, ins in _PAIRS})),
    _params,
    _params,
    _data,
    st.none() | st.sampled_from([8, 256]) | st.integers(1, 256),
)
known_header = st.tuples(
    st.sampled_from(_PAIRS), st.integers(0, 255), st.integers(0, 255), st.binary(max_size=260)
).map(lambda t: bytes([t[0][0], t[0][1], t[1], t[2]]) + t[3])
#: Steps that take the card somewhere deeper: selections, verified PINs, issuer mode.
macros = st.sampled_from(
    [
        [_JPKI],
        [apdu("00A4040C0AD3921000310001010401"), _select_ef(0x1C)],
        [apdu("00A4040C0AD3921000310001010408"), _select_ef(0x11)],
        *([_JPKI, _select_ef(ef)] for ef in (0x01, 0x02, 0x06, 0x0A, 0x0B, 0x17, 0x18, 0x1A)),
        [_JPKI, _select_ef(0x1B), _verify(PinKind.SIGN)],
        [_JPKI, _select_ef(0x1B), _verify(PinKind.SIGN), _select_ef(0x01), apdu("00B0010010")],
        [_JPKI, _select_ef(0x1B), _verify(PinKind.SIGN), _select_ef(0x1A)],
        [_JPKI, _select_ef(0x18), _verify(PinKind.AUTH), _select_ef(0x17)],
        [_JPKI, _select_ef(0x18), _verify(PinKind.AUTH), _select_ef(0x17), _SIGN],
        [_JPKI, _select_ef(0x0A), apdu("00B0000000")],
        [_SIGN],
        [build_command(0, 0x20, 0, 0x80)],
        [apdu("00B0000000")],
        [apdu("0084000008")],
        [ISSUER],
        [ISSUER, _JPKI, apdu("0046000002001A")],
        [ISSUER, _JPKI, apdu("0046000002001A"), apdu("00C0000000")],
        [ISSUER, _JPKI, _select_ef(0x0B)],
        [ISSUER, _JPKI, _select_ef(0x0B), apdu("00D6000003AABBCC"), apdu("000E0001")],
        [ISSUER, _JPKI, _select_ef(0x18), apdu("002C02800431323334")],
    ]
)
step = st.one_of(
    raw_bytes.map(lambda b: [b]),
    well_formed.map(lambda b: [b]),
    known_header.map(lambda b: [b]),
    macros,
)


def _check(response: bytes) -> None:
    assert isinstance(response, bytes)
    assert len(response) >= 2
    sw = sw_of(response)
    assert is_known_status_word(sw), f"{sw:04X}"
    assert sw != SW.NO_PRECISE_DIAGNOSIS, "an internal failure was caught"
    if sw != SW.OK and sw >> 8 != 0x61:
        assert len(response) == 2  # errors carry no data


@pytest.fixture(scope="module")
def fuzz_card(personalised: Personalised) -> VirtualCard:
    """One card for all examples of a test, so states accumulate across examples."""
    return personalised.vault.load(personalised.card_id)


@settings(max_examples=1000, deadline=None)
@given(raw=raw_bytes)
def test_r_card_ap_random_bytes_always_answer_a_status_word(
    fuzz_card: VirtualCard, raw: bytes
) -> None:
    _check(fuzz_card.transmit(raw))


@settings(max_examples=1000, deadline=None)
@given(raw=st.one_of(well_formed, known_header))
def test_r_card_ap_random_commands_always_answer_a_status_word(
    fuzz_card: VirtualCard, raw: bytes
) -> None:
    _check(fuzz_card.transmit(raw))


@settings(max_examples=300, deadline=None)
@given(steps=st.lists(step, max_size=25))
def test_r_card_ap_random_sessions_never_break_the_card(
    personalised: Personalised, steps: list[list[bytes]]
) -> None:
    card = personalised.vault.load(personalised.card_id)
    for command in (command for group in steps for command in group):
        if command == ISSUER:
            challenge = card.transmit(apdu("0084000008"))[:-2]
            cryptogram = hmac.new(ISSUER_KEY, challenge, hashlib.sha256).digest()
            _check(card.transmit(build_command(0, 0x82, 0, 0, cryptogram)))
        else:
            _check(card.transmit(command))
    card.reset()
    assert card.transmit(apdu("00A4040C0AD392F000260100000001")) == b"\x90\x00"
    assert card.transmit(apdu("00A4020C020006")) == b"\x90\x00"
    assert card.transmit(apdu("00B0000014")) == b"JPKIAPICCTOKEN2     \x90\x00"
