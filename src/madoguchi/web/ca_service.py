"""The CA service's two applications (issue 17, R-NAT-1): `madoguchi ca serve`.

- The RA API (``/ra/v1``, HTTPS with mutual TLS; web/ca_tls.py): what the municipalities'
  counters ask of the CA — issue, hold and revoke, a certificate's status, a card's
  certificates, the CA certificates, a card's move-out and move-in (R-NAT-3), its holder
  for the CA operator's expiry notices (R-NAT-2). The caller is the municipality of the client
  certificate the handshake verified (the CA's own record of it, by serial). JSON; an error
  is ``{"detail": code}`` with the status of web/errors.py.
- The public application (plain HTTP): OCSP (RFC 6960, RFC 5019 GET), the CRLs and the CA
  certificates, for relying parties.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from fastapi import Body, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp

from madoguchi.bootstrap import Container
from madoguchi.card.errors import CardError
from madoguchi.pki.errors import PkiError
from madoguchi.rules.errors import RuleError
from madoguchi.rules.revocation import RevocationReason, StatusChange
from madoguchi.rules.validity import CertKind
from madoguchi.services import ca_wire
from madoguchi.services.domain import ServiceError
from madoguchi.services.ports import HolderRecord
from madoguchi.services.ra_desk import RaDesk
from madoguchi.web import pki_routes
from madoguchi.web.errors import code_of, status_of

log = logging.getLogger("madoguchi.ca_service")

#: where web/ca_tls.py puts the verified client certificate (ASGI's TLS extension)
TLS_EXTENSION = "tls"


def _client_serial(request: Request) -> int:
    tls = request.scope.get("extensions", {}).get(TLS_EXTENSION, {})
    chain = tls.get("client_cert_chain") or []
    if not chain:  # the handshake requires one: this is a misconfigured server
        raise HTTPException(status_code=401, detail="client_certificate_required")
    return x509.load_pem_x509_certificate(chain[0].encode()).serial_number


def _kind(name: str) -> CertKind:
    try:
        return CertKind(name)
    except ValueError:
        raise HTTPException(status_code=404, detail="unknown_ca") from None


def _serial(text: str) -> int:
    try:
        return int(text, 16)
    except ValueError:
        raise HTTPException(status_code=422, detail="invalid_serial") from None


def _holder(data: object, municipality: str, card_id: str) -> HolderRecord | None:
    """A holder record of the body (None when there is none); 422 when malformed or about
    another card than the path's."""
    if data is None:
        return None
    try:
        if not isinstance(data, dict):
            raise TypeError("a holder is an object")
        holder = ca_wire.holder_of(data, municipality)
    except (KeyError, ValueError, TypeError):
        raise HTTPException(status_code=422, detail="malformed_request") from None
    if holder.card_id != card_id:
        raise HTTPException(status_code=422, detail="malformed_request")
    return holder


def create_ra_app(container: Container) -> FastAPI:
    """The RA API: ``/ra/v1/…`` (the caller already authenticated by mutual TLS)."""
    app = FastAPI(title="madoguchi CA service — RA API", docs_url=None, redoc_url=None)
    desk = RaDesk(container.ca)
    api = ca_wire.API

    @app.exception_handler(RuleError)
    @app.exception_handler(PkiError)
    @app.exception_handler(CardError)
    @app.exception_handler(ServiceError)
    async def layer_error(request: Request, exc: Exception) -> JSONResponse:
        log.info("RA API refused %s: %s", request.url.path, code_of(exc))
        return JSONResponse({"detail": code_of(exc)}, status_code=status_of(exc))

    def caller(request: Request) -> str:
        try:
            return desk.caller(_client_serial(request))
        except ServiceError as exc:  # unknown or revoked credential: the handshake let it by
            raise HTTPException(status_code=403, detail=exc.code) from None

    @app.get(api + "/whoami")
    def whoami(request: Request) -> dict[str, Any]:
        return {"municipality": caller(request)}

    @app.post(api + "/issue")
    def issue(request: Request, body: dict[str, Any] = Body(...)) -> dict[str, Any]:  # noqa: B008
        municipality = caller(request)
        try:
            order = ca_wire.order_of(body, municipality)
        except (KeyError, ValueError, TypeError):
            raise HTTPException(status_code=422, detail="malformed_request") from None
        if not order.requests or not order.idempotency_key or len(order.idempotency_key) > 64:
            raise HTTPException(status_code=422, detail="malformed_request")
        records = desk.issue(order)
        return {"certificates": [ca_wire.record_json(r) for r in records]}

    @app.get(api + "/orders/{key}")
    def order(request: Request, key: str) -> dict[str, Any]:
        records = desk.order(caller(request), key)
        return {"key": key, "certificates": [ca_wire.record_json(r) for r in records]}

    @app.post(api + "/certificates/{kind}/{serial}/{action}")
    def change(
        request: Request,
        kind: str,
        serial: str,
        action: str,
        body: dict[str, Any] = Body(default_factory=dict),  # noqa: B008
    ) -> dict[str, Any]:
        municipality = caller(request)
        changes = {"hold": StatusChange.HOLD, "revoke": StatusChange.REVOKE}
        if action not in changes:
            raise HTTPException(status_code=404, detail="unknown_action")
        try:
            reason = RevocationReason(int(body.get("reason", 0)))
        except (ValueError, TypeError):
            raise HTTPException(status_code=422, detail="invalid_reason") from None
        if changes[action] is StatusChange.HOLD:
            reason = RevocationReason.CERTIFICATE_HOLD
        record = desk.change_status(
            municipality, _kind(kind), _serial(serial), changes[action], reason
        )
        return {"certificate": ca_wire.record_json(record)}

    @app.get(api + "/certificates/{kind}/{serial}")
    def status(request: Request, kind: str, serial: str) -> dict[str, Any]:
        caller(request)
        record = desk.status(_kind(kind), _serial(serial))
        return {"certificate": ca_wire.record_json(record)}

    @app.get(api + "/cards/{card_id}/certificates")
    def card(request: Request, card_id: str) -> dict[str, Any]:
        caller(request)
        return {
            "certificates": [ca_wire.record_json(r) for r in desk.certificates_of_card(card_id)]
        }

    @app.post(api + "/cards/{card_id}/move-out")
    def move_out(
        request: Request,
        card_id: str,
        body: dict[str, Any] = Body(...),  # noqa: B008
    ) -> dict[str, Any]:
        municipality = caller(request)
        try:
            planned = date.fromisoformat(str(body["planned_move_out"]))
        except (KeyError, ValueError):
            raise HTTPException(status_code=422, detail="malformed_request") from None
        residence = desk.moves.move_out(municipality, card_id, planned)
        return {"residence": ca_wire.residence_json(residence)}

    @app.post(api + "/cards/{card_id}/move-in")
    def move_in(
        request: Request,
        card_id: str,
        body: dict[str, Any] = Body(default_factory=dict),  # noqa: B008
    ) -> dict[str, Any]:
        municipality = caller(request)
        holder = _holder(body.get("holder"), municipality, card_id)
        records = desk.moves.move_in(municipality, card_id, holder)
        return {"certificates": [ca_wire.record_json(r) for r in records]}

    @app.put(api + "/cards/{card_id}/holder")
    def holder(
        request: Request,
        card_id: str,
        body: dict[str, Any] = Body(...),  # noqa: B008
    ) -> dict[str, Any]:
        told = _holder(body, caller(request), card_id)
        if told is None:
            raise HTTPException(status_code=422, detail="malformed_request")
        desk.tell_holder(told)
        return {"card_id": card_id}

    @app.get(api + "/ca/{kind}")
    def ca_certificate(request: Request, kind: str) -> dict[str, Any]:
        caller(request)
        cert = container.authorities[_kind(kind)].cert
        return {"kind": kind, "der": ca_wire.b64(cert.public_bytes(Encoding.DER))}

    return app


def create_public_app(container: Container) -> ASGIApp:
    """OCSP, CRLs and CA certificates over plain HTTP (what the counters served before)."""
    app = FastAPI(title="madoguchi CA service — public", docs_url=None, redoc_url=None)
    app.state.container = container
    app.include_router(pki_routes.router())

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return pki_routes.OcspEndpoint(app, container.ocsp)
