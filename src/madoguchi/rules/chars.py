"""Characters in the signing certificate: JIS X 0208 and JIS X 0212 only (SPEC.md §10: R-X509-2).

The `sign` certificate writes the name and the address with the characters of JIS X 0208 and
JIS X 0212 (補助漢字) — J-LIS's profile. A character outside them (髙, 﨑, 𠮷, 德, 栁 …) is
replaced by its substitute (代替文字) from :data:`SUBSTITUTES`, and its position is recorded in
the otherNames 1.2.392.200149.8.5.5.2 (name) and .5.5.6 (address): one ``0``/``1`` per code
point of the field, ``1`` where a substitute stands. Python's ``iso2022_jp_1`` codec decides
what is inside (JIS X 0208 + JIS X 0212, with ASCII); code points that the standards encode
under another Unicode mapping (the full-width hyphen-minus U+FF0D for U+2212, the wave dash …)
are the same character and are written in the codec's mapping, never counted as substitutes.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

#: The codec whose repertoire is the certificate's: JIS X 0208 + JIS X 0212 (and ASCII).
CERTIFICATE_CODEC: Final = "iso2022_jp_1"

#: R-X509-2: the same JIS character under another Unicode mapping (Microsoft's CP932 tables
#: map these JIS X 0208 / 0212 code points differently from the codec). Not substitutes.
EQUIVALENTS: Final = MappingProxyType(
    {
        "\uff0d": "\u2212",  # full-width hyphen-minus → minus sign (JIS X 0208 1-1-61)
        "\uff5e": "\u301c",  # full-width tilde → wave dash (1-1-33)
        "\u2225": "\u2016",  # parallel to → double vertical line (1-1-34)
        "\u2014": "\u2015",  # em dash → horizontal bar (1-1-29)
        "\uffe0": "\u00a2",  # full-width cent sign (1-1-81)
        "\uffe1": "\u00a3",  # full-width pound sign (1-1-82)
        "\uffe2": "\u00ac",  # full-width not sign (1-2-44)
        "\uffe4": "\u00a6",  # full-width broken bar (JIS X 0212 2-2-67)
    }
)

#: R-X509-2: the substitutes table (代替文字), variant → the JIS X 0208 form the certificate
#: writes. It starts with the characters names commonly carry outside JIS X 0208/0212 (the
#: CP932 extension kanji and the best-known non-CP932 ones); a character missing here is
#: refused with its name, so the clerk enters the registry's substitute (or its kana).
SUBSTITUTES: Final = MappingProxyType(
    {
        "髙": "高",  # U+9AD9 はしごだか
        "﨑": "崎",  # U+FA11 たつさき
        "𠮷": "吉",  # U+20BB7 つちよし
        "德": "徳",  # U+5FB7
        "栁": "柳",  # U+6801
        "淸": "清",  # U+6DF8
        "靑": "青",  # U+9751
        "昻": "昂",  # U+663B
        "瀨": "瀬",  # U+7028
        "黑": "黒",  # U+9ED1
        "增": "増",  # U+589E
        "寬": "寛",  # U+5BEC
        "悅": "悦",  # U+6085
        "敎": "教",  # U+654E
        "橫": "横",  # U+6A6B
        "綠": "緑",  # U+7DA0
        "緖": "緒",  # U+7DD6
        "薰": "薫",  # U+85B0
        "賴": "頼",  # U+8CF4
        "郞": "郎",  # U+90DE
        "鄕": "郷",  # U+9115
        "靍": "鶴",  # U+974D
        "甁": "瓶",  # U+7501
        "卽": "即",  # U+537D
        "𠮟": "叱",  # U+20B9F
        "剝": "剥",  # U+525D
    }
)


def is_variation_selector(ch: str) -> bool:
    """Unicode variation selectors (VS1–16, and the ideographic VS17–256 of IVS)."""
    cp = ord(ch)
    return 0xFE00 <= cp <= 0xFE0F or 0xE0100 <= cp <= 0xE01EF


def in_certificate_charset(ch: str) -> bool:
    """R-X509-2: is ``ch`` a character of JIS X 0208 or JIS X 0212 (or ASCII) as given?"""
    try:
        ch.encode(CERTIFICATE_CODEC)
    except UnicodeEncodeError:
        return False
    return True


def same_character(ch: str) -> str | None:
    """R-X509-2: ``ch`` written in the codec's mapping when it is the same JIS character under
    another Unicode mapping, else None. Besides :data:`EQUIVALENTS`: a canonical singleton
    (a CJK compatibility ideograph such as U+FA10 塚, which Unicode's NFC folds and the
    certificate's normalisation folds too) and a width variant (half-width katakana)."""
    if ch in EQUIVALENTS:
        return EQUIVALENTS[ch]
    decomposition = unicodedata.decomposition(ch)
    folded: str | None = None
    if decomposition and not decomposition.startswith("<"):
        folded = unicodedata.normalize("NFC", ch)  # a canonical singleton
    elif decomposition.startswith(("<narrow>", "<wide>")):
        folded = unicodedata.normalize("NFKC", ch)
    if folded and folded != ch and len(folded) == 1 and in_certificate_charset(folded):
        return folded
    return None


def substitute_for(ch: str) -> str | None:
    """R-X509-2: the substitute (代替文字) of ``ch`` from the table, or None."""
    if ch in SUBSTITUTES:
        return SUBSTITUTES[ch]
    canonical = unicodedata.normalize("NFC", ch)
    return SUBSTITUTES.get(canonical)


@dataclass(frozen=True, slots=True)
class Substitution:
    """One substituted character: its index (code points, in the result), the original and
    the substitute."""

    index: int
    original: str
    substitute: str


@dataclass(frozen=True, slots=True)
class CertificateText:
    """A text as the signing certificate writes it (R-X509-2)."""

    text: str  # with substitutes; what the certificate carries
    positions: str  # one "0"/"1" per code point of ``text``
    substitutions: tuple[Substitution, ...]
    unknown: tuple[str, ...]  # characters with no substitute, in order, each once

    @property
    def in_charset(self) -> bool:
        """Every character was in JIS X 0208 or JIS X 0212 as given (no substitute needed)."""
        return not self.unknown and not self.substitutions

    @property
    def writable(self) -> bool:
        """The certificate can carry it: every character is inside or has a substitute."""
        return not self.unknown


def certificate_text(text: str) -> CertificateText:
    """R-X509-2: ``text`` with substitutes, its position field, and the characters that have
    no substitute.

    Per code point: a character inside JIS X 0208/0212 stays (``0``); the same character under
    another Unicode mapping is written in the codec's mapping (``0``, not a substitute); a
    character of :data:`SUBSTITUTES` becomes its substitute (``1``). A variation selector (an
    IVS glyph request, which the certificate cannot carry) is dropped and the character before
    it counts as substituted (``1``). Anything else stays as given (``0``) and is listed in
    ``unknown``: the certificate must not be issued with it.
    """
    out: list[str] = []
    marks: list[str] = []
    subs: list[Substitution] = []
    unknown: list[str] = []
    for ch in text:
        if is_variation_selector(ch):
            if out and marks[-1] == "0" and out[-1] not in unknown:
                marks[-1] = "1"
                subs.append(Substitution(len(out) - 1, out[-1] + ch, out[-1]))
            elif not out and ch not in unknown:
                unknown.append(ch)  # a selector with no character before it
            continue
        if in_certificate_charset(ch):
            out.append(ch)
            marks.append("0")
        elif (same := same_character(ch)) is not None:
            out.append(same)
            marks.append("0")
        elif (sub := substitute_for(ch)) is not None:
            subs.append(Substitution(len(out), ch, sub))
            out.append(sub)
            marks.append("1")
        else:
            if ch not in unknown:
                unknown.append(ch)
            out.append(ch)
            marks.append("0")
    return CertificateText("".join(out), "".join(marks), tuple(subs), tuple(unknown))


def valid_positions(text: str, positions: str) -> bool:
    """R-X509-2: a position field has one ``0``/``1`` per code point of its text."""
    return len(positions) == len(text) and set(positions) <= {"0", "1"}


def substituted_in(text: str, positions: str) -> tuple[tuple[int, str], ...] | None:
    """R-X509-2, read back from a certificate: (index, character) of every substitute in
    ``text`` per its position field; None when the field does not fit the text."""
    if not valid_positions(text, positions):
        return None
    return tuple(
        (i, ch) for i, (ch, mark) in enumerate(zip(text, positions, strict=True)) if mark == "1"
    )


def describe_character(ch: str) -> str:
    """A character as a person can find it: 「髙」(U+9AD9)."""
    return f"「{ch}」(" + " ".join(f"U+{ord(c):04X}" for c in ch) + ")"
