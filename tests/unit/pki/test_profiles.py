"""R-X509: the JPKI-style profiles of the CA, the responder and the two end-entity kinds."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cryptography.x509.oid import ExtendedKeyUsageOID, SignatureAlgorithmOID
from hypothesis import given, settings
from hypothesis import strategies as st

from madoguchi.pki.authority import Authority
from madoguchi.pki.errors import PkiError
from madoguchi.pki.facts import HolderFacts, facts_from_certificate, normalize_text
from madoguchi.pki.pop import new_challenge, pop_digest, pop_digest_info, verify_pop
from madoguchi.pki.profiles import EndEntityRequest, kind_of
from madoguchi.pki.signer import KeySigner
from madoguchi.rules.dates import end_of_day_jst
from madoguchi.rules.validity import CertKind

from .conftest import NOW

FACTS = HolderFacts.create("帯広　花子", "2", date(1985, 2, 28), "北海道帯広市西5条南7丁目1番地")


def issue(
    authority: Authority,
    key: KeySigner,
    kind: CertKind,
    facts: HolderFacts | None = FACTS,
    expires: date = date(2031, 2, 28),
) -> x509.Certificate:
    return authority.issue(
        EndEntityRequest(
            kind=kind,
            public_key=key.public_key,
            serial=x509.random_serial_number(),
            subject_id="ABCDEFGHJKLMNPQRSTUVWXYZ",
            not_before=NOW,
            not_after=end_of_day_jst(expires),
            crl_url="http://ca.test/crl/sign-3.crl",
            ocsp_url="http://ca.test/ocsp",
            ca_issuers_url="http://ca.test/ca/sign-ca.der",
            facts=facts,
        )
    )


@pytest.mark.parametrize("kind", list(CertKind))
def test_r_x509_ca_profile(authorities: dict[CertKind, Authority], kind: CertKind) -> None:
    ca = authorities[kind].cert
    ca.verify_directly_issued_by(ca)
    key = ca.public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    assert (key.key_size, key.public_numbers().e) == (2048, 65537)
    assert ca.signature_algorithm_oid == SignatureAlgorithmOID.RSA_WITH_SHA256
    bc = ca.extensions.get_extension_for_class(x509.BasicConstraints)
    assert bc.critical and bc.value.ca
    ku = ca.extensions.get_extension_for_class(x509.KeyUsage)
    assert ku.critical and ku.value.key_cert_sign and ku.value.crl_sign
    assert not ku.value.digital_signature
    assert "not J-LIS" in ca.subject.rfc4514_string()  # a demo CA says so (SPEC.md §8)
    assert ca.not_valid_after_utc.time().isoformat() == "14:59:59"  # end of a JST day


def test_ocsp_responder_is_delegated(authorities: dict[CertKind, Authority]) -> None:
    auth = authorities[CertKind.SIGN]
    r = auth.responder_cert
    r.verify_directly_issued_by(auth.cert)
    eku = r.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.OCSP_SIGNING]
    assert r.extensions.get_extension_for_class(x509.OCSPNoCheck)
    assert (r.not_valid_after_utc - r.not_valid_before_utc).days <= 31  # short-lived


def test_r_x509_sign_certificate(
    authorities: dict[CertKind, Authority], card_key: KeySigner
) -> None:
    cert = issue(authorities[CertKind.SIGN], card_key, CertKind.SIGN)
    cert.verify_directly_issued_by(authorities[CertKind.SIGN].cert)
    ku = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert ku.critical and ku.value.digital_signature and ku.value.content_commitment
    assert kind_of(cert) is CertKind.SIGN
    assert facts_from_certificate(cert) == FACTS
    assert cert.not_valid_after_utc == datetime(2031, 2, 28, 14, 59, 59, tzinfo=UTC)  # R-DATE-1
    assert 0 < cert.serial_number < 2**159
    cdp = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    assert cdp[0].full_name[0].value == "http://ca.test/crl/sign-3.crl"
    aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    assert any(d.access_location.value == "http://ca.test/ocsp" for d in aia)
    policies = cert.extensions.get_extension_for_class(x509.CertificatePolicies).value
    assert policies[0].policy_identifier.dotted_string == "2.25.1.1"


def test_r_x509_auth_certificate_has_no_personal_data(
    authorities: dict[CertKind, Authority], card_key: KeySigner
) -> None:
    cert = issue(authorities[CertKind.AUTH], card_key, CertKind.AUTH, facts=None)
    ku = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert ku.critical and ku.value.digital_signature and not ku.value.content_commitment
    assert kind_of(cert) is CertKind.AUTH
    with pytest.raises(x509.ExtensionNotFound):
        cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    assert "帯広　花子" not in cert.subject.rfc4514_string()


def test_sign_certificate_requires_the_facts(
    authorities: dict[CertKind, Authority], card_key: KeySigner
) -> None:
    with pytest.raises(ValueError, match="four facts"):
        issue(authorities[CertKind.SIGN], card_key, CertKind.SIGN, facts=None)


def test_certificate_cannot_outlive_its_ca(
    authorities: dict[CertKind, Authority], card_key: KeySigner
) -> None:
    with pytest.raises(PkiError) as err:
        issue(
            authorities[CertKind.AUTH],
            card_key,
            CertKind.AUTH,
            facts=None,
            expires=date(2040, 1, 1),
        )
    assert err.value.code == "outlives_ca"


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("帯広 花子", "帯広　花子"),  # ASCII space → the full-width space J-LIS writes
        ("帯広　　花子 ", "帯広　花子"),
        ("ｵﾋﾞﾋﾛ ﾊﾅｺ", "オビヒロ　ハナコ"),  # half-width katakana
        ("西５条南７丁目", "西5条南7丁目"),  # full-width digits folded once, everywhere
        ("ハ\u309aナコ", "パナコ"),  # combining mark composed
    ],
)
def test_names_and_addresses_are_normalized_the_same_way(raw: str, normalized: str) -> None:
    assert normalize_text(raw) == normalized


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=60))
@settings(max_examples=50, deadline=None)
def test_facts_round_trip_any_text(text: str) -> None:
    if not normalize_text(text):
        return
    facts = HolderFacts.create(text, "3", date(1950, 1, 1), text)
    from madoguchi.pki.facts import _read_utf8, _utf8

    assert _read_utf8(_utf8(facts.name)) == facts.name


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"gender": "4"}, "bad_gender"),
        ({"name": "   "}, "empty_name"),
        ({"address": "あ" * 201}, "bad_address"),
    ],
)
def test_facts_are_checked(kwargs: dict[str, str], code: str) -> None:
    args = {"name": "帯広 花子", "gender": "2", "address": "帯広市"} | kwargs
    with pytest.raises(PkiError) as err:
        HolderFacts.create(args["name"], args["gender"], date(1985, 1, 1), args["address"])
    assert err.value.code == code


def test_proof_of_possession(card_key: KeySigner) -> None:
    spki = card_key.public_key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    challenge = new_challenge()
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, utils

    signature = card_key.private_key.sign(
        pop_digest(challenge, spki), padding.PKCS1v15(), utils.Prehashed(hashes.SHA256())
    )
    verify_pop(card_key.public_key, spki, challenge, signature)
    assert pop_digest_info(challenge, spki).endswith(pop_digest(challenge, spki))
    with pytest.raises(PkiError) as err:
        verify_pop(card_key.public_key, spki, new_challenge(), signature)  # another challenge
    assert err.value.code == "pop_failed"
    other = KeySigner.generate()
    with pytest.raises(PkiError):
        verify_pop(other.public_key, spki, challenge, signature)
