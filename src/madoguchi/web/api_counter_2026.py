"""The counter's routes of the JSON API for the rules of 2026 (SPEC.md §10, issue 16): the
validity change and the special extension of a foreign resident's card (R-CARD-3/4), moving
abroad and the 国外転出者向け signing certificate (R-ABROAD-1/2/3), the face-authentication
card (R-FACE-1/2). Each route parses, calls one counter step and answers."""

from __future__ import annotations

from datetime import date
from enum import Enum
from typing import Annotated

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field, StringConstraints

from madoguchi.rules.abroad import AbroadApplicant
from madoguchi.rules.pins import PinKind
from madoguchi.rules.stay import StayApplicant
from madoguchi.services.domain import Card, Case, Resident
from madoguchi.web.api_auth import Clerk
from madoguchi.web.api_counter import _case_detail, _counter
from madoguchi.web.api_models import (
    FIRST_DAY,
    LAST_DAY,
    ApiIn,
    CardOut,
    CaseDetail,
    CaseOut,
    IdPath,
    Pin,
    ResidentOut,
)
from madoguchi.web.api_views import _card_out, _case_out, _resident_out

Day = Annotated[date, Field(ge=FIRST_DAY, le=LAST_DAY)]


class ValidityChangeIn(ApiIn):
    new_stay_until: Day = Field(description="the new end of stay on the residence card")
    applicant: StayApplicant = StayApplicant.HOLDER


class ValidityChangeOut(BaseModel):
    card: CardOut
    renewal_case: CaseOut | None = Field(
        description="R-CARD-3: the renewal of both certificates opened at the same visit"
    )


class MoveAbroadIn(ApiIn):
    move_out: Day
    continued: bool = Field(False, description="R-ABROAD-1: continued use asked for")
    destination: Annotated[str, StringConstraints(max_length=100)] = Field(
        "", description="what the 戸籍の附票 records after the move (the country)"
    )


class AbroadSignIn(ApiIn):
    applicant: AbroadApplicant


class FaceAuthIn(ApiIn):
    to_face_auth: bool
    juki_pin: Pin | None = None
    kenmen_pin: Pin | None = None
    auth_pin: Pin | None = None


TAG: list[str | Enum] = ["counter"]


def add_counter_2026_routes(r: APIRouter) -> None:
    @r.post("/residents/{resident_id}/validity-change", tags=TAG)
    def validity_change(
        request: Request, ctx: Clerk, resident_id: IdPath, body: ValidityChangeIn
    ) -> ValidityChangeOut:
        """R-CARD-3: the card's expiry to the new end of stay; the holder's or a legal
        representative's application opens the renewal case of the same visit."""
        c = request.app.state.container
        outcome, case = _counter(
            lambda: c.counter.change_validity(
                resident_id,
                new_stay_until=body.new_stay_until,
                applicant=body.applicant,
                actor=ctx.actor,
            )
        )
        return ValidityChangeOut(
            card=_card_out(outcome.card), renewal_case=_case_out(case) if case else None
        )

    @r.post("/residents/{resident_id}/special-extension", tags=TAG)
    def special_extension(request: Request, ctx: Clerk, resident_id: IdPath) -> CardOut:
        """R-CARD-4: once, two months as the Civil Code counts."""
        c = request.app.state.container
        outcome = _counter(lambda: c.counter.extend_card_specially(resident_id, actor=ctx.actor))
        return _card_out(outcome.card)

    @r.post("/residents/{resident_id}/move-abroad", tags=TAG)
    def move_abroad(
        request: Request, ctx: Clerk, resident_id: IdPath, body: MoveAbroadIn
    ) -> ResidentOut:
        """R-ABROAD-1: the move-out notice abroad, with or without continued use."""
        c = request.app.state.container
        resident: Resident = _counter(
            lambda: c.counter.notify_move_abroad(
                resident_id,
                move_out=body.move_out,
                continued=body.continued,
                destination=body.destination,
                actor=ctx.actor,
            )
        )
        return _resident_out(resident)

    @r.post("/residents/{resident_id}/move-abroad/record", tags=TAG)
    def record_move_abroad(request: Request, ctx: Clerk, resident_id: IdPath) -> ResidentOut:
        """R-ABROAD-2: the move abroad takes effect (on or after the move-out date)."""
        c = request.app.state.container
        resident: Resident = _counter(
            lambda: c.counter.record_move_abroad(resident_id, actor=ctx.actor)
        )
        return _resident_out(resident)

    @r.post("/residents/{resident_id}/abroad-sign", status_code=201, tags=TAG)
    def abroad_sign(
        request: Request, ctx: Clerk, resident_id: IdPath, body: AbroadSignIn
    ) -> CaseDetail:
        """R-ABROAD-3: the 国外転出者向け signing certificate's case (P1, or P2 before the
        move-out for another proxy); a proxy is refused after the move-out."""
        c = request.app.state.container
        case: Case = _counter(
            lambda: c.counter.open_abroad_sign_case(
                resident_id, applicant=body.applicant, actor=ctx.actor
            )
        )
        return _case_detail(request, case.id)

    @r.post("/residents/{resident_id}/face-auth", tags=TAG)
    def face_auth(request: Request, ctx: Clerk, resident_id: IdPath, body: FaceAuthIn) -> CardOut:
        """R-FACE-1: to the face-authentication card; R-FACE-2: back, with the PINs."""
        c = request.app.state.container
        pins = {
            PinKind.JUKI: body.juki_pin or "",
            PinKind.KENMEN: body.kenmen_pin or "",
            PinKind.AUTH: body.auth_pin or "",
        }
        card: Card = _counter(
            lambda: c.counter.switch_face_auth(
                resident_id, to_face_auth=body.to_face_auth, actor=ctx.actor, pins=pins
            )
        )
        return _card_out(card)
