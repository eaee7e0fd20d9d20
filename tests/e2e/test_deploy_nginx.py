"""The nginx example of deploy/nginx/: `nginx -t` accepts it, and nginx serves what the
periodic jobs publish — an exported OCSP answer (RFC 5019 GET, from the file, with madoguchi
stopped) that openssl verifies as good, a published CRL that openssl verifies — passes a POST
from `openssl ocsp -url` on to madoguchi's live responder, and terminates TLS for the staff
pages, keeping /metrics and /readyz off the network.

The example is used as written but for the site's values the test must change: its ports,
its TLS files, the published directory and madoguchi's address (each asserted to be found).
"""

from __future__ import annotations

import base64
import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.e2e.test_ocsp_export import issue_testcard, openssl, openssl_request
from tests.support.processes import free_port, madoguchi, madoguchi_json, serving
from tests.support.tools import require_tool

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "nginx"
INSTALL = "`make test` installs Debian's nginx (scripts/sysdeps.sh), or: apt-get install nginx"


def tls_files(directory: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    directory.mkdir(parents=True)
    (directory / "fullchain.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (directory / "privkey.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


def site_config(base: Path, published: Path, http: int, https: int, upstream: int) -> Path:
    """The example with this test's site values; every value replaced must be there."""
    text = (DEPLOY / "madoguchi.conf").read_text(encoding="utf-8")
    for old, new in {
        "listen 80;": f"listen 127.0.0.1:{http};",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https} ssl http2;",
        "/etc/madoguchi/tls/": f"{base}/tls/",
        "/etc/madoguchi/nginx-proxy.conf": str(DEPLOY / "nginx-proxy.conf"),
        "/srv/madoguchi/public": str(published),
        "127.0.0.1:8080": f"127.0.0.1:{upstream}",
    }.items():
        assert old in text, f"the example no longer has {old!r}"
        text = text.replace(old, new)
    site = base / "madoguchi.conf"
    site.write_text(text, encoding="utf-8")
    temp = base / "nginx-tmp"
    temp.mkdir(exist_ok=True)
    user = "user root root;\n" if os.geteuid() == 0 else ""  # workers read the test's files
    main = base / "nginx.conf"
    main.write_text(
        f"""{user}worker_processes 1;
pid {base}/nginx.pid;
error_log {base}/nginx-error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log {base}/nginx-access.log;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {site};
}}
""",
        encoding="utf-8",
    )
    return main


@contextmanager
def nginx(binary: str, conf: Path, port: int) -> Iterator[str]:
    base = conf.parent
    proc = subprocess.Popen(
        [binary, "-p", str(base), "-e", str(base / "nginx-error.log"), "-c", str(conf)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(url + "/", timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise AssertionError((base / "nginx-error.log").read_text()) from None
                time.sleep(0.05)
        yield url
    finally:
        if (base / "nginx.pid").exists():
            pid = int((base / "nginx.pid").read_text())
            os.kill(pid, 15)
        proc.wait(timeout=20)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    binary = require_tool("nginx", INSTALL)
    base = tmp_path_factory.mktemp("nginx")
    data, published = base / "data", base / "public"
    madoguchi_json("ca", "init", "--data-dir", str(data))
    madoguchi("ca", "export", "--out", str(base / "ca"), "--data-dir", str(data))
    card = issue_testcard(data, base / "card", "帯広 花子")
    env = {"MADOGUCHI_PUBLISH_DIR": str(published)}
    madoguchi_json("ca", "export-ocsp", "--data-dir", str(data), env=env)
    crls = madoguchi_json("ca", "publish-crls", "--data-dir", str(data), env=env)
    tls_files(base / "tls")
    http, https, upstream = free_port(), free_port(), free_port()
    conf = site_config(base, published, http, https, upstream)
    return {
        "binary": binary,
        "base": base,
        "data": data,
        "published": published,
        "card": card,
        "crls": crls,
        "conf": conf,
        "ports": (http, https, upstream),
    }


def test_nginx_t_accepts_the_example(site: dict[str, Any]) -> None:
    base = site["base"]
    proc = subprocess.run(
        [
            site["binary"],
            "-t",
            "-p",
            str(base),
            "-e",
            str(base / "nginx-error.log"),
            "-c",
            str(site["conf"]),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert "syntax is ok" in proc.stderr and "test is successful" in proc.stderr


def test_nginx_serves_the_exported_answer_and_the_crl_alone(site: dict[str, Any]) -> None:
    """madoguchi is not running: what answers is nginx, from the published files."""
    base, (http, _, _) = site["base"], site["ports"]
    request = openssl_request(base, "sign", base / "card" / "sign.pem")
    path = "/ocsp/" + quote(base64.b64encode(request).decode(), safe="")
    with nginx(site["binary"], site["conf"], http) as url:
        answer = httpx.get(url + path, timeout=10)
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"] == "application/ocsp-response"
        assert "max-age=300" in answer.headers["cache-control"]
        (base / "static-answer.der").write_bytes(answer.content)
        crl = httpx.get(url + "/crl/sign.crl", timeout=10)
        assert crl.status_code == 200 and crl.headers["content-type"] == "application/pkix-crl"
        (base / "served.crl").write_bytes(crl.content)
        assert httpx.get(url + "/staff/", timeout=10).status_code == 301  # to https
    ca = str(base / "ca" / "sign-ca.pem")
    out = openssl(
        "ocsp", "-respin", str(base / "static-answer.der"), "-issuer", ca,
        "-cert", str(base / "card" / "sign.pem"), "-CAfile", ca,
    )  # fmt: skip
    assert "Response verify OK" in out and "sign.pem: good" in out
    assert (site["published"] / "ocsp" / path.removeprefix("/ocsp/")).read_bytes() == (
        base / "static-answer.der"
    ).read_bytes()
    crl_text = openssl("crl", "-inform", "DER", "-in", str(base / "served.crl"), "-noout", "-text", "-CAfile", ca)  # fmt: skip
    assert "verify OK" in crl_text
    assert (site["published"] / "crl" / "sign.crl").read_bytes() == (
        base / "served.crl"
    ).read_bytes()


def test_openssl_ocsp_url_through_nginx_and_tls_for_the_staff_pages(site: dict[str, Any]) -> None:
    base, data, (http, https, upstream) = site["base"], site["data"], site["ports"]
    ca = str(base / "ca" / "auth-ca.pem")
    with serving(data, port=upstream), nginx(site["binary"], site["conf"], http) as url:
        out = openssl(
            "ocsp", "-url", f"{url}/ocsp", "-issuer", ca,
            "-cert", str(base / "card" / "auth.pem"), "-CAfile", ca, "-no_nonce",
        )  # fmt: skip
        assert "Response verify OK" in out and "auth.pem: good" in out
        tls = httpx.Client(base_url=f"https://127.0.0.1:{https}", verify=False, timeout=10)
        login = tls.get("/staff/login")
        assert login.status_code == 200 and "ログイン" in login.text
        assert login.headers["strict-transport-security"].startswith("max-age=")
        assert len(login.headers["x-request-id"]) == 32  # nginx's $request_id, taken up
        for private in ("/metrics", "/readyz"):
            assert tls.get(private).status_code == 404
