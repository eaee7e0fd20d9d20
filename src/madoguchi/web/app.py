"""FastAPI application factory; nothing is created at import time (DESIGN.md 7)."""

from __future__ import annotations

import asyncio

from cryptography.hazmat.primitives.serialization import Encoding
from fastapi import FastAPI, HTTPException, Request, Response
from starlette.concurrency import run_in_threadpool

from madoguchi.bootstrap import Container
from madoguchi.pki.errors import PkiError
from madoguchi.pki.ocsp import decode_get_path
from madoguchi.rules.validity import CertKind

OCSP_REQUEST = "application/ocsp-request"
OCSP_RESPONSE = "application/ocsp-response"
PKIX_CRL = "application/pkix-crl"
MAX_OCSP_BODY = 8192


def _kind(name: str) -> CertKind:
    try:
        return CertKind(name)
    except ValueError:
        raise HTTPException(status_code=404, detail="unknown_ca") from None


def create_app(container: Container) -> FastAPI:
    app = FastAPI(
        title="madoguchi", openapi_url="/api/v1/openapi.json", docs_url=None, redoc_url=None
    )
    ca = container.ca  # loads the CAs (and renews responders) once, at start
    crl_lock = asyncio.Lock()

    @app.post("/ocsp", include_in_schema=False)
    async def ocsp_post(request: Request) -> Response:
        body = await request.body()
        if len(body) > MAX_OCSP_BODY:
            raise HTTPException(status_code=413, detail="ocsp_request_too_large")
        der = await run_in_threadpool(ca.ocsp_answer, body)
        return Response(der, media_type=OCSP_RESPONSE)

    @app.get("/ocsp/{encoded:path}", include_in_schema=False)
    async def ocsp_get(encoded: str) -> Response:
        try:
            der_request = decode_get_path(encoded)
        except PkiError:
            der_request = b""
        der = await run_in_threadpool(ca.ocsp_answer, der_request)
        return Response(
            der,
            media_type=OCSP_RESPONSE,
            headers={"Cache-Control": "max-age=300, public, no-transform, must-revalidate"},
        )

    @app.get("/crl/{name}.crl", include_in_schema=False)
    async def crl(name: str) -> Response:
        kind_name, _, part = name.partition("-")
        kind = _kind(kind_name)
        partition = None
        if part:
            if not part.isdigit():
                raise HTTPException(status_code=404, detail="unknown_crl")
            partition = int(part)
        async with crl_lock:
            data = await run_in_threadpool(ca.current_crl, kind, partition)
        return Response(data, media_type=PKIX_CRL)

    @app.get("/ca/{name}-ca.der", include_in_schema=False)
    async def ca_cert(name: str) -> Response:
        kind = _kind(name)
        return Response(
            ca.authorities[kind].cert.public_bytes(Encoding.DER), media_type="application/pkix-cert"
        )

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
