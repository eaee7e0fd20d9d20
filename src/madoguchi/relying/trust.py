"""Trust anchors and the validation contexts of pyhanko-certvalidator, in hard-fail mode.

A signature is trusted when the signer's certificate chains to an anchor the relying party
chose: our CAs (the CA certificates of the data directory, or those the web service runs
with), or certificates given with ``--trust`` (files or directories of PEM/DER, e.g. the real
J-LIS CA certificates for real cards).

Revocation is checked in pyhanko-certvalidator's ``hard-fail`` mode: for every certificate
that declares OCSP or a CRL, OCSP first and, when it gives no answer, the CRL; when neither
can be had, the certificate is not accepted (never "probably good").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.fetchers.aiohttp_fetchers import AIOHttpFetcherBackend

from madoguchi.pki.facts import GENDER_LABELS, facts_from_certificate
from madoguchi.pki.profiles import kind_of
from madoguchi.relying.errors import TrustError
from madoguchi.rules.dates import format_japanese, jst_date

#: seconds per OCSP or CRL request before it counts as unreachable
FETCH_TIMEOUT = 10
_MAX_ANCHOR_FILE = 256 * 1024
_PEM_BEGIN = b"-----BEGIN CERTIFICATE-----"


def _certificates_in(data: bytes, source: str) -> list[x509.Certificate]:
    try:
        if _PEM_BEGIN in data:
            return x509.load_pem_x509_certificates(data)
        return [x509.load_der_x509_certificate(data)]
    except ValueError:
        raise TrustError("bad_trust_anchor", f"{source} is not a certificate") from None


def load_anchors(paths: Iterable[Path]) -> list[x509.Certificate]:
    """The CA certificates in ``paths`` (files, or directories of ``*.pem|der|cer|crt``)."""
    anchors: list[x509.Certificate] = []
    for path in paths:
        files = (
            sorted(
                p
                for p in path.iterdir()
                if p.suffix.lower() in {".pem", ".der", ".cer", ".crt"} and p.is_file()
            )
            if path.is_dir()
            else [path]
        )
        if not files:
            raise TrustError("bad_trust_anchor", f"no certificate file in {path}")
        for file in files:
            try:
                if file.stat().st_size > _MAX_ANCHOR_FILE:
                    raise TrustError("bad_trust_anchor", f"{file} is too large")
                data = file.read_bytes()
            except OSError:
                raise TrustError("bad_trust_anchor", f"cannot read {file}") from None
            for cert in _certificates_in(data, str(file)):
                if not _is_ca(cert):
                    raise TrustError("bad_trust_anchor", f"{file} is not a CA certificate")
                anchors.append(cert)
    return anchors


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def to_asn1(cert: x509.Certificate | bytes) -> asn1_x509.Certificate:
    der = cert if isinstance(cert, bytes) else cert.public_bytes(Encoding.DER)
    return asn1_x509.Certificate.load(der)


def from_asn1(cert: asn1_x509.Certificate) -> x509.Certificate:
    return x509.load_der_x509_certificate(cert.dump())


def fetching_backend() -> AIOHttpFetcherBackend:
    """One HTTP client for OCSP, CRLs and caIssuers; close it with ``await backend.close()``."""
    return AIOHttpFetcherBackend(per_request_timeout=FETCH_TIMEOUT)


def live_context(
    anchors: Sequence[x509.Certificate],
    backend: AIOHttpFetcherBackend,
    *,
    other_certs: Iterable[x509.Certificate] = (),
) -> ValidationContext:
    """Now, fetching OCSP then the CRL, hard-fail."""
    if not anchors:
        raise TrustError("no_trust_anchor", "no CA certificate to trust")
    return ValidationContext(
        trust_roots=[to_asn1(a) for a in anchors],
        other_certs=[to_asn1(c) for c in other_certs],
        allow_fetching=True,
        revocation_mode="hard-fail",
        fetcher_backend=backend,
    )


def at_moment(anchors: Sequence[x509.Certificate], moment: datetime) -> dict[str, Any]:
    """Arguments of a context at ``moment`` (the signing time) that fetches nothing: only the
    OCSP answers and CRLs the document carries count (pyHanko's DSS adds them)."""
    if not anchors:
        raise TrustError("no_trust_anchor", "no CA certificate to trust")
    return {
        "trust_roots": [to_asn1(a) for a in anchors],
        "moment": moment,
        "allow_fetching": False,
        "revocation_mode": "hard-fail",
    }


@dataclass(frozen=True, slots=True)
class SignerFacts:
    """The four facts of the signing certificate (SPEC.md §8), as the verdict shows them."""

    name: str
    address: str
    birth: date
    gender: str  # 1 male, 2 female, 3 unknown (as the certificate writes it)

    @property
    def birth_ja(self) -> str:
        return format_japanese(self.birth)

    @property
    def gender_label(self) -> str:
        return GENDER_LABELS.get(self.gender, self.gender)

    def to_json(self) -> dict[str, str]:
        return {
            "name": self.name,
            "address": self.address,
            "birth": self.birth.isoformat(),
            "birth_ja": self.birth_ja,
            "gender": self.gender,
            "gender_label": self.gender_label,
        }


def signer_facts(cert: x509.Certificate) -> SignerFacts | None:
    """The four facts (pki/facts.py reads the otherNames), or None for a foreign cert."""
    try:
        facts = facts_from_certificate(cert)
    except Exception:  # untrusted bytes: a damaged otherName is "no facts", not a crash
        return None
    if facts is None:
        return None
    return SignerFacts(facts.name, facts.address, facts.birth, facts.gender)


@dataclass(frozen=True, slots=True)
class CertificateFacts:
    """What the verdict says about the signer's certificate itself."""

    serial: str
    issuer: str
    subject: str
    not_before: date
    not_after: date
    kind: str | None  # sign, auth, or None when it is no JPKI certificate

    def to_json(self) -> dict[str, Any]:
        return {
            "serial": self.serial,
            "issuer": self.issuer,
            "subject": self.subject,
            "not_before": self.not_before.isoformat(),
            "not_after": self.not_after.isoformat(),
            "kind": self.kind,
        }


def certificate_facts(cert: x509.Certificate) -> CertificateFacts:
    kind = kind_of(cert)
    return CertificateFacts(
        serial=f"{cert.serial_number:x}",
        issuer=cert.issuer.rfc4514_string(),
        subject=cert.subject.rfc4514_string(),
        not_before=jst_date(cert.not_valid_before_utc),
        not_after=jst_date(cert.not_valid_after_utc),
        kind=kind.value if kind else None,
    )
