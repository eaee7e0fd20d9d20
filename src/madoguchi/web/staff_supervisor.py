"""The supervisor's screens: the day's cases, the refusals, the audit trail (with the chain
verified), and the card-renewal applications residents sent from the expiry notice."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from madoguchi.rules.cases import CaseState
from madoguchi.rules.validity import CertKind
from madoguchi.services.domain import StaffRole
from madoguchi.services.views import REFUSED_BY_RULE
from madoguchi.web.labels import (
    ACTION_GROUPS,
    ACTOR_LABELS,
    CHAIN_PROBLEMS,
    KIND_LABELS,
    STATE_LABELS,
)
from madoguchi.web.security import StaffContext, require_staff
from madoguchi.web.staff_common import query_day, today
from madoguchi.web.templating import render

Supervisor = Depends(require_staff(StaffRole.SUPERVISOR))


def router() -> APIRouter:
    r = APIRouter(prefix="/staff/supervisor", include_in_schema=False)

    @r.get("")
    def day(
        request: Request,
        ctx: StaffContext = Supervisor,
        day: str = "",
        clerk: str = "",
        actions: str = "",
    ) -> Response:
        chosen: date = query_day(request, day)
        group = ACTION_GROUPS.get(actions)
        container = request.app.state.container
        view = container.views.supervisor_day(
            chosen, clerk=clerk[:64] or None, actions=group[1] if group else None
        )
        cases = [row.case for row in view.cases]
        refusals = [e for e in view.refusals if e.action == REFUSED_BY_RULE]
        refused_cases = [k for k in cases if k.state is CaseState.REFUSED]
        counts: dict[str, int] = {}
        for k in cases:
            counts[k.state.value] = counts.get(k.state.value, 0) + 1
        return render(
            request,
            "supervisor/day.html",
            {
                "day": chosen,
                "is_today": chosen == today(request),
                "filters": {"clerk": clerk[:64], "actions": actions if group else ""},
                "groups": ACTION_GROUPS,
                "problems": CHAIN_PROBLEMS,
                "actors": ACTOR_LABELS,
                "staff_names": view.staff_names,
                "trail_total": view.trail_total,
                "offices": {o.code: o.name for o in container.site.current().offices},
                "cases": cases,
                "names": {row.case.resident_id: row.resident for row in view.cases},
                "trail": view.trail,
                "refusals": refusals,
                "refused_cases": refused_cases,
                "counts": counts,
                "chain": view.chain,
                "applications": view.applications,
                "kinds": KIND_LABELS,
                "cert_kinds": {k.value: k.label for k in CertKind},
                "states": STATE_LABELS,
            },
        )

    return r
