"""`madoguchi demo-data`: fill the store with the demo residents (services/demo.py)."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

from madoguchi.cli.common import DataDirOpt, JsonOpt, handled
from madoguchi.cli.output import emit
from madoguchi.pki.errors import CaExists
from madoguchi.rules.dates import format_japanese, jst_date
from madoguchi.rules.offices import DEFAULT_OFFICES
from madoguchi.rules.validity import CertKind

#: what the demo's own output says, in Japanese (never the codes resident, good, main)
RESIDENT_STATUS = {"resident": "住民", "moved_out": "転出", "deceased": "死亡"}
CERT_STATUS = {"good": "有効", "held": "一時保留", "revoked": "失効", "expired": "期限切れ"}
OFFICE_NAMES = {o.code: o.name for o in DEFAULT_OFFICES}


def cmd_demo_data(data_dir: DataDirOpt = None, json: JsonOpt = False) -> None:
    """デモ用の住民・カード・電子証明書を作成します（認証局がなければ作成します）"""
    from madoguchi.bootstrap import Container
    from madoguchi.config import Settings
    from madoguchi.services.demo import MovableClock, create_demo_staff, load_demo_data

    with handled(json):
        settings = Settings() if data_dir is None else Settings(data_dir=data_dir)
        clock = MovableClock(datetime.now(UTC))
        c = Container(settings, clock)
        if not c.remote_ca:  # a counter of a CA service (MADOGUCHI_CA_URL) has no CA
            with contextlib.suppress(CaExists):  # the demo's CA from an earlier run
                c.init_ca()
        c.start()
        today = jst_date(clock())
        residents = load_demo_data(
            c.registry,
            c.counter,
            clock,
            c.card_side.new_card,
            today,
            history=not c.remote_ca,  # a CA service signs at its own time, not years ago
        )
        rows = []
        summary = []
        for current, records in c.views.residents_with_certificates([r.id for r in residents]):
            certs = []
            for rec in records:
                until = jst_date(rec.not_after)
                state = rec.status.value if until >= today else "expired"
                certs.append(
                    {
                        "kind": rec.kind.value,
                        "serial": rec.serial_hex,
                        "expires_on": until,
                        "status": state,
                    }
                )
            summary.append(
                {
                    "id": current.id,
                    "name": current.name,
                    "birth": current.birth,
                    "status": current.status.value,
                    "certificates": certs,
                }
            )
            text = (
                "、".join(
                    f"{CertKind(x['kind']).label.removesuffix('電子証明書')} "
                    f"{format_japanese(x['expires_on'])}まで（{CERT_STATUS[x['status']]}）"
                    for x in certs
                )
                or "電子証明書なし"
            )
            rows.append((f"{current.name}（{RESIDENT_STATUS[current.status.value]}）", text))
        clock.now = datetime.now(UTC)
        logins = create_demo_staff(c.staff)
        for d in logins:
            office = OFFICE_NAMES.get(d.office, d.office)
            rows.append((f"ログイン {d.login}", f"{d.password}（{d.role.label}、{office}）"))
    emit(
        {
            "residents": summary,
            "staff": [
                {"login": d.login, "password": d.password, "role": d.role.value, "office": d.office}
                for d in logins
            ],
        },
        json_mode=json,
        title="デモデータを作成しました",
        rows=rows,
    )
