"""The CA service's network certificates (issue 17): the RA-CA that issues the registration
authorities' client certificates, the TLS-CA that issues the service's server certificate,
and the RA-CA's CRL that the TLS handshake checks.

These are not JPKI certificates: they only authenticate the counters (one municipality
each) and the CA service to one another over mutual TLS. The CA keys are RSA-2048 (sealed
at rest like the JPKI CAs' keys); the leaf keys are ECDSA P-256. Nothing here touches the
store or reads the clock.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from madoguchi.pki.signer import KeySigner

NETWORK_CA_YEARS = 10
RA_DAYS = 825
SERVER_DAYS = 90
CRL_DAYS = 365


@dataclass(frozen=True, slots=True)
class RaIdentity:
    """Who a client certificate names: the municipality's code and the counter's name."""

    municipality: str
    name: str
    serial: int


def _name(organization: str, unit: str, common: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit),
            x509.NameAttribute(NameOID.COMMON_NAME, common),
        ]
    )


def create_network_ca(
    organization: str, common: str, signer: KeySigner, now: datetime
) -> x509.Certificate:
    """A self-signed CA for the service's network identities (path length 0)."""
    name = _name(organization, "CA service network", common)
    ski = x509.SubjectKeyIdentifier.from_public_key(signer.public_key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(signer.public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=365 * NETWORK_CA_YEARS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ski, critical=False)
    )
    return builder.sign(signer.private_key, hashes.SHA256())


def _leaf(
    ca_cert: x509.Certificate,
    ca_signer: KeySigner,
    subject: x509.Name,
    key: ec.EllipticCurvePrivateKey,
    now: datetime,
    days: int,
    usage: x509.ObjectIdentifier,
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_signer.public_key),
            critical=False,
        )
    )


def issue_ra_certificate(
    ca_cert: x509.Certificate,
    ca_signer: KeySigner,
    municipality: str,
    name: str,
    now: datetime,
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """A registration authority's client certificate: OU is the municipality's code, CN its
    name (the CA service reads the municipality from its own records, by serial)."""
    key = ec.generate_private_key(ec.SECP256R1())
    org = ca_cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value
    subject = _name(str(org), municipality, name)
    builder = _leaf(ca_cert, ca_signer, subject, key, now, RA_DAYS, ExtendedKeyUsageOID.CLIENT_AUTH)
    return builder.sign(ca_signer.private_key, hashes.SHA256()), key


def issue_server_certificate(
    ca_cert: x509.Certificate,
    ca_signer: KeySigner,
    hosts: list[str],
    now: datetime,
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """The CA service's TLS server certificate for ``hosts`` (names or IP addresses)."""
    key = ec.generate_private_key(ec.SECP256R1())
    org = ca_cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value
    subject = _name(str(org), "CA service", hosts[0])
    names: list[x509.GeneralName] = []
    for host in dict.fromkeys(hosts):
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    builder = _leaf(
        ca_cert, ca_signer, subject, key, now, SERVER_DAYS, ExtendedKeyUsageOID.SERVER_AUTH
    ).add_extension(x509.SubjectAlternativeName(names), critical=False)
    return builder.sign(ca_signer.private_key, hashes.SHA256()), key


def ra_crl(
    ca_cert: x509.Certificate,
    ca_signer: KeySigner,
    revoked: list[tuple[int, datetime]],
    number: int,
    now: datetime,
) -> x509.CertificateRevocationList:
    """The RA-CA's CRL: every revoked RA credential (checked in each TLS handshake)."""
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca_cert.subject)
        .last_update(now - timedelta(minutes=5))
        .next_update(now + timedelta(days=CRL_DAYS))
        .add_extension(x509.CRLNumber(number), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_signer.public_key),
            critical=False,
        )
    )
    for serial, at in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(at).build()
        )
    return builder.sign(ca_signer.private_key, hashes.SHA256())


def identity_of(cert: x509.Certificate) -> RaIdentity:
    """What a client certificate claims (OU: the municipality, CN: the name)."""
    unit = cert.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)
    common = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return RaIdentity(
        str(unit[0].value) if unit else "",
        str(common[0].value) if common else "",
        cert.serial_number,
    )
