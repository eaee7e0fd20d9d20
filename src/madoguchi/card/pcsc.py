"""A card in a PC/SC reader (pcscd), for :class:`~madoguchi.card.jpki.JpkiCard`.

At a real counter the My Number card sits in a contact or contactless PC/SC reader.
:class:`PcscReader` is a :class:`~madoguchi.card.jpki.Transport` over pyscard's PC/SC
binding: one command APDU in, ``data SW1 SW2`` out. A ``6Cxx`` answer (wrong Le) is repeated
with Le = ``xx`` here; ``61xx`` (more data) is fetched by :class:`JpkiCard` with GET RESPONSE.

The reader is opened shared and closed with a card reset, so that the PINs verified in a
session do not outlive it (a real card keeps them until the reset). The same code drives a
real reader and the test reader of :mod:`madoguchi.card.vpcd`.

Errors are :class:`~madoguchi.card.errors.ReaderError` and its subclasses (card/errors.py):

=========================  ============================================================
``pcsc_unavailable``       no PC/SC service (pcscd is not running or not reachable)
``no_reader``              no reader, or none of that name
``no_card_in_reader``      the reader is empty (or the card was pulled out)
``reader_error``           any other PC/SC failure (the reader's own message in ``detail``)
=========================  ============================================================

``PCSCLITE_CSOCK_NAME`` (pcsc-lite's variable) chooses another pcscd socket, as the tests do.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType
from typing import Any

from smartcard import scard

from madoguchi.card.apdu import MAX_LE, build_command, parse_command
from madoguchi.card.errors import (
    MalformedApdu,
    NoCardInReader,
    NoReader,
    PcscUnavailable,
    ReaderError,
)

#: 6Cxx: "wrong Le, xx bytes available" (ISO 7816-4); the command is sent again with Le=xx
_WRONG_LE = 0x6C
_MAX_RETRIES = 2


@dataclass(frozen=True, slots=True)
class ReaderInfo:
    """A reader pcscd knows: its name, whether a card is in it, and the card's ATR."""

    name: str
    card_present: bool
    atr: bytes | None

    @property
    def atr_hex(self) -> str | None:
        return self.atr.hex(" ").upper() if self.atr is not None else None


def _code(hresult: int) -> int:
    return hresult & 0xFFFFFFFF  # pyscard gives some codes signed, some unsigned


_ERROR_BY_CODE: dict[int, type[ReaderError]] = {
    **dict.fromkeys(
        map(_code, (scard.SCARD_E_NO_SERVICE, scard.SCARD_E_SERVICE_STOPPED)), PcscUnavailable
    ),
    **dict.fromkeys(
        map(
            _code,
            (
                scard.SCARD_E_NO_READERS_AVAILABLE,
                scard.SCARD_E_UNKNOWN_READER,
                scard.SCARD_E_READER_UNAVAILABLE,
            ),
        ),
        NoReader,
    ),
    **dict.fromkeys(
        map(
            _code,
            (
                scard.SCARD_E_NO_SMARTCARD,
                scard.SCARD_W_REMOVED_CARD,
                scard.SCARD_W_UNPOWERED_CARD,
                scard.SCARD_W_UNRESPONSIVE_CARD,
            ),
        ),
        NoCardInReader,
    ),
}


def _message(hresult: int) -> str:
    return f"{scard.SCardGetErrorMessage(hresult).strip()} (0x{_code(hresult):08X})"


def _check(hresult: int, what: str) -> None:
    if hresult != scard.SCARD_S_SUCCESS:
        error = _ERROR_BY_CODE.get(_code(hresult), ReaderError)
        raise error(f"{what}: {_message(hresult)}")


class _Context:
    """A PC/SC context (SCardEstablishContext … SCardReleaseContext)."""

    def __init__(self) -> None:
        hresult, handle = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        _check(hresult, "SCardEstablishContext")
        self.handle: Any = handle

    def release(self) -> None:
        if self.handle is not None:
            scard.SCardReleaseContext(self.handle)
            self.handle = None

    def reader_names(self) -> list[str]:
        hresult, names = scard.SCardListReaders(self.handle, [])
        if _code(hresult) == _code(scard.SCARD_E_NO_READERS_AVAILABLE):
            return []
        _check(hresult, "SCardListReaders")
        return list(names)

    def states(self, names: list[str]) -> list[ReaderInfo]:
        if not names:
            return []
        query = [(name, scard.SCARD_STATE_UNAWARE) for name in names]
        hresult, states = scard.SCardGetStatusChange(self.handle, 0, query)
        _check(hresult, "SCardGetStatusChange")
        infos = []
        for name, event, atr in states:
            present = bool(event & scard.SCARD_STATE_PRESENT)
            infos.append(ReaderInfo(name, present, bytes(atr) if present and atr else None))
        return infos


def list_readers() -> list[ReaderInfo]:
    """Every reader pcscd knows, with its card (PcscUnavailable without pcscd)."""
    context = _Context()
    try:
        return context.states(context.reader_names())
    finally:
        context.release()


class PcscReader:
    """The card in one PC/SC reader, as a :class:`~madoguchi.card.jpki.Transport`.

    ``reader`` is a reader's name (or the start of it); None takes the first reader with a
    card. Use as a context manager, or call :meth:`close`.
    """

    __slots__ = ("_card", "_context", "_protocol", "atr", "name")

    def __init__(self, reader: str | None = None) -> None:
        self._context = _Context()
        self._card: Any = None
        try:
            self.name, self.atr = self._choose(reader)
            hresult, card, protocol = scard.SCardConnect(
                self._context.handle,
                self.name,
                scard.SCARD_SHARE_SHARED,
                scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1,
            )
            _check(hresult, f"SCardConnect {self.name}")
            self._card, self._protocol = card, protocol
        except BaseException:
            self._context.release()
            raise

    def _choose(self, wanted: str | None) -> tuple[str, bytes]:
        infos = self._context.states(self._context.reader_names())
        if not infos:
            raise NoReader("no PC/SC reader is connected")
        if wanted is not None:
            named = [i for i in infos if i.name == wanted] or [
                i for i in infos if i.name.startswith(wanted)
            ]
            if not named:
                raise NoReader(f"no reader named {wanted!r}")
            infos = named[:1]
        for info in infos:
            if info.card_present and info.atr is not None:
                return info.name, info.atr
        raise NoCardInReader("no card in " + ", ".join(repr(i.name) for i in infos))

    def transmit(self, apdu: bytes) -> bytes:
        """One command APDU; a ``6Cxx`` answer is repeated with the Le the card asked for."""
        if self._card is None:
            raise ReaderError("the reader is closed")
        command = bytes(apdu)
        for _ in range(_MAX_RETRIES):
            hresult, response = scard.SCardTransmit(self._card, self._protocol, list(command))
            _check(hresult, "SCardTransmit")
            answer = bytes(response)
            if len(answer) < 2:
                raise ReaderError("the reader answered fewer than two bytes")
            if answer[-2] != _WRONG_LE:
                return answer
            try:
                cmd = parse_command(command)
            except MalformedApdu:
                return answer
            le = answer[-1] or MAX_LE
            command = build_command(cmd.cla, cmd.ins, cmd.p1, cmd.p2, cmd.data, le)
        return answer

    def close(self) -> None:
        """Disconnect and reset the card: PINs verified in this session are forgotten."""
        if self._card is not None:
            scard.SCardDisconnect(self._card, scard.SCARD_RESET_CARD)
            self._card = None
        self._context.release()

    def __enter__(self) -> PcscReader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"PcscReader({getattr(self, 'name', None)!r})"
