"""OCSP answers from memory on a real store (SQLite and PostgreSQL): the hot path opens no
unit of work and signs nothing, yet a hold or revocation committed by another process —
another server worker, the CLI — is answered at once (R-REV-4)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, utils
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cryptography.x509 import ocsp as x_ocsp

from madoguchi.bootstrap import Container
from madoguchi.config import Settings
from madoguchi.pki.facts import HolderFacts
from madoguchi.pki.ocsp import build_request
from madoguchi.pki.pop import new_challenge, pop_digest
from madoguchi.pki.records import CertRecord
from madoguchi.pki.signer import KeySigner
from madoguchi.rules.revocation import RevocationReason
from madoguchi.rules.validity import CertKind
from madoguchi.services.ca import CaService
from madoguchi.services.ocsp_export import presign_missing, static_answers
from tests.support.clock import FakeClock

FACTS = HolderFacts.create("帯広 太郎", "1", date(1980, 7, 1), "北海道帯広市西5条南7丁目1番地")
KEY = KeySigner.generate()
GOOD, REVOKED, UNKNOWN = (
    x_ocsp.OCSPCertStatus.GOOD,
    x_ocsp.OCSPCertStatus.REVOKED,
    x_ocsp.OCSPCertStatus.UNKNOWN,
)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 24, 1, 0, tzinfo=UTC))


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=db_url)


@pytest.fixture
def worker(settings: Settings, clock: FakeClock) -> Container:
    """One server process."""
    c = Container(settings, clock)
    c.init_ca()
    return c


@pytest.fixture
def other(settings: Settings, clock: FakeClock, worker: Container) -> Container:
    """Another process on the same store (a second worker, or the CLI)."""
    return Container(settings, clock).start()


def issue(ca: CaService, kind: CertKind = CertKind.SIGN) -> CertRecord:
    spki = KEY.public_key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    challenge = new_challenge()
    sig = KEY.private_key.sign(
        pop_digest(challenge, spki), padding.PKCS1v15(), utils.Prehashed(hashes.SHA256())
    )
    return ca.issue(
        kind=kind,
        spki_der=spki,
        challenge=challenge,
        pop_signature=sig,
        expires_on=date(2030, 7, 1),
        facts=FACTS,
        card_id=None,
    )


def request(ca: CaService, kind: CertKind, serial: int, algorithm: str = "sha1") -> bytes:
    algo = hashes.SHA1() if algorithm == "sha1" else hashes.SHA256()
    return build_request(ca.authorities[kind], serial, algo)


def answer(der: bytes | None) -> x_ocsp.OCSPResponse:
    assert der is not None
    return x_ocsp.load_der_ocsp_response(der)


class CountingUow:
    """Wraps the unit-of-work factory: how many transactions the responder opened."""

    def __init__(self, ca: CaService) -> None:
        self.inner, self.opened = ca.uow_factory, 0
        ca.uow_factory = self

    def __call__(self):  # type: ignore[no-untyped-def]
        self.opened += 1
        return self.inner()


def test_the_hot_path_opens_no_transaction_and_signs_nothing(worker: Container) -> None:
    ca = worker.ca
    rec = issue(ca)
    req = request(ca, CertKind.SIGN, rec.serial)
    assert ca.ocsp.from_memory(req) is None  # never asked: the caller goes to ocsp_answer
    first = ca.ocsp.answer(req)
    assert answer(first).certificate_status is GOOD
    uows = CountingUow(ca)
    for _ in range(5):
        assert ca.ocsp.from_memory(req) == first  # the very answer signed at the first request
        assert ca.ocsp.answer(req) == first
    assert uows.opened == 0


def test_a_presigned_answer_is_served_without_a_transaction(
    worker: Container, other: Container
) -> None:
    ca = worker.ca
    rec = issue(ca)
    assert presign_missing(other.ocsp, other.ocsp_reader) == 1  # the job, in another process
    assert presign_missing(other.ocsp, other.ocsp_reader) == 0  # nothing left to sign
    uows = CountingUow(ca)
    assert answer(ca.ocsp.answer(request(ca, CertKind.SIGN, rec.serial))).certificate_status is GOOD
    assert uows.opened == 0  # read with the store's OCSP reader, not through a session


def test_the_first_request_signs_once_and_another_process_reuses_it(
    worker: Container, other: Container
) -> None:
    ca = worker.ca
    rec = issue(ca)  # no answer signed at issuance
    req = request(ca, CertKind.SIGN, rec.serial)
    assert worker.ocsp_reader.presigned(CertKind.SIGN, rec.serial) is None
    first = ca.ocsp.answer(req)  # a cache miss: signed now, kept in the store
    assert answer(first).certificate_status is GOOD
    assert worker.ocsp_reader.presigned(CertKind.SIGN, rec.serial) == (
        first,
        answer(first).next_update_utc,
    )
    uows = CountingUow(other.ca)
    assert other.ca.ocsp.answer(req) == first  # the same bytes: not signed again
    assert uows.opened == 0


def test_an_unknown_answer_is_not_served_after_the_certificate_is_issued(
    worker: Container, other: Container
) -> None:
    """A serial asked before it exists answers `unknown`; once another process issued a
    certificate, `issue-seq` moved and the kept `unknown` is not served any more."""
    ca = worker.ca
    rec = issue(ca)
    req = request(ca, CertKind.SIGN, rec.serial + 1)
    assert answer(ca.ocsp.answer(req)).certificate_status is UNKNOWN
    assert ca.ocsp.from_memory(req) is not None
    issue(other.ca)
    assert ca.ocsp.from_memory(req) is None


@pytest.mark.parametrize("algorithm", ["sha1", "sha256"])
def test_r_rev_4_revoked_at_once_when_another_process_revokes(
    worker: Container, other: Container, algorithm: str
) -> None:
    ca = worker.ca
    rec = issue(ca)
    req = request(ca, CertKind.SIGN, rec.serial, algorithm)
    assert answer(ca.ocsp.answer(req)).certificate_status is GOOD
    assert answer(ca.ocsp.from_memory(req)).certificate_status is GOOD  # kept in memory
    other.ca.revoke(CertKind.SIGN, rec.serial, RevocationReason.AFFILIATION_CHANGED)
    uows = CountingUow(ca)
    hot = ca.ocsp.from_memory(req)  # the very next request never gets `good`: a SHA-1
    if algorithm == "sha1":  # answer is read again from the store, a SHA-256 one signed anew
        assert answer(hot).certificate_status is REVOKED
        assert uows.opened == 0  # by the reader, without a transaction
    else:
        assert hot is None
    revoked = answer(ca.ocsp.answer(req))
    assert revoked.certificate_status is REVOKED
    assert revoked.revocation_reason is x509.ReasonFlags.affiliation_changed
    assert answer(ca.ocsp.from_memory(req)).certificate_status is REVOKED  # and kept again


def test_r_rev_4_a_hold_then_a_revocation_in_this_process(worker: Container) -> None:
    ca = worker.ca
    rec, bystander = issue(ca), issue(ca)
    req, other_req = (
        request(ca, CertKind.SIGN, rec.serial),
        request(ca, CertKind.SIGN, bystander.serial),
    )
    for r in (req, other_req):
        ca.ocsp.answer(r)
    ca.hold(CertKind.SIGN, rec.serial)
    held = answer(ca.ocsp.answer(req))
    assert held.certificate_status is REVOKED
    assert held.revocation_reason is x509.ReasonFlags.certificate_hold
    ca.revoke(CertKind.SIGN, rec.serial, RevocationReason.KEY_COMPROMISE)
    assert answer(ca.ocsp.answer(req)).revocation_reason is x509.ReasonFlags.key_compromise
    assert answer(ca.ocsp.answer(other_req)).certificate_status is GOOD  # the others stay good


def test_the_other_cas_answers_survive_a_revocation(worker: Container, other: Container) -> None:
    ca = worker.ca
    sign, auth = issue(ca, CertKind.SIGN), issue(ca, CertKind.AUTH)
    auth_req = request(ca, CertKind.AUTH, auth.serial)
    ca.ocsp.answer(auth_req)
    other.ca.revoke(CertKind.SIGN, sign.serial, RevocationReason.UNSPECIFIED)
    assert answer(ca.ocsp.from_memory(auth_req)).certificate_status is GOOD  # R-REV-2


def test_unknown_serials_are_signed_once_then_served_from_memory(worker: Container) -> None:
    ca = worker.ca
    req = request(ca, CertKind.AUTH, 0x1234567)
    first = ca.ocsp.answer(req)
    assert answer(first).certificate_status is UNKNOWN
    assert ca.ocsp.from_memory(req) == first
    issue(ca, CertKind.AUTH)  # a new certificate: the unknown answers are read again
    assert ca.ocsp.from_memory(req) is None
    assert answer(ca.ocsp.answer(req)).certificate_status is UNKNOWN


def test_answers_are_refreshed_before_their_next_update(
    worker: Container, clock: FakeClock
) -> None:
    ca = worker.ca
    rec = issue(ca)
    req = request(ca, CertKind.SIGN, rec.serial)
    first_der = ca.ocsp.answer(req)
    clock.advance(hours=17)  # 7 h of 24 left: still served
    assert ca.ocsp.from_memory(req) == first_der
    clock.advance(hours=2)  # 5 h left, under a quarter: signed again
    assert ca.ocsp.from_memory(req) is None
    first, fresh = answer(first_der), answer(ca.ocsp.answer(req))
    assert fresh.this_update_utc == clock()
    assert fresh.next_update_utc > first.next_update_utc  # type: ignore[operator]


def test_static_answers_cover_current_certificates_and_follow_revocations(
    worker: Container, clock: FakeClock
) -> None:
    ca = worker.ca
    kept, revoked = issue(ca, CertKind.SIGN), issue(ca, CertKind.AUTH)
    ca.revoke(CertKind.AUTH, revoked.serial, RevocationReason.SUPERSEDED)
    answers = {a.serial: a for a in static_answers(worker.ocsp, worker.ocsp_reader)}
    assert set(answers) == {kept.serial, revoked.serial}
    assert answer(answers[kept.serial].der).certificate_status is GOOD  # signed for the export
    assert worker.ocsp_reader.presigned(CertKind.SIGN, kept.serial) == (
        answers[kept.serial].der,
        answer(answers[kept.serial].der).next_update_utc,
    )  # and kept: the responder serves the same bytes
    assert answer(answers[revoked.serial].der).certificate_status is REVOKED
    assert "/" not in answers[kept.serial].name and "=" not in answers[kept.serial].name
    clock.advance(days=4 * 365)  # both expired (2030-07-01): nothing to export
    assert list(static_answers(worker.ocsp, worker.ocsp_reader)) == []


def test_the_reader_sees_counters_and_answers_of_other_processes(
    worker: Container, other: Container, clock: FakeClock
) -> None:
    reader = worker.ocsp_reader
    before = reader.counters()
    rec = issue(other.ca)
    after = reader.counters()
    assert after["issue-seq:sign"] == before["issue-seq:sign"] + 1
    assert reader.presigned(CertKind.SIGN, rec.serial) is None  # none signed at issuance
    other.ca.ocsp.answer(request(other.ca, CertKind.SIGN, rec.serial))  # the first request
    found = reader.presigned(CertKind.SIGN, rec.serial)
    assert found is not None and found[1] > clock() + timedelta(hours=23)
    assert answer(found[0]).certificate_status is GOOD
    assert reader.presigned(CertKind.SIGN, rec.serial + 1) is None
    page = reader.current(CertKind.SIGN, clock(), 0, 10)
    assert [serial for _, serial, _, _ in page] == [rec.serial]
    other.ca.revoke(CertKind.SIGN, rec.serial, RevocationReason.UNSPECIFIED)
    assert reader.counters()["status-gen:sign"] == after["status-gen:sign"] + 1
    assert reader.changed_since(CertKind.SIGN, clock(), clock() - timedelta(minutes=1)) == [
        rec.serial
    ]
    assert reader.changed_since(CertKind.SIGN, clock(), clock() + timedelta(minutes=1)) == []


def test_the_http_endpoint_in_front_of_the_application(worker: Container) -> None:
    from fastapi.testclient import TestClient

    from madoguchi.pki.ocsp import get_path
    from madoguchi.web.app import create_app

    ca = worker.ca
    rec = issue(ca)
    req = request(ca, CertKind.SIGN, rec.serial)
    client = TestClient(create_app(worker))
    got = client.get(f"/ocsp/{get_path(req)}")
    assert got.status_code == 200
    assert got.headers["content-type"] == "application/ocsp-response"
    assert "max-age" in got.headers["cache-control"]
    assert answer(got.content).certificate_status is GOOD
    posted = client.post("/ocsp", content=req, headers={"content-type": "application/ocsp-request"})
    assert posted.content == got.content  # the same answer, from memory
    assert client.post("/ocsp", content=b"0" * 8193).status_code == 413
    assert client.put("/ocsp", content=req).status_code == 405
    empty = client.get("/ocsp/")
    assert (
        x_ocsp.load_der_ocsp_response(empty.content).response_status
        is x_ocsp.OCSPResponseStatus.MALFORMED_REQUEST
    )
    assert client.get("/crl/sign.crl").headers["content-type"] == "application/pkix-crl"
    assert client.get("/healthz").json() == {"status": "ok"}
