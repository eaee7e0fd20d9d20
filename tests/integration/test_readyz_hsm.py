"""/readyz's ``ca_keys`` check with the CA keys in an HSM (SoftHSM2 through PKCS#11): a probe
signed in the token verifies with the CA certificate; with the token gone the check fails
and says why, while the store's checks still pass. With a key that is not the CA
certificate's (file keys), the probe does not verify."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pkcs11
import pytest

from madoguchi.bootstrap import Container
from madoguchi.config import Settings
from madoguchi.pki.signer import KeySigner
from madoguchi.rules.validity import CertKind
from tests.support.softhsm import create_token, require_softhsm


def checks(c: Container) -> dict[str, tuple[bool, str]]:
    return {x.name: (x.ok, x.detail) for x in c.operations.readiness()}


def test_hsm_keys_sign_the_probe_then_the_token_goes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = create_token(tmp_path / "hsm", monkeypatch)
    settings = Settings(
        data_dir=tmp_path / "data",
        key_backend="pkcs11",
        pkcs11_module=token.module,
        pkcs11_token=token.label,
        pkcs11_pin=token.pin,
    )
    c = Container(settings)
    c.init_ca()
    for kind in c.ca.authorities:
        c.crls.publish(kind, io.BytesIO())
    assert not (tmp_path / "data" / "keys").exists()  # the keys are in the token
    assert checks(c)["ca_keys"] == (True, "both CA keys sign")
    assert all(ok for ok, _ in checks(c).values())

    util = require_softhsm()
    subprocess.run(
        [util, "--delete-token", "--token", token.label],
        check=True,
        capture_output=True,
        timeout=60,
    )
    pkcs11.lib(token.module).reinitialize()  # the module sees the token gone
    now = checks(c)
    ok, detail = now["ca_keys"]
    assert not ok
    assert "sign: hsm_" in detail and "auth: hsm_" in detail, detail
    assert now["store"][0] and now["crl"][0]


def test_a_key_that_is_not_the_ca_certificates_fails_the_probe(tmp_path: Path) -> None:
    c = Container(Settings(data_dir=tmp_path / "data"))
    c.init_ca()
    c.ca.authorities[CertKind.AUTH].signer = KeySigner.generate()  # another key
    assert checks(c)["ca_keys"] == (False, "auth: signature does not verify")
