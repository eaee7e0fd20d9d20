"""The CA service on a real SQLite store: issuance with proof of possession, holds and
revocations (R-REV-3, R-REV-4), OCSP caching, and CRLs that keep a revoked serial until the
certificate expires, whatever happens to the holder afterwards."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, utils
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cryptography.x509 import ocsp as x_ocsp

from madoguchi.bootstrap import Container
from madoguchi.config import Settings
from madoguchi.pki.errors import PkiError
from madoguchi.pki.facts import HolderFacts
from madoguchi.pki.pop import new_challenge, pop_digest
from madoguchi.pki.records import CertRecord
from madoguchi.pki.signer import KeySigner
from madoguchi.rules.errors import InvalidTransition
from madoguchi.rules.revocation import CertStatus, RevocationReason
from madoguchi.rules.validity import CertKind
from madoguchi.services.ca import CaService
from tests.support.clock import FakeClock

FACTS = HolderFacts.create("帯広 太郎", "1", date(1980, 7, 1), "北海道帯広市西5条南7丁目1番地")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 24, 1, 0, tzinfo=UTC))


@pytest.fixture
def container(tmp_path: Path, clock: FakeClock, db_url: str) -> Container:
    settings = Settings(data_dir=tmp_path / "data", crl_partition_size=2, database_url=db_url)
    c = Container(settings, clock)
    c.init_ca()
    return c


def issue(
    ca: CaService,
    kind: CertKind,
    key: KeySigner | None = None,
    expires: date = date(2030, 7, 1),
    card_id: str = "VC1",
) -> CertRecord:
    key = key or KeySigner.generate()
    spki = key.public_key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    challenge = new_challenge()
    sig = key.private_key.sign(
        pop_digest(challenge, spki), padding.PKCS1v15(), utils.Prehashed(hashes.SHA256())
    )
    return ca.issue(
        kind=kind,
        spki_der=spki,
        challenge=challenge,
        pop_signature=sig,
        expires_on=expires,
        facts=FACTS,
        card_id=card_id,
    )


def crl_serials(
    c: Container, kind: CertKind, partition: int | None = None
) -> dict[int, x509.RevokedCertificate]:
    buf = io.BytesIO()
    c.crls.publish(kind, buf, partition=partition)
    crl = x509.load_der_x509_crl(buf.getvalue())
    assert crl.is_signature_valid(c.authorities[kind].public_key)
    return {r.serial_number: r for r in crl}


def ocsp_status(ca: CaService, record: CertRecord) -> x_ocsp.OCSPResponse:
    cert = x509.load_der_x509_certificate(record.der)
    req = (
        x_ocsp.OCSPRequestBuilder()
        .add_certificate(cert, ca.authorities[record.kind].cert, hashes.SHA1())
        .build()
    )
    return x_ocsp.load_der_ocsp_response(ca.ocsp.answer(req.public_bytes(Encoding.DER)))


def test_issue_requires_proof_of_possession(container: Container) -> None:
    key, other = KeySigner.generate(), KeySigner.generate()
    spki = key.public_key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    challenge = new_challenge()
    forged = other.private_key.sign(
        pop_digest(challenge, spki), padding.PKCS1v15(), utils.Prehashed(hashes.SHA256())
    )
    with pytest.raises(PkiError) as err:
        container.ca.issue(
            kind=CertKind.AUTH,
            spki_der=spki,
            challenge=challenge,
            pop_signature=forged,
            expires_on=date(2030, 1, 1),
            facts=None,
            card_id=None,
        )
    assert err.value.code == "pop_failed"
    with container.uow() as uow:
        assert uow.pki.count(CertKind.AUTH) == 0  # nothing recorded


def test_serials_random_positive_and_partitions_assigned_at_issuance(container: Container) -> None:
    records = [issue(container.ca, CertKind.AUTH) for _ in range(5)]
    assert len({r.serial for r in records}) == 5
    assert all(0 < r.serial < 2**159 for r in records)
    assert [r.partition for r in records] == [0, 1, 1, 2, 2]  # seq 1..5, size 2
    cdp = (
        x509.load_der_x509_certificate(records[4].der)
        .extensions.get_extension_for_class(x509.CRLDistributionPoints)
        .value
    )
    assert cdp[0].full_name[0].value.endswith("/crl/auth-2.crl")


def test_r_rev_4_ocsp_says_revoked_at_once_and_the_crl_lists_it(
    container: Container, clock: FakeClock
) -> None:
    ca = container.ca
    rec = issue(ca, CertKind.SIGN)
    assert ocsp_status(ca, rec).certificate_status is x_ocsp.OCSPCertStatus.GOOD
    clock.advance(minutes=5)
    ca.revoke(CertKind.SIGN, rec.serial, RevocationReason.AFFILIATION_CHANGED)
    resp = ocsp_status(ca, rec)
    assert resp.certificate_status is x_ocsp.OCSPCertStatus.REVOKED
    assert resp.revocation_reason is x509.ReasonFlags.affiliation_changed
    assert resp.revocation_time_utc == clock.now
    entry = crl_serials(container, CertKind.SIGN)[rec.serial]
    assert entry.revocation_date_utc == clock.now
    # the served CRL is re-published as soon as the status changed
    assert rec.serial in {
        r.serial_number for r in x509.load_der_x509_crl(container.crls.current(CertKind.SIGN))
    }


def test_r_rev_3_hold_then_revoke_never_release(container: Container) -> None:
    ca = container.ca
    rec = issue(ca, CertKind.AUTH)
    held = ca.hold(CertKind.AUTH, rec.serial)
    assert held.status is CertStatus.HELD
    assert ocsp_status(ca, rec).revocation_reason is x509.ReasonFlags.certificate_hold
    assert (
        crl_serials(container, CertKind.AUTH)[rec.serial]
        .extensions.get_extension_for_class(x509.CRLReason)
        .value.reason
        is x509.ReasonFlags.certificate_hold
    )
    with pytest.raises(InvalidTransition):
        ca.hold(CertKind.AUTH, rec.serial)
    revoked = ca.revoke(CertKind.AUTH, rec.serial, RevocationReason.KEY_COMPROMISE)
    assert revoked.status is CertStatus.REVOKED
    with pytest.raises(InvalidTransition):
        ca.revoke(CertKind.AUTH, rec.serial, RevocationReason.KEY_COMPROMISE)


def test_unknown_serial_is_unknown(container: Container) -> None:
    ca = container.ca
    issue(ca, CertKind.AUTH)
    builder = x_ocsp.OCSPRequestBuilder().add_certificate_by_hash(
        *ca.authorities[CertKind.AUTH].issuer_hashes(hashes.SHA1()), 12345, hashes.SHA1()
    )
    resp = x_ocsp.load_der_ocsp_response(ca.ocsp.answer(builder.build().public_bytes(Encoding.DER)))
    assert resp.certificate_status is x_ocsp.OCSPCertStatus.UNKNOWN


def test_a_revoked_serial_stays_on_the_crl_until_the_certificate_expires(
    container: Container, clock: FakeClock
) -> None:
    ca = container.ca
    old = issue(ca, CertKind.SIGN, expires=date(2027, 1, 31))
    ca.revoke(CertKind.SIGN, old.serial, RevocationReason.SUPERSEDED)
    # the holder renews and later gets a new card: the old serial stays listed
    issue(ca, CertKind.SIGN, expires=date(2031, 7, 1))
    clock.advance(days=30)
    issue(ca, CertKind.SIGN, expires=date(2031, 7, 1), card_id="VC2")
    assert old.serial in crl_serials(container, CertKind.SIGN)
    assert old.serial in crl_serials(container, CertKind.SIGN, partition=old.partition)
    clock.now = datetime(2027, 1, 31, 14, 59, 59, tzinfo=UTC)  # the last second of its validity
    assert old.serial in crl_serials(container, CertKind.SIGN)
    clock.advance(seconds=1)
    assert old.serial not in crl_serials(container, CertKind.SIGN)


def test_partition_crls_carry_their_distribution_point(container: Container) -> None:
    ca = container.ca
    recs = [issue(ca, CertKind.AUTH) for _ in range(4)]  # partitions 0, 1, 1, 2
    for r in recs:
        ca.revoke(CertKind.AUTH, r.serial, RevocationReason.CESSATION_OF_OPERATION)
    buf = io.BytesIO()
    container.crls.publish(CertKind.AUTH, buf, partition=1)
    crl = x509.load_der_x509_crl(buf.getvalue())
    assert {r.serial_number for r in crl} == {recs[1].serial, recs[2].serial}
    idp = crl.extensions.get_extension_for_class(x509.IssuingDistributionPoint)
    assert idp.critical
    assert idp.value.full_name[0].value.endswith("/crl/auth-1.crl")
    assert len(crl_serials(container, CertKind.AUTH)) == 4  # the full CRL has them all


def test_crl_numbers_increase(container: Container) -> None:
    numbers = []
    for _ in range(3):
        buf = io.BytesIO()
        numbers.append(container.crls.publish(CertKind.SIGN, buf).crl_number)
    assert numbers == sorted(numbers) and len(set(numbers)) == 3


def test_ocsp_answers_are_signed_at_the_first_request_and_replaced_on_change(
    container: Container,
) -> None:
    ca = container.ca
    rec = issue(ca, CertKind.AUTH)
    with container.uow() as uow:
        assert uow.pki.cached_ocsp(CertKind.AUTH, rec.serial) is None  # none at issuance
    first = ocsp_status(ca, rec)
    with container.uow() as uow:
        cached = uow.pki.cached_ocsp(CertKind.AUTH, rec.serial)
    assert cached is not None  # signed at the first request, and kept
    again = ocsp_status(ca, rec)
    assert first.produced_at_utc == again.produced_at_utc  # served from the cache
    ca.revoke(CertKind.AUTH, rec.serial, RevocationReason.UNSPECIFIED)
    with container.uow() as uow:
        replaced = uow.pki.cached_ocsp(CertKind.AUTH, rec.serial)
    assert replaced is not None and replaced.der != cached.der
    assert ocsp_status(ca, rec).certificate_status is x_ocsp.OCSPCertStatus.REVOKED


def test_presign_signs_and_stores_answers_in_batches(container: Container) -> None:
    ca = container.ca
    recs = [issue(ca, CertKind.AUTH) for _ in range(5)]
    ca.revoke(CertKind.AUTH, recs[0].serial, RevocationReason.UNSPECIFIED)
    signed = ca.ocsp.presign(CertKind.AUTH, [r.serial for r in recs] + [12345], chunk=2)
    assert set(signed) == {r.serial for r in recs}  # the serial never issued is left out
    statuses = {
        serial: x_ocsp.load_der_ocsp_response(der).certificate_status
        for serial, (der, _) in signed.items()
    }
    assert statuses[recs[0].serial] is x_ocsp.OCSPCertStatus.REVOKED  # the status it has
    assert all(statuses[r.serial] is x_ocsp.OCSPCertStatus.GOOD for r in recs[1:])
    with container.uow() as uow:
        for r in recs:
            cached = uow.pki.cached_ocsp(CertKind.AUTH, r.serial)
            assert cached is not None and cached.der == signed[r.serial][0]


def test_responder_certificates_are_renewed_automatically(
    tmp_path: Path, clock: FakeClock, db_url: str
) -> None:
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=db_url,
        responder_validity_days=30,
        responder_renew_days_before=7,
    )
    first = Container(settings, clock)
    first.init_ca()
    old = first.ca.authorities[CertKind.SIGN].responder_cert
    clock.advance(days=20)  # 10 days left: kept
    assert Container(settings, clock).start().ca.authorities[CertKind.SIGN].responder_cert == old
    clock.advance(days=4)  # 6 days left: renewed on load
    renewed = Container(settings, clock).start().ca.authorities[CertKind.SIGN].responder_cert
    assert renewed.serial_number != old.serial_number
    assert renewed.not_valid_after_utc > old.not_valid_after_utc
    renewed.verify_directly_issued_by(first.ca.authorities[CertKind.SIGN].cert)
    # and the renewal is stored: the next start uses it without renewing again
    again = Container(settings, clock).start().ca.authorities[CertKind.SIGN].responder_cert
    assert again.serial_number == renewed.serial_number
