"""The PKI layer's errors (DESIGN.md convention 6): one class per failure, with its data.

Every error keeps a stable English ``code`` (logs, the API's ``detail``, the key of its
Japanese message in madoguchi/messages.py) and a ``detail`` for logs; the classes below also
carry what failed as attributes, so callers decide by class, never by comparing codes. The web
and the CLI map the classes to HTTP statuses and exit codes in one place each.
"""

from __future__ import annotations


class PkiError(Exception):
    """Base of every error raised by :mod:`madoguchi.pki`; ``code`` is stable English."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


# -- what a caller asked for does not exist --------------------------------------------------
class UnknownCertificate(PkiError):
    """No certificate of this CA has that serial."""

    def __init__(self, kind: str, serial: int) -> None:
        super().__init__("unknown_certificate", f"no {kind} certificate {serial:x}")
        self.kind = kind
        self.serial = serial


class NoCa(PkiError):
    """The CA has not been created yet (``madoguchi ca init``)."""

    def __init__(self) -> None:
        super().__init__("no_ca", "no CA yet: run `madoguchi ca init` first")


class CaExists(PkiError):
    """A CA or its key exists already and is never overwritten."""

    def __init__(self, what: str) -> None:
        super().__init__("ca_exists", f"{what} exists already; refusing to overwrite a CA")
        self.what = what


# -- bad input: a request, a key, a file -----------------------------------------------------
class InvalidInput(PkiError):
    """Input the PKI layer cannot use (a malformed value, a wrong size or type)."""


class KeyTypeError(InvalidInput):
    """The key is not of the type required (RSA)."""

    def __init__(self, what: str) -> None:
        super().__init__("key_type", f"{what} is not an RSA key of the right use")
        self.what = what


class KeySizeError(InvalidInput):
    def __init__(self, what: str, bits: int, expected: int) -> None:
        super().__init__("key_size", f"{what} is RSA-{bits}; RSA-{expected} is required")
        self.what, self.bits, self.expected = what, bits, expected


class FactsMissing(InvalidInput):
    """A signing certificate carries the holder's four facts."""

    def __init__(self) -> None:
        super().__init__("facts_missing", "a signing certificate carries the four facts")


class InvalidFacts(InvalidInput):
    """One of the four facts cannot go into a certificate (``field`` names which)."""

    def __init__(self, code: str, field: str, detail: str) -> None:
        super().__init__(code, detail)
        self.field = field


class PossessionNotProved(InvalidInput):
    """The card's signature over the challenge does not verify (R-PROC-6)."""

    def __init__(self, detail: str = "the card did not prove possession of the key") -> None:
        super().__init__("pop_failed", detail)


class BadChallenge(InvalidInput):
    def __init__(self, size: int, expected: int) -> None:
        super().__init__("pop_challenge", f"the challenge has {size} bytes, not {expected}")
        self.size, self.expected = size, expected


_FIELD_LABELS = {"name": "氏名", "address": "住所"}


class UnsupportedCharacter(InvalidInput):
    """R-X509-2: the name or address has a character outside JIS X 0208/0212 with no
    substitute; the clerk enters the registry's substitute (or its kana)."""

    def __init__(self, field: str, character: str) -> None:
        codepoints = " ".join(f"U+{ord(c):04X}" for c in character)
        super().__init__(
            "unsupported_character",
            f"the {field} has {character!r} ({codepoints}), outside JIS X 0208/0212 "
            "and without a substitute",
        )
        self.field = field
        self.character = character
        self.codepoints = codepoints

    @property
    def params(self) -> dict[str, str]:
        """The data the Japanese message names (messages.PKI_MESSAGES)."""
        return {
            "field": _FIELD_LABELS.get(self.field, self.field),
            "character": self.character,
            "codepoints": self.codepoints,
        }


class NotACertificate(InvalidInput):
    """Bytes that are not a certificate in PEM or DER."""

    def __init__(self, reason: str) -> None:
        super().__init__("not_a_certificate", reason)
        self.reason = reason


class MalformedOcspRequest(InvalidInput):
    """An OCSP request this responder cannot answer (RFC 6960 malformedRequest)."""

    def __init__(self, reason: str) -> None:
        super().__init__("ocsp_malformed", reason)
        self.reason = reason


class InvalidCrlInput(InvalidInput):
    """A value a CRL cannot carry (a naive time, a serial out of range, a bad template …)."""


class ProfileViolation(PkiError):
    """A certificate would break the profile (outlive its CA, bad subject key …)."""


# -- keys and their storage --------------------------------------------------------------------
class KeyStoreError(PkiError):
    """A CA key cannot be loaded, unsealed or created."""


class KeyMissing(KeyStoreError):
    def __init__(self, where: str) -> None:
        super().__init__("key_missing", f"no key at {where}")
        self.where = where


class WrongPassphrase(KeyStoreError):
    def __init__(self, what: str) -> None:
        super().__init__("key_passphrase", f"cannot decrypt {what}: wrong passphrase?")
        self.what = what


class NoPassphrase(KeyStoreError):
    def __init__(self) -> None:
        super().__init__("no_passphrase", "keys are never kept unencrypted")


class BadKeyReference(KeyStoreError):
    def __init__(self, ref: str) -> None:
        super().__init__("key_ref", f"not a key reference: {ref!r}")
        self.ref = ref


class HsmError(KeyStoreError):
    """The PKCS#11 module, token or key failed (``code``: hsm_pin, hsm_token_missing, …)."""


class BadSignature(PkiError):
    """A signer produced something that does not verify (a broken HSM or key)."""

    def __init__(self, what: str) -> None:
        super().__init__("bad_signature", f"the signer made a {what} that does not verify")
        self.what = what
