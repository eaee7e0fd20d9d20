"""Where CA keys live: encrypted key files (default) or a PKCS#11 token (HSM).

A key store creates a CA key, names it with a ``key_ref`` kept in the store, and loads it
again. Responder keys are short-lived software keys sealed with the same passphrase.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from madoguchi.pki.errors import (
    BadKeyReference,
    CaExists,
    KeyTypeError,
    NoPassphrase,
    WrongPassphrase,
)
from madoguchi.pki.signer import KeySigner, Signer, load_key_file, save_key_file
from madoguchi.rules.validity import CertKind


class KeyStore(Protocol):
    def create(self, kind: CertKind) -> tuple[Signer, str]: ...
    def load(self, key_ref: str) -> Signer: ...
    def seal(self, key: KeySigner) -> bytes: ...
    def unseal(self, blob: bytes) -> KeySigner: ...


class _Sealing:
    def __init__(self, passphrase: bytes) -> None:
        if not passphrase:
            raise NoPassphrase()
        self._passphrase = passphrase

    def seal(self, key: KeySigner) -> bytes:
        return key.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(self._passphrase),
        )

    def unseal(self, blob: bytes) -> KeySigner:
        try:
            key = serialization.load_pem_private_key(blob, self._passphrase)
        except (ValueError, TypeError) as exc:
            raise WrongPassphrase("a responder key") from exc
        if not isinstance(key, rsa.RSAPrivateKey):
            raise KeyTypeError("a responder key")
        return KeySigner(key)


class FileKeyStore(_Sealing):
    """CA keys as PKCS#8 files encrypted with the passphrase, mode 0600, in ``directory``."""

    def __init__(self, directory: Path, passphrase: bytes) -> None:
        super().__init__(passphrase)
        self.directory = directory

    def create(self, kind: CertKind) -> tuple[Signer, str]:
        name = f"{kind.value}-ca.key.pem"
        path = self.directory / name
        if path.exists():
            raise CaExists(str(path))
        signer = KeySigner.generate()
        save_key_file(signer, path, self._passphrase)
        return signer, f"file:{name}"

    def load(self, key_ref: str) -> Signer:
        scheme, _, name = key_ref.partition(":")
        if scheme != "file" or "/" in name or not name:
            raise BadKeyReference(key_ref)
        return load_key_file(self.directory / name, self._passphrase)


class Pkcs11KeyStore(_Sealing):
    """CA keys generated in and used from a PKCS#11 token; they never leave it."""

    def __init__(self, module: str, token: str, pin: str, passphrase: bytes) -> None:
        super().__init__(passphrase)
        self.module, self.token, self.pin = module, token, pin

    def create(self, kind: CertKind) -> tuple[Signer, str]:
        from madoguchi.pki.pkcs11_signer import Pkcs11Signer

        label = f"madoguchi-{kind.value}-ca"
        signer = Pkcs11Signer.generate_in_token(self.module, self.token, self.pin, label)
        return signer, f"pkcs11:{label}"

    def load(self, key_ref: str) -> Signer:
        from madoguchi.pki.pkcs11_signer import Pkcs11Signer

        scheme, _, label = key_ref.partition(":")
        if scheme != "pkcs11" or not label:
            raise BadKeyReference(key_ref)
        return Pkcs11Signer(self.module, self.token, self.pin, label)
