"""The PKI layer's error base (DESIGN.md convention 6)."""

from __future__ import annotations


class PkiError(Exception):
    """Base of every error raised by :mod:`madoguchi.pki`; ``code`` is stable English."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail
