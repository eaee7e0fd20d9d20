"""`rules eligible`, `rules revocation`: who may get a certificate and what an event revokes
(R-ELIG-1, R-ELIG-2, R-FACE-1, R-REV-1…4, R-ABROAD-2)."""

from __future__ import annotations

from typing import Annotated

import typer

from madoguchi.cli.common import DateOpt, JsonOpt, handled, parse_date
from madoguchi.cli.output import emit
from madoguchi.rules.eligibility import eligibility
from madoguchi.rules.revocation import RegistryEvent, revocation_for
from madoguchi.rules.validity import CertKind


def cmd_eligible(
    kind: Annotated[CertKind, typer.Option(help="sign / auth")],
    birth: DateOpt,
    on: DateOpt,
    adult_ward: Annotated[bool, typer.Option("--adult-ward", help="成年被後見人")] = False,
    juki_card: Annotated[
        bool, typer.Option("--juki-card", help="住民基本台帳カードでの申請")
    ] = False,
    face_auth: Annotated[
        bool, typer.Option("--face-auth", help="顔認証マイナンバーカード（暗証番号なし）")
    ] = False,
    json: JsonOpt = False,
) -> None:
    """電子証明書を発行できるか（R-ELIG-1、R-ELIG-2、R-FACE-1）"""
    with handled(json):
        result = eligibility(
            kind,
            birth=parse_date(birth, "--birth"),
            on=parse_date(on, "--on"),
            adult_ward=adult_ward,
            juki_card=juki_card,
            face_auth_card=face_auth,
        )
    data = {
        "kind": kind.value,
        "eligible": result.eligible,
        "reason": result.reason.value if result.reason else None,
        "message": result.message,
    }
    emit(
        data,
        json_mode=json,
        title=f"{kind.label}の発行",
        rows=[("判定", "発行できます" if result.eligible else "発行できません")],
        notes=[] if result.eligible else [result.message],
    )


def cmd_revocation(
    event: Annotated[RegistryEvent, typer.Option(help="住民票の異動やカードの出来事")],
    kind: Annotated[
        list[CertKind] | None,
        typer.Option(help="本人の申請（request）で失効させる証明書（省略時は両方）"),
    ] = None,
    json: JsonOpt = False,
) -> None:
    """異動・届出で失効または一時保留となる電子証明書（R-REV-1〜4、R-ABROAD-2、R-FACE-1）"""
    with handled(json):
        decision = revocation_for(event, kinds=kind or None)
    data = {
        "event": event.value,
        "revoke": [k.value for k in decision.revoke],
        "hold": [k.value for k in decision.hold],
        "reason": decision.reason.rfc_name if decision.reason is not None else None,
        "reason_code": int(decision.reason) if decision.reason is not None else None,
    }

    def names(kinds: tuple[CertKind, ...]) -> str:
        return "、".join(k.label for k in kinds) or "なし"

    notes = []
    if decision.spares_abroad_sign:
        data["spares_abroad_sign"] = True
        notes.append("転出前に発行した国外転出者向けの署名用電子証明書は失効しません。")
    emit(
        data,
        json_mode=json,
        title=event.label,
        rows=[
            ("失効", names(decision.revoke)),
            ("一時保留", names(decision.hold)),
            ("失効理由（RFC 5280）", data["reason"] or "—"),
        ],
        notes=notes,
    )
