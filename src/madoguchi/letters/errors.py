"""The letters layer's error base (DESIGN.md convention 6): a stable code and an English detail."""

from __future__ import annotations


class LettersError(Exception):
    """Base of every error raised by :mod:`madoguchi.letters`.

    Codes: ``font_missing`` (an IPAex font file is not installed), ``font_unreadable``,
    ``invalid_document`` (a document lacks something it must print), ``empty_batch``.
    """

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail
