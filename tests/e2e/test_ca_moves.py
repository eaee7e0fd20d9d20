"""Moves between municipalities (issue 17, R-NAT-3, R-REV-2) with real processes: one `madoguchi
ca serve` (the fixture of test_ca_service.py), two counters — 帯広市 and 札幌市, each a
Container on its own data directory configured as an RA of the service — and openssl asking
the service's public port for OCSP answers.

The card is the same card on both sides: the counters share the card issuer key (the national
one) and the vault key, and the card's file is carried from 帯広市's vault to 札幌市's.
"""

from __future__ import annotations

import secrets
import subprocess
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr

from madoguchi.bootstrap import Container
from madoguchi.config import Settings
from madoguchi.pki.records import CertRecord
from madoguchi.rules.cases import CaseState
from madoguchi.rules.dates import jst_date
from madoguchi.rules.offices import MAIN_OFFICE, next_opening
from madoguchi.rules.revocation import RevocationReason, StatusChange
from madoguchi.rules.validity import CertKind
from madoguchi.services.domain import Card, Refused, Resident, ResidentStatus
from madoguchi.services.registry import new_resident_id
from tests.e2e import test_ca_service as ca_service_tests
from tests.e2e.test_ca_service import (
    AUTH_PIN,
    MAIN,
    OBIHIRO,
    SAPPORO,
    SIGN_PW,
    CaService,
    _ocsp_status,
    _openssl_verify,
    _resident,
    _visited_case,
)
from tests.support.clock import FakeClock
from tests.support.processes import madoguchi, madoguchi_json

service = ca_service_tests.service  # the `ca serve` fixture of test_ca_service.py

VAULT_KEY, ISSUER_KEY = secrets.token_hex(32), secrets.token_hex(32)


def _counter(service: CaService, municipality: str, data_dir: Path) -> Container:
    settings = Settings(
        data_dir=data_dir,
        ca_url=service.ra_url,
        ra_credentials=service.credentials[municipality],
        municipality=municipality,
        card_vault_key=SecretStr(VAULT_KEY),
        card_issuer_key=SecretStr(ISSUER_KEY),
    )
    return Container(settings, FakeClock(_counter_time())).start()


def _counter_time() -> datetime:
    """The counters' time: the main office's next opening hour after the CA service's now
    (the CA signs on the real clock; a case must not open before the certificates on the
    card were signed)."""
    opening = next_opening(MAIN_OFFICE, datetime.now(UTC) + timedelta(minutes=5))
    assert opening is not None
    return opening.astimezone(UTC)


def _pem(rec: CertRecord, path: Path) -> Path:
    out = subprocess.run(
        ["openssl", "x509", "-inform", "der"], input=rec.der, capture_output=True, check=True
    )
    path.write_bytes(out.stdout)
    return path


def _issued_card(c: Container, tmp: Path) -> tuple[Resident, Card, dict[CertKind, CertRecord]]:
    r = _resident(c)
    done = c.counter.issue(
        _visited_case(c, r), sign_password=SIGN_PW, auth_pin=AUTH_PIN, actor=MAIN
    )
    assert done.case.state is CaseState.ISSUED
    with c.uow.read_only() as uow:
        card = uow.counter.cards_of(r.id)[-1]
    return r, card, dict(done.certificates)


def _card_at_ca(service: CaService, card_id: str) -> dict[str, object]:
    return madoguchi_json("ca", "card", "--card-id", card_id, "--data-dir", str(service.data_dir))


def _sapporo_resident(c: Container) -> Resident:
    return Resident(
        new_resident_id(),
        "帯広 太郎",
        "オビヒロ タロウ",
        date(1980, 7, 1),
        "1",
        "北海道札幌市中央区北1条西2丁目1番地",
        ResidentStatus.RESIDENT,
        False,
        None,
        c.clock(),
    )


def _ca_today() -> date:
    """The CA service's date (it runs on the real clock; the margins below are days)."""
    return jst_date(datetime.now(UTC))


def test_a_move_from_obihiro_to_sapporo_keeps_the_card(service: CaService, tmp_path: Path) -> None:
    obihiro = _counter(service, OBIHIRO, tmp_path / "obihiro")
    sapporo = _counter(service, SAPPORO, tmp_path / "sapporo")
    r, card, certs = _issued_card(obihiro, tmp_path)
    sign, auth = certs[CertKind.SIGN], certs[CertKind.AUTH]
    sign_pem, auth_pem = _pem(sign, tmp_path / "sign.pem"), _pem(auth, tmp_path / "auth.pem")
    assert _ocsp_status(service, "sign", sign_pem) == "good"

    # 帯広市's move-out: the sign certificate revoked at the CA, the CA told the planned date
    planned = _ca_today()
    out = obihiro.moves.move_out(r.id, planned, MAIN)
    assert [x.serial for x in out.revoked] == [sign.serial]
    assert _ocsp_status(service, "sign", sign_pem) == "revoked"
    assert _ocsp_status(service, "auth", auth_pem) == "good"  # R-REV-2: auth survives
    shown = service.show(CertKind.SIGN, sign.serial)
    assert shown["status_municipality"] == OBIHIRO
    at_ca = _card_at_ca(service, card.id)
    assert at_ca["municipality"] == OBIHIRO
    residence = at_ca["residence"]
    assert isinstance(residence, dict)
    assert residence["moved_out_from"] == OBIHIRO
    assert residence["planned_move_out"] == planned.isoformat()
    assert residence["moved_in_at"] is None

    # 札幌市's move-in registers the same card; it becomes the card's municipality at the CA
    moved = sapporo.moves.move_in(
        _sapporo_resident(sapporo),
        card.id,
        card.expires,
        MAIN,
        card_file=obihiro.vault.path_of(card.id),
    )
    assert moved.card.id == card.id
    assert {(x.kind, x.serial) for x in moved.certificates} >= {(CertKind.AUTH, auth.serial)}
    assert _card_at_ca(service, card.id)["municipality"] == SAPPORO
    with sapporo.uow.read_only() as uow:  # the registration authority's copy of the auth
        assert uow.pki.certificate(CertKind.AUTH, auth.serial) is not None
    # the same card cannot move in twice elsewhere, nor be claimed by 帯広市 again
    with obihiro.uow() as uow, pytest.raises(Refused) as twice:
        obihiro.ca_port.claim_move_in_in(uow, card.id)
    assert twice.value.code == "already_moved_in"

    # 札幌市's counter issues the new sign certificate on the card (P1, the clerk's choice)
    done = sapporo.counter.issue(
        _visited_case(sapporo, moved.resident),
        sign_password=SIGN_PW,
        auth_pin=AUTH_PIN,
        actor=MAIN,
        kinds=[CertKind.SIGN],
    )
    assert done.case.state is CaseState.ISSUED
    assert set(done.certificates) == {CertKind.SIGN}
    new_sign = done.certificates[CertKind.SIGN]
    new_pem = _pem(new_sign, tmp_path / "new-sign.pem")
    _openssl_verify(service.ca_pem["sign"], new_pem)
    assert _ocsp_status(service, "sign", new_pem) == "good"
    assert service.show(CertKind.SIGN, new_sign.serial)["municipality"] == SAPPORO
    assert new_sign.card_id == card.id

    # the 30-day rule does not touch a card that moved in
    ran = madoguchi_json("ca", "run-deadlines", "--data-dir", str(service.data_dir))
    assert card.id not in [x["card_id"] for x in ran["lapsed"]]
    assert _ocsp_status(service, "auth", auth_pem) == "good"

    # from now on 帯広市 may not revoke the card's certificates (it issued the auth one) …
    with obihiro.uow() as uow, pytest.raises(Refused) as refused:
        obihiro.ca_port.change_status_in(
            uow, CertKind.AUTH, auth.serial, StatusChange.REVOKE, RevocationReason.UNSPECIFIED
        )
    assert refused.value.code == "not_your_certificate"
    assert _ocsp_status(service, "auth", auth_pem) == "good"
    # … and 札幌市 may
    with sapporo.uow() as uow:
        sapporo.ca_port.change_status_in(
            uow, CertKind.AUTH, auth.serial, StatusChange.HOLD, RevocationReason.CERTIFICATE_HOLD
        )
        uow.commit()
    assert service.show(CertKind.AUTH, auth.serial)["status_municipality"] == SAPPORO
    assert _ocsp_status(service, "auth", auth_pem) == "revoked"  # on hold: certificateHold


def test_no_move_in_within_30_days_revokes_auth_at_the_ca(
    service: CaService, tmp_path: Path
) -> None:
    obihiro = _counter(service, OBIHIRO, tmp_path / "obihiro")
    sapporo = _counter(service, SAPPORO, tmp_path / "sapporo")
    late, late_card, late_certs = _issued_card(obihiro, tmp_path)
    recent, recent_card, recent_certs = _issued_card(obihiro, tmp_path)
    late_auth = _pem(late_certs[CertKind.AUTH], tmp_path / "late-auth.pem")
    recent_auth = _pem(recent_certs[CertKind.AUTH], tmp_path / "recent-auth.pem")
    today = _ca_today()
    obihiro.moves.move_out(late.id, today - timedelta(days=40), MAIN)  # told late: overdue
    obihiro.moves.move_out(recent.id, today, MAIN)  # the control: 30 days to go
    # the counter of a CA service leaves the rule to the CA (only the CA knows of move-ins)
    assert obihiro.registry.overdue_move_ins(MAIN) == []
    assert _ocsp_status(service, "auth", late_auth) == "good"

    ran = madoguchi_json("ca", "run-deadlines", "--data-dir", str(service.data_dir))
    lapsed = {x["card_id"]: x for x in ran["lapsed"]}
    assert late_card.id in lapsed and recent_card.id not in lapsed
    assert [c["serial"] for c in lapsed[late_card.id]["revoked"]] == [
        late_certs[CertKind.AUTH].serial_hex
    ]
    assert _ocsp_status(service, "auth", late_auth) == "revoked"
    assert _ocsp_status(service, "auth", recent_auth) == "good"
    shown = service.show(CertKind.AUTH, late_certs[CertKind.AUTH].serial)
    assert shown["status_municipality"] is None  # the CA operator's rule
    assert shown["reason"] == "cessationOfOperation"
    again = madoguchi_json("ca", "run-deadlines", "--data-dir", str(service.data_dir))
    assert late_card.id not in [x["card_id"] for x in again["lapsed"]]  # once
    # a lapsed card cannot move in any more
    with pytest.raises(Refused) as refused:
        sapporo.moves.move_in(_sapporo_resident(sapporo), late_card.id, late_card.expires, MAIN)
    assert refused.value.code == "move_in_too_late"


def test_the_registry_commands_move_a_card(service: CaService, tmp_path: Path) -> None:
    """`madoguchi registry move-out` on 帯広市's data directory and `registry move-in` on
    札幌市's, each a process of its own talking to the CA service; Japanese on a refusal."""
    obihiro = _counter(service, OBIHIRO, tmp_path / "obihiro")
    r, card, certs = _issued_card(obihiro, tmp_path)
    keys = {"MADOGUCHI_CARD_VAULT_KEY": VAULT_KEY, "MADOGUCHI_CARD_ISSUER_KEY": ISSUER_KEY}
    env_a = {**service.env(OBIHIRO, tmp_path / "obihiro"), **keys}
    env_b = {**service.env(SAPPORO, tmp_path / "sapporo"), **keys}
    planned = _ca_today().isoformat()
    # the daily timer's `ca run-deadlines` on a counter of a CA service: nothing (the CA's)
    assert madoguchi_json("ca", "run-deadlines", env=env_a) == {
        "lapsed": [],
        "skipped": "ca_service_elsewhere",
    }
    out = madoguchi_json(
        "registry", "move-out", "--resident", r.id, "--planned", planned, env=env_a
    )
    assert [x["serial"] for x in out["revoked"]] == [certs[CertKind.SIGN].serial_hex]
    move_in = [
        "registry",
        "move-in",
        "--card-id",
        card.id,
        "--name",
        "帯広 太郎",
        "--kana",
        "オビヒロ タロウ",
        "--birth",
        "1980-07-01",
        "--gender",
        "1",
        "--address",
        "北海道札幌市中央区北1条西2丁目1番地",
        "--card-expires",
        card.expires.isoformat(),
        "--card-file",
        str(tmp_path / "obihiro" / "cards" / f"{card.id}.card"),
    ]
    moved = madoguchi_json(*move_in, env=env_b)
    assert moved["card_id"] == card.id
    assert {x["kind"]: x["status"] for x in moved["certificates"]}[
        "auth"
    ] == "good"  # the card's auth certificate carried over
    assert _card_at_ca(service, card.id)["municipality"] == SAPPORO
    again = madoguchi(*move_in, env=env_b, check=False)  # the card is registered already
    assert again.returncode == 1 and "Traceback" not in again.stderr
    assert "すでに登録されています" in again.stderr
