"""The PKI layer's error base (DESIGN.md convention 6)."""

from __future__ import annotations


class PkiError(Exception):
    """Base of every error raised by :mod:`madoguchi.pki`; ``code`` is stable English."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


_FIELD_LABELS = {"name": "氏名", "address": "住所"}


class UnsupportedCharacter(PkiError):
    """R-X509-2: the name or address has a character outside JIS X 0208/0212 with no
    substitute; the clerk enters the registry's substitute (or its kana)."""

    def __init__(self, field: str, character: str) -> None:
        codepoints = " ".join(f"U+{ord(c):04X}" for c in character)
        super().__init__(
            "unsupported_character",
            f"the {field} has {character!r} ({codepoints}), outside JIS X 0208/0212 "
            "and without a substitute",
        )
        self.field = field
        self.character = character
        self.codepoints = codepoints

    @property
    def params(self) -> dict[str, str]:
        """The data the Japanese message names (messages.PKI_MESSAGES)."""
        return {
            "field": _FIELD_LABELS.get(self.field, self.field),
            "character": self.character,
            "codepoints": self.codepoints,
        }
