"""The case page: the checklist of the visit, the ID documents and the 住基 PIN, the inquiry
letter, the PINs and the issuance, refusals, cancellations and the other errands."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from madoguchi.rules.cases import CaseKind
from madoguchi.rules.eligibility import eligibility
from madoguchi.rules.items import IdDocumentKind, Item
from madoguchi.rules.pins import PinKind
from madoguchi.rules.procedures import Step, evaluate_visit
from madoguchi.rules.validity import CertKind
from madoguchi.services.domain import Refused
from madoguchi.services.views import CaseView
from madoguchi.web.labels import KIND_LABELS, REFUSAL_REASONS, STATE_LABELS, STATUS_LABELS
from madoguchi.web.security import StaffContext, checked_form, require_staff
from madoguchi.web.staff_common import LayerError, cert_rows, refused, strs, to_int, today
from madoguchi.web.templating import render

Clerk = Depends(require_staff())


def _codes(form: FormData, name: str) -> list[IdDocumentKind]:
    return [IdDocumentKind(d) for d in strs(form, name) if d in IdDocumentKind._value2member_map_]


def case_context(view: CaseView, on: Any) -> dict[str, Any]:
    """What the case page shows, from the read side's view of the case."""
    case, person, visit = view.case, view.resident, view.visit
    recorded = [Item(i) for i in case.items.get(str(visit.number), [])] if visit else []
    offered: list[Item] = []
    if visit:
        for req in visit.requirements:
            offered += [i for i in req.options if i not in offered]
    if case.kind is CaseKind.PIN_RESET:
        offered = [Item.CARD, Item.HOLDER_ID]
    return {
        "case": case,
        "person": person,
        "card": view.card,
        "procedure": view.procedure,
        "visit": visit,
        "recorded": recorded,
        "check": evaluate_visit(visit, recorded) if visit else None,
        "offered": offered,
        "letters": view.letters,
        "history": view.history,
        "current": cert_rows(list(view.current.values()), on),
        "issued": view.issued,
        "issue_step": visit is not None and visit.step is Step.ISSUE,
        "sign_eligible": person is not None
        and eligibility(
            CertKind.SIGN,
            birth=person.birth,
            on=on,
            adult_ward=person.adult_ward,
            face_auth_card=bool(view.card and view.card.face_auth),  # R-FACE-1
        ).eligible,
        "kinds": KIND_LABELS,
        "states": STATE_LABELS,
        "statuses": STATUS_LABELS,
        "documents": list(IdDocumentKind),
        "reasons": REFUSAL_REASONS,
        "pin_kinds": list(PinKind),
        "cert_kinds": list(CertKind),
        "Item": Item,
        "CaseKind": CaseKind,
    }


def router() -> APIRouter:
    r = APIRouter(prefix="/staff/cases", include_in_schema=False)

    @r.get("/{case_id}")
    def case_page(
        request: Request, case_id: str, ctx: StaffContext = Clerk, error: str | None = None
    ) -> Response:
        view = request.app.state.container.views.case(case_id[:32])
        return render(
            request, "staff/case.html", {**case_context(view, today(request)), "error": error}
        )

    async def act(request: Request, case_id: str, action: Callable[[FormData], object]) -> Response:
        form = await checked_form(request)
        url = f"/staff/cases/{case_id[:32]}"
        try:
            action(form)
        except LayerError as exc:
            return refused(exc, url)
        return RedirectResponse(url, status_code=303)

    @r.post("/{case_id}/items")
    async def record_items(request: Request, case_id: str, ctx: StaffContext = Clerk) -> Response:
        counter = request.app.state.container.counter
        return await act(
            request,
            case_id,
            lambda form: counter.record_visit(
                case_id[:32],
                visit=to_int(form.get("visit"), 1),
                items=[Item(i) for i in strs(form, "items") if i in Item._value2member_map_],
                holder_documents=_codes(form, "holder_documents"),
                proxy_documents=_codes(form, "proxy_documents"),
                juki_pin=str(form.get("juki_pin", "")) or None,
                actor=ctx.actor,
            ),
        )

    @r.post("/{case_id}/letter")
    async def mail_letter(request: Request, case_id: str, ctx: StaffContext = Clerk) -> Response:
        counter = request.app.state.container.counter
        return await act(
            request, case_id, lambda _f: counter.mail_inquiry_letter(case_id[:32], ctx.actor)
        )

    @r.post("/{case_id}/issue")
    async def issue(request: Request, case_id: str, ctx: StaffContext = Clerk) -> Response:
        counter = request.app.state.container.counter

        def do(form: FormData) -> None:
            sign = str(form.get("sign_password", ""))
            auth = str(form.get("auth_pin", ""))
            if sign != str(form.get("sign_password_confirm", "")) or auth != str(
                form.get("auth_pin_confirm", "")
            ):
                raise Refused("pin_mismatch", "the two entries of a PIN differ")
            counter.issue(
                case_id[:32],
                sign_password=None if form.get("no_sign") else sign,
                auth_pin=auth,
                letter_number=str(form.get("letter_number", "")).strip()[:20] or None,
                actor=ctx.actor,
            )

        return await act(request, case_id, do)

    @r.post("/{case_id}/refuse")
    async def refuse(request: Request, case_id: str, ctx: StaffContext = Clerk) -> Response:
        counter = request.app.state.container.counter

        def do(form: FormData) -> None:
            other = " ".join(str(form.get("reason_other", "")).split())
            text = other or str(form.get("reason", ""))
            counter.refuse(case_id[:32], text[:400], ctx.actor)

        return await act(request, case_id, do)

    @r.post("/{case_id}/cancel")
    async def cancel(request: Request, case_id: str, ctx: StaffContext = Clerk) -> Response:
        counter = request.app.state.container.counter
        return await act(request, case_id, lambda _f: counter.cancel(case_id[:32], ctx.actor))

    @r.post("/{case_id}/revoke")
    async def revoke(request: Request, case_id: str, ctx: StaffContext = Clerk) -> Response:
        counter = request.app.state.container.counter

        def do(form: FormData) -> None:
            kinds = [CertKind(k) for k in strs(form, "kinds") if k in CertKind._value2member_map_]
            counter.revoke_on_request(case_id[:32], kinds, ctx.actor)

        return await act(request, case_id, do)

    @r.post("/{case_id}/card-event")
    async def card_event(request: Request, case_id: str, ctx: StaffContext = Clerk) -> Response:
        counter = request.app.state.container.counter
        return await act(request, case_id, lambda _f: counter.card_event(case_id[:32], ctx.actor))

    @r.post("/{case_id}/pin-reset")
    async def pin_reset(request: Request, case_id: str, ctx: StaffContext = Clerk) -> Response:
        counter = request.app.state.container.counter

        def do(form: FormData) -> None:
            try:
                pin = PinKind(str(form.get("pin", "")))
            except ValueError:
                raise Refused("unknown_pin", "choose the PIN to reset") from None
            value = str(form.get("new_value", ""))
            if value != str(form.get("new_value_confirm", "")):
                raise Refused("pin_mismatch", "the two entries differ")
            counter.reset_pin(case_id[:32], pin, value, ctx.actor)

        return await act(request, case_id, do)

    return r
