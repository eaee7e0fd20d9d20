"""The CA's records of who asked (issue 17) on SQLite and a real PostgreSQL: the municipality
of each issuance and status change (migration 0007), idempotent orders, and the RA
credentials with the RA-CA's CRL that the TLS handshake checks."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from cryptography import x509

from madoguchi.bootstrap import Container
from madoguchi.card.jpki import JpkiCard
from madoguchi.card.virtual import VirtualCard
from madoguchi.config import Settings
from madoguchi.pki.facts import HolderFacts
from madoguchi.rules.errors import RuleInputError
from madoguchi.rules.revocation import RevocationReason, StatusChange
from madoguchi.rules.validity import CertKind
from madoguchi.services.cardside import prepare_card
from madoguchi.services.ports import IssueOrder, IssueRequest
from tests.support.clock import FakeClock

ISSUER = bytes(range(32, 64))
FACTS = HolderFacts.create("札幌 花子", "2", date(1985, 3, 3), "北海道札幌市中央区北1条西2丁目")


@pytest.fixture
def c(tmp_path: Path, db_url: str) -> Container:
    settings = Settings(data_dir=tmp_path / "data", database_url=db_url)
    container = Container(settings, FakeClock(datetime(2026, 11, 24, 1, 0, tzinfo=UTC)))
    container.init_ca()
    return container


def _order(municipality: str) -> IssueOrder:
    card = VirtualCard.new(ISSUER)
    kinds = [CertKind.AUTH, CertKind.SIGN]
    proofs = prepare_card(
        JpkiCard(card), ISSUER, kinds, {CertKind.AUTH: "3333", CertKind.SIGN: "ABC123"}
    )
    requests = tuple(
        IssueRequest(
            k,
            proofs[k].spki,
            proofs[k].challenge,
            proofs[k].signature,
            date(2031, 3, 3),
            FACTS,
            card.card_id,
        )
        for k in kinds
    )
    return IssueOrder(requests, municipality, uuid.uuid4().hex)


def test_orders_and_municipalities_are_recorded(c: Container) -> None:
    order = _order("011002")
    with c.uow() as uow:
        first = c.ca.issue_order_in(uow, order)
        uow.commit()
    with c.uow() as uow:
        again = c.ca.issue_order_in(uow, order)
        uow.commit()
    assert [r.serial for r in again] == [r.serial for r in first]
    with c.uow.read_only() as uow:
        answered = uow.pki.answered_order(order.idempotency_key)
        assert answered is not None and answered.municipality == "011002"
        assert answered.certificates == tuple((r.kind, r.serial) for r in first)
        assert len(uow.pki.certificates_of_card(first[0].card_id or "")) == 2
    sign = next(r for r in first if r.kind is CertKind.SIGN)
    revoked = c.ca_port.change_status_in  # the in-process adapter: this counter's municipality
    with c.uow() as uow:
        revoked(uow, CertKind.SIGN, sign.serial, StatusChange.REVOKE, RevocationReason.UNSPECIFIED)
        uow.commit()
    stored = c.ca.certificate(CertKind.SIGN, sign.serial)
    assert stored is not None
    assert (stored.municipality, stored.status_municipality) == ("011002", "012076")


def test_ra_credentials_and_the_crl(c: Container, tmp_path: Path) -> None:
    with pytest.raises(RuleInputError):
        c.ra_enrolment.enroll("012070", "x", tmp_path / "bad")
    one = c.ra_enrolment.enroll("012076", "帯広市", tmp_path / "one")
    two = c.ra_enrolment.enroll("011002", "札幌市", tmp_path / "two")
    cert = x509.load_pem_x509_certificate((tmp_path / "one" / "client.pem").read_bytes())
    assert cert.serial_number == one.credential.serial
    assert [r.municipality for r in c.ra_enrolment.credentials()] == ["012076", "011002"]
    c.ra_enrolment.revoke(one.credential.serial)
    crl = x509.load_pem_x509_crl(c.ra_enrolment.crl_file.read_bytes())
    assert crl.get_revoked_certificate_by_serial_number(one.credential.serial) is not None
    assert crl.get_revoked_certificate_by_serial_number(two.credential.serial) is None
    listed = {r.serial: r.revoked_at for r in c.ra_enrolment.credentials()}
    assert listed[one.credential.serial] is not None and listed[two.credential.serial] is None
