"""The public page /verify in-process: the form, verdicts and refusals in plain Japanese,
English through the catalog, the size limit, the CSRF check, and nothing written to disk.

The signatures here are made by a CA of the tests' own (no OCSP, no CRL), which the demo
system does not trust: the page must say so and still show who claims to have signed. The
valid and revoked verdicts against the real CA are in tests/e2e/test_sign_verify.py.
"""

from __future__ import annotations

import asyncio

import pytest
from starlette.datastructures import Headers, UploadFile

from madoguchi.relying.signing import sign_cms, sign_pdf
from madoguchi.web.verify_page import MAX_VERIFY_BODY, _InMemoryParser
from tests.support.documents import make_pdf
from tests.support.web import Browser, csrf_of
from tests.unit.relying.conftest import make_ca, make_card


@pytest.fixture(scope="module")
def foreign_pdf() -> bytes:
    return sign_pdf(make_pdf(), make_card(make_ca("a CA the city does not know")))


def post(web: Browser, name: str, data: bytes, *, token: str | None = None, lang: str = ""):  # type: ignore[no-untyped-def]
    page = web.get(f"/verify{lang}")
    files = {"document": (name, data, "application/octet-stream")}
    return web.client.post("/verify", data={"csrf_token": token or csrf_of(page.text)}, files=files)


def test_the_page_is_linked_from_the_home_page_and_stores_nothing(web: Browser) -> None:
    assert 'href="/verify"' in web.get("/").text
    page = web.get("/verify")
    assert page.status_code == 200
    assert 'data-testid="verify-form"' in page.text
    assert "保存しません" in page.text
    assert page.headers["cache-control"] == "no-store"


def test_a_signature_of_an_unknown_ca_is_not_trusted_but_names_the_signer(
    web: Browser, foreign_pdf: bytes
) -> None:
    r = post(web, "signed.pdf", foreign_pdf)
    assert r.status_code == 200
    assert r.headers["cache-control"] == "no-store"
    assert 'data-valid="false" data-reason="untrusted"' in r.text
    assert "信頼する認証局から発行されたものか確かめられません" in r.text
    assert "帯広　花子" in r.text
    assert "昭和60年7月1日（1985-07-01）" in r.text
    assert "ありません" in r.text  # not changed after signing


@pytest.mark.parametrize(
    ("name", "data", "code", "text"),
    [
        ("notes.pdf", b"just notes", "format_not_accepted", "署名されたPDFとXMLのファイルです"),
        ("form.pdf", make_pdf(), "unsigned_pdf", "このPDFには電子署名がありません"),
        (
            "form.xml",
            b"<a>no signature</a>",
            "unsigned_xml",
            "電子署名（ds:Signature）がありません",
        ),
        ("form.xml", b"<a><b></a>", "broken_xml", "XMLとして読み取れません"),
        ("half.pdf", b"%PDF-1.7\n1 0 obj <<", "broken_pdf", "途中で切れています"),
    ],
)
def test_files_that_cannot_be_verified_are_said_plainly(
    web: Browser, name: str, data: bytes, code: str, text: str
) -> None:
    r = post(web, name, data)
    assert r.status_code == 422
    assert f'data-code="{code}"' in r.text
    assert text in r.text
    assert "Traceback" not in r.text


def test_a_detached_cms_signature_is_for_the_command_line(web: Browser) -> None:
    p7s = sign_cms(b"data", make_card(make_ca("cms CA")))
    r = post(web, "data.p7s", p7s)
    assert r.status_code == 422
    assert 'data-code="format_not_accepted"' in r.text


def test_no_file_no_token_and_too_large(web: Browser, foreign_pdf: bytes) -> None:
    empty = web.client.post(
        "/verify",
        data={"csrf_token": csrf_of(web.get("/verify").text)},
        files={"document": ("", b"", "application/octet-stream")},
    )
    assert empty.status_code == 422
    assert 'data-code="no_document"' in empty.text
    forged = post(web, "signed.pdf", foreign_pdf, token="forged")
    assert forged.status_code == 403
    large = post(web, "big.pdf", b"%PDF-1.7\n" + bytes(MAX_VERIFY_BODY))
    assert large.status_code == 413
    assert "10 MB までのファイルです" in large.text


def test_english_through_the_catalog(web: Browser, foreign_pdf: bytes) -> None:
    r = post(web, "signed.pdf", foreign_pdf, lang="?lang=en")
    assert "This signature is not valid" in r.text
    assert "It cannot be confirmed that the signer" in r.text
    assert "Signer (the four basic facts in the certificate)" in r.text
    signer = r.text.split('data-testid="signer"')[1].split("</dl>")[0]
    assert "Female" in signer
    assert "July 1, 1985" in signer


def test_an_upload_below_the_limit_stays_in_memory() -> None:
    """Starlette spools files over 1 MB to a temporary file; this parser never does."""
    body = (
        b'--b\r\nContent-Disposition: form-data; name="document"; filename="big.pdf"\r\n'
        b"Content-Type: application/pdf\r\n\r\n"
        + b"%PDF"
        + bytes(9 * 1024 * 1024)
        + b"\r\n--b--\r\n"
    )

    async def stream():  # type: ignore[no-untyped-def]
        for start in range(0, len(body), 65536):
            yield body[start : start + 65536]

    async def parse() -> UploadFile:
        headers = Headers({"content-type": "multipart/form-data; boundary=b"})
        form = await _InMemoryParser(headers, stream(), max_files=1).parse()
        upload = form["document"]
        assert isinstance(upload, UploadFile)
        return upload

    upload = asyncio.run(parse())
    assert upload.file._rolled is False  # type: ignore[attr-defined]
    assert upload.size == 4 + 9 * 1024 * 1024


def test_a_form_that_is_not_an_upload(web: Browser) -> None:
    token = csrf_of(web.get("/verify").text)
    plain = web.client.post("/verify", data={"csrf_token": token})
    assert plain.status_code == 422
    assert 'data-code="no_document"' in plain.text
    assert web.client.post("/verify", data={"x": "1"}).status_code == 403
    no_boundary = web.client.post(
        "/verify", content=b"--b--", headers={"content-type": "multipart/form-data"}
    )
    assert no_boundary.status_code == 400
