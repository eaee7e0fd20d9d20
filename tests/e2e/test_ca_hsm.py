"""The CA with its keys in a PKCS#11 token (SoftHSM2), through the real CLI: `ca init`,
`testcard issue`, `ca crl`, each a separate process, checked by openssl."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.support.processes import madoguchi, madoguchi_json
from tests.support.softhsm import create_token


def test_ca_in_the_hsm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    token = create_token(tmp_path / "hsm", monkeypatch)
    env = {
        **token.env,
        "MADOGUCHI_KEY_BACKEND": "pkcs11",
        "MADOGUCHI_PKCS11_MODULE": token.module,
        "MADOGUCHI_PKCS11_TOKEN": token.label,
        "MADOGUCHI_PKCS11_PIN": token.pin,
        "MADOGUCHI_DATA_DIR": str(tmp_path / "data"),
    }
    madoguchi_json("ca", "init", env=env)
    assert not (tmp_path / "data" / "keys").exists()  # no key file: the keys are in the token
    madoguchi("ca", "export", "--out", str(tmp_path / "ca"), env=env)
    card = madoguchi_json(
        "testcard",
        "issue",
        "--name",
        "帯広 一郎",
        "--birth",
        "1970-04-02",
        "--gender",
        "1",
        "--address",
        "北海道帯広市大正町1番地",
        "--out",
        str(tmp_path / "card"),
        env=env,
    )
    for kind in ("sign", "auth"):
        out = subprocess.run(
            [
                "openssl",
                "verify",
                "-CAfile",
                str(tmp_path / "ca" / f"{kind}-ca.pem"),
                str(tmp_path / "card" / f"{kind}.pem"),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        assert out.stdout.strip().endswith(": OK")
    madoguchi(
        "ca",
        "revoke",
        "--kind",
        "auth",
        "--serial",
        card["auth_serial"],
        "--reason",
        "keyCompromise",
        env=env,
    )
    madoguchi("ca", "crl", "--kind", "auth", "--out", str(tmp_path / "auth.crl"), env=env)
    check = subprocess.run(
        [
            "openssl",
            "crl",
            "-inform",
            "DER",
            "-in",
            str(tmp_path / "auth.crl"),
            "-noout",
            "-text",
            "-CAfile",
            str(tmp_path / "ca" / "auth-ca.pem"),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "verify OK" in check.stdout + check.stderr
    assert card["auth_serial"].upper() in check.stdout.replace(":", "").upper()
    # a wrong PIN is a clear refusal, not a traceback
    bad = madoguchi(
        "ca",
        "export",
        "--out",
        str(tmp_path / "x"),
        env={**env, "MADOGUCHI_PKCS11_PIN": "000000"},
        check=False,
    )
    assert bad.returncode == 1
    assert "PIN" in bad.stderr and "Traceback" not in bad.stderr
