"""R-X509-2 in the signing certificate: the substitute form of the name and address, the
position fields 1.2.392.200149.8.5.5.2 and .5.5.6 in every `sign` certificate, and the refusal
of a character with no substitute."""

from __future__ import annotations

from datetime import date

import pytest
from cryptography import x509
from cryptography.x509.oid import ObjectIdentifier

from madoguchi.messages import japanese_of
from madoguchi.pki.authority import Authority
from madoguchi.pki.errors import PkiError, UnsupportedCharacter
from madoguchi.pki.facts import (
    OID_ADDRESS_POSITIONS,
    OID_NAME_POSITIONS,
    HolderFacts,
    _read_utf8,
    certificate_fields,
    facts_from_certificate,
    substitutes_from_certificate,
)
from madoguchi.pki.profiles import EndEntityRequest
from madoguchi.pki.signer import KeySigner
from madoguchi.rules.dates import end_of_day_jst
from madoguchi.rules.validity import CertKind
from madoguchi.services.certview import describe

from .conftest import NOW


def issue(
    authority: Authority, key: KeySigner, kind: CertKind, facts: HolderFacts | None
) -> x509.Certificate:
    return authority.issue(
        EndEntityRequest(
            kind=kind,
            public_key=key.public_key,
            serial=x509.random_serial_number(),
            subject_id="ABCDEFGHJKLMNPQRSTUVWXYZ",
            not_before=NOW,
            not_after=end_of_day_jst(date(2031, 7, 1)),
            crl_url="http://ca.test/crl/sign-0.crl",
            ocsp_url="http://ca.test/ocsp",
            ca_issuers_url="http://ca.test/ca/sign-ca.der",
            facts=facts,
        )
    )


def other_names(cert: x509.Certificate) -> dict[ObjectIdentifier, str]:
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return {o.type_id: _read_utf8(o.value) for o in san.get_values_for_type(x509.OtherName)}


TAKAHASHI = HolderFacts.create(
    "髙橋 一郎", "1", date(1980, 7, 1), "北海道帯広市西5条南7丁目1番地 﨑ハイツ"
)


def test_r_x509_2_takahashi_carries_the_substitute_and_its_position(
    authorities: dict[CertKind, Authority], card_key: KeySigner
) -> None:
    assert TAKAHASHI.name == "髙橋　一郎"  # the registry's form is kept in the facts
    cert = issue(authorities[CertKind.SIGN], card_key, CertKind.SIGN, TAKAHASHI)
    values = other_names(cert)
    assert values[ObjectIdentifier("1.2.392.200149.8.5.5.1")] == "高橋　一郎"
    assert values[OID_NAME_POSITIONS] == "10000"
    address = values[ObjectIdentifier("1.2.392.200149.8.5.5.5")]
    assert address == "北海道帯広市西5条南7丁目1番地　崎ハイツ"
    assert values[OID_ADDRESS_POSITIONS] == "0" * 17 + "1" + "000"
    subs = substitutes_from_certificate(cert)
    assert subs is not None
    assert (subs.in_name, subs.in_address) == (((0, "高"),), ((17, "崎"),))


def test_r_x509_2_every_sign_certificate_carries_both_position_fields(
    authorities: dict[CertKind, Authority], card_key: KeySigner
) -> None:
    facts = HolderFacts.create("帯広 花子", "2", date(1985, 2, 28), "北海道帯広市西5条南7丁目1番地")
    cert = issue(authorities[CertKind.SIGN], card_key, CertKind.SIGN, facts)
    values = other_names(cert)
    assert values[OID_NAME_POSITIONS] == "00000"
    assert values[OID_ADDRESS_POSITIONS] == "0" * len("北海道帯広市西5条南7丁目1番地")
    assert facts_from_certificate(cert) == facts  # nothing substituted: the facts round-trip
    ids = [
        o.type_id.dotted_string
        for o in cert.extensions.get_extension_for_class(
            x509.SubjectAlternativeName
        ).value.get_values_for_type(x509.OtherName)
    ]
    assert ids == [f"1.2.392.200149.8.5.5.{n}" for n in range(1, 7)]  # in OID order


def test_r_x509_2_the_auth_certificate_has_no_personal_data(
    authorities: dict[CertKind, Authority], card_key: KeySigner
) -> None:
    cert = issue(authorities[CertKind.AUTH], card_key, CertKind.AUTH, None)
    with pytest.raises(x509.ExtensionNotFound):
        cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    assert substitutes_from_certificate(cert) is None


@pytest.mark.parametrize(
    ("name", "address", "field", "character"),
    [
        ("😀 一郎", "帯広市", "name", "😀"),
        ("帯広 花子", "帯広市🏠1番地", "address", "🏠"),
    ],
)
def test_r_x509_2_a_character_without_substitute_is_refused_naming_it(
    authorities: dict[CertKind, Authority],
    card_key: KeySigner,
    name: str,
    address: str,
    field: str,
    character: str,
) -> None:
    facts = HolderFacts.create(name, "1", date(1980, 7, 1), address)  # the registry may hold it
    with pytest.raises(UnsupportedCharacter) as err:
        certificate_fields(facts)  # the counter's early check
    assert (err.value.field, err.value.character, err.value.code) == (
        field,
        character,
        "unsupported_character",
    )
    assert isinstance(err.value, PkiError)
    message = japanese_of(err.value)
    assert f"「{character}」" in message and f"U+{ord(character):04X}" in message
    assert ("氏名" if field == "name" else "住所") in message
    with pytest.raises(UnsupportedCharacter):  # and the certificate itself is never made
        issue(authorities[CertKind.SIGN], card_key, CertKind.SIGN, facts)


def test_r_x509_2_the_display_tool_shows_what_was_substituted(
    authorities: dict[CertKind, Authority], card_key: KeySigner
) -> None:
    info = describe(issue(authorities[CertKind.SIGN], card_key, CertKind.SIGN, TAKAHASHI))
    assert info["name"] == "高橋　一郎"
    assert info["name_positions"] == "10000"
    assert info["name_substituted"] == [{"index": 0, "character": "高"}]
    assert info["address_substituted"] == [{"index": 17, "character": "崎"}]


def test_r_x509_2_certificates_without_position_fields_are_still_read(
    authorities: dict[CertKind, Authority], card_key: KeySigner
) -> None:
    """A certificate issued before R-X509-2 (only the four facts) is described; its
    position fields are reported absent, not guessed."""
    from madoguchi.pki.facts import OID_ADDRESS, OID_BIRTH, OID_GENDER, OID_NAME, _utf8

    ca = authorities[CertKind.SIGN]
    old_san = x509.SubjectAlternativeName(
        [
            x509.OtherName(OID_NAME, _utf8("高橋　一郎")),
            x509.OtherName(OID_GENDER, _utf8("1")),
            x509.OtherName(OID_BIRTH, _utf8("319800701")),
            x509.OtherName(OID_ADDRESS, _utf8("帯広市")),
        ]
    )
    builder = (
        x509.CertificateBuilder()
        .subject_name(ca.cert.subject)
        .issuer_name(ca.cert.subject)
        .public_key(card_key.public_key)
        .serial_number(1)
        .not_valid_before(NOW)
        .not_valid_after(end_of_day_jst(date(2031, 7, 1)))
        .add_extension(old_san, critical=False)
    )
    from cryptography.hazmat.primitives import hashes

    cert = builder.sign(card_key.private_key, hashes.SHA256())
    info = describe(cert)
    assert info["name"] == "高橋　一郎"
    assert (info["name_positions"], info["name_substituted"]) == (None, None)
