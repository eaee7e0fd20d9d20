"""The PKI endpoints relying parties use: OCSP (POST and RFC 5019 GET), CRLs, CA certificates.

OCSP is a plain ASGI application in front of FastAPI (:class:`OcspEndpoint`): a relying
party's request for an answer kept in memory is answered on the event loop — no routing, no
middleware, no thread hop, no session — and only the rest goes to a worker thread
(``OcspResponder.answer``: parse, the store, maybe a signature).
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp as x509_ocsp
from fastapi import APIRouter, HTTPException, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from madoguchi.pki.errors import PkiError
from madoguchi.pki.ocsp import decode_get_path, error_response
from madoguchi.rules.validity import CertKind
from madoguchi.services.crl_service import ServedCrl
from madoguchi.services.ocsp_service import OcspResponder

log = logging.getLogger("madoguchi.ocsp")

OCSP_REQUEST = "application/ocsp-request"
OCSP_RESPONSE = "application/ocsp-response"
PKIX_CRL = "application/pkix-crl"
MAX_OCSP_BODY = 8192
#: a partition number in a CRL's name: what a certificate's distribution point can name
PARTITION = re.compile(r"0|[1-9][0-9]{0,8}")
#: RFC 5019 §6: GET answers may be cached by HTTP proxies
GET_CACHE_CONTROL = b"max-age=300, public, no-transform, must-revalidate"


class OcspEndpoint:
    """``POST /ocsp`` and ``GET /ocsp/{base64}``; everything else goes on to ``app``."""

    def __init__(self, app: ASGIApp, responder: OcspResponder) -> None:
        self.app = app
        self._responder = responder

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path != "/ocsp" and not path.startswith("/ocsp/"):
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        if method == "POST" and path == "/ocsp":
            body = await _read_body(receive, MAX_OCSP_BODY)
            if body is None:
                await _send(send, 413, b"ocsp_request_too_large", b"text/plain")
                return
            await self._answer(send, body, [])
        elif method == "GET" and path.startswith("/ocsp/"):  # empty: malformedRequest
            try:
                request_der = decode_get_path(path[len("/ocsp/") :])  # already %-decoded
            except PkiError:
                request_der = b""
            await self._answer(send, request_der, [(b"cache-control", GET_CACHE_CONTROL)])
        else:
            await _send(send, 405, b"method_not_allowed", b"text/plain", [(b"allow", b"GET, POST")])

    async def _answer(self, send: Send, request_der: bytes, headers: list[Any]) -> None:
        responder = self._responder
        try:
            der = responder.from_memory(request_der)
            if der is None:
                der = await run_in_threadpool(responder.answer, request_der)
        except Exception:  # the store is down…: an OCSP error, never a traceback
            log.exception("OCSP answer failed")
            responder.on_answer("error")
            der = error_response(x509_ocsp.OCSPResponseStatus.INTERNAL_ERROR)
            headers = []
        await _send(send, 200, der, OCSP_RESPONSE.encode(), headers)


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The request body, or None when it is larger than ``limit``."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b""
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _send(
    send: Send, status: int, body: bytes, media_type: bytes, headers: list[Any] | None = None
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", media_type),
                (b"content-length", str(len(body)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def crl_cache_control(served: ServedCrl) -> str:
    """Caches may keep a CRL until its nextUpdate, not after (issue 14, item 3)."""
    return f"max-age={served.max_age}, public, no-transform"


def _kind(name: str) -> CertKind:
    try:
        return CertKind(name)
    except ValueError:
        raise HTTPException(status_code=404, detail="unknown_ca") from None


def router() -> APIRouter:
    r = APIRouter(include_in_schema=False)
    crl_lock = asyncio.Lock()

    @r.get("/crl/{name}.crl")
    async def crl(request: Request, name: str) -> Response:
        kind_name, dash, part = name.partition("-")
        kind = _kind(kind_name)
        partition = None
        if dash:  # a partition: ASCII digits only, no sign, no leading zeros, a sane size
            if not PARTITION.fullmatch(part):
                raise HTTPException(status_code=404, detail="unknown_crl")
            partition = int(part)
        crls = request.app.state.container.crls
        async with crl_lock:
            served = await run_in_threadpool(crls.served, kind, partition)
        if served is None:  # above the highest partition in use: nothing is signed
            raise HTTPException(status_code=404, detail="unknown_crl")
        return Response(
            served.data, media_type=PKIX_CRL, headers={"Cache-Control": crl_cache_control(served)}
        )

    @r.get("/ca/{name}-ca.der")
    async def ca_cert(request: Request, name: str) -> Response:
        kind = _kind(name)
        authorities = request.app.state.container.authorities
        return Response(
            authorities[kind].cert.public_bytes(Encoding.DER), media_type="application/pkix-cert"
        )

    return r
