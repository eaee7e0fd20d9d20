"""Health, readiness and metrics of the counter's application (issue 19), in-process: the
counters of /metrics move with an issuance, OCSP answers (by their source), a revocation and
a refusal; /metrics wants the loopback or a staff token; /readyz says which check fails; each
request has an id, returned to the client and carried into the JSON log lines of the layers
below (the CA service logs the issuance with the id of the API request that caused it)."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.x509 import ocsp as x509_ocsp
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from madoguchi.bootstrap import Container
from madoguchi.observability import logs
from madoguchi.pki.ocsp import build_request
from madoguchi.rules.validity import CertKind
from madoguchi.services.audit import Actor
from tests.integration.web.test_api import (
    AUTH_PIN,
    JUKI,
    SIGN_PW,
    Api,
    new_resident,
    open_case,
)
from tests.support.web import assert_pin_absent, browser

ADMIN = Actor("admin", "main", "t")
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture
def client(fresh: Container) -> Iterator[TestClient]:
    with browser(fresh).client as c:
        yield c


@pytest.fixture
def token(fresh: Container) -> str:
    return fresh.staff.create_api_token("clerk", "prometheus", ADMIN)


def scrape(client: TestClient, token: str) -> Samples:
    r = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain; version=0.0.4")
    out: Samples = {}
    for family in text_string_to_metric_families(r.text):
        for s in family.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def ocsp_post(
    client: TestClient, c: Container, kind: CertKind, serial: int
) -> x509_ocsp.OCSPResponse:
    der = build_request(c.ca.authorities[kind], serial)
    r = client.post("/ocsp", content=der, headers={"content-type": "application/ocsp-request"})
    assert r.status_code == 200
    return x509_ocsp.load_der_ocsp_response(r.content)


def publish_crls(c: Container) -> None:
    for kind in c.ca.authorities:
        c.crls.publish(kind, io.BytesIO())


def test_counters_move_with_an_issuance_ocsp_answers_a_revocation_and_a_refusal(
    fresh: Container, client: TestClient, token: str
) -> None:
    clerk = Api(client, token)
    person = new_resident(fresh)
    before = scrape(client, token)

    case_id = open_case(clerk, "P1", person.id)["case"]["id"]
    clerk.post(
        f"/cases/{case_id}/visits", {"visit": 1, "items": ["card", "holder_pin"], "juki_pin": JUKI}
    )
    issued = clerk.post(f"/cases/{case_id}/issue", {"sign_password": SIGN_PW, "auth_pin": AUTH_PIN})
    assert issued.status_code == 200, issued.text
    serial = int(
        next(x["serial"] for x in issued.json()["certificates"] if x["kind"] == "sign"), 16
    )
    after_issue = scrape(client, token)
    for kind in ("sign", "auth"):
        assert value(after_issue, "madoguchi_certificates_issued_total", kind=kind) == (
            value(before, "madoguchi_certificates_issued_total", kind=kind) + 1
        )
    route = {"method": "POST", "route": "/api/v1/cases/{case_id}/issue"}
    for name, labels in (
        ("madoguchi_http_requests_total", {**route, "status": "200"}),
        ("madoguchi_http_request_duration_seconds_count", route),
    ):  # the registry is the process's: other tests count too, so compare with before
        assert value(after_issue, name, **labels) == value(before, name, **labels) + 1
    assert value(after_issue, "madoguchi_db_writer_wait_seconds_count") > value(
        before, "madoguchi_db_writer_wait_seconds_count"
    )  # SQLite: the issuance's transactions passed the writer gate

    def ocsp_count(samples: Samples, source: str) -> float:
        return value(samples, "madoguchi_ocsp_responses_total", source=source)

    first = ocsp_post(client, fresh, CertKind.SIGN, serial)  # never asked: signed now
    again = ocsp_post(client, fresh, CertKind.SIGN, serial)  # the same bytes: from memory
    assert first.certificate_status is again.certificate_status is x509_ocsp.OCSPCertStatus.GOOD
    after_ocsp = scrape(client, token)
    assert ocsp_count(after_ocsp, "signed") == ocsp_count(after_issue, "signed") + 1
    assert ocsp_count(after_ocsp, "memory") == ocsp_count(after_issue, "memory") + 1
    posts = {"method": "POST", "route": "/ocsp", "status": "200"}
    assert value(after_ocsp, "madoguchi_http_requests_total", **posts) == (
        value(after_issue, "madoguchi_http_requests_total", **posts) + 2
    )

    revocation = open_case(clerk, "revocation", person.id)["case"]["id"]
    assert clerk.post(f"/cases/{revocation}/revoke", {"kinds": ["sign"]}).status_code == 200
    revoked = ocsp_post(client, fresh, CertKind.SIGN, serial)  # re-read: signed at revocation
    assert revoked.certificate_status is x509_ocsp.OCSPCertStatus.REVOKED
    after_revoke = scrape(client, token)
    key = {"kind": "sign", "reason": "unspecified"}
    assert value(after_revoke, "madoguchi_certificates_revoked_total", **key) == (
        value(before, "madoguchi_certificates_revoked_total", **key) + 1
    )
    assert ocsp_count(after_revoke, "store") == ocsp_count(after_ocsp, "store") + 1
    assert ocsp_count(after_revoke, "signed") == ocsp_count(after_ocsp, "signed")

    branch = Api(client, fresh.staff.create_api_token("branch", "T9", ADMIN))
    assert branch.post("/cases", {"kind": "P1", "resident_id": person.id}).status_code == 409
    after_refusal = scrape(client, token)
    refused = {"kind": "rule", "reason": "branch_office"}
    assert value(after_refusal, "madoguchi_refusals_total", **refused) == (
        value(after_revoke, "madoguchi_refusals_total", **refused) + 1
    )
    assert value(after_refusal, "madoguchi_store_up") == 1


def test_store_facts_notices_crls_checkpoints_and_backups(
    fresh: Container, client: TestClient, token: str, tmp_path: Path
) -> None:
    empty = scrape(client, token)
    assert value(empty, "madoguchi_audit_checkpoint_age_seconds") == float("inf")
    assert value(empty, "madoguchi_backup_age_seconds") == float("inf")
    publish_crls(fresh)
    checkpoint = fresh.checkpoints.make()
    assert checkpoint is not None
    fresh.clock.now += timedelta(minutes=10)  # type: ignore[attr-defined]
    samples = scrape(client, token)
    full = {"kind": "sign", "partition": "full"}
    assert value(samples, "madoguchi_crl_age_seconds", **full) == 600
    assert value(samples, "madoguchi_crl_next_update_seconds", **full) == 48 * 3600 - 600
    revoked_sign = sum(
        v for (name, labels), v in samples.items()
        if name == "madoguchi_certificates_revoked_total" and ("kind", "sign") in labels
    )  # fmt: skip
    held = value(samples, "madoguchi_certificates_held", kind="sign")
    assert value(samples, "madoguchi_crl_entries", **full) == revoked_sign + held
    assert value(samples, "madoguchi_audit_checkpoint_age_seconds") == 600
    assert value(samples, "madoguchi_audit_unsigned_age_seconds") == 0  # all signed
    ends = fresh.ca.authorities[CertKind.SIGN].responder_cert.not_valid_after_utc
    assert (
        value(samples, "madoguchi_ocsp_responder_expiry_seconds", kind="sign")
        == (ends - fresh.clock()).total_seconds()
    )


def test_metrics_want_the_loopback_or_a_staff_token(client: TestClient) -> None:
    # the TestClient's peer is "testclient", not the loopback
    r = client.get("/metrics")
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert client.get("/metrics", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert "madoguchi_" not in r.text


def test_readyz_ready_then_each_check_failing_with_time(
    fresh: Container, client: TestClient
) -> None:
    r = client.get("/readyz")
    assert r.status_code == 503  # no CRL published yet
    body = r.json()
    assert body["ready"] is False
    assert body["checks"]["crl"] == {
        "ok": False,
        "detail": "no CRL published for sign; no CRL published for auth",
    }
    assert body["checks"]["store"]["ok"] and body["checks"]["ca_keys"]["ok"]
    assert body["checks"]["ca_keys"]["detail"] == "both CA keys sign"
    publish_crls(fresh)
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["ready"] is True
    assert set(ready.json()["checks"]) == {"store", "ca_keys", "ocsp_responder", "crl"}
    assert "mdg_csrf" not in ready.headers.get("set-cookie", "")

    fresh.clock.now += timedelta(hours=48)  # type: ignore[attr-defined]
    stale = client.get("/readyz").json()
    assert stale["checks"]["crl"]["ok"] is False
    assert "sign full CRL past nextUpdate" in stale["checks"]["crl"]["detail"]
    assert stale["checks"]["ocsp_responder"]["ok"] is True
    fresh.clock.now += timedelta(days=21)  # type: ignore[attr-defined]
    late = client.get("/readyz").json()["checks"]["ocsp_responder"]
    assert late["ok"] is False and "restart to renew" in late["detail"]


def test_request_ids_and_json_log_lines_through_the_services(
    fresh: Container, client: TestClient, token: str, tmp_path: Path
) -> None:
    sane = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a.42"})
    assert sane.json() == {"status": "ok"} and sane.headers["x-request-id"] == "lb-7f3a.42"
    for bad in ("123456789012", "two words", "x" * 65, "<script>"):
        given = client.get("/healthz", headers={"X-Request-ID": bad}).headers["x-request-id"]
        assert given != bad and len(given) == 32 and int(given, 16) >= 0
    assert (
        client.get("/healthz").headers["x-request-id"]
        != client.get("/healthz").headers["x-request-id"]
    )

    path = tmp_path / "log.jsonl"
    handler = logs.make_handler(str(path), "json")
    logger = logging.getLogger("madoguchi")
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.INFO)
    try:
        clerk = Api(client, token)
        person = new_resident(fresh)
        case_id = open_case(clerk, "P1", person.id)["case"]["id"]
        clerk.post(
            f"/cases/{case_id}/visits",
            {"visit": 1, "items": ["card", "holder_pin"], "juki_pin": JUKI},
        )
        clerk.headers["X-Request-ID"] = "issue-req-1"
        r = clerk.post(f"/cases/{case_id}/issue", {"sign_password": SIGN_PW, "auth_pin": AUTH_PIN})
        assert r.status_code == 200 and r.headers["x-request-id"] == "issue-req-1"
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        handler.close()
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert lines and all({"time", "level", "logger", "message", "pid"} <= set(x) for x in lines)
    mine = [x for x in lines if x["request_id"] == "issue-req-1"]
    ca_lines = [x for x in mine if x["logger"] == "madoguchi.ca"]
    assert {x["message"].split()[1] for x in ca_lines} == {"sign", "auth"}  # the service layer
    access = [x for x in mine if x["logger"] == "madoguchi.access"]
    assert len(access) == 1
    assert access[0]["route"] == "/api/v1/cases/{case_id}/issue" and access[0]["status"] == 200
    assert case_id not in json.dumps(access)  # route templates, not paths with identifiers
    text = path.read_text(encoding="utf-8")
    assert SIGN_PW not in text and f'"{AUTH_PIN}"' not in text
    assert_pin_absent(JUKI, text)  # as a value of its own: a timestamp's .631234 is not it
