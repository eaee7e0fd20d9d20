"""The virtual card's secure memory: PINs, private keys, certificate files, issuer key.

Nothing here speaks APDUs (that is :mod:`madoguchi.card.applet`); this is what a card's chip
keeps between sessions, and the only place private keys live (R-PROC-6). No method returns
private key material: keys are generated here, used here to sign, and leave only inside the
AES-256-GCM sealed state that :class:`~madoguchi.card.virtual.CardVault` writes to disk.
A ``CardMemory`` cannot be pickled or copied.

PINs are kept as salted scrypt hashes (RFC 7914; N=2^14, r=8, p=1, 16-byte salt), never in
clear — in memory and inside the sealed state — with their retry counters (R-PIN-2).

The sealed state is ``MAGIC || nonce(12) || AES-256-GCM(JSON state)`` with the magic and the
card id as associated data, so a file renamed to another card's id does not open either.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
from typing import Any, NoReturn, SupportsIndex

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa, utils
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from madoguchi.card.errors import CardTampered, InvalidCardId
from madoguchi.card.layout import (
    CERT_SLOTS,
    CERTIFICATE_EFS,
    EF_TOKEN_INFO,
    TOKEN_INFO,
)
from madoguchi.rules.pins import PinKind, tries_left_after_failure
from madoguchi.rules.validity import CertKind

KEY_BITS = 2048
PUBLIC_EXPONENT = 65537
ISSUER_KEY_BYTES = 32
VAULT_KEY_BYTES = 32
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
SALT_BYTES = 16
SEALED_MAGIC = b"MADOGUCHI-CARD\x00\x01"
NONCE_BYTES = 12
_FORMAT = 1
CARD_ID_PATTERN = re.compile(r"VC[0-9A-F]{16}")

#: DigestInfo prefixes the card signs (RFC 8017 §9.2 note 1); anything else is refused.
_DIGEST_INFOS: tuple[tuple[bytes, hashes.HashAlgorithm], ...] = (
    (bytes.fromhex("3031300d060960864801650304020105000420"), hashes.SHA256()),
    (bytes.fromhex("3041300d060960864801650304020205000430"), hashes.SHA384()),
    (bytes.fromhex("3051300d060960864801650304020305000440"), hashes.SHA512()),
)


def new_card_id() -> str:
    """An opaque card id: ``VC`` and 16 upper-case hex digits (never 12 digits)."""
    return "VC" + secrets.token_hex(8).upper()


def check_card_id(card_id: str) -> str:
    if not isinstance(card_id, str) or not CARD_ID_PATTERN.fullmatch(card_id):
        raise InvalidCardId(f"not a card id: {card_id!r}")
    return card_id


def split_digest_info(digest_info: bytes) -> tuple[hashes.HashAlgorithm, bytes]:
    """The hash and digest of a SHA-256/384/512 DigestInfo; ValueError for anything else."""
    for prefix, algorithm in _DIGEST_INFOS:
        if digest_info.startswith(prefix) and len(digest_info) == len(prefix) + (
            algorithm.digest_size
        ):
            return algorithm, digest_info[len(prefix) :]
    raise ValueError("not a SHA-256, SHA-384 or SHA-512 DigestInfo")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: Any) -> bytes:
    if not isinstance(text, str):
        raise TypeError("expected base64 text")
    return base64.b64decode(text, validate=True)


class PinRecord:
    """One PIN: its salted hash (None: never set) and its retry counter (R-PIN-2)."""

    __slots__ = ("_digest", "_params", "_salt", "kind", "tries_left")

    def __init__(
        self,
        kind: PinKind,
        *,
        salt: bytes = b"",
        digest: bytes | None = None,
        params: tuple[int, int, int] = (SCRYPT_N, SCRYPT_R, SCRYPT_P),
        tries_left: int | None = None,
    ) -> None:
        self.kind = PinKind(kind)
        self._salt = salt
        self._digest = digest
        self._params = params
        self.tries_left = kind.max_tries if tries_left is None else tries_left

    @property
    def is_set(self) -> bool:
        return self._digest is not None

    @property
    def is_locked(self) -> bool:
        return self.tries_left <= 0

    def _hash(self, value: bytes) -> bytes:
        n, r, p = self._params
        return hashlib.scrypt(value, salt=self._salt, n=n, r=r, p=p, dklen=32)

    def matches(self, candidate: bytes) -> bool:
        return self._digest is not None and hmac.compare_digest(self._hash(candidate), self._digest)

    def set_value(self, value: str) -> None:
        """A new PIN (already checked against R-PIN-1): new salt, counter back to the maximum."""
        self._salt = secrets.token_bytes(SALT_BYTES)
        self._params = (SCRYPT_N, SCRYPT_R, SCRYPT_P)
        self._digest = self._hash(value.encode("ascii"))
        self.tries_left = self.kind.max_tries

    def clear(self) -> None:
        """R-FACE-1: no PIN any more (a face-authentication card); set again on the switch back."""
        self._salt = b""
        self._digest = None
        self.tries_left = self.kind.max_tries

    def record_success(self) -> None:
        self.tries_left = self.kind.max_tries

    def record_failure(self) -> None:
        self.tries_left = tries_left_after_failure(self.kind, self.tries_left)

    def to_json(self) -> dict[str, Any]:
        return {
            "salt": _b64(self._salt),
            "hash": None if self._digest is None else _b64(self._digest),
            "scrypt": list(self._params),
            "tries_left": self.tries_left,
        }

    @classmethod
    def from_json(cls, kind: PinKind, data: dict[str, Any]) -> PinRecord:
        n, r, p = (int(x) for x in data["scrypt"])
        digest = None if data["hash"] is None else _unb64(data["hash"])
        tries = int(data["tries_left"])
        if not 0 <= tries <= kind.max_tries:
            raise ValueError("retry counter out of range")
        return cls(
            kind, salt=_unb64(data["salt"]), digest=digest, params=(n, r, p), tries_left=tries
        )

    def __repr__(self) -> str:
        return f"PinRecord({self.kind.value}, set={self.is_set}, tries_left={self.tries_left})"


class CardMemory:
    """What the chip keeps: card id, issuer key, four PINs, two key slots, certificate EFs."""

    __slots__ = ("_card_id", "_files", "_issuer_key", "_keys", "_pins")

    def __init__(
        self,
        card_id: str,
        issuer_key: bytes,
        pins: dict[PinKind, PinRecord],
        keys: dict[CertKind, rsa.RSAPrivateKey],
        files: dict[int, bytes],
    ) -> None:
        if len(issuer_key) != ISSUER_KEY_BYTES:
            raise ValueError(f"the issuer key is {ISSUER_KEY_BYTES} bytes")
        self._card_id = check_card_id(card_id)
        self._issuer_key = bytes(issuer_key)
        self._pins = pins
        self._keys = keys
        self._files = files

    @classmethod
    def blank(cls, issuer_key: bytes, card_id: str | None = None) -> CardMemory:
        """A card fresh from the factory: no PIN set, no key, no certificate."""
        pins = {kind: PinRecord(kind) for kind in PinKind}
        files = dict.fromkeys(CERTIFICATE_EFS, b"")
        return cls(new_card_id() if card_id is None else card_id, issuer_key, pins, {}, files)

    @property
    def card_id(self) -> str:
        return self._card_id

    def pin(self, kind: PinKind) -> PinRecord:
        return self._pins[PinKind(kind)]

    def has_key(self, kind: CertKind) -> bool:
        return CertKind(kind) in self._keys

    def generate_key(self, kind: CertKind) -> bytes:
        """R-PROC-6: a new RSA-2048 key in the slot, replacing the old one and its certificate.

        Returns the public key as DER SubjectPublicKeyInfo.
        """
        kind = CertKind(kind)
        key = rsa.generate_private_key(public_exponent=PUBLIC_EXPONENT, key_size=KEY_BITS)
        self._keys[kind] = key
        self._files[CERT_SLOTS[kind].cert_ef] = b""
        return key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def delete_key(self, kind: CertKind) -> None:
        """R-FACE-1: the slot emptied, key and certificate (the face-authentication card has
        no `sign` key); a new one is generated after the switch back (R-FACE-2)."""
        kind = CertKind(kind)
        self._keys.pop(kind, None)
        self._files[CERT_SLOTS[kind].cert_ef] = b""

    def sign(self, kind: CertKind, digest_info: bytes) -> bytes:
        """EMSA-PKCS1-v1_5 over ``digest_info`` with the slot's key (KeyError: no key)."""
        algorithm, digest = split_digest_info(digest_info)
        key = self._keys[CertKind(kind)]
        return key.sign(digest, padding.PKCS1v15(), utils.Prehashed(algorithm))

    def issuer_cryptogram_ok(self, challenge: bytes, cryptogram: bytes) -> bool:
        expected = hmac.new(self._issuer_key, challenge, hashlib.sha256).digest()
        return hmac.compare_digest(expected, cryptogram)

    def read_file(self, ef: int) -> bytes:
        return TOKEN_INFO if ef == EF_TOKEN_INFO else self._files[ef]

    def write_file(self, ef: int, content: bytes) -> None:
        if ef not in self._files:
            raise KeyError(ef)
        self._files[ef] = bytes(content)

    # -- persistence ---------------------------------------------------------------------

    def _plain_state(self) -> bytes:
        state = {
            "format": _FORMAT,
            "card_id": self._card_id,
            "issuer_key": _b64(self._issuer_key),
            "pins": {kind.value: rec.to_json() for kind, rec in self._pins.items()},
            "keys": {
                kind.value: _b64(
                    key.private_bytes(
                        serialization.Encoding.DER,
                        serialization.PrivateFormat.PKCS8,
                        serialization.NoEncryption(),
                    )
                )
                for kind, key in self._keys.items()
            },
            "files": {f"{ef:04X}": _b64(content) for ef, content in self._files.items()},
        }
        return json.dumps(state, sort_keys=True).encode("ascii")

    @classmethod
    def _from_plain_state(cls, plain: bytes) -> CardMemory:
        state = json.loads(plain)
        if state["format"] != _FORMAT:
            raise ValueError(f"unknown card state format {state['format']!r}")
        pins = {kind: PinRecord.from_json(kind, state["pins"][kind.value]) for kind in PinKind}
        keys: dict[CertKind, rsa.RSAPrivateKey] = {}
        for name, der in state["keys"].items():
            # authenticated by AES-GCM and written by this module: the (slow) RSA
            # consistency check would only re-check what the card generated itself
            key = serialization.load_der_private_key(
                _unb64(der), password=None, unsafe_skip_rsa_key_validation=True
            )
            if not isinstance(key, rsa.RSAPrivateKey):
                raise TypeError("a card key is RSA")
            keys[CertKind(name)] = key
        files = {int(ef, 16): _unb64(content) for ef, content in state["files"].items()}
        if set(files) != set(CERTIFICATE_EFS):
            raise ValueError("the card state has the wrong files")
        return cls(state["card_id"], _unb64(state["issuer_key"]), pins, keys, files)

    def seal(self, vault_key: bytes) -> bytes:
        """The whole state, encrypted and authenticated with AES-256-GCM under ``vault_key``."""
        nonce = secrets.token_bytes(NONCE_BYTES)
        aad = SEALED_MAGIC + self._card_id.encode("ascii")
        return SEALED_MAGIC + nonce + AESGCM(vault_key).encrypt(nonce, self._plain_state(), aad)

    @classmethod
    def unseal(cls, blob: bytes, vault_key: bytes, card_id: str) -> CardMemory:
        """Open what :meth:`seal` wrote for ``card_id``; CardTampered if it does not open."""
        check_card_id(card_id)
        head = len(SEALED_MAGIC) + NONCE_BYTES
        if len(blob) < head + 16 or not blob.startswith(SEALED_MAGIC):
            raise CardTampered(f"{card_id}: not a sealed card state")
        nonce = blob[len(SEALED_MAGIC) : head]
        try:
            plain = AESGCM(vault_key).decrypt(
                nonce, blob[head:], SEALED_MAGIC + card_id.encode("ascii")
            )
        except InvalidTag:
            raise CardTampered(f"{card_id}: wrong vault key or altered file") from None
        try:
            memory = cls._from_plain_state(plain)
        except (ValueError, TypeError, KeyError) as exc:
            raise CardTampered(f"{card_id}: unreadable card state ({exc})") from None
        if memory.card_id != card_id:
            raise CardTampered(f"{card_id}: the state is another card's")
        return memory

    def __repr__(self) -> str:
        keys = ",".join(sorted(k.value for k in getattr(self, "_keys", {}))) or "none"
        return f"CardMemory({getattr(self, '_card_id', '?')}, keys={keys})"

    def __reduce_ex__(self, protocol: SupportsIndex) -> NoReturn:
        raise TypeError("card memory cannot be pickled or copied (R-PROC-6)")
