"""RegistryService on the in-memory store (tests/support/fakes.py): registry changes and card
events revoke or hold what R-REV-1 … R-REV-3 say, in one transaction with the re-signed OCSP
answer (R-REV-4) and the audit entry. On SQLite and PostgreSQL: tests/integration/
test_counter.py."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp as x_ocsp

from madoguchi.pki.authority import Authority
from madoguchi.pki.records import CertRecord
from madoguchi.rules.revocation import CertStatus, RegistryEvent, RevocationReason
from madoguchi.rules.validity import CertKind
from madoguchi.services.domain import CardStatus, Refused, Resident, ResidentStatus
from madoguchi.services.registry import Change
from tests.unit.services.world import (
    MAIN,
    Snapshot,
    World,
    audit_log,
    build_world,
    p1,
    register,
    snapshot,
)

SIGN, AUTH = CertKind.SIGN, CertKind.AUTH
ISSUED_AT = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # the module's CA is made then too
NOW = ISSUED_AT + timedelta(days=2)
NEW_ADDRESS = "北海道帯広市東1条南1丁目1番地"

Holder = tuple[Snapshot, Resident, dict[CertKind, CertRecord]]


@pytest.fixture(scope="module")
def holder(
    authorities: dict[CertKind, Authority], tmp_path_factory: pytest.TempPathFactory
) -> Holder:
    """A resident holding both certificates (P1), once per module: each test goes on from a
    copy of this store and card vault."""
    w = build_world(authorities, tmp_path_factory.mktemp("holder"), ISSUED_AT)
    r = register(w)
    issued = p1(w, r).certificates
    return snapshot(w), r, issued


@pytest.fixture
def w(holder: Holder, authorities: dict[CertKind, Authority], tmp_path: Path) -> World:
    return build_world(authorities, tmp_path, NOW, start=holder[0])


@pytest.fixture
def r(holder: Holder) -> Resident:
    return holder[1]


@pytest.fixture
def issued(holder: Holder) -> dict[CertKind, CertRecord]:
    return holder[2]


def stored(w: World, rec: CertRecord) -> CertRecord:
    with w.uow.read_only() as uow:
        found = uow.pki.certificate(rec.kind, rec.serial)
    assert found is not None
    return found


def ocsp(w: World, rec: CertRecord) -> x_ocsp.OCSPResponse:
    """What a relying party hears for the certificate, through the service's responder."""
    cert = x509.load_der_x509_certificate(rec.der)
    request = (
        x_ocsp.OCSPRequestBuilder()
        .add_certificate(cert, w.ca.authorities[rec.kind].cert, hashes.SHA1())
        .build()
    )
    return x_ocsp.load_der_ocsp_response(w.ca.ocsp.answer(request.public_bytes(Encoding.DER)))


def assert_revoked(w: World, rec: CertRecord, reason: RevocationReason) -> None:
    """Revoked in the store with its reason and time, on the CRL, and so answered by OCSP."""
    now = stored(w, rec)
    assert (now.status, now.reason, now.status_changed_at) == (
        CertStatus.REVOKED,
        reason,
        w.clock(),
    )
    answer = ocsp(w, rec)
    assert answer.certificate_status is x_ocsp.OCSPCertStatus.REVOKED
    assert answer.revocation_reason is x509.ReasonFlags[reason.name.lower()]


def assert_good(w: World, rec: CertRecord) -> None:
    assert stored(w, rec).status is CertStatus.GOOD
    assert ocsp(w, rec).certificate_status is x_ocsp.OCSPCertStatus.GOOD


def crl_serials(w: World, kind: CertKind) -> int:
    with w.uow.read_only() as uow:
        return len(list(uow.pki.crl_entries(kind, w.clock())))


def test_r_rev_1_an_address_change_revokes_sign_only(
    w: World, r: Resident, issued: dict[CertKind, CertRecord]
) -> None:
    """R-REV-1: a minor correction revokes nothing; a change of address revokes the `sign`
    certificate (affiliationChanged); R-REV-2: the `auth` certificate survives it."""
    minor = w.registry.apply(
        r.id, RegistryEvent.MINOR_ADDRESS, MAIN, Change(address=r.address + "1")
    )
    assert (minor.revoked, minor.held) == ((), ())
    assert_good(w, issued[SIGN])

    out = w.registry.apply(r.id, RegistryEvent.ADDRESS, MAIN, Change(address=NEW_ADDRESS))
    assert [x.serial for x in out.revoked] == [issued[SIGN].serial]
    assert out.held == ()
    assert (out.resident.address, out.resident.changed_at) == (NEW_ADDRESS, w.clock())
    with w.uow.read_only() as uow:
        assert uow.counter.resident(r.id) == out.resident  # committed with the revocation
    assert_revoked(w, issued[SIGN], RevocationReason.AFFILIATION_CHANGED)
    assert_good(w, issued[AUTH])
    assert (crl_serials(w, SIGN), crl_serials(w, AUTH)) == (1, 0)
    (entry,) = [e for e in audit_log(w) if e.action == "registry.address"]
    assert dict(entry.detail) == {"revoked": [f"sign:{issued[SIGN].serial_hex}"], "held": []}


def test_r_rev_2_death_revokes_both(
    w: World, r: Resident, issued: dict[CertKind, CertRecord]
) -> None:
    """R-REV-1 and R-REV-2: on death the resident record ends and both certificates are
    revoked (cessationOfOperation)."""
    out = w.registry.apply(r.id, RegistryEvent.DEATH, MAIN)
    assert {x.kind for x in out.revoked} == {SIGN, AUTH}
    assert out.held == ()
    assert out.resident.status is ResidentStatus.DECEASED
    for rec in issued.values():
        assert_revoked(w, rec, RevocationReason.CESSATION_OF_OPERATION)
    assert (crl_serials(w, SIGN), crl_serials(w, AUTH)) == (1, 1)


def test_r_rev_3_a_lost_card_holds_both_and_found_revokes_them(
    w: World, r: Resident, issued: dict[CertKind, CertRecord]
) -> None:
    """R-REV-3: a lost card's certificates are held (certificateHold), the card marked lost;
    found again they are revoked (keyCompromise), never released."""
    out = w.registry.apply(r.id, RegistryEvent.LOST, MAIN)
    assert {x.kind for x in out.held} == {SIGN, AUTH}
    assert out.revoked == ()
    with w.uow.read_only() as uow:
        assert [c.status for c in uow.counter.cards_of(r.id)] == [CardStatus.LOST]
    for rec in issued.values():
        now = stored(w, rec)
        assert (now.status, now.reason) == (CertStatus.HELD, RevocationReason.CERTIFICATE_HOLD)
        answer = ocsp(w, rec)
        assert answer.certificate_status is x_ocsp.OCSPCertStatus.REVOKED
        assert answer.revocation_reason is x509.ReasonFlags.certificate_hold

    w.clock.advance(days=3)
    found = w.registry.apply(r.id, RegistryEvent.FOUND, MAIN)
    assert {x.kind for x in found.revoked} == {SIGN, AUTH}
    for rec in issued.values():
        assert_revoked(w, rec, RevocationReason.KEY_COMPROMISE)


def test_r_rev_2_an_overdue_move_in_revokes_auth(
    w: World, r: Resident, issued: dict[CertKind, CertRecord]
) -> None:
    """R-REV-1: a move-out revokes `sign`; R-REV-2: `auth` survives it until 30 days after
    the planned date pass without a move-in — then the daily job revokes it, once."""
    out = w.registry.apply(
        r.id, RegistryEvent.MOVE_OUT, MAIN, Change(planned_move_out=date(2026, 12, 1))
    )
    assert [x.kind for x in out.revoked] == [SIGN]
    assert (out.resident.status, out.resident.planned_move_out) == (
        ResidentStatus.MOVED_OUT,
        date(2026, 12, 1),
    )

    w.clock.now = datetime(2026, 12, 31, 1, 0, tzinfo=UTC)  # the 30th day: not overdue yet
    with pytest.raises(Refused) as err:
        w.registry.apply(r.id, RegistryEvent.MOVE_OUT_NO_MOVE_IN, MAIN)
    assert err.value.code == "move_in_not_overdue"
    assert w.registry.overdue_move_ins(MAIN) == []
    assert_good(w, issued[AUTH])
    assert [e for e in audit_log(w) if e.action == "registry.move_out_no_move_in"] == []

    w.clock.now = datetime(2027, 1, 1, 1, 0, tzinfo=UTC)
    (overdue,) = w.registry.overdue_move_ins(MAIN)
    assert [x.serial for x in overdue.revoked] == [issued[AUTH].serial]
    assert_revoked(w, issued[AUTH], RevocationReason.CESSATION_OF_OPERATION)
    assert w.registry.overdue_move_ins(MAIN) == []  # nothing left to revoke the next day
    logged = [e for e in audit_log(w) if e.action == "registry.move_out_no_move_in"]
    assert [dict(e.detail) for e in logged] == [
        {"revoked": [f"auth:{issued[AUTH].serial_hex}"], "held": []}
    ]
