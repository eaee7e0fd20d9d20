"""The counter screens: find the resident, open a case, tick the checklist of the visit,
mail the inquiry letter, set the PINs and issue, or refuse with the reason in plain Japanese.

Every POST carries the session's CSRF token; every refusal the rules make is shown on the
page it came from (``?error=code``) and logged for the supervisor's list of refusals.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from madoguchi.card.errors import CardError
from madoguchi.pki.errors import PkiError
from madoguchi.pki.facts import normalize_text
from madoguchi.pki.records import CertRecord
from madoguchi.rules.cases import CaseKind, CaseState
from madoguchi.rules.dates import JST, jst_date
from madoguchi.rules.eligibility import eligibility
from madoguchi.rules.errors import RuleError
from madoguchi.rules.inquiry import parse_letter_number
from madoguchi.rules.items import IdDocumentKind, Item
from madoguchi.rules.pins import PinKind, check_pin
from madoguchi.rules.procedures import PROCEDURES, Procedure, Step, Visit, evaluate_visit
from madoguchi.rules.validity import CertKind, renewal_offered, renewal_window_opens
from madoguchi.services.domain import Case, Resident
from madoguchi.services.errors import NotFound, Refused, ServiceError
from madoguchi.web.security import StaffContext, checked_form, require_staff
from madoguchi.web.templating import render

log = logging.getLogger("madoguchi.web.counter")

KIND_LABELS: dict[CaseKind, str] = {
    **{CaseKind(p.id.value): f"{p.id.value} {p.title}" for p in PROCEDURES.values()},
    CaseKind.REVOCATION: "電子証明書の失効の申請",
    CaseKind.PIN_RESET: "暗証番号の初期化（ロックの解除）",
    CaseKind.CARD_LOST: "カードの紛失の届出（一時保留）",
    CaseKind.CARD_FOUND: "紛失したカードの発見の届出",
}
STATE_LABELS: dict[CaseState, str] = {
    CaseState.OPEN: "受付中",
    CaseState.AWAITING_REPLY: "照会書の持参待ち（2回目の来庁）",
    CaseState.ISSUED: "発行済み",
    CaseState.COMPLETED: "完了",
    CaseState.REFUSED: "受付できず",
    CaseState.CANCELLED: "取消し",
}
RESIDENT_STATUS_LABELS = {"resident": "住民", "moved_out": "転出", "deceased": "死亡"}
STATUS_LABELS = {
    "good": "有効",
    "held": "一時保留",
    "revoked": "失効",
    "expired": "期限切れ",
}
REFUSAL_REASONS = (
    "本人確認書類がそろわないため",
    "照会書・委任状に不備があるため",
    "本人の意思が確認できないため",
    "申請者の申出による",
)
LayerError = (RuleError, PkiError, CardError, ServiceError)
Clerk = Depends(require_staff())


@dataclass(frozen=True, slots=True)
class CertRow:
    record: CertRecord
    expires: date
    status: str
    renewable: bool
    window_opens: date


def _today(request: Request) -> date:
    return jst_date(request.app.state.container.clock())


def _cert_rows(records: list[CertRecord], today: date) -> list[CertRow]:
    rows = []
    for rec in sorted(records, key=lambda r: (r.not_before, r.kind.value), reverse=True):
        expires = jst_date(rec.not_after)
        status = rec.status.value if expires >= today else "expired"
        rows.append(
            CertRow(
                rec, expires, status, renewal_offered(today, expires), renewal_window_opens(expires)
            )
        )
    return rows


def _back(url: str, error: str | None = None, **params: str) -> RedirectResponse:
    query = "&".join(
        f"{k}={v}" for k, v in {**params, **({"error": error} if error else {})}.items()
    )
    return RedirectResponse(f"{url}?{query}" if query else url, status_code=303)


def _refused(
    request: Request,
    ctx: StaffContext,
    exc: Exception,
    url: str,
    case_id: str | None = None,
    resident_id: str | None = None,
) -> RedirectResponse:
    """Show a refusal on the page it came from and log it for the supervisor."""
    code = getattr(exc, "code", "internal_error")
    log.info("counter refused %s: %s", code, exc)
    if isinstance(exc, Refused | RuleError | CardError):
        request.app.state.container.counter.record_refusal(
            ctx.actor, code, case_id=case_id, resident_id=resident_id
        )
    return _back(url, code)


def current_visit(case: Case, procedure: Procedure) -> Visit:
    if procedure.two_visits and case.state is CaseState.AWAITING_REPLY:
        return procedure.visit(2)
    return procedure.visits[0]


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=JST)
    return start, start + timedelta(days=1)


def _parse_date(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip()) if value.strip() else None
    except ValueError:
        return None


def _strs(form: FormData, name: str) -> list[str]:
    return [v for v in form.getlist(name) if isinstance(v, str)]


def router() -> APIRouter:
    r = APIRouter(prefix="/staff", include_in_schema=False)

    # -- the counter's first screen: search ---------------------------------------------------
    @r.get("/")
    def home(request: Request, ctx: StaffContext = Clerk, error: str | None = None) -> Response:
        c = request.app.state.container
        start, end = _day_bounds(_today(request))
        with c.uow() as uow:
            cases = [k for k in uow.counter.cases_between(start, end) if k.clerk == ctx.account.id]
            names = {k.resident_id: uow.counter.resident(k.resident_id) for k in cases}
        return render(
            request,
            "staff/home.html",
            {
                "cases": cases,
                "names": names,
                "kinds": KIND_LABELS,
                "states": STATE_LABELS,
                "error": error,
            },
        )

    @r.get("/search")
    def search(
        request: Request,
        ctx: StaffContext = Clerk,
        name: str = "",
        birth: str = "",
        card: str = "",
        letter: str = "",
    ) -> Response:
        c = request.app.state.container
        name = normalize_text(name)[:100]  # full-/half-width and spaces as the registry keeps them
        card, letter = card.strip()[:32], letter.strip()[:20]
        with c.uow() as uow:
            if letter:
                try:
                    found = uow.counter.letter(parse_letter_number(letter))
                except RuleError as exc:
                    return _back("/staff/", exc.code)
                if found is None:
                    return _back("/staff/", "letter_unknown")
                return RedirectResponse(f"/staff/cases/{found.case_id}", status_code=303)
            if card:
                found_card = uow.counter.card(card)
                if found_card is None:
                    return _back("/staff/", "unknown_card")
                return RedirectResponse(
                    f"/staff/residents/{found_card.resident_id}", status_code=303
                )
            born = _parse_date(birth)
            if birth and born is None:
                return _back("/staff/", "bad_date")
            if not name and born is None:
                return _back("/staff/", "search_input_required")
            residents = uow.counter.find_residents(name=name or None, birth=born)
        return render(
            request, "staff/search.html", {"residents": residents, "name": name, "birth": birth}
        )

    # -- the resident and a new case ----------------------------------------------------------
    @r.get("/residents/{resident_id}")
    def resident(
        request: Request, resident_id: str, ctx: StaffContext = Clerk, error: str | None = None
    ) -> Response:
        c = request.app.state.container
        today = _today(request)
        with c.uow() as uow:
            person = uow.counter.resident(resident_id[:32])
            if person is None:
                raise NotFound("unknown_resident", resident_id)
            cards = uow.counter.cards_of(person.id)
            certs = {
                card.id: _cert_rows(uow.pki.certificates_of_card(card.id), today) for card in cards
            }
            open_cases = [k for k in uow.counter.cases_of_resident(person.id) if not k.state.final]
        return render(
            request,
            "staff/resident.html",
            {
                "person": person,
                "cards": cards,
                "certs": certs,
                "open_cases": open_cases,
                "kinds": KIND_LABELS,
                "states": STATE_LABELS,
                "statuses": STATUS_LABELS,
                "sign_eligible": _sign_eligible(person, today),
                "error": error,
            },
        )

    @r.post("/residents/{resident_id}/cases")
    async def open_case(request: Request, resident_id: str, ctx: StaffContext = Clerk) -> Response:
        form = await checked_form(request)
        c = request.app.state.container
        url = f"/staff/residents/{resident_id[:32]}"
        try:
            kind = CaseKind(str(form.get("kind", "")))
        except ValueError:
            return _back(url, "unknown_case_kind")
        try:
            case = c.counter.open_case(
                kind=kind,
                resident_id=resident_id[:32],
                actor=ctx.actor,
                idempotency_key=str(form.get("idempotency_key", ""))[:64] or None,
            )
        except LayerError as exc:
            return _refused(request, ctx, exc, url, resident_id=resident_id[:32])
        return RedirectResponse(f"/staff/cases/{case.id}", status_code=303)

    # -- the case -----------------------------------------------------------------------------
    @r.get("/cases/{case_id}")
    def case_page(
        request: Request, case_id: str, ctx: StaffContext = Clerk, error: str | None = None
    ) -> Response:
        return render(
            request, "staff/case.html", {**_case_view(request, case_id[:32]), "error": error}
        )

    async def _act(request: Request, case_id: str, ctx: StaffContext, action: Any) -> Response:
        form = await checked_form(request)
        url = f"/staff/cases/{case_id[:32]}"
        try:
            action(form)
        except LayerError as exc:
            return _refused(request, ctx, exc, url, case_id=case_id[:32])
        return RedirectResponse(url, status_code=303)

    @r.post("/cases/{case_id}/items")
    async def record_items(request: Request, case_id: str, ctx: StaffContext = Clerk) -> Response:
        c = request.app.state.container

        def act(form: FormData) -> None:
            c.counter.record_visit(
                case_id[:32],
                visit=_int(form.get("visit"), 1),
                items=[Item(i) for i in _strs(form, "items") if i in Item._value2member_map_],
                holder_documents=[
                    IdDocumentKind(d)
                    for d in _strs(form, "holder_documents")
                    if d in IdDocumentKind._value2member_map_
                ],
                proxy_documents=[
                    IdDocumentKind(d)
                    for d in _strs(form, "proxy_documents")
                    if d in IdDocumentKind._value2member_map_
                ],
                juki_pin=str(form.get("juki_pin", "")) or None,
                actor=ctx.actor,
            )

        return await _act(request, case_id, ctx, act)

    @r.post("/cases/{case_id}/letter")
    async def mail_letter(request: Request, case_id: str, ctx: StaffContext = Clerk) -> Response:
        c = request.app.state.container
        return await _act(
            request, case_id, ctx, lambda _f: c.counter.mail_inquiry_letter(case_id[:32], ctx.actor)
        )

    @r.post("/cases/{case_id}/issue")
    async def issue(request: Request, case_id: str, ctx: StaffContext = Clerk) -> Response:
        c = request.app.state.container

        def act(form: FormData) -> None:
            sign = str(form.get("sign_password", ""))
            auth = str(form.get("auth_pin", ""))
            if sign != str(form.get("sign_password_confirm", "")) or auth != str(
                form.get("auth_pin_confirm", "")
            ):
                raise Refused("pin_mismatch", "the two entries of a PIN differ")
            if not form.get("no_sign"):
                check = check_pin(PinKind.SIGN, sign)
                if not check.valid:
                    raise Refused(f"pin_{check.problem}", "sign password")
            if not check_pin(PinKind.AUTH, auth).valid:
                raise Refused("pin_not_four_digits", "auth PIN")
            c.counter.issue(
                case_id[:32],
                sign_password=sign,  # unused when the holder gets no sign certificate
                auth_pin=auth,
                letter_number=str(form.get("letter_number", "")).strip()[:20] or None,
                actor=ctx.actor,
            )

        return await _act(request, case_id, ctx, act)

    @r.post("/cases/{case_id}/refuse")
    async def refuse(request: Request, case_id: str, ctx: StaffContext = Clerk) -> Response:
        c = request.app.state.container

        def act(form: FormData) -> None:
            reason = " ".join(str(form.get("reason", "")).split())[:200]
            other = " ".join(str(form.get("reason_other", "")).split())[:200]
            text = other or reason
            if not text:
                raise Refused("reason_required", "a refusal names its reason")
            c.counter.refuse(case_id[:32], text, ctx.actor)

        return await _act(request, case_id, ctx, act)

    @r.post("/cases/{case_id}/cancel")
    async def cancel(request: Request, case_id: str, ctx: StaffContext = Clerk) -> Response:
        c = request.app.state.container
        return await _act(
            request, case_id, ctx, lambda _f: c.counter.cancel(case_id[:32], ctx.actor)
        )

    @r.post("/cases/{case_id}/revoke")
    async def revoke(request: Request, case_id: str, ctx: StaffContext = Clerk) -> Response:
        c = request.app.state.container

        def act(form: FormData) -> None:
            kinds = [CertKind(k) for k in _strs(form, "kinds") if k in CertKind._value2member_map_]
            if not kinds:
                raise Refused("kinds_required", "choose the certificates to revoke")
            c.counter.revoke_on_request(case_id[:32], kinds, ctx.actor)

        return await _act(request, case_id, ctx, act)

    @r.post("/cases/{case_id}/card-event")
    async def card_event(request: Request, case_id: str, ctx: StaffContext = Clerk) -> Response:
        c = request.app.state.container
        return await _act(
            request, case_id, ctx, lambda _f: c.counter.card_event(case_id[:32], ctx.actor)
        )

    @r.post("/cases/{case_id}/pin-reset")
    async def pin_reset(request: Request, case_id: str, ctx: StaffContext = Clerk) -> Response:
        c = request.app.state.container

        def act(form: FormData) -> None:
            try:
                pin = PinKind(str(form.get("pin", "")))
            except ValueError:
                raise Refused("unknown_pin", "choose the PIN to reset") from None
            value = str(form.get("new_value", ""))
            if value != str(form.get("new_value_confirm", "")):
                raise Refused("pin_mismatch", "the two entries differ")
            check = check_pin(pin, value)
            if not check.valid:
                raise Refused(f"pin_{check.problem}", "new PIN")
            c.counter.reset_pin(case_id[:32], pin, check.normalized, ctx.actor)

        return await _act(request, case_id, ctx, act)

    return r


def _int(value: object, default: int) -> int:
    try:
        return int(str(value))
    except ValueError:
        return default


def _sign_eligible(person: Resident, today: date) -> bool:
    return eligibility(
        CertKind.SIGN, birth=person.birth, on=today, adult_ward=person.adult_ward
    ).eligible


def _case_view(request: Request, case_id: str) -> dict[str, Any]:
    c = request.app.state.container
    today = _today(request)
    with c.uow() as uow:
        case = uow.counter.case(case_id)
        if case is None:
            raise NotFound("unknown_case", case_id)
        person = uow.counter.resident(case.resident_id)
        card = uow.counter.card(case.card_id) if case.card_id else None
        current = c.registry.current_certificates(uow, case.card_id) if case.card_id else {}
        letters = uow.counter.letters_of_case(case.id)
        history = uow.counter.audit_of_case(case.id)
    procedure = PROCEDURES[case.kind.procedure] if case.kind.procedure else None
    visit = current_visit(case, procedure) if procedure else None
    recorded = [Item(i) for i in case.items.get(str(visit.number), [])] if visit else []
    check = evaluate_visit(visit, recorded) if visit else None
    offered: list[Item] = []
    if visit:
        for req in visit.requirements:
            offered += [i for i in req.options if i not in offered]
    if case.kind is CaseKind.PIN_RESET:
        offered = [Item.CARD, Item.HOLDER_ID]
    issued = [
        rec for rec in current.values() if rec.not_before >= case.opened_at.replace(microsecond=0)
    ]
    return {
        "case": case,
        "person": person,
        "card": card,
        "procedure": procedure,
        "visit": visit,
        "recorded": recorded,
        "check": check,
        "offered": offered,
        "letters": letters,
        "history": history,
        "current": _cert_rows(list(current.values()), today),
        "issued": sorted(issued, key=lambda r: r.kind.value, reverse=True),
        "issue_step": visit is not None and visit.step is Step.ISSUE,
        "sign_eligible": person is not None and _sign_eligible(person, today),
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
