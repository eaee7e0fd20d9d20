"""Issue 14, item 3: a CRL partition is served only up to the highest partition in use (no
signature, no stored row, no CRL number burned for any other name), and every CRL carries a
Cache-Control max-age that ends at its nextUpdate."""

from __future__ import annotations

import re

import pytest
from cryptography import x509
from sqlalchemy import text

from madoguchi.bootstrap import Container
from madoguchi.rules.validity import CertKind
from tests.support.web import Browser


def _crl_rows(c: Container) -> int:
    with c.engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM crls")).scalar_one())


def _highest(c: Container, kind: CertKind) -> int:
    with c.uow() as uow:
        highest = uow.pki.highest_partition(kind)
    assert highest is not None, "the demo issued certificates"
    return highest


def _max_age(header: str) -> int:
    found = re.search(r"max-age=(\d+)", header)
    assert found, header
    return int(found.group(1))


@pytest.mark.parametrize("kind", [CertKind.SIGN, CertKind.AUTH])
def test_partitions_in_use_and_the_full_crl_are_served_with_their_lifetime(
    demo: Container, web: Browser, kind: CertKind
) -> None:
    for path in (f"/crl/{kind.value}.crl", f"/crl/{kind.value}-{_highest(demo, kind)}.crl"):
        r = web.get(path)
        assert r.status_code == 200, path
        crl = x509.load_der_x509_crl(r.content)
        left = (crl.next_update_utc - demo.clock()).total_seconds()  # type: ignore[operator]
        assert left > 3600
        assert abs(_max_age(r.headers["cache-control"]) - left) <= 1, r.headers["cache-control"]
        assert "public" in r.headers["cache-control"]


def test_unknown_partitions_are_404_and_sign_nothing(demo: Container, web: Browser) -> None:
    above = _highest(demo, CertKind.SIGN) + 1
    web.get("/crl/sign.crl")  # whatever the first request publishes is done
    before = _crl_rows(demo)
    names = [
        f"sign-{above}",
        f"sign-{above + 199}",
        "sign-" + "9" * 40,  # was an OverflowError: a 500
        "sign-" + "9" * 5000,
        "sign-",
        "sign--1",
        "sign-+1",
        "sign-01",
        "sign-0x1",
        "sign-１",  # a full-width digit
        "sign-²",  # a digit to str.isdigit, not to int()
        "sign-1-2",
        "nothing-0",
    ]
    for name in names:
        r = web.get(f"/crl/{name}.crl")
        assert r.status_code == 404, (name, r.status_code)
        assert "application/pkix-crl" not in r.headers.get("content-type", "")
    assert _crl_rows(demo) == before  # nothing signed, nothing stored
