"""Pre-signed OCSP answers exported as static files (`madoguchi ca export-ocsp`), checked with
openssl as the independent client: the file named by the GET path of the request openssl
builds verifies and says good; after a revocation and a new export it says revoked. And
`madoguchi serve --workers 2`: a revocation from the CLI is answered at once by every worker
(R-REV-4), although each keeps its answers in memory."""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from tests.support.processes import madoguchi, madoguchi_json, serving

MANIFEST = ".madoguchi-ocsp-export"


def openssl(*args: str) -> str:
    proc = subprocess.run(
        ["openssl", *args], capture_output=True, text=True, check=False, timeout=60
    )
    assert proc.returncode == 0, f"openssl {' '.join(args)}: {proc.stdout}\n{proc.stderr}"
    return proc.stdout + proc.stderr


def issue_testcard(data: Path, out: Path, name: str) -> dict[str, Any]:
    return madoguchi_json(
        "testcard",
        "issue",
        "--name",
        name,
        "--birth",
        "1985-07-01",
        "--gender",
        "2",
        "--address",
        "北海道帯広市西5条南7丁目1番地",
        "--out",
        str(out),
        "--data-dir",
        str(data),
    )


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("ocsp-export")
    data = base / "data"
    madoguchi_json("ca", "init", "--data-dir", str(data))
    madoguchi("ca", "export", "--out", str(base / "ca"), "--data-dir", str(data))
    card = issue_testcard(data, base / "card", "帯広 花子")
    return {"base": base, "data": data, "card": card}


def openssl_request(base: Path, kind: str, cert: Path) -> bytes:
    """The request exactly as openssl builds it (SHA-1 CertID, no nonce)."""
    out = base / f"{kind}-req.der"
    openssl(
        "ocsp",
        "-issuer",
        str(base / "ca" / f"{kind}-ca.pem"),
        "-cert",
        str(cert),
        "-no_nonce",
        "-reqout",
        str(out),
    )
    return out.read_bytes()


def static_file(base: Path, export: Path, kind: str, cert: Path) -> Path:
    """RFC 6960 A.1: the GET path is the URL-encoding of the base64 of the DER request."""
    name = quote(base64.b64encode(openssl_request(base, kind, cert)).decode(), safe="")
    return export / name


def check(base: Path, kind: str, cert: Path, response: Path) -> str:
    ca = str(base / "ca" / f"{kind}-ca.pem")
    out = openssl(
        "ocsp", "-respin", str(response), "-issuer", ca, "-cert", str(cert), "-CAfile", ca
    )
    assert "Response verify OK" in out, out
    return out


def test_exported_answers_verify_with_openssl_good_then_revoked(world: dict[str, Any]) -> None:
    base, data = world["base"], world["data"]
    export = base / "static"
    info = madoguchi_json("ca", "export-ocsp", "--out", str(export), "--data-dir", str(data))
    assert info["answers"] == 2 and info["by_kind"] == {"sign": 1, "auth": 1}
    assert info["written"] == 2
    files = {
        kind: static_file(base, export, kind, base / "card" / f"{kind}.pem")
        for kind in ("sign", "auth")
    }
    for kind, path in files.items():
        assert path.is_file(), f"no file for the {kind} request openssl builds"
        assert "/" not in path.name and "=" not in path.name  # one flat, URL-safe name
        assert f"{kind}.pem: good" in check(base, kind, base / "card" / f"{kind}.pem", path)

    madoguchi(
        "ca",
        "revoke",
        "--kind",
        "sign",
        "--serial",
        world["card"]["sign_serial"],
        "--reason",
        "keyCompromise",
        "--data-dir",
        str(data),
    )
    again = madoguchi_json("ca", "export-ocsp", "--out", str(export), "--data-dir", str(data))
    assert (again["written"], again["unchanged"]) == (1, 1)  # only the revoked one changed
    out = check(base, "sign", base / "card" / "sign.pem", files["sign"])
    assert "sign.pem: revoked" in out and "Reason: keyCompromise" in out
    assert "auth.pem: good" in check(base, "auth", base / "card" / "auth.pem", files["auth"])


def test_export_removes_the_answers_it_wrote_for_certificates_gone(
    world: dict[str, Any],
) -> None:
    export = world["base"] / "static-prune"
    export.mkdir()
    (export / "GONE%2Fanswer").write_bytes(b"old")  # written by an earlier export
    (export / MANIFEST).write_text("GONE%2Fanswer\n")
    (export / "README").write_text("not ours")  # never listed: left alone
    info = madoguchi_json(
        "ca", "export-ocsp", "--out", str(export), "--data-dir", str(world["data"])
    )
    assert info["removed"] == 1
    assert not (export / "GONE%2Fanswer").exists()
    assert (export / "README").exists()
    listed = (export / MANIFEST).read_text().split()
    assert len(listed) == info["answers"] and all((export / n).is_file() for n in listed)


def test_export_ocsp_help_is_japanese() -> None:
    out = madoguchi("ca", "export-ocsp", "--help").stdout
    assert "OCSP" in out and "書き出" in out


def test_two_workers_answer_revoked_at_once_after_a_cli_revocation(
    world: dict[str, Any],
) -> None:
    base, data = world["base"], world["data"]
    card = issue_testcard(data, base / "card2", "帯広 次郎")
    request = openssl_request(base, "auth", base / "card2" / "auth.pem")
    path = "/ocsp/" + quote(base64.b64encode(request).decode(), safe="")

    def statuses(url: str) -> set[str]:
        seen = set()
        for _ in range(24):  # a new connection each: the kernel spreads them over the workers
            resp = httpx.get(url + path, timeout=60, headers={"connection": "close"})
            (base / "resp.der").write_bytes(resp.content)
            out = check(base, "auth", base / "card2" / "auth.pem", base / "resp.der")
            seen.add(out.split("auth.pem: ", 1)[1].split()[0])
        return seen

    with serving(data, workers=2) as url:
        assert statuses(url) == {"good"}  # now in memory in both workers
        madoguchi(
            "ca",
            "revoke",
            "--kind",
            "auth",
            "--serial",
            card["auth_serial"],
            "--reason",
            "cessationOfOperation",
            "--data-dir",
            str(data),
        )
        assert statuses(url) == {"revoked"}
