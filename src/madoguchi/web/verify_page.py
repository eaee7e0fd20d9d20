"""The public page ``/verify``: is this signed PDF or XML valid, and who signed it?

A resident or a relying party uploads a signed PDF or XML; the page shows the same verdict
as ``madoguchi verify`` (madoguchi.relying): valid or not and why, the signer's four facts
with the era dates, the signing time, the certificate's status now and at signing, and
whether the document changed after signing — in plain Japanese, English through the catalog.

Nothing is stored: the upload is refused by its ``Content-Length`` before anything is read
when it is larger than :data:`MAX_VERIFY_BODY`; below that it is parsed into memory only
(the multipart parser's spool never rolls over to a temporary file), verified, and dropped
with the request. Nothing of it is logged; the answer is ``Cache-Control: no-store``.

Why 10 MB (:data:`~madoguchi.relying.errors.MAX_DOCUMENT_BYTES`): pyHanko and lxml hold the
whole file in memory several times over while they parse and hash it, in a worker thread
of the one service that also answers OCSP; signed forms and letters are well below a
megabyte. The limit is the same for the CLI, so the page and the command agree.
"""

from __future__ import annotations

import hmac
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from madoguchi.relying.errors import MAX_DOCUMENT_BYTES, RelyingError
from madoguchi.relying.messages import STATUS_LABELS
from madoguchi.web.security import CSRF_COOKIE, CsrfFailed, checked_form, resolve_staff
from madoguchi.web.templating import render

#: the whole multipart body: the file plus the CSRF token and the part headers
MAX_VERIFY_BODY = MAX_DOCUMENT_BYTES + 16 * 1024
NO_STORE = {"Cache-Control": "no-store"}
ACCEPTED = frozenset({"pdf", "xml"})


class _InMemoryParser(MultiPartParser):
    """Starlette's multipart parser with a spool as large as the limit: never on disk."""

    spool_max_size = MAX_VERIFY_BODY + 1


class _TooLarge(Exception):
    pass


async def _limited(request: Request) -> AsyncGenerator[bytes, None]:
    """The request body, cut off past the limit (a sender whose Content-Length lied)."""
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_VERIFY_BODY:
            raise _TooLarge()
        yield chunk


def _csrf_ok(request: Request, sent: object) -> bool:
    """The same double-submit check as every public form (web/security.py)."""
    ctx = resolve_staff(request)
    expected = ctx.session.csrf if ctx and ctx.session else request.cookies.get(CSRF_COOKIE)
    return isinstance(sent, str) and bool(expected) and hmac.compare_digest(sent, expected or "")


@dataclass(frozen=True, slots=True)
class CheckView:
    label: str
    at: Any  # datetime
    revoked_at: Any  # datetime | None
    status: str


def _check(check: Any) -> CheckView | None:
    if check is None:
        return None
    label = STATUS_LABELS.get(check.status, check.status)
    return CheckView(label, check.moment, check.revoked_at, check.status)


def _views(verdict: Any) -> list[dict[str, Any]]:
    return [
        {
            "valid": s.valid,
            "reason": s.reason or "valid",
            "message": s.message,
            "signer": s.signer,
            "certificate": s.certificate,
            "signed_at": s.signed_at,
            "now": _check(s.now),
            "at_signing": _check(s.at_signing),
            "modified": s.modified,
            "field": s.field_name,
            "format": s.format,
        }
        for s in verdict.signatures
    ]


def _page(request: Request, status: int = 200, **context: Any) -> Response:
    values: dict[str, Any] = {"verdict": None, "signatures": [], "error": None}
    values.update(context)
    response = render(request, "public/verify.html", values, status_code=status)
    response.headers.update(NO_STORE)
    return response


def _anchors(request: Request) -> list[Any]:
    authorities = request.app.state.container.authorities
    return [authority.cert for authority in authorities.values()]


def router() -> APIRouter:
    r = APIRouter(include_in_schema=False)

    @r.get("/verify")
    def verify_form(request: Request) -> Response:
        return _page(request)

    @r.post("/verify")
    async def verify(request: Request) -> Response:
        length = request.headers.get("content-length", "")
        if not length.isdigit() or int(length) > MAX_VERIFY_BODY:
            # refused before the body is read: a big upload is never received
            return _page(request, 413, error="file_too_large")
        if not request.headers.get("content-type", "").startswith("multipart/form-data"):
            await checked_form(request)  # a form without a file: the token, then "choose one"
            return _page(request, 422, error="no_document")
        parser = _InMemoryParser(
            request.headers, _limited(request), max_files=1, max_fields=4, max_part_size=16 * 1024
        )
        try:
            form = await parser.parse()
        except _TooLarge:
            return _page(request, 413, error="file_too_large")
        except (MultiPartException, KeyError):  # KeyError: a multipart type without boundary
            return _page(request, 400, error="invalid_request")
        try:
            if not _csrf_ok(request, form.get("csrf_token")):
                raise CsrfFailed()
            upload = form.get("document")
            if not isinstance(upload, UploadFile) or not upload.filename:
                return _page(request, 422, error="no_document")
            data = await upload.read(MAX_DOCUMENT_BYTES + 1)
        finally:
            await form.close()
        from madoguchi.relying.verify import verify_document

        try:
            verdict = await run_in_threadpool(
                verify_document, data, anchors=_anchors(request), formats=ACCEPTED
            )
        except RelyingError as exc:
            code = "format_not_accepted" if exc.code == "unknown_format" else exc.code
            return _page(request, 422, error=code)
        return _page(request, verdict=verdict, signatures=_views(verdict))

    return r
