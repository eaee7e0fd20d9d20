"""A process that works the system as hard as it can — renewals that supersede, registry
changes that revoke, CRL publications, notice dispatches — until it is killed with SIGKILL at
a random moment by tests/integration/test_faults.py. Run as ``python -m
tests.support.fault_worker DATA_DIR DB_URL SEED``; prints ``ready`` once its start-up is over
(the CAs loaded, the store open), then one line per finished operation."""

from __future__ import annotations

import random
import sys
from datetime import UTC, date, datetime
from pathlib import Path

from madoguchi.bootstrap import Container
from madoguchi.config import Settings
from madoguchi.rules.cases import CaseKind
from madoguchi.rules.items import Item
from madoguchi.rules.revocation import RegistryEvent
from madoguchi.rules.validity import CertKind
from madoguchi.services.audit import Actor
from madoguchi.services.demo import DEMO_JUKI_PIN
from madoguchi.services.domain import ServiceError
from madoguchi.services.registry import Change

MAIN = Actor("fault", "main", "F1")


def renew(c: Container, resident_id: str) -> None:
    case = c.counter.open_case(kind=CaseKind.P3, resident_id=resident_id, actor=MAIN)
    c.counter.record_visit(
        case.id, visit=1, items=[Item.CARD, Item.HOLDER_PIN], actor=MAIN, juki_pin=DEMO_JUKI_PIN
    )
    c.counter.issue(case.id, sign_password="ABC123", auth_pin="1234", actor=MAIN)


def main(data_dir: str, db_url: str, seed: str) -> None:
    rng = random.Random(int(seed))
    c = Container(Settings(data_dir=Path(data_dir), database_url=db_url or None)).start()
    with c.uow() as uow:
        people = [r.id for r in uow.counter.find_residents(limit=1000)]
    crl_dir = Path(data_dir) / "crl"
    crl_dir.mkdir(exist_ok=True)
    c.counter, c.notices  # noqa: B018 - the CAs and the services loaded before "ready"
    print("ready", flush=True)  # the test's random delay starts here, not at the spawn
    n = 0
    while True:
        op = rng.choice(["renew", "renew", "move", "crl", "notices"])
        who = rng.choice(people)
        try:
            if op == "renew":
                renew(c, who)
            elif op == "move":
                c.registry.apply(
                    who,
                    RegistryEvent.ADDRESS,
                    MAIN,
                    Change(
                        address=f"北海道帯広市西{rng.randint(1, 20)}条南{rng.randint(1, 20)}丁目{n}番地"
                    ),
                )
            elif op == "crl":
                kind = rng.choice(list(CertKind))
                tmp = crl_dir / f"{kind.value}.crl.tmp"
                with tmp.open("wb") as fh:
                    c.crls.publish(kind, fh)
                tmp.replace(crl_dir / f"{kind.value}.crl")
            else:
                campaign = c.notices.plan(
                    MAIN, window=(date(2020, 1, 1), date(2045, 1, 1)), campaign_id=f"F{n % 3}"
                ).campaign.id
                c.notices.dispatch(campaign, MAIN, batch_size=3, max_batches=2)
        except ServiceError:
            pass  # refusals (outside the window, nothing to renew, …) are part of the work
        n += 1
        print(f"{datetime.now(UTC).isoformat()} {op} {n}", flush=True)
        sys.stdout.flush()


if __name__ == "__main__":
    main(*sys.argv[1:4])
