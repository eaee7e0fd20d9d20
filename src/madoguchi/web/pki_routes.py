"""The PKI endpoints relying parties use: OCSP (POST and RFC 5019 GET), CRLs, CA certificates."""

from __future__ import annotations

import asyncio

from cryptography.hazmat.primitives.serialization import Encoding
from fastapi import APIRouter, HTTPException, Request, Response
from starlette.concurrency import run_in_threadpool

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


def router() -> APIRouter:
    r = APIRouter(include_in_schema=False)
    crl_lock = asyncio.Lock()

    @r.post("/ocsp")
    async def ocsp_post(request: Request) -> Response:
        body = await request.body()
        if len(body) > MAX_OCSP_BODY:
            raise HTTPException(status_code=413, detail="ocsp_request_too_large")
        der = await run_in_threadpool(request.app.state.container.ca.ocsp_answer, body)
        return Response(der, media_type=OCSP_RESPONSE)

    @r.get("/ocsp/{encoded:path}")
    async def ocsp_get(request: Request, encoded: str) -> Response:
        try:
            der_request = decode_get_path(encoded)
        except PkiError:
            der_request = b""
        der = await run_in_threadpool(request.app.state.container.ca.ocsp_answer, der_request)
        return Response(
            der,
            media_type=OCSP_RESPONSE,
            headers={"Cache-Control": "max-age=300, public, no-transform, must-revalidate"},
        )

    @r.get("/crl/{name}.crl")
    async def crl(request: Request, name: str) -> Response:
        kind_name, _, part = name.partition("-")
        kind = _kind(kind_name)
        partition = None
        if part:
            if not part.isdigit():
                raise HTTPException(status_code=404, detail="unknown_crl")
            partition = int(part)
        async with crl_lock:
            data = await run_in_threadpool(
                request.app.state.container.ca.current_crl, kind, partition
            )
        return Response(data, media_type=PKIX_CRL)

    @r.get("/ca/{name}-ca.der")
    async def ca_cert(request: Request, name: str) -> Response:
        kind = _kind(name)
        ca = request.app.state.container.ca
        return Response(
            ca.authorities[kind].cert.public_bytes(Encoding.DER), media_type="application/pkix-cert"
        )

    return r
