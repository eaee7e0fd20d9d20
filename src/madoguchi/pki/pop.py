"""Proof of possession: the card signs a fresh challenge bound to its public key.

The CA issues only for a key whose private half demonstrably sits on the card (R-PROC-6):
the counter asks the CA for a challenge, the card signs
``DigestInfo(SHA-256("madoguchi-pop-v1" || challenge || SubjectPublicKeyInfo))`` with the
new key through its signing APDU, and the CA checks the signature before it signs anything.
"""

from __future__ import annotations

import hashlib
import secrets

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa, utils

from madoguchi.pki.der import digest_info_sha256
from madoguchi.pki.errors import BadChallenge, PossessionNotProved

_DOMAIN = b"madoguchi-pop-v1"
CHALLENGE_BYTES = 32


def new_challenge() -> bytes:
    return secrets.token_bytes(CHALLENGE_BYTES)


def pop_digest(challenge: bytes, spki_der: bytes) -> bytes:
    if len(challenge) != CHALLENGE_BYTES:
        raise BadChallenge(len(challenge), CHALLENGE_BYTES)
    return hashlib.sha256(_DOMAIN + challenge + spki_der).digest()


def pop_digest_info(challenge: bytes, spki_der: bytes) -> bytes:
    """What the card is asked to sign (its signing APDU takes a DigestInfo)."""
    return digest_info_sha256(pop_digest(challenge, spki_der))


def verify_pop(
    public_key: rsa.RSAPublicKey, spki_der: bytes, challenge: bytes, signature: bytes
) -> None:
    """Raise :class:`PossessionNotProved` unless ``signature`` proves the private key."""
    try:
        public_key.verify(
            signature,
            pop_digest(challenge, spki_der),
            padding.PKCS1v15(),
            utils.Prehashed(hashes.SHA256()),
        )
    except InvalidSignature as exc:
        raise PossessionNotProved() from exc
