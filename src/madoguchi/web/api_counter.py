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
from madoguchi.rules.dates import JST, format_japanese, jst_date
from madoguchi.rules.eligibility import eligibility
from madoguchi.rules.errors import RuleError, RuleInputError
from madoguchi.rules.inquiry import parse_letter_number
from madoguchi.rules.pins import PinKind, check_pin
from madoguchi.rules.procedures import (
    PROCEDURES,
)
from madoguchi.rules.validity import CertKind
from madoguchi.services.counter import Issued
from madoguchi.services.domain import Case
from madoguchi.services.errors import NotFound, Refused
from madoguchi.services.readonly import read_only
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
    next_visit,
)
from madoguchi.web.security import StaffContext


def _case_detail(request: Request, case_id: str) -> CaseDetail:
    c = request.app.state.container
    today = _today(request)
    with read_only(), c.uow() as uow:
        case = uow.counter.case(case_id)
        if case is None:
            raise NotFound("unknown_case", f"no case {case_id}")
        current = c.registry.current_certificates(uow, case.card_id) if case.card_id else {}
        letters = uow.counter.letters_of_case(case.id)
        transitions = uow.counter.history(case.id)
        history = uow.counter.audit_of_case(case.id)
    procedure = PROCEDURES[case.kind.procedure] if case.kind.procedure else None
    visit = next_visit(case)
    return CaseDetail(
        case=_case_out(case),
        procedure=_procedure_out(procedure) if procedure else None,
        next_visit=_visit_out(case, visit) if visit else None,
        letters=[_letter_out(x) for x in letters],
        transitions=[TransitionOut(event=e, from_state=f, to_state=t) for e, f, t in transitions],
        history=[_audit_out(e) for e in history],
        certificates=[_cert_out(rec, today) for rec in current.values()],
    )


def _checked_pin(kind: PinKind, value: str) -> str:
    """R-PIN-1, before the card sees the value (a malformed PIN costs no try)."""
    check = check_pin(kind, value)
    if not check.valid:
        assert check.problem is not None
        raise RuleInputError(f"pin_{check.problem.value}", check.problem.message)
    return check.normalized


def _counter(
    request: Request,
    ctx: StaffContext,
    action: Callable[[], T],
    *,
    case_id: str | None = None,
    resident_id: str | None = None,
) -> T:
    """Run a counter operation; a refusal of the rules is logged for the supervisor."""
    try:
        return action()
    except (Refused, RuleError, CardError) as exc:
        request.app.state.container.counter.record_refusal(
            ctx.actor, exc.code, case_id=case_id, resident_id=resident_id
        )
        if exc.code not in MESSAGES:  # a person never reads the English detail
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
        with read_only(), request.app.state.container.uow() as uow:
            found = uow.counter.find_residents(name=wanted or None, birth=birth, limit=50)
        return ResidentList(residents=[_resident_out(x) for x in found])

    @r.get("/residents/{resident_id}", tags=counter_tag)
    def get_resident(request: Request, ctx: Clerk, resident_id: IdPath) -> ResidentDetail:
        """A resident with cards, current certificates and open cases."""
        c = request.app.state.container
        today = _today(request)
        with read_only(), c.uow() as uow:
            person = uow.counter.resident(resident_id)
            if person is None:
                raise NotFound("unknown_resident", f"no resident {resident_id}")
            cards = uow.counter.cards_of(person.id)
            certs = [
                _cert_out(rec, today)
                for card in reversed(cards)
                for rec in c.registry.current_certificates(uow, card.id).values()
            ]
            cases = [k for k in uow.counter.cases_of_resident(person.id) if not k.state.final]
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
        c = request.app.state.container
        today = _today(request)
        with read_only(), c.uow() as uow:
            card = uow.counter.card(card_id)
            if card is None:
                raise NotFound("unknown_card", f"no card {card_id}")
            person = uow.counter.resident(card.resident_id)
            records = uow.pki.certificates_of_card(card.id)
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
            )
            if case.kind is not body.kind or case.resident_id != body.resident_id:
                raise Refused("idempotency_conflict", "この再送キーは別の申請に使われています。")
            return case

        case = _counter(request, ctx, act, resident_id=body.resident_id)
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
            pin = _checked_pin(PinKind.JUKI, body.juki_pin) if body.juki_pin else None
            with read_only(), c.uow() as uow:
                case = uow.counter.case(case_id)
            if case is not None:
                procedure = PROCEDURES[case.kind.procedure] if case.kind.procedure else None
                if body.visit > (len(procedure.visits) if procedure else 1):
                    raise RuleInputError("no_such_visit", f"no visit {body.visit}")
            c.counter.record_visit(
                case_id,
                visit=body.visit,
                items=body.items,
                holder_documents=body.holder_documents,
                proxy_documents=body.proxy_documents,
                juki_pin=pin,
                actor=ctx.actor,
            )

        _counter(request, ctx, act, case_id=case_id)
        return _case_detail(request, case_id)

    @r.post("/cases/{case_id}/inquiry-letter", status_code=201, tags=counter_tag)
    def mail_inquiry_letter(request: Request, ctx: Clerk, case_id: IdPath) -> LetterOut:
        """P2/P5 after a complete first visit: the inquiry letter to the registered address."""
        c = request.app.state.container
        letter = _counter(
            request, ctx, lambda: c.counter.mail_inquiry_letter(case_id, ctx.actor), case_id=case_id
        )
        return _letter_out(letter)

    @r.post("/cases/{case_id}/issue", tags=counter_tag)
    def issue(request: Request, ctx: Clerk, case_id: IdPath, body: IssueIn) -> IssueOut:
        """Issue the certificates: PINs set, keys generated on the card, the expiry to write
        on the card's face, fee and receipt (R-PROC-4, R-PROC-5). A retry answers the same."""
        c = request.app.state.container
        today = _today(request)

        def act() -> Issued:
            auth = _checked_pin(PinKind.AUTH, body.auth_pin)
            sign = _checked_pin(PinKind.SIGN, body.sign_password) if body.sign_password else None
            if sign is None:
                with read_only(), c.uow() as uow:
                    case = uow.counter.case(case_id)
                    person = uow.counter.resident(case.resident_id) if case else None
                if (
                    person is not None
                    and eligibility(
                        CertKind.SIGN, birth=person.birth, on=today, adult_ward=person.adult_ward
                    ).eligible
                ):
                    raise RuleInputError(
                        "sign_password_required",
                        "署名用電子証明書の暗証番号（英数字6〜16文字）を入力してください。",
                    )
            issued: Issued = c.counter.issue(
                case_id,
                sign_password=sign or "",  # not used when the holder gets no sign certificate
                auth_pin=auth,
                letter_number=body.letter_number,
                actor=ctx.actor,
            )
            return issued

        done = _counter(request, ctx, act, case_id=case_id)
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
        _counter(
            request, ctx, lambda: c.counter.refuse(case_id, body.reason, ctx.actor), case_id=case_id
        )
        return _case_detail(request, case_id)

    @r.post("/cases/{case_id}/cancel", tags=counter_tag)
    def cancel(request: Request, ctx: Clerk, case_id: IdPath) -> CaseDetail:
        """Cancel the case (the person withdrew)."""
        c = request.app.state.container
        _counter(request, ctx, lambda: c.counter.cancel(case_id, ctx.actor), case_id=case_id)
        return _case_detail(request, case_id)

    @r.post("/cases/{case_id}/revoke", tags=counter_tag)
    def revoke(request: Request, ctx: Clerk, case_id: IdPath, body: RevokeIn) -> CaseDetail:
        """R-REV-3: revoke certificates at the holder's request (a ``revocation`` case)."""
        c = request.app.state.container
        _counter(
            request,
            ctx,
            lambda: c.counter.revoke_on_request(case_id, body.kinds, ctx.actor),
            case_id=case_id,
        )
        return _case_detail(request, case_id)

    @r.post("/cases/{case_id}/card-event", tags=counter_tag)
    def card_event(request: Request, ctx: Clerk, case_id: IdPath) -> CaseDetail:
        """R-REV-3: a lost card (certificates held) or a lost card found (revoked)."""
        c = request.app.state.container
        _counter(request, ctx, lambda: c.counter.card_event(case_id, ctx.actor), case_id=case_id)
        return _case_detail(request, case_id)

    @r.post("/cases/{case_id}/pin-reset", tags=counter_tag)
    def pin_reset(request: Request, ctx: Clerk, case_id: IdPath, body: PinResetIn) -> CaseDetail:
        """R-PIN-2: reset a locked PIN; the case must have the holder's photo ID recorded."""
        c = request.app.state.container

        def act() -> None:
            value = _checked_pin(body.pin, body.new_value)
            c.counter.reset_pin(case_id, body.pin, value, ctx.actor)

        _counter(request, ctx, act, case_id=case_id)
        return _case_detail(request, case_id)

    @r.get("/letters/{number}", tags=counter_tag)
    def get_letter(request: Request, ctx: Clerk, number: LetterPath) -> CaseDetail:
        """The case of an inquiry letter (R-PROC-2), scanned or typed at the second visit."""
        canonical = parse_letter_number(number)
        with read_only(), request.app.state.container.uow() as uow:
            letter = uow.counter.letter(canonical)
        if letter is None:
            raise NotFound("letter_unknown", f"no inquiry letter {canonical}")
        return _case_detail(request, letter.case_id)
