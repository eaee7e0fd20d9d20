"""The counter's routes of the JSON API: residents, cards, cases and inquiry letters."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from enum import Enum
from typing import Annotated

from fastapi import APIRouter, Query, Request

from madoguchi.card.errors import CardError
from madoguchi.messages import MESSAGES
from madoguchi.pki.facts import normalize_text
from madoguchi.rules.cases import next_visit
from madoguchi.rules.dates import JST, format_japanese, jst_date
from madoguchi.rules.eligibility import eligibility
from madoguchi.rules.errors import RuleError, RuleInputError
from madoguchi.rules.validity import CertKind
from madoguchi.services.counter import Issued
from madoguchi.services.domain import Case, Refused
from madoguchi.web.api_auth import Clerk
from madoguchi.web.api_models import (
    NAME_MAX,
    TEXT_PATTERN,
    UNEXPLAINED_REFUSAL,
    CardDetail,
    CardIdPath,
    CaseCreate,
    CaseDetail,
    IdPath,
    IssuedCertificateOut,
    IssueIn,
    IssueOut,
    LetterOut,
    LetterPath,
    PinResetIn,
    RefuseIn,
    ResidentDetail,
    ResidentList,
    RevokeIn,
    SupersededOut,
    T,
    TransitionOut,
    VisitIn,
)
from madoguchi.web.api_views import (
    _audit_out,
    _card_out,
    _case_out,
    _cert_out,
    _letter_out,
    _procedure_out,
    _resident_out,
    _today,
    _visit_out,
)


def _case_detail(request: Request, case_id: str) -> CaseDetail:
    view = request.app.state.container.views.case(case_id)
    today = _today(request)
    case = view.case
    visit = next_visit(case.kind, case.state)
    return CaseDetail(
        case=_case_out(case),
        procedure=_procedure_out(view.procedure) if view.procedure else None,
        next_visit=_visit_out(case, visit) if visit else None,
        letters=[_letter_out(x) for x in view.letters],
        transitions=[
            TransitionOut(event=e, from_state=f, to_state=t) for e, f, t in view.transitions
        ],
        history=[_audit_out(e) for e in view.history],
        certificates=[_cert_out(rec, today) for rec in view.current.values()],
    )


def _counter(action: Callable[[], T]) -> T:
    """Run a counter step (the service logs its refusals for the supervisor); a code without
    a Japanese message gets the general one, so a person never reads the English detail."""
    try:
        return action()
    except (Refused, RuleError, CardError) as exc:
        if exc.code not in MESSAGES:
            exc.detail = UNEXPLAINED_REFUSAL
        raise


COUNTER_TAG: list[str | Enum] = ["counter"]


def add_counter_routes(r: APIRouter) -> None:
    """The routes a counter terminal uses (the clerk role)."""
    counter_tag = COUNTER_TAG

    # -- residents and cards ---------------------------------------------------------------
    @r.get("/residents", tags=counter_tag)
    def search_residents(
        request: Request,
        ctx: Clerk,
        name: Annotated[
            str | None,
            Query(max_length=NAME_MAX, pattern=TEXT_PATTERN, description="氏名またはカナの一部"),
        ] = None,
        birth: Annotated[date | None, Query(description="生年月日")] = None,
    ) -> ResidentList:
        """Find residents by (part of) name or kana and/or date of birth; at most 50."""
        wanted = normalize_text(name) if name else ""
        if not wanted and birth is None:
            raise RuleInputError(
                "search_criteria_required", "氏名または生年月日を指定してください。"
            )
        views = request.app.state.container.views
        found = views.find_residents(name=wanted or None, birth=birth, limit=50)
        return ResidentList(residents=[_resident_out(x) for x in found])

    @r.get("/residents/{resident_id}", tags=counter_tag)
    def get_resident(request: Request, ctx: Clerk, resident_id: IdPath) -> ResidentDetail:
        """A resident with cards, current certificates and open cases."""
        view = request.app.state.container.views.resident(resident_id)
        today = _today(request)
        person, cards = view.resident, view.cards
        certs = [
            _cert_out(rec, today)
            for card in reversed(cards)
            for rec in view.current[card.id].values()
        ]
        cases = view.open_cases
        sign = eligibility(
            CertKind.SIGN, birth=person.birth, on=today, adult_ward=person.adult_ward
        )
        return ResidentDetail(
            resident=_resident_out(person),
            sign_eligible=sign.eligible,
            cards=[_card_out(x) for x in cards],
            certificates=certs,
            open_cases=[_case_out(k) for k in cases],
        )

    @r.get("/cards/{card_id}", tags=counter_tag)
    def get_card(request: Request, ctx: Clerk, card_id: CardIdPath) -> CardDetail:
        """A card with every certificate it has held."""
        view = request.app.state.container.views.card(card_id)
        today = _today(request)
        card, person, records = view.card, view.resident, view.certificates
        return CardDetail(
            card=_card_out(card),
            resident=_resident_out(person) if person else None,
            certificates=[_cert_out(rec, today) for rec in records],
        )

    # -- cases -----------------------------------------------------------------------------
    @r.post("/cases", status_code=201, tags=counter_tag)
    def open_case(request: Request, ctx: Clerk, body: CaseCreate) -> CaseDetail:
        """Open a case (R-PROC-0: not at a branch office; R-PROC-3: renewal window).

        A retried request with the same ``idempotency_key`` returns the same case."""
        c = request.app.state.container

        def act() -> Case:
            case: Case = c.counter.open_case(
                kind=body.kind,
                resident_id=body.resident_id,
                actor=ctx.actor,
                idempotency_key=body.idempotency_key,
                fee_reason=body.fee_reason,
                moved_abroad_on=body.moved_abroad_on,
            )
            return case

        case = _counter(act)
        return _case_detail(request, case.id)

    @r.get("/cases/{case_id}", tags=counter_tag)
    def get_case(request: Request, ctx: Clerk, case_id: IdPath) -> CaseDetail:
        """A case with the checklist of its next visit, its letters and its history."""
        return _case_detail(request, case_id)

    @r.post("/cases/{case_id}/visits", tags=counter_tag)
    def record_visit(request: Request, ctx: Clerk, case_id: IdPath, body: VisitIn) -> CaseDetail:
        """Record what the person brought (R-PROC-1); ``holder_pin`` is checked on the card."""
        c = request.app.state.container

        def act() -> None:
            c.counter.record_visit(
                case_id,
                visit=body.visit,
                items=body.items,
                holder_documents=body.holder_documents,
                proxy_documents=body.proxy_documents,
                proxy_name=body.proxy_name,
                juki_pin=body.juki_pin or None,
                actor=ctx.actor,
            )

        _counter(act)
        return _case_detail(request, case_id)

    @r.post("/cases/{case_id}/inquiry-letter", status_code=201, tags=counter_tag)
    def mail_inquiry_letter(request: Request, ctx: Clerk, case_id: IdPath) -> LetterOut:
        """P2/P5 after a complete first visit: the inquiry letter to the registered address."""
        c = request.app.state.container
        letter = _counter(lambda: c.counter.mail_inquiry_letter(case_id, ctx.actor))
        return _letter_out(letter)

    @r.post("/cases/{case_id}/issue", tags=counter_tag)
    def issue(request: Request, ctx: Clerk, case_id: IdPath, body: IssueIn) -> IssueOut:
        """Issue the certificates: PINs set, keys generated on the card, the expiry to write
        on the card's face, fee and receipt (R-PROC-4, R-PROC-5). A retry answers the same."""
        c = request.app.state.container

        def act() -> Issued:
            issued: Issued = c.counter.issue(
                case_id,
                sign_password=body.sign_password or None,
                auth_pin=body.auth_pin or "",
                letter_number=body.letter_number,
                kinds=body.kinds,
                actor=ctx.actor,
            )
            return issued

        done = _counter(act)
        certs = sorted(done.certificates.values(), key=lambda rec: rec.kind.value, reverse=True)
        return IssueOut(
            case=_case_out(done.case),
            certificates=[
                IssuedCertificateOut(
                    kind=rec.kind,
                    serial=rec.serial_hex,
                    not_before=rec.not_before.astimezone(JST),
                    not_after=rec.not_after.astimezone(JST),
                    expires_on=jst_date(rec.not_after),
                    card_face_expiry=format_japanese(jst_date(rec.not_after)),
                )
                for rec in certs
            ],
            superseded=[SupersededOut(kind=x.kind, serial=x.serial_hex) for x in done.superseded],
            fee_due=done.fee_due,
            receipt_no=done.receipt_no,
        )

    @r.post("/cases/{case_id}/refuse", tags=counter_tag)
    def refuse(request: Request, ctx: Clerk, case_id: IdPath, body: RefuseIn) -> CaseDetail:
        """Close the case as refused, with the reason told to the person."""
        c = request.app.state.container
        _counter(lambda: c.counter.refuse(case_id, body.reason, ctx.actor))
        return _case_detail(request, case_id)

    @r.post("/cases/{case_id}/cancel", tags=counter_tag)
    def cancel(request: Request, ctx: Clerk, case_id: IdPath) -> CaseDetail:
        """Cancel the case (the person withdrew)."""
        c = request.app.state.container
        _counter(lambda: c.counter.cancel(case_id, ctx.actor))
        return _case_detail(request, case_id)

    @r.post("/cases/{case_id}/revoke", tags=counter_tag)
    def revoke(request: Request, ctx: Clerk, case_id: IdPath, body: RevokeIn) -> CaseDetail:
        """R-REV-3: revoke certificates at the holder's request (a ``revocation`` case)."""
        c = request.app.state.container
        _counter(lambda: c.counter.revoke_on_request(case_id, body.kinds, ctx.actor))
        return _case_detail(request, case_id)

    @r.post("/cases/{case_id}/card-event", tags=counter_tag)
    def card_event(request: Request, ctx: Clerk, case_id: IdPath) -> CaseDetail:
        """R-REV-3: a lost card (certificates held) or a lost card found (revoked)."""
        c = request.app.state.container
        _counter(lambda: c.counter.card_event(case_id, ctx.actor))
        return _case_detail(request, case_id)

    @r.post("/cases/{case_id}/pin-reset", tags=counter_tag)
    def pin_reset(request: Request, ctx: Clerk, case_id: IdPath, body: PinResetIn) -> CaseDetail:
        """R-PIN-2: reset a locked PIN; the case must have the holder's photo ID recorded."""
        c = request.app.state.container

        _counter(lambda: c.counter.reset_pin(case_id, body.pin, body.new_value, ctx.actor))
        return _case_detail(request, case_id)

    @r.get("/letters/{number}", tags=counter_tag)
    def get_letter(request: Request, ctx: Clerk, number: LetterPath) -> CaseDetail:
        """The case of an inquiry letter (R-PROC-2), scanned or typed at the second visit."""
        case_id = request.app.state.container.views.case_of_letter(number)
        return _case_detail(request, case_id)
