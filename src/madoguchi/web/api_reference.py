"""The reference and supervisor routes of the JSON API: checklists, offices, the day's
cases, refusals and audit trail."""

from __future__ import annotations

from datetime import date
from enum import Enum

from fastapi import APIRouter, Request

from madoguchi.rules.dates import JST
from madoguchi.rules.errors import RuleInputError
from madoguchi.rules.offices import office_status
from madoguchi.rules.procedures import (
    Applicant,
    Purpose,
    checklist,
    select_procedure,
)
from madoguchi.services.domain import AuditEntry
from madoguchi.services.views import REFUSED_BY_CLERK
from madoguchi.web.api_auth import Clerk, Supervisor
from madoguchi.web.api_models import (
    AUDIT_LIMIT,
    DAY_ENTRIES,
    FIRST_DAY,
    LAST_DAY,
    ChecklistItemOut,
    ChecklistOut,
    ChecklistVisitOut,
    DayQuery,
)
from madoguchi.web.api_models_day import (
    DayAuditOut,
    DayCasesOut,
    OfficeOut,
    OfficesOut,
    RefusalOut,
)
from madoguchi.web.api_views import (
    _audit_out,
    _case_out,
    _procedure_out,
    _today,
)


def _check_day(day: date) -> None:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise RuleInputError("day_out_of_range", "日付は2000年から2999年までで指定してください。")


def _refusal_out(e: AuditEntry, reasons: dict[str, str | None]) -> RefusalOut:
    by_clerk = e.action == REFUSED_BY_CLERK
    return RefusalOut(
        at=e.at.astimezone(JST),
        clerk=e.clerk,
        office=e.office,
        terminal=e.terminal,
        code="refused_by_clerk" if by_clerk else str(e.detail.get("code", "")),
        reason=reasons.get(e.case_id or "") if by_clerk else None,
        case_id=e.case_id,
        resident_id=e.resident_id,
    )


INFO_TAG: list[str | Enum] = ["reference"]
SUPER_TAG: list[str | Enum] = ["supervisor"]


def add_reference_routes(r: APIRouter) -> None:
    """What to bring and where (the clerk role)."""
    info_tag = INFO_TAG

    # -- reference -------------------------------------------------------------------------
    @r.get("/checklist", tags=info_tag)
    def get_checklist(
        ctx: Clerk,
        purpose: Purpose,
        applicant: Applicant,
        notice: bool = False,
        pin_known: bool = False,
    ) -> ChecklistOut:
        """What to bring (SPEC §4): the procedure P1–P5 and the items of each visit."""
        procedure = select_procedure(purpose, applicant, notice=notice)
        visits = checklist(procedure, pin_known=pin_known, notice=notice)
        return ChecklistOut(
            procedure=_procedure_out(procedure),
            visits=[
                ChecklistVisitOut(
                    number=v.number,
                    step=v.step,
                    items=[ChecklistItemOut(code=i, label=i.label, note=i.note) for i in v.items],
                    outcome=v.outcome,
                )
                for v in visits
            ],
        )

    @r.get("/offices", tags=info_tag)
    def get_offices(request: Request, ctx: Clerk) -> OfficesOut:
        """The offices, their hours and whether they handle certificates (R-PROC-0)."""
        c = request.app.state.container
        config = c.site.current()
        now = c.clock()
        out = []
        for office in config.offices:
            status = office_status(office, now, config.calendar)
            out.append(
                OfficeOut(
                    code=office.code,
                    name=office.name,
                    desk=office.desk,
                    handles_certificates=office.handles_certificates,
                    opens=office.opens.strftime("%H:%M"),
                    closes=office.closes.strftime("%H:%M"),
                    address=office.address,
                    phone=office.phone,
                    open_now=status.open,
                    next_open=status.next_open,
                )
            )
        return OfficesOut(
            offices=out,
            your_office=ctx.office.code,
            can_process_here=ctx.status.can_process,
            message=ctx.status.message,
        )


def add_supervisor_routes(r: APIRouter) -> None:
    """The day's cases, refusals and audit trail (the supervisor role)."""
    super_tag = SUPER_TAG

    # -- the supervisor ----------------------------------------------------------------------
    @r.get("/supervisor/cases", tags=super_tag)
    def day_cases(request: Request, ctx: Supervisor, day: DayQuery = None) -> DayCasesOut:
        """The cases opened on a JST day and the day's refusals (by the rules or a clerk)."""
        when = day or _today(request)
        _check_day(when)
        view = request.app.state.container.views.supervisor_day(
            when, trail_limit=DAY_ENTRIES, verify=False
        )
        refusals = [_refusal_out(e, view.clerk_reasons) for e in reversed(view.refusals)]
        return DayCasesOut(
            day=when, cases=[_case_out(row.case) for row in view.cases], refusals=refusals
        )

    @r.get("/supervisor/audit", tags=super_tag)
    def day_audit(request: Request, ctx: Supervisor, day: DayQuery = None) -> DayAuditOut:
        """The audit trail of a JST day, newest first (at most 1000 entries)."""
        when = day or _today(request)
        _check_day(when)
        entries = request.app.state.container.views.audit_of_day(when, AUDIT_LIMIT + 1)
        return DayAuditOut(
            day=when,
            entries=[_audit_out(e) for e in entries[:AUDIT_LIMIT]],
            truncated=len(entries) > AUDIT_LIMIT,
        )
