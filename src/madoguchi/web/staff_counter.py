"""The counter's first screens: the clerk's day, the search, the resident and a new case.

Routes only parse, call one read (services/views.py) or one service step, and render; every
POST carries the session's CSRF token; a refusal is shown on the page it came from.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from madoguchi.pki.facts import normalize_text
from madoguchi.rules.abroad import AbroadApplicant
from madoguchi.rules.cases import CaseKind
from madoguchi.rules.dates import parse_written_date
from madoguchi.rules.eligibility import eligibility
from madoguchi.rules.errors import RuleError
from madoguchi.rules.fees import FeeReason
from madoguchi.rules.pins import PinKind
from madoguchi.rules.procedures import ProcedureId
from madoguchi.rules.stay import StayApplicant
from madoguchi.rules.validity import CertKind
from madoguchi.services.domain import NotFound
from madoguchi.web.labels import (
    FEE_REASON_CHOICES,
    KIND_LABELS,
    RESIDENT_NOTICES,
    STATE_LABELS,
    STATUS_LABELS,
    STAY_APPLICANT_LABELS,
)
from madoguchi.web.security import StaffContext, checked_form, require_staff
from madoguchi.web.staff_common import LayerError, back, cert_rows, parse_date, refused, today
from madoguchi.web.templating import render

Clerk = Depends(require_staff())
#: the procedures whose fee depends on why the card is in hand (R-FEE)
NEW_ISSUANCES = (ProcedureId.P1, ProcedureId.P2)


def router() -> APIRouter:
    r = APIRouter(prefix="/staff", include_in_schema=False)

    @r.get("/")
    def home(request: Request, ctx: StaffContext = Clerk, error: str | None = None) -> Response:
        views = request.app.state.container.views
        rows = views.clerks_day(ctx.account.id, today(request))
        return render(
            request,
            "staff/home.html",
            {
                "cases": [row.case for row in rows],
                "names": {row.case.resident_id: row.resident for row in rows},
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
        views = request.app.state.container.views
        name = normalize_text(name)[:100]  # full-/half-width and spaces as the registry keeps them
        card, letter = card.strip()[:32], letter.strip()[:20]
        if letter:
            try:
                case_id = views.case_of_letter(letter)
            except (RuleError, NotFound) as exc:
                return back("/staff/", exc.code)
            # the letter's number is carried into the second visit's issuance form
            query = urlencode({"letter": letter})
            return RedirectResponse(f"/staff/cases/{case_id}?{query}", status_code=303)
        if card:
            try:
                found = views.card(card)
            except NotFound:
                return back("/staff/", "unknown_card")
            return RedirectResponse(f"/staff/residents/{found.card.resident_id}", status_code=303)
        try:  # as clerks write it: 昭和63年11月30日, S63.11.30, 1988-11-30
            born = parse_written_date(birth) if birth.strip() else None
        except RuleError:
            return back("/staff/", "bad_birth_date")
        if not name and born is None:
            return back("/staff/", "search_input_required")
        residents = views.find_residents(name=name or None, birth=born)
        return render(
            request, "staff/search.html", {"residents": residents, "name": name, "birth": birth}
        )

    @r.get("/residents/{resident_id}")
    def resident(
        request: Request,
        resident_id: str,
        ctx: StaffContext = Clerk,
        error: str | None = None,
        notice: str | None = None,
    ) -> Response:
        on = today(request)
        view = request.app.state.container.views.resident(resident_id[:32])
        person = view.resident
        return render(
            request,
            "staff/resident.html",
            {
                "person": person,
                "cards": view.cards,
                "certs": {cid: cert_rows(recs, on) for cid, recs in view.certificates.items()},
                "open_cases": view.open_cases,
                "errands": view.errands,
                "renewable": CaseKind.P3 in view.errands,
                "kinds": KIND_LABELS,
                "states": STATE_LABELS,
                "statuses": STATUS_LABELS,
                "sign_eligible": eligibility(
                    CertKind.SIGN, birth=person.birth, on=on, adult_ward=person.adult_ward
                ).eligible,
                "fee_reasons": FEE_REASON_CHOICES,
                "stay_applicants": STAY_APPLICANT_LABELS,
                "abroad_applicants": {a.value: a.label for a in AbroadApplicant},
                "notice": RESIDENT_NOTICES.get(notice or ""),
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
            return back(url, "unknown_case_kind")
        try:  # R-FEE: why the card is in hand, for a new issuance only
            reason = str(form.get("fee_reason", "") or "")
            fee_reason = FeeReason(reason) if reason and kind.procedure in NEW_ISSUANCES else None
        except ValueError:
            return back(url, "unknown_fee_reason")
        abroad = parse_date(str(form.get("moved_abroad_on", "") or "")[:10])
        try:
            case = c.counter.open_case(
                kind=kind,
                resident_id=resident_id[:32],
                actor=ctx.actor,
                idempotency_key=str(form.get("idempotency_key", ""))[:64] or None,
                fee_reason=fee_reason,
                moved_abroad_on=abroad if fee_reason is FeeReason.ABROAD_REISSUE_90D else None,
            )
        except LayerError as exc:
            return refused(exc, url)
        return RedirectResponse(f"/staff/cases/{case.id}", status_code=303)

    @r.post("/residents/{resident_id}/validity-change")
    async def validity_change(
        request: Request, resident_id: str, ctx: StaffContext = Clerk
    ) -> Response:
        """R-CARD-3: the card's expiry to the new end of stay; the holder's or a legal
        representative's application goes on to the renewal case of the same visit."""
        form = await checked_form(request)
        url = f"/staff/residents/{resident_id[:32]}"
        new_stay = parse_date(str(form.get("new_stay_until", "") or "")[:10])
        if new_stay is None:
            return back(url, "new_stay_required")
        try:
            applicant = StayApplicant(str(form.get("applicant", "")))
        except ValueError:
            return back(url, "unknown_stay_applicant")
        try:
            _, case = request.app.state.container.counter.change_validity(
                resident_id[:32], new_stay_until=new_stay, applicant=applicant, actor=ctx.actor
            )
        except LayerError as exc:
            return refused(exc, url)
        if case is not None:
            return RedirectResponse(f"/staff/cases/{case.id}", status_code=303)
        return back(url, notice="validity_changed")

    @r.post("/residents/{resident_id}/special-extension")
    async def special_extension(
        request: Request, resident_id: str, ctx: StaffContext = Clerk
    ) -> Response:
        """R-CARD-4: once, two months while a renewal of the stay is pending."""
        await checked_form(request)
        counter = request.app.state.container.counter
        return _resident_step(counter.extend_card_specially, resident_id, ctx, "card_extended")

    @r.post("/residents/{resident_id}/move-abroad")
    async def move_abroad(
        request: Request, resident_id: str, ctx: StaffContext = Clerk
    ) -> Response:
        """R-ABROAD-1: the move-out notice abroad, with or without continued use."""
        form = await checked_form(request)
        url = f"/staff/residents/{resident_id[:32]}"
        move_out = parse_date(str(form.get("move_out", "") or "")[:10])
        if move_out is None:
            return back(url, "move_out_required")
        try:
            request.app.state.container.counter.notify_move_abroad(
                resident_id[:32],
                move_out=move_out,
                continued=bool(form.get("continued")),
                destination=str(form.get("destination", "") or "")[:100],
                actor=ctx.actor,
            )
        except LayerError as exc:
            return refused(exc, url)
        return back(url, notice="abroad_noticed")

    @r.post("/residents/{resident_id}/move-abroad/record")
    async def record_abroad(
        request: Request, resident_id: str, ctx: StaffContext = Clerk
    ) -> Response:
        """R-ABROAD-2: the move abroad takes effect; the registry event revokes."""
        await checked_form(request)
        counter = request.app.state.container.counter
        return _resident_step(counter.record_move_abroad, resident_id, ctx, "abroad_recorded")

    @r.post("/residents/{resident_id}/abroad-sign")
    async def abroad_sign(
        request: Request, resident_id: str, ctx: StaffContext = Clerk
    ) -> Response:
        """R-ABROAD-3: the 国外転出者向け signing certificate's case."""
        form = await checked_form(request)
        url = f"/staff/residents/{resident_id[:32]}"
        try:
            applicant = AbroadApplicant(str(form.get("applicant", "")))
        except ValueError:
            return back(url, "unknown_abroad_applicant")
        try:
            case = request.app.state.container.counter.open_abroad_sign_case(
                resident_id[:32], applicant=applicant, actor=ctx.actor
            )
        except LayerError as exc:
            return refused(exc, url)
        return RedirectResponse(f"/staff/cases/{case.id}", status_code=303)

    @r.post("/residents/{resident_id}/face-auth")
    async def face_auth(request: Request, resident_id: str, ctx: StaffContext = Clerk) -> Response:
        """R-FACE-1: to the face-authentication card; R-FACE-2: back, the PINs set."""
        form = await checked_form(request)
        url = f"/staff/residents/{resident_id[:32]}"
        to_face = str(form.get("to", "")) == "face"
        pins = {
            PinKind.JUKI: str(form.get("juki_pin", "") or "")[:16],
            PinKind.KENMEN: str(form.get("kenmen_pin", "") or "")[:16],
            PinKind.AUTH: str(form.get("auth_pin", "") or "")[:16],
        }
        try:
            request.app.state.container.counter.switch_face_auth(
                resident_id[:32], to_face_auth=to_face, actor=ctx.actor, pins=pins
            )
        except LayerError as exc:
            return refused(exc, url)
        return back(url, notice="face_auth_on" if to_face else "face_auth_off")

    return r


def _resident_step(
    step: Callable[..., object], resident_id: str, ctx: StaffContext, notice: str
) -> Response:
    """A resident-page step without fields: done, or its refusal shown on the page."""
    url = f"/staff/residents/{resident_id[:32]}"
    try:
        step(resident_id[:32], actor=ctx.actor)
    except LayerError as exc:
        return refused(exc, url)
    return back(url, notice=notice)
