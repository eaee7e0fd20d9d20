"""Whose records an expiry-notice campaign reads: the counter's or the CA operator's.

A campaign plans from, checks at dispatch against, and addresses its letters from a
:class:`HolderBook`:

- :class:`ResidentsBook` — the counter's own residents, cards and certificates (the embedded
  default: one municipality, one store; the letters name this counter).
- :class:`NationalBook` — the CA operator's records (issue 17, R-NAT-2): the certificates it
  signed and each card's holder as the holder's municipality told it (services/holders.py);
  every municipality's holders in one campaign, each letter naming the holder's
  municipality's counter for the renewal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol

from madoguchi.rules.notices import HolderAtDispatch
from madoguchi.rules.revocation import CertStatus
from madoguchi.rules.validity import CertKind
from madoguchi.services.domain import (
    Candidate,
    CardStatus,
    Notice,
    NoticeItem,
    Refused,
    ResidentStatus,
)
from madoguchi.services.ports import MunicipalityCounter, ReadOnlyUnitOfWork


@dataclass(frozen=True, slots=True)
class Mailing:
    """Where a notice goes and which counter it names: ``counter`` is the holder's
    municipality's (national campaigns); None names this counter's own office."""

    name: str
    address: str
    postal_code: str
    counter: MunicipalityCounter | None = None


class HolderBook(Protocol):
    #: whether the letters carry the card-renewal QR code of this counter's public pages
    renewal_links: bool

    def candidates(self, uow: ReadOnlyUnitOfWork, first: date, last: date) -> list[Candidate]:
        """R-NOTICE-1: the cards whose good certificates or whose card expire in the window."""

    def at_dispatch(self, uow: ReadOnlyUnitOfWork, notice: Notice) -> HolderAtDispatch:
        """R-NOTICE-3: what is true of the holder right now."""

    def mail_to(self, uow: ReadOnlyUnitOfWork, notice: Notice) -> Mailing:
        """The holder's name and address now, and the counter the letter names."""


def _still_current(
    uow: ReadOnlyUnitOfWork, items: tuple[NoticeItem, ...], card_expires: date | None
) -> bool:
    """Whether anything noticed still ends as noticed: the card's expiry (``card_expires``,
    None: no card) or a certificate still good (else all were renewed or revoked)."""
    if any(i.what == "card" and i.expires == card_expires for i in items):
        return True
    for item in items:
        if item.what != "card":
            rec = uow.pki.certificate(CertKind(item.what), int(item.serial or "0", 16))
            if rec is not None and rec.status is CertStatus.GOOD:
                return True
    return False


class ResidentsBook:
    """The counter's residents (the embedded default). A counter of a CA service refuses to
    plan (``by_ca_operator``): there the CA operator sends the notices (R-NAT-2)."""

    renewal_links = True

    def __init__(self, *, by_ca_operator: bool = False) -> None:
        self.by_ca_operator = by_ca_operator

    def candidates(self, uow: ReadOnlyUnitOfWork, first: date, last: date) -> list[Candidate]:
        if self.by_ca_operator:
            raise Refused(
                "notices_by_ca_operator", "the CA operator sends the expiry notices (R-NAT-2)"
            )
        return uow.notices.candidates(first, last)

    def at_dispatch(self, uow: ReadOnlyUnitOfWork, notice: Notice) -> HolderAtDispatch:
        resident = uow.counter.resident(notice.resident_id)
        card = uow.counter.card(notice.card_id)
        return HolderAtDispatch(
            deceased=resident is None or resident.status is ResidentStatus.DECEASED,
            moved_away=resident is not None and resident.status is ResidentStatus.MOVED_OUT,
            card_valid=card is not None and card.status is CardStatus.ACTIVE,
            noticed_expiries_still_current=_still_current(
                uow, notice.items, card.expires if card is not None else None
            ),
        )

    def mail_to(self, uow: ReadOnlyUnitOfWork, notice: Notice) -> Mailing:
        resident = uow.counter.resident(notice.resident_id)
        assert resident is not None  # checked at dispatch: a notice of no resident is dropped
        return Mailing(resident.name, resident.address, resident.postal_code)


class NationalBook:
    """The CA operator's records: every municipality's holders (R-NAT-2). The card-renewal
    QR code is not printed: its application page is a counter's (see docs/national.md)."""

    renewal_links = False

    def candidates(self, uow: ReadOnlyUnitOfWork, first: date, last: date) -> list[Candidate]:
        return uow.pki.holder_candidates(first, last)

    def at_dispatch(self, uow: ReadOnlyUnitOfWork, notice: Notice) -> HolderAtDispatch:
        holder = uow.pki.holder(notice.card_id)
        residence = uow.pki.card_residence(notice.card_id)
        lapsed = residence is not None and residence.lapsed_at is not None
        return HolderAtDispatch(
            deceased=holder is None or holder.resident_status == ResidentStatus.DECEASED,
            moved_away=holder is not None
            and (
                holder.resident_status == ResidentStatus.MOVED_OUT
                or (residence is not None and residence.awaiting_move_in)
            ),
            card_valid=holder is not None
            and holder.card_status == CardStatus.ACTIVE
            and not lapsed,
            noticed_expiries_still_current=_still_current(
                uow, notice.items, holder.card_expires if holder is not None else None
            ),
        )

    def mail_to(self, uow: ReadOnlyUnitOfWork, notice: Notice) -> Mailing:
        holder = uow.pki.holder(notice.card_id)
        assert holder is not None  # checked at dispatch: a notice of no holder is dropped
        counter = uow.pki.municipality_counter(holder.municipality) or MunicipalityCounter(
            holder.municipality, holder.municipality, ""
        )
        return Mailing(holder.name, holder.address, holder.postal_code, counter)
