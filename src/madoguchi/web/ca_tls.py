"""`madoguchi ca serve`'s two listeners (issue 17): the RA API over HTTPS with mutual TLS,
and the public OCSP/CRL/CA-certificate application over plain HTTP, in one event loop.

Mutual TLS: a client must present a certificate of the RA-CA (`ca enroll-ra`) that is not on
the RA-CA's CRL. The CRL is checked in the handshake (``VERIFY_CRL_CHECK_LEAF``). `ca
revoke-ra` — on any host, through any process over the same store — writes a new CRL into the
store and moves its counter; at every ClientHello (the SNI callback, which OpenSSL calls with
or without a server name) the server reads that counter (one small ``SELECT``) and, when it
moved, writes the new CRL to its own file, builds a new TLS context with it and moves the
connection onto it — so a revoked credential is refused at once by every `ca serve` process,
without a restart.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import threading
from collections.abc import Callable
from typing import Any

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from madoguchi.services.ra_enrolment import ServerTls

log = logging.getLogger("madoguchi.ca_service")


class TlsContexts:
    """The server's TLS context, rebuilt when the RA-CA's CRL file changes."""

    def __init__(self, tls: ServerTls) -> None:
        self.tls = tls
        self._lock = threading.Lock()
        self._generation = tls.refresh()  # the number of the CRL in the file: the counter's
        self.base = self._build()
        self.current = self.base

    def _build(self) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(
            str(self.tls.cert_file), str(self.tls.key_file), password=self.tls.key_password
        )
        ctx.load_verify_locations(cafile=str(self.tls.client_ca_file))
        ctx.load_verify_locations(cafile=str(self.tls.crl_file))  # PEM: the CRL is loaded too
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.verify_flags |= ssl.VERIFY_CRL_CHECK_LEAF | ssl.VERIFY_X509_STRICT
        ctx.set_alpn_protocols(["http/1.1"])
        ctx.sni_callback = self._on_hello
        return ctx

    def fresh(self) -> ssl.SSLContext:
        """The context with the newest CRL (rebuilt only when the store's CRL changed)."""
        with self._lock:
            try:
                generation = self.tls.generation()
            except Exception:  # the store unreachable: the requests fail behind anyway
                log.exception("RA-CA CRL counter not read")
                return self.current
            if generation != self._generation:
                try:
                    self._generation = self.tls.refresh()
                    self.current = self._build()
                    log.info("RA-CA CRL reloaded (%d)", self._generation)
                except Exception:
                    log.exception("RA-CA CRL not reloaded")
            return self.current

    def _on_hello(self, conn: Any, server_name: str | None, ctx: ssl.SSLContext) -> None:
        fresh = self.fresh()
        if fresh is not ctx:
            conn.context = fresh
        return None


class ClientCertProtocol(H11Protocol):
    """h11, with the verified client certificate in the ASGI scope (the TLS extension)."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        sslobj = transport.get_extra_info("ssl_object")
        der = sslobj.getpeercert(binary_form=True) if sslobj is not None else None
        if der:
            pem = ssl.DER_cert_to_PEM_cert(der)
            self.app = _with_client_cert(self.app, pem)


def _with_client_cert(app: ASGIApp, pem: str) -> ASGIApp:
    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        scope.setdefault("extensions", {})["tls"] = {"client_cert_chain": [pem]}
        await app(scope, receive, send)

    return wrapped


def serve(
    ra_app: ASGIApp,
    public_app: ASGIApp,
    *,
    host: str,
    port: int,
    public_port: int,
    tls: ServerTls,
    on_ready: Callable[[], None],
    log_config: dict[str, Any] | None = None,
) -> None:
    """Run both listeners until interrupted; ``on_ready`` once both accept connections."""
    contexts = TlsContexts(tls)
    common: dict[str, Any] = {
        "host": host,
        "log_level": "warning",
        "access_log": False,
        "log_config": log_config,
        "lifespan": "off",
    }
    ra = uvicorn.Server(
        uvicorn.Config(
            ra_app,
            port=port,
            http=ClientCertProtocol,
            ssl_context_factory=lambda config, default: contexts.base,
            **common,
        )
    )
    public = uvicorn.Server(uvicorn.Config(public_app, port=public_port, **common))

    async def main() -> None:
        tasks = [asyncio.create_task(ra.serve()), asyncio.create_task(public.serve())]
        while not (ra.started and public.started):
            if any(t.done() for t in tasks):
                break
            await asyncio.sleep(0.05)
        if ra.started and public.started:
            on_ready()
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        ra.should_exit = public.should_exit = True
        await asyncio.gather(*tasks, return_exceptions=True)
        for task in done:
            if task.exception() is not None:
                raise task.exception()  # type: ignore[misc]

    asyncio.run(main())
