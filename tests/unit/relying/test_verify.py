"""Verifying signed PDFs, XML and CMS: integrity, changes, trust, the signer's facts, and the
refusal of files that cannot be verified (never a traceback, always a code)."""

from __future__ import annotations

import asyncio
import io
from datetime import timedelta

import pytest
from cryptography import x509
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from madoguchi.relying.errors import MAX_DOCUMENT_BYTES, BadDocument, SigningRefused, TrustError
from madoguchi.relying.signing import CardCmsSigner, sign_cms, sign_pdf, sign_xml
from madoguchi.relying.verify import sniff, verify_document
from tests.support.documents import PDF_TEXT
from tests.unit.relying.conftest import NOW, XML, Ca, SoftwareCard, make_card, make_pdf


def anchors(ca: Ca) -> list[x509.Certificate]:
    return [ca.cert]


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"%PDF-1.7\n", "pdf"),
        (b"\n\n%PDF-1.4\n", "pdf"),  # readers accept the header anywhere in the first 1 kB
        (b'<?xml version="1.0"?><a/>', "xml"),
        (b"\xef\xbb\xbf  <a/>", "xml"),
        (b"-----BEGIN PKCS7-----\nMA==\n-----END PKCS7-----\n", "cms"),
        (b"\x30\x82\x01\x00", "cms"),
    ],
)
def test_files_are_recognised_by_their_first_bytes(head: bytes, kind: str) -> None:
    assert sniff(head) == kind


@pytest.mark.parametrize("data", [b"", b"hello", b"PK\x03\x04zip", b"\x89PNG\r\n"])
def test_anything_else_is_an_unknown_format(data: bytes) -> None:
    with pytest.raises(BadDocument) as caught:
        sniff(data)
    assert caught.value.code == "unknown_format"


def test_a_valid_pdf_signature_names_the_signer_in_japanese(signed_pdf: bytes, ca: Ca) -> None:
    verdict = verify_document(signed_pdf, anchors=anchors(ca))
    assert (verdict.format, verdict.valid, verdict.reason) == ("pdf", True, None)
    signature = verdict.first
    assert not signature.modified
    assert signature.signer is not None
    assert signature.signer.name == "帯広\u3000花子"
    assert signature.signer.birth_ja == "昭和60年7月1日"
    assert signature.signer.gender_label == "女"
    assert signature.signer.address == "北海道帯広市西5条南7丁目1番地"
    assert signature.signed_at is not None
    assert abs(signature.signed_at - NOW).total_seconds() < 3600
    assert signature.now is not None and signature.now.status == "good"
    data = verdict.to_json()
    for key in ("valid", "signer", "signed_at", "revoked", "modified", "reason"):
        assert key in data
    assert data["signer"]["birth"] == "1985-07-01"
    assert data["revoked"] is False
    assert verdict.message.startswith("署名は有効です")


def test_a_byte_changed_in_the_signed_pdf_is_a_modification(signed_pdf: bytes, ca: Ca) -> None:
    at = signed_pdf.index(PDF_TEXT)
    changed = signed_pdf[:at] + b"APPLICATION FORM" + signed_pdf[at + 16 :]
    verdict = verify_document(changed, anchors=anchors(ca))
    assert not verdict.valid
    assert verdict.reason == "modified"
    assert verdict.first.modified
    assert "変更されています" in verdict.message


def test_a_change_appended_after_signing_is_a_modification(signed_pdf: bytes, ca: Ca) -> None:
    """An incremental update that changes the document (not only revocation data)."""
    writer = IncrementalPdfFileWriter(io.BytesIO(signed_pdf))
    writer.root["/Lang"] = generic.TextStringObject("en")
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    verdict = verify_document(out.getvalue(), anchors=anchors(ca))
    assert verdict.reason == "modified"


def test_a_signature_of_another_ca_is_untrusted(signed_pdf: bytes, other_ca: Ca) -> None:
    verdict = verify_document(signed_pdf, anchors=anchors(other_ca))
    assert (verdict.valid, verdict.reason) == (False, "untrusted")
    assert verdict.first.signer is not None  # who claims to have signed is still shown


def test_a_certificate_without_non_repudiation_is_not_a_signing_certificate(ca: Ca) -> None:
    """R-X509: only nonRepudiation certificates sign; we refuse to, and the verifier says so
    of a signature someone else made with such a key."""
    auth_like = make_card(ca, facts=None, non_repudiation=False)
    with pytest.raises(SigningRefused) as caught:
        sign_cms(b"data", auth_like)
    assert caught.value.code == "signer_wrong_usage"
    made_elsewhere = asyncio.run(
        CardCmsSigner(auth_like).async_sign_general_data(b"data", "sha256", detached=True)
    ).dump()
    verdict = verify_document(made_elsewhere, anchors=anchors(ca), content=b"data")
    assert verdict.reason == "wrong_usage"
    assert verdict.first.signer is None


def test_an_expired_certificate_is_refused_by_the_signer_and_the_verifier(ca: Ca) -> None:
    expired = make_card(ca, not_before=NOW - timedelta(days=400), not_after=NOW - timedelta(days=1))
    with pytest.raises(SigningRefused) as caught:
        sign_pdf(make_pdf(), expired)
    assert caught.value.code == "signer_expired"
    assert expired.signed == []  # the card was never asked to sign


def test_xml_with_japanese_element_names_signs_and_verifies(signed_xml: bytes, ca: Ca) -> None:
    assert b"<\xe7\x94\xb3\xe8\xab\x8b\xe6\x9b\xb8>" in signed_xml  # <申請書> kept as UTF-8
    verdict = verify_document(signed_xml, anchors=anchors(ca))
    assert (verdict.format, verdict.valid) == ("xml", True)
    assert verdict.first.coverage == "whole"
    assert verdict.first.signer is not None
    assert verdict.first.signed_at is None  # XMLDSig carries no signing time


def test_a_changed_xml_document_is_a_modification(signed_xml: bytes, ca: Ca) -> None:
    changed = signed_xml.replace("住所の変更".encode(), "氏名の変更".encode())
    assert changed != signed_xml
    verdict = verify_document(changed, anchors=anchors(ca))
    assert (verdict.valid, verdict.reason, verdict.first.modified) == (False, "modified", True)


def test_a_changed_signature_value_is_a_broken_signature(signed_xml: bytes, ca: Ca) -> None:
    start = signed_xml.index(b"<ds:SignatureValue>") + len(b"<ds:SignatureValue>")
    flipped = b"A" if signed_xml[start : start + 1] != b"A" else b"B"
    broken = signed_xml[:start] + flipped + signed_xml[start + 1 :]
    assert verify_document(broken, anchors=anchors(ca)).reason == "bad_signature"


def test_a_detached_cms_signature_checks_its_content(card: SoftwareCard, ca: Ca) -> None:
    p7s = sign_cms(b"the signed file", card)
    verdict = verify_document(p7s, anchors=anchors(ca), content=b"the signed file")
    assert (verdict.format, verdict.valid) == ("cms", True)
    assert verdict.first.signed_at is not None
    other = verify_document(p7s, anchors=anchors(ca), content=b"another file")
    assert (other.valid, other.reason) == (False, "modified")
    with pytest.raises(BadDocument) as caught:
        verify_document(p7s, anchors=anchors(ca))
    assert caught.value.code == "content_required"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"%PDF-1.4\nnot really a pdf", "broken_pdf"),
        (b"<a><b></a>", "broken_xml"),
        (b'<?xml version="1.0"?><a>no signature</a>', "unsigned_xml"),
        (b"\x30\x03\x02\x01", "broken_cms"),
        (b"-----BEGIN PKCS7-----\n!!!\n-----END PKCS7-----\n", "broken_cms"),
    ],
)
def test_files_that_cannot_be_verified_say_why(data: bytes, code: str, ca: Ca) -> None:
    with pytest.raises(BadDocument) as caught:
        verify_document(data, anchors=anchors(ca))
    assert caught.value.code == code


def test_an_unsigned_pdf_and_a_truncated_one(pdf: bytes, signed_pdf: bytes, ca: Ca) -> None:
    with pytest.raises(BadDocument) as unsigned:
        verify_document(pdf, anchors=anchors(ca))
    assert unsigned.value.code == "unsigned_pdf"
    for cut in (len(signed_pdf) // 3, len(signed_pdf) // 2, len(signed_pdf) - 40):
        with pytest.raises(BadDocument) as truncated:
            verify_document(signed_pdf[:cut], anchors=anchors(ca))
        assert truncated.value.code in {"broken_pdf", "unsigned_pdf"}


def test_too_large_and_not_accepted_and_no_anchor(signed_pdf: bytes, ca: Ca) -> None:
    with pytest.raises(BadDocument) as large:
        verify_document(b"%PDF-1.7" + bytes(MAX_DOCUMENT_BYTES), anchors=anchors(ca))
    assert large.value.code == "file_too_large"
    with pytest.raises(BadDocument) as refused:
        verify_document(b"\x30\x03\x02\x01\x00", anchors=anchors(ca), formats=frozenset({"pdf"}))
    assert refused.value.code == "format_not_accepted"
    with pytest.raises(TrustError) as none:
        verify_document(signed_pdf, anchors=[])
    assert none.value.code == "no_trust_anchor"


def test_the_card_signs_each_document_once(ca: Ca) -> None:
    card = make_card(ca)
    sign_pdf(make_pdf(), card)
    sign_xml(XML, card)
    assert len(card.signed) == 2
