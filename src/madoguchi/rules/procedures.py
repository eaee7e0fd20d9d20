"""The five counter procedures P1–P5: their visits and the items of each (SPEC.md §4).

Procedures are data: each visit lists its requirements, a requirement is one item or a
choice between items. :func:`checklist` resolves the choices for one person's situation and
:func:`evaluate_visit` tells the clerk exactly what is still missing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from madoguchi.rules.errors import RuleInputError
from madoguchi.rules.items import Item


class ProcedureId(StrEnum):
    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    P4 = "P4"
    P5 = "P5"


class Purpose(StrEnum):
    NEW = "new"
    RENEWAL = "renewal"


class Applicant(StrEnum):
    SELF = "self"
    PROXY = "proxy"


class Step(StrEnum):
    """What a visit achieves: a proxy's request (an inquiry letter is mailed) or the issuance."""

    REQUEST = "request"
    ISSUE = "issue"


@dataclass(frozen=True, slots=True)
class Requirement:
    """One line of a checklist: any one of ``options`` (in order of preference).

    ``optional`` lines are brought when the person has them (the expiry notice in P3) and
    never block the visit.
    """

    options: tuple[Item, ...]
    optional: bool = False

    def satisfied_by(self, presented: frozenset[Item]) -> bool:
        return any(item in presented for item in self.options)

    @property
    def label(self) -> str:
        return "、または".join(item.label for item in self.options)


@dataclass(frozen=True, slots=True)
class Visit:
    number: int
    step: Step
    requirements: tuple[Requirement, ...]
    outcome: str


@dataclass(frozen=True, slots=True)
class Procedure:
    id: ProcedureId
    purpose: Purpose
    applicant: Applicant
    title: str
    visits: tuple[Visit, ...]

    def visit(self, number: int) -> Visit:
        for v in self.visits:
            if v.number == number:
                return v
        raise RuleInputError("no_such_visit", f"{self.id} has no visit {number}")

    @property
    def two_visits(self) -> bool:
        return len(self.visits) == 2


def _req(*items: Item, optional: bool = False) -> Requirement:
    return Requirement(tuple(items), optional)


_SELF_ID = _req(Item.HOLDER_PIN, Item.HOLDER_ID)
_MAILED = "本人の住民登録地あてに照会書を郵送します（転送不要）。"
_ISSUED = "電子証明書を発行し、電子証明書の写しをお渡しします。"
_SECOND_VISIT = (
    _req(Item.INQUIRY_LETTER),
    _req(Item.POWER_OF_ATTORNEY),
    _req(Item.CARD),
    _req(Item.PROXY_ID),
)

#: SPEC.md §4, the table of the five procedures.
PROCEDURES: dict[ProcedureId, Procedure] = {
    p.id: p
    for p in (
        Procedure(
            ProcedureId.P1,
            Purpose.NEW,
            Applicant.SELF,
            "新規発行（本人）",
            (Visit(1, Step.ISSUE, (_req(Item.CARD), _SELF_ID), _ISSUED),),
        ),
        Procedure(
            ProcedureId.P2,
            Purpose.NEW,
            Applicant.PROXY,
            "新規発行（代理人）",
            (
                Visit(1, Step.REQUEST, (_req(Item.CARD), _req(Item.PROXY_ID)), _MAILED),
                Visit(2, Step.ISSUE, _SECOND_VISIT, _ISSUED),
            ),
        ),
        Procedure(
            ProcedureId.P3,
            Purpose.RENEWAL,
            Applicant.SELF,
            "更新（本人）",
            (
                Visit(
                    1,
                    Step.ISSUE,
                    (_req(Item.CARD), _SELF_ID, _req(Item.EXPIRY_NOTICE, optional=True)),
                    _ISSUED,
                ),
            ),
        ),
        Procedure(
            ProcedureId.P4,
            Purpose.RENEWAL,
            Applicant.PROXY,
            "更新（代理人・有効期限通知書あり）",
            (
                Visit(
                    1,
                    Step.ISSUE,
                    (
                        _req(Item.CARD),
                        _req(Item.EXPIRY_NOTICE),
                        _req(Item.INQUIRY_REPLY),
                        _req(Item.POWER_OF_ATTORNEY),
                        _req(Item.PROXY_ID),
                    ),
                    _ISSUED,
                ),
            ),
        ),
        Procedure(
            ProcedureId.P5,
            Purpose.RENEWAL,
            Applicant.PROXY,
            "更新（代理人・有効期限通知書なし）",
            (
                Visit(
                    1,
                    Step.REQUEST,
                    (_req(Item.CARD), _req(Item.HOLDER_ID), _req(Item.PROXY_ID)),
                    _MAILED,
                ),
                Visit(2, Step.ISSUE, _SECOND_VISIT, _ISSUED),
            ),
        ),
    )
}


def select_procedure(purpose: Purpose, applicant: Applicant, *, notice: bool = False) -> Procedure:
    """Which of P1–P5 applies: new or renewal, in person or by proxy, expiry notice at hand."""
    purpose, applicant = Purpose(purpose), Applicant(applicant)
    if purpose is Purpose.NEW:
        return PROCEDURES[ProcedureId.P1 if applicant is Applicant.SELF else ProcedureId.P2]
    if applicant is Applicant.SELF:
        return PROCEDURES[ProcedureId.P3]
    return PROCEDURES[ProcedureId.P4 if notice else ProcedureId.P5]


@dataclass(frozen=True, slots=True)
class ChecklistVisit:
    number: int
    step: Step
    items: tuple[Item, ...]
    outcome: str


def _resolve(req: Requirement, *, pin_known: bool, notice: bool) -> Item | None:
    if req.optional:  # only the expiry notice is optional: brought when at hand
        return req.options[0] if notice else None
    usable = [i for i in req.options if pin_known or i is not Item.HOLDER_PIN]
    return usable[0]


def checklist(
    procedure: Procedure, *, pin_known: bool = False, notice: bool = False
) -> tuple[ChecklistVisit, ...]:
    """The exact items of each visit for one person's situation, in visit order.

    ``pin_known``: the holder knows the 住基 PIN (else the holder's ID is needed instead);
    ``notice``: the expiry notice is at hand (brought along in P3).
    """
    out = []
    for visit in procedure.visits:
        items = [_resolve(r, pin_known=pin_known, notice=notice) for r in visit.requirements]
        out.append(
            ChecklistVisit(
                visit.number, visit.step, tuple(i for i in items if i is not None), visit.outcome
            )
        )
    return tuple(out)


@dataclass(frozen=True, slots=True)
class VisitCheck:
    complete: bool
    missing: tuple[Requirement, ...]

    @property
    def message(self) -> str:
        if self.complete:
            return "必要なものはそろっています。"
        return "不足しているもの: " + "／".join(r.label for r in self.missing)


def evaluate_visit(visit: Visit, presented: Iterable[Item]) -> VisitCheck:
    """Which requirements of ``visit`` the recorded items do not meet yet (optional ones never)."""
    got = frozenset(Item(i) for i in presented)
    missing = tuple(r for r in visit.requirements if not r.optional and not r.satisfied_by(got))
    return VisitCheck(not missing, missing)
