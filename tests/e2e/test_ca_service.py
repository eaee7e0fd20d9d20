"""The CA as its own service and the counters as registration authorities (issue 17) — with
real processes: `madoguchi ca serve` on free loopback ports (waited for by its readiness
line), RA credentials from `ca enroll-ra`, issuance through the remote adapter (`testcard
issue` in a process of its own, and a counter's P1), openssl verifying the certificates
against the CA and asking the public port's OCSP, mutual TLS refusing a client without a
certificate and, at once, one whose credential `ca revoke-ra` revoked."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from madoguchi.bootstrap import Container
from madoguchi.config import Settings
from madoguchi.rules.cases import CaseKind, CaseState
from madoguchi.rules.dates import jst_date
from madoguchi.rules.items import Item as I
from madoguchi.rules.revocation import RegistryEvent, RevocationReason, StatusChange
from madoguchi.rules.validity import CertKind
from madoguchi.services.audit import Actor
from madoguchi.services.domain import CaUnavailable, Refused, Resident, ResidentStatus, StaffRole
from madoguchi.services.registry import Change, new_resident_id
from madoguchi.web.app import create_app
from tests.support.clock import FakeClock
from tests.support.processes import (
    MADOGUCHI,
    OutputLines,
    free_port,
    madoguchi,
    madoguchi_json,
)
from tests.support.tools import require_tool
from tests.support.web import browser

MAIN = Actor("clerk01", "main", "T1")
JUKI, KENMEN, SIGN_PW, AUTH_PIN = "1111", "2222", "ABC123", "3333"
HANG_GUARD = 300
OBIHIRO, SAPPORO = "012076", "011002"


@dataclass
class CaService:
    data_dir: Path
    ra_url: str
    public_url: str
    credentials: dict[str, Path]
    ca_pem: dict[str, Path]

    def env(self, municipality: str, counter_dir: Path) -> dict[str, str]:
        return {
            "MADOGUCHI_DATA_DIR": str(counter_dir),
            "MADOGUCHI_CA_URL": self.ra_url,
            "MADOGUCHI_RA_CREDENTIALS": str(self.credentials[municipality]),
            "MADOGUCHI_MUNICIPALITY": municipality,
        }

    def show(self, kind: CertKind, serial: int) -> dict[str, object]:
        return madoguchi_json(
            "ca",
            "show",
            "--kind",
            kind.value,
            "--serial",
            f"{serial:x}",
            "--data-dir",
            str(self.data_dir),
        )


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CaService]:
    """`ca init`, two RAs enrolled, `ca serve` running until the module ends."""
    require_tool("openssl", "apt-get install openssl")
    root = tmp_path_factory.mktemp("ca-service")
    data = root / "ca"
    madoguchi("ca", "init", "--data-dir", str(data))
    credentials = {}
    for code, name in ((OBIHIRO, "帯広市 戸籍住民課"), (SAPPORO, "札幌市 市民課")):
        out = root / f"ra-{code}"
        madoguchi(
            "ca",
            "enroll-ra",
            "--municipality",
            code,
            "--name",
            name,
            "--out",
            str(out),
            "--data-dir",
            str(data),
        )
        credentials[code] = out
    port, public_port = free_port(), free_port()
    proc = subprocess.Popen(
        [
            str(MADOGUCHI),
            "ca",
            "serve",
            "--data-dir",
            str(data),
            "--port",
            str(port),
            "--public-port",
            str(public_port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ},
    )
    lines = OutputLines(proc)
    try:
        lines.wait_for("madoguchi ca serve: ready", HANG_GUARD)
        public = f"http://127.0.0.1:{public_port}"
        ca_pem = {}
        for kind in ("sign", "auth"):
            der = httpx.get(f"{public}/ca/{kind}-ca.der", timeout=30).content
            pem = root / f"{kind}-ca.pem"
            subprocess.run(
                ["openssl", "x509", "-inform", "der", "-out", str(pem)],
                input=der,
                check=True,
                capture_output=True,
            )
            ca_pem[kind] = pem
        yield CaService(data, f"https://127.0.0.1:{port}", public, credentials, ca_pem)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def _client(service: CaService, credentials: Path | None) -> httpx.Client:
    import ssl

    anchor = (credentials or service.credentials[OBIHIRO]) / "ca-tls.pem"
    context = ssl.create_default_context(cafile=str(anchor))
    if credentials is not None:
        context.load_cert_chain(str(credentials / "client.pem"), str(credentials / "client.key"))
    return httpx.Client(base_url=service.ra_url, verify=context, timeout=30)


def _openssl_verify(ca: Path, cert: Path) -> None:
    out = subprocess.run(
        ["openssl", "verify", "-CAfile", str(ca), str(cert)], capture_output=True, text=True
    )
    assert out.returncode == 0 and out.stdout.strip().endswith(": OK"), out.stdout + out.stderr


def _ocsp_status(service: CaService, kind: str, cert: Path) -> str:
    ca = service.ca_pem[kind]
    out = subprocess.run(
        [
            "openssl",
            "ocsp",
            "-issuer",
            str(ca),
            "-cert",
            str(cert),
            "-CAfile",
            str(ca),
            "-url",
            service.public_url + "/ocsp",
            "-no_nonce",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert "Response verify OK" in out.stderr + out.stdout
    return out.stdout.split(f"{cert}: ", 1)[1].split()[0]


def test_enroll_ra_refuses_a_code_with_a_wrong_check_digit(tmp_path: Path) -> None:
    proc = madoguchi(
        "ca",
        "enroll-ra",
        "--municipality",
        "012077",
        "--name",
        "x",
        "--out",
        str(tmp_path / "ra"),
        "--data-dir",
        str(tmp_path / "ca"),
        check=False,
    )
    assert proc.returncode == 2
    assert "検査数字" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "ra").exists()


def test_testcard_through_the_ca_service_is_verified_by_openssl(
    service: CaService, tmp_path: Path
) -> None:
    out = tmp_path / "card"
    issued = madoguchi_json(
        "testcard",
        "issue",
        "--name",
        "札幌 花子",
        "--birth",
        "1985-03-03",
        "--gender",
        "2",
        "--address",
        "北海道札幌市中央区北1条西2丁目",
        "--out",
        str(out),
        env=service.env(SAPPORO, tmp_path / "counter"),
    )
    for kind in ("sign", "auth"):
        pem = out / f"{kind}.pem"
        _openssl_verify(service.ca_pem[kind], pem)
        assert _ocsp_status(service, kind, pem) == "good"
        shown = service.show(CertKind(kind), int(issued[f"{kind}_serial"], 16))
        assert shown["municipality"] == SAPPORO
        assert shown["card_id"] == issued["card_id"]


def test_without_a_client_certificate_the_handshake_is_refused(service: CaService) -> None:
    with _client(service, service.credentials[OBIHIRO]) as ok:
        assert ok.get("/ra/v1/whoami").json() == {"municipality": OBIHIRO}
    with _client(service, None) as anonymous, pytest.raises(httpx.TransportError):
        anonymous.get("/ra/v1/whoami")
    with_cert = _s_client(service, service.credentials[OBIHIRO])
    assert "HTTP/1.1 200" in with_cert and OBIHIRO in with_cert  # the control
    without = _s_client(service, None)
    assert "HTTP/1.1" not in without and OBIHIRO not in without


def _s_client(service: CaService, credentials: Path | None) -> str:
    """What `openssl s_client` gets for a GET of /ra/v1/whoami (stdout and stderr)."""
    host, port = service.ra_url.removeprefix("https://").split(":")
    anchor = service.credentials[OBIHIRO] / "ca-tls.pem"
    args = ["openssl", "s_client", "-connect", f"{host}:{port}", "-CAfile", str(anchor)]
    if credentials is not None:
        args += ["-cert", str(credentials / "client.pem"), "-key", str(credentials / "client.key")]
    out = subprocess.run(
        [*args, "-verify_return_error", "-ign_eof", "-quiet"],
        input="GET /ra/v1/whoami HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    return out.stdout + out.stderr


def test_a_revoked_ra_credential_is_refused_at_once(service: CaService, tmp_path: Path) -> None:
    out = tmp_path / "ra"
    enrolled = madoguchi_json(
        "ca",
        "enroll-ra",
        "--municipality",
        OBIHIRO,
        "--name",
        "帯広市 川西支所",
        "--out",
        str(out),
        "--data-dir",
        str(service.data_dir),
    )
    with _client(service, out) as client:
        assert client.get("/ra/v1/whoami").status_code == 200
    listed = madoguchi_json("ca", "ra-list", "--data-dir", str(service.data_dir))
    assert {c["serial"]: c["revoked_at"] for c in listed["credentials"]}[enrolled["serial"]] is None
    madoguchi(
        "ca", "revoke-ra", "--serial", enrolled["serial"], "--data-dir", str(service.data_dir)
    )
    with _client(service, out) as client, pytest.raises(httpx.TransportError):
        client.get("/ra/v1/whoami")
    with _client(service, service.credentials[OBIHIRO]) as other:  # the others still work
        assert other.get("/ra/v1/whoami").status_code == 200


# -- a counter (in this process) against the CA service --------------------------------------
def _counter(service: CaService, municipality: str, data_dir: Path) -> Container:
    settings = Settings(
        data_dir=data_dir,
        ca_url=service.ra_url,
        ra_credentials=service.credentials[municipality],
        municipality=municipality,
    )
    clock = FakeClock(datetime(2026, 11, 24, 1, 0, tzinfo=UTC))  # a Tuesday, 10:00 JST
    return Container(settings, clock).start()


def _resident(c: Container) -> Resident:
    r = Resident(
        new_resident_id(),
        "帯広 太郎",
        "オビヒロ タロウ",
        date(1980, 7, 1),
        "1",
        "北海道帯広市西5条南7丁目1番地",
        ResidentStatus.RESIDENT,
        False,
        None,
        c.clock(),
    )
    with c.uow() as uow:
        r = c.registry.register(uow, r, MAIN)
        c.card_side.new_card(uow, r, jst_date(c.clock()), juki_pin=JUKI, kenmen_pin=KENMEN)
        uow.commit()
    return r


def _visited_case(c: Container, r: Resident) -> str:
    case = c.counter.open_case(kind=CaseKind.P1, resident_id=r.id, actor=MAIN)
    c.counter.record_visit(
        case.id, visit=1, items=[I.CARD, I.HOLDER_PIN], actor=MAIN, juki_pin=JUKI
    )
    return case.id


def test_counter_issues_and_revokes_through_the_ca_service(
    service: CaService, tmp_path: Path
) -> None:
    c = _counter(service, OBIHIRO, tmp_path / "obihiro")
    r = _resident(c)
    done = c.counter.issue(
        _visited_case(c, r), sign_password=SIGN_PW, auth_pin=AUTH_PIN, actor=MAIN
    )
    assert done.case.state is CaseState.ISSUED
    for kind, rec in done.certificates.items():
        pem = tmp_path / f"{kind.value}.pem"
        pem.write_text(
            subprocess.run(
                ["openssl", "x509", "-inform", "der"],
                input=rec.der,
                capture_output=True,
                check=True,
            ).stdout.decode()
        )
        _openssl_verify(service.ca_pem[kind.value], pem)
        assert service.show(kind, rec.serial)["municipality"] == OBIHIRO
        with c.uow.read_only() as uow:  # the registration authority's own copy
            assert uow.pki.certificate(kind, rec.serial) is not None
    # a name change revokes the sign certificate (R-REV-1) — at the CA, asked by 帯広市
    out = c.registry.apply(r.id, RegistryEvent.NAME, MAIN, Change(name="十勝 太郎"))
    sign = done.certificates[CertKind.SIGN]
    assert [x.serial for x in out.revoked] == [sign.serial]
    shown = service.show(CertKind.SIGN, sign.serial)
    assert shown["status"] == "revoked" and shown["status_municipality"] == OBIHIRO
    assert _ocsp_status(service, "sign", tmp_path / "sign.pem") == "revoked"
    # the counter's public check page asks the CA service (the port), not a CA of its own
    page = browser(c).post_form("/check", "/check", {"kind": "sign", "serial": f"{sign.serial:x}"})
    assert page.status_code == 200 and 'data-status="revoked"' in page.text
    ready = browser(c).get("/readyz").json()  # the counter is ready when the service answers
    assert ready["ready"] is True and ready["checks"]["ca_service"]["ok"] is True
    # 札幌市 may not revoke a certificate of a card 帯広市 issued on and keeps
    other = _counter(service, SAPPORO, tmp_path / "sapporo")
    auth = done.certificates[CertKind.AUTH]
    with other.uow() as uow, pytest.raises(Refused) as refused:
        other.ca_port.change_status_in(
            uow, CertKind.AUTH, auth.serial, StatusChange.REVOKE, RevocationReason.UNSPECIFIED
        )
    assert refused.value.code == "not_your_certificate"
    assert service.show(CertKind.AUTH, auth.serial)["status"] == "good"


def test_an_unreachable_ca_is_a_clear_503_at_the_counter(
    service: CaService, tmp_path: Path
) -> None:
    settings = Settings(
        data_dir=tmp_path / "counter",
        ca_url=f"https://127.0.0.1:{free_port()}",  # nothing listens there
        ra_credentials=service.credentials[OBIHIRO],
        municipality=OBIHIRO,
    )
    c = Container(settings, FakeClock(datetime(2026, 11, 24, 1, 0, tzinfo=UTC))).start()
    r = _resident(c)
    case_id = _visited_case(c, r)
    with pytest.raises(CaUnavailable) as down:
        c.counter.issue(case_id, sign_password=SIGN_PW, auth_pin=AUTH_PIN, actor=MAIN)
    assert down.value.code == "ca_unreachable"
    c.staff.create_account(
        login="clerk9",
        name="窓口 九",
        role=StaffRole.CLERK,
        office="main",
        password="correct-horse-battery",
        actor=MAIN,
    )
    token = c.staff.create_api_token("clerk9", "test", MAIN)
    with TestClient(create_app(c), raise_server_exceptions=False) as client:
        answer = client.post(
            f"/api/v1/cases/{case_id}/issue",
            json={"sign_password": SIGN_PW, "auth_pin": AUTH_PIN},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert answer.status_code == 503, answer.text
    body = json.loads(answer.text)
    assert body["detail"] == "ca_unreachable"
    assert "認証局" in body["message"] and "Traceback" not in answer.text
    ready = browser(c).get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["checks"]["ca_service"] == {"ok": False, "detail": "ca_unreachable"}
    with c.uow.read_only() as uow:  # nothing issued, nothing recorded
        case = uow.counter.case(case_id)
        assert case is not None and case.state is not CaseState.ISSUED
