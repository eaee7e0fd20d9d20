"""The database unavailable for a moment (issue 8): PostgreSQL stopped in the middle of the
counter's work and started again. While it is down, requests fail with a clear Japanese
message (503, detail ``database_unavailable``) and no traceback; an issuance attempted then
leaves nothing behind (case still open, card unchanged, audit chain intact); once it is
back, the same requests succeed without restarting the service."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509

from madoguchi.bootstrap import Container
from madoguchi.card.jpki import JpkiCard
from madoguchi.rules.cases import CaseState
from madoguchi.rules.validity import CertKind
from madoguchi.services.audit import Actor, verify_chain
from madoguchi.services.demo import DEMO_JUKI_PIN
from tests.support.postgres import Cluster, create_database, postgres_cluster
from tests.support.web import browser, demo_container


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    with postgres_cluster() as c:
        yield c


def test_postgres_restarted_mid_work(cluster: Cluster, tmp_path: Path) -> None:
    c: Container = demo_container(tmp_path / "data", create_database(cluster.url, "outage"))
    client = browser(c).client
    token = c.staff.create_api_token("clerk", "T1", Actor("admin", "main", "t"))
    auth = {"Authorization": f"Bearer {token}"}
    with c.uow() as uow:
        (person,) = uow.counter.find_residents(name="柏林台")
        (card,) = uow.counter.cards_of(person.id)
    case = client.post("/api/v1/cases", json={"kind": "P1", "resident_id": person.id}, headers=auth)
    assert case.status_code == 201, case.text
    case_id = case.json()["case"]["id"]
    visit = {"visit": 1, "items": ["card", "holder_pin"], "juki_pin": DEMO_JUKI_PIN}
    assert (
        client.post(f"/api/v1/cases/{case_id}/visits", json=visit, headers=auth).status_code == 200
    )
    before_card = JpkiCard(c.card_side.load(card.id)).read_certificate(CertKind.AUTH)

    cluster.stop()
    down = client.post(
        f"/api/v1/cases/{case_id}/issue",
        json={"sign_password": "ABC123", "auth_pin": "1234"},
        headers=auth,
    )
    assert down.status_code == 503, down.text
    assert down.json()["detail"] == "database_unavailable"
    assert "Traceback" not in down.text
    page = client.get("/staff/login")  # pages that need nothing from the store still answer
    assert page.status_code == 200
    search = client.get("/api/v1/residents", params={"name": "柏林台"}, headers=auth)
    assert search.status_code == 503
    assert search.json()["detail"] == "database_unavailable"
    assert "データベースに接続できません" in search.json()["message"]

    cluster.start()
    with c.uow() as uow:
        still = uow.counter.case(case_id)
    assert still is not None and still.state is CaseState.OPEN  # nothing partial
    assert JpkiCard(c.card_side.load(card.id)).read_certificate(CertKind.AUTH) == before_card
    issued = client.post(
        f"/api/v1/cases/{case_id}/issue",
        json={"sign_password": "ABC123", "auth_pin": "1234"},
        headers=auth,
    )
    assert issued.status_code == 200, issued.text
    der = JpkiCard(c.card_side.load(card.id)).read_certificate(CertKind.AUTH)
    assert der is not None
    serial = x509.load_der_x509_certificate(der).serial_number
    assert f"{serial:x}" in {x["serial"] for x in issued.json()["certificates"]}
    with c.uow() as uow:
        assert verify_chain(uow.counter.audit_entries()).ok


def test_the_web_page_says_so_in_japanese(cluster: Cluster, tmp_path: Path) -> None:
    c: Container = demo_container(tmp_path / "data", create_database(cluster.url, "outage2"))
    b = browser(c)
    b.login("clerk")
    cluster.stop()
    r = b.get("/staff/search", params={"name": "トカチ"})
    assert r.status_code == 503
    assert "データベースに接続できません" in r.text and "Traceback" not in r.text
    cluster.start()
    assert "十勝" in b.get("/staff/search", params={"name": "トカチ"}).text
