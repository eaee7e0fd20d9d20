"""`madoguchi sign --card` (a test card of the vault, for relying parties' tests) and
`madoguchi verify` with the data directory's CAs as the default anchors, against a real
`madoguchi serve`; the exit codes of refusals and bad input; "undecided" when the CA's
OCSP and CRL cannot be reached. No PC/SC here: tests/e2e/test_sign_verify.py has readers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.documents import make_pdf
from tests.support.processes import free_port, madoguchi, madoguchi_json, serving

PASSWORD = "VAULT2026"


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    data = tmp_path_factory.mktemp("vault-sign") / "data"
    port = free_port()
    env = {"MADOGUCHI_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}", "MADOGUCHI_DATA_DIR": str(data)}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)  # the server and every command see the same CA
        madoguchi("ca", "init")
        card = madoguchi_json(
            "testcard", "issue", "--name", "帯広 花子", "--birth", "1985-07-01", "--gender", "2",
            "--address", "北海道帯広市西5条南7丁目1番地", "--sign-password", PASSWORD,
            "--out", str(data.parent / "card"),
        )  # fmt: skip
        server = serving(data, port=port)
        server.__enter__()
        try:
            yield {"card": card, "data": data, "server": server, "env": env}
        finally:
            server.__exit__(None, None, None)


def sign(
    ca: dict[str, Any], kind: str, source: Path, out: Path, password: str = PASSWORD, *extra: str
):  # type: ignore[no-untyped-def]
    env = {**ca["env"], "MADOGUCHI_SIGN_PASSWORD": password}
    return madoguchi(
        "sign",
        kind,
        str(source),
        str(out),
        "--card",
        ca["card"]["card_id"],
        *extra,
        env=env,
        check=False,
    )


def test_a_vault_card_signs_and_the_data_directorys_ca_is_the_default_anchor(
    ca: dict[str, Any], tmp_path: Path
) -> None:
    source, signed = tmp_path / "form.pdf", tmp_path / "form-signed.pdf"
    source.write_bytes(make_pdf())
    done = sign(ca, "pdf", source, signed, PASSWORD, "--reason", "申請のため", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["certificate"]["serial"] == ca["card"]["sign_serial"].lstrip("0")
    verdict = madoguchi_json("verify", str(signed), env=ca["env"])
    assert verdict["valid"] is True
    assert verdict["trust_anchor"].startswith("OU=DEMO CA for digital signature")
    assert verdict["revocation"]["at_signing"]["status"] == "good"

    data = tmp_path / "data.bin"
    data.write_bytes(bytes(range(256)) * 10)
    assert sign(ca, "cms", data, tmp_path / "data.p7s").returncode == 0
    detached = madoguchi_json(
        "verify", str(tmp_path / "data.p7s"), "--content", str(data), env=ca["env"]
    )
    assert (detached["valid"], detached["format"]) == (True, "cms")
    assert detached["signed_at"] is not None


def test_a_wrong_password_is_remembered_by_the_vault_card(
    ca: dict[str, Any], tmp_path: Path
) -> None:
    """R-PIN-2: each wrong try is saved with the card, as on a real card."""
    source = tmp_path / "form.pdf"
    source.write_bytes(make_pdf())
    for left in (4, 3):
        wrong = sign(ca, "pdf", source, tmp_path / "never.pdf", "WRONG2026")
        assert wrong.returncode == 1
        assert f"あと {left} 回間違えるとロックされます。" in wrong.stderr
    assert sign(ca, "pdf", source, tmp_path / "ok.pdf").returncode == 0  # and restored
    again = sign(ca, "pdf", source, tmp_path / "never.pdf", "WRONG2026")
    assert "あと 4 回" in again.stderr
    assert sign(ca, "pdf", source, tmp_path / "ok2.pdf").returncode == 0


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            ["sign", "pdf", "missing.pdf", "out.pdf", "--card", "VC0000000000000000"],
            2,
            "ファイルが見つかりません",
        ),
        (
            ["sign", "pdf", "form.pdf", "form.pdf", "--card", "VC0000000000000000"],
            2,
            "別の名前で保存",
        ),
        (
            ["sign", "pdf", "form.pdf", "out.pdf", "--card", "VC0000000000000000", "--reader", "x"],
            2,
            "一緒には指定できません",
        ),
        (
            ["sign", "pdf", "notes.txt", "out.pdf", "--card", "VC0000000000000000"],
            2,
            "このファイルはPDFではありません",
        ),
        (
            ["sign", "xml", "notes.txt", "out.xml", "--card", "VC0000000000000000"],
            2,
            "XMLとして読み取れません",
        ),
        (
            ["sign", "pdf", "form.pdf", "out.pdf", "--card", "VC0000000000000000"],
            1,
            "カードが見つかりません",
        ),
        (["verify", "form.pdf", "--trust", "notes.txt"], 2, "認証局の証明書として読み取れません"),
    ],
)
def test_refusals_and_bad_input_in_japanese(
    ca: dict[str, Any], tmp_path: Path, args: list[str], code: int, message: str
) -> None:
    (tmp_path / "form.pdf").write_bytes(make_pdf())
    (tmp_path / "notes.txt").write_text("notes\n")
    full = [str(tmp_path / a) if a.endswith((".pdf", ".txt", ".xml")) else a for a in args]
    proc = madoguchi(*full, env={**ca["env"], "MADOGUCHI_SIGN_PASSWORD": PASSWORD}, check=False)
    assert proc.returncode == code, proc.stderr
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


def test_undecided_when_the_ca_cannot_be_reached(ca: dict[str, Any], tmp_path: Path) -> None:
    """Hard-fail: no OCSP and no CRL is exit 3 (try again later), never "probably good".
    Runs last in this module: it stops the server."""
    source, signed = tmp_path / "form.pdf", tmp_path / "form-signed.pdf"
    source.write_bytes(make_pdf())
    assert sign(ca, "pdf", source, signed).returncode == 0
    ca["server"].__exit__(None, None, None)
    proc = madoguchi("verify", str(signed), "--json", env=ca["env"], check=False)
    assert proc.returncode == 3
    verdict = json.loads(proc.stdout)
    assert (verdict["valid"], verdict["reason"]) == (False, "revocation_unavailable")
    assert verdict["revocation"]["at_signing"]["status"] == "good"  # what the PDF carries
    refused = sign(ca, "pdf", source, tmp_path / "never.pdf")
    assert refused.returncode == 1
    assert "失効していないかを確かめられませんでした" in refused.stderr
