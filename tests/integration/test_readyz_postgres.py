"""/readyz follows PostgreSQL going away and coming back (issue 19), without a restart of
the application; /metrics still answers meanwhile, saying the store is down."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from madoguchi.bootstrap import Container
from madoguchi.store.ops_queries import head_revision
from madoguchi.web.app import create_app
from tests.support.postgres import Cluster, create_database, postgres_cluster
from tests.support.web import demo_container


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    with postgres_cluster() as c:
        yield c


def test_readyz_false_while_postgresql_is_down_and_true_again(
    cluster: Cluster, tmp_path: Path
) -> None:
    c: Container = demo_container(tmp_path / "data", create_database(cluster.url, "ready"))
    for kind in c.ca.authorities:
        c.crls.publish(kind, io.BytesIO())
    # a client on the loopback, as the host's own monitoring is
    client = TestClient(create_app(c), client=("127.0.0.1", 40000))
    up = client.get("/readyz")
    assert up.status_code == 200, up.text
    head = head_revision()  # the newest migration, whichever issue added it
    assert up.json()["checks"]["store"] == {"ok": True, "detail": f"schema at {head}"}

    cluster.stop()
    down = client.get("/readyz")
    assert down.status_code == 503
    checks = down.json()["checks"]
    assert checks["store"]["ok"] is False
    assert checks["store"]["detail"].startswith("unavailable: ")
    assert checks["crl"] == {"ok": False, "detail": "unknown: the store is unavailable"}
    assert checks["ca_keys"]["ok"] is True  # the keys do not need the store
    metrics = client.get("/metrics")
    assert metrics.status_code == 200
    assert "madoguchi_store_up 0.0" in metrics.text
    assert "madoguchi_http_requests_total" in metrics.text  # counted in the process
    assert client.get("/healthz").status_code == 200  # the process answers

    cluster.start()
    again = client.get("/readyz")
    assert again.status_code == 200, again.text
    assert again.json()["ready"] is True
    assert "madoguchi_store_up 1.0" in client.get("/metrics").text
