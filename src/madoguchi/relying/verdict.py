"""What a verification found: one :class:`SignatureVerdict` per signature, and the file's.

The JSON of ``madoguchi verify --json`` is :meth:`Verdict.to_json`; its keys (``valid``,
``signer``, ``signed_at``, ``revoked``, ``modified``, ``reason``, …) are documented in
docs/relying-parties.md. ``reason`` is a stable English code (None when valid), ``message``
the same in plain Japanese (:data:`madoguchi.relying.messages.VERDICT_MESSAGES`).

The order of the reasons is the order of what matters to a relying party: a document changed
after signing is reported as such even when its signer's certificate is also revoked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from madoguchi.relying.certcheck import CertCheck
from madoguchi.relying.messages import VERDICT_MESSAGES
from madoguchi.relying.trust import CertificateFacts, SignerFacts

#: certificate statuses of the live check, as verdict reasons
_STATUS_REASONS = {
    "revoked": "revoked",
    "expired": "expired",
    "not_yet_valid": "not_yet_valid",
    "revocation_unavailable": "revocation_unavailable",
    "untrusted": "untrusted",
    "wrong_usage": "wrong_usage",
}
#: verdict reasons that mean "could not decide now", not "the signature is bad"
INDETERMINATE = frozenset({"revocation_unavailable"})


@dataclass(frozen=True, slots=True)
class SignatureVerdict:
    """One signature: integrity, the signer, and the certificate checks."""

    format: str  # pdf, xml, cms
    signature_ok: bool  # the signature value verifies with the signer's public key
    modified: bool  # the document changed after signing (the signed bytes, or what follows)
    certificate: CertificateFacts | None
    signer: SignerFacts | None
    now: CertCheck | None  # the live check (None when the signature itself is broken)
    at_signing: CertCheck | None  # with the revocation data the document carries, if any
    signed_at: datetime | None  # as the signer's software wrote it (no timestamp authority)
    field_name: str | None = None  # a PDF's signature field
    coverage: str = "whole"  # whole, partial (an XML signature over a part only)
    notes: tuple[str, ...] = ()  # English details for logs

    @property
    def reason(self) -> str | None:
        if self.modified:
            return "modified"
        if not self.signature_ok:
            return "bad_signature"
        if self.coverage != "whole":
            return "partial_coverage"
        if self.now is None:
            return "bad_signature"
        return _STATUS_REASONS.get(self.now.status)

    @property
    def valid(self) -> bool:
        return self.reason is None

    @property
    def revoked(self) -> bool:
        return self.now is not None and self.now.status == "revoked"

    @property
    def message(self) -> str:
        return VERDICT_MESSAGES[self.reason or "valid"]

    def to_json(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "reason": self.reason,
            "message": self.message,
            "format": self.format,
            "signer": self.signer.to_json() if self.signer else None,
            "signed_at": self.signed_at.isoformat() if self.signed_at else None,
            "revoked": self.revoked,
            "revoked_at": (
                self.now.revoked_at.isoformat() if self.now and self.now.revoked_at else None
            ),
            "modified": self.modified,
            "signature_ok": self.signature_ok,
            "coverage": self.coverage,
            "certificate": self.certificate.to_json() if self.certificate else None,
            "trust_anchor": self.now.trust_anchor if self.now else None,
            "revocation": {
                "now": self.now.to_json() if self.now else None,
                "at_signing": self.at_signing.to_json() if self.at_signing else None,
            },
            "field": self.field_name,
        }


@dataclass(frozen=True, slots=True)
class Verdict:
    """A file's verdict: valid when every signature in it is."""

    format: str
    signatures: tuple[SignatureVerdict, ...] = field(default_factory=tuple)

    @property
    def first(self) -> SignatureVerdict:
        return self.signatures[0]

    @property
    def valid(self) -> bool:
        return bool(self.signatures) and all(s.valid for s in self.signatures)

    @property
    def reason(self) -> str | None:
        for signature in self.signatures:
            if signature.reason is not None:
                return signature.reason
        return None

    @property
    def indeterminate(self) -> bool:
        """Not decided: the revocation status could not be had (try again later)."""
        return self.reason in INDETERMINATE

    @property
    def message(self) -> str:
        return VERDICT_MESSAGES[self.reason or "valid"]

    def to_json(self) -> dict[str, Any]:
        """The first signature's keys at the top, every signature under ``signatures``."""
        top = self.first.to_json()
        top.update(
            valid=self.valid,
            reason=self.reason,
            message=self.message,
            format=self.format,
            signatures=[s.to_json() for s in self.signatures],
        )
        return top
