"""The card-renewal application reached from the expiry notice's QR code (R-NOTICE-2).

The QR code carries a link whose reference names the card and its expiry date and is sealed
with an HMAC of the city's key, so the page needs no lookup by name, number or phone
(R-PROC-7) and a guessed link is refused. Applying is free, also after the card's expiry.
"""

from __future__ import annotations

import base64
import hmac
import secrets
from dataclasses import dataclass
from datetime import date
from hashlib import sha256

from madoguchi.rules.dates import jst_date
from madoguchi.services.audit import Actor, record
from madoguchi.services.domain import CardRenewalApplication, CardStatus, Refused
from madoguchi.services.ports import Clock, UowFactory

PATH = "/card-renewal/"
_MAC_BYTES = 12


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    """Strict: only the unpadded base64url that :func:`_b64` writes, character for character
    (no padding, no other character, no non-zero trailing bits); ValueError otherwise."""
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if _b64(data) != text:
        raise ValueError("not canonical base64url")
    return data


class BadRenewalLink(Refused):
    """The link is not one of ours (forged, garbled), or its card or expiry changed."""

    def __init__(self, detail: str = "the link is not one of ours") -> None:
        super().__init__("bad_renewal_link", detail)


class AlreadyApplied(Refused):
    """This card's renewal was applied for already (once per card and expiry)."""

    def __init__(self) -> None:
        super().__init__("already_applied", "this card's renewal was applied for")


class ApplicationIncomplete(Refused):
    """A field the application needs is missing (``field``: contact or consent)."""

    def __init__(self, field: str) -> None:
        super().__init__(f"{field}_required", f"the application needs the {field}")
        self.field = field


@dataclass(frozen=True, slots=True)
class RenewalTarget:
    card_id: str
    expires: date


class CardRenewalService:
    def __init__(self, uow_factory: UowFactory, clock: Clock, key: bytes) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.key = key

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self.key, b"card-renewal\x00" + payload, sha256).digest()[:_MAC_BYTES]

    def reference(self, card_id: str, expires: date) -> str:
        """The reference the expiry notice's QR code carries for this card."""
        payload = f"{card_id}|{expires.isoformat()}".encode()
        return f"{_b64(payload)}.{_b64(self._mac(payload))}"

    def link(self, base_url: str, card_id: str, expires: date) -> str:
        return base_url.rstrip("/") + PATH + self.reference(card_id, expires)

    def target(self, reference: str) -> RenewalTarget:
        """The card a reference names; Refused('bad_renewal_link') when forged or garbled."""
        try:
            encoded, mac = reference.split(".", 1)
            payload = _unb64(encoded)
            if len(reference) > 200 or not hmac.compare_digest(_unb64(mac), self._mac(payload)):
                raise ValueError("mac")
            card_id, expires = payload.decode().split("|")
            return RenewalTarget(card_id, date.fromisoformat(expires))
        except (ValueError, UnicodeDecodeError) as exc:
            raise BadRenewalLink() from exc

    def existing(self, target: RenewalTarget) -> CardRenewalApplication | None:
        with self.uow_factory.read_only() as uow:
            apps = uow.staff.applications_of_card(target.card_id)
        return next((a for a in apps if a.card_expires == target.expires), None)

    def apply(
        self, reference: str, *, contact: str, receive_at: str, consent: bool
    ) -> CardRenewalApplication:
        """Record the application (once per card and expiry); free even after expiry."""
        target = self.target(reference)
        contact = " ".join(contact.split())[:200]
        if not contact:
            raise ApplicationIncomplete("contact")
        if not consent:
            raise ApplicationIncomplete("consent")
        with self.uow_factory() as uow:
            card = uow.counter.card(target.card_id, for_update=True)
            if card is None or card.expires != target.expires:
                raise BadRenewalLink("the card or its expiry changed")
            if card.status is not CardStatus.ACTIVE:
                raise Refused("no_card", f"the card is {card.status.value}")
            if any(
                a.card_expires == target.expires for a in uow.staff.applications_of_card(card.id)
            ):
                raise AlreadyApplied()
            now = self.clock()
            application = CardRenewalApplication(
                "A" + secrets.token_hex(6).upper(), card.id, card.expires, contact, receive_at, now
            )
            uow.staff.add_application(application)
            record(
                uow,
                now,
                Actor("resident", receive_at[:32], "web"),
                "card.renewal_applied",
                {"application": application.id, "after_expiry": card.expires < jst_date(now)},
                resident_id=card.resident_id,
            )
            uow.commit()
        return application
