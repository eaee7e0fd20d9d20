"""Several `ca serve` processes over one PostgreSQL answer as one CA service (issue 17,
Scale): two real processes, each with its own data directory (only the CA key store copied,
as an HSM would be shared), on different ports. An RA issues through one and revokes
through the other; an idempotency key repeated across the two answers the same
certificates; the first process's OCSP answers `revoked` at once for a revocation made
through the second; an RA credential revoked through one is refused at the TLS handshake
by both."""

from __future__ import annotations

import os
import shutil
import ssl
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp

from madoguchi.card.jpki import JpkiCard
from madoguchi.card.virtual import VirtualCard
from madoguchi.pki.facts import HolderFacts
from madoguchi.rules.validity import CertKind
from madoguchi.services import ca_wire
from madoguchi.services.cardside import prepare_card
from madoguchi.services.ports import IssueOrder, IssueRequest
from tests.support.postgres import create_database
from tests.support.processes import MADOGUCHI, OutputLines, free_port, madoguchi, madoguchi_json
from tests.support.tools import require_tool

HANG_GUARD = 300
OBIHIRO = "012076"
ISSUER = bytes(range(32, 64))
FACTS = HolderFacts.create("帯広 花子", "2", date(1985, 7, 1), "北海道帯広市西5条南7丁目1番地")


@dataclass
class Node:
    data_dir: Path
    ra_url: str
    public_url: str


@dataclass
class Cluster:
    env: dict[str, str]
    nodes: list[Node]
    credentials: Path

    def cli(self, node: Node, *args: str) -> dict[str, object]:
        return madoguchi_json(*args, "--data-dir", str(node.data_dir), env=self.env)


def _serve(data_dir: Path, env: dict[str, str]) -> tuple[subprocess.Popen[str], Node]:
    port, public_port = free_port(), free_port()
    args = ["--data-dir", str(data_dir), "--port", str(port), "--public-port", str(public_port)]
    proc = subprocess.Popen(
        [str(MADOGUCHI), "ca", "serve", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **env},
    )
    node = Node(data_dir, f"https://127.0.0.1:{port}", f"http://127.0.0.1:{public_port}")
    return proc, node


@pytest.fixture(scope="module")
def cluster(postgres: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    root = tmp_path_factory.mktemp("ca-scale")
    env = {
        "MADOGUCHI_DATABASE_URL": create_database(postgres, f"scale{uuid.uuid4().hex[:8]}"),
        "MADOGUCHI_CA_PASSPHRASE": "a passphrase both processes are given",
    }
    a, b = root / "a", root / "b"
    madoguchi("ca", "init", "--data-dir", str(a), env=env)
    shutil.copytree(a / "keys", b / "keys")  # the CA key store: one HSM for all, in production
    credentials = root / "ra"
    madoguchi(
        "ca", "enroll-ra", "--municipality", OBIHIRO, "--name", "帯広市 戸籍住民課",
        "--out", str(credentials), "--data-dir", str(a), env=env,
    )  # fmt: skip
    procs: list[subprocess.Popen[str]] = []
    nodes = []
    try:
        for data_dir in (a, b):
            proc, node = _serve(data_dir, env)
            procs.append(proc)
            OutputLines(proc).wait_for("madoguchi ca serve: ready", HANG_GUARD)
            nodes.append(node)
        yield Cluster(env, nodes, credentials)
    finally:
        for proc in procs:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


def _client(node: Node, credentials: Path) -> httpx.Client:
    context = ssl.create_default_context(cafile=str(credentials / "ca-tls.pem"))
    context.load_cert_chain(str(credentials / "client.pem"), str(credentials / "client.key"))
    return httpx.Client(base_url=node.ra_url, verify=context, timeout=60)


def _order() -> IssueOrder:
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
            date(2031, 7, 1),
            FACTS,
            card.card_id,
        )
        for k in kinds
    )
    return IssueOrder(requests, OBIHIRO, uuid.uuid4().hex)


def _ocsp(node: Node, cert: x509.Certificate) -> ocsp.OCSPCertStatus:
    issuer = x509.load_der_x509_certificate(
        httpx.get(f"{node.public_url}/ca/sign-ca.der", timeout=60).content
    )
    request = ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, hashes.SHA1()).build()
    answer = httpx.post(
        f"{node.public_url}/ocsp",
        content=request.public_bytes(Encoding.DER),
        headers={"Content-Type": "application/ocsp-request"},
        timeout=60,
    )
    parsed = ocsp.load_der_ocsp_response(answer.content)
    assert parsed.response_status is ocsp.OCSPResponseStatus.SUCCESSFUL
    return parsed.certificate_status


def test_issued_through_one_revoked_through_the_other(cluster: Cluster) -> None:
    one, two = cluster.nodes
    order = _order()
    with _client(one, cluster.credentials) as a, _client(two, cluster.credentials) as b:
        first = a.post("/ra/v1/issue", json=ca_wire.order_json(order))
        assert first.status_code == 200, first.text
        again = b.post("/ra/v1/issue", json=ca_wire.order_json(order))  # the same key
        assert again.status_code == 200, again.text
        serials = {c["kind"]: c["serial"] for c in first.json()["certificates"]}
        assert {c["kind"]: c["serial"] for c in again.json()["certificates"]} == serials
        assert [c["der"] for c in again.json()["certificates"]] == [
            c["der"] for c in first.json()["certificates"]
        ]
        der = next(c["der"] for c in first.json()["certificates"] if c["kind"] == "sign")
        sign = x509.load_der_x509_certificate(ca_wire.unb64(der))
        assert _ocsp(one, sign) is ocsp.OCSPCertStatus.GOOD  # now in the first one's memory

        revoked = b.post(f"/ra/v1/certificates/sign/{serials['sign']}/revoke", json={"reason": 1})
        assert revoked.status_code == 200, revoked.text
        seen = a.get(f"/ra/v1/certificates/sign/{serials['sign']}").json()["certificate"]
        assert seen["status"] == "revoked" and seen["municipality"] == OBIHIRO
        assert _ocsp(one, sign) is ocsp.OCSPCertStatus.REVOKED
        assert _ocsp(two, sign) is ocsp.OCSPCertStatus.REVOKED
        shown = cluster.cli(one, "ca", "show", "--kind", "sign", "--serial", serials["sign"])
        assert shown["status_municipality"] == OBIHIRO
    assert not (two.data_dir / "ca-service").exists()  # nothing of the service beside the store


def test_a_credential_revoked_through_one_is_refused_by_both(
    cluster: Cluster, tmp_path: Path
) -> None:
    one, two = cluster.nodes
    out = tmp_path / "ra"
    enrolled = cluster.cli(
        two,
        "ca",
        "enroll-ra",
        "--municipality",
        OBIHIRO,
        "--name",
        "帯広市 川西支所",
        "--out",
        str(out),
    )  # fmt: skip  (enrolled through the second: the RA-CA both share)
    for node in (one, two):
        with _client(node, out) as client:
            assert client.get("/ra/v1/whoami").json() == {"municipality": OBIHIRO}
    cluster.cli(two, "ca", "revoke-ra", "--serial", str(enrolled["serial"]))
    for node in (one, two):
        with _client(node, out) as client, pytest.raises(httpx.TransportError):
            client.get("/ra/v1/whoami")
        with _client(node, cluster.credentials) as other:  # the others still work
            assert other.get("/ra/v1/whoami").status_code == 200


# -- one address: deploy/nginx/ca-service-stream.conf in front of both ---------------------------
DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "nginx"
STREAM_MODULE = Path("/usr/lib/nginx/modules/ngx_stream_module.so")
INSTALL = "`make test` installs nginx and libnginx-mod-stream (scripts/sysdeps.sh)"


def _stream_config(base: Path, listen: int, nodes: list[Node]) -> Path:
    """The example with this test's addresses; every value replaced must be there."""
    text = (DEPLOY / "ca-service-stream.conf").read_text(encoding="utf-8")
    replaced = {"listen 443;": f"listen 127.0.0.1:{listen};"}
    for name, node in zip(("ca1.internal:8443", "ca2.internal:8443"), nodes, strict=True):
        replaced[name] = node.ra_url.removeprefix("https://")
    for old, new in replaced.items():
        assert old in text, f"the example no longer has {old!r}"
        text = text.replace(old, new)
    (base / "stream.conf").write_text(text, encoding="utf-8")
    user = "user root root;\n" if os.geteuid() == 0 else ""
    main = base / "nginx.conf"
    main.write_text(
        f"""load_module {STREAM_MODULE};
{user}worker_processes 1;
pid {base}/nginx.pid;
error_log {base}/nginx-error.log warn;
events {{ worker_connections 64; }}
include {base}/stream.conf;
""",
        encoding="utf-8",
    )
    return main


def _server_serial(address: str, credentials: Path) -> int:
    """The serial of the server certificate that answered a fresh connection to ``address``
    (each `ca serve` makes its own at start), after a verified mutual-TLS GET."""
    node = Node(Path(), f"https://{address}", "")
    with _client(node, credentials) as client, client.stream("GET", "/ra/v1/whoami") as answer:
        sslobj = answer.extensions["network_stream"].get_extra_info("ssl_object")
        der = sslobj.getpeercert(True)  # the binary form (positional on the bare _SSLSocket)
        answer.read()
        assert answer.json() == {"municipality": OBIHIRO}
    return x509.load_der_x509_certificate(der).serial_number


def test_both_answer_at_one_address_through_nginx(cluster: Cluster, tmp_path: Path) -> None:
    binary = require_tool("nginx", INSTALL)
    if not STREAM_MODULE.exists():
        require_tool("ngx_stream_module.so", INSTALL)  # fails under CI, skips elsewhere
    listen = free_port()
    conf = _stream_config(tmp_path, listen, cluster.nodes)
    args = ["-p", str(tmp_path), "-e", str(tmp_path / "nginx-error.log"), "-c", str(conf)]
    check = subprocess.run(
        [binary, "-t", *args],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stderr
    proc = subprocess.Popen(
        [binary, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    address = f"127.0.0.1:{listen}"
    try:
        direct = {_server_serial(n.ra_url.removeprefix("https://"), cluster.credentials)
                  for n in cluster.nodes}  # fmt: skip
        assert len(direct) == 2  # two processes, two server certificates
        seen = set()
        for _ in range(6):  # fresh connections: the balancer spreads them over both
            seen.add(_wait_for_address(address, cluster.credentials))
        assert seen == direct
        anchor = ssl.create_default_context(cafile=str(cluster.credentials / "ca-tls.pem"))
        anonymous = httpx.Client(base_url=f"https://{address}", verify=anchor, timeout=60)
        with anonymous, pytest.raises(httpx.TransportError):  # still mutual TLS, end to end
            anonymous.get("/ra/v1/whoami")
    finally:
        if (tmp_path / "nginx.pid").exists():
            os.kill(int((tmp_path / "nginx.pid").read_text()), 15)
        proc.wait(timeout=30)


def _wait_for_address(address: str, credentials: Path) -> int:
    """The answering server's serial, once nginx listens (its readiness: a connection)."""
    deadline = time.monotonic() + HANG_GUARD
    while True:
        try:
            return _server_serial(address, credentials)
        except httpx.ConnectError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
