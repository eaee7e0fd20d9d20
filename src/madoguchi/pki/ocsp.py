"""OCSP (RFC 6960, with the RFC 5019 lightweight profile): parsing requests, signing answers.

Answers are signed by the CA's delegated responder and carry no nonce, so they can be
pre-signed, cached and served as static files. The status comes in as a
:class:`~madoguchi.pki.records.CertRecord` (or None for a serial the CA never issued):
this module never touches the store nor reads the clock.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote, unquote

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp

from madoguchi.pki.authority import Authority
from madoguchi.pki.errors import MalformedOcspRequest
from madoguchi.pki.records import CertRecord
from madoguchi.rules.revocation import CertStatus, RevocationReason

#: RFC 5019 §2.1.1: requests use SHA-1 CertIDs; SHA-256 is accepted too.
SUPPORTED_HASHES: dict[str, hashes.HashAlgorithm] = {
    "sha1": hashes.SHA1(),
    "sha256": hashes.SHA256(),
}
MAX_REQUEST_BYTES = 8192

_REASON_FLAGS = {
    RevocationReason.UNSPECIFIED: x509.ReasonFlags.unspecified,
    RevocationReason.KEY_COMPROMISE: x509.ReasonFlags.key_compromise,
    RevocationReason.CA_COMPROMISE: x509.ReasonFlags.ca_compromise,
    RevocationReason.AFFILIATION_CHANGED: x509.ReasonFlags.affiliation_changed,
    RevocationReason.SUPERSEDED: x509.ReasonFlags.superseded,
    RevocationReason.CESSATION_OF_OPERATION: x509.ReasonFlags.cessation_of_operation,
    RevocationReason.CERTIFICATE_HOLD: x509.ReasonFlags.certificate_hold,
    RevocationReason.REMOVE_FROM_CRL: x509.ReasonFlags.remove_from_crl,
    RevocationReason.PRIVILEGE_WITHDRAWN: x509.ReasonFlags.privilege_withdrawn,
    RevocationReason.AA_COMPROMISE: x509.ReasonFlags.aa_compromise,
}


def reason_flag(reason: RevocationReason) -> x509.ReasonFlags:
    return _REASON_FLAGS[reason]


@dataclass(frozen=True, slots=True)
class OcspQuery:
    """One CertID of a request."""

    issuer_name_hash: bytes
    issuer_key_hash: bytes
    serial: int
    algorithm: hashes.HashAlgorithm
    #: the request carries extensions (a nonce): its bytes are not the same at each asking
    has_extensions: bool = False


def parse_request(der: bytes) -> OcspQuery:
    """Parse a DER OCSPRequest; MalformedOcspRequest for anything we cannot answer."""
    if not der or len(der) > MAX_REQUEST_BYTES:
        raise MalformedOcspRequest("empty or oversized OCSP request")
    try:
        req = ocsp.load_der_ocsp_request(der)
        algorithm = req.hash_algorithm
        query = OcspQuery(
            req.issuer_name_hash,
            req.issuer_key_hash,
            req.serial_number,
            algorithm,
            has_extensions=len(req.extensions) > 0,
        )
    except (ValueError, TypeError, x509.UnsupportedGeneralNameType) as exc:
        raise MalformedOcspRequest(f"cannot parse the OCSP request: {exc}") from exc
    except Exception as exc:  # cryptography raises UnsupportedAlgorithm for exotic CertIDs
        raise MalformedOcspRequest(f"unsupported OCSP request: {type(exc).__name__}") from exc
    if query.algorithm.name not in SUPPORTED_HASHES:
        raise MalformedOcspRequest(f"unsupported CertID hash {query.algorithm.name}")
    return query


def decode_get_path(path: str) -> bytes:
    """RFC 6960 appendix A.1: GET {url}/{url-encoding of base64 of the DER request}."""
    try:
        text = unquote(path)  # no strip("/"): base64 may end in "/" when it has no padding
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise MalformedOcspRequest("the GET path is not base64") from exc


def get_path(request_der: bytes) -> str:
    """The RFC 5019 GET path of a request (what a static server or CDN serves)."""
    return quote(base64.b64encode(request_der).decode(), safe="")


def build_request(
    authority: Authority, serial: int, algorithm: hashes.HashAlgorithm | None = None
) -> bytes:
    """The DER request a client builds for one certificate of this CA, without nonce
    (RFC 5019 §2.1): by default a SHA-1 CertID, byte for byte what ``openssl ocsp -issuer …
    -cert … -no_nonce`` sends — the name under which a static server finds the answer."""
    algorithm = algorithm or SUPPORTED_HASHES["sha1"]
    name_hash, key_hash = authority.issuer_hashes(algorithm)
    builder = ocsp.OCSPRequestBuilder().add_certificate_by_hash(
        name_hash, key_hash, serial, algorithm
    )
    return builder.build().public_bytes(Encoding.DER)


def find_authority(query: OcspQuery, authorities: list[Authority]) -> Authority | None:
    for authority in authorities:
        if authority.issuer_hashes(query.algorithm) == (
            query.issuer_name_hash,
            query.issuer_key_hash,
        ):
            return authority
    return None


def build_response(
    authority: Authority,
    serial: int,
    record: CertRecord | None,
    *,
    algorithm: hashes.HashAlgorithm,
    this_update: datetime,
    next_update: datetime,
) -> bytes:
    """A signed `successful` answer: good, revoked (held = revoked with certificateHold), or
    unknown (a serial this CA never issued)."""
    name_hash, key_hash = authority.issuer_hashes(algorithm)
    revoked_at: datetime | None = None
    reason: x509.ReasonFlags | None = None
    if record is None:
        status = ocsp.OCSPCertStatus.UNKNOWN
    elif record.status is CertStatus.GOOD:
        status = ocsp.OCSPCertStatus.GOOD
    else:
        status = ocsp.OCSPCertStatus.REVOKED
        revoked_at = record.status_changed_at
        reason = reason_flag(record.reason or RevocationReason.UNSPECIFIED)
        if record.status is CertStatus.HELD:
            reason = x509.ReasonFlags.certificate_hold
    builder = (
        ocsp.OCSPResponseBuilder()
        .add_response_by_hash(
            issuer_name_hash=name_hash,
            issuer_key_hash=key_hash,
            serial_number=serial,
            algorithm=algorithm,
            cert_status=status,
            this_update=this_update,
            next_update=next_update,
            revocation_time=revoked_at,
            revocation_reason=reason,
        )
        .responder_id(ocsp.OCSPResponderEncoding.HASH, authority.responder_cert)
        .certificates([authority.responder_cert])
    )
    response = builder.sign(authority.responder_signer.private_key, hashes.SHA256())
    return response.public_bytes(Encoding.DER)


def error_response(status: ocsp.OCSPResponseStatus) -> bytes:
    """An unsigned error answer (malformedRequest, unauthorized, internalError, tryLater)."""
    return ocsp.OCSPResponseBuilder.build_unsuccessful(status).public_bytes(Encoding.DER)
