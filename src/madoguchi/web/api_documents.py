"""The API's shapes of issue 15's counter: the ID documents checked at a visit (R-ID) and
what the certificates' choice means."""

from __future__ import annotations

from pydantic import BaseModel, Field

from madoguchi.rules.id_documents import IdDocument

DOCUMENTS_HELP = (
    "the holder's ID documents by their R-ID codes (R-PROC-1's codes are read too); given, "
    "they are the holder_id item, instead of the 住基 PIN"
)
KINDS_HELP = (
    "the certificates to issue; without it every eligible kind, except that a new issuance "
    "does not replace a valid certificate"
)


class DocumentsOut(BaseModel):
    codes: list[IdDocument] = Field(description="the documents shown (R-ID-1)")
    counted: list[IdDocument] = Field(description="those that counted (R-ID-2, R-ID-3)")
    notes: list[str] = Field(description="why the others did not count")
    name: str | None = Field(None, description="the proxy's name")
