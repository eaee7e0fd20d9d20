"""PC/SC failures become card errors with their own codes, each said in Japanese."""

from __future__ import annotations

import pytest
from smartcard import scard

from madoguchi.card import pcsc
from madoguchi.card.errors import (
    CardError,
    NoCardInReader,
    NoReader,
    PcscUnavailable,
    ReaderError,
    VpcdUnreachable,
)
from madoguchi.messages import CARD_MESSAGES


@pytest.mark.parametrize(
    ("hresult", "error"),
    [
        (scard.SCARD_E_NO_SERVICE, PcscUnavailable),
        (scard.SCARD_E_SERVICE_STOPPED, PcscUnavailable),
        (scard.SCARD_E_NO_READERS_AVAILABLE, NoReader),
        (scard.SCARD_E_UNKNOWN_READER, NoReader),
        (scard.SCARD_E_NO_SMARTCARD, NoCardInReader),
        (scard.SCARD_W_REMOVED_CARD, NoCardInReader),
        (scard.SCARD_E_SHARING_VIOLATION, ReaderError),
    ],
)
def test_pcsc_status_codes_map_to_card_errors(hresult: int, error: type[CardError]) -> None:
    with pytest.raises(error) as raised:
        pcsc._check(hresult, "SCardConnect")
    assert type(raised.value) is error
    assert "SCardConnect" in raised.value.detail
    assert f"0x{hresult & 0xFFFFFFFF:08X}" in raised.value.detail


def test_success_is_not_an_error() -> None:
    pcsc._check(scard.SCARD_S_SUCCESS, "SCardTransmit")


@pytest.mark.parametrize(
    "error",
    [ReaderError, PcscUnavailable, NoReader, NoCardInReader, VpcdUnreachable],
)
def test_every_reader_error_has_a_japanese_message(error: type[CardError]) -> None:
    assert error.code in CARD_MESSAGES
