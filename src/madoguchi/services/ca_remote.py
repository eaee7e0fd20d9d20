"""The CA service across the network (issue 17): HTTPS with mutual TLS, httpx.

The counter presents the client certificate of ``madoguchi ca enroll-ra`` (the directory
MADOGUCHI_RA_CREDENTIALS) and trusts only the CA service's TLS-CA (its ``ca-tls.pem``). The
CA commits what it signs or revokes; the counter records its copy — the registration
authority's records — in its own unit of work. A CA that cannot be reached is
:class:`CaUnavailable` (503, ``ca_unreachable``), never a traceback.
"""

from __future__ import annotations

import logging
import ssl
import threading
from datetime import date
from pathlib import Path
from typing import Any

import httpx

from madoguchi.pki.errors import PkiError, UnknownCertificate
from madoguchi.pki.records import CertRecord
from madoguchi.rules.revocation import RevocationReason, StatusChange
from madoguchi.rules.validity import CertKind
from madoguchi.services import ca_wire
from madoguchi.services.domain import CaUnavailable, NotFound, Refused
from madoguchi.services.ports import HolderRecord, IssueOrder, UnitOfWork, UowFactory

log = logging.getLogger("madoguchi.ra")

TIMEOUT = httpx.Timeout(15.0, connect=5.0)
CLIENT_CERT, CLIENT_KEY, TRUST_ANCHOR = "client.pem", "client.key", "ca-tls.pem"


class RemoteCa:
    """:class:`~madoguchi.services.ports.ca.CertificateAuthority` over the RA API."""

    def __init__(
        self, url: str, credentials: Path, municipality: str, uow_factory: UowFactory
    ) -> None:
        self.url = url.rstrip("/")
        self.credentials = credentials
        self._municipality = municipality
        self.uow_factory = uow_factory
        self._client: httpx.Client | None = None
        self._lock = threading.Lock()
        self._ca_certs: dict[CertKind, bytes] = {}

    @property
    def municipality(self) -> str:
        return self._municipality

    # -- the connection --------------------------------------------------------------------
    def client(self) -> httpx.Client:
        with self._lock:
            if self._client is None:
                files = [self.credentials / n for n in (CLIENT_CERT, CLIENT_KEY, TRUST_ANCHOR)]
                if not all(f.is_file() for f in files):
                    raise CaUnavailable(
                        "ra_credentials_missing", f"no RA credentials in {self.credentials}"
                    )
                context = ssl.create_default_context(cafile=str(files[2]))
                context.load_cert_chain(str(files[0]), str(files[1]))
                self._client = httpx.Client(base_url=self.url, verify=context, timeout=TIMEOUT)
            return self._client

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        try:
            response = self.client().request(method, ca_wire.API + path, json=body)
        except httpx.TransportError as exc:
            text = str(exc)
            if "CERTIFICATE_VERIFY_FAILED" in text:  # the service's certificate, not ours
                log.error("the CA service's TLS certificate is not trusted: %s", text)
                raise CaUnavailable("ca_error", text) from None
            if "alert" in text.lower() or "certificate" in text.lower():
                log.error("the CA service refused this RA's credential: %s", text)
                raise CaUnavailable("ca_refused_credentials", text) from None
            log.error("the CA service at %s is unreachable: %s", self.url, text)
            raise CaUnavailable("ca_unreachable", f"{self.url}: {text}") from None
        try:
            data = response.json()
        except ValueError:
            data = None
        if response.status_code == 200 and data is not None:
            return data
        detail = data.get("detail") if isinstance(data, dict) else None
        if not isinstance(detail, str):
            log.error("the CA service answered %s", response.status_code)
            raise CaUnavailable("ca_error", f"HTTP {response.status_code} from the CA")
        if response.status_code == 404 and detail in ("unknown_certificate", "unknown_order"):
            raise NotFound(detail, path)
        if response.status_code in (404, 409):
            raise Refused(detail, f"the CA refused: {detail}")
        if response.status_code == 422:
            raise PkiError(detail, f"the CA refused the request: {detail}")
        raise CaUnavailable("ca_error", f"HTTP {response.status_code} {detail} from the CA")

    def ping(self) -> str:
        """The municipality the CA service knows this counter as (readiness, /readyz)."""
        return str(self._call("GET", "/whoami")["municipality"])

    # -- the port ---------------------------------------------------------------------------
    def ca_certificate(self, kind: CertKind) -> bytes:
        if kind not in self._ca_certs:
            data = self._call("GET", f"/ca/{kind.value}")
            self._ca_certs[kind] = ca_wire.unb64(data["der"])
        return self._ca_certs[kind]

    def issue_in(self, uow: UnitOfWork, order: IssueOrder) -> list[CertRecord]:
        data = self._call("POST", "/issue", ca_wire.order_json(order))
        records = [ca_wire.record_of(item) for item in data["certificates"]]
        known = [r for r in records if uow.pki.certificate(r.kind, r.serial) is None]
        uow.pki.add_certificates(known)  # the registration authority's copy
        return records

    def change_status_in(
        self,
        uow: UnitOfWork,
        kind: CertKind,
        serial: int,
        change: StatusChange,
        reason: RevocationReason,
    ) -> CertRecord:
        action = "hold" if change is StatusChange.HOLD else "revoke"
        try:
            data = self._call(
                "POST", f"/certificates/{kind.value}/{serial:x}/{action}", {"reason": int(reason)}
            )
        except NotFound:
            raise UnknownCertificate(kind.value, serial) from None
        record = ca_wire.record_of(data["certificate"])
        assert record.status_changed_at is not None
        uow.pki.set_status(
            kind,
            serial,
            record.status,
            record.status_changed_at,
            record.reason,
            None,
            record.status_municipality,
        )
        return record

    def status(self, kind: CertKind, serial: int) -> CertRecord | None:
        try:
            data = self._call("GET", f"/certificates/{kind.value}/{serial:x}")
        except NotFound:
            return None
        return ca_wire.record_of(data["certificate"])

    def certificates_of_card(self, card_id: str) -> list[CertRecord]:
        data = self._call("GET", f"/cards/{card_id}/certificates")
        return [ca_wire.record_of(item) for item in data["certificates"]]

    @property
    def separate_store(self) -> bool:
        return True

    def order(self, key: str) -> list[CertRecord] | None:
        try:
            data = self._call("GET", f"/orders/{key}")
        except NotFound:
            return None
        return [ca_wire.record_of(item) for item in data["certificates"]]

    # -- moves between municipalities (R-NAT-3) ----------------------------------------------
    @property
    def keeps_move_deadlines(self) -> bool:
        return True  # the CA service runs the 30-day rule (`madoguchi ca run-deadlines`)

    def notify_move_out(self, card_id: str, planned_move_out: date) -> None:
        self._call(
            "POST",
            f"/cards/{card_id}/move-out",
            {"planned_move_out": planned_move_out.isoformat()},
        )

    def claim_move_in_in(
        self, uow: UnitOfWork, card_id: str, holder: HolderRecord | None = None
    ) -> list[CertRecord]:
        body = {"holder": ca_wire.holder_json(holder)} if holder is not None else {}
        data = self._call("POST", f"/cards/{card_id}/move-in", body)
        records = [ca_wire.record_of(item) for item in data["certificates"]]
        uow.pki.add_certificates(
            [r for r in records if uow.pki.certificate(r.kind, r.serial) is None]
        )  # the registration authority's copies of what the old municipality had issued
        return records

    # -- the holders of the CA operator's expiry notices (R-NAT-2) -----------------------------
    def tell_holder(self, holder: HolderRecord) -> None:
        self._call("PUT", f"/cards/{holder.card_id}/holder", ca_wire.holder_json(holder))
