"""Certificate profiles in the JPKI style (SPEC.md §8, R-X509).

Immutable descriptions in, cryptography builders out. Three profiles: the self-signed CA
root, the delegated OCSP responder, and the end-entity certificates (`sign` and `auth`).
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import (
    AuthorityInformationAccessOID,
    ExtendedKeyUsageOID,
    NameOID,
    ObjectIdentifier,
)

from madoguchi.pki.facts import HolderFacts, facts_to_san
from madoguchi.rules.validity import CertKind

_CA_UNITS = {
    CertKind.SIGN: "DEMO CA for digital signature",
    CertKind.AUTH: "DEMO CA for user authentication",
}
_ID_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
# base32's alphabet mapped onto ours (32 symbols each: no I, O, 0, 1 to misread)
_FROM_BASE32 = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", _ID_ALPHABET)


@dataclass(frozen=True, slots=True)
class CaNames:
    """The names of the CAs (configuration; a demo CA says it is not J-LIS)."""

    organization: str
    prefecture: str
    city: str
    sign_policy: str
    auth_policy: str

    def ca_subject(self, kind: CertKind) -> x509.Name:
        return x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, self.organization),
                x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, _CA_UNITS[kind]),
            ]
        )

    def responder_subject(self, kind: CertKind, serial_hint: str) -> x509.Name:
        return x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, self.organization),
                x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, _CA_UNITS[kind]),
                x509.NameAttribute(NameOID.COMMON_NAME, f"OCSP Responder {serial_hint}"),
            ]
        )

    def ee_subject(self, subject_id: str) -> x509.Name:
        return x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
                x509.NameAttribute(NameOID.LOCALITY_NAME, self.prefecture),
                x509.NameAttribute(NameOID.LOCALITY_NAME, self.city),
                x509.NameAttribute(NameOID.COMMON_NAME, subject_id),
            ]
        )

    def policy(self, kind: CertKind) -> str:
        return self.sign_policy if kind is CertKind.SIGN else self.auth_policy


def new_subject_id() -> str:
    """The opaque identifier in an end-entity subject (never a number a person carries):
    24 symbols of :data:`_ID_ALPHABET`, 120 random bits (15 random bytes in base32, one
    symbol per 5 bits; a fifth of the cost of 24 ``secrets.choice``, bench/issuance_bench)."""
    return base64.b32encode(secrets.token_bytes(15)).decode("ascii").translate(_FROM_BASE32)


def _key_usage(
    *, digital_signature: bool, content_commitment: bool, cert_and_crl_sign: bool
) -> x509.KeyUsage:
    """The keyUsage bits R-X509 uses; everything else is off."""
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=content_commitment,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_and_crl_sign,
        crl_sign=cert_and_crl_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _ski(public_key: rsa.RSAPublicKey) -> x509.SubjectKeyIdentifier:
    return x509.SubjectKeyIdentifier.from_public_key(public_key)


def ca_builder(
    kind: CertKind,
    names: CaNames,
    public_key: rsa.RSAPublicKey,
    not_before: datetime,
    not_after: datetime,
) -> x509.CertificateBuilder:
    """A self-signed root: basicConstraints CA critical, keyUsage keyCertSign+cRLSign critical."""
    subject = names.ca_subject(kind)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            _key_usage(digital_signature=False, content_commitment=False, cert_and_crl_sign=True),
            critical=True,
        )
        .add_extension(_ski(public_key), critical=False)
    )


def responder_builder(
    kind: CertKind,
    names: CaNames,
    ca_cert: x509.Certificate,
    public_key: rsa.RSAPublicKey,
    not_before: datetime,
    not_after: datetime,
) -> x509.CertificateBuilder:
    """A delegated OCSP responder (RFC 6960 §4.2.2.2): id-kp-OCSPSigning, id-pkix-ocsp-nocheck."""
    serial = x509.random_serial_number()
    return (
        x509.CertificateBuilder()
        .subject_name(names.responder_subject(kind, f"{serial:x}"[:8].upper()))
        .issuer_name(ca_cert.subject)
        .public_key(public_key)
        .serial_number(serial)
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            _key_usage(digital_signature=True, content_commitment=False, cert_and_crl_sign=False),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.OCSP_SIGNING]), critical=False)
        .add_extension(x509.OCSPNoCheck(), critical=False)
        .add_extension(_ski(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(_ca_key(ca_cert)), critical=False
        )
    )


def _ca_key(ca_cert: x509.Certificate) -> rsa.RSAPublicKey:
    key = ca_cert.public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    return key


@dataclass(frozen=True, slots=True)
class EndEntityRequest:
    """What the CA needs to issue one certificate; the card proved the key beforehand."""

    kind: CertKind
    public_key: rsa.RSAPublicKey
    serial: int
    subject_id: str
    not_before: datetime
    not_after: datetime
    crl_url: str
    ocsp_url: str
    ca_issuers_url: str
    facts: HolderFacts | None = None  # required for `sign`, absent for `auth`


def end_entity_builder(
    req: EndEntityRequest, names: CaNames, ca_cert: x509.Certificate
) -> x509.CertificateBuilder:
    """R-X509: `sign` digitalSignature+nonRepudiation (critical) with the four facts in
    subjectAltName otherNames; `auth` digitalSignature (critical), no personal data."""
    sign = req.kind is CertKind.SIGN
    builder = (
        x509.CertificateBuilder()
        .subject_name(names.ee_subject(req.subject_id))
        .issuer_name(ca_cert.subject)
        .public_key(req.public_key)
        .serial_number(req.serial)
        .not_valid_before(req.not_before)
        .not_valid_after(req.not_after)
        .add_extension(
            _key_usage(digital_signature=True, content_commitment=sign, cert_and_crl_sign=False),
            critical=True,
        )
        .add_extension(
            x509.CertificatePolicies(
                [x509.PolicyInformation(ObjectIdentifier(names.policy(req.kind)), None)]
            ),
            critical=False,
        )
        .add_extension(
            x509.CRLDistributionPoints(
                [
                    x509.DistributionPoint(
                        [x509.UniformResourceIdentifier(req.crl_url)], None, None, None
                    )
                ]
            ),
            critical=False,
        )
        .add_extension(
            x509.AuthorityInformationAccess(
                [
                    x509.AccessDescription(
                        AuthorityInformationAccessOID.OCSP,
                        x509.UniformResourceIdentifier(req.ocsp_url),
                    ),
                    x509.AccessDescription(
                        AuthorityInformationAccessOID.CA_ISSUERS,
                        x509.UniformResourceIdentifier(req.ca_issuers_url),
                    ),
                ]
            ),
            critical=False,
        )
        .add_extension(_ski(req.public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(_ca_key(ca_cert)), critical=False
        )
    )
    if sign:
        if req.facts is None:
            raise ValueError("a signing certificate carries the holder's four facts")
        builder = builder.add_extension(facts_to_san(req.facts), critical=False)
    return builder


def kind_of(cert: x509.Certificate) -> CertKind | None:
    """`sign` when keyUsage has nonRepudiation, `auth` when only digitalSignature."""
    try:
        ku = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return None
    if ku.key_cert_sign:
        return None
    if ku.content_commitment:
        return CertKind.SIGN
    return CertKind.AUTH if ku.digital_signature else None
