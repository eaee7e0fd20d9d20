"""The card's signing key, wherever the card is: the one interface signing needs.

A :class:`SigningKey` gives the signing certificate, the CA certificates the card carries,
and RSASSA-PKCS1-v1_5 signatures with SHA-256 (the only scheme JPKI cards compute). The
private key never leaves the card: each signature is one COMPUTE DIGITAL SIGNATURE (or one
``C_Sign``) over data hashed here.

* :class:`JpkiSigningKey` — :class:`~madoguchi.card.jpki.JpkiCard` over any transport: a
  card in a PC/SC reader (:class:`~madoguchi.card.pcsc.PcscReader`, the project's own JPKI
  path) or a test card of the vault (:class:`~madoguchi.card.virtual.VirtualCard`). The
  signing password is verified when the certificate is read (JPKI protects the signing
  certificate with it); a wrong one raises :class:`~madoguchi.card.errors.WrongPin` with the
  tries left, a locked one :class:`~madoguchi.card.errors.PinLocked`.
* :class:`Pkcs11SigningKey` — any PKCS#11 module through python-pkcs11, e.g. OpenSC's
  ``opensc-pkcs11.so``, whose JPKI emulation shows the signing key as the private key
  labelled ``Digital Signature Key`` on the token ``JPKI (Digital Signature PIN)``. PKCS#11
  says a PIN was wrong but not how many tries are left; the token's flags (count low, final
  try) are passed on when the module sets them.

The password is held only as long as the key object, never logged, never in ``repr``.
"""

from __future__ import annotations

import hashlib
from types import TracebackType
from typing import Any, Protocol

from cryptography import x509

from madoguchi.card.jpki import JpkiCard, sha256_digest_info
from madoguchi.relying.errors import Pkcs11Failure, SigningRefused
from madoguchi.rules.validity import CertKind

#: OpenSC's JPKI emulation: the signing key's label, and the word in its token's label
JPKI_SIGN_KEY_LABEL = "Digital Signature Key"
JPKI_SIGN_TOKEN_WORD = "Digital Signature"


class SigningKey(Protocol):
    """A card's signing key: its certificate, the CA certificates it carries, signatures."""

    @property
    def certificate(self) -> bytes:
        """The signing certificate (DER)."""
        ...

    @property
    def ca_certificates(self) -> tuple[bytes, ...]:
        """CA certificates the card carries (DER); may be empty."""
        ...

    def sign_sha256(self, data: bytes) -> bytes:
        """RSASSA-PKCS1-v1_5 with SHA-256 over ``data``."""
        ...


class JpkiSigningKey:
    """The signing key of a JPKI card behind any transport (a reader, a vault card)."""

    __slots__ = ("_ca", "_card", "_certificate", "_password")

    def __init__(self, card: JpkiCard, password: str) -> None:
        self._card = card
        self._password = password
        der = card.read_certificate(CertKind.SIGN, sign_password=password)
        if der is None:
            raise SigningRefused("no_sign_certificate", "the card holds no signing certificate")
        self._certificate = der
        ca = card.read_ca_certificate(CertKind.SIGN)
        self._ca = (ca,) if ca else ()

    @property
    def certificate(self) -> bytes:
        return self._certificate

    @property
    def ca_certificates(self) -> tuple[bytes, ...]:
        return self._ca

    def sign_sha256(self, data: bytes) -> bytes:
        digest = hashlib.sha256(data).digest()
        return self._card.sign(CertKind.SIGN, self._password, sha256_digest_info(digest))

    def __repr__(self) -> str:
        return f"JpkiSigningKey({self._card!r})"


def _pkcs11() -> Any:
    import pkcs11  # python-pkcs11: imported only when a PKCS#11 module is used

    return pkcs11


class Pkcs11SigningKey:
    """The signing key on a PKCS#11 token (OpenSC's module for a My Number card).

    ``token_label``: the token to log in to; by default the one whose label contains
    ``Digital Signature`` (OpenSC's JPKI token of the signing key), or the only token.
    ``reader``: only tokens in slots whose description starts with it (OpenSC describes a
    slot by its reader's name) — several cards have tokens of the same label. Logging in
    to the wrong token would spend a try of another PIN, so an ambiguous choice is refused,
    never guessed. Use as a context manager (the session is closed at the end).
    """

    __slots__ = ("_ca", "_certificate", "_key", "_session")

    def __init__(
        self,
        module: str,
        password: str,
        *,
        key_label: str = JPKI_SIGN_KEY_LABEL,
        token_label: str | None = None,
        reader: str | None = None,
    ) -> None:
        p11 = _pkcs11()
        try:
            lib = p11.lib(module)
        except (RuntimeError, OSError, p11.exceptions.PKCS11Error) as exc:
            raise Pkcs11Failure("pkcs11_module", f"cannot load {module}: {exc}") from None
        try:
            tokens = list(lib.get_tokens())
        except p11.exceptions.PKCS11Error as exc:
            raise Pkcs11Failure("pkcs11_error", type(exc).__name__) from None
        token = _choose_token(tokens, token_label, reader)
        self._ca = _public_ca_certificates(p11, tokens)
        try:
            self._session = token.open(user_pin=password)
        except p11.exceptions.PinIncorrect:
            raise Pkcs11Failure(
                "pkcs11_wrong_pin", "CKR_PIN_INCORRECT", hint=_pin_hint(p11, token)
            ) from None
        except p11.exceptions.PinLocked:
            raise Pkcs11Failure("pkcs11_pin_locked", "CKR_PIN_LOCKED") from None
        except p11.exceptions.PKCS11Error as exc:
            raise Pkcs11Failure("pkcs11_error", f"C_Login: {type(exc).__name__}") from None
        try:
            self._key, self._certificate = _key_and_certificate(p11, self._session, key_label)
        except BaseException:
            self._session.close()
            raise

    @property
    def certificate(self) -> bytes:
        return self._certificate

    @property
    def ca_certificates(self) -> tuple[bytes, ...]:
        return self._ca

    def sign_sha256(self, data: bytes) -> bytes:
        p11 = _pkcs11()
        try:
            return bytes(self._key.sign(data, mechanism=p11.Mechanism.SHA256_RSA_PKCS))
        except p11.exceptions.PKCS11Error as exc:
            raise Pkcs11Failure("pkcs11_error", f"C_Sign: {type(exc).__name__}") from None

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> Pkcs11SigningKey:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return "Pkcs11SigningKey()"


def _choose_token(tokens: list[Any], wanted: str | None, reader: str | None) -> Any:
    if reader is not None:
        tokens = [t for t in tokens if str(t.slot.slot_description).strip().startswith(reader)]
    labels = [str(t.label).strip() for t in tokens]
    if wanted is not None:
        chosen = [t for t, label in zip(tokens, labels, strict=True) if label == wanted]
    else:
        chosen = [
            t for t, label in zip(tokens, labels, strict=True) if JPKI_SIGN_TOKEN_WORD in label
        ]
        if not chosen and len(tokens) == 1:
            chosen = tokens
    if len(chosen) != 1:
        found = ", ".join(repr(label) for label in labels) or "none"
        raise Pkcs11Failure("pkcs11_token", f"{len(chosen)} tokens match; tokens: {found}")
    return chosen[0]


def _public_ca_certificates(p11: Any, tokens: list[Any]) -> tuple[bytes, ...]:
    """The CA certificates readable without a login (OpenSC shows the card's CA there)."""
    found: list[bytes] = []
    for token in tokens:
        try:
            with token.open() as session:
                for obj in session.get_objects({p11.Attribute.CLASS: p11.ObjectClass.CERTIFICATE}):
                    der = bytes(obj[p11.Attribute.VALUE])
                    if _is_ca(der) and der not in found:
                        found.append(der)
        except p11.exceptions.PKCS11Error:
            continue
    return tuple(found)


def _is_ca(der: bytes) -> bool:
    try:
        cert = x509.load_der_x509_certificate(der)
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except (ValueError, x509.ExtensionNotFound):
        return False


def _key_and_certificate(p11: Any, session: Any, label: str) -> tuple[Any, bytes]:
    try:
        key = session.get_key(object_class=p11.ObjectClass.PRIVATE_KEY, label=label)
    except (p11.exceptions.NoSuchKey, p11.exceptions.MultipleObjectsReturned):
        raise Pkcs11Failure("pkcs11_no_key", f"no single private key labelled {label!r}") from None
    query: dict[Any, Any] = {p11.Attribute.CLASS: p11.ObjectClass.CERTIFICATE}
    key_id = key[p11.Attribute.ID]
    if key_id:
        query[p11.Attribute.ID] = key_id
    certificates = [bytes(obj[p11.Attribute.VALUE]) for obj in session.get_objects(query)]
    if len(certificates) != 1:
        raise Pkcs11Failure("pkcs11_no_key", f"{len(certificates)} certificates match the key")
    return key, certificates[0]


def _pin_hint(p11: Any, token: Any) -> str | None:
    """What the token's flags tell about the tries left (PKCS#11 has no counter)."""
    try:
        flags = p11.TokenFlag(token.slot.get_token().flags)
    except p11.exceptions.PKCS11Error:
        return None
    if p11.TokenFlag.USER_PIN_LOCKED in flags:
        return "locked"
    if p11.TokenFlag.USER_PIN_FINAL_TRY in flags:
        return "final_try"
    if p11.TokenFlag.USER_PIN_COUNT_LOW in flags:
        return "count_low"
    return None
