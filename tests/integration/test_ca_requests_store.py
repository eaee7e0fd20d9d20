"""The CA's records of who asked (issue 17) on SQLite and a real PostgreSQL: the municipality
of each issuance and status change (migration 0007), idempotent orders, and the RA
credentials with the RA-CA's CRL that the TLS handshake checks."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

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
    before = c.ra_enrolment.crl_generation()
    c.ra_enrolment.revoke(one.credential.serial)
    assert c.ra_enrolment.crl_generation() > before  # what every `ca serve` probes
    number = c.ra_enrolment.write_crl(tmp_path / "ra.crl.pem")
    assert number == c.ra_enrolment.crl_generation()
    crl = x509.load_pem_x509_crl((tmp_path / "ra.crl.pem").read_bytes())
    assert crl.get_revoked_certificate_by_serial_number(one.credential.serial) is not None
    assert crl.get_revoked_certificate_by_serial_number(two.credential.serial) is None
    listed = {r.serial: r.revoked_at for r in c.ra_enrolment.credentials()}
    assert listed[one.credential.serial] is not None and listed[two.credential.serial] is None
    assert c.ra_enrolment.credential(two.credential.serial) == two.credential
    assert c.ra_enrolment.credential(12345) is None


def _peer(c: Container, data_dir: Path) -> Container:
    """A second CA service process's container: the same store and CA keys, its own data
    directory (no ca-service files)."""
    settings = Settings(
        data_dir=data_dir, database_url=c.settings.database_url, ca_passphrase="shared"
    )
    return Container(settings, c.clock)


def test_two_ca_services_over_one_store_share_the_ra_ca_and_its_crl(
    tmp_path: Path, db_url: str
) -> None:
    clock = FakeClock(datetime(2026, 11, 24, 1, 0, tzinfo=UTC))
    a = Container(
        Settings(data_dir=tmp_path / "a", database_url=db_url, ca_passphrase="shared"), clock
    )
    a.migrate()
    b = _peer(a, tmp_path / "b")
    enrolled = a.ra_enrolment.enroll("012076", "帯広市", tmp_path / "ra")
    anchor = x509.load_pem_x509_certificate((tmp_path / "ra" / "ca-tls.pem").read_bytes())
    tls_b = b.ra_enrolment.server_tls(["localhost"], _own(tmp_path / "b-tls"))
    served = x509.load_pem_x509_certificate(tls_b.cert_file.read_bytes())
    assert served.issuer == anchor.subject  # b's server certificate: the anchor a gave out
    ra_ca = x509.load_pem_x509_certificate(tls_b.client_ca_file.read_bytes())
    client = x509.load_pem_x509_certificate((tmp_path / "ra" / "client.pem").read_bytes())
    assert client.issuer == ra_ca.subject
    assert not (tmp_path / "a" / "ca-service").exists()  # nothing kept beside the store
    seen = tls_b.generation()
    a.ra_enrolment.revoke(enrolled.credential.serial)
    assert tls_b.generation() > seen  # b sees a's revocation at its next handshake
    assert tls_b.refresh() == tls_b.generation()
    crl = x509.load_pem_x509_crl(tls_b.crl_file.read_bytes())
    assert crl.get_revoked_certificate_by_serial_number(enrolled.credential.serial) is not None


def test_an_ra_ca_kept_in_files_is_imported_into_the_store(tmp_path: Path, db_url: str) -> None:
    """A CA service from before migration 0011 keeps the RA-CA its counters chain to."""
    clock = FakeClock(datetime(2026, 11, 24, 1, 0, tzinfo=UTC))
    settings = Settings(data_dir=tmp_path / "a", database_url=db_url, ca_passphrase="x")
    a = Container(settings, clock)
    a.migrate()
    legacy = tmp_path / "a" / "ca-service"
    legacy.mkdir(parents=True)
    from madoguchi.pki.network import create_network_ca
    from madoguchi.pki.signer import KeySigner
    from madoguchi.services.ports import NetworkCa

    signer = KeySigner.generate()
    old = create_network_ca("old", "RA-CA", signer, clock())
    (legacy / "ra-ca.pem").write_bytes(old.public_bytes(serialization.Encoding.PEM))
    (legacy / "ra-ca.key.sealed").write_bytes(a.keys.seal(signer))
    a.ra_enrolment.enroll("012076", "帯広市", tmp_path / "ra")
    client = x509.load_pem_x509_certificate((tmp_path / "ra" / "client.pem").read_bytes())
    assert client.issuer == old.subject
    with a.uow.read_only() as uow:
        stored = uow.pki.network_ca("ra-ca")
    assert isinstance(stored, NetworkCa) and stored.cert_pem == old.public_bytes(
        serialization.Encoding.PEM
    )


def _own(path: Path) -> Path:
    path.mkdir(mode=0o700)
    return path
