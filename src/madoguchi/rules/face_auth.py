"""The face-authentication card (顔認証マイナンバーカード) (SPEC.md §10: R-FACE-1, R-FACE-2).

The Ordinance as amended on 2023-12-15: a holder may ask for a card without PINs at delivery
or later at the counter, and switch back; the switch is done the same day. Eligibility for
the `sign` certificate is in :func:`madoguchi.rules.eligibility.eligibility`
(``face_auth_card``); the revocation at the switch in :mod:`madoguchi.rules.revocation`
(event ``face_auth_switch``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from madoguchi.rules.items import Item
from madoguchi.rules.revocation import RegistryEvent, RevocationDecision, revocation_for

#: R-FACE-1: written in the card's remarks field (追記欄) at the switch.
FACE_AUTH_REMARK: Final = "顔認証"


@dataclass(frozen=True, slots=True)
class FaceAuthSwitch:
    """What a switch does to the card, its PINs and its certificates."""

    to_face_auth: bool
    revocation: RevocationDecision  # what is revoked, and why (RFC 5280)
    clear_pins: bool  # the card's PINs are cleared (a face-auth card has none)
    set_pins: bool  # the holder sets the PINs at the counter
    remark: str | None  # written in the remarks field, or None
    sign_allowed_after: bool  # a `sign` certificate may then be applied for (P1/P3)


def switch_to_face_auth() -> FaceAuthSwitch:
    """R-FACE-1: to the face-authentication card: the `sign` certificate is revoked
    (``cessationOfOperation``), the PINs are cleared, 「顔認証」 is written in the remarks; the
    `auth` certificate is kept (our reading: not re-issued at the switch)."""
    return FaceAuthSwitch(
        to_face_auth=True,
        revocation=revocation_for(RegistryEvent.FACE_AUTH_SWITCH),
        clear_pins=True,
        set_pins=False,
        remark=FACE_AUTH_REMARK,
        sign_allowed_after=False,
    )


def switch_to_pin_card() -> FaceAuthSwitch:
    """R-FACE-2: back to a normal card: nothing is revoked, the holder sets the PINs and may
    then get a `sign` certificate as in P1/P3. No remark is written (our reading: the
    earlier 「顔認証」 remark stays in the card's history; SPEC names none for the way back)."""
    return FaceAuthSwitch(
        to_face_auth=False,
        revocation=RevocationDecision((), (), None),
        clear_pins=False,
        set_pins=True,
        remark=None,
        sign_allowed_after=True,
    )


def holder_identity_items(*, face_auth_card: bool, pin_known: bool) -> tuple[Item, ...]:
    """R-FACE-1 with R-PROC (P1/P3): how the holder proves identity at the counter.

    A normal card: the 住基 PIN (checked on the card) when the holder knows it, otherwise an
    ID document. A face-authentication card has no PIN: its renewals (and any procedure in
    person) take ID documents, with the face or visual check of the card.
    """
    if face_auth_card or not pin_known:
        return (Item.HOLDER_ID,)
    return (Item.HOLDER_PIN,)


def pin_reset_possible(*, face_auth_card: bool) -> bool:
    """R-FACE-1: a face-authentication card has no PINs, so there is nothing to reset."""
    return not face_auth_card
