"""The supervisor's screens: the day's cases, the refusals, the audit trail (with the chain
verified), and the card-renewal applications residents sent from the expiry notice."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from madoguchi.rules.cases import CaseState
from madoguchi.rules.dates import jst_date
from madoguchi.services.audit import verify_chain
from madoguchi.services.domain import StaffRole
from madoguchi.web.security import StaffContext, require_staff
from madoguchi.web.staff_counter import KIND_LABELS, STATE_LABELS, _day_bounds, _parse_date
from madoguchi.web.templating import render

Supervisor = Depends(require_staff(StaffRole.SUPERVISOR))


def router() -> APIRouter:
    r = APIRouter(prefix="/staff/supervisor", include_in_schema=False)

    @r.get("")
    def day(request: Request, ctx: StaffContext = Supervisor, day: str = "") -> Response:
        c = request.app.state.container
        today = jst_date(c.clock())
        chosen: date = _parse_date(day[:10]) or today
        start, end = _day_bounds(chosen)
        with c.uow() as uow:
            cases = uow.counter.cases_between(start, end)
            names = {k.resident_id: uow.counter.resident(k.resident_id) for k in cases}
            trail = uow.counter.audit_between(start, end, limit=500)
            chain = verify_chain(uow.counter.audit_entries())
            applications = uow.staff.applications(limit=50)
        refusals = [e for e in trail if e.action == "counter.refused"]
        refused_cases = [k for k in cases if k.state is CaseState.REFUSED]
        counts: dict[str, int] = {}
        for k in cases:
            counts[k.state.value] = counts.get(k.state.value, 0) + 1
        return render(
            request,
            "supervisor/day.html",
            {
                "day": chosen,
                "cases": cases,
                "names": names,
                "trail": trail,
                "refusals": refusals,
                "refused_cases": refused_cases,
                "counts": counts,
                "chain": chain,
                "applications": applications,
                "kinds": KIND_LABELS,
                "states": STATE_LABELS,
            },
        )

    return r
