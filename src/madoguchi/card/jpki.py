"""The thin API the services use: JPKI operations as APDUs over any transport.

:class:`JpkiCard` speaks only APDUs to a :class:`Transport` (anything with
``transmit(bytes) -> bytes``): a :class:`~madoguchi.card.virtual.VirtualCard` in memory, or a
card in a PC/SC reader (:class:`~madoguchi.card.pcsc.PcscReader`). Status words become :mod:`madoguchi.card.errors` exceptions.

The APDUs it sends (SPEC.md §9; the issuer's are described in :mod:`madoguchi.card.applet`):

* read a certificate: ``00 A4 04 0C 0A <JPKI AID>``, ``00 A4 02 0C 02 <EF>``, then
  ``00 B0 <offset> 00`` in 256-byte chunks; the DER length in the first bytes says how many
  (an empty EF answers ``6B00`` at offset 0: no certificate, None);
* a PIN: SELECT its application and PIN EF, ``00 20 00 80 Lc <PIN>`` (or without data to
  read the counter); PINs are normalised (R-PIN-1: full width to ASCII, upper case) and
  checked for format before they are sent, so a typo of the wrong shape spends no try;
* sign: VERIFY the key's PIN, SELECT the key EF, ``80 2A 00 80 Lc <DigestInfo> 00``;
* any answer announced with ``61xx`` is fetched with ``00 C0 00 00 xx``.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Protocol

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from madoguchi.card.apdu import (
    CURRENT_EF,
    INS,
    MAX_LC,
    MAX_LE,
    SELECT_BY_AID,
    SELECT_EF,
    SELECT_NO_RESPONSE,
    SW,
    ResponseApdu,
    build_command,
    split_response,
    tries_left_of,
)
from madoguchi.card.element import KEY_BITS, PUBLIC_EXPONENT
from madoguchi.card.errors import (
    CardDataError,
    InvalidPinFormat,
    PinNotSet,
    error_for_status,
)
from madoguchi.card.layout import (
    CERT_SLOTS,
    PIN_SLOTS,
    Application,
)
from madoguchi.rules.pins import PinKind, check_pin
from madoguchi.rules.validity import CertKind

#: The DigestInfo prefix for SHA-256 (RFC 8017 §9.2 note 1).
SHA256_DIGEST_INFO_PREFIX = bytes.fromhex("3031300d060960864801650304020105000420")
_MAX_OFFSET = 0x7FFF
_MAX_GET_RESPONSES = 64


class Transport(Protocol):
    """Something a card answers through: a virtual card, a PC/SC reader."""

    def transmit(self, apdu: bytes) -> bytes: ...


def sha256_digest_info(digest: bytes) -> bytes:
    """The DigestInfo the card signs for a SHA-256 ``digest``."""
    if len(digest) != hashlib.sha256().digest_size:
        raise ValueError("a SHA-256 digest is 32 bytes")
    return SHA256_DIGEST_INFO_PREFIX + digest


def der_length(head: bytes) -> int:
    """The total length of the DER SEQUENCE that ``head`` begins (CardDataError if not one)."""
    if len(head) < 2 or head[0] != 0x30:
        raise CardDataError("the file does not hold a DER certificate")
    first = head[1]
    if first < 0x80:
        return 2 + first
    size = first & 0x7F
    if not 1 <= size <= 3 or len(head) < 2 + size:
        raise CardDataError("the certificate's DER length is not readable")
    return 2 + size + int.from_bytes(head[2 : 2 + size], "big")


class JpkiCard:
    """The JPKI application of a card behind ``transport``."""

    __slots__ = ("_transport",)

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    def __repr__(self) -> str:
        return f"JpkiCard({self._transport!r})"

    # -- holder operations ----------------------------------------------------------------

    def read_certificate(self, kind: CertKind, *, sign_password: str | None = None) -> bytes | None:
        """The card's certificate of ``kind`` (DER), None if it holds none.

        The signing certificate carries the four facts and needs ``sign_password`` (else
        SecurityStatusNotSatisfied, unless it was verified earlier in this session).
        """
        slot = CERT_SLOTS[CertKind(kind)]
        if sign_password is not None:
            if slot.kind is not CertKind.SIGN:
                raise ValueError("only the signing certificate needs the signing password")
            self.verify(PinKind.SIGN, sign_password)
        else:
            self._select_application(Application.JPKI)
        return self._read_der(slot.cert_ef)

    def read_ca_certificate(self, kind: CertKind) -> bytes | None:
        """The certificate of the CA that issued the card's certificate of ``kind``."""
        self._select_application(Application.JPKI)
        return self._read_der(CERT_SLOTS[CertKind(kind)].ca_ef)

    def tries_left(self, pin: PinKind) -> int:
        """R-PIN-2: wrong tries left before ``pin`` locks (0: locked); spends nothing."""
        kind = PinKind(pin)
        self._select_pin(kind)
        response = self._send(build_command(0x00, INS.VERIFY, 0x00, CURRENT_EF))
        if response.ok:  # verified in this session: the counter is full
            return kind.max_tries
        if response.sw == SW.PIN_LOCKED:
            return 0
        tries = tries_left_of(response.sw)
        if tries is None:
            raise error_for_status(response.sw, operation="VERIFY", pin=kind)
        return tries

    def verify(self, pin: PinKind, value: str) -> None:
        """VERIFY ``value``: WrongPin(tries_left), PinLocked, PinNotSet, InvalidPinFormat."""
        kind = PinKind(pin)
        normalized = self._checked(kind, value)
        self._select_pin(kind)
        command = build_command(0x00, INS.VERIFY, 0x00, CURRENT_EF, normalized.encode("ascii"))
        self._expect_ok(self._send(command), "VERIFY", pin=kind)

    def sign(self, kind: CertKind, pin_value: str, digest_info: bytes) -> bytes:
        """The card's PKCS#1 v1.5 signature over ``digest_info`` with the key of ``kind``."""
        slot = CERT_SLOTS[CertKind(kind)]
        if not 0 < len(digest_info) <= MAX_LC:
            raise ValueError("a DigestInfo is 1–255 bytes")
        self.verify(slot.pin, pin_value)
        self._select_ef(slot.key_ef)
        command = build_command(
            0x80, INS.COMPUTE_DIGITAL_SIGNATURE, 0x00, CURRENT_EF, digest_info, MAX_LE
        )
        response = self._send(command)
        self._expect_ok(response, "COMPUTE DIGITAL SIGNATURE")
        return response.data

    # -- issuer operations (the counter) ----------------------------------------------------

    def authenticate_issuer(self, issuer_key: bytes) -> None:
        """GET CHALLENGE, EXTERNAL AUTHENTICATE with HMAC-SHA256(issuer_key, challenge)."""
        response = self._send(build_command(0x00, INS.GET_CHALLENGE, 0x00, 0x00, le=8))
        self._expect_ok(response, "GET CHALLENGE")
        if len(response.data) != 8:
            raise CardDataError("the challenge is not 8 bytes")
        cryptogram = hmac.new(issuer_key, response.data, hashlib.sha256).digest()
        command = build_command(0x00, INS.EXTERNAL_AUTHENTICATE, 0x00, 0x00, cryptogram)
        self._expect_ok(self._send(command), "EXTERNAL AUTHENTICATE", issuer=True)

    def generate_key(self, kind: CertKind) -> bytes:
        """R-PROC-6: a new key pair on the card; returns the public key (DER SPKI).

        The old key of that kind and its certificate are gone from the card.
        """
        slot = CERT_SLOTS[CertKind(kind)]
        self._select_application(Application.JPKI)
        command = build_command(
            0x00, INS.GENERATE_ASYMMETRIC_KEY_PAIR, 0x00, 0x00, slot.key_ef.to_bytes(2, "big")
        )
        response = self._send(command)
        self._expect_ok(response, "GENERATE ASYMMETRIC KEY PAIR", issuer=True)
        try:
            public = serialization.load_der_public_key(response.data)
        except ValueError:
            raise CardDataError("the card's public key is not a DER SPKI") from None
        if not (
            isinstance(public, rsa.RSAPublicKey)
            and public.key_size == KEY_BITS
            and public.public_numbers().e == PUBLIC_EXPONENT
        ):
            raise CardDataError("the card's key is not RSA-2048 with e = 65537")
        return response.data

    def set_pin(self, pin: PinKind, value: str) -> None:
        """Set (or reset, R-PIN-2) ``pin`` to ``value``; its counter goes back to the maximum."""
        kind = PinKind(pin)
        normalized = self._checked(kind, value)
        self._select_pin(kind)
        command = build_command(
            0x00, INS.RESET_RETRY_COUNTER, 0x02, CURRENT_EF, normalized.encode("ascii")
        )
        self._expect_ok(self._send(command), "RESET RETRY COUNTER", issuer=True)

    def clear_pin(self, pin: PinKind) -> None:
        """R-FACE-1: the PIN removed (issuer only); the face-authentication card has none."""
        self._select_pin(PinKind(pin))
        command = build_command(0x00, INS.DELETE_FILE, 0x00, CURRENT_EF)
        self._expect_ok(self._send(command), "DELETE FILE", issuer=True)

    def delete_key(self, kind: CertKind) -> None:
        """R-FACE-1: the key slot of ``kind`` emptied, key and certificate (issuer only)."""
        slot = CERT_SLOTS[CertKind(kind)]
        self._select_application(Application.JPKI)
        command = build_command(0x00, INS.DELETE_FILE, 0x00, 0x00, slot.key_ef.to_bytes(2, "big"))
        self._expect_ok(self._send(command), "DELETE FILE", issuer=True)

    def pin_is_set(self, pin: PinKind) -> bool:
        """Whether ``pin`` is set (a PIN never set, or cleared on a face-authentication card,
        R-FACE-1, answers 'conditions not satisfied' to VERIFY without data)."""
        try:
            self.tries_left(pin)
        except PinNotSet:
            return False
        return True

    def write_certificate(self, kind: CertKind, der: bytes) -> None:
        """Put the card's certificate of ``kind`` (DER) on the card."""
        self._write_der(CERT_SLOTS[CertKind(kind)].cert_ef, der)

    def write_ca_certificate(self, kind: CertKind, der: bytes) -> None:
        """Put the certificate of the CA of ``kind`` on the card."""
        self._write_der(CERT_SLOTS[CertKind(kind)].ca_ef, der)

    # -- APDU plumbing ------------------------------------------------------------------------

    def _send(self, apdu: bytes) -> ResponseApdu:
        """Transmit; fetch the rest of a ``61xx`` answer with GET RESPONSE."""
        response = split_response(self._transport.transmit(apdu))
        data = response.data
        for _ in range(_MAX_GET_RESPONSES):
            if response.sw >> 8 != 0x61:
                return ResponseApdu(data, response.sw)
            le = response.sw & 0xFF or MAX_LE
            response = split_response(
                self._transport.transmit(build_command(0x00, INS.GET_RESPONSE, 0, 0, le=le))
            )
            data += response.data
        raise CardDataError("the card's answer never ends")

    @staticmethod
    def _expect_ok(
        response: ResponseApdu, operation: str, *, pin: PinKind | None = None, issuer: bool = False
    ) -> None:
        if not response.ok:
            raise error_for_status(response.sw, operation=operation, pin=pin, issuer=issuer)

    @staticmethod
    def _checked(kind: PinKind, value: str) -> str:
        check = check_pin(kind, value)
        if not check.valid:
            raise InvalidPinFormat(kind, check.problem)
        return check.normalized

    def _select_application(self, application: Application) -> None:
        aid = application.aid
        command = build_command(0x00, INS.SELECT, SELECT_BY_AID, SELECT_NO_RESPONSE, aid)
        self._expect_ok(self._send(command), f"SELECT {application.value}")

    def _select_ef(self, ef: int) -> None:
        command = build_command(
            0x00, INS.SELECT, SELECT_EF, SELECT_NO_RESPONSE, ef.to_bytes(2, "big")
        )
        self._expect_ok(self._send(command), f"SELECT EF {ef:04X}")

    def _select_pin(self, kind: PinKind) -> None:
        slot = PIN_SLOTS[kind]
        self._select_application(slot.application)
        self._select_ef(slot.ef)

    def _read_binary(self, offset: int, length: int) -> ResponseApdu:
        if offset > _MAX_OFFSET:
            raise CardDataError("the file is longer than READ BINARY can address")
        command = build_command(0x00, INS.READ_BINARY, offset >> 8, offset & 0xFF, le=length)
        return self._send(command)

    def _read_der(self, ef: int) -> bytes | None:
        self._select_ef(ef)
        first = self._read_binary(0, MAX_LE)
        if first.sw == SW.OFFSET_OUT_OF_RANGE:
            return None  # an empty EF: no certificate
        self._expect_ok(first, f"READ BINARY {ef:04X}")
        total = der_length(first.data)
        data = bytearray(first.data[:total])
        while len(data) < total:
            chunk = self._read_binary(len(data), min(MAX_LE, total - len(data)))
            self._expect_ok(chunk, f"READ BINARY {ef:04X}")
            if not chunk.data:
                raise CardDataError("the certificate on the card is truncated")
            data += chunk.data
        return bytes(data[:total])

    def _write_der(self, ef: int, der: bytes) -> None:
        try:
            whole = der_length(der[:6]) == len(der)
        except CardDataError:
            whole = False
        if not whole:
            raise ValueError("not one DER SEQUENCE: a certificate's length must match")
        self._select_application(Application.JPKI)
        self._select_ef(ef)
        erase = build_command(0x00, INS.ERASE_BINARY, 0x00, 0x00)
        self._expect_ok(self._send(erase), f"ERASE BINARY {ef:04X}", issuer=True)
        for offset in range(0, len(der), MAX_LC):
            if offset > _MAX_OFFSET:
                raise ValueError("the certificate is too long for the card")
            command = build_command(
                0x00, INS.UPDATE_BINARY, offset >> 8, offset & 0xFF, der[offset : offset + MAX_LC]
            )
            self._expect_ok(self._send(command), f"UPDATE BINARY {ef:04X}", issuer=True)
