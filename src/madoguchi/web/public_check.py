"""The public certificate check (R-PROC-7): a certificate file, or the copy's kind and
serial — never a lookup by name, My Number or phone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from madoguchi.pki.errors import PkiError
from madoguchi.pki.facts import GENDER_LABELS
from madoguchi.rules.validity import CertKind
from madoguchi.services.certview import (
    MAX_CERT_BYTES,
    StatusView,
    describe,
    load_certificate,
    status_by_serial,
    status_of,
)
from madoguchi.web.public import NO_STORE, site_of
from madoguchi.web.security import checked_form
from madoguchi.web.templating import render

#: The whole multipart body of the check form: the file plus the token and two short fields.
MAX_CHECK_BODY = MAX_CERT_BYTES + 8 * 1024
_HEX = re.compile(r"[0-9a-f]{1,40}")


STATUS_LABELS = {
    "good": "有効",
    "revoked": "失効",
    "held": "一時保留",
    "expired": "期限切れ",
    "unknown": "この認証局が発行したものではありません",
    "superseded": "更新により失効（新しい電子証明書があります）",
}


class CheckInputError(Exception):
    def __init__(self, code: str, status: int = 422) -> None:
        super().__init__(code)
        self.code = code
        self.status = status


def parse_serial(text: str) -> int:
    """The serial as the copy prints it: hex, spaces and colons allowed, ``0x`` optional."""
    cleaned = re.sub(r"[\s:]", "", text).lower().removeprefix("0x")
    if not _HEX.fullmatch(cleaned):
        raise CheckInputError("bad_serial")
    return int(cleaned, 16)


@dataclass(frozen=True, slots=True)
class CheckResult:
    view: StatusView
    kind_label: str
    source: str  # "file" or "copy"
    holder: dict[str, Any] | None  # the four facts of an uploaded sign certificate

    @property
    def status(self) -> str:
        """The status shown: a certificate replaced by a renewal is not an alarm (R-VAL-4)."""
        return "superseded" if self.view.superseded else self.view.status

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


def _holder_facts(info: dict[str, Any]) -> dict[str, Any] | None:
    if info["kind"] != CertKind.SIGN.value or not info["name"]:
        return None
    return {
        "name": info["name"],
        "birth": info["birth"],
        "gender": GENDER_LABELS.get(info["gender"], info["gender"]),
        "address": info["address"],
        # R-X509-2: the substitute form is what the certificate carries; which characters
        # are substitutes (代替文字) comes from the position fields
        "name_positions": info["name_positions"],
        "address_positions": info["address_positions"],
        "name_substituted": substituted_labels(info["name_substituted"]),
        "address_substituted": substituted_labels(info["address_substituted"]),
    }


def substituted_labels(marked: list[dict[str, Any]] | None) -> list[str]:
    """R-X509-2: 「高」(1文字目) for each substitute in a field; empty when none or unread."""
    if not marked:
        return []
    return [f"「{m['character']}」（{m['index'] + 1}文字目）" for m in marked]


def check_file(ca: Any, data: bytes, today: date) -> CheckResult:
    if len(data) > MAX_CERT_BYTES:
        raise CheckInputError("upload_too_large", 413)
    cert = load_certificate(data)  # PkiError('not_a_certificate')
    info = describe(cert)
    view = status_of(ca, cert, today)
    return CheckResult(view, info["kind_label"], "file", _holder_facts(info))


def check_copy(ca: Any, kind: str, serial: str, today: date) -> CheckResult:
    if kind not in (CertKind.SIGN.value, CertKind.AUTH.value):
        raise CheckInputError("unknown_kind")
    cert_kind = CertKind(kind)
    view = status_by_serial(ca, cert_kind, parse_serial(serial), today)
    return CheckResult(view, cert_kind.label, "copy", None)


async def _uploaded(form: Any) -> bytes | None:
    upload = form.get("certificate")
    if not isinstance(upload, UploadFile) or not (upload.filename or upload.size):
        return None
    data = await upload.read(MAX_CERT_BYTES + 1)
    return data if data or upload.filename else None


def router() -> APIRouter:
    r = APIRouter(include_in_schema=False)

    @r.get("/check")
    def check_form(request: Request) -> Response:
        context = site_of(request).context()
        context.update(result=None, error=None, form={})
        return render(request, "public/check.html", context)

    @r.post("/check")
    async def check(request: Request) -> Response:
        site = await run_in_threadpool(site_of, request)
        context = site.context()
        context.update(result=None, error=None, form={})
        client = request.client.host if request.client else "-"
        wait = request.app.state.container.check_limit.check(client)
        if wait is not None:  # one client asking too often (issue 14, item 4)
            context["error"] = "too_many_requests"
            response = render(request, "public/check.html", context, status_code=429)
            response.headers["Retry-After"] = str(wait)
            return response
        length = request.headers.get("content-length", "")
        if not length.isdigit() or int(length) > MAX_CHECK_BODY:
            # refused before the body is read: a big upload never reaches the disk
            context["error"] = "upload_too_large"
            return render(request, "public/check.html", context, status_code=413)
        form = await checked_form(request)
        kind = str(form.get("kind", "") or "")[:8]
        serial = str(form.get("serial", "") or "")[:100]
        context["form"] = {"kind": kind, "serial": serial}
        ca = request.app.state.container.ca_port
        try:
            data = await _uploaded(form)
            if data is not None:
                result = await run_in_threadpool(check_file, ca, data, site.today)
            elif serial.strip():
                result = await run_in_threadpool(check_copy, ca, kind, serial, site.today)
            else:
                raise CheckInputError("no_input")
        except CheckInputError as exc:
            context["error"] = exc.code
            return render(request, "public/check.html", context, status_code=exc.status)
        except PkiError as exc:
            context["error"] = exc.code
            return render(request, "public/check.html", context, status_code=422)
        context["result"] = result
        response = render(request, "public/check.html", context)
        response.headers.update(NO_STORE)
        return response

    return r
