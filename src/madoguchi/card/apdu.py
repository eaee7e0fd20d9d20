"""ISO/IEC 7816-4 short command APDUs and status words, as the virtual card speaks them.

A command APDU is ``CLA INS P1 P2 [Lc data] [Le]`` (short form only):

===========  ====================================  ======================
case         bytes                                 meaning
===========  ====================================  ======================
1            ``CLA INS P1 P2``                     no data, no answer
2            ``CLA INS P1 P2 Le``                  answer of up to Le bytes
3            ``CLA INS P1 P2 Lc data``             data, no answer
4            ``CLA INS P1 P2 Lc data Le``          data and an answer
===========  ====================================  ======================

``Lc`` is 1–255; ``Le`` 1–255, with ``00`` meaning 256. Extended APDUs (``Lc = 00`` followed
by two length bytes) are not supported: the card answers ``6700``. :func:`parse_command`
raises :class:`~madoguchi.card.errors.MalformedApdu` (carrying the status word to answer) on
anything else; :func:`build_command` is its inverse, for the client side.

A response is ``[data] SW1 SW2``. The status words the card uses are the members of
:class:`SW`, plus two families: ``63Cx`` (a wrong PIN, *x* tries left, :func:`sw_tries_left`)
and ``61xx`` (*xx* more bytes to fetch with GET RESPONSE, :func:`sw_bytes_remaining`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from madoguchi.card.errors import CardDataError, MalformedApdu

MAX_LC = 255
MAX_LE = 256


class SW(IntEnum):
    """Named status words (ISO/IEC 7816-4 §5.6)."""

    OK = 0x9000
    #: EXTERNAL AUTHENTICATE: the issuer's cryptogram is wrong (no counter).
    VERIFICATION_FAILED = 0x6300
    WRONG_LENGTH = 0x6700
    #: The current EF cannot do that (READ BINARY on a key EF, VERIFY on a certificate EF).
    INCOMPATIBLE_FILE = 0x6981
    SECURITY_STATUS_NOT_SATISFIED = 0x6982
    #: Authentication method blocked: the PIN is locked (R-PIN-2).
    PIN_LOCKED = 0x6983
    #: Conditions of use not satisfied (no PIN set yet, no key generated, no challenge).
    CONDITIONS_NOT_SATISFIED = 0x6985
    #: Command not allowed: no current EF.
    NO_CURRENT_EF = 0x6986
    INCORRECT_DATA = 0x6A80
    FILE_NOT_FOUND = 0x6A82
    NOT_ENOUGH_MEMORY = 0x6A84
    WRONG_P1P2 = 0x6A86
    OFFSET_OUT_OF_RANGE = 0x6B00
    INS_NOT_SUPPORTED = 0x6D00
    CLA_NOT_SUPPORTED = 0x6E00
    #: No precise diagnosis: what a card answers when something went wrong inside it.
    NO_PRECISE_DIAGNOSIS = 0x6F00


class INS(IntEnum):
    """The instructions the virtual card knows (ISO/IEC 7816-4/-8 codes)."""

    ERASE_BINARY = 0x0E
    VERIFY = 0x20
    COMPUTE_DIGITAL_SIGNATURE = 0x2A  # PERFORM SECURITY OPERATION, CLA 80 on JPKI
    RESET_RETRY_COUNTER = 0x2C
    GENERATE_ASYMMETRIC_KEY_PAIR = 0x46
    EXTERNAL_AUTHENTICATE = 0x82
    GET_CHALLENGE = 0x84
    SELECT = 0xA4
    READ_BINARY = 0xB0
    GET_RESPONSE = 0xC0
    UPDATE_BINARY = 0xD6
    DELETE_FILE = 0xE4  # ISO/IEC 7816-9; issuer only: a key slot or the selected PIN (R-FACE-1)


#: SELECT P1: by DF name (AID) and by file identifier; P2 0C: no response data.
SELECT_BY_AID = 0x04
SELECT_EF = 0x02
SELECT_NO_RESPONSE = 0x0C
#: VERIFY / COMPUTE DIGITAL SIGNATURE / RESET RETRY COUNTER P2: "the currently selected EF".
CURRENT_EF = 0x80


def sw_tries_left(tries_left: int) -> int:
    """``63Cx``: verification failed, ``x`` tries left (0–15)."""
    if not 0 <= tries_left <= 0x0F:
        raise ValueError(f"tries left out of range: {tries_left}")
    return 0x63C0 | tries_left


def sw_bytes_remaining(remaining: int) -> int:
    """``61xx``: ``xx`` more response bytes are waiting (``00``: 256 or more)."""
    if remaining <= 0:
        raise ValueError("nothing remains")
    return 0x6100 | (remaining if remaining < MAX_LE else 0)


def tries_left_of(sw: int) -> int | None:
    """The ``x`` of a ``63Cx`` status word, else None."""
    return sw & 0x0F if sw & 0xFFF0 == 0x63C0 else None


def is_known_status_word(sw: int) -> bool:
    """Is ``sw`` one the virtual card can answer (a member of SW, ``63Cx`` or ``61xx``)?"""
    return sw in SW._value2member_map_ or sw & 0xFFF0 == 0x63C0 or sw & 0xFF00 == 0x6100


@dataclass(frozen=True, slots=True)
class CommandApdu:
    """A parsed short command APDU; ``le`` is the expected length 1–256 (None: absent)."""

    cla: int
    ins: int
    p1: int
    p2: int
    data: bytes = b""
    le: int | None = None

    @property
    def p1p2(self) -> int:
        return self.p1 << 8 | self.p2


def parse_command(raw: bytes) -> CommandApdu:
    """Parse a short command APDU; raise MalformedApdu(sw=6700) on any length problem."""
    if len(raw) < 4:
        raise MalformedApdu("an APDU has at least four header bytes")
    cla, ins, p1, p2 = raw[0], raw[1], raw[2], raw[3]
    body = raw[4:]
    if not body:  # case 1
        return CommandApdu(cla, ins, p1, p2)
    if len(body) == 1:  # case 2
        return CommandApdu(cla, ins, p1, p2, le=body[0] or MAX_LE)
    lc = body[0]
    if lc == 0:
        raise MalformedApdu("extended-length APDUs are not supported")
    if len(body) == 1 + lc:  # case 3
        return CommandApdu(cla, ins, p1, p2, data=bytes(body[1:]))
    if len(body) == 2 + lc:  # case 4
        return CommandApdu(cla, ins, p1, p2, data=bytes(body[1:-1]), le=body[-1] or MAX_LE)
    raise MalformedApdu(f"Lc says {lc} data bytes, the APDU body has {len(body) - 1}")


def build_command(
    cla: int, ins: int, p1: int, p2: int, data: bytes = b"", le: int | None = None
) -> bytes:
    """Encode a short command APDU (``le`` 1–256; 256 is sent as ``00``)."""
    for name, value in (("CLA", cla), ("INS", ins), ("P1", p1), ("P2", p2)):
        if not 0 <= value <= 0xFF:
            raise ValueError(f"{name} out of range: {value}")
    if len(data) > MAX_LC:
        raise ValueError(f"a short APDU carries at most {MAX_LC} data bytes, not {len(data)}")
    if le is not None and not 1 <= le <= MAX_LE:
        raise ValueError(f"Le out of range: {le}")
    apdu = bytes([cla, ins, p1, p2])
    if data:
        apdu += bytes([len(data)]) + data
    if le is not None:
        apdu += bytes([le % MAX_LE])
    return apdu


@dataclass(frozen=True, slots=True)
class ResponseApdu:
    """A response: data and the status word."""

    data: bytes
    sw: int

    @property
    def ok(self) -> bool:
        return self.sw == SW.OK


def split_response(raw: bytes) -> ResponseApdu:
    """Split ``data SW1 SW2``; a response shorter than two bytes is CardDataError."""
    if len(raw) < 2:
        raise CardDataError(f"a response has at least two status bytes, got {len(raw)}")
    return ResponseApdu(bytes(raw[:-2]), raw[-2] << 8 | raw[-1])


def encode_response(data: bytes, sw: int) -> bytes:
    return data + sw.to_bytes(2, "big")
