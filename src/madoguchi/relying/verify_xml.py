"""Verifying an XML signature (XMLDSig) with signxml, and its signer with certvalidator.

The signer's certificate is the first ``ds:X509Certificate`` of the signature's ``KeyInfo``.
It is checked first (a path to a trust anchor, OCSP then the CRL in hard-fail mode), and only
then given to signxml as *the* certificate to verify with, so that signxml never decides
trust by itself. signxml then checks every ``Reference`` digest (a digest that no longer
matches: the document changed after signing) and the signature value.

"What is signed" (the XMLDSig best practices): a signature counts as covering the document
only when a Reference is the whole document (``URI=""``, the enveloped form madoguchi and
e-government filings use). A signature over a part only is reported, never passed as valid.
XML signatures carry no trusted signing time and no revocation data, so ``signed_at`` and
the check at the signing time are empty.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Any

from cryptography import x509
from lxml import etree
from pyhanko_certvalidator.fetchers.aiohttp_fetchers import AIOHttpFetcherBackend
from signxml import SignatureConfiguration, SignatureMethod
from signxml.exceptions import InvalidDigest, InvalidInput, InvalidSignature, SignXMLException

from madoguchi.relying.certcheck import check_certificate
from madoguchi.relying.errors import BadDocument
from madoguchi.relying.trust import certificate_facts, live_context, signer_facts, to_asn1
from madoguchi.relying.verdict import SignatureVerdict, Verdict
from madoguchi.relying.xmldsig import NS, Utf8XMLVerifier, parse_xml

#: RSA with SHA-2 only: what JPKI cards sign (no SHA-1, no HMAC)
_METHODS = frozenset(
    {SignatureMethod.RSA_SHA256, SignatureMethod.RSA_SHA384, SignatureMethod.RSA_SHA512}
)


def _signer_certificate(signature: Any) -> x509.Certificate | None:
    found = signature.find("ds:KeyInfo/ds:X509Data/ds:X509Certificate", NS)
    if found is None or not (found.text or "").strip():
        return None
    try:
        der = base64.b64decode("".join(found.text.split()), validate=True)
        return x509.load_der_x509_certificate(der)
    except (binascii.Error, ValueError):
        return None


def _coverage(signature: Any) -> str:
    uris = [ref.get("URI") for ref in signature.findall("ds:SignedInfo/ds:Reference", NS)]
    return "whole" if "" in uris else "partial"


async def verify_xml(
    data: bytes, anchors: Sequence[x509.Certificate], backend: AIOHttpFetcherBackend
) -> Verdict:
    root = parse_xml(data)
    signatures = root.findall(".//ds:Signature", NS)
    if not signatures:
        raise BadDocument("unsigned_xml", "no ds:Signature element")
    signature = signatures[0]
    references = len(signature.findall("ds:SignedInfo/ds:Reference", NS))
    cert = _signer_certificate(signature)
    if cert is None:  # nothing to say who signed: a signature nobody can rely on
        return Verdict("xml", (_broken(None, "no X509Certificate in KeyInfo"),))
    facts = certificate_facts(cert)
    now = await check_certificate(to_asn1(cert), live_context(anchors, backend))
    config = SignatureConfiguration(
        require_x509=True,
        expect_references=max(references, 1),
        signature_methods=_METHODS,
    )
    signature_ok, modified, note = True, False, "signature and digests verify"
    try:
        Utf8XMLVerifier().verify(data, x509_cert=cert, expect_config=config)
    except InvalidDigest as exc:
        modified, note = True, f"digest mismatch: {exc}"
    except (InvalidSignature, InvalidInput) as exc:
        signature_ok, note = False, f"{type(exc).__name__}: {exc}"
    except (SignXMLException, etree.LxmlError, ValueError) as exc:
        signature_ok, note = False, f"{type(exc).__name__}: {exc}"
    verdict = SignatureVerdict(
        format="xml",
        signature_ok=signature_ok,
        modified=modified,
        certificate=facts,
        signer=signer_facts(cert),
        now=now,
        at_signing=None,
        signed_at=None,
        coverage=_coverage(signature),
        notes=(note,),
    )
    return Verdict("xml", (verdict,))


def _broken(cert: x509.Certificate | None, note: str) -> SignatureVerdict:
    return SignatureVerdict(
        format="xml",
        signature_ok=False,
        modified=False,
        certificate=certificate_facts(cert) if cert else None,
        signer=signer_facts(cert) if cert else None,
        now=None,
        at_signing=None,
        signed_at=None,
        notes=(note,),
    )
