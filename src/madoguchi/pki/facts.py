"""The holder's four basic facts in the signing certificate (SPEC.md §8, R-X509; R-X509-2).

J-LIS writes them as subjectAltName otherNames, each a UTF8String under its own OID. The name
and the address use the characters of JIS X 0208/0212 only: others are replaced by their
substitutes (:mod:`madoguchi.rules.chars`) and the positions of the substitutes are written
in two more otherNames, present in every signing certificate (R-X509-2).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date

from cryptography import x509
from cryptography.x509.oid import ObjectIdentifier

from madoguchi.pki.errors import PkiError, UnsupportedCharacter
from madoguchi.rules.chars import certificate_text, substituted_in
from madoguchi.rules.dates import jpki_birth_field, parse_jpki_birth_field

OID_NAME = ObjectIdentifier("1.2.392.200149.8.5.5.1")
OID_NAME_POSITIONS = ObjectIdentifier("1.2.392.200149.8.5.5.2")  # R-X509-2
OID_GENDER = ObjectIdentifier("1.2.392.200149.8.5.5.3")
OID_BIRTH = ObjectIdentifier("1.2.392.200149.8.5.5.4")
OID_ADDRESS = ObjectIdentifier("1.2.392.200149.8.5.5.5")
OID_ADDRESS_POSITIONS = ObjectIdentifier("1.2.392.200149.8.5.5.6")  # R-X509-2
MAX_ADDRESS = 200
GENDER_LABELS = {"1": "男", "2": "女", "3": "不明"}


def normalize_text(value: str) -> str:
    """One normalisation for names and addresses everywhere: NFKC, then ASCII spaces and
    digits folded back to the full-width forms J-LIS writes (氏名 uses a full-width space)."""
    text = unicodedata.normalize("NFKC", value).strip()
    return " ".join(text.split()).replace(" ", "\u3000")


@dataclass(frozen=True, slots=True)
class HolderFacts:
    """氏名, 性別 (1 male, 2 female, 3 unknown), 生年月日, 住所."""

    name: str
    gender: str
    birth: date
    address: str

    def __post_init__(self) -> None:
        if self.gender not in GENDER_LABELS:
            raise PkiError("bad_gender", "gender is 1 (male), 2 (female) or 3 (unknown)")
        if not self.name.strip():
            raise PkiError("empty_name", "the name is empty")
        if not self.address.strip() or len(self.address) > MAX_ADDRESS:
            raise PkiError("bad_address", f"the address has 1 to {MAX_ADDRESS} characters")

    @classmethod
    def create(cls, name: str, gender: str, birth: date, address: str) -> HolderFacts:
        return cls(normalize_text(name), gender.strip(), birth, normalize_text(address))


def _utf8(value: str) -> bytes:
    raw = value.encode("utf-8")
    if len(raw) < 128:
        return b"\x0c" + bytes([len(raw)]) + raw
    body = len(raw).to_bytes((len(raw).bit_length() + 7) // 8, "big")
    return b"\x0c" + bytes([0x80 | len(body)]) + body + raw


def _read_utf8(value: bytes) -> str:
    if not value or value[0] != 0x0C:
        raise PkiError("bad_other_name", "otherName value is not a UTF8String")
    first = value[1]
    if first < 0x80:
        start, size = 2, first
    else:
        n = first & 0x7F
        start, size = 2 + n, int.from_bytes(value[2 : 2 + n], "big")
    return value[start : start + size].decode("utf-8")


@dataclass(frozen=True, slots=True)
class CertificateFields:
    """R-X509-2: the name and address as the signing certificate writes them, with the
    position fields (one ``0``/``1`` per code point, ``1`` where a substitute stands)."""

    name: str
    name_positions: str
    address: str
    address_positions: str


def certificate_fields(facts: HolderFacts) -> CertificateFields:
    """R-X509-2: the facts' name and address with substitutes; :class:`UnsupportedCharacter`
    (naming the first such character) when one has no substitute. The counter calls it before
    it prepares an issuance, so the refusal comes before any key is made."""
    name = certificate_text(facts.name)
    if name.unknown:
        raise UnsupportedCharacter("name", name.unknown[0])
    address = certificate_text(facts.address)
    if address.unknown:
        raise UnsupportedCharacter("address", address.unknown[0])
    return CertificateFields(name.text, name.positions, address.text, address.positions)


def facts_to_san(facts: HolderFacts) -> x509.SubjectAlternativeName:
    """R-X509, R-X509-2: the four facts, the name and address in the substitute form, and
    the two position fields, as otherNames in OID order."""
    fields = certificate_fields(facts)
    return x509.SubjectAlternativeName(
        [
            x509.OtherName(OID_NAME, _utf8(fields.name)),
            x509.OtherName(OID_NAME_POSITIONS, _utf8(fields.name_positions)),
            x509.OtherName(OID_GENDER, _utf8(facts.gender)),
            x509.OtherName(OID_BIRTH, _utf8(jpki_birth_field(facts.birth))),
            x509.OtherName(OID_ADDRESS, _utf8(fields.address)),
            x509.OtherName(OID_ADDRESS_POSITIONS, _utf8(fields.address_positions)),
        ]
    )


def facts_from_certificate(cert: x509.Certificate) -> HolderFacts | None:
    """The four facts of a signing certificate, or None (an auth certificate has none)."""
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return None
    values = {o.type_id: _read_utf8(o.value) for o in san.get_values_for_type(x509.OtherName)}
    if OID_NAME not in values:
        return None
    return HolderFacts(
        values[OID_NAME],
        values.get(OID_GENDER, "3"),
        parse_jpki_birth_field(values[OID_BIRTH]),
        values[OID_ADDRESS],
    )


@dataclass(frozen=True, slots=True)
class Substitutes:
    """R-X509-2 read back from a certificate: the position fields as written (None when the
    certificate has none, as certificates issued before R-X509-2) and the substituted
    characters with their index (None when a field does not fit its text)."""

    name_positions: str | None
    address_positions: str | None
    in_name: tuple[tuple[int, str], ...] | None
    in_address: tuple[tuple[int, str], ...] | None


def substitutes_from_certificate(cert: x509.Certificate) -> Substitutes | None:
    """The position fields of a signing certificate and what they mark, or None (no facts)."""
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return None
    values = {o.type_id: _read_utf8(o.value) for o in san.get_values_for_type(x509.OtherName)}
    if OID_NAME not in values:
        return None
    name_pos = values.get(OID_NAME_POSITIONS)
    address_pos = values.get(OID_ADDRESS_POSITIONS)
    return Substitutes(
        name_pos,
        address_pos,
        None if name_pos is None else substituted_in(values[OID_NAME], name_pos),
        None
        if address_pos is None or OID_ADDRESS not in values
        else substituted_in(values[OID_ADDRESS], address_pos),
    )
