"""Exactly once across a network (issue 17): faults between a counter and a real `madoguchi ca
serve`, with a TCP proxy in between (tests/support/tcp_proxy.py), on SQLite and PostgreSQL.

Each case ends checked with the CA itself (its RA API): every certificate the CA holds as good
is known to the counter, as good — the certificates are on the card and in both stores, or
revoked at the CA and recorded so.

(a) the answer cut after the CA signed: a retry of the case settles the earlier order
    (revoked) and issues anew; or `madoguchi reconcile` (a process of its own) settles it;
(b) the CA killed (SIGKILL, a failpoint) after it committed and before it answered;
(c) the counter's process killed (SIGKILL, ``issue.after_stage``) after the CA signed;
(d) the CA unreachable (the proxy refuses): 503 ``ca_unreachable``, reconciliation fails and
    keeps the intent, then — the CA back — closes it abandoned, and the issuance works.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from madoguchi.bootstrap import Container
from madoguchi.config import Settings
from madoguchi.rules.cases import CaseKind, CaseState
from madoguchi.rules.dates import jst_date
from madoguchi.rules.items import Item as I
from madoguchi.rules.revocation import CertStatus
from madoguchi.rules.validity import CertKind
from madoguchi.services.audit import Actor
from madoguchi.services.domain import CaUnavailable, Resident, ResidentStatus
from madoguchi.services.ports import IssueIntent
from madoguchi.services.registry import new_resident_id
from tests.support.ca_process import CaProcess
from tests.support.clock import FakeClock
from tests.support.postgres import create_database
from tests.support.processes import madoguchi, serving
from tests.support.tcp_proxy import TcpProxy

MAIN = Actor("clerk01", "main", "T1")
JUKI, KENMEN, SIGN_PW, AUTH_PIN = "1111", "2222", "ABC123", "3333"
HANG_GUARD = 300
OBIHIRO = "012076"
_names = itertools.count()


@pytest.fixture(scope="module")
def ca_data(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("ca-faults")
    data, creds = root / "ca", root / "ra-obihiro"
    madoguchi("ca", "init", "--data-dir", str(data))
    madoguchi(
        "ca",
        "enroll-ra",
        "--municipality",
        OBIHIRO,
        "--name",
        "帯広市 戸籍住民課",
        "--out",
        str(creds),
        "--data-dir",
        str(data),
    )
    return data, creds


@pytest.fixture
def ca(ca_data: tuple[Path, Path]) -> Iterator[CaProcess]:
    process = CaProcess(*ca_data)
    process.start()
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture
def proxy(ca: CaProcess) -> Iterator[TcpProxy]:
    with TcpProxy(ca.port) as p:
        yield p


@pytest.fixture(params=["sqlite", "postgresql"])
def counter_db(request: pytest.FixtureRequest, tmp_path: Path) -> str | None:
    if request.param == "sqlite":
        return None  # SQLite in the counter's data directory
    server: str = request.getfixturevalue("postgres")
    return create_database(server, f"faults{next(_names)}")


def _counter(ca: CaProcess, url: str, data_dir: Path, db: str | None) -> Container:
    settings = Settings(
        data_dir=data_dir,
        database_url=db,
        ca_url=url,
        ra_credentials=ca.credentials,
        municipality=OBIHIRO,
    )
    clock = FakeClock(datetime(2026, 11, 24, 1, 0, tzinfo=UTC))  # a Tuesday, 10:00 JST
    return Container(settings, clock).start()


def _env(ca: CaProcess, url: str, data_dir: Path, db: str | None) -> dict[str, str]:
    env = {
        "MADOGUCHI_DATA_DIR": str(data_dir),
        "MADOGUCHI_CA_URL": url,
        "MADOGUCHI_RA_CREDENTIALS": str(ca.credentials),
        "MADOGUCHI_MUNICIPALITY": OBIHIRO,
    }
    if db:
        env["MADOGUCHI_DATABASE_URL"] = db
    return env


def _case(c: Container) -> tuple[str, str]:
    """A resident with a card and a P1 case ready to issue: (case id, card id)."""
    r = Resident(
        new_resident_id(),
        "帯広 太郎",
        "オビヒロ タロウ",
        date(1980, 7, 1),
        "1",
        "北海道帯広市西5条南7丁目1番地",
        ResidentStatus.RESIDENT,
        False,
        None,
        c.clock(),
    )
    with c.uow() as uow:
        r = c.registry.register(uow, r, MAIN)
        card = c.card_side.new_card(uow, r, jst_date(c.clock()), juki_pin=JUKI, kenmen_pin=KENMEN)
        uow.commit()
    case = c.counter.open_case(kind=CaseKind.P1, resident_id=r.id, actor=MAIN)
    c.counter.record_visit(
        case.id, visit=1, items=[I.CARD, I.HOLDER_PIN], actor=MAIN, juki_pin=JUKI
    )
    return case.id, card.id


def _issue(c: Container, case_id: str) -> None:
    c.counter.issue(case_id, sign_password=SIGN_PW, auth_pin=AUTH_PIN, actor=MAIN)


def _reconcile(ca: CaProcess, url: str, data_dir: Path, db: str | None) -> dict[str, object]:
    """`madoguchi reconcile` in a process of its own (grace 0: every open intent)."""
    proc = madoguchi("reconcile", "--grace-minutes", "0", "--json", env=_env(ca, url, data_dir, db))
    data = json.loads(proc.stdout)
    assert isinstance(data, dict)
    return data


def _calibrate(ca: CaProcess, proxy: TcpProxy) -> int:
    """The bytes a fresh connection answers for a tiny request (the TLS handshake, the session
    tickets, ~200 bytes of answer): cut there, an issuance's answer (two certificates, some
    KB) is cut after the CA signed, whatever the handshake's exact size."""
    proxy.answer_ended.clear()
    with ca.client(proxy.url) as client:
        assert client.get("/ra/v1/whoami").status_code == 200
    assert proxy.answer_ended.wait(HANG_GUARD)
    assert proxy.last_answer_bytes > 0
    return proxy.last_answer_bytes


def _assert_consistent(ca: CaProcess, c: Container, card_id: str) -> list[dict[str, object]]:
    """Every certificate the CA holds as good is known to the counter, as good; every one the
    counter knows is known to the CA with the same status."""
    at_ca = ca.certificates_of_card(card_id)
    with c.uow.read_only() as uow:
        for item in at_ca:
            mine = uow.pki.certificate(CertKind(str(item["kind"])), int(str(item["serial"]), 16))
            if item["status"] == "good":
                assert mine is not None, f"the CA's good {item['kind']} is unknown to the RA"
                assert mine.status is CertStatus.GOOD
            elif mine is not None:
                assert mine.status.value == item["status"], item
        serials = {(str(i["kind"]), int(str(i["serial"]), 16)) for i in at_ca}
        for rec in uow.pki.certificates_of_card(card_id):
            assert (rec.kind.value, rec.serial) in serials
    return at_ca


def _open_intents(c: Container) -> list[str]:
    with c.uow.read_only() as uow:
        return [i.key for i in uow.counter.open_issue_intents()]


def _actions(c: Container) -> list[str]:
    with c.uow.read_only() as uow:
        return [e.action for e in uow.counter.audit_entries()]


# -- (a) the answer cut after the CA signed ---------------------------------------------------
def _cut_issuance(ca: CaProcess, proxy: TcpProxy, c: Container, case_id: str, card_id: str) -> None:
    proxy.cut_next_after(_calibrate(ca, proxy))
    with pytest.raises(CaUnavailable) as cut:
        _issue(c, case_id)
    assert cut.value.code == "ca_unreachable"
    assert proxy.cut_done.is_set()
    signed = ca.certificates_of_card(card_id)  # the CA signed and committed…
    assert {str(i["kind"]) for i in signed} == {"auth", "sign"}
    assert all(i["status"] == "good" for i in signed)
    with c.uow.read_only() as uow:  # …and the counter knows nothing of it, but its intent
        assert uow.pki.certificates_of_card(card_id) == []
        case = uow.counter.case(case_id)
        assert case is not None and case.state is not CaseState.ISSUED
    assert len(_open_intents(c)) == 1


def test_a_cut_answer_then_the_retry_settles_it(
    ca: CaProcess, proxy: TcpProxy, counter_db: str | None, tmp_path: Path
) -> None:
    c = _counter(ca, proxy.url, tmp_path / "counter", counter_db)
    case_id, card_id = _case(c)
    _cut_issuance(ca, proxy, c, case_id, card_id)
    _issue(c, case_id)  # the clerk tries again: the earlier order is settled first
    at_ca = _assert_consistent(ca, c, card_id)
    assert sorted(str(i["status"]) for i in at_ca) == ["good", "good", "revoked", "revoked"]
    assert {i["reason"] for i in at_ca if i["status"] == "revoked"} == {5}  # cessation…
    assert _open_intents(c) == []
    actions = _actions(c)
    assert actions.count("issue_intent.revoked") == 1
    assert actions.count("certificate.issue") == 2
    with c.uow.read_only() as uow:
        case = uow.counter.case(case_id)
        assert case is not None and case.state is CaseState.ISSUED


def test_a_cut_answer_settled_by_madoguchi_reconcile(
    ca: CaProcess, proxy: TcpProxy, counter_db: str | None, tmp_path: Path
) -> None:
    data_dir = tmp_path / "counter"
    c = _counter(ca, proxy.url, data_dir, counter_db)
    case_id, card_id = _case(c)
    _cut_issuance(ca, proxy, c, case_id, card_id)
    out = _reconcile(ca, proxy.url, data_dir, counter_db)
    settled = out["settled"]
    assert isinstance(settled, list) and [s["outcome"] for s in settled] == ["revoked"]
    at_ca = _assert_consistent(ca, c, card_id)
    assert [i["status"] for i in at_ca] == ["revoked", "revoked"]
    assert _open_intents(c) == []
    assert "issue_intent.revoked" in _actions(c)
    assert _reconcile(ca, proxy.url, data_dir, counter_db)["settled"] == []  # nothing left
    _issue(c, case_id)  # the case goes on with new keys
    at_ca = _assert_consistent(ca, c, card_id)
    assert sorted(str(i["status"]) for i in at_ca) == ["good", "good", "revoked", "revoked"]


# -- (d) the CA unreachable for a while -------------------------------------------------------
def test_d_ca_unreachable_then_back(
    ca: CaProcess, proxy: TcpProxy, counter_db: str | None, tmp_path: Path
) -> None:
    data_dir = tmp_path / "counter"
    c = _counter(ca, proxy.url, data_dir, counter_db)
    case_id, card_id = _case(c)
    proxy.refuse()
    with pytest.raises(CaUnavailable) as down:
        _issue(c, case_id)
    assert down.value.code == "ca_unreachable"
    assert len(_open_intents(c)) == 1
    still = madoguchi(
        "reconcile",
        "--grace-minutes",
        "0",
        "--json",
        env=_env(ca, proxy.url, data_dir, counter_db),
        check=False,
    )
    assert still.returncode == 1, still.stdout + still.stderr
    assert "ca_unreachable" in still.stdout + still.stderr
    assert len(_open_intents(c)) == 1  # kept for when the CA is back
    proxy.accept()
    out = _reconcile(ca, proxy.url, data_dir, counter_db)
    settled = out["settled"]
    assert isinstance(settled, list) and [s["outcome"] for s in settled] == ["abandoned"]
    assert "issue_intent.abandoned" in _actions(c)
    assert ca.certificates_of_card(card_id) == []
    _issue(c, case_id)
    at_ca = _assert_consistent(ca, c, card_id)
    assert [i["status"] for i in at_ca] == ["good", "good"]
    assert _open_intents(c) == []


# -- (b) the CA killed mid-request ------------------------------------------------------------
def test_b_ca_killed_after_its_commit(
    ca: CaProcess, proxy: TcpProxy, counter_db: str | None, tmp_path: Path
) -> None:
    data_dir = tmp_path / "counter"
    c = _counter(ca, proxy.url, data_dir, counter_db)
    case_id, card_id = _case(c)
    ca.stop()
    ca.start(failpoint="ra.issue.after_commit")  # SIGKILL: signed, committed, not answered
    with pytest.raises(CaUnavailable) as killed:
        _issue(c, case_id)
    assert killed.value.code == "ca_unreachable"
    assert ca.proc is not None and ca.proc.wait(HANG_GUARD) == -9
    ca.start()  # the CA back, on the same port behind the proxy
    signed = ca.certificates_of_card(card_id)
    assert [i["status"] for i in signed] == ["good", "good"]  # a good certificate, unknown…
    out = _reconcile(ca, proxy.url, data_dir, counter_db)
    assert [s["outcome"] for s in out["settled"]] == ["revoked"]  # type: ignore[union-attr]
    at_ca = _assert_consistent(ca, c, card_id)
    assert [i["status"] for i in at_ca] == ["revoked", "revoked"]
    _issue(c, case_id)
    _assert_consistent(ca, c, card_id)


def test_b_ca_killed_before_its_commit(
    ca: CaProcess, proxy: TcpProxy, counter_db: str | None, tmp_path: Path
) -> None:
    data_dir = tmp_path / "counter"
    c = _counter(ca, proxy.url, data_dir, counter_db)
    case_id, card_id = _case(c)
    ca.stop()
    ca.start(failpoint="ra.issue.before_commit")
    with pytest.raises(CaUnavailable):
        _issue(c, case_id)
    assert ca.proc is not None and ca.proc.wait(HANG_GUARD) == -9
    ca.start()
    assert ca.certificates_of_card(card_id) == []  # the CA rolled back: nothing signed
    _issue(c, case_id)  # the retry does not judge the unanswered intent: reconciliation does
    assert len(_open_intents(c)) == 1
    out = _reconcile(ca, proxy.url, data_dir, counter_db)
    assert [s["outcome"] for s in out["settled"]] == ["abandoned"]  # type: ignore[union-attr]
    at_ca = _assert_consistent(ca, c, card_id)
    assert [i["status"] for i in at_ca] == ["good", "good"]


# -- (c) the counter's process killed after the CA signed --------------------------------------
ISSUE_SCRIPT = """
import sys
from datetime import UTC, datetime
from madoguchi.bootstrap import Container
from madoguchi.config import Settings
from madoguchi.services.audit import Actor
from tests.support.clock import FakeClock
c = Container(Settings(), FakeClock(datetime(2026, 11, 24, 1, 0, tzinfo=UTC))).start()
c.counter.issue(sys.argv[1], sign_password="ABC123", auth_pin="3333",
                actor=Actor("clerk01", "main", "T1"))
print("issued")
"""


def test_c_counter_killed_after_the_ca_signed(
    ca: CaProcess, proxy: TcpProxy, counter_db: str | None, tmp_path: Path
) -> None:
    data_dir = tmp_path / "counter"
    c = _counter(ca, proxy.url, data_dir, counter_db)
    case_id, card_id = _case(c)
    env = {
        **os.environ,
        **_env(ca, proxy.url, data_dir, counter_db),
        "MADOGUCHI_FAILPOINT": "issue.after_stage",  # the card staged, nothing committed
    }
    killed = subprocess.run(
        [sys.executable, "-c", ISSUE_SCRIPT, case_id],
        capture_output=True,
        text=True,
        env=env,
        cwd=Path(__file__).parents[2],
        timeout=600,
        check=False,
    )
    assert killed.returncode == -9, killed.stdout + killed.stderr
    assert c.vault.staged(card_id) is not None  # the card's new state, staged
    assert [i["status"] for i in ca.certificates_of_card(card_id)] == ["good", "good"]
    with c.uow.read_only() as uow:
        assert uow.pki.certificates_of_card(card_id) == []
    out = _reconcile(ca, proxy.url, data_dir, counter_db)
    assert [s["outcome"] for s in out["settled"]] == ["revoked"]  # type: ignore[union-attr]
    assert c.card_side.recover(card_id) == "discarded"  # not promoted: never issued
    assert c.vault.staged(card_id) is None
    at_ca = _assert_consistent(ca, c, card_id)
    assert [i["status"] for i in at_ca] == ["revoked", "revoked"]
    _issue(c, case_id)
    at_ca = _assert_consistent(ca, c, card_id)
    assert sorted(str(i["status"]) for i in at_ca) == ["good", "good", "revoked", "revoked"]


# -- the periodic task of `madoguchi serve` ---------------------------------------------------
def test_serve_settles_an_old_open_intent(ca: CaProcess, tmp_path: Path) -> None:
    data_dir = tmp_path / "counter"
    c = _counter(ca, ca_url(ca), data_dir, None)
    _, card_id = _case(c)
    with c.uow() as uow:  # an intent left open long ago (the CA never got it)
        uow.counter.add_issue_intent(
            IssueIntent(
                "old-intent", None, card_id, (CertKind.AUTH,), {}, datetime(2026, 1, 5, tzinfo=UTC)
            )
        )
        uow.commit()
    env = {**_env(ca, ca_url(ca), data_dir, None), "MADOGUCHI_RECONCILE_SECONDS": "0.2"}
    with serving(data_dir, env=env):
        deadline = time.monotonic() + HANG_GUARD  # a hang guard: the task runs every 0.2 s
        while _open_intents(c) and time.monotonic() < deadline:
            time.sleep(0.1)
    assert _open_intents(c) == []
    with c.uow.read_only() as uow:
        intent = uow.counter.issue_intent("old-intent")
    assert intent is not None and intent.outcome == "abandoned"
    assert "issue_intent.abandoned" in _actions(c)


def ca_url(ca: CaProcess) -> str:
    return f"https://127.0.0.1:{ca.port}"
