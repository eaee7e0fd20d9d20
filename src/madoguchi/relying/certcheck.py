"""The signer's certificate, checked by pyhanko-certvalidator: path, validity, revocation.

:func:`check_certificate` runs one validation and says what it found as a
:class:`CertCheck`, whose ``status`` is one of:

=========================  ===============================================================
``good``                   a path to a trust anchor, within validity, not revoked
``revoked``                OCSP or the CRL says revoked (``revoked_at``, ``reason``)
``expired``                past the certificate's (or a CA's) notAfter
``not_yet_valid``          before notBefore
``revocation_unavailable`` hard-fail: neither OCSP nor the CRL could be had, or too old
``untrusted``              no path to a trust anchor (another CA, a forged certificate …)
``wrong_usage``            not a signing certificate (no nonRepudiation)
=========================  ===============================================================

The validation context decides when and with what: now and fetching (the live check), or
at the signing time with only the OCSP answers and CRLs the document carries.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.errors import (
    ExpiredError,
    InsufficientRevinfoError,
    InvalidCertificateError,
    NotYetValidError,
    PathBuildingError,
    PathValidationError,
    RevokedError,
    ValidationError,
)

#: JPKI's signing certificates carry nonRepudiation (R-X509); auth certificates do not
SIGNING_KEY_USAGE = frozenset({"non_repudiation"})


@dataclass(frozen=True, slots=True)
class CertCheck:
    """One validation of the signer's certificate at ``moment``."""

    status: str
    moment: datetime
    revoked_at: datetime | None = None
    reason: str | None = None  # RFC 5280 reason, e.g. key_compromise
    trust_anchor: str | None = None
    detail: str = ""  # certvalidator's English message, for logs

    @property
    def good(self) -> bool:
        return self.status == "good"

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "checked_at": self.moment.isoformat(),
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
            "reason": self.reason,
        }


def _moment(context: ValidationContext) -> datetime:
    moment = getattr(context, "moment", None)
    return moment if isinstance(moment, datetime) else datetime.now(UTC)


async def check_certificate(
    cert: asn1_x509.Certificate,
    context: ValidationContext,
    *,
    intermediates: Iterable[asn1_x509.Certificate] = (),
) -> CertCheck:
    """Validate ``cert`` for signing in ``context``; never raises for a bad certificate."""
    moment = _moment(context)
    validator = CertificateValidator(
        cert, intermediate_certs=list(intermediates), validation_context=context
    )
    try:
        path = await validator.async_validate_usage(set(SIGNING_KEY_USAGE))
    except RevokedError as exc:
        return CertCheck(
            "revoked",
            moment,
            revoked_at=exc.revocation_dt,
            reason=str(exc.reason.native) if exc.reason is not None else None,
            detail=exc.failure_msg,
        )
    except ExpiredError as exc:
        return CertCheck("expired", moment, detail=exc.failure_msg)
    except NotYetValidError as exc:
        return CertCheck("not_yet_valid", moment, detail=exc.failure_msg)
    except InsufficientRevinfoError as exc:
        return CertCheck("revocation_unavailable", moment, detail=exc.failure_msg)
    except InvalidCertificateError as exc:
        return CertCheck("wrong_usage", moment, detail=exc.failure_msg)
    except (PathBuildingError, PathValidationError) as exc:
        return CertCheck("untrusted", moment, detail=str(exc))
    except ValidationError as exc:
        return CertCheck("untrusted", moment, detail=exc.failure_msg)
    anchor_cert = getattr(path.trust_anchor.authority, "certificate", None)
    anchor = (
        x509.load_der_x509_certificate(anchor_cert.dump()).subject.rfc4514_string()
        if anchor_cert is not None
        else path.trust_anchor.authority.name.human_friendly
    )
    return CertCheck("good", moment, trust_anchor=anchor)
