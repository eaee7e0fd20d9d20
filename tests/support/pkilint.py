"""pkilint (DigiCert's RFC 5280 / RFC 6960 linter, PyPI) as the independent judge of what the
CA writes: certificates, CRLs and OCSP responses, each as DER (issue 14, item 14).

:func:`lint` returns every finding of ERROR or FATAL severity, less the ones docs/pki.md
names as choices of the JPKI profile (:data:`JPKI_PROFILE_CHOICES`, filtered by their code
only, never by severity).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pkilint import document, loader, pkix
from pkilint.pkix import certificate, crl, extension, name, ocsp
from pkilint.validation import ValidationFindingSeverity

Kind = Literal["certificate", "crl", "ocsp"]
FAILING = (ValidationFindingSeverity.ERROR, ValidationFindingSeverity.FATAL)

# finding code → why the profile keeps it (docs/pki.md, "What pkilint says")
JPKI_PROFILE_CHOICES: dict[str, str] = {}


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str
    where: str
    message: str | None

    def __str__(self) -> str:
        return f"{self.code} ({self.severity}) at {self.where}: {self.message or ''}"


def _certificate_validator():  # type: ignore[no-untyped-def]
    return certificate.create_pkix_certificate_validator_container(
        certificate.create_decoding_validators(
            name.ATTRIBUTE_TYPE_MAPPINGS, extension.EXTENSION_MAPPINGS
        ),
        [
            certificate.create_issuer_validator_container([]),
            certificate.create_validity_validator_container(),
            certificate.create_subject_validator_container([]),
            certificate.create_extensions_validator_container([]),
            certificate.create_spki_validator_container([]),
        ],
    )


def _crl_validator():  # type: ignore[no-untyped-def]
    return crl.create_pkix_crl_validator_container(
        [
            pkix.create_attribute_decoder(name.ATTRIBUTE_TYPE_MAPPINGS),
            pkix.create_extension_decoder(extension.EXTENSION_MAPPINGS),
        ],
        [
            crl.create_issuer_validator_container([]),
            crl.create_validity_validator_container([]),
            crl.create_extensions_validator_container([]),
        ],
    )


def _ocsp_validator():  # type: ignore[no-untyped-def]
    return ocsp.create_pkix_ocsp_response_validator_container(
        [
            ocsp.create_response_decoder(),
            pkix.create_attribute_decoder(name.ATTRIBUTE_TYPE_MAPPINGS),
            pkix.create_extension_decoder(extension.EXTENSION_MAPPINGS),
        ],
        [],
    )


_VALIDATORS = {
    "certificate": _certificate_validator,
    "crl": _crl_validator,
    "ocsp": _ocsp_validator,
}
_LOADERS = {
    "certificate": loader.RFC5280CertificateDocumentLoader,
    "crl": loader.RFC5280CertificateListDocumentLoader,
    "ocsp": loader.RFC6960OCSPResponseDocumentLoader,
}
_cache: dict[str, object] = {}


def findings(kind: Kind, der: bytes, *, name_: str = "document") -> list[Finding]:
    """Every finding pkilint reports for the DER document, whatever its severity."""
    validator = _cache.get(kind) or _cache.setdefault(kind, _VALIDATORS[kind]())
    doc: document.Document = _LOADERS[kind]().load_der_document(der, name_)
    results = validator.validate(doc.root)  # type: ignore[attr-defined]
    out = []
    for result in results:
        for fd in result.finding_descriptions:
            out.append(
                Finding(
                    fd.finding.code,
                    fd.finding.severity.name,
                    result.node.path,
                    fd.message,
                )
            )
    return out


def lint(kind: Kind, der: bytes, *, name_: str = "document") -> list[Finding]:
    """The ERROR and FATAL findings, less the JPKI profile's documented choices."""
    return [
        f
        for f in findings(kind, der, name_=name_)
        if f.severity in {s.name for s in FAILING} and f.code not in JPKI_PROFILE_CHOICES
    ]
