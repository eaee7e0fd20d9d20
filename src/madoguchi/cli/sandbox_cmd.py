"""`madoguchi sandbox`: the relying parties' sandbox — a CA with OCSP and CRLs, and three
test cards in virtual card readers, for a service to run its own JPKI code against.

A command rather than a make target: relying parties install madoguchi as a package and
have no checkout (no Makefile); the command cleans up on Ctrl+C, says where everything is,
and prints one JSON line with ``--json`` when it is ready (tests wait for that line).

The first start creates, in ``--data-dir``: both CAs (their certificates name
``http://127.0.0.1:PORT`` for OCSP, CRLs and CA certificates), three test cards, the CA
certificates as PEM files in ``ca/``, and ``sandbox.json``. Later starts reuse them (same
port). The third card's signing certificate is revoked (the holder moved:
affiliationChanged), so that a service can see a revocation. Then, until Ctrl+C:
``madoguchi serve`` on the port, and pcscd with one vpcd reader per card
(:mod:`madoguchi.relying.sandbox`), reached through ``PCSCLITE_CSOCK_NAME``.
"""

from __future__ import annotations

import json as jsonlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Annotated, Any

import typer
from cryptography.hazmat.primitives.serialization import Encoding

from madoguchi.bootstrap import build
from madoguchi.cli.common import EXIT_REFUSED, JsonOpt, handled, parse_date
from madoguchi.cli.errors import fail
from madoguchi.cli.output import emit
from madoguchi.config import Settings
from madoguchi.pki.facts import HolderFacts
from madoguchi.rules.revocation import RevocationReason
from madoguchi.rules.validity import CertKind

MANIFEST = "sandbox.json"
SIGN_PASSWORD, AUTH_PIN = "TEST1234", "1234"
PEOPLE = (
    ("帯広 花子", "1985-07-01", "2", "北海道帯広市西5条南7丁目1番地", False),
    ("十勝 太郎", "1960-01-15", "1", "北海道帯広市東3条南2丁目5番地", False),
    ("音更 次郎", "2001-03-03", "1", "北海道河東郡音更町木野大通西7丁目1番地", True),
)


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _create(settings: Settings) -> dict[str, Any]:
    """CAs, three cards (the third revoked), the CA certificates as files, the manifest."""
    c = build(settings)
    c.init_ca()
    cards = []
    for name, birth, gender, address, revoked in PEOPLE:
        facts = HolderFacts.create(name, gender, parse_date(birth, "birth"), address)
        card = c.testcards.issue(
            facts=facts,
            card_expires=None,
            sign_password=SIGN_PASSWORD,
            auth_pin=AUTH_PIN,
        )
        assert card.sign is not None  # adults: both certificates
        if revoked:
            serial = int(card.sign.serial_hex, 16)
            c.ca.revoke(CertKind.SIGN, serial, RevocationReason.AFFILIATION_CHANGED)
        cards.append(
            {
                "card_id": card.card_id,
                "name": facts.name,
                "sign_serial": card.sign.serial_hex,
                "auth_serial": card.auth.serial_hex,
                "sign_revoked": revoked,
            }
        )
    ca_dir = settings.data_dir / "ca"
    ca_dir.mkdir(exist_ok=True)
    for kind, authority in c.ca.authorities.items():
        (ca_dir / f"{kind.value}-ca.pem").write_bytes(authority.cert.public_bytes(Encoding.PEM))
    return {"base_url": settings.public_base_url, "cards": cards}


def _wait_healthy(base: str, serve: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if serve.poll() is not None:
            raise RuntimeError("madoguchi serve exited")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("madoguchi serve did not answer")
        time.sleep(0.1)


def cmd_sandbox(
    data_dir: Annotated[
        Path, typer.Option("--data-dir", help="サンドボックスのデータディレクトリ")
    ] = Path("madoguchi-sandbox"),
    port: Annotated[int, typer.Option("--port", help="OCSP・CRL・画面の HTTP ポート")] = 8480,
    json: JsonOpt = False,
) -> None:
    """依拠者（サービス事業者）の試験環境: 認証局（OCSP・CRL）と、仮想カードリーダーの試験用カード3枚"""
    from madoguchi.relying.sandbox import VirtualReaders, madoguchi_command, missing_parts

    base_url = f"http://127.0.0.1:{port}"
    settings = Settings(data_dir=data_dir, public_base_url=base_url)
    manifest_path = data_dir / MANIFEST
    missing = missing_parts()
    if missing:
        fail(
            "pcsc_stack_missing",
            f"仮想カードリーダーに必要なものがありません（{', '.join(missing)}）。"
            "apt-get install pcscd vsmartcard-vpcd util-linux iproute2 で入れてください。",
            json_mode=json,
            exit_code=EXIT_REFUSED,
        )
    with handled(json):
        if manifest_path.is_file():
            manifest = jsonlib.loads(manifest_path.read_text())
            if manifest["base_url"] != base_url:
                fail(
                    "sandbox_port",
                    f"このサンドボックスは {manifest['base_url']} で作られています。"
                    "同じ --port で起動するか、別の --data-dir を指定してください。",
                    json_mode=json,
                )
        elif (data_dir / "madoguchi.db").exists():
            fail(
                "sandbox_not_empty",
                "このデータディレクトリには、サンドボックスではない認証局があります。"
                "別の --data-dir を指定してください。",
                json_mode=json,
            )
        else:
            manifest = _create(settings)
            manifest_path.write_text(jsonlib.dumps(manifest, ensure_ascii=False))
    signal.signal(signal.SIGTERM, _stop)
    runtime = Path(tempfile.mkdtemp(prefix="madoguchi-sandbox-"))
    env = {"MADOGUCHI_PUBLIC_BASE_URL": base_url}
    readers_needed = (len(manifest["cards"]) + 1) // 2  # two slots per vpcd reader
    names = [f"madoguchi sandbox reader {i + 1}" for i in range(readers_needed)]
    readers: VirtualReaders | None = None
    serve = subprocess.Popen(
        [*madoguchi_command(), "serve", "--port", str(port), "--data-dir", str(data_dir)],
        stdout=subprocess.DEVNULL,
        stderr=(runtime / "serve.log").open("wb"),
        env={**os.environ, **env},
    )
    try:
        readers = VirtualReaders(runtime / "pcsc", names)
        _wait_healthy(base_url, serve)
        for index, card in enumerate(manifest["cards"]):
            readers.insert(index, card["card_id"], data_dir, env)
            card["reader"] = readers.slot_name(index)
        _announce(manifest, readers, data_dir, json)
        while serve.poll() is None:
            time.sleep(0.5)
        fail("serve_exited", "HTTP サービスが止まりました。", json_mode=json, exit_code=1)
    except KeyboardInterrupt:
        pass
    except RuntimeError as exc:
        fail(
            "sandbox_failed",
            f"サンドボックスを起動できません（{exc}）。",
            json_mode=json,
            exit_code=1,
        )
    finally:
        if readers is not None:
            readers.close()
        serve.terminate()
        try:
            serve.wait(timeout=15)
        except subprocess.TimeoutExpired:
            serve.kill()
        shutil.rmtree(runtime, ignore_errors=True)
    if not json:
        print("サンドボックスを止めました。", file=sys.stderr)


def _announce(manifest: dict[str, Any], readers: Any, data_dir: Path, json_mode: bool) -> None:
    base = manifest["base_url"]
    ready = {
        "ready": True,
        "base_url": base,
        "ocsp": f"{base}/ocsp",
        "crl": {kind.value: f"{base}/crl/{kind.value}.crl" for kind in CertKind},
        "ca_certificates": {
            kind.value: str(data_dir / "ca" / f"{kind.value}-ca.pem") for kind in CertKind
        },
        "env": readers.env,
        "sign_password": SIGN_PASSWORD,
        "auth_pin": AUTH_PIN,
        "cards": manifest["cards"],
    }
    if json_mode:
        print(jsonlib.dumps(ready, ensure_ascii=False), flush=True)
        return
    rows = [
        ("認証局", base),
        ("OCSP", ready["ocsp"]),
        ("CRL", f"{ready['crl']['sign']}、{ready['crl']['auth']}"),
        ("CA の証明書", f"{data_dir / 'ca'}/sign-ca.pem、auth-ca.pem"),
        ("暗証番号", f"署名用 {SIGN_PASSWORD}、利用者証明用 {AUTH_PIN}"),
    ]
    for card in manifest["cards"]:
        state = "（署名用電子証明書は失効済み）" if card["sign_revoked"] else ""
        rows.append((card["reader"], f"{card['name']} {card['card_id']}{state}"))
    emit(
        ready, json_mode=False, title="サンドボックスを起動しました（Ctrl+C で止めます）", rows=rows
    )
    print("カードリーダーを使うプログラムには、次の環境変数を設定してください:")
    print(f"export PCSCLITE_CSOCK_NAME={readers.env['PCSCLITE_CSOCK_NAME']}", flush=True)
