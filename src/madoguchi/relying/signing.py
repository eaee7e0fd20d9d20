"""Signing with the card: PAdES with pyHanko, enveloped XMLDSig with signxml, detached CMS.

Each signer first checks the card's signing certificate the way a relying party will: a path
to a trust anchor, and its revocation status in hard-fail mode (OCSP, then the CRL). A
revoked, expired or unverifiable certificate signs nothing (:class:`SigningRefused`).

* PDF — PAdES (``ETSI.CAdES.detached``), SHA-256, one new signature field per signature,
  added as an incremental update (earlier signatures stay valid). Long-term: the OCSP
  answers and CRLs that proved the certificate good are embedded in the document's DSS
  (pyHanko's ``embed_validation_info``), so a verifier can see the status at signing time
  after the responder is gone. madoguchi runs no time-stamping authority, so the signing time
  is the one the signer's computer wrote (``/M``); ``embed_revocation=False`` gives B-B.
* XML — an enveloped XMLDSig over the whole document (``URI=""`` with the
  enveloped-signature transform), RSA-SHA256, SHA-256 digests, inclusive C14N 1.0, and the
  signer's certificate in ``KeyInfo/X509Data`` — the shape of the XML signatures of Japanese
  e-government filings.
* CMS — a detached SignedData over any file (``.p7s``), with the signing time attribute.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes
from pyhanko_certvalidator.registry import SimpleCertificateStore
from signxml import CanonicalizationMethod, DigestAlgorithm, SignatureMethod
from signxml.exceptions import SignXMLException

from madoguchi.relying.certcheck import check_certificate
from madoguchi.relying.errors import MAX_DOCUMENT_BYTES, BadDocument, SigningRefused
from madoguchi.relying.keys import SigningKey
from madoguchi.relying.trust import fetching_backend, live_context, to_asn1
from madoguchi.relying.xmldsig import Utf8XMLSigner, parse_xml

RSA_SIGNATURE_BYTES = 256  # RSA-2048, the only key JPKI cards hold
C14N_1_0 = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
_REFUSALS = {
    "revoked": "signer_revoked",
    "expired": "signer_expired",
    "not_yet_valid": "signer_expired",
    "revocation_unavailable": "revocation_unavailable",
    "untrusted": "signer_untrusted",
    "wrong_usage": "signer_wrong_usage",
}


def anchors_for(key: SigningKey, trust: Sequence[x509.Certificate]) -> list[x509.Certificate]:
    """The anchors to check the card's certificate against: ``--trust``, else the card's CA."""
    if trust:
        return list(trust)
    return [x509.load_der_x509_certificate(der) for der in key.ca_certificates]


class CardCmsSigner(signers.Signer):
    """pyHanko's :class:`~pyhanko.sign.signers.Signer` over a :class:`SigningKey`."""

    def __init__(self, key: SigningKey) -> None:
        cert = asn1_x509.Certificate.load(key.certificate)
        chain = [asn1_x509.Certificate.load(der) for der in key.ca_certificates]
        super().__init__(
            signing_cert=cert,
            cert_registry=SimpleCertificateStore.from_certs([cert, *chain]),
            embed_roots=True,
        )
        self._key = key

    async def async_sign_raw(
        self, data: bytes, digest_algorithm: str, dry_run: bool = False
    ) -> bytes:
        if digest_algorithm != "sha256":
            raise SigningError(f"the card signs SHA-256 only, not {digest_algorithm}")
        if dry_run:
            return bytes(RSA_SIGNATURE_BYTES)
        return self._key.sign_sha256(data)  # the card is used from this thread only


class CardRsaKey:
    """What signxml needs of a private key (``sign``, ``key_size``), computed by the card."""

    key_size = 2048

    def __init__(self, key: SigningKey) -> None:
        self._key = key
        self._public = x509.load_der_x509_certificate(key.certificate).public_key()

    def sign(self, data: bytes, padding: Any, algorithm: Any) -> bytes:
        if not isinstance(padding, PKCS1v15) or not isinstance(algorithm, hashes.SHA256):
            raise SigningError("the card signs RSASSA-PKCS1-v1_5 with SHA-256 only")
        return self._key.sign_sha256(data)

    def public_key(self) -> Any:
        return self._public


async def _checked(key: SigningKey, anchors: Sequence[x509.Certificate]) -> None:
    backend = fetching_backend()
    try:
        chain = [to_asn1(der) for der in key.ca_certificates]
        context = live_context(anchors, backend, other_certs=[])
        check = await check_certificate(to_asn1(key.certificate), context, intermediates=chain)
    finally:
        await backend.close()
    if not check.good:
        raise SigningRefused(_REFUSALS.get(check.status, "signing_failed"), check.detail)


def _limited(data: bytes) -> None:
    if len(data) > MAX_DOCUMENT_BYTES:
        raise BadDocument("file_too_large", f"{len(data)} bytes")


def check_document(kind: str, data: bytes) -> None:
    """Refuse a file that cannot be signed as ``kind`` before the card is asked anything."""
    _limited(data)
    if kind == "pdf" and b"%PDF-" not in data[:1024]:
        raise BadDocument("not_a_pdf", "no %PDF- header")
    if kind == "xml":
        parse_xml(data)


# -- PDF --------------------------------------------------------------------------------------


def _field_name(writer: IncrementalPdfFileWriter) -> str:
    taken = {name for name, _, _ in fields.enumerate_sig_fields(writer)}
    n = 1
    while f"Signature{n}" in taken:
        n += 1
    return f"Signature{n}"


def sign_pdf(
    data: bytes,
    key: SigningKey,
    *,
    trust: Sequence[x509.Certificate] = (),
    embed_revocation: bool = True,
    reason: str | None = None,
) -> bytes:
    """The PDF ``data`` signed by ``key`` (PAdES; B-LT-style unless ``embed_revocation``)."""
    _limited(data)
    if b"%PDF-" not in data[:1024]:
        raise BadDocument("not_a_pdf", "no %PDF- header")
    anchors = anchors_for(key, trust)
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
        name = _field_name(writer)
    except (PdfError, ValueError, KeyError, TypeError, IndexError) as exc:
        raise BadDocument("broken_pdf", type(exc).__name__) from None
    return asyncio.run(_sign_pdf(writer, name, key, anchors, embed_revocation, reason))


async def _sign_pdf(
    writer: IncrementalPdfFileWriter,
    name: str,
    key: SigningKey,
    anchors: Sequence[x509.Certificate],
    embed_revocation: bool,
    reason: str | None,
) -> bytes:
    await _checked(key, anchors)
    backend = fetching_backend()
    try:
        meta = signers.PdfSignatureMetadata(
            field_name=name,
            md_algorithm="sha256",
            subfilter=fields.SigSeedSubFilter.PADES,
            reason=reason,
            embed_validation_info=embed_revocation,
            validation_context=live_context(anchors, backend) if embed_revocation else None,
            use_pades_lta=False,
        )
        out = io.BytesIO()
        pdf_signer = signers.PdfSigner(meta, signer=CardCmsSigner(key))
        await pdf_signer.async_sign_pdf(writer, output=out)
    except SigningError as exc:
        raise SigningRefused("signing_failed", str(exc)) from None
    except (PdfError, ValueError, KeyError, TypeError, IndexError) as exc:
        raise BadDocument("broken_pdf", type(exc).__name__) from None
    finally:
        await backend.close()
    return out.getvalue()


# -- XML --------------------------------------------------------------------------------------


def sign_xml(data: bytes, key: SigningKey, *, trust: Sequence[x509.Certificate] = ()) -> bytes:
    """The XML ``data`` with an enveloped signature by ``key`` (the root's last child)."""
    _limited(data)
    root = parse_xml(data)  # a damaged file is refused before the card is asked anything
    anchors = anchors_for(key, trust)
    asyncio.run(_checked(key, anchors))
    signer = Utf8XMLSigner(
        signature_algorithm=SignatureMethod.RSA_SHA256,
        digest_algorithm=DigestAlgorithm.SHA256,
        c14n_algorithm=CanonicalizationMethod(C14N_1_0),
    )
    pem = x509.load_der_x509_certificate(key.certificate).public_bytes(Encoding.PEM)
    try:
        signed = signer.sign(root, key=CardRsaKey(key), cert=[pem.decode()])
    except (SignXMLException, SigningError) as exc:
        raise SigningRefused("signing_failed", type(exc).__name__) from None
    return bytes(etree.tostring(signed, xml_declaration=True, encoding="UTF-8"))


# -- detached CMS -----------------------------------------------------------------------------


def sign_cms(data: bytes, key: SigningKey, *, trust: Sequence[x509.Certificate] = ()) -> bytes:
    """A detached CMS SignedData (DER) over ``data``: the ``.p7s`` beside the file."""
    _limited(data)
    anchors = anchors_for(key, trust)
    return asyncio.run(_sign_cms(data, key, anchors))


async def _sign_cms(data: bytes, key: SigningKey, anchors: Sequence[x509.Certificate]) -> bytes:
    await _checked(key, anchors)
    try:
        signed = await CardCmsSigner(key).async_sign_general_data(
            data,
            "sha256",
            detached=True,
            signed_attr_settings=PdfCMSSignedAttributes(signing_time=datetime.now(UTC)),
        )
    except SigningError as exc:
        raise SigningRefused("signing_failed", str(exc)) from None
    return bytes(signed.dump())
