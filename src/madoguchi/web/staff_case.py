"""The case page: one page leads through the visit — who came, what was brought, the PIN or
the ID documents, the issuance, the prints — and the other errands.

A save redirects back with ``?saved=…`` and the page says what was recorded (「記録しました」).
A refused save shows the page again (422) with what the clerk ticked and typed (never a PIN)
and the message beside the field it concerns (issue 15). Refusing and cancelling a case
ask for confirmation first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from madoguchi.rules.cases import CaseKind
from madoguchi.rules.id_documents import IdDocument, IdGroup, IdRefusal, documents_of_group
from madoguchi.rules.items import Item
from madoguchi.rules.pins import PinKind
from madoguchi.rules.procedures import Step, evaluate_visit
from madoguchi.rules.validity import CertKind
from madoguchi.services.domain import Correctable
from madoguchi.services.views import CaseView
from madoguchi.web import i18n
from madoguchi.web.errors import message_of
from madoguchi.web.labels import (
    ACTOR_LABELS,
    KIND_LABELS,
    REFUSAL_REASONS,
    STATE_LABELS,
    STATUS_LABELS,
)
from madoguchi.web.security import StaffContext, checked_form, require_staff
from madoguchi.web.staff_common import LayerError, cert_rows, strs, to_int, today
from madoguchi.web.templating import render

Clerk = Depends(require_staff())

#: what ``?saved=`` may say (the words are the template's)
SAVED = ("items", "letter", "issue", "refuse", "cancel", "revoke", "card_event", "pin_reset")
#: the field an error without one concerns, by its code
FIELD_OF_CODE = {
    **{
        code: "letter_number"
        for code in (
            "letter_required",
            "letter_unknown",
            "letter_used",
            "letter_void",
            "letter_other_case",
            "letter_other_holder",
            "letter_not_mailed",
            "bad_letter_number",
        )
    },
    "pin_locked": "juki_pin",
    "photo_id_required": "holder_documents",
    "reason_required": "reason",
    "kinds_required": "kinds",
    "unknown_pin": "pin",
}
#: the documents offered for each role, by group (the holder's own card is the ``card`` item)
GROUPS = [(g, documents_of_group(g)) for g in IdGroup]
HOLDER_GROUPS = [(g, [d for d in docs if d is not IdDocument.MY_NUMBER_CARD]) for g, docs in GROUPS]


def _kept(form: FormData) -> dict[str, list[str]]:
    """What the clerk ticked and typed, to show again — never a PIN or a password."""
    out: dict[str, list[str]] = {}
    for key in form:
        if key == "csrf_token" or "pin" in key or "password" in key or key == "new_value":
            continue
        out[key] = [str(v)[:200] for v in strs(form, key)]
    return out


def _translated(exc: Exception) -> Exception:
    """The error with its text data (an ID check's reason) translated for the page."""
    params = getattr(exc, "params", None)
    if isinstance(params, dict):
        exc.params = {k: i18n.gettext(v) if isinstance(v, str) else v for k, v in params.items()}  # type: ignore[attr-defined]
    return exc


def refusal(form_name: str, exc: Exception, form: FormData) -> dict[str, Any]:
    code = getattr(exc, "code", "internal_error")
    return {
        "form": form_name,
        "code": code,
        "field": getattr(exc, "field", "") or FIELD_OF_CODE.get(code, ""),
        "message": message_of(_translated(exc)),
        "kept": _kept(form),
    }


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
    checked = view.documents
    check = evaluate_visit(visit, recorded) if visit else None
    complete = check is not None and check.complete
    forms = {
        "items": bool(offered),
        "letter": complete and visit is not None and visit.step is Step.REQUEST,
        "issue": complete and visit is not None and visit.step is Step.ISSUE,
        "revoke": case.kind is CaseKind.REVOCATION,
        "card_event": case.kind in (CaseKind.CARD_LOST, CaseKind.CARD_FOUND),
        "pin_reset": case.kind is CaseKind.PIN_RESET,
        "refuse": True,
        "cancel": True,
    }
    return {
        "shown_forms": {name for name, shown in forms.items() if shown and not case.state.final},
        "case": case,
        "person": person,
        "card": view.card,
        "procedure": view.procedure,
        "visit": visit,
        "recorded": recorded,
        "check": check,
        "offered": offered,
        "letters": view.letters,
        "history": view.history,
        "staff_names": view.staff_names,
        "actors": ACTOR_LABELS,
        "cert_kind_labels": {k.value: k.label for k in CertKind},
        "current": cert_rows(list(view.current.values()), on),
        "issued": view.issued,
        "issue_step": visit is not None and visit.step is Step.ISSUE,
        "eligible": view.eligible,
        "default_kinds": view.default_kinds,
        "valid_kinds": view.valid_kinds,
        "sign_eligible": CertKind.SIGN in view.eligible,
        "checked": checked.get(visit.number if visit else 1, {}),
        "kinds": KIND_LABELS,
        "states": STATE_LABELS,
        "statuses": STATUS_LABELS,
        "holder_groups": HOLDER_GROUPS,
        "proxy_groups": GROUPS,
        "reasons": REFUSAL_REASONS,
        "pin_kinds": list(PinKind),
        "cert_kinds": list(CertKind),
        "Item": Item,
        "CaseKind": CaseKind,
        "IdRefusal": IdRefusal,
    }


def router() -> APIRouter:
    r = APIRouter(prefix="/staff/cases", include_in_schema=False)

    def page(
        request: Request,
        case_id: str,
        *,
        error: str | None = None,
        refused: dict[str, Any] | None = None,
        confirm: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Response:
        view = request.app.state.container.views.case(case_id[:32])
        saved = request.query_params.get("saved", "")
        context = {
            **case_context(view, today(request)),
            "error": error,
            "refused": refused,
            "confirm": confirm,
            "saved": saved if saved in SAVED and not refused and not confirm else None,
            "letter_typed": request.query_params.get("letter", "")[:20],
        }
        return render(request, "staff/case.html", context, status_code=status_code)

    @r.get("/{case_id}")
    def case_page(
        request: Request, case_id: str, ctx: StaffContext = Clerk, error: str | None = None
    ) -> Response:
        return page(request, case_id, error=error)

    async def act(
        request: Request, case_id: str, name: str, action: Callable[[FormData], object]
    ) -> Response:
        form = await checked_form(request)
        try:
            action(form)
        except LayerError as exc:  # the page again, the message beside its field
            return page(request, case_id, refused=refusal(name, exc, form), status_code=422)
        # the part of the page that says what happened next (a fragment inside the folded
        # record form would open it again)
        anchor = {"issue": "issued-h", "items": "visit-h"}.get(name, f"f-{name}")
        query = {"saved": name, "letter": str(form.get("letter", ""))[:20]}
        query = {k: v for k, v in query.items() if v}  # the scanned letter number carried on
        return RedirectResponse(
            f"/staff/cases/{case_id[:32]}?{urlencode(query)}#{anchor}", status_code=303
        )

    @r.post("/{case_id}/items")
    async def record_items(request: Request, case_id: str, ctx: StaffContext = Clerk) -> Response:
        counter = request.app.state.container.counter
        return await act(
            request,
            case_id,
            "items",
            lambda form: counter.record_visit(
                case_id[:32],
                visit=to_int(form.get("visit"), 1),
                items=[Item(i) for i in strs(form, "items") if i in Item._value2member_map_],
                holder_documents=strs(form, "holder_documents")[: len(IdDocument)],
                proxy_documents=strs(form, "proxy_documents")[: len(IdDocument)],
                proxy_name=str(form.get("proxy_name", ""))[:100],
                juki_pin=str(form.get("juki_pin", "")) or None,
                actor=ctx.actor,
            ),
        )

    @r.post("/{case_id}/letter")
    async def mail_letter(request: Request, case_id: str, ctx: StaffContext = Clerk) -> Response:
        counter = request.app.state.container.counter
        return await act(
            request,
            case_id,
            "letter",
            lambda _f: counter.mail_inquiry_letter(case_id[:32], ctx.actor),
        )

    @r.post("/{case_id}/issue")
    async def issue(request: Request, case_id: str, ctx: StaffContext = Clerk) -> Response:
        counter = request.app.state.container.counter

        def do(form: FormData) -> None:
            chosen = [CertKind(k) for k in strs(form, "kinds") if k in CertKind._value2member_map_]
            kinds = chosen if form.get("kinds_offered") else None  # None: the service's default
            for name in ("sign_password", "auth_pin"):
                if str(form.get(name, "")) != str(form.get(f"{name}_confirm", "")):
                    raise Correctable(
                        "pin_mismatch", "the two entries differ", field=f"{name}_confirm"
                    )
            counter.issue(
                case_id[:32],
                sign_password=str(form.get("sign_password", "")) or None,
                auth_pin=str(form.get("auth_pin", "")),
                letter_number=str(form.get("letter_number", "")).strip()[:20] or None,
                kinds=kinds,
                actor=ctx.actor,
            )

        return await act(request, case_id, "issue", do)

    @r.post("/{case_id}/refuse")
    async def refuse(request: Request, case_id: str, ctx: StaffContext = Clerk) -> Response:
        counter = request.app.state.container.counter
        form = await checked_form(request)
        other = " ".join(str(form.get("reason_other", "")).split())
        text = (other or str(form.get("reason", "")))[:400]
        if text and not form.get("confirmed"):  # asks first: 受付できないことを記録しますか
            return page(request, case_id, confirm={"action": "refuse", "reason": text})
        try:
            counter.refuse(case_id[:32], text, ctx.actor)
        except LayerError as exc:
            return page(request, case_id, refused=refusal("refuse", exc, form), status_code=422)
        return RedirectResponse(f"/staff/cases/{case_id[:32]}?saved=refuse", status_code=303)

    @r.post("/{case_id}/cancel")
    async def cancel(request: Request, case_id: str, ctx: StaffContext = Clerk) -> Response:
        counter = request.app.state.container.counter
        form = await checked_form(request)
        if not form.get("confirmed"):
            return page(request, case_id, confirm={"action": "cancel"})
        try:
            counter.cancel(case_id[:32], ctx.actor)
        except LayerError as exc:
            return page(request, case_id, refused=refusal("cancel", exc, form), status_code=422)
        return RedirectResponse(f"/staff/cases/{case_id[:32]}?saved=cancel", status_code=303)

    @r.post("/{case_id}/revoke")
    async def revoke(request: Request, case_id: str, ctx: StaffContext = Clerk) -> Response:
        counter = request.app.state.container.counter

        def do(form: FormData) -> None:
            kinds = [CertKind(k) for k in strs(form, "kinds") if k in CertKind._value2member_map_]
            counter.revoke_on_request(case_id[:32], kinds, ctx.actor)

        return await act(request, case_id, "revoke", do)

    @r.post("/{case_id}/card-event")
    async def card_event(request: Request, case_id: str, ctx: StaffContext = Clerk) -> Response:
        counter = request.app.state.container.counter
        return await act(
            request, case_id, "card_event", lambda _f: counter.card_event(case_id[:32], ctx.actor)
        )

    @r.post("/{case_id}/pin-reset")
    async def pin_reset(request: Request, case_id: str, ctx: StaffContext = Clerk) -> Response:
        counter = request.app.state.container.counter

        def do(form: FormData) -> None:
            try:
                pin = PinKind(str(form.get("pin", "")))
            except ValueError:
                raise Correctable("unknown_pin", "choose the PIN to reset", field="pin") from None
            value = str(form.get("new_value", ""))
            if value != str(form.get("new_value_confirm", "")):
                raise Correctable(
                    "pin_mismatch", "the two entries differ", field="new_value_confirm"
                )
            counter.reset_pin(case_id[:32], pin, value, ctx.actor)

        return await act(request, case_id, "pin_reset", do)

    return r
