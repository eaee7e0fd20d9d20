"""`madoguchi reconcile`: settle the registration authority's open issuance intents (issue 17,
services/reconcile.py); and the same work as a periodic task of `madoguchi serve`."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from typing import Annotated

import typer

from madoguchi.bootstrap import Container
from madoguchi.cli.common import DataDirOpt, JsonOpt, handled, with_ca
from madoguchi.cli.output import emit
from madoguchi.services.audit import SYSTEM

log = logging.getLogger("madoguchi.reconcile")

OUTCOMES = {"issued": "記録済み", "revoked": "認証局で失効", "abandoned": "認証局に届かず（終了）"}


def cmd_reconcile(
    grace_minutes: Annotated[
        float,
        typer.Option(
            "--grace-minutes", help="この時間（分）より前に始まった発行だけを確認します", min=0
        ),
    ] = 10,
    data_dir: DataDirOpt = None,
    json: JsonOpt = False,
) -> None:
    """認証局への発行依頼で結果が窓口に記録されていないものを確かめて片付けます"""
    with handled(json):
        c = with_ca(data_dir)
        settled = c.counter.intents.reconcile(SYSTEM, timedelta(minutes=grace_minutes))
    items = [
        {"key": s.key, "card_id": s.card_id, "outcome": s.outcome, "certificates": s.certificates}
        for s in settled
    ]
    emit(
        {"settled": items},
        json_mode=json,
        title="発行依頼の照合",
        rows=[("片付けた発行依頼", f"{len(items)} 件")]
        + [(s.key, f"{OUTCOMES[s.outcome]} {' '.join(s.certificates)}") for s in settled],
    )


def start_reconciler(c: Container, every: timedelta) -> threading.Event | None:
    """In `madoguchi serve` of a counter with a CA service: settle the intents open for longer
    than the grace period, every ``every``, in a daemon thread. Set the event to stop it."""
    if not c.remote_ca:
        return None
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(every.total_seconds()):
            try:
                settled = c.counter.intents.reconcile(SYSTEM)
                if settled:
                    log.info("reconciliation settled %d issuance intents", len(settled))
            except Exception:  # the CA away: the next round tries again
                log.warning("reconciliation failed; retried in %s", every, exc_info=True)

    threading.Thread(target=loop, name="madoguchi-reconcile", daemon=True).start()
    return stop
