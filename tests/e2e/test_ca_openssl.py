"""The CA end to end through the real CLI and HTTP service, with openssl as the independent
client (issue 3's definition of done): verify, x509 -text, crl, ocsp good → revoked."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp as x_ocsp

from madoguchi.pki.ocsp import get_path
from tests.support.processes import madoguchi, madoguchi_json, serving


def openssl(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        ["openssl", *args], capture_output=True, text=True, check=False, timeout=60
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"openssl {' '.join(args)}: {proc.stdout}\n{proc.stderr}")
    return proc


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("ca")
    data = base / "data"
    init = madoguchi_json("ca", "init", "--data-dir", str(data))
    madoguchi("ca", "export", "--out", str(base / "export"), "--data-dir", str(data))
    card = madoguchi_json(
        "testcard",
        "issue",
        "--name",
        "帯広 花子",
        "--birth",
        "1985-07-01",
        "--gender",
        "2",
        "--address",
        "北海道帯広市西5条南7丁目1番地",
        "--out",
        str(base / "card"),
        "--data-dir",
        str(data),
    )
    return {"base": base, "data": data, "init": init, "card": card}


def test_ca_init_refuses_to_overwrite(world: dict[str, Any]) -> None:
    proc = madoguchi("ca", "init", "--data-dir", str(world["data"]), check=False)
    assert proc.returncode == 1
    assert "すでに作成されています" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_ca_keys_are_encrypted_at_rest(world: dict[str, Any]) -> None:
    for kind in ("sign", "auth"):
        pem = (world["data"] / "keys" / f"{kind}-ca.key.pem").read_text()
        assert "BEGIN ENCRYPTED PRIVATE KEY" in pem
        assert (world["data"] / "keys" / f"{kind}-ca.key.pem").stat().st_mode & 0o077 == 0


@pytest.mark.parametrize("kind", ["sign", "auth"])
def test_openssl_verifies_the_issued_chain(world: dict[str, Any], kind: str) -> None:
    ca = world["base"] / "export" / f"{kind}-ca.pem"
    leaf = world["base"] / "card" / f"{kind}.pem"
    out = openssl("verify", "-CAfile", str(ca), str(leaf)).stdout
    assert out.strip().endswith(": OK")
    # and not with the other CA
    other = world["base"] / "export" / f"{'auth' if kind == 'sign' else 'sign'}-ca.pem"
    assert openssl("verify", "-CAfile", str(other), str(leaf), check=False).returncode != 0


def test_openssl_shows_the_jpki_profile(world: dict[str, Any]) -> None:
    text = openssl(
        "x509",
        "-in",
        str(world["base"] / "card" / "sign.pem"),
        "-noout",
        "-text",
        "-nameopt",
        "utf8",
    ).stdout
    assert "Public-Key: (2048 bit)" in text
    assert "Exponent: 65537" in text
    assert "Signature Algorithm: sha256WithRSAEncryption" in text
    assert "X509v3 Key Usage: critical" in text
    assert "Digital Signature, Non Repudiation" in text
    assert "1.2.392.200149.8.5.5.1" in text  # the name otherName (openssl prints the OID)
    assert "OCSP - URI:http://127.0.0.1:8080/ocsp" in text
    assert "URI:http://127.0.0.1:8080/crl/sign-0.crl" in text  # the partition's CRL
    assert "X509v3 Certificate Policies" in text
    assert "14:59:59 20" in text and "GMT" in text  # notAfter at the end of a JST day
    auth = openssl(
        "x509", "-in", str(world["base"] / "card" / "auth.pem"), "-noout", "-text"
    ).stdout
    assert "Digital Signature" in auth and "Non Repudiation" not in auth
    assert "Subject Alternative Name" not in auth


def test_cert_show(world: dict[str, Any]) -> None:
    info = madoguchi_json("cert", "show", str(world["base"] / "card" / "sign.pem"))
    assert info["kind"] == "sign"
    assert info["serial"] == world["card"]["sign_serial"]
    assert (info["name"], info["birth"], info["gender"]) == ("帯広　花子", "1985-07-01", "2")
    assert info["address"] == "北海道帯広市西5条南7丁目1番地"
    assert info["not_after"] == world["card"]["sign_expires_on"]
    human = madoguchi("cert", "show", str(world["base"] / "card" / "sign.pem")).stdout
    assert "署名用電子証明書" in human and "昭和60年7月1日" in human and "女" in human
    auth = madoguchi_json("cert", "show", str(world["base"] / "card" / "auth.pem"))
    assert auth["kind"] == "auth" and auth["name"] is None


def test_cert_show_refuses_garbage(tmp_path: Path) -> None:
    junk = tmp_path / "junk.pem"
    junk.write_bytes(b"\x30\x82\x01\x00not a certificate")
    proc = madoguchi("cert", "show", str(junk), check=False)
    assert proc.returncode == 1
    assert "読み取れません" in proc.stderr and "Traceback" not in proc.stderr


def test_testcard_expiry_follows_the_rules(world: dict[str, Any]) -> None:
    card = world["card"]
    assert card["sign_serial"] and card["auth_serial"]
    assert card["sign_expires_on"] <= card["auth_expires_on"] <= card["card_expiry"]


def _ocsp(base: Path, url: str, kind: str) -> str:
    return openssl(
        "ocsp",
        "-issuer",
        str(base / "export" / f"{kind}-ca.pem"),
        "-cert",
        str(base / "card" / f"{kind}.pem"),
        "-url",
        url,
        "-CAfile",
        str(base / "export" / f"{kind}-ca.pem"),
        "-no_nonce",
    ).stdout


def test_openssl_ocsp_good_then_revoked_and_crl(world: dict[str, Any]) -> None:
    base, data = world["base"], world["data"]
    with serving(data) as url:
        for kind in ("sign", "auth"):
            out = _ocsp(base, url + "/ocsp", kind)
            assert f"{kind}.pem: good" in out, out
        # revoke the signing certificate (a move, R-REV-1) from another process
        madoguchi(
            "ca",
            "revoke",
            "--kind",
            "sign",
            "--serial",
            world["card"]["sign_serial"],
            "--reason",
            "affiliationChanged",
            "--data-dir",
            str(data),
        )
        out = _ocsp(base, url + "/ocsp", "sign")
        assert "sign.pem: revoked" in out, out
        assert "Reason: affiliationChanged" in out
        assert "auth.pem: good" in _ocsp(base, url + "/ocsp", "auth")  # R-REV-2: auth survives
        # the CRL served over HTTP lists it at once (R-REV-4)
        crl_der = httpx.get(url + "/crl/sign.crl", timeout=60).content
        (base / "served.crl").write_bytes(crl_der)
        text = openssl(
            "crl", "-inform", "DER", "-in", str(base / "served.crl"), "-noout", "-text"
        ).stdout
        assert world["card"]["sign_serial"].upper() in text.replace(":", "").upper()
        assert "Affiliation Changed" in text
        # RFC 5019 GET
        leaf = x509.load_pem_x509_certificate((base / "card" / "sign.pem").read_bytes())
        issuer = x509.load_pem_x509_certificate((base / "export" / "sign-ca.pem").read_bytes())
        req = x_ocsp.OCSPRequestBuilder().add_certificate(leaf, issuer, hashes.SHA1()).build()
        resp = httpx.get(f"{url}/ocsp/{get_path(req.public_bytes(Encoding.DER))}", timeout=60)
        assert resp.headers["content-type"] == "application/ocsp-response"
        parsed = x_ocsp.load_der_ocsp_response(resp.content)
        assert parsed.certificate_status is x_ocsp.OCSPCertStatus.REVOKED
        # garbage gets a malformedRequest answer, not a server error
        bad = httpx.post(
            url + "/ocsp",
            content=b"garbage",
            timeout=60,
            headers={"content-type": "application/ocsp-request"},
        )
        assert bad.status_code == 200
        assert (
            x_ocsp.load_der_ocsp_response(bad.content).response_status
            is x_ocsp.OCSPResponseStatus.MALFORMED_REQUEST
        )
    crl_file = base / "sign.crl"
    info = madoguchi_json(
        "ca", "crl", "--kind", "sign", "--out", str(crl_file), "--data-dir", str(data)
    )
    assert info["entries"] == 1
    openssl(
        "crl",
        "-inform",
        "DER",
        "-in",
        str(crl_file),
        "-noout",
        "-CAfile",
        str(base / "export" / "sign-ca.pem"),
    )
