"""The CA in this process, on this store: the embedded default (``make demo``, issue 17).

The counter's records and the CA's share one database, so an issuance at the counter is one
transaction: the certificates, the case, the audit entries and the card file commit together
(services/cardside.py)."""

from __future__ import annotations

from datetime import date

from cryptography.hazmat.primitives.serialization import Encoding

from madoguchi.pki.records import CertRecord
from madoguchi.rules.revocation import RevocationReason, StatusChange
from madoguchi.rules.validity import CertKind
from madoguchi.services.ca import CaService
from madoguchi.services.ports import UnitOfWork
from madoguchi.services.ports.ca import HolderRecord, IssueOrder


class InProcessCa:
    """:class:`~madoguchi.services.ports.ca.CertificateAuthority` over :class:`CaService`."""

    def __init__(self, ca: CaService, municipality: str) -> None:
        self.ca = ca
        self._municipality = municipality

    @property
    def municipality(self) -> str:
        return self._municipality

    def ca_certificate(self, kind: CertKind) -> bytes:
        return self.ca.authorities[kind].cert.public_bytes(Encoding.DER)

    def issue_in(self, uow: UnitOfWork, order: IssueOrder) -> list[CertRecord]:
        return self.ca.issue_order_in(uow, order)

    def change_status_in(
        self,
        uow: UnitOfWork,
        kind: CertKind,
        serial: int,
        change: StatusChange,
        reason: RevocationReason,
    ) -> CertRecord:
        return self.ca.change_status_in(
            uow, kind, serial, change, reason, municipality=self._municipality
        )

    def status(self, kind: CertKind, serial: int) -> CertRecord | None:
        return self.ca.certificate(kind, serial)

    def certificates_of_card(self, card_id: str) -> list[CertRecord]:
        with self.ca.uow_factory.read_only() as uow:
            return uow.pki.certificates_of_card(card_id)

    @property
    def separate_store(self) -> bool:
        return False  # the CA commits in the counter's own transaction

    def order(self, key: str) -> list[CertRecord] | None:
        with self.ca.uow_factory.read_only() as uow:
            answered = uow.pki.answered_order(key)
            if answered is None or answered.municipality != self._municipality:
                return None
            found = [uow.pki.certificate(kind, serial) for kind, serial in answered.certificates]
            return [r for r in found if r is not None]

    # -- moves (R-NAT-3): one municipality in the embedded shape ---------------------------
    @property
    def keeps_move_deadlines(self) -> bool:
        return False  # the counter's daily job runs the 30-day rule (`registry move-in-deadline`)

    def notify_move_out(self, card_id: str, planned_move_out: date) -> None:
        """Nothing to tell: the counter's own records are the CA's (its resident's
        planned move-out drives the 30-day rule)."""

    def claim_move_in_in(
        self, uow: UnitOfWork, card_id: str, holder: HolderRecord | None = None
    ) -> list[CertRecord]:
        return uow.pki.certificates_of_card(card_id)

    def tell_holder(self, holder: HolderRecord) -> None:
        """Nothing to tell: the expiry notices are planned from the counter's own residents
        (one municipality, one store)."""
