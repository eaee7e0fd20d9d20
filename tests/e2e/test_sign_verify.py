"""Issue 18: signing with the card in a reader, and verifying, as a relying party does.

`madoguchi sandbox` runs the real stack: the CA's `madoguchi serve` (OCSP, CRLs) and pcscd
with vsmartcard's vpcd readers holding three test cards (the third one's signing certificate
revoked). Documents are signed through our own PC/SC path (`--reader`) and through OpenSC's
PKCS#11 module (`--pkcs11`), then judged by `madoguchi verify` and by independent clients:
pyHanko's own CLI (`pyhanko sign validate`, hard-fail revocation with `--force-revinfo`) and
plain signxml. After `madoguchi ca revoke` both verifiers report the revocation; a document
changed after signing is reported modified.

Like tests/e2e/test_pcsc.py these never skip: without pcscd, vsmartcard-vpcd, OpenSC or
pyhanko-cli they fail and say how to install them.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from playwright.sync_api import expect
from signxml import XMLVerifier

from tests.support.browser import chromium, shot
from tests.support.documents import ASCII_XML, PDF_TEXT, XML, make_pdf
from tests.support.pcsc import OPENSC_PKCS11
from tests.support.processes import madoguchi
from tests.support.sandbox import PYHANKO, running_sandbox


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    with running_sandbox(tmp_path_factory.mktemp("sandbox") / "data") as ready:
        yield ready


def run(
    sandbox: dict[str, Any], *args: str, password: str | None = "TEST1234", check: bool = True
) -> subprocess.CompletedProcess[str]:
    env = dict(sandbox["env"])
    if password is not None:
        env["MADOGUCHI_SIGN_PASSWORD"] = password
    proc = madoguchi(*args, env=env, check=False)
    assert "Traceback" not in proc.stdout + proc.stderr
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def slot(sandbox: dict[str, Any], card: int) -> str:
    return str(sandbox["cards"][card]["reader"])


def source(sandbox: dict[str, Any], path: str, card: int) -> list[str]:
    """How to reach card ``card``: our PC/SC path, or OpenSC's PKCS#11 module."""
    reader = ["--reader", slot(sandbox, card)]
    return reader if path == "pcsc" else ["--pkcs11", str(OPENSC_PKCS11), *reader]


def verify(sandbox: dict[str, Any], file: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    proc = run(
        sandbox,
        "verify",
        str(file),
        "--trust",
        sandbox["ca_certificates"]["sign"],
        "--json",
        *extra,
        password=None,
        check=False,
    )
    return proc.returncode, json.loads(proc.stdout)


def pyhanko_validate(sandbox: dict[str, Any], file: Path) -> subprocess.CompletedProcess[str]:
    """pyHanko's own CLI: our CA as the only trust root, revocation info required (hard)."""
    command = [str(PYHANKO), "sign", "validate", "--trust", sandbox["ca_certificates"]["sign"]]
    command += ["--trust-replace", "--force-revinfo", "--pretty-print", str(file)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture(scope="module")
def documents(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("documents")
    (folder / "form.pdf").write_bytes(make_pdf())
    (folder / "form.xml").write_bytes(XML)
    (folder / "ascii.xml").write_bytes(ASCII_XML)
    return folder


SIGNED: dict[str, Path] = {}


@pytest.mark.parametrize("path", ["pcsc", "pkcs11"])
def test_sign_a_pdf_and_an_xml_and_both_verifiers_accept_them(
    sandbox: dict[str, Any], documents: Path, path: str
) -> None:
    pdf, xml = documents / f"signed-{path}.pdf", documents / f"signed-{path}.xml"
    signed = json.loads(
        run(
            sandbox,
            "sign",
            "pdf",
            str(documents / "form.pdf"),
            str(pdf),
            *source(sandbox, path, 0),
            "--json",
        ).stdout
    )
    assert signed["signer"]["name"] == "帯広\u3000花子"
    assert signed["revocation_embedded"] is True
    source_xml = documents / ("form.xml" if path == "pcsc" else "ascii.xml")
    run(sandbox, "sign", "xml", str(source_xml), str(xml), *source(sandbox, path, 0))
    SIGNED[path] = pdf

    for file, kind in ((pdf, "pdf"), (xml, "xml")):
        code, verdict = verify(sandbox, file)
        assert (code, verdict["valid"], verdict["format"]) == (0, True, kind), verdict
        assert verdict["signer"] == {
            "name": "帯広\u3000花子",
            "address": "北海道帯広市西5条南7丁目1番地",
            "birth": "1985-07-01",
            "birth_ja": "昭和60年7月1日",
            "gender": "2",
            "gender_label": "女",
        }
        assert (verdict["revoked"], verdict["modified"], verdict["reason"]) == (False, False, None)
        assert verdict["revocation"]["now"]["status"] == "good"
    code, verdict = verify(sandbox, pdf)
    assert verdict["revocation"]["at_signing"]["status"] == "good"  # the OCSP answer it carries
    assert verdict["signed_at"] is not None

    independent = pyhanko_validate(sandbox, pdf)
    assert independent.returncode == 0, independent.stdout + independent.stderr
    assert "The signature is judged VALID." in independent.stdout
    if path == "pkcs11":  # plain signxml, with our CA as its only trust anchor
        result = XMLVerifier().verify(
            xml.read_bytes(), ca_pem_file=sandbox["ca_certificates"]["sign"]
        )
        assert etree.tostring(result.signed_xml).startswith(b"<application>")

    people = run(
        sandbox, "verify", str(pdf), "--trust", sandbox["ca_certificates"]["sign"], password=None
    ).stdout
    for text in ("有効", "帯広　花子", "昭和60年7月1日（1985-07-01）", "女", "文書の変更"):
        assert text in people


def test_a_wrong_password_says_the_tries_left(sandbox: dict[str, Any], documents: Path) -> None:
    """R-PIN-2 through our reader path (the card's counter) and through PKCS#11 (its flags)."""
    out = documents / "never.pdf"
    wrong = run(
        sandbox,
        "sign",
        "pdf",
        str(documents / "form.pdf"),
        str(out),
        *source(sandbox, "pcsc", 0),
        password="WRONG2026",
        check=False,
    )
    assert wrong.returncode == 1
    assert "パスワードが違います。あと 4 回間違えるとロックされます。" in wrong.stderr
    assert not out.exists()
    status = json.loads(
        run(
            sandbox, "card", "pin-status", "--reader", slot(sandbox, 0), "--json", password=None
        ).stdout
    )
    assert status["pins"]["sign"]["tries_left"] == 4
    via_pkcs11 = run(
        sandbox,
        "sign",
        "xml",
        str(documents / "ascii.xml"),
        str(out),
        *source(sandbox, "pkcs11", 0),
        password="WRONG2026",
        check=False,
    )
    assert via_pkcs11.returncode == 1
    assert "署名用電子証明書のパスワードが違います。" in via_pkcs11.stderr
    run(sandbox, "sign", "pdf", str(documents / "form.pdf"), str(out), *source(sandbox, "pcsc", 0))
    status = json.loads(
        run(
            sandbox, "card", "pin-status", "--reader", slot(sandbox, 0), "--json", password=None
        ).stdout
    )
    assert status["pins"]["sign"]["tries_left"] == 5  # the right one restores the counter


def test_after_revocation_both_verifiers_report_it(
    sandbox: dict[str, Any], documents: Path
) -> None:
    card = sandbox["cards"][1]
    pdf, xml = documents / "taro.pdf", documents / "taro.xml"
    run(sandbox, "sign", "pdf", str(documents / "form.pdf"), str(pdf), *source(sandbox, "pcsc", 1))
    run(
        sandbox, "sign", "xml", str(documents / "form.xml"), str(xml), *source(sandbox, "pkcs11", 1)
    )
    assert verify(sandbox, pdf)[0] == 0
    assert pyhanko_validate(sandbox, pdf).returncode == 0

    madoguchi(
        "ca",
        "revoke",
        "--kind",
        "sign",
        "--serial",
        card["sign_serial"],
        "--reason",
        "keyCompromise",
        "--data-dir",
        str(sandbox["data_dir"]),
    )

    for file in (pdf, xml):
        code, verdict = verify(sandbox, file)
        assert (code, verdict["valid"], verdict["revoked"], verdict["reason"]) == (
            1,
            False,
            True,
            "revoked",
        )
        assert verdict["revocation"]["now"]["reason"] == "key_compromise"
        assert verdict["revoked_at"] is not None
        assert (
            verdict["message"]
            == "署名した人の署名用電子証明書は失効しています。この署名は信頼できません。"
        )
    assert verify(sandbox, pdf)[1]["revocation"]["at_signing"]["status"] == "good"
    independent = pyhanko_validate(sandbox, pdf)
    assert independent.returncode != 0
    assert "The signer's certificate is revoked." in independent.stdout
    assert "INVALID" in independent.stdout

    refused = run(
        sandbox,
        "sign",
        "pdf",
        str(documents / "form.pdf"),
        str(documents / "x.pdf"),
        *source(sandbox, "pcsc", 1),
        check=False,
    )
    assert refused.returncode == 1
    assert "失効しています。この電子証明書では署名できません" in refused.stderr


def test_a_revoked_certificate_signs_nothing(sandbox: dict[str, Any], documents: Path) -> None:
    assert sandbox["cards"][2]["sign_revoked"] is True
    out = documents / "jiro.pdf"
    for path in ("pcsc", "pkcs11"):
        refused = run(
            sandbox,
            "sign",
            "pdf",
            str(documents / "form.pdf"),
            str(out),
            *source(sandbox, path, 2),
            check=False,
        )
        assert refused.returncode == 1
        assert "失効しています" in refused.stderr
        assert not out.exists()


def test_a_document_changed_after_signing_is_reported_modified(
    sandbox: dict[str, Any], documents: Path
) -> None:
    signed = (SIGNED.get("pcsc") or pytest.fail("the signing test runs first")).read_bytes()
    changed = documents / "changed.pdf"
    at = signed.index(PDF_TEXT)
    changed.write_bytes(signed[:at] + b"APPLICATION FORM" + signed[at + 16 :])
    code, verdict = verify(sandbox, changed)
    assert (code, verdict["modified"], verdict["reason"]) == (1, True, "modified")
    assert "署名の後で文書が変更されています" in verdict["message"]
    independent = pyhanko_validate(sandbox, changed)
    assert independent.returncode != 0
    assert "VALID." not in independent.stdout.replace("INVALID.", "")

    xml = documents / "signed-pcsc.xml"
    changed_xml = documents / "changed.xml"
    changed_xml.write_bytes(xml.read_bytes().replace("住所の変更".encode(), "氏名の変更".encode()))
    code, verdict = verify(sandbox, changed_xml)
    assert (code, verdict["modified"], verdict["reason"]) == (1, True, "modified")


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("notes.pdf", b"these are notes, not a PDF\n", "unknown_format"),
        ("unsigned.pdf", make_pdf(), "unsigned_pdf"),
        ("cut.pdf", None, "broken_pdf"),
        ("huge.pdf", "100MB", "file_too_large"),
        ("missing.pdf", "missing", "file_missing"),
    ],
)
def test_bad_files_get_a_clear_message_and_exit_2(
    sandbox: dict[str, Any], documents: Path, tmp_path: Path, name: str, content: Any, code: str
) -> None:
    file = tmp_path / name
    if content is None:
        signed = (SIGNED.get("pcsc") or pytest.fail("the signing test runs first")).read_bytes()
        file.write_bytes(signed[: len(signed) // 2])
    elif content == "100MB":
        with file.open("wb") as handle:
            handle.truncate(100 * 1024 * 1024)
    elif isinstance(content, bytes):
        file.write_bytes(content)
    proc = run(
        sandbox,
        "verify",
        str(file),
        "--trust",
        sandbox["ca_certificates"]["sign"],
        password=None,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("エラー: ")
    as_json = run(
        sandbox,
        "verify",
        str(file),
        "--trust",
        sandbox["ca_certificates"]["sign"],
        "--json",
        password=None,
        check=False,
    )
    assert json.loads(as_json.stdout)["error"]["code"] == code


def test_the_verify_page_at_desktop_and_phone_width(
    sandbox: dict[str, Any], documents: Path
) -> None:
    """The public page in Chromium: reached from the home page, the same verdict as the CLI,
    a bad file said plainly, English through the catalog; at 390 px nothing scrolls sideways.
    Screenshots: artifacts/browser/verify-*.png."""
    signed = SIGNED.get("pcsc") or pytest.fail("the signing test runs first")
    revoked = documents / "taro.pdf"  # revoked by test_after_revocation_both_verifiers_report_it
    with chromium() as browser:
        for width, name in ((1280, "desktop"), (390, "phone")):
            context = browser.new_context(
                base_url=sandbox["base_url"],
                locale="ja-JP",
                viewport={"width": width, "height": 900},
            )
            page = context.new_page()
            page.goto("/")
            page.get_by_role("link", name="署名されたファイルの確認").first.click()
            expect(page).to_have_url(re.compile(r"/verify$"))
            cases = [
                (signed, "true", "valid", "昭和60年7月1日"),  # 帯広 花子
                (revoked, "false", "revoked", "昭和35年1月15日"),  # 十勝 太郎
            ]
            for file, valid, reason, birth in cases:
                page.set_input_files("#document", str(file))
                page.get_by_role("button", name="確かめる").click()
                verdict = page.get_by_test_id("verdict")
                expect(verdict).to_have_attribute("data-valid", valid)
                expect(verdict).to_have_attribute("data-reason", reason)
                expect(page.get_by_test_id("signer")).to_contain_text(birth)
                assert page.evaluate("document.documentElement.scrollWidth") <= width
                shot(page, f"verify-{reason}-{name}")
            expect(page.get_by_test_id("status-now")).to_contain_text("失効しています")
            page.set_input_files(
                "#document",
                files=[{"name": "notes.pdf", "mimeType": "application/pdf", "buffer": b"notes"}],
            )
            page.get_by_role("button", name="確かめる").click()
            expect(page.get_by_role("alert")).to_contain_text("署名されたPDFとXMLのファイルです")
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            shot(page, f"verify-bad-file-{name}")
            context.close()
        english = browser.new_context(
            base_url=sandbox["base_url"], viewport={"width": 390, "height": 900}
        )
        page = english.new_page()
        page.goto("/verify?lang=en")
        page.set_input_files("#document", str(signed))
        page.get_by_role("button", name="Check").click()
        expect(page.get_by_test_id("verdict-status")).to_have_text("This signature is valid")
        expect(page.get_by_test_id("signer")).to_contain_text("July 1, 1985")
        shot(page, "verify-valid-phone-en")
        english.close()


def test_the_page_refuses_a_100_mb_upload_before_reading_it(sandbox: dict[str, Any]) -> None:
    """The Content-Length alone decides: the body is never received (nothing stored)."""
    host, port = sandbox["base_url"].removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(
            b"POST /verify HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\n"
            b"Content-Length: 104857600\r\nConnection: close\r\n\r\n"
        )
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413")
    assert b"no-store" in head.lower()
    assert "10 MB までのファイルです".encode() in body
