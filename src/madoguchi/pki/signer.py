"""Signing keys behind one protocol (DESIGN.md convention 4).

A :class:`Signer` signs bytes with RSASSA-PKCS1-v1_5 / SHA-256 (sha256WithRSAEncryption, the
algorithm of R-X509). Where the key is a software key, :attr:`Signer.private_key` exposes it
so that cryptography's builders sign in one step; an HSM signer returns None there and the
artefact is signed through :meth:`Signer.sign` (see :mod:`madoguchi.pki.der`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from madoguchi.pki.errors import (
    KeyMissing,
    KeySizeError,
    KeyTypeError,
    NoPassphrase,
    WrongPassphrase,
)

RSA_BITS = 2048
RSA_EXPONENT = 65537


@runtime_checkable
class Signer(Protocol):
    """An RSA-2048 signing key, wherever it lives."""

    @property
    def public_key(self) -> rsa.RSAPublicKey: ...

    @property
    def private_key(self) -> rsa.RSAPrivateKey | None:
        """The software key, or None when the key cannot leave its device."""
        ...

    def sign(self, data: bytes) -> bytes:
        """sha256WithRSAEncryption over ``data``."""
        ...


class KeySigner:
    """A software RSA key held in memory (loaded from an encrypted file by :func:`load_key_file`)."""

    def __init__(self, key: rsa.RSAPrivateKey) -> None:
        if key.key_size != RSA_BITS:
            raise KeySizeError("a CA key", key.key_size, RSA_BITS)
        self._key = key

    @classmethod
    def generate(cls) -> KeySigner:
        return cls(rsa.generate_private_key(public_exponent=RSA_EXPONENT, key_size=RSA_BITS))

    @property
    def public_key(self) -> rsa.RSAPublicKey:
        return self._key.public_key()

    @property
    def private_key(self) -> rsa.RSAPrivateKey:
        return self._key

    def sign(self, data: bytes) -> bytes:
        return self._key.sign(data, padding.PKCS1v15(), hashes.SHA256())


def save_key_file(signer: KeySigner, path: Path, passphrase: bytes) -> None:
    """Write the key encrypted at rest (PKCS#8, best available encryption), mode 0600."""
    if not passphrase:
        raise NoPassphrase()
    pem = signer.private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(pem)
    tmp.chmod(0o600)
    tmp.replace(path)


def load_key_file(path: Path, passphrase: bytes) -> KeySigner:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), passphrase)
    except FileNotFoundError as exc:
        raise KeyMissing(str(path)) from exc
    except (ValueError, TypeError) as exc:
        raise WrongPassphrase(str(path)) from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise KeyTypeError(str(path))
    return KeySigner(key)
