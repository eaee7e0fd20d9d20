"""Verifying a CMS signature (``.p7s``): detached with its content, or with the content inside.

pyHanko's ``validate_detached_cms`` hashes the content and checks the signed attributes and
the signature value (``intact``: the content is what was signed; ``valid``: the signature
verifies); the signer's certificate is checked now like every other signer's. The signing
time is the ``signingTime`` attribute the signer's software wrote.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence

from asn1crypto import cms
from cryptography import x509
from pyhanko.sign.general import CMSExtractionError, CMSStructuralError
from pyhanko.sign.validation.generic_cms import async_validate_detached_cms
from pyhanko_certvalidator.fetchers.aiohttp_fetchers import AIOHttpFetcherBackend

from madoguchi.relying.certcheck import check_certificate
from madoguchi.relying.errors import BadDocument
from madoguchi.relying.trust import (
    certificate_facts,
    from_asn1,
    live_context,
    signer_facts,
)
from madoguchi.relying.verdict import SignatureVerdict, Verdict

_PEM = re.compile(rb"-----BEGIN (?:PKCS7|CMS)-----(.+?)-----END (?:PKCS7|CMS)-----", re.S)
_ERRORS = (ValueError, TypeError, KeyError, IndexError, CMSExtractionError, CMSStructuralError)


def signed_data_of(data: bytes) -> cms.SignedData:
    """The SignedData of a DER or PEM CMS file; BadDocument('broken_cms') otherwise."""
    pem = _PEM.search(data)
    try:
        der = base64.b64decode(b"".join(pem.group(1).split())) if pem else data
        info = cms.ContentInfo.load(der, strict=True)
        if info["content_type"].native != "signed_data":
            raise ValueError("not SignedData")
        signed_data = info["content"]
        _ = signed_data.native  # parse every field now: damage is found here, not later
    except (*_ERRORS, binascii.Error) as exc:
        raise BadDocument("broken_cms", type(exc).__name__) from None
    if not signed_data["signer_infos"]:
        raise BadDocument("broken_cms", "no SignerInfo")
    return signed_data


def is_detached(signed_data: cms.SignedData) -> bool:
    return signed_data["encap_content_info"]["content"].native is None


async def verify_cms(
    data: bytes,
    content: bytes | None,
    anchors: Sequence[x509.Certificate],
    backend: AIOHttpFetcherBackend,
) -> Verdict:
    signed_data = signed_data_of(data)
    if is_detached(signed_data):
        if content is None:
            raise BadDocument("content_required", "a detached signature needs its content")
        source: bytes | cms.EncapsulatedContentInfo = content
    else:
        source = signed_data["encap_content_info"]
    context = live_context(anchors, backend)
    try:
        status = await async_validate_detached_cms(
            source, signed_data, signer_validation_context=context
        )
        cert = from_asn1(status.signing_cert)
    except _ERRORS as exc:
        raise BadDocument("broken_cms", type(exc).__name__) from None
    intermediates = [c.chosen for c in signed_data["certificates"] if c.name == "certificate"]
    now = await check_certificate(status.signing_cert, context, intermediates=intermediates)
    verdict = SignatureVerdict(
        format="cms",
        signature_ok=bool(status.valid),
        modified=not status.intact,
        certificate=certificate_facts(cert),
        signer=signer_facts(cert),
        now=now,
        at_signing=None,
        signed_at=getattr(status, "signer_reported_dt", None),
        notes=(f"intact={status.intact}, valid={status.valid}",),
    )
    return Verdict("cms", (verdict,))
