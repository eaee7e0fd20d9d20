"""Issue 14, item 15: the pyHanko commands of docs/cards.md, run exactly as written, sign a
PDF with the card's signing key through OpenSC's PKCS#11 module — our virtual card in
vsmartcard's reader (tests/support/pcsc.py) — and pyHanko validates the signature against
our CA with a hard-fail OCSP check at `madoguchi serve`; revoked, it is judged INVALID."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.pcsc import OPENSC_PKCS11, VirtualReader, virtual_reader
from tests.support.processes import free_port, madoguchi, madoguchi_json, serving

DOCS = Path(__file__).resolve().parents[2] / "docs" / "cards.md"
SIGN_PASSWORD = "TEST1234"  # the password the documented commands use


def documented_commands() -> str:
    """The shell block that follows the ``pyhanko-commands`` marker in docs/cards.md."""
    text = DOCS.read_text(encoding="utf-8")
    found = re.search(r"<!-- pyhanko-commands.*?-->\s*```sh\n(.*?)```", text, re.S)
    assert found, "docs/cards.md lost its pyhanko-commands block"
    return found.group(1)


@pytest.fixture(scope="module")
def signing_setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict]]:  # type: ignore[type-arg]
    """A CA whose certificates point at a live `madoguchi serve`, a test card in the reader,
    ``ca/sign-ca.pem`` and ``document.pdf`` in the working directory."""
    work = tmp_path_factory.mktemp("pyhanko")
    data = work / "data"
    port = free_port()
    env = {"MADOGUCHI_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}"}
    madoguchi("ca", "init", "--data-dir", str(data), env=env)
    madoguchi("ca", "export", "--out", str(work / "ca"), "--data-dir", str(data), env=env)
    issued = madoguchi_json(
        *("testcard", "issue", "--name", "帯広 花子", "--birth", "1985-07-01", "--gender", "2"),
        *("--address", "北海道帯広市西5条南7丁目1番地", "--sign-password", SIGN_PASSWORD),
        *("--out", str(work / "card"), "--data-dir", str(data)),
        env=env,
    )
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(work / "document.pdf"))
    pdf.drawString(72, 760, "madoguchi: a document to sign with the card")
    pdf.save()
    with virtual_reader() as reader, serving(data, port=port, env=env):
        reader.insert(issued["card_id"], data)
        yield work, {"reader": reader, "issued": issued, "data": data, "env": env}


def shell(work: Path, reader: VirtualReader, script: str) -> subprocess.CompletedProcess[str]:
    venv_bin = Path(sys.executable).parent  # pyhanko of the dev dependencies
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=work,
        capture_output=True,
        text=True,
        env={**os.environ, **reader.env, "PATH": f"{venv_bin}:{os.environ['PATH']}"},
        timeout=600,  # a hang guard
        check=False,
    )


def test_the_documented_commands_sign_and_validate(signing_setup) -> None:  # type: ignore[no-untyped-def]
    work, ctx = signing_setup
    script = documented_commands()
    assert str(OPENSC_PKCS11) in script and '--key-label "Digital Signature Key"' in script
    done = shell(work, ctx["reader"], script)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (work / "document-signed.pdf").read_bytes().startswith(b"%PDF")
    assert "The signer's certificate is trusted." in done.stdout
    assert "The signature is cryptographically sound." in done.stdout
    assert "The signature is judged VALID." in done.stdout
    serial = ctx["issued"]["sign_serial"]
    fingerprint = re.search(r"Certificate SHA256 fingerprint: ([0-9a-f]{64})", done.stdout)
    assert fingerprint  # the signer is the card's signing certificate:
    card_pem = Path(ctx["issued"]["files"]["sign"]).read_bytes()
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    cert = x509.load_pem_x509_certificate(card_pem)
    assert cert.fingerprint(hashes.SHA256()).hex() == fingerprint.group(1)
    assert f"{cert.serial_number:x}" == serial


def test_without_the_key_label_pyhanko_finds_no_key(signing_setup) -> None:  # type: ignore[no-untyped-def]
    """Why the docs insist on --key-label (OpenSC's JPKI driver labels key and certificate
    differently)."""
    work, ctx = signing_setup
    script = documented_commands().replace('--key-label "Digital Signature Key" \\\n', "")
    script = script.replace("document-signed.pdf", "unlabelled.pdf")
    failed = shell(work, ctx["reader"], script.split("pyhanko sign validate")[0])
    assert failed.returncode != 0
    assert not (work / "unlabelled.pdf").exists()


def test_a_revoked_signing_certificate_is_judged_invalid(signing_setup) -> None:  # type: ignore[no-untyped-def]
    work, ctx = signing_setup
    if not (work / "document-signed.pdf").exists():
        assert shell(work, ctx["reader"], documented_commands()).returncode == 0
    madoguchi(
        *("ca", "revoke", "--kind", "sign", "--serial", ctx["issued"]["sign_serial"]),
        *("--reason", "keyCompromise", "--data-dir", str(ctx["data"])),
        env=ctx["env"],
    )
    validate = documented_commands().split("pyhanko sign validate", 1)[1]
    checked = shell(work, ctx["reader"], "pyhanko sign validate" + validate)
    assert checked.returncode == 1
    assert "revoked" in checked.stderr and "INVALID" in checked.stdout + checked.stderr
