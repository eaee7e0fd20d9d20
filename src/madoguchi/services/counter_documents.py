"""The ID documents of a visit, by their R-ID codes (SPEC.md §10, R-ID-1…3): judged with the
rules layer when the clerk saves them, recorded per visit with the verdict and — for a
proxy — the proxy's name, and read back for the case page and the API.

The record of a case (``Case.documents``) is JSON: visit number → role → {codes, counted,
notes, name}. Rows written before issue 15 hold role → R-PROC-1 codes; they are read as the
first visit's, their codes mapped by :func:`madoguchi.rules.id_documents.from_legacy_code`.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from madoguchi.rules.id_documents import IdDocument, IdGroup, from_legacy_code, id_check
from madoguchi.rules.items import IdRole
from madoguchi.services.domain import Case, Correctable

#: the longest proxy's name kept (the registry's names are shorter)
NAME_MAX = 60


@dataclass(frozen=True, slots=True)
class RoleDocuments:
    """What was checked for one person of a visit: the documents shown (codes), those that
    counted, why the others did not (plain Japanese), and the proxy's name."""

    role: IdRole
    shown: tuple[IdDocument, ...]
    counted: tuple[IdDocument, ...]
    notes: tuple[str, ...] = ()
    name: str = ""

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "codes": [d.value for d in self.shown],
            "counted": [d.value for d in self.counted],
            "notes": list(self.notes),
        }
        if self.name:
            out["name"] = self.name
        return out

    @property
    def photo_id(self) -> bool:
        """A photo ID issued by a public office counted (R-PIN-2's reset needs one)."""
        return any(d.group is IdGroup.A for d in self.counted)


def documents(codes: Iterable[str]) -> tuple[IdDocument, ...]:
    """Document codes of R-ID-1 (or of R-PROC-1, as the API took them before) to documents,
    each once; an unknown code is an input error (``unknown_id_document``)."""
    out: list[IdDocument] = []
    for code in codes:
        doc = from_legacy_code(str(code))
        if doc not in out:
            out.append(doc)
    return tuple(out)


def proxy_name(value: str | None) -> str:
    """The proxy's name as written on the ID document, spaces folded."""
    text = " ".join(unicodedata.normalize("NFKC", value or "").split())
    return text[:NAME_MAX]


def judged(
    role: IdRole, shown: tuple[IdDocument, ...], *, on: date, name: str = ""
) -> RoleDocuments:
    """R-ID-2, R-ID-3 on ``shown``: the record to keep, or :class:`Correctable` naming the
    field and the reason (the health-insurance card after 2025-12-01 names 資格確認書). Not
    a refusal of the case: the person may show another document; the clerk refuses the case
    when none suffices (audited as ``case.documents_rejected``, not in the refusals' list)."""
    if role is IdRole.PROXY and not name:
        raise Correctable("proxy_name_required", "the proxy's name is recorded", field="proxy_name")
    verdict = id_check(role, shown, on=on)
    field = f"{role.value}_documents"
    if not verdict.accepted:
        assert verdict.reason is not None
        code = f"{role.value}_id_insufficient"
        raise Correctable(code, verdict.reason.value, field=field, reason=verdict.message)
    return RoleDocuments(role, shown, verdict.counted, verdict.notes, name)


def with_visit(case: Case, visit: int, checked: Mapping[IdRole, RoleDocuments]) -> dict[str, Any]:
    """The case's record of documents with this visit's checks added (a role checked again
    replaces its earlier check of the same visit)."""
    out = {k: v for k, v in _normalized(case.documents).items()}
    mine = dict(out.get(str(visit), {}))
    for role, docs in checked.items():
        mine[role.value] = docs.as_json()
    out[str(visit)] = mine
    return out


def visit_documents(case: Case) -> dict[int, dict[IdRole, RoleDocuments]]:
    """Every visit's checked documents, for the pages and the API."""
    out: dict[int, dict[IdRole, RoleDocuments]] = {}
    for visit, roles in _normalized(case.documents).items():
        out[int(visit)] = {
            IdRole(role): RoleDocuments(
                IdRole(role),
                documents(data.get("codes", [])),
                documents(data.get("counted", data.get("codes", []))),
                tuple(str(n) for n in data.get("notes", [])),
                str(data.get("name", "")),
            )
            for role, data in roles.items()
        }
    return out


def holder_photo_id(case: Case) -> bool:
    """R-PIN-2: did any visit of the case count a photo ID of the holder?"""
    return any(
        roles[IdRole.HOLDER].photo_id
        for roles in visit_documents(case).values()
        if IdRole.HOLDER in roles
    )


def _normalized(raw: Mapping[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    """The record in today's shape; a record before issue 15 (role → codes) as visit 1."""
    if any(k in ("holder", "proxy") for k in raw):
        return {
            "1": {
                role: {"codes": [from_legacy_code(c).value for c in codes]}
                for role, codes in raw.items()
                if role in ("holder", "proxy")
            }
        }
    return {str(k): dict(v) for k, v in raw.items()}
