"""The CA operator's national expiry-notice campaign (issue 17, R-NAT-2) with real processes:
one `madoguchi ca serve`, the counters of 帯広市 and 札幌市 as its RAs, and the campaign planned
and dispatched by `madoguchi ca notices` on the CA's data directory.

The holders' cards expire in about 50 days (cards made almost ten years ago), so their
certificates are in the renewal window and the campaign's window holds them. Between planning
and dispatch the counters go on: one holder renews the certificates at 帯広市 (the card itself
still expires: still told), one loses the card, one dies, one moves out without moving in, one
moves to 札幌市 — the check at dispatch asks the CA's records, and the letter of the one who
moved names 札幌市's counter. A renewal that leaves nothing to tell is suppressed in
tests/integration/test_national_notices.py (certificates that end before the card need a
clock years back, which a CA service on the real clock cannot have).
"""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import delete

from madoguchi.bootstrap import Container, build
from madoguchi.config import Settings
from madoguchi.rules.cases import CaseKind, CaseState
from madoguchi.rules.dates import jst_date
from madoguchi.rules.items import Item as I
from madoguchi.rules.notices import NoticeState
from madoguchi.rules.revocation import RegistryEvent
from madoguchi.rules.validity import card_expiry
from madoguchi.services.domain import Resident, ResidentStatus
from madoguchi.services.registry import new_resident_id
from madoguchi.store.models import CaHolderRow
from tests.e2e import test_ca_service as ca_service_tests
from tests.e2e.test_ca_moves import _counter, _sapporo_resident
from tests.e2e.test_ca_service import (
    AUTH_PIN,
    JUKI,
    KENMEN,
    MAIN,
    OBIHIRO,
    SAPPORO,
    SIGN_PW,
    CaService,
)
from tests.support.pdf import pdf_text, render_pages, squash
from tests.support.processes import madoguchi, madoguchi_json

service = ca_service_tests.service  # the `ca serve` fixture of test_ca_service.py


def _birth_and_created(today: date) -> tuple[date, date]:
    """A birth date and a card's creation date such that the card expires in about 50 days
    (R-CARD-1: the 10th birthday after its creation)."""
    birthday = today + timedelta(days=50)
    if (birthday.month, birthday.day) == (2, 29):
        birthday += timedelta(days=1)
    birth = birthday.replace(year=birthday.year - 40)
    created = birthday.replace(year=birthday.year - 10) + timedelta(days=1)
    assert card_expiry(birth, created).expires_on == birthday
    return birth, created


def _holder(c: Container, name: str, address: str, postal_code: str) -> Resident:
    """A resident with a card about to expire and both certificates issued at ``c``."""
    birth, created = _birth_and_created(jst_date(c.clock()))
    r = Resident(
        new_resident_id(),
        name,
        "ケンシヨウ タロウ",
        birth,
        "1",
        address,
        ResidentStatus.RESIDENT,
        False,
        None,
        c.clock(),
        postal_code=postal_code,
    )
    with c.uow() as uow:
        r = c.registry.register(uow, r, MAIN)
        c.card_side.new_card(uow, r, created, juki_pin=JUKI, kenmen_pin=KENMEN)
        uow.commit()
    _issue(c, r, CaseKind.P1)
    return r


def _issue(c: Container, r: Resident, kind: CaseKind) -> None:
    case = c.counter.open_case(kind=kind, resident_id=r.id, actor=MAIN)
    c.counter.record_visit(
        case.id, visit=1, items=[I.CARD, I.HOLDER_PIN], actor=MAIN, juki_pin=JUKI
    )
    done = c.counter.issue(case.id, sign_password=SIGN_PW, auth_pin=AUTH_PIN, actor=MAIN)
    assert done.case.state is CaseState.ISSUED


def _card_id(c: Container, r: Resident) -> str:
    with c.uow.read_only() as uow:
        return uow.counter.cards_of(r.id)[-1].id


def test_the_ca_operator_plans_and_sends_the_notices_of_every_municipality(
    service: CaService, tmp_path: Path
) -> None:
    ca = ["--data-dir", str(service.data_dir)]
    # 帯広市's counter as the letters name it: its address, phone and hours (a re-enrolment)
    madoguchi(
        "ca",
        "enroll-ra",
        "--municipality",
        OBIHIRO,
        "--name",
        "帯広市 戸籍住民課",
        "--address",
        "〒080-8670 帯広市西5条南7丁目1番地",
        "--phone",
        "0155-65-4234",
        "--hours",
        "8時45分〜17時30分（土日祝日・年末年始を除く）",
        "--out",
        str(tmp_path / "ra-obihiro-2"),
        *ca,
    )
    obihiro = _counter(service, OBIHIRO, tmp_path / "obihiro")
    sapporo = _counter(service, SAPPORO, tmp_path / "sapporo")
    here = "北海道帯広市西5条南7丁目1番地"
    stays = _holder(obihiro, "通知 一郎", here, "080-0015")
    renews = _holder(obihiro, "更新 二郎", here, "080-0015")
    dies = _holder(obihiro, "死亡 三郎", here, "080-0015")
    leaves = _holder(obihiro, "転出 四郎", here, "080-0015")
    loses = _holder(obihiro, "紛失 七郎", here, "080-0015")
    moves = _holder(obihiro, "転居 五郎", here, "080-0015")
    local = _holder(sapporo, "札幌 六郎", "北海道札幌市中央区北1条西2丁目1番地", "060-8611")
    moving_card = _card_id(obihiro, moves)

    # the counter of a CA service does not plan notices: the CA operator does (R-NAT-2)
    refused = madoguchi(
        "notices",
        "plan",
        env={**service.env(OBIHIRO, tmp_path / "obihiro")},
        check=False,
    )
    assert refused.returncode != 0 and "Traceback" not in refused.stderr
    assert "認証局の運用者" in refused.stderr

    today = jst_date(obihiro.clock())
    window = ["--from", today.isoformat(), "--to", (today + timedelta(days=90)).isoformat()]
    planned = madoguchi_json("ca", "notices", "plan", *window, "--campaign", "N1", *ca)
    assert planned["planned"] == 7  # every municipality's holders, one notice per card

    # meanwhile, at the counters
    _issue(obihiro, renews, CaseKind.P3)  # the certificates renewed, the card still expires
    obihiro.registry.apply(loses.id, RegistryEvent.LOST, MAIN)
    obihiro.registry.apply(dies.id, RegistryEvent.DEATH, MAIN)
    obihiro.moves.move_out(leaves.id, today, MAIN)  # no move-in (yet): not sent
    obihiro.moves.move_out(moves.id, today, MAIN)
    newcomer = replace(
        _sapporo_resident(sapporo), name="転居 五郎", postal_code="060-0001", birth=moves.birth
    )
    arrived = sapporo.moves.move_in(
        newcomer,
        moving_card,
        _card_expires(obihiro, moves),
        MAIN,
        card_file=obihiro.vault.path_of(moving_card),
    )

    sent = madoguchi_json("ca", "notices", "dispatch", "--campaign", "N1", *ca)
    assert (sent["sent"], sent["suppressed"]) == (4, 3)
    (batch,) = sent["batches"]
    pdf_path = Path(batch["pdf"])
    rows = list(csv.DictReader(io.StringIO(pdf_path.with_suffix(".csv").read_text("utf-8"))))
    by_name = {r["name"]: r for r in rows}
    assert set(by_name) == {stays.name, renews.name, arrived.resident.name, local.name}
    assert by_name[stays.name]["municipality"] == OBIHIRO
    assert by_name[local.name]["municipality"] == SAPPORO
    moved = by_name[arrived.resident.name]
    assert moved["municipality"] == SAPPORO  # the counter of where the holder lives now
    assert moved["address"] == arrived.resident.address and moved["postal_code"] == "060-0001"
    assert {r["card_renewal_qr"] for r in rows} == {"no"}

    # why the others were not sent: the CA's own records
    with build(Settings(data_dir=service.data_dir)).start(ca=False).uow.read_only() as uow:
        reasons = {
            n.resident_id.split(":", 1)[1]: n.reason
            for n in uow.notices.with_state("N1", NoticeState.SUPPRESSED)
        }
    assert reasons == {loses.id: "card_invalid", dies.id: "deceased", leaves.id: "moved_away"}

    # the letters: sent by the CA operator (the demo CA's own name), naming the holder's
    # municipality's counter for the renewal
    pdf = pdf_path.read_bytes()
    text = squash(pdf_text(pdf))
    assert "madoguchiデモ認証局" in text
    assert "地方公共団体情報システム機構ではありません" in text
    assert "帯広市長" not in text.split("通知書番号")[0]
    assert "0155-65-4234" in text and "帯広市戸籍住民課" in text
    assert "札幌市市民課" in text and "札幌市長様" in text
    render_pages(pdf, "national-notice")


def _card_expires(c: Container, r: Resident) -> date:
    with c.uow.read_only() as uow:
        return uow.counter.cards_of(r.id)[-1].expires


def test_a_counter_tells_the_ca_the_holders_it_did_not_know(
    service: CaService, tmp_path: Path
) -> None:
    """`madoguchi registry tell-ca` (once, after the upgrade to migration 0014): the holders of
    every card the CA issued onto, so that cards issued before get their national notices."""
    obihiro = _counter(service, OBIHIRO, tmp_path / "obihiro")
    r = _holder(obihiro, "移行 八郎", "北海道帯広市西5条南7丁目1番地", "080-0015")
    card_id = _card_id(obihiro, r)
    ca_store = build(Settings(data_dir=service.data_dir)).start(ca=False)
    with ca_store.uow() as uow:  # as before migration 0014: the CA knows no holder
        uow.session.execute(delete(CaHolderRow).where(CaHolderRow.card_id == card_id))
        uow.commit()
    told = madoguchi_json("registry", "tell-ca", env=service.env(OBIHIRO, tmp_path / "obihiro"))
    assert (told["residents"], told["cards"], told["ca_service"]) == (1, 1, True)
    with ca_store.uow.read_only() as uow:
        holder = uow.pki.holder(card_id)
    assert holder is not None and holder.municipality == OBIHIRO and holder.name == r.name
