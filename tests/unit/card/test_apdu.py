"""ISO/IEC 7816-4 short APDUs and status words (R-CARD-AP)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from madoguchi.card.apdu import (
    SW,
    CommandApdu,
    build_command,
    is_known_status_word,
    parse_command,
    split_response,
    sw_bytes_remaining,
    sw_tries_left,
    tries_left_of,
)
from madoguchi.card.errors import CardDataError, MalformedApdu
from tests.unit.card.conftest import apdu


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("00200080", CommandApdu(0x00, 0x20, 0x00, 0x80)),  # case 1: VERIFY, read the counter
        ("00B0000000", CommandApdu(0x00, 0xB0, 0x00, 0x00, le=256)),  # case 2: Le 00 = 256
        ("00B0012010", CommandApdu(0x00, 0xB0, 0x01, 0x20, le=16)),
        (
            "00A4040C0AD392F000260100000001",  # case 3: SELECT the JPKI AP
            CommandApdu(0x00, 0xA4, 0x04, 0x0C, data=apdu("D392F000260100000001")),
        ),
        (
            "802A00800301020300",  # case 4: COMPUTE DIGITAL SIGNATURE ... 00
            CommandApdu(0x80, 0x2A, 0x00, 0x80, data=b"\x01\x02\x03", le=256),
        ),
        ("0084000008", CommandApdu(0x00, 0x84, 0x00, 0x00, le=8)),
    ],
)
def test_r_card_ap_parse_the_four_cases(raw: str, expected: CommandApdu) -> None:
    assert parse_command(apdu(raw)) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "00",
        "00A404",
        "00A4040C05D392",  # Lc says 5, two bytes follow
        "00A4040C01D392F0",  # Lc says 1, three bytes follow
        "00A4040C000002D392",  # extended length: not supported
    ],
)
def test_r_card_ap_malformed_apdus_are_6700(raw: str) -> None:
    with pytest.raises(MalformedApdu) as caught:
        parse_command(apdu(raw))
    assert caught.value.sw == SW.WRONG_LENGTH
    assert caught.value.code == "malformed_apdu"


@given(
    cla=st.integers(0, 255),
    ins=st.integers(0, 255),
    p1=st.integers(0, 255),
    p2=st.integers(0, 255),
    data=st.binary(max_size=255),
    le=st.none() | st.integers(1, 256),
)
def test_build_and_parse_are_inverse(
    cla: int, ins: int, p1: int, p2: int, data: bytes, le: int | None
) -> None:
    raw = build_command(cla, ins, p1, p2, data, le)
    assert parse_command(raw) == CommandApdu(cla, ins, p1, p2, data, le)
    assert len(raw) == 4 + (1 + len(data) if data else 0) + (1 if le is not None else 0)


@given(st.binary(max_size=300))
def test_parse_any_bytes_parses_or_says_6700(raw: bytes) -> None:
    try:
        parsed = parse_command(raw)
    except MalformedApdu as exc:
        assert exc.sw == SW.WRONG_LENGTH
    else:
        assert (
            build_command(parsed.cla, parsed.ins, parsed.p1, parsed.p2, parsed.data, parsed.le)
            == raw
        )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((0x100, 0, 0, 0), "CLA"),
        ((0, 0, 0, -1), "P2"),
        ((0, 0, 0, 0, bytes(256)), "255"),
        ((0, 0, 0, 0, b"", 0), "Le"),
        ((0, 0, 0, 0, b"", 257), "Le"),
    ],
)
def test_build_refuses_what_a_short_apdu_cannot_carry(
    args: tuple[object, ...], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        build_command(*args)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("tries", "sw"), [(0, 0x63C0), (2, 0x63C2), (3, 0x63C3), (5, 0x63C5), (15, 0x63CF)]
)
def test_r_pin_2_63cx_carries_the_tries_left(tries: int, sw: int) -> None:
    assert sw_tries_left(tries) == sw
    assert tries_left_of(sw) == tries
    assert is_known_status_word(sw)


def test_63cx_out_of_range_and_other_words_have_no_tries() -> None:
    with pytest.raises(ValueError, match="tries"):
        sw_tries_left(16)
    assert tries_left_of(SW.OK) is None
    assert tries_left_of(SW.PIN_LOCKED) is None
    assert tries_left_of(0x6300) is None


@pytest.mark.parametrize(
    ("remaining", "sw"), [(1, 0x6101), (38, 0x6126), (255, 0x61FF), (256, 0x6100), (900, 0x6100)]
)
def test_61xx_announces_what_remains(remaining: int, sw: int) -> None:
    assert sw_bytes_remaining(remaining) == sw
    assert is_known_status_word(sw)


@pytest.mark.parametrize(
    ("sw", "name"),
    [
        (0x9000, "OK"),
        (0x6300, "VERIFICATION_FAILED"),
        (0x6983, "PIN_LOCKED"),
        (0x6982, "SECURITY_STATUS_NOT_SATISFIED"),
        (0x6A82, "FILE_NOT_FOUND"),
        (0x6A86, "WRONG_P1P2"),
        (0x6700, "WRONG_LENGTH"),
        (0x6D00, "INS_NOT_SUPPORTED"),
        (0x6E00, "CLA_NOT_SUPPORTED"),
        (0x6985, "CONDITIONS_NOT_SATISFIED"),
        (0x6B00, "OFFSET_OUT_OF_RANGE"),
    ],
)
def test_status_words_have_names(sw: int, name: str) -> None:
    assert SW[name] == sw
    assert is_known_status_word(sw)


def test_unknown_status_words_are_not_known() -> None:
    assert not is_known_status_word(0x6A81)
    assert not is_known_status_word(0x0000)


def test_split_response() -> None:
    response = split_response(b"\x01\x02\x90\x00")
    assert response.data == b"\x01\x02"
    assert response.sw == SW.OK
    assert response.ok
    with pytest.raises(CardDataError):
        split_response(b"\x90")
