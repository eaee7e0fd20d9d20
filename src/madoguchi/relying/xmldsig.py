"""signxml for Japanese documents: a safe parser, and signer/verifier that keep UTF-8.

signxml copies trees by serialising and parsing them again, with lxml's default encoding
(ASCII). Text survives that as character references, but element and attribute *names*
cannot: a form whose elements are named in Japanese (``<申請書>``, as e-government forms
are) fails to parse ("invalid element name"). :class:`Utf8XMLSigner` and
:class:`Utf8XMLVerifier` serialise those copies as UTF-8 — the only change; canonical forms
and digests are signxml's own.
"""

from __future__ import annotations

from typing import Any

from lxml import etree
from signxml import XMLSigner, XMLVerifier

from madoguchi.relying.errors import BadDocument

DS = "http://www.w3.org/2000/09/xmldsig#"
NS = {"ds": DS}


def parse_xml(data: bytes) -> Any:
    """The document's root, parsed without entities, network access or DTDs."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        return etree.fromstring(data, parser)
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise BadDocument("broken_xml", type(exc).__name__) from None


class _Utf8Copies:
    def _tostring(self, xml_node: Any, **kwargs: Any) -> bytes:
        kwargs.setdefault("encoding", "UTF-8")
        return bytes(etree.tostring(xml_node, **kwargs))


class Utf8XMLSigner(_Utf8Copies, XMLSigner):
    """signxml's XMLSigner, for documents with non-ASCII element names."""


class Utf8XMLVerifier(_Utf8Copies, XMLVerifier):
    """signxml's XMLVerifier, for documents with non-ASCII element names."""
