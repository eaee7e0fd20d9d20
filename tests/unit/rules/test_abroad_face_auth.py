"""R-ABROAD-1…3 (moving abroad with the card) and R-FACE-1, R-FACE-2 (the face-auth card)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from madoguchi.rules.abroad import (
    ABROAD_RULES_IN_FORCE,
    AbroadApplicant,
    AbroadRefusal,
    AbroadSignRoute,
    Nationality,
    abroad_sign_allowed,
    continued_use_allowed,
    free_new_card_until,
    within_free_period,
)
from madoguchi.rules.eligibility import Ineligibility, eligibility
from madoguchi.rules.face_auth import (
    FACE_AUTH_REMARK,
    holder_identity_items,
    pin_reset_possible,
    switch_to_face_auth,
    switch_to_pin_card,
)
from madoguchi.rules.items import Item
from madoguchi.rules.revocation import RegistryEvent, RevocationReason, revocation_for
from madoguchi.rules.validity import CertKind

MOVE_OUT = date(2026, 12, 1)
JP, FOREIGN = Nationality.JAPANESE, Nationality.FOREIGN


@pytest.mark.parametrize(
    ("nationality", "on", "allowed", "reason"),
    [
        (JP, date(2026, 11, 1), True, None),
        (JP, date(2026, 11, 30), True, None),  # the day before the move-out: the last day
        (JP, date(2026, 12, 1), False, "too_late"),
        (JP, date(2026, 12, 20), False, "too_late"),
        (FOREIGN, date(2026, 11, 1), False, "foreign_national"),
        (JP, date(2024, 5, 26), False, "not_in_force"),  # before art. 3-2 came into force
    ],
)
def test_r_abroad_1_continued_use(
    nationality: Nationality, on: date, allowed: bool, reason: str | None
) -> None:
    move_out = MOVE_OUT if on.year > 2025 else date(2024, 6, 30)
    result = continued_use_allowed(nationality, move_out=move_out, on=on)
    assert result.allowed is allowed
    assert (result.reason.value if result.reason else None) == reason
    assert result.deadline == move_out - timedelta(days=1)


def test_r_abroad_1_a_new_card_within_90_days_is_free() -> None:
    assert free_new_card_until(MOVE_OUT) == date(2027, 3, 1)
    assert within_free_period(MOVE_OUT, date(2027, 3, 1))
    assert not within_free_period(MOVE_OUT, date(2027, 3, 2))


@pytest.mark.parametrize(
    ("event", "revoke", "reason", "spares"),
    [
        (RegistryEvent.MOVE_ABROAD_CONTINUE, ["sign"], "affiliationChanged", True),
        (RegistryEvent.MOVE_ABROAD, ["sign", "auth"], "cessationOfOperation", False),
        (RegistryEvent.FACE_AUTH_SWITCH, ["sign"], "cessationOfOperation", False),
    ],
)
def test_r_abroad_2_and_r_face_1_events(
    event: RegistryEvent, revoke: list[str], reason: str, spares: bool
) -> None:
    decision = revocation_for(event)
    assert [k.value for k in decision.revoke] == revoke
    assert decision.hold == ()
    assert decision.reason is not None and decision.reason.rfc_name == reason
    assert decision.spares_abroad_sign is spares
    assert event.label


@pytest.mark.parametrize(
    ("nationality", "on", "applicant", "continued", "allowed", "reason", "route"),
    [
        # before the move-out: in person, household the same day, another proxy through P2
        (JP, date(2026, 11, 20), "self", False, True, None, "in_person"),
        (JP, date(2026, 11, 20), "household", False, True, None, "same_day_with_attorney"),
        (JP, date(2026, 11, 20), "proxy", False, True, None, "inquiry_letter"),
        # on or after it: only the holder in person, only on a card in continued use
        (JP, date(2026, 12, 1), "self", True, True, None, "in_person"),
        (JP, date(2027, 6, 1), "self", True, True, None, "in_person"),
        (JP, date(2026, 12, 1), "household", True, False, "proxy_after_move_out", None),
        (JP, date(2027, 6, 1), "proxy", True, False, "proxy_after_move_out", None),
        (JP, date(2026, 12, 1), "self", False, False, "card_lapsed", None),
        (FOREIGN, date(2026, 11, 20), "self", False, False, "foreign_national", None),
    ],
)
def test_r_abroad_3_abroad_sign_certificate(
    nationality: Nationality,
    on: date,
    applicant: str,
    continued: bool,
    allowed: bool,
    reason: str | None,
    route: str | None,
) -> None:
    result = abroad_sign_allowed(
        nationality,
        move_out=MOVE_OUT,
        on=on,
        applicant=AbroadApplicant(applicant),
        continued=continued,
    )
    assert result.allowed is allowed
    assert (result.reason.value if result.reason else None) == reason
    assert (result.route.value if result.route else None) == route
    if result.route is AbroadSignRoute.INQUIRY_LETTER:
        assert result.issue_by == date(2026, 11, 30)  # P2 must end before the move-out
    else:
        assert result.issue_by is None


def test_r_abroad_refusals_are_said_in_japanese() -> None:
    assert all(r.message for r in AbroadRefusal)
    assert "本人" in AbroadRefusal.PROXY_AFTER_MOVE_OUT.message


@given(
    st.sampled_from(Nationality),
    st.dates(date(2024, 5, 27), date(2030, 12, 31)),
    st.integers(-400, 400),
    st.sampled_from(AbroadApplicant),
    st.booleans(),
)
def test_r_abroad_3_property_no_proxy_after_the_move_out(
    nationality: Nationality, move_out: date, offset: int, applicant: AbroadApplicant, cont: bool
) -> None:
    on = move_out + timedelta(days=offset)
    result = abroad_sign_allowed(
        nationality, move_out=move_out, on=on, applicant=applicant, continued=cont
    )
    if result.allowed:
        assert nationality is JP
        assert on < move_out or (applicant is AbroadApplicant.SELF and cont)
    assert continued_use_allowed(nationality, move_out=move_out, on=on).allowed is (
        nationality is JP and ABROAD_RULES_IN_FORCE <= on < move_out
    )


@pytest.mark.parametrize(
    ("kind", "face_auth", "eligible", "reason"),
    [
        ("sign", True, False, "face_auth_card"),
        ("auth", True, True, None),  # the auth certificate is kept and renewed
        ("sign", False, True, None),
    ],
)
def test_r_face_1_no_sign_certificate_on_a_face_auth_card(
    kind: str, face_auth: bool, eligible: bool, reason: str | None
) -> None:
    result = eligibility(
        CertKind(kind), birth=date(1980, 1, 1), on=date(2026, 11, 24), face_auth_card=face_auth
    )
    assert result.eligible is eligible
    assert (result.reason.value if result.reason else None) == reason
    assert "顔認証" in Ineligibility.FACE_AUTH_CARD.message


def test_r_face_1_switch_to_the_face_auth_card() -> None:
    switch = switch_to_face_auth()
    assert switch.revocation.revoke == (CertKind.SIGN,)
    assert switch.revocation.reason is RevocationReason.CESSATION_OF_OPERATION
    assert CertKind.AUTH not in switch.revocation.revoke  # kept, not re-issued
    assert (switch.clear_pins, switch.set_pins) == (True, False)
    assert switch.remark == FACE_AUTH_REMARK == "顔認証"
    assert not switch.sign_allowed_after
    assert not pin_reset_possible(face_auth_card=True)


def test_r_face_1_renewals_take_id_documents_instead_of_a_pin() -> None:
    assert holder_identity_items(face_auth_card=True, pin_known=True) == (Item.HOLDER_ID,)
    assert holder_identity_items(face_auth_card=False, pin_known=True) == (Item.HOLDER_PIN,)
    assert holder_identity_items(face_auth_card=False, pin_known=False) == (Item.HOLDER_ID,)


def test_r_face_2_switch_back_sets_the_pins() -> None:
    back = switch_to_pin_card()
    assert not back.revocation.changes_anything
    assert (back.clear_pins, back.set_pins, back.remark) == (False, True, None)
    assert back.sign_allowed_after
    assert pin_reset_possible(face_auth_card=False)
