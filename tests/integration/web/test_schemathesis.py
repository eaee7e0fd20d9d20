"""Property-based testing of the JSON API from its own OpenAPI schema (schemathesis): whatever
a client sends to any operation, the answer is never a server error (DESIGN.md 6).

Half of the generated ids (in paths and bodies) are swapped for real ones (a resident, a card,
open cases, an inquiry letter), so that requests reach the services, not only the 404 of an
unknown id.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from madoguchi.bootstrap import Container
from madoguchi.rules.cases import CaseKind as K
from madoguchi.rules.items import IdDocumentKind, Item
from madoguchi.services.audit import Actor
from madoguchi.web.app import create_app
from tests.integration.web.test_api import JUKI, new_resident

ADMIN = Actor("admin", "main", "t")
MAIN = Actor("clerk", "main", "T-st")


def _schema_app() -> FastAPI:
    """The application as built for serving, on a container it never touches: the OpenAPI
    document depends on the routes only. (The operations run against the demo container's
    application; schemathesis' fixture-based loader does not work with pytest 9.)"""
    stub = SimpleNamespace(
        settings=SimpleNamespace(ca_locality_city="帯広市", secure_cookies=False),
        ocsp=None,
        remote_ca=None,
    )
    return create_app(stub)  # type: ignore[arg-type]


schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", _schema_app())


@pytest.fixture(scope="module")
def app(demo: Container) -> FastAPI:
    return create_app(demo)


@pytest.fixture(scope="module")
def token(demo: Container) -> str:
    """A supervisor's token: a supervisor may do everything a clerk may, and /supervisor."""
    return demo.staff.create_api_token("supervisor", "schemathesis", ADMIN)


@pytest.fixture(scope="module")
def real(demo: Container) -> dict[str, list[str]]:
    """Ids that exist: a resident, their card, cases of each kind and state, a letter."""
    person = new_resident(demo)
    counter = demo.counter
    cases = [
        counter.open_case(kind=kind, resident_id=person.id, actor=MAIN).id
        for kind in (K.P1, K.P2, K.REVOCATION, K.PIN_RESET, K.CARD_LOST)
    ]
    proxy = counter.open_case(kind=K.P2, resident_id=person.id, actor=MAIN)
    counter.record_visit(
        proxy.id,
        visit=1,
        items=[Item.CARD, Item.PROXY_ID],
        proxy_documents=[IdDocumentKind.PASSPORT],
        proxy_name="代理 花子",
        actor=MAIN,
    )
    letter = counter.mail_inquiry_letter(proxy.id, MAIN)
    counter.record_visit(
        cases[0], visit=1, items=[Item.CARD, Item.HOLDER_PIN], juki_pin=JUKI, actor=MAIN
    )
    with demo.uow() as uow:
        cards = [c.id for c in uow.counter.cards_of(person.id)]
    return {
        "case_id": [*cases, proxy.id],
        "resident_id": [person.id],
        "card_id": cards,
        "number": [letter.number],
        "letter_number": [letter.number],
    }


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_no_operation_answers_with_a_server_error(
    case: Any, app: FastAPI, token: str, real: dict[str, list[str]]
) -> None:
    for where in (case.path_parameters, case.body):
        if not isinstance(where, dict):
            continue
        for name, value in list(where.items()):
            if name in real and isinstance(value, str) and len(value) % 2 == 0:
                ids = real[name]
                where[name] = ids[len(value) % len(ids)]
    case.call_and_validate(
        app=app, headers={"Authorization": f"Bearer {token}"}, checks=[not_a_server_error]
    )
