"""Verify a signed file: a PDF, an XML signature, or a CMS signature (detached or not).

:func:`verify_document` is what ``madoguchi verify`` and the ``/verify`` page call: it
refuses what it cannot verify (too large, not one of the three, damaged, unsigned) with a
:class:`~madoguchi.relying.errors.BadDocument`, and otherwise returns a
:class:`~madoguchi.relying.verdict.Verdict` — a signature that does not hold is a verdict
(``valid`` false, with its ``reason``), not an error.

The file is recognised by its first bytes, never by its name: ``%PDF-`` in the first
kilobyte (as PDF readers accept it), ``<`` after an optional byte-order mark and white space
(XML), a DER SEQUENCE or a PEM ``PKCS7``/``CMS`` block (CMS).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from cryptography import x509

from madoguchi.relying.errors import MAX_DOCUMENT_BYTES, BadDocument, TrustError
from madoguchi.relying.trust import fetching_backend
from madoguchi.relying.verdict import Verdict

_BOM = b"\xef\xbb\xbf"


def sniff(data: bytes) -> str:
    """``pdf``, ``xml`` or ``cms`` by the file's first bytes; BadDocument otherwise."""
    if not data:
        raise BadDocument("unknown_format", "an empty file")
    if b"%PDF-" in data[:1024]:
        return "pdf"
    head = data[:64].removeprefix(_BOM).lstrip(b" \t\r\n")
    if head.startswith(b"<"):
        return "xml"
    if head.startswith(b"-----BEGIN PKCS7-----") or head.startswith(b"-----BEGIN CMS-----"):
        return "cms"
    if data[:1] == b"\x30":
        return "cms"
    raise BadDocument("unknown_format", f"starts with {data[:8]!r}")


def verify_document(
    data: bytes,
    *,
    anchors: Sequence[x509.Certificate],
    content: bytes | None = None,
    formats: frozenset[str] = frozenset({"pdf", "xml", "cms"}),
) -> Verdict:
    """The verdict on the signed file ``data`` (``content``: a detached signature's file)."""
    if len(data) > MAX_DOCUMENT_BYTES or (
        content is not None and len(content) > MAX_DOCUMENT_BYTES
    ):
        raise BadDocument("file_too_large", f"{len(data)} bytes")
    kind = sniff(data)
    if kind not in formats:
        raise BadDocument("format_not_accepted", f"{kind} is not accepted here")
    if not anchors:
        raise TrustError("no_trust_anchor", "no CA certificate to trust")
    return asyncio.run(_verify(kind, data, content, anchors))


async def _verify(
    kind: str, data: bytes, content: bytes | None, anchors: Sequence[x509.Certificate]
) -> Verdict:
    backend = fetching_backend()
    try:
        if kind == "pdf":
            from madoguchi.relying.verify_pdf import verify_pdf

            return await verify_pdf(data, anchors, backend)
        if kind == "xml":
            from madoguchi.relying.verify_xml import verify_xml

            return await verify_xml(data, anchors, backend)
        from madoguchi.relying.verify_cms import verify_cms

        return await verify_cms(data, content, anchors, backend)
    finally:
        await backend.close()
