"""OCSP answers (RFC 6960 / RFC 5019): good, revoked with time and reason, unknown; R-REV-4."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp as x_ocsp
from hypothesis import given, settings
from hypothesis import strategies as st

from madoguchi.pki import ocsp
from madoguchi.pki.authority import Authority
from madoguchi.pki.errors import PkiError
from madoguchi.pki.records import CertRecord
from madoguchi.rules.revocation import CertStatus, RevocationReason
from madoguchi.rules.validity import CertKind

from .conftest import NOW


def record(status: CertStatus, reason: RevocationReason | None = None) -> CertRecord:
    return CertRecord(
        kind=CertKind.SIGN,
        serial=0x1234ABCD,
        seq=1,
        partition=0,
        subject_id="X",
        card_id=None,
        not_before=NOW,
        not_after=NOW + timedelta(days=900),
        der=b"",
        status=status,
        status_changed_at=NOW if status is not CertStatus.GOOD else None,
        reason=reason,
    )


def answer(authority: Authority, rec: CertRecord | None) -> x_ocsp.OCSPResponse:
    der = ocsp.build_response(
        authority,
        0x1234ABCD,
        rec,
        algorithm=hashes.SHA1(),
        this_update=NOW,
        next_update=NOW + timedelta(hours=24),
    )
    resp = x_ocsp.load_der_ocsp_response(der)
    assert resp.response_status is x_ocsp.OCSPResponseStatus.SUCCESSFUL
    # signed by the delegated responder, which the CA certified
    responder = resp.certificates[0]
    responder.verify_directly_issued_by(authority.cert)
    responder.public_key().verify(  # type: ignore[union-attr, call-arg]
        resp.signature, resp.tbs_response_bytes, padding.PKCS1v15(), hashes.SHA256()
    )
    return resp


@pytest.mark.parametrize(
    ("rec", "status", "reason"),
    [
        (record(CertStatus.GOOD), x_ocsp.OCSPCertStatus.GOOD, None),
        (
            record(CertStatus.REVOKED, RevocationReason.AFFILIATION_CHANGED),
            x_ocsp.OCSPCertStatus.REVOKED,
            x509.ReasonFlags.affiliation_changed,
        ),
        (
            record(CertStatus.HELD, RevocationReason.CERTIFICATE_HOLD),
            x_ocsp.OCSPCertStatus.REVOKED,
            x509.ReasonFlags.certificate_hold,
        ),
        (None, x_ocsp.OCSPCertStatus.UNKNOWN, None),
    ],
)
def test_r_rev_4_ocsp_statuses(
    authorities: dict[CertKind, Authority],
    rec: CertRecord | None,
    status: x_ocsp.OCSPCertStatus,
    reason: x509.ReasonFlags | None,
) -> None:
    resp = answer(authorities[CertKind.SIGN], rec)
    assert resp.certificate_status is status
    assert resp.serial_number == 0x1234ABCD
    if status is x_ocsp.OCSPCertStatus.REVOKED:
        assert resp.revocation_time_utc == NOW
        assert resp.revocation_reason is reason


def test_request_round_trip_and_authority_lookup(authorities: dict[CertKind, Authority]) -> None:
    auth = authorities[CertKind.AUTH]
    fake_leaf = auth.responder_cert  # any certificate issued by the auth CA
    req = x_ocsp.OCSPRequestBuilder().add_certificate(fake_leaf, auth.cert, hashes.SHA1()).build()
    der = req.public_bytes(Encoding.DER)
    query = ocsp.parse_request(der)
    assert query.serial == fake_leaf.serial_number
    assert ocsp.find_authority(query, list(authorities.values())) is auth
    assert ocsp.decode_get_path(ocsp.get_path(der)) == der
    other = replace(query, issuer_key_hash=b"\x00" * 20)
    assert ocsp.find_authority(other, list(authorities.values())) is None


@given(st.binary(max_size=300))
@settings(max_examples=200, deadline=None)
def test_malformed_requests_are_refused_cleanly(data: bytes) -> None:
    try:
        ocsp.parse_request(data)
    except PkiError as exc:
        assert exc.code == "ocsp_malformed"


def test_error_response_is_unsigned_and_parses() -> None:
    der = ocsp.error_response(x_ocsp.OCSPResponseStatus.MALFORMED_REQUEST)
    assert (
        x_ocsp.load_der_ocsp_response(der).response_status
        is x_ocsp.OCSPResponseStatus.MALFORMED_REQUEST
    )


@given(st.binary(min_size=1, max_size=300))
def test_get_path_round_trips_any_bytes(der: bytes) -> None:
    """RFC 5019 GET paths: base64 may end in "/" (no padding) and still decode."""
    assert ocsp.decode_get_path(ocsp.get_path(der)) == der


def test_get_path_ending_in_slash() -> None:
    der = b"\xff\xff\xff"  # base64 "////"
    assert ocsp.get_path(der) == "%2F%2F%2F%2F"
    assert ocsp.decode_get_path("////") == der
