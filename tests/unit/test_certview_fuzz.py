"""Bad input to the certificate display tool (issue 8): any bytes — garbage, truncated or
bit-flipped DER, PEM armour around nonsense, oversized files — give PkiError
('not_a_certificate') or a description, never another exception."""

from __future__ import annotations

import datetime as dt

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from hypothesis import given, settings
from hypothesis import strategies as st

from madoguchi.pki.errors import PkiError
from madoguchi.services.certview import MAX_CERT_BYTES, describe, load_certificate


def _cert() -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "fuzz")])
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(12345)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
        .public_bytes(Encoding.DER)
    )


GOOD = _cert()


def _load_or_refuse(data: bytes) -> None:
    try:
        cert = load_certificate(data)
    except PkiError as exc:
        assert exc.code == "not_a_certificate"
        return
    info = describe(cert)  # a certificate that parses is described without error
    assert info["serial"]


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_any_bytes(data: bytes) -> None:
    _load_or_refuse(data)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, len(GOOD) - 1), st.integers(1, 255))
def test_bit_flipped_certificates(pos: int, mask: int) -> None:
    data = bytearray(GOOD)
    data[pos] ^= mask
    _load_or_refuse(bytes(data))


@settings(max_examples=100, deadline=None)
@given(st.integers(0, len(GOOD)))
def test_truncated_certificates(n: int) -> None:
    _load_or_refuse(GOOD[:n])


@given(st.text(max_size=500))
def test_pem_armour_around_anything(body: str) -> None:
    _load_or_refuse(f"-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----\n".encode())


def test_oversized_file_is_refused_before_parsing() -> None:
    try:
        load_certificate(GOOD + b"\x00" * MAX_CERT_BYTES)
    except PkiError as exc:
        assert exc.code == "not_a_certificate"
    else:
        raise AssertionError("an oversized file must be refused")
