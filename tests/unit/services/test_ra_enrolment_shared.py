"""Two CA service processes over one store share the RA-CA, the TLS-CA and the RA CRL
(issue 17, Scale) — on the fake store: the race of two processes creating the RA-CA at
the same moment ends with one RA-CA, the first's; a revocation through one moves the
counter the other's handshakes read."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509

from madoguchi.pki.keystore import FileKeyStore
from madoguchi.services.ports import NetworkCa
from madoguchi.services.ra_enrolment import RA_CA, RaEnrolment
from tests.support.fakes import FakeUowFactory

NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)


def _enrolment(uow: FakeUowFactory, tmp: Path) -> RaEnrolment:
    return RaEnrolment(uow, lambda: NOW, FileKeyStore(tmp / "keys", b"pw"), tmp / "cs", "Demo CA")


def test_two_processes_creating_the_ra_ca_at_once_keep_the_first(tmp_path: Path) -> None:
    uow = FakeUowFactory()
    first, second = _enrolment(uow, tmp_path / "a"), _enrolment(uow, tmp_path / "b")
    own = second._generate

    def racing(name: str) -> NetworkCa:  # the first process commits while this one signs
        first._ca(name)
        return own(name)

    second._generate = racing  # type: ignore[method-assign]
    cert, _ = second._ca(RA_CA)
    theirs, _ = first._ca(RA_CA)
    assert cert == theirs
    with uow.read_only() as ruow:
        stored = ruow.pki.network_ca(RA_CA)
    assert stored is not None and x509.load_pem_x509_certificate(stored.cert_pem) == cert


def test_a_revocation_through_one_is_seen_by_the_other(tmp_path: Path) -> None:
    uow = FakeUowFactory()
    one, two = _enrolment(uow, tmp_path / "a"), _enrolment(uow, tmp_path / "b")
    enrolled = one.enroll("012076", "帯広市", tmp_path / "ra")
    assert two.credential(enrolled.credential.serial) == enrolled.credential
    seen = two.crl_generation()
    one.revoke(enrolled.credential.serial)
    assert two.crl_generation() == seen + 1
    assert two.write_crl(tmp_path / "crl.pem") == seen + 1
    crl = x509.load_pem_x509_crl((tmp_path / "crl.pem").read_bytes())
    assert crl.get_revoked_certificate_by_serial_number(enrolled.credential.serial) is not None
    assert not (tmp_path / "a" / "cs").exists() and not (tmp_path / "b" / "cs").exists()
