"""The JSON API of issue 16's counter steps: R-CARD-3 the validity change with its renewal
case, R-CARD-4 the special extension once, R-ABROAD-1/3 the notice and the abroad
certificate's case, R-FACE-1/2 the face-authentication switch and back."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from madoguchi.bootstrap import Container
from madoguchi.rules.dates import jst_date
from madoguchi.services.audit import Actor
from tests.support.web import browser

ADMIN = Actor("admin", "main", "T-test")


def api(c: Container) -> tuple[TestClient, dict[str, str]]:
    token = c.staff.create_api_token("clerk", "test", ADMIN)
    return browser(c).client, {"Authorization": f"Bearer {token}"}


def rid(c: Container, name: str) -> str:
    with c.uow() as uow:
        (found,) = uow.counter.find_residents(name=name)
    return found.id


def test_r_card_3_and_r_card_4_through_the_api(fresh: Container) -> None:
    client, h = api(fresh)
    who = rid(fresh, "NGUYEN")
    r = client.post(f"/api/v1/residents/{who}/special-extension", headers=h)
    assert r.status_code == 200, r.text
    r = client.post(f"/api/v1/residents/{who}/special-extension", headers=h)
    assert r.status_code == 409 and r.json()["detail"] == "stay_extension_used"
    new_stay = jst_date(fresh.clock()) + timedelta(days=700)
    r = client.post(
        f"/api/v1/residents/{who}/validity-change",
        headers=h,
        json={"new_stay_until": new_stay.isoformat(), "applicant": "holder"},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["card"]["expires"] == new_stay.isoformat() and body["card"]["limited_by_stay"]
    assert body["renewal_case"]["kind"] == "P3"


def test_r_abroad_and_r_face_through_the_api(fresh: Container) -> None:
    client, h = api(fresh)
    who = rid(fresh, "帯広")
    move_out = jst_date(fresh.clock()) + timedelta(days=30)
    r = client.post(
        f"/api/v1/residents/{who}/move-abroad",
        headers=h,
        json={"move_out": move_out.isoformat(), "continued": True, "destination": "フランス"},
    )
    assert r.status_code == 200, r.text
    r = client.post(f"/api/v1/residents/{who}/abroad-sign", headers=h, json={"applicant": "proxy"})
    assert r.status_code == 201, r.text
    assert r.json()["case"]["kind"] == "P2"  # another proxy: the inquiry letter
    other = rid(fresh, "カワニシ")
    r = client.post(f"/api/v1/residents/{other}/face-auth", headers=h, json={"to_face_auth": True})
    assert r.status_code == 200 and r.json()["face_auth"] and r.json()["remarks"] == ["顔認証"]
    r = client.post(
        f"/api/v1/residents/{other}/face-auth",
        headers=h,
        json={"to_face_auth": False, "juki_pin": "1357", "kenmen_pin": "2468", "auth_pin": "3579"},
    )
    assert r.status_code == 200 and not r.json()["face_auth"]
    assert "3579" not in r.text
