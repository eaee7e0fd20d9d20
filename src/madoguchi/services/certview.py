"""The certificate display tool (証明書表示ツール) as data, for the CLI and the web page.

A certificate file (PEM or DER) is read, its kind and facts shown, and — when this CA issued
it — its current status looked up by serial. No lookup by name, number or phone (R-PROC-7).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature

from madoguchi.pki.errors import NotACertificate
from madoguchi.pki.facts import facts_from_certificate, substitutes_from_certificate
from madoguchi.pki.profiles import kind_of
from madoguchi.rules.dates import jst_date
from madoguchi.rules.revocation import CertStatus, RevocationReason
from madoguchi.rules.validity import CertKind
from madoguchi.services.ports import CertificateAuthority

MAX_CERT_BYTES = 64 * 1024


def load_certificate(data: bytes) -> x509.Certificate:
    """PEM or DER; :class:`NotACertificate` for anything else."""
    if len(data) > MAX_CERT_BYTES:
        raise NotACertificate("the file is too large for a certificate")
    try:
        if b"-----BEGIN" in data:
            cert = x509.load_pem_x509_certificate(data)
        else:
            cert = x509.load_der_x509_certificate(data)
        # cryptography parses lazily: read every field now, so that a damaged field is
        # refused here and not as an exception while the certificate is described
        _ = (cert.subject, cert.issuer, cert.extensions, cert.serial_number)
        _ = (cert.not_valid_before_utc, cert.not_valid_after_utc, cert.signature_hash_algorithm)
        cert.public_key()
        for ext in cert.extensions:
            _ = ext.value
    except Exception as exc:  # untrusted bytes: cryptography raises ValueError,
        # InvalidVersion, DuplicateExtension, UnsupportedAlgorithm … for damaged fields
        raise NotACertificate(f"not a certificate ({type(exc).__name__})") from exc
    return cert


def describe(cert: x509.Certificate) -> dict[str, Any]:
    """What the certificate display tool shows, as data."""
    kind = kind_of(cert)
    facts = facts_from_certificate(cert)
    subs = substitutes_from_certificate(cert) if facts else None
    return {
        "kind": kind.value if kind else None,
        "kind_label": kind.label if kind else "（マイナンバーカードの電子証明書ではありません）",
        "serial": f"{cert.serial_number:x}",
        "issuer": cert.issuer.rfc4514_string(),
        "subject": cert.subject.rfc4514_string(),
        "not_before": jst_date(cert.not_valid_before_utc),
        "not_after": jst_date(cert.not_valid_after_utc),
        "name": facts.name if facts else None,
        "address": facts.address if facts else None,
        "birth": facts.birth if facts else None,
        "gender": facts.gender if facts else None,
        # R-X509-2: the position fields as written and the characters they mark
        "name_positions": subs.name_positions if subs else None,
        "address_positions": subs.address_positions if subs else None,
        "name_substituted": _marked(subs.in_name) if subs else None,
        "address_substituted": _marked(subs.in_address) if subs else None,
    }


def _marked(marked: tuple[tuple[int, str], ...] | None) -> list[dict[str, Any]] | None:
    """R-X509-2: [{"index": 0, "character": "高"}, …]; None when the field is absent or
    does not fit its text."""
    if marked is None:
        return None
    return [{"index": i, "character": ch} for i, ch in marked]


@dataclass(frozen=True, slots=True)
class StatusView:
    """What the public check page tells: kind, expiry and the current status."""

    kind: CertKind | None
    serial_hex: str
    not_after: date | None
    ours: bool  # issued by this system's CA (the signature verifies)
    status: str  # good, revoked, held, expired, unknown
    changed_at: datetime | None = None
    superseded: bool = False  # revoked because a newer certificate replaced it (R-VAL-4)


def status_of(ca: CertificateAuthority, cert: x509.Certificate, today: date) -> StatusView:
    """The status of ``cert``: our CA's signature first, then the CA's record (the CA in
    this process or the CA service: the port)."""
    kind = kind_of(cert)
    serial = f"{cert.serial_number:x}"
    if kind is None:
        return StatusView(kind, serial, jst_date(cert.not_valid_after_utc), False, "unknown")
    try:
        cert.verify_directly_issued_by(x509.load_der_x509_certificate(ca.ca_certificate(kind)))
    except (ValueError, TypeError, InvalidSignature):
        return StatusView(kind, serial, jst_date(cert.not_valid_after_utc), False, "unknown")
    return status_by_serial(ca, kind, cert.serial_number, today)


def status_by_serial(
    ca: CertificateAuthority, kind: CertKind, serial: int, today: date
) -> StatusView:
    """The status of the certificate of ``kind`` and ``serial`` (the copy's data)."""
    record = ca.status(kind, serial)
    if record is None:
        return StatusView(kind, f"{serial:x}", None, False, "unknown")
    expires = jst_date(record.not_after)
    if record.status is CertStatus.REVOKED:
        status = "revoked"
    elif record.status is CertStatus.HELD:
        status = "held"
    elif expires < today:
        status = "expired"
    else:
        status = "good"
    superseded = status == "revoked" and record.reason is RevocationReason.SUPERSEDED
    return StatusView(
        kind, record.serial_hex, expires, True, status, record.status_changed_at, superseded
    )
