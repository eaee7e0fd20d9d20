"""The card's command interpreter: the JPKI application and the two PIN-only applications.

Holder commands (SPEC.md §9, R-CARD-AP):

=================================  =========================================================
``00 A4 04 0C Lc AID``             SELECT application (P2 ``00`` also accepted; no FCI)
``00 A4 02 0C 02 EF``              SELECT EF in the current application
``00 B0 P1P2 Le``                  READ BINARY at offset P1P2 (15 bits; Le ``00`` = 256).
                                   Answers what there is up to Le bytes; offset ≥ the
                                   file's length → ``6B00`` (an empty EF is ``6B00`` at 0).
                                   EF ``0001`` needs the signing password (``6982``);
                                   key and PIN EFs are never readable (``6981``).
``00 20 00 80 [Lc PIN]``           VERIFY the selected PIN EF → ``9000`` / ``63Cx`` /
                                   ``6983`` locked / ``6985`` never set. Without data it
                                   spends nothing and always answers the counter,
                                   ``63Cx`` (``63C0`` locked), verified or not — as real
                                   JPKI cards do, and as OpenSC's ``jpki`` driver expects.
``80 2A 00 80 Lc DigestInfo 00``   COMPUTE DIGITAL SIGNATURE with the selected key EF
                                   (``0017``/``001A``) after its PIN (``6982``); the card
                                   pads with EMSA-PKCS1-v1_5. SHA-256/384/512 DigestInfos
                                   only (else ``6A80``); no key yet → ``6985``.
``00 C0 00 00 Le``                 GET RESPONSE: the rest of an answer longer than Le (or
                                   256) bytes, announced by ``61xx``
=================================  =========================================================

Issuer commands (the counter; proprietary, refused with ``6982`` until EXTERNAL
AUTHENTICATE succeeded in this session):

=================================  =========================================================
``00 84 00 00 08``                 GET CHALLENGE: 8 random bytes (open to anyone)
``00 82 00 00 20 cryptogram``      EXTERNAL AUTHENTICATE: HMAC-SHA256(issuer key,
                                   challenge); the challenge is used once; ``6300`` if wrong
``00 46 00 00 02 keyEF``           GENERATE ASYMMETRIC KEY PAIR in ``0017``/``001A`` (JPKI
                                   selected): a new RSA-2048 key, e = 65537; the old key and
                                   that kind's certificate are gone. Answers the DER
                                   SubjectPublicKeyInfo (294 bytes: 256 + ``6126``, then
                                   GET RESPONSE)
``00 2C 02 80 Lc newPIN``          RESET RETRY COUNTER of the selected PIN EF with a new
                                   value: counter back to the maximum; R-PIN-1 checked on
                                   the card (``6A80``; upper-case ASCII only)
``00 D6 P1P2 Lc data``             UPDATE BINARY of a certificate EF at offset P1P2; may
                                   extend the file (no gaps: offset > length → ``6B00``;
                                   over 4096 bytes → ``6A84``)
``00 0E P1P2``                     ERASE BINARY: the certificate EF ends at offset P1P2
                                   (``00 0E 00 00`` empties it) — the way to set its length
=================================  =========================================================

CLA is ``00`` (``80`` for COMPUTE DIGITAL SIGNATURE); another class → ``6E00``, an unknown
instruction → ``6D00``. Selecting another application ends the PIN verifications of the one
left. A card never raises: any internal failure answers ``6F00``.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from madoguchi.card.apdu import (
    CURRENT_EF,
    INS,
    MAX_LE,
    SELECT_BY_AID,
    SELECT_EF,
    SW,
    CommandApdu,
    encode_response,
    parse_command,
    sw_bytes_remaining,
    sw_tries_left,
)
from madoguchi.card.element import CardMemory
from madoguchi.card.errors import MalformedApdu
from madoguchi.card.layout import (
    APPLICATION_BY_AID,
    CERT_KIND_BY_KEY_EF,
    CERT_SLOTS,
    CERTIFICATE_EF_CAPACITY,
    CERTIFICATE_EFS,
    PIN_BY_EF,
    READ_NEEDS_PIN,
    Application,
    EfType,
    ef_type,
)
from madoguchi.rules.pins import PinKind, check_pin

CHALLENGE_BYTES = 8
CRYPTOGRAM_BYTES = 32


class Refusal(Exception):
    """A command refused with a status word (state changes made before it stay)."""

    def __init__(self, sw: int) -> None:
        super().__init__(f"{sw:04X}")
        self.sw = sw


@dataclass(slots=True)
class Session:
    """What a power cycle forgets: selections, verified PINs, issuer authentication."""

    application: Application | None = None
    ef: int | None = None
    verified: set[PinKind] = field(default_factory=set)
    issuer: bool = False
    challenge: bytes | None = None
    pending: bytes = b""


def execute(memory: CardMemory, session: Session, raw: bytes) -> bytes:
    """Run one command APDU; always answers ``data SW1 SW2``, never raises."""
    if len(raw) < 2 or raw[1] != INS.GET_RESPONSE:
        session.pending = b""  # any other command, even a malformed one, drops the rest
    try:
        cmd = parse_command(raw)
        handler = _handler(cmd)
        if cmd.ins in _ISSUER_ONLY and not session.issuer:
            raise Refusal(SW.SECURITY_STATUS_NOT_SATISFIED)
        data = handler(_Context(memory, session), cmd)
    except MalformedApdu:
        return encode_response(b"", SW.WRONG_LENGTH)
    except Refusal as refusal:
        return encode_response(b"", refusal.sw)
    except Exception:  # a card answers, whatever went wrong inside it
        return encode_response(b"", SW.NO_PRECISE_DIAGNOSIS)
    chunk = cmd.le or MAX_LE
    if len(data) > chunk:
        session.pending = data[chunk:]
        return encode_response(data[:chunk], sw_bytes_remaining(len(session.pending)))
    return encode_response(data, SW.OK)


@dataclass(frozen=True, slots=True)
class _Context:
    memory: CardMemory
    session: Session

    def current(self, *types: EfType) -> tuple[Application, int]:
        """The current application and EF, which must be of one of ``types``."""
        app, ef = self.session.application, self.session.ef
        if app is None or ef is None:
            raise Refusal(SW.NO_CURRENT_EF)
        if ef_type(app, ef) not in types:
            raise Refusal(SW.INCOMPATIBLE_FILE)
        return app, ef

    def current_certificate_ef(self) -> int:
        app, ef = self.current(EfType.DATA)
        if app is not Application.JPKI or ef not in CERTIFICATE_EFS:
            raise Refusal(SW.INCOMPATIBLE_FILE)
        return ef


def _require(condition: bool, sw: int) -> None:
    if not condition:
        raise Refusal(sw)


def _offset(cmd: CommandApdu) -> int:
    _require(not cmd.p1 & 0x80, SW.WRONG_P1P2)  # short EF ids in P1 are not supported
    return cmd.p1p2


def _select(ctx: _Context, cmd: CommandApdu) -> bytes:
    _require(cmd.p2 in (0x00, 0x0C), SW.WRONG_P1P2)
    session = ctx.session
    if cmd.p1 == SELECT_BY_AID:
        _require(bool(cmd.data), SW.WRONG_LENGTH)
        app = APPLICATION_BY_AID.get(cmd.data)
        _require(app is not None, SW.FILE_NOT_FOUND)
        if app is not session.application:
            session.verified.clear()  # leaving an application ends its verifications
            session.application = app
        session.ef = None
        return b""
    _require(cmd.p1 == SELECT_EF, SW.WRONG_P1P2)
    _require(len(cmd.data) == 2, SW.WRONG_LENGTH)
    ef = int.from_bytes(cmd.data, "big")
    _require(
        session.application is not None and ef_type(session.application, ef) is not None,
        SW.FILE_NOT_FOUND,
    )
    session.ef = ef
    return b""


def _read_binary(ctx: _Context, cmd: CommandApdu) -> bytes:
    offset = _offset(cmd)
    _require(not cmd.data and cmd.le is not None, SW.WRONG_LENGTH)
    app, ef = ctx.current(EfType.DATA)
    needs = READ_NEEDS_PIN.get((app, ef))
    _require(needs is None or needs in ctx.session.verified, SW.SECURITY_STATUS_NOT_SATISFIED)
    content = ctx.memory.read_file(ef)
    _require(offset < len(content), SW.OFFSET_OUT_OF_RANGE)
    return content[offset : offset + (cmd.le or MAX_LE)]


def _verify(ctx: _Context, cmd: CommandApdu) -> bytes:
    _require((cmd.p1, cmd.p2) == (0x00, CURRENT_EF), SW.WRONG_P1P2)
    _require(cmd.le is None, SW.WRONG_LENGTH)
    kind = PIN_BY_EF[ctx.current(EfType.PIN)]
    record = ctx.memory.pin(kind)
    _require(record.is_set, SW.CONDITIONS_NOT_SATISFIED)
    if not cmd.data:  # R-PIN-2: asking costs nothing, and is always told the counter
        raise Refusal(sw_tries_left(record.tries_left))
    _require(not record.is_locked, SW.PIN_LOCKED)
    verified = ctx.session.verified
    if record.matches(cmd.data):
        record.record_success()
        verified.add(kind)
        return b""
    record.record_failure()
    verified.discard(kind)
    raise Refusal(sw_tries_left(record.tries_left))


def _compute_signature(ctx: _Context, cmd: CommandApdu) -> bytes:
    _require((cmd.p1, cmd.p2) == (0x00, CURRENT_EF), SW.WRONG_P1P2)
    _require(bool(cmd.data), SW.WRONG_LENGTH)
    _, ef = ctx.current(EfType.KEY)
    kind = CERT_KIND_BY_KEY_EF[ef]
    _require(CERT_SLOTS[kind].pin in ctx.session.verified, SW.SECURITY_STATUS_NOT_SATISFIED)
    _require(ctx.memory.has_key(kind), SW.CONDITIONS_NOT_SATISFIED)
    try:
        return ctx.memory.sign(kind, cmd.data)
    except ValueError:
        raise Refusal(SW.INCORRECT_DATA) from None


def _get_response(ctx: _Context, cmd: CommandApdu) -> bytes:
    _require((cmd.p1, cmd.p2) == (0x00, 0x00), SW.WRONG_P1P2)
    _require(not cmd.data and cmd.le is not None, SW.WRONG_LENGTH)
    pending, ctx.session.pending = ctx.session.pending, b""
    _require(bool(pending), SW.CONDITIONS_NOT_SATISFIED)
    return pending


def _get_challenge(ctx: _Context, cmd: CommandApdu) -> bytes:
    _require((cmd.p1, cmd.p2) == (0x00, 0x00), SW.WRONG_P1P2)
    _require(not cmd.data and cmd.le == CHALLENGE_BYTES, SW.WRONG_LENGTH)
    ctx.session.challenge = secrets.token_bytes(CHALLENGE_BYTES)
    return ctx.session.challenge


def _external_authenticate(ctx: _Context, cmd: CommandApdu) -> bytes:
    _require((cmd.p1, cmd.p2) == (0x00, 0x00), SW.WRONG_P1P2)
    _require(len(cmd.data) == CRYPTOGRAM_BYTES and cmd.le is None, SW.WRONG_LENGTH)
    session = ctx.session
    challenge, session.challenge = session.challenge, None  # a challenge is used once
    if challenge is None:
        raise Refusal(SW.CONDITIONS_NOT_SATISFIED)
    session.issuer = ctx.memory.issuer_cryptogram_ok(challenge, cmd.data)
    _require(session.issuer, SW.VERIFICATION_FAILED)
    return b""


def _generate_key(ctx: _Context, cmd: CommandApdu) -> bytes:
    _require((cmd.p1, cmd.p2) == (0x00, 0x00), SW.WRONG_P1P2)
    _require(len(cmd.data) == 2, SW.WRONG_LENGTH)
    kind = CERT_KIND_BY_KEY_EF.get(int.from_bytes(cmd.data, "big"))
    if ctx.session.application is not Application.JPKI or kind is None:
        raise Refusal(SW.FILE_NOT_FOUND)
    return ctx.memory.generate_key(kind)


def _reset_retry_counter(ctx: _Context, cmd: CommandApdu) -> bytes:
    _require((cmd.p1, cmd.p2) == (0x02, CURRENT_EF), SW.WRONG_P1P2)
    _require(bool(cmd.data) and cmd.le is None, SW.WRONG_LENGTH)
    kind = PIN_BY_EF[ctx.current(EfType.PIN)]
    try:
        value = cmd.data.decode("ascii")
    except UnicodeDecodeError:
        raise Refusal(SW.INCORRECT_DATA) from None
    check = check_pin(kind, value)
    _require(check.valid and check.normalized == value, SW.INCORRECT_DATA)  # R-PIN-1
    ctx.memory.pin(kind).set_value(value)
    ctx.session.verified.discard(kind)
    return b""


def _delete_file(ctx: _Context, cmd: CommandApdu) -> bytes:
    """R-FACE-1, issuer only: P2 = the current EF clears the selected PIN; P2 = 00 with a key
    EF id empties that key slot (key and certificate)."""
    _require(cmd.p1 == 0x00 and cmd.p2 in (0x00, CURRENT_EF), SW.WRONG_P1P2)
    _require(cmd.le is None, SW.WRONG_LENGTH)
    if cmd.p2 == CURRENT_EF:
        _require(not cmd.data, SW.WRONG_LENGTH)
        kind = PIN_BY_EF[ctx.current(EfType.PIN)]
        ctx.memory.pin(kind).clear()
        ctx.session.verified.discard(kind)
        return b""
    _require(len(cmd.data) == 2, SW.WRONG_LENGTH)
    cert_kind = CERT_KIND_BY_KEY_EF.get(int.from_bytes(cmd.data, "big"))
    if ctx.session.application is not Application.JPKI or cert_kind is None:
        raise Refusal(SW.FILE_NOT_FOUND)
    ctx.memory.delete_key(cert_kind)
    return b""


def _update_binary(ctx: _Context, cmd: CommandApdu) -> bytes:
    offset = _offset(cmd)
    _require(bool(cmd.data) and cmd.le is None, SW.WRONG_LENGTH)
    ef = ctx.current_certificate_ef()
    content = ctx.memory.read_file(ef)
    _require(offset <= len(content), SW.OFFSET_OUT_OF_RANGE)
    updated = content[:offset] + cmd.data + content[offset + len(cmd.data) :]
    _require(len(updated) <= CERTIFICATE_EF_CAPACITY, SW.NOT_ENOUGH_MEMORY)
    ctx.memory.write_file(ef, updated)
    return b""


def _erase_binary(ctx: _Context, cmd: CommandApdu) -> bytes:
    offset = _offset(cmd)
    _require(not cmd.data and cmd.le is None, SW.WRONG_LENGTH)
    ef = ctx.current_certificate_ef()
    content = ctx.memory.read_file(ef)
    _require(offset <= len(content), SW.OFFSET_OUT_OF_RANGE)
    ctx.memory.write_file(ef, content[:offset])
    return b""


_Handler = Callable[[_Context, CommandApdu], bytes]

_COMMANDS: dict[tuple[int, int], _Handler] = {
    (0x00, INS.SELECT): _select,
    (0x00, INS.READ_BINARY): _read_binary,
    (0x00, INS.VERIFY): _verify,
    (0x80, INS.COMPUTE_DIGITAL_SIGNATURE): _compute_signature,
    (0x00, INS.GET_RESPONSE): _get_response,
    (0x00, INS.GET_CHALLENGE): _get_challenge,
    (0x00, INS.EXTERNAL_AUTHENTICATE): _external_authenticate,
    (0x00, INS.GENERATE_ASYMMETRIC_KEY_PAIR): _generate_key,
    (0x00, INS.RESET_RETRY_COUNTER): _reset_retry_counter,
    (0x00, INS.UPDATE_BINARY): _update_binary,
    (0x00, INS.ERASE_BINARY): _erase_binary,
    (0x00, INS.DELETE_FILE): _delete_file,
}
_ISSUER_ONLY = frozenset(
    {
        INS.GENERATE_ASYMMETRIC_KEY_PAIR,
        INS.RESET_RETRY_COUNTER,
        INS.UPDATE_BINARY,
        INS.ERASE_BINARY,
        INS.DELETE_FILE,
    }
)
_KNOWN_INS = frozenset(ins for _, ins in _COMMANDS)


def _handler(cmd: CommandApdu) -> _Handler:
    handler = _COMMANDS.get((cmd.cla, cmd.ins))
    if handler is not None:
        return handler
    known_class = cmd.cla in {cla for cla, _ in _COMMANDS}
    raise Refusal(
        SW.INS_NOT_SUPPORTED if known_class and cmd.ins not in _KNOWN_INS else SW.CLA_NOT_SUPPORTED
    )
