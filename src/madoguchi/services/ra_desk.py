"""The CA service's side of the RA API (issue 17): what a municipality's counter may ask.

Each method is one transaction on the CA's store. The caller is known by the serial of the
client certificate the TLS handshake verified; its municipality comes from the CA's own
record of that credential (`ca enroll-ra`), never from the request.

Who may change a certificate's status (rules/municipality.py, ``may_change_status``): a
municipality holds or revokes the certificates of cards it issued on and of its current
residents (the municipality a move-in told the CA, else the one that issued on the card
last; after a move-in, only the new municipality: R-NAT-3, services/ca_moves.py); the CA
operator (`madoguchi ca revoke`, on the CA's host) any.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from madoguchi.pki.errors import UnknownCertificate
from madoguchi.pki.records import CertRecord
from madoguchi.rules.municipality import may_change_status
from madoguchi.rules.revocation import RevocationReason, StatusChange
from madoguchi.rules.validity import CertKind
from madoguchi.services.ca import CaService
from madoguchi.services.ca_moves import CaMoves, current_municipality
from madoguchi.services.domain import NotFound, Refused
from madoguchi.services.failpoints import failpoint
from madoguchi.services.ports import HolderRecord, IssueOrder, UnitOfWork

log = logging.getLogger("madoguchi.ra_desk")


class RaDesk:
    def __init__(self, ca: CaService) -> None:
        self.ca = ca
        self.moves = CaMoves(ca)

    def caller(self, client_serial: int) -> str:
        """The municipality of an enrolled, unrevoked RA credential."""
        with self.ca.uow_factory.read_only() as uow:
            found = uow.pki.ra_credential(client_serial)
        if found is None:
            raise NotFound("unknown_ra", f"no RA credential {client_serial:x}")
        if found.revoked_at is not None:
            raise Refused("ra_revoked", f"RA credential {client_serial:x} is revoked")
        return found.municipality

    def issue(self, order: IssueOrder) -> list[CertRecord]:
        with self.ca.uow_factory() as uow:
            records = self.ca.issue_order_in(uow, order)
            if order.holder is not None:
                self._put_holder(uow, order.holder, refuse=False)
            failpoint("ra.issue.before_commit")  # the fault tests kill the CA here (issue 17)
            uow.commit()
        failpoint("ra.issue.after_commit")  # signed and committed, not yet answered
        return records

    def change_status(
        self,
        municipality: str,
        kind: CertKind,
        serial: int,
        change: StatusChange,
        reason: RevocationReason,
    ) -> CertRecord:
        with self.ca.uow_factory() as uow:
            record = uow.pki.certificate(kind, serial, for_update=True)
            if record is None:
                raise UnknownCertificate(kind.value, serial)
            card_now, moved_in = (
                current_municipality(uow, record.card_id)
                if record.card_id is not None
                else (None, False)
            )
            if not may_change_status(
                municipality, record.municipality, card_now, moved_in=moved_in
            ):
                raise Refused(
                    "not_your_certificate",
                    f"{municipality} may not change {kind.value} certificate {serial:x}",
                )
            updated = self.ca.change_status_in(
                uow, kind, serial, change, reason, municipality=municipality
            )
            uow.commit()
        return updated

    def tell_holder(self, holder: HolderRecord) -> None:
        """The card's municipality tells the CA its holder's name, address and card now
        (R-NAT-2): what the CA operator's expiry notices are planned from and checked
        against."""
        with self.ca.uow_factory() as uow:
            if not uow.pki.certificates_of_card(holder.card_id):
                raise NotFound(
                    "card_unknown_at_ca", f"the CA issued nothing onto card {holder.card_id}"
                )
            self._put_holder(uow, holder, refuse=True)
            uow.commit()

    def _put_holder(self, uow: UnitOfWork, holder: HolderRecord, *, refuse: bool) -> None:
        """Record the holder when the teller is the card's current municipality; otherwise
        refuse (``refuse``) or leave the CA's record as it is (an order: the certificates
        are signed all the same, the notices stay with the card's municipality)."""
        now_at, _ = current_municipality(uow, holder.card_id)
        if now_at != holder.municipality:
            if refuse:
                raise Refused(
                    "not_your_card",
                    f"card {holder.card_id} is not a resident's of {holder.municipality}",
                )
            log.info("card %s: holder from %s not recorded", holder.card_id, holder.municipality)
            return
        uow.pki.put_holder(replace(holder, updated_at=self.ca.clock()))

    def status(self, kind: CertKind, serial: int) -> CertRecord:
        record = self.ca.certificate(kind, serial)
        if record is None:
            raise UnknownCertificate(kind.value, serial)
        return record

    def certificates_of_card(self, card_id: str) -> list[CertRecord]:
        with self.ca.uow_factory.read_only() as uow:
            return uow.pki.certificates_of_card(card_id)

    def order(self, municipality: str, key: str) -> list[CertRecord]:
        """The certificates signed under an idempotency key, as they stand now (reconciliation
        at the counter, issue 17); another municipality's key is unknown to the caller."""
        with self.ca.uow_factory.read_only() as uow:
            answered = uow.pki.answered_order(key)
            if answered is None or answered.municipality != municipality:
                raise NotFound("unknown_order", f"no order {key}")
            found = [uow.pki.certificate(kind, serial) for kind, serial in answered.certificates]
        return [r for r in found if r is not None]
