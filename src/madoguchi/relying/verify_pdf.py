"""Verifying the signatures of a PDF with pyHanko (integrity, changes) and certvalidator.

For each signature (document timestamps aside):

* pyHanko's ``validate_pdf_signature`` says whether the signed byte ranges hash to what was
  signed (``intact``), whether the signature value verifies (``valid``), and — from its
  difference analysis of the incremental updates after the signed revision — how the file
  changed since. Adding revocation data to the DSS (what long-term signatures do) is not a
  change; filling forms, adding pages or editing anything else is;
* the signer's certificate is checked now, fetching OCSP then the CRL (hard-fail), and at the
  signing time with the OCSP answers and CRLs the document's DSS carries, if it carries any.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime

from cryptography import x509
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.errors import NoDSSFoundError
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator.fetchers.aiohttp_fetchers import AIOHttpFetcherBackend

from madoguchi.relying.certcheck import CertCheck, check_certificate
from madoguchi.relying.errors import BadDocument
from madoguchi.relying.trust import (
    at_moment,
    certificate_facts,
    from_asn1,
    live_context,
    signer_facts,
)
from madoguchi.relying.verdict import SignatureVerdict, Verdict

#: what may follow a signed revision without it counting as a change of the document
_NOT_A_CHANGE = (ModificationLevel.NONE, ModificationLevel.LTA_UPDATES)
#: pyHanko's reading errors on damaged or truncated files
READ_ERRORS = (PdfError, ValueError, KeyError, TypeError, IndexError, AttributeError)


def read_signatures(data: bytes) -> tuple[PdfFileReader, list[EmbeddedPdfSignature]]:
    """The reader and the signatures of a PDF; BadDocument for a damaged or unsigned file."""
    if b"%PDF-" not in data[:1024]:
        raise BadDocument("not_a_pdf", "no %PDF- header")
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        signatures = list(reader.embedded_regular_signatures)
    except READ_ERRORS as exc:
        raise BadDocument("broken_pdf", type(exc).__name__) from None
    if not signatures:
        raise BadDocument("unsigned_pdf", "no signature field with a signature")
    return reader, signatures


async def verify_pdf(
    data: bytes, anchors: Sequence[x509.Certificate], backend: AIOHttpFetcherBackend
) -> Verdict:
    reader, signatures = read_signatures(data)
    verdicts = [await _verify_one(reader, sig, anchors, backend) for sig in signatures]
    return Verdict("pdf", tuple(verdicts))


async def _verify_one(
    reader: PdfFileReader,
    sig: EmbeddedPdfSignature,
    anchors: Sequence[x509.Certificate],
    backend: AIOHttpFetcherBackend,
) -> SignatureVerdict:
    try:
        cert = from_asn1(sig.signer_cert)
    except READ_ERRORS as exc:
        raise BadDocument("broken_pdf", f"signer certificate: {type(exc).__name__}") from None
    facts, signer = certificate_facts(cert), signer_facts(cert)
    context = live_context(anchors, backend)
    try:
        status = await async_validate_pdf_signature(sig, signer_validation_context=context)
    except READ_ERRORS as exc:  # the signature's own structure is damaged
        return SignatureVerdict(
            format="pdf",
            signature_ok=False,
            modified=True,
            certificate=facts,
            signer=signer,
            now=None,
            at_signing=None,
            signed_at=None,
            field_name=sig.field_name,
            notes=(f"validation failed: {type(exc).__name__}: {exc}",),
        )
    level = status.modification_level
    modified = (
        not status.intact
        or status.coverage is None
        or status.coverage < SignatureCoverageLevel.ENTIRE_REVISION
        or (level is not None and level not in _NOT_A_CHANGE)
        or status.docmdp_ok is False
    )
    now = await check_certificate(sig.signer_cert, context, intermediates=sig.other_embedded_certs)
    signed_at = status.signer_reported_dt
    at_signing = None
    if signed_at is not None:
        at_signing = await _at_signing(reader, sig, anchors, signed_at)
    return SignatureVerdict(
        format="pdf",
        signature_ok=bool(status.valid),
        modified=modified,
        certificate=facts,
        signer=signer,
        now=now,
        at_signing=at_signing,
        signed_at=signed_at,
        field_name=sig.field_name,
        notes=(f"coverage={status.coverage}, modification={level}",),
    )


async def _at_signing(
    reader: PdfFileReader,
    sig: EmbeddedPdfSignature,
    anchors: Sequence[x509.Certificate],
    signed_at: datetime,
) -> CertCheck | None:
    """The certificate at the signing time, with only the DSS's OCSP answers and CRLs."""
    try:
        dss = DocumentSecurityStore.read_dss(reader)
    except NoDSSFoundError:
        return None
    except READ_ERRORS:
        return None
    if not dss.ocsps and not dss.crls:
        return None
    context = dss.as_validation_context(at_moment(anchors, signed_at))
    return await check_certificate(sig.signer_cert, context, intermediates=sig.other_embedded_certs)
