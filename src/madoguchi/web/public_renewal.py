"""The card renewal application reached from the expiry notice's QR code (R-NOTICE-2):
the sealed reference names the card, so the page needs no lookup by name or number."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from madoguchi.services.card_renewal import AlreadyApplied, ApplicationIncomplete, BadRenewalLink
from madoguchi.web.errors import error_page, message_of
from madoguchi.web.public import Site, no_store, site_of
from madoguchi.web.security import checked_form
from madoguchi.web.templating import render


def router() -> APIRouter:
    r = APIRouter(include_in_schema=False)

    @r.get("/card-renewal/{ref}")
    def card_renewal_form(request: Request, ref: str) -> Response:
        service = request.app.state.container.card_renewal
        try:
            target = service.target(ref)
        except BadRenewalLink as exc:
            return error_page(request, 404, exc.code, message_of(exc))
        site = site_of(request)
        context = _renewal_context(site, ref, target)
        context["existing"] = service.existing(target)
        return no_store(render(request, "public/card_renewal.html", context))

    @r.post("/card-renewal/{ref}")
    async def card_renewal_apply(request: Request, ref: str) -> Response:
        form = await checked_form(request)
        service = request.app.state.container.card_renewal
        try:
            target = service.target(ref)
        except BadRenewalLink as exc:
            return error_page(request, 404, exc.code, message_of(exc))
        site = await run_in_threadpool(site_of, request)
        context = _renewal_context(site, ref, target)
        contact = str(form.get("contact", "") or "")[:200]
        receive_at = str(form.get("receive_at", "") or "")
        consent = form.get("consent") == "yes"
        context["form"] = {"contact": contact, "receive_at": receive_at, "consent": consent}
        existing = await run_in_threadpool(service.existing, target)
        if existing is not None:
            context["existing"] = existing
            return no_store(render(request, "public/card_renewal.html", context, 409))
        if receive_at not in {v.office.code for v in site.certificate_offices}:
            context["office_error"] = True
            return no_store(render(request, "public/card_renewal.html", context, 422))
        try:
            application = await run_in_threadpool(
                lambda: service.apply(ref, contact=contact, receive_at=receive_at, consent=consent)
            )
        except BadRenewalLink as exc:
            return error_page(request, 404, exc.code, message_of(exc))
        except AlreadyApplied:
            context["existing"] = await run_in_threadpool(service.existing, target)
            return no_store(render(request, "public/card_renewal.html", context, 409))
        except ApplicationIncomplete as exc:
            context["error"] = exc.code
            return no_store(render(request, "public/card_renewal.html", context, 422))
        context["application"] = application
        return no_store(render(request, "public/card_renewal_done.html", context))

    return r


def _renewal_context(site: Site, ref: str, target: Any) -> dict[str, Any]:
    context = site.context()
    context.update(
        ref=ref,
        target=target,
        expired=target.expires < site.today,
        existing=None,
        error=None,
        office_error=False,
        form={"contact": "", "receive_at": "", "consent": False},
        office_names={v.office.code: v.office.name for v in site.offices},
    )
    return context
