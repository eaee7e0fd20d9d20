"""R-X509 with the CA key in an HSM: Pkcs11Signer against a real SoftHSM2 token, openssl as judge."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pkcs11
import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import SignatureAlgorithmOID
from pkcs11 import Attribute, KeyType, ObjectClass

from madoguchi.pki.authority import create_root
from madoguchi.pki.errors import PkiError
from madoguchi.pki.pkcs11_signer import Pkcs11Signer, sign_certificate, sign_crl
from madoguchi.pki.profiles import CaNames
from madoguchi.pki.signer import KeySigner, Signer
from madoguchi.rules.validity import CertKind
from tests.support import softhsm
from tests.support.softhsm import SoftHsmToken, create_token

NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
NAMES = CaNames("madoguchi DEMO CA - not J-LIS", "北海道", "帯広市", "2.25.1.1", "2.25.1.2")
KEY = "madoguchi-sign-ca"


@pytest.fixture
def token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SoftHsmToken:
    return create_token(tmp_path / "softhsm", monkeypatch)


@pytest.fixture
def signer(token: SoftHsmToken) -> Iterator[Pkcs11Signer]:
    with Pkcs11Signer.generate_in_token(token.module, token.label, token.pin, KEY) as s:
        yield s


def verify(public_key: rsa.RSAPublicKey, signature: bytes, data: bytes) -> None:
    public_key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())


def openssl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["openssl", *args], capture_output=True, text=True, check=False, timeout=60
    )


def test_generated_key_signs_sha256_with_rsa(signer: Pkcs11Signer) -> None:
    assert isinstance(signer, Signer)
    assert signer.private_key is None
    public = signer.public_key
    assert (public.key_size, public.public_numbers().e) == (2048, 65537)
    data = "令和8年11月24日 帯広市".encode()
    signature = signer.sign(data)
    assert len(signature) == 256
    verify(public, signature, data)  # raises if the token used another mechanism or key
    with pytest.raises(InvalidSignature):
        verify(public, signature, data + b"!")


def test_private_key_stays_in_the_token(token: SoftHsmToken) -> None:
    Pkcs11Signer.generate_in_token(token.module, token.label, token.pin, KEY).close()
    lib = pkcs11.lib(token.module)
    with lib.get_token(token_label=token.label).open(user_pin=token.pin) as session:
        private = session.get_key(ObjectClass.PRIVATE_KEY, label=KEY)
        public = session.get_key(ObjectClass.PUBLIC_KEY, label=KEY)
        assert private.key_type == KeyType.RSA
        attrs = private.get_attributes(
            [Attribute.TOKEN, Attribute.PRIVATE, Attribute.SENSITIVE, Attribute.EXTRACTABLE,
             Attribute.ALWAYS_SENSITIVE, Attribute.NEVER_EXTRACTABLE, Attribute.SIGN,
             Attribute.DECRYPT, Attribute.UNWRAP]
        )  # fmt: skip
        assert attrs == {
            Attribute.TOKEN: True, Attribute.PRIVATE: True, Attribute.SENSITIVE: True,
            Attribute.EXTRACTABLE: False, Attribute.ALWAYS_SENSITIVE: True,
            Attribute.NEVER_EXTRACTABLE: True, Attribute.SIGN: True, Attribute.DECRYPT: False,
            Attribute.UNWRAP: False,
        }  # fmt: skip
        with pytest.raises(pkcs11.AttributeSensitive):
            private[Attribute.PRIVATE_EXPONENT]
        with pytest.raises(pkcs11.PKCS11Error):  # no wrapping it out either
            private[Attribute.VALUE]
        key_id = private[Attribute.ID]
        assert key_id == public[Attribute.ID]
    # a token object: a new signer finds the same key, and its CKA_ID is the key identifier
    with Pkcs11Signer(token.module, token.label, token.pin, KEY) as again:
        ski = x509.SubjectKeyIdentifier.from_public_key(again.public_key).digest
        assert ski == key_id


def test_generate_refuses_an_existing_label(signer: Pkcs11Signer, token: SoftHsmToken) -> None:
    with pytest.raises(PkiError) as err:
        Pkcs11Signer.generate_in_token(token.module, token.label, token.pin, KEY)
    assert err.value.code == "hsm_key_exists"
    verify(signer.public_key, signer.sign(b"still usable"), b"still usable")


def test_ca_certificate_signed_in_the_hsm(signer: Pkcs11Signer, tmp_path: Path) -> None:
    """R-X509: the CA profile, signed through the HSM, verifies for cryptography and openssl."""
    cert = create_root(CertKind.SIGN, NAMES, signer, NOW)
    cert.verify_directly_issued_by(cert)
    assert cert.public_key() == signer.public_key
    assert cert.signature_algorithm_oid == SignatureAlgorithmOID.RSA_WITH_SHA256
    pem = tmp_path / "ca.pem"
    pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    proc = openssl(
        "verify", "-attime", str(int(NOW.timestamp()) + 60), "-CAfile", str(pem), str(pem)
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip() == f"{pem}: OK"


def test_plain_builder_through_sign_certificate(signer: Pkcs11Signer) -> None:
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "HSM test")])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(signer.public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW)
        .not_valid_after(NOW + timedelta(days=1))
    )
    cert = sign_certificate(builder, signer)
    cert.verify_directly_issued_by(cert)
    verify(signer.public_key, cert.signature, cert.tbs_certificate_bytes)


def crl_builder(issuer: x509.Name, serials: list[int]) -> x509.CertificateRevocationListBuilder:
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer)
        .last_update(NOW)
        .next_update(NOW + timedelta(days=1))
        .add_extension(x509.CRLNumber(7), critical=False)
    )
    for serial in serials:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(serial)
            .revocation_date(NOW - timedelta(hours=1))
            .add_extension(x509.CRLReason(x509.ReasonFlags.key_compromise), critical=False)
            .build()
        )
    return builder


def test_crl_signed_in_the_hsm(signer: Pkcs11Signer, tmp_path: Path) -> None:
    """R-X509: a CRL signed through the HSM verifies and openssl reads and verifies it."""
    ca = create_root(CertKind.SIGN, NAMES, signer, NOW)
    crl = sign_crl(crl_builder(ca.subject, [0x1234ABCD, 0x42]), signer)
    assert crl.is_signature_valid(signer.public_key)
    assert crl.signature_algorithm_oid == SignatureAlgorithmOID.RSA_WITH_SHA256
    assert {r.serial_number for r in crl} == {0x1234ABCD, 0x42}
    der_file, ca_file = tmp_path / "sign.crl", tmp_path / "ca.pem"
    der_file.write_bytes(crl.public_bytes(serialization.Encoding.DER))
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    text = openssl("crl", "-in", str(der_file), "-inform", "DER", "-noout", "-text")
    assert text.returncode == 0, text.stderr
    assert "Signature Algorithm: sha256WithRSAEncryption" in text.stdout
    assert "1234ABCD" in text.stdout
    assert "Key Compromise" in text.stdout
    checked = openssl(
        "crl", "-in", str(der_file), "-inform", "DER", "-CAfile", str(ca_file), "-noout"
    )
    assert checked.returncode == 0, checked.stderr
    assert "verify OK" in checked.stderr


def test_wrong_pin(token: SoftHsmToken) -> None:
    Pkcs11Signer.generate_in_token(token.module, token.label, token.pin, KEY).close()
    with pytest.raises(PkiError) as err:
        Pkcs11Signer(token.module, token.label, "000000", KEY)
    assert err.value.code == "hsm_pin"


def test_another_pin_while_logged_in(signer: Pkcs11Signer, token: SoftHsmToken) -> None:
    with pytest.raises(PkiError) as err:
        Pkcs11Signer(token.module, token.label, "000000", KEY)
    assert err.value.code == "hsm_pin"


@pytest.mark.parametrize(
    ("module", "token_label", "key_label", "code"),
    [
        (None, None, "no-such-key", "hsm_key_missing"),
        (None, "no-such-token", KEY, "hsm_token_missing"),
        ("/nonexistent/libpkcs11.so", None, KEY, "hsm_module_missing"),
    ],
)
def test_missing_things(
    signer: Pkcs11Signer, token: SoftHsmToken, module: str | None, token_label: str | None,
    key_label: str, code: str,
) -> None:  # fmt: skip
    with pytest.raises(PkiError) as err:
        Pkcs11Signer(module or token.module, token_label or token.label, token.pin, key_label)
    assert err.value.code == code
    verify(signer.public_key, signer.sign(b"unaffected"), b"unaffected")


def test_closed_signer_refuses(token: SoftHsmToken) -> None:
    s = Pkcs11Signer.generate_in_token(token.module, token.label, token.pin, KEY)
    s.close()
    s.close()  # idempotent
    with pytest.raises(PkiError) as err:
        s.sign(b"x")
    assert err.value.code == "hsm_closed"


def test_concurrent_signing_from_four_threads(token: SoftHsmToken) -> None:
    """Two CA keys on one token (one login), four threads, every signature valid."""
    with (
        Pkcs11Signer.generate_in_token(token.module, token.label, token.pin, "sign-ca") as a,
        Pkcs11Signer.generate_in_token(token.module, token.label, token.pin, "auth-ca") as b,
    ):
        jobs = [(a if i % 2 else b, f"message {i}".encode()) for i in range(200)]
        with ThreadPoolExecutor(max_workers=4) as pool:
            signatures = list(pool.map(lambda job: job[0].sign(job[1]), jobs))
        for (s, data), signature in zip(jobs, signatures, strict=True):
            verify(s.public_key, signature, data)
        b.close()  # the other signer's session stays logged in
        verify(a.public_key, a.sign(b"after close"), b"after close")


def test_session_reopened_after_module_reset(signer: Pkcs11Signer, token: SoftHsmToken) -> None:
    pkcs11.lib(token.module).reinitialize()  # every session handle of the process is void now
    verify(signer.public_key, signer.sign(b"again"), b"again")


class _Mismatched:
    """An external signer whose public key is not the key that signs."""

    def __init__(self) -> None:
        self.public_key = KeySigner.generate().public_key
        self.private_key = None
        self._other = KeySigner.generate()

    def sign(self, data: bytes) -> bytes:
        return self._other.sign(data)


def test_a_signature_that_does_not_verify_is_refused() -> None:
    bad = _Mismatched()
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "bad")])
    builder = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(bad.public_key).serial_number(1)
        .not_valid_before(NOW).not_valid_after(NOW + timedelta(days=1))
    )  # fmt: skip
    with pytest.raises(PkiError) as err:
        sign_certificate(builder, bad)
    assert err.value.code == "bad_signature"
    with pytest.raises(PkiError) as err:
        sign_crl(crl_builder(name, [1]), bad)
    assert err.value.code == "bad_signature"


def test_software_keys_sign_in_one_step() -> None:
    key = KeySigner.generate()
    crl = sign_crl(crl_builder(x509.Name([]), [5]), key)
    assert crl.is_signature_valid(key.public_key)


def test_missing_softhsm_fails_with_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(softhsm, "MODULE", Path("/nonexistent/libsofthsm2.so"))
    with pytest.raises(pytest.fail.Exception, match="install softhsm2"):
        softhsm.require_softhsm()
