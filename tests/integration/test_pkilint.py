"""Everything the CA writes, judged by pkilint (issue 14, item 14): both kinds of issued
certificate, both CA certificates, the OCSP responders' certificates, full and partitioned
CRLs (with a revoked and a held entry), and good and revoked OCSP responses — no ERROR or
FATAL finding, but the JPKI profile's choices docs/pki.md names (filtered by code)."""

from __future__ import annotations

import io
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp as x_ocsp

from madoguchi.bootstrap import Container
from madoguchi.config import Settings
from madoguchi.pki.records import CertRecord
from madoguchi.rules.revocation import RevocationReason
from madoguchi.rules.validity import CertKind
from tests.integration.test_ca_service import issue
from tests.support.clock import FakeClock
from tests.support.pkilint import findings, lint

NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> Container:
    """Default settings (the demo's policy arc), partitions of two certificates."""
    data = tmp_path_factory.mktemp("pkilint") / "data"
    c = Container(Settings(data_dir=data, crl_partition_size=2), FakeClock(NOW))
    c.init_ca()
    return c


@pytest.fixture(scope="module")
def issued(ca: Container) -> dict[str, CertRecord]:
    """Three of each kind: the first good, the second revoked, the third held."""
    out = {}
    for kind in CertKind:
        good, revoked, held = (issue(ca.ca, kind, card_id=f"VC{kind.value}{i}") for i in range(3))
        ca.ca.revoke(kind, revoked.serial, RevocationReason.KEY_COMPROMISE)
        ca.ca.hold(kind, held.serial)
        out |= {f"{kind.value}-good": good, f"{kind.value}-revoked": revoked}
        out[f"{kind.value}-held"] = held
    return out


def assert_clean(kind: str, der: bytes, label: str) -> None:
    found = lint(kind, der, name_=label)  # type: ignore[arg-type]
    assert not found, f"{label}:\n" + "\n".join(map(str, found))


@pytest.mark.parametrize("kind", list(CertKind))
def test_issued_certificates(issued: dict[str, CertRecord], kind: CertKind) -> None:
    der = issued[f"{kind.value}-good"].der
    assert findings("certificate", der)  # pkilint read it (it reports INFO findings at least)
    assert_clean("certificate", der, f"{kind.value} end-entity certificate")


@pytest.mark.parametrize("kind", list(CertKind))
def test_ca_and_responder_certificates(ca: Container, kind: CertKind) -> None:
    authority = ca.authorities[kind]
    assert_clean("certificate", authority.cert.public_bytes(Encoding.DER), f"{kind.value} CA")
    assert_clean(
        "certificate",
        authority.responder_cert.public_bytes(Encoding.DER),
        f"{kind.value} OCSP responder",
    )


@pytest.mark.parametrize("kind", list(CertKind))
def test_full_and_partitioned_crls(
    ca: Container, issued: dict[str, CertRecord], kind: CertKind
) -> None:
    revoked = issued[f"{kind.value}-revoked"]
    for partition in (None, revoked.partition):
        buf = io.BytesIO()
        info = ca.crls.publish(kind, buf, partition=partition)
        assert info.entry_count >= 1  # the lint sees entries with their reason codes
        label = f"{kind.value} CRL" + ("" if partition is None else f" partition {partition}")
        assert_clean("crl", buf.getvalue(), label)


@pytest.mark.parametrize("status", ["good", "revoked", "held"])
@pytest.mark.parametrize("kind", list(CertKind))
def test_ocsp_responses(
    ca: Container, issued: dict[str, CertRecord], kind: CertKind, status: str
) -> None:
    record = issued[f"{kind.value}-{status}"]
    request = (
        x_ocsp.OCSPRequestBuilder()
        .add_certificate(
            x509.load_der_x509_certificate(record.der),
            ca.authorities[kind].cert,
            hashes.SHA1(),
        )
        .build()
        .public_bytes(Encoding.DER)
    )
    der = ca.ocsp.answer(request)
    answer = x_ocsp.load_der_ocsp_response(der)
    expected = {"good": x_ocsp.OCSPCertStatus.GOOD}.get(status, x_ocsp.OCSPCertStatus.REVOKED)
    assert answer.certificate_status is expected
    assert_clean("ocsp", der, f"{kind.value} OCSP response ({status})")


def test_the_default_policy_oids_are_short_arcs(ca: Container, tmp_path: Path) -> None:
    settings = ca.settings
    for oid in (settings.sign_policy_oid, settings.auth_policy_oid):
        assert oid.startswith("1.3.6.1.4.1.32473.")  # RFC 5612's example arc, not J-LIS's
        assert all(int(arc) < 2**32 for arc in oid.split("."))
    with pytest.raises(ValueError, match="32 bits"):
        Settings(data_dir=tmp_path, policy_oid_arc="2.25.94305137284622301648927355740818473921")


CHAIN_LINTER = Path(sys.executable).with_name("lint_pkix_signer_signee_cert_chain")


@pytest.mark.parametrize("kind", list(CertKind))
def test_chains_issuer_to_subject(
    ca: Container, issued: dict[str, CertRecord], kind: CertKind, tmp_path: Path
) -> None:
    """pkilint's chain linter: names, key identifiers, policies and the signature match."""
    authority = ca.authorities[kind]
    issuer = tmp_path / "issuer.pem"
    issuer.write_bytes(authority.cert.public_bytes(Encoding.PEM))
    subjects = {
        "end entity": x509.load_der_x509_certificate(issued[f"{kind.value}-good"].der),
        "OCSP responder": authority.responder_cert,
    }
    for label, cert in subjects.items():
        subject = tmp_path / "subject.pem"
        subject.write_bytes(cert.public_bytes(Encoding.PEM))
        proc = subprocess.run(
            [str(CHAIN_LINTER), "lint", "-s", "ERROR", str(issuer), str(subject)],
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        assert proc.returncode == 0 and not proc.stdout.strip(), (label, proc.stdout, proc.stderr)
