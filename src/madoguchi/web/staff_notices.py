"""The expiry-notice campaigns on screen (SPEC.md §6): supervisors plan, pause, resume and
dispatch, and download the print batches; every clerk sees the returned notices to follow up
and may record a returned letter."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from madoguchi.rules.errors import RuleError
from madoguchi.rules.notices import BatchState
from madoguchi.services.domain import NotFound, ServiceError, StaffRole
from madoguchi.web.labels import NOTICE_REASON_LABELS, NOTICE_STATE_LABELS
from madoguchi.web.security import StaffContext, checked_form, require_staff
from madoguchi.web.templating import render

Clerk = Depends(require_staff())
Supervisor = Depends(require_staff(StaffRole.SUPERVISOR))
PAGE = "/staff/supervisor/notices"


def _date(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value).strip()) if str(value or "").strip() else None
    except ValueError:
        return None


def router() -> APIRouter:
    r = APIRouter(prefix="/staff", include_in_schema=False)

    @r.get("/supervisor/notices")
    def campaigns(
        request: Request,
        ctx: StaffContext = Supervisor,
        error: str | None = None,
        number: str = "",
        notice: str | None = None,
    ) -> Response:
        service = request.app.state.container.notices
        rows = [service.status(cp.id) for cp in service.campaigns()]
        trace = None
        if number.strip():
            try:
                trace = service.trace(number.strip()[:20])
            except NotFound:
                error = "unknown_notice"
        return render(
            request,
            "supervisor/notices.html",
            {
                "rows": rows,
                "returned": request.app.state.container.views.returned_notices(),
                "trace": trace,
                "number": number,
                "states": NOTICE_STATE_LABELS,
                "reasons": NOTICE_REASON_LABELS,
                "error": error,
                "notice": notice,
            },
        )

    async def act(request: Request, ctx: StaffContext, do, back: str = PAGE) -> Response:  # type: ignore[no-untyped-def]
        form = await checked_form(request)
        try:
            done = await run_in_threadpool(do, form)
        except (RuleError, ServiceError) as exc:
            return RedirectResponse(f"{back}?error={exc.code}", status_code=303)
        return RedirectResponse(f"{back}?notice={done}" if done else back, status_code=303)

    @r.post("/supervisor/notices/plan")
    async def plan(request: Request, ctx: StaffContext = Supervisor) -> Response:
        service = request.app.state.container.notices

        def do(form) -> str:  # type: ignore[no-untyped-def]
            first, last = _date(form.get("from")), _date(form.get("to"))
            window = (first, last) if first and last else None
            result = service.plan(ctx.actor, window=window)
            return f"{result.campaign.id}: {result.planned}"

        return await act(request, ctx, do)

    @r.post("/supervisor/notices/{campaign}/{action}")
    async def control(
        request: Request, campaign: str, action: str, ctx: StaffContext = Supervisor
    ) -> Response:
        service = request.app.state.container.notices
        cid = campaign[:32]

        def do(form) -> str:  # type: ignore[no-untyped-def]
            if action == "pause":
                return f"{cid}: {service.pause(cid, ctx.actor)}"
            if action == "resume":
                return f"{cid}: {service.resume(cid, ctx.actor)}"
            if action == "dispatch":
                text = str(form.get("batch_size") or "500")
                size = int(text) if text.isdigit() else 500
                result = service.dispatch(cid, ctx.actor, batch_size=max(1, min(size, 5000)))
                return f"{cid}: {result.sent}/{result.suppressed}"
            raise NotFound("not_found", action)

        return await act(request, ctx, do)

    @r.get("/supervisor/notices/batches/{batch_id}.{ext}")
    def download(
        request: Request, batch_id: str, ext: str, ctx: StaffContext = Supervisor
    ) -> Response:
        service = request.app.state.container.notices
        batch = service.batch(batch_id[:32])
        if batch is None or batch.state is not BatchState.DONE or ext not in ("pdf", "csv"):
            raise NotFound("not_found", batch_id)
        pdf, manifest = service.batch_files(batch)
        path = pdf if ext == "pdf" else manifest
        media = "application/pdf" if ext == "pdf" else "text/csv; charset=utf-8"
        return FileResponse(path, media_type=media, filename=path.name)

    @r.get("/notices/returned")
    def returned(request: Request, ctx: StaffContext = Clerk, error: str | None = None) -> Response:
        returned = request.app.state.container.views.returned_notices()
        return render(request, "staff/returned.html", {"returned": returned, "error": error})

    @r.post("/notices/returned")
    async def record_returned(request: Request, ctx: StaffContext = Clerk) -> Response:
        service = request.app.state.container.notices

        def do(form) -> str:  # type: ignore[no-untyped-def]
            return service.record_returned(str(form.get("number", ""))[:20], ctx.actor).number  # type: ignore[no-any-return]

        return await act(request, ctx, do, back="/staff/notices/returned")

    return r
