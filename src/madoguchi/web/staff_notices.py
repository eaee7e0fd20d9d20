"""The expiry-notice campaigns on screen (SPEC.md §6): supervisors plan, pause, resume and
dispatch (after a confirmation page), record that the print vendor took a batch, and download
the print batches; every clerk sees the returned notices to follow up and may record a
returned letter.

Every action ends in a redirect whose query names what happened (``done=dispatch&n=4…``):
the page says it in words, and a reload does not send anything again.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from madoguchi.rules.errors import RuleError
from madoguchi.rules.notices import BATCH_STATE_LABELS, BatchState
from madoguchi.services.domain import NotFound, Refused, ServiceError, StaffRole
from madoguchi.web.labels import NOTICE_REASON_LABELS, NOTICE_STATE_LABELS
from madoguchi.web.security import StaffContext, checked_form, require_staff
from madoguchi.web.staff_common import to_int
from madoguchi.web.templating import render

Clerk = Depends(require_staff())
Supervisor = Depends(require_staff(StaffRole.SUPERVISOR))
PAGE = "/staff/supervisor/notices"
#: what a redirect may say happened, and the numbers it may carry
OUTCOMES = ("plan", "pause", "resume", "dispatch", "paused", "handover", "returned")
NUMBERS = ("n", "already", "suppressed", "batches")
FILES = (BatchState.DONE, BatchState.HANDED_OVER)


def _date(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value).strip()) if str(value or "").strip() else None
    except ValueError:
        return None


def _window(form: FormData) -> tuple[date, date] | None:
    """Both dates, or none (the default window); one alone, or a date that is not one, is an
    error the page explains."""
    raw = [str(form.get(k, "") or "").strip() for k in ("from", "to")]
    first, last = _date(raw[0]), _date(raw[1])
    if any(raw) and not (first and last):
        raise Refused("window_incomplete", "give both dates of the window, or none")
    return (first, last) if first and last else None


def outcome(params: Any) -> dict[str, Any] | None:
    """What the last action did, from the redirect's query (numbers only, and known words)."""
    done = params.get("done")
    if done not in OUTCOMES:
        return None
    result: dict[str, Any] = {k: to_int(params.get(k, 0), 0) for k in NUMBERS}
    result.update(
        done=done,
        campaign=str(params.get("campaign", ""))[:32],
        batch=str(params.get("batch", ""))[:40],
        number=str(params.get("number", ""))[:20],
    )
    return result


def done(back: str, **params: object) -> RedirectResponse:
    return RedirectResponse(f"{back}?{urlencode(params)}", status_code=303)


def router() -> APIRouter:
    r = APIRouter(prefix="/staff", include_in_schema=False)

    @r.get("/supervisor/notices")
    def campaigns(
        request: Request,
        ctx: StaffContext = Supervisor,
        error: str | None = None,
        number: str = "",
    ) -> Response:
        service = request.app.state.container.notices
        rows = [service.status(cp.id) for cp in service.campaigns()]
        trace = batch = None
        if number.strip():
            try:
                trace = service.trace(number.strip()[:20])
                batch = service.batch(trace[0].batch_id) if trace[0].batch_id else None
            except NotFound:
                error = "unknown_notice"
        by_id = {cp.id: cp for cp, _counts, _batches in rows}
        result = outcome(request.query_params)
        return render(
            request,
            "supervisor/notices.html",
            {
                "rows": rows,
                "returned": request.app.state.container.views.returned_notices(),
                "trace": trace,
                "trace_batch": batch,
                "number": number,
                "states": NOTICE_STATE_LABELS,
                "batch_states": BATCH_STATE_LABELS,
                "reasons": NOTICE_REASON_LABELS,
                "error": error,
                "result": result,
                "result_campaign": by_id.get(result["campaign"]) if result else None,
                "form": {k: request.query_params.get(k, "") for k in ("from", "to")},
                "by_ca_operator": request.app.state.container.remote_ca,  # R-NAT-2
            },
        )

    async def act(request: Request, do, back: str = PAGE) -> Response:  # type: ignore[no-untyped-def]
        form = await checked_form(request)
        try:
            return await run_in_threadpool(do, form)  # type: ignore[no-any-return]
        except (RuleError, ServiceError) as exc:
            keep = {k: str(form.get(k, "") or "")[:10] for k in ("from", "to") if form.get(k)}
            return RedirectResponse(
                f"{back}?{urlencode({'error': exc.code, **keep})}", status_code=303
            )

    @r.post("/supervisor/notices/plan")
    async def plan(request: Request, ctx: StaffContext = Supervisor) -> Response:
        service = request.app.state.container.notices

        def do(form: FormData) -> Response:
            result = service.plan(ctx.actor, window=_window(form), checked=True)
            return done(
                PAGE,
                done="plan",
                campaign=result.campaign.id,
                n=result.planned,
                already=result.already,
            )

        return await act(request, do)

    @r.get("/supervisor/notices/{campaign}/dispatch")
    def confirm_dispatch(
        request: Request, campaign: str, ctx: StaffContext = Supervisor
    ) -> Response:
        """Dispatch asks first: how many notices go into print data, in batches of how many."""
        service = request.app.state.container.notices
        cp, counts, batches = service.status(campaign[:32])
        return render(
            request,
            "supervisor/notices_dispatch.html",
            {"campaign": cp, "counts": counts, "batches": batches, "states": NOTICE_STATE_LABELS},
        )

    @r.post("/supervisor/notices/{campaign}/{action}")
    async def control(
        request: Request, campaign: str, action: str, ctx: StaffContext = Supervisor
    ) -> Response:
        service = request.app.state.container.notices
        cid = campaign[:32]

        def do(form: FormData) -> Response:
            if action in ("pause", "resume"):
                moved = (
                    service.pause(cid, ctx.actor)
                    if action == "pause"
                    else service.resume(cid, ctx.actor)
                )
                return done(PAGE, done=action, campaign=cid, n=moved)
            if action == "dispatch":
                if form.get("confirm") != "yes":  # only the confirmation page sends it
                    return RedirectResponse(f"{PAGE}/{cid}/dispatch", status_code=303)
                size = max(1, min(to_int(form.get("batch_size") or 500, 500), 5000))
                result = service.dispatch(cid, ctx.actor, batch_size=size)
                if result.paused:
                    return done(PAGE, done="paused", campaign=cid)
                return done(
                    PAGE,
                    done="dispatch",
                    campaign=cid,
                    n=result.sent,
                    suppressed=result.suppressed,
                    batches=len(result.batches),
                )
            raise NotFound("not_found", action)

        return await act(request, do)

    @r.post("/supervisor/notices/batches/{batch_id}/handover")
    async def hand_over(
        request: Request, batch_id: str, ctx: StaffContext = Supervisor
    ) -> Response:
        service = request.app.state.container.notices

        def do(form: FormData) -> Response:
            if form.get("confirm") != "yes":
                raise Refused("handover_unconfirmed", "the box was not ticked")
            batch = service.hand_over(batch_id[:40], ctx.actor)
            return done(PAGE, done="handover", batch=batch.id, n=batch.notices)

        return await act(request, do)

    @r.get("/supervisor/notices/batches/{batch_id}.{ext}")
    def download(
        request: Request, batch_id: str, ext: str, ctx: StaffContext = Supervisor
    ) -> Response:
        service = request.app.state.container.notices
        batch = service.batch(batch_id[:32])
        if batch is None or batch.state not in FILES or ext not in ("pdf", "csv"):
            raise NotFound("not_found", batch_id)
        pdf, manifest = service.batch_files(batch)
        path = pdf if ext == "pdf" else manifest
        media = "application/pdf" if ext == "pdf" else "text/csv; charset=utf-8"
        return FileResponse(path, media_type=media, filename=path.name)

    @r.get("/notices/returned")
    def returned(request: Request, ctx: StaffContext = Clerk, error: str | None = None) -> Response:
        returned = request.app.state.container.views.returned_notices()
        return render(
            request,
            "staff/returned.html",
            {"returned": returned, "error": error, "result": outcome(request.query_params)},
        )

    @r.post("/notices/returned")
    async def record_returned(request: Request, ctx: StaffContext = Clerk) -> Response:
        service = request.app.state.container.notices
        back = "/staff/notices/returned"

        def do(form: FormData) -> Response:
            notice = service.record_returned(str(form.get("number", ""))[:20], ctx.actor)
            return done(back, done="returned", number=notice.number)

        return await act(request, do, back=back)

    return r
