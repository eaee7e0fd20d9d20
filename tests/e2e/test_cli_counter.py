"""`madoguchi demo-data`, `db upgrade` and `audit verify` as a person runs them."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path

from madoguchi.rules.dates import jst_date
from madoguchi.rules.validity import in_renewal_window
from tests.support.processes import madoguchi, madoguchi_json


def test_demo_data_covers_every_interesting_state(tmp_path: Path) -> None:
    data = tmp_path / "data"
    madoguchi_json("db", "upgrade", "--data-dir", str(data))
    out = madoguchi_json("demo-data", "--data-dir", str(data))
    people = {r["name"]: r for r in out["residents"]}
    states = {c["status"] for r in people.values() for c in r["certificates"]}
    assert {"good", "expired", "revoked", "held"} <= states
    # expiring soon, whatever the day: the renewal window is open (R-VAL-3)
    expires = date.fromisoformat(people["十勝　花子"]["certificates"][0]["expires_on"])
    assert in_renewal_window(jst_date(datetime.now(UTC)), expires)
    assert [c["kind"] for c in people["北　さくら"]["certificates"]] == ["auth"]  # a minor
    assert people["川西　翔"]["birth"] == "2000-02-29"
    assert people["大正　ゆい"]["status"] == "moved_out"
    assert people["緑ヶ丘　勝"]["status"] == "deceased"
    assert people["柏林台　はるか"]["certificates"] == []
    signs = {c["kind"]: c["status"] for c in people["東　美咲"]["certificates"]}
    assert signs == {"sign": "revoked", "auth": "good"}  # moved within the city (R-REV-1, 2)
    assert not list(data.rglob("*my*number*"))

    ok = madoguchi_json("audit", "verify", "--data-dir", str(data))
    assert ok["ok"] and ok["checked"] > 20
    with sqlite3.connect(data / "madoguchi.db") as db:
        db.execute("UPDATE audit_log SET action = 'nothing' WHERE seq = 5")
    bad = madoguchi("audit", "verify", "--data-dir", str(data), check=False)
    assert bad.returncode == 1
    assert "5 番目" in bad.stdout and "改ざん" in bad.stdout
