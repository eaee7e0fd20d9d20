"""The CA's records of who asked: answered issuance orders and RA credentials (issue 17)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from madoguchi.pki.records import serial_hex
from madoguchi.rules.validity import CertKind
from madoguchi.services.domain import ConcurrentUpdate
from madoguchi.services.ports import (
    AnsweredOrder,
    CardResidence,
    MunicipalityCounter,
    NetworkCa,
    RaCredential,
)
from madoguchi.store.models import (
    CaCardResidenceRow,
    CaIssueRequestRow,
    CaMunicipalityRow,
    NetworkCaRow,
    RaCredentialRow,
)


def _credential(row: RaCredentialRow) -> RaCredential:
    return RaCredential(
        int(row.serial_hex, 16),
        row.municipality,
        row.name,
        row.issued_at,
        row.not_after,
        row.revoked_at,
    )


class CaRequests:
    """Mixed into the PKI repository: the CA's orders and RA credentials."""

    session: Session

    def answered_order(self, key: str) -> AnsweredOrder | None:
        row = self.session.get(CaIssueRequestRow, key)
        if row is None:
            return None
        certs = []
        for item in row.certificates.split(","):
            kind, _, serial = item.partition(":")
            certs.append((CertKind(kind), int(serial, 16)))
        return AnsweredOrder(row.key, row.municipality, row.card_id, tuple(certs))

    def add_answered_order(self, order: AnsweredOrder, at: datetime) -> None:
        self.session.add(
            CaIssueRequestRow(
                key=order.key,
                municipality=order.municipality,
                card_id=order.card_id,
                certificates=",".join(f"{k.value}:{serial_hex(s)}" for k, s in order.certificates),
                created_at=at,
            )
        )
        self.session.flush()

    def ra_credentials(self) -> list[RaCredential]:
        rows = self.session.scalars(select(RaCredentialRow).order_by(RaCredentialRow.issued_at))
        return [_credential(r) for r in rows]

    def ra_credential(self, serial: int) -> RaCredential | None:
        row = self.session.get(RaCredentialRow, serial_hex(serial))
        return None if row is None else _credential(row)

    def add_ra_credential(self, credential: RaCredential) -> None:
        self.session.add(
            RaCredentialRow(
                serial_hex=serial_hex(credential.serial),
                municipality=credential.municipality,
                name=credential.name,
                issued_at=credential.issued_at,
                not_after=credential.not_after,
                revoked_at=credential.revoked_at,
            )
        )
        self.session.flush()

    def revoke_ra_credential(self, serial: int, at: datetime) -> RaCredential | None:
        row = self.session.get(RaCredentialRow, serial_hex(serial), with_for_update=True)
        if row is None:
            return None
        if row.revoked_at is None:
            row.revoked_at = at
            self.session.flush()
        return _credential(row)

    # -- the CA service's own CAs and the RA-CA's CRL ---------------------------------------
    def network_ca(self, name: str) -> NetworkCa | None:
        row = self.session.get(NetworkCaRow, name)
        if row is None:
            return None
        return NetworkCa(row.name, bytes(row.cert_pem), bytes(row.key_sealed))

    def add_network_ca(self, ca: NetworkCa, at: datetime) -> None:
        self.session.add(
            NetworkCaRow(
                name=ca.name, cert_pem=ca.cert_pem, key_sealed=ca.key_sealed, created_at=at
            )
        )
        try:
            self.session.flush()
        except IntegrityError:  # another process created it first
            raise ConcurrentUpdate(f"network CA {ca.name}") from None

    def network_crl(self, name: str) -> tuple[int, bytes] | None:
        row = self.session.get(NetworkCaRow, name)
        if row is None or row.crl_number is None or row.crl_pem is None:
            return None
        return row.crl_number, bytes(row.crl_pem)

    def put_network_crl(self, name: str, number: int, pem: bytes) -> None:
        row = self.session.get(NetworkCaRow, name, with_for_update=True)
        if row is None:
            raise LookupError(name)
        if row.crl_number is None or number > row.crl_number:  # never an older one over it
            row.crl_number, row.crl_pem = number, pem
            self.session.flush()

    # -- the cards' moves between municipalities (R-NAT-3) ---------------------------------
    def card_residence(self, card_id: str, *, for_update: bool = False) -> CardResidence | None:
        row = self.session.get(CaCardResidenceRow, card_id, with_for_update=for_update)
        return _residence(row) if row is not None else None

    def residences_awaiting_move_in(self) -> list[CardResidence]:
        rows = self.session.scalars(
            select(CaCardResidenceRow)
            .where(
                CaCardResidenceRow.moved_out_from.is_not(None),
                CaCardResidenceRow.moved_in_at.is_(None),
                CaCardResidenceRow.lapsed_at.is_(None),
            )
            .order_by(CaCardResidenceRow.planned_move_out, CaCardResidenceRow.card_id)
        )
        return [_residence(r) for r in rows]

    def put_card_residence(self, residence: CardResidence) -> None:
        row = self.session.get(CaCardResidenceRow, residence.card_id)
        if row is None:
            row = CaCardResidenceRow(card_id=residence.card_id)
            self.session.add(row)
        row.municipality = residence.municipality
        row.moved_out_from = residence.moved_out_from
        row.planned_move_out = residence.planned_move_out
        row.moved_out_at = residence.moved_out_at
        row.moved_in_at = residence.moved_in_at
        row.lapsed_at = residence.lapsed_at
        self.session.flush()

    # -- the municipalities' counters (R-NAT-2) ---------------------------------------------
    def municipality_counters(self) -> list[MunicipalityCounter]:
        rows = self.session.scalars(select(CaMunicipalityRow).order_by(CaMunicipalityRow.code))
        return [_counter(r) for r in rows]

    def municipality_counter(self, code: str) -> MunicipalityCounter | None:
        row = self.session.get(CaMunicipalityRow, code)
        return _counter(row) if row is not None else None

    def put_municipality_counter(self, counter: MunicipalityCounter) -> None:
        row = self.session.get(CaMunicipalityRow, counter.municipality)
        if row is None:
            row = CaMunicipalityRow(code=counter.municipality)
            self.session.add(row)
        row.name, row.address = counter.name, counter.address
        row.phone, row.hours = counter.phone, counter.hours
        self.session.flush()


def _counter(row: CaMunicipalityRow) -> MunicipalityCounter:
    return MunicipalityCounter(row.code, row.name, row.address, row.phone, row.hours)


def _residence(row: CaCardResidenceRow) -> CardResidence:
    return CardResidence(
        row.card_id,
        row.municipality,
        row.moved_out_from,
        row.planned_move_out,
        row.moved_out_at,
        row.moved_in_at,
        row.lapsed_at,
    )
