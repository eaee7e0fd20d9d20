"""Wrong content types and malformed bodies (issue 8): each gets a clear error with a code and
a Japanese message — never a traceback, never a server error — and changes nothing."""

from __future__ import annotations

import pytest

from madoguchi.bootstrap import Container
from madoguchi.services.audit import Actor
from tests.support.web import Browser


@pytest.fixture
def auth(demo: Container) -> dict[str, str]:
    token = demo.staff.create_api_token("clerk", "ct", Actor("admin", "main", "t"))
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/plain", b'{"kind": "P1", "resident_id": "R1"}'),
        ("application/x-www-form-urlencoded", b"kind=P1&resident_id=R1"),
        ("application/json", b'{"kind": "P1", "resident_id": '),  # truncated JSON
        ("application/json", b"\xff\xfe\x00"),  # not UTF-8
        ("application/json", b"[" * 5000),  # deeply nested
        ("application/xml", b"<case/>"),
    ],
)
def test_api_refuses_wrong_bodies_clearly(
    web: Browser, demo: Container, auth: dict[str, str], content_type: str, body: bytes
) -> None:
    with demo.uow() as uow:
        before = len(uow.counter.cases_between(*_ever()))
    r = web.client.post(
        "/api/v1/cases", content=body, headers={**auth, "Content-Type": content_type}
    )
    assert 400 <= r.status_code < 500, (r.status_code, r.text)
    data = r.json()
    assert data["detail"] and data["message"]
    assert "Traceback" not in r.text
    with demo.uow() as uow:
        assert len(uow.counter.cases_between(*_ever())) == before


def test_ocsp_with_a_wrong_content_type_or_garbage_gets_an_ocsp_error(web: Browser) -> None:
    from cryptography.x509 import ocsp

    for body, ctype in (
        (b"hello", "text/plain"),
        (b"\x30\x03\x02\x01\x00", "application/ocsp-request"),
    ):
        r = web.client.post("/ocsp", content=body, headers={"Content-Type": ctype})
        assert r.status_code == 200
        assert (
            ocsp.load_der_ocsp_response(r.content).response_status
            is ocsp.OCSPResponseStatus.MALFORMED_REQUEST
        )


def test_a_form_page_with_a_json_body_is_refused(web: Browser) -> None:
    web.login("clerk")
    r = web.client.post("/staff/logout", json={"csrf_token": "x"})
    assert r.status_code == 403


def _ever() -> tuple:  # type: ignore[type-arg]
    from datetime import UTC, datetime

    return datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)
