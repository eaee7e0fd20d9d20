"""The few DER encodings the CA writes by hand (X.690), for streaming and external signers.

cryptography's builders need the private key in-process and its CRL builder is quadratic;
the streaming CRL writer (:mod:`madoguchi.pki.crl`) and HSM signing assemble
``SEQUENCE { tbs, signatureAlgorithm, signature }`` themselves with these helpers.
"""

from __future__ import annotations

from datetime import UTC, datetime

#: AlgorithmIdentifier { sha256WithRSAEncryption, NULL } (RFC 4055).
SHA256_WITH_RSA = bytes.fromhex("300d06092a864886f70d01010b0500")
#: DigestInfo prefix for SHA-256 (RFC 8017 §9.2), what a card's signing APDU takes.
SHA256_DIGEST_INFO_PREFIX = bytes.fromhex("3031300d060960864801650304020105000420")


def length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def tlv(tag: int, content: bytes) -> bytes:
    return bytes([tag]) + length(len(content)) + content


def sequence(*parts: bytes) -> bytes:
    return tlv(0x30, b"".join(parts))


def integer(value: int) -> bytes:
    if value == 0:
        return b"\x02\x01\x00"
    if value < 0:
        raise ValueError("negative INTEGERs are not written here")
    body = value.to_bytes(value.bit_length() // 8 + 1, "big")  # keeps a leading 0 for the sign
    return tlv(0x02, body)


def bit_string(content: bytes) -> bytes:
    return tlv(0x03, b"\x00" + content)


def octet_string(content: bytes) -> bytes:
    return tlv(0x04, content)


def enumerated(value: int) -> bytes:
    return tlv(0x0A, bytes([value]))


def time_value(moment: datetime) -> bytes:
    """UTCTime through 2049, GeneralizedTime from 2050 (RFC 5280 §4.1.2.5)."""
    utc = moment.astimezone(UTC)
    if utc.year < 2050:
        return tlv(0x17, utc.strftime("%y%m%d%H%M%SZ").encode())
    return tlv(0x18, utc.strftime("%Y%m%d%H%M%SZ").encode())


def signed(tbs: bytes, signature: bytes) -> bytes:
    """``SEQUENCE { tbs, sha256WithRSAEncryption, BIT STRING signature }``."""
    return sequence(tbs, SHA256_WITH_RSA, bit_string(signature))


def digest_info_sha256(digest: bytes) -> bytes:
    if len(digest) != 32:
        raise ValueError("a SHA-256 digest is 32 bytes")
    return SHA256_DIGEST_INFO_PREFIX + digest


def header(tag: int, content_length: int) -> bytes:
    """The identifier and length octets of a TLV whose content is streamed separately."""
    return bytes([tag]) + length(content_length)


def boolean(value: bool) -> bytes:
    """DER BOOLEAN: TRUE is 0xFF (X.690 §11.1)."""
    return b"\x01\x01\xff" if value else b"\x01\x01\x00"


def object_identifier(dotted: str) -> bytes:
    """OBJECT IDENTIFIER from its dotted form, base-128 arcs (X.690 §8.19)."""
    arcs = [int(a) for a in dotted.split(".")]
    if len(arcs) < 2 or arcs[0] > 2 or (arcs[0] < 2 and arcs[1] >= 40) or min(arcs) < 0:
        raise ValueError(f"not an OID: {dotted}")
    body = bytearray()
    for arc in [40 * arcs[0] + arcs[1], *arcs[2:]]:
        septets = [arc & 0x7F]
        arc >>= 7
        while arc:
            septets.append(0x80 | (arc & 0x7F))
            arc >>= 7
        body.extend(reversed(septets))
    return tlv(0x06, bytes(body))
