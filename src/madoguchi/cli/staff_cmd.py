"""`madoguchi staff add | list | token | tokens | revoke-token`: staff accounts and API tokens
from the shell (a token expires: ``--days``, by default MADOGUCHI_API_TOKEN_DAYS).

The password of a new account is read from MADOGUCHI_NEW_PASSWORD, from a pipe, or asked
for twice without echo (never an option: options end up in the shell history). An API token is printed once;
only its SHA-256 is stored.
"""

from __future__ import annotations

import getpass
import os
import sys
from typing import Annotated

import typer

from madoguchi.cli.common import DataDirOpt, JsonOpt, handled, with_store
from madoguchi.cli.errors import CliInputError
from madoguchi.cli.output import emit
from madoguchi.rules.dates import JST
from madoguchi.services.audit import Actor
from madoguchi.services.domain import StaffAccount, StaffRole

PASSWORD_ENV = "MADOGUCHI_NEW_PASSWORD"
NAME_MAX = 100  # the store's column

LoginOpt = Annotated[
    str, typer.Option("--login", help="ログイン名（英小文字・数字・「.」「_」「-」、3〜64文字）")
]


def _actor() -> Actor:
    """Who ran the command, for the audit log: the operating-system user at the shell."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return Actor(f"cli:{user}"[:64], "-", "cli")


def _new_password() -> str:
    """From the environment, from a pipe (one line), or typed twice without echo."""
    from_env = os.environ.get(PASSWORD_ENV)
    if from_env is not None:
        return from_env
    if not sys.stdin.isatty():
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise CliInputError(
                "password_required",
                f"パスワードを入力するか、環境変数 {PASSWORD_ENV} で指定してください。",
            )
        return line
    try:
        first = str(typer.prompt("パスワード（10文字以上）", hide_input=True, err=True))
        second = str(
            typer.prompt("確認のため、もう一度入力してください", hide_input=True, err=True)
        )
    except typer.Abort:
        raise CliInputError(
            "password_required",
            f"パスワードを入力するか、環境変数 {PASSWORD_ENV} で指定してください。",
        ) from None
    if first != second:
        raise CliInputError("password_mismatch", "2回入力したパスワードが一致しません。")
    return first


def _account_json(a: StaffAccount) -> dict[str, object]:
    return {
        "login": a.id,
        "name": a.name,
        "role": a.role.value,
        "office": a.office,
        "active": a.active,
        "locked_until": a.locked_until.astimezone(JST) if a.locked_until else None,
        "created_at": a.created_at.astimezone(JST),
    }


def cmd_add(
    login: LoginOpt,
    name: Annotated[str, typer.Option("--name", help="氏名（画面と監査ログに表示）")],
    role: Annotated[
        StaffRole,
        typer.Option("--role", help="clerk（窓口職員）/ supervisor（監督者）/ admin（管理者）"),
    ],
    office: Annotated[str, typer.Option("--office", help="所属する窓口のコード（例: main）")],
    data_dir: DataDirOpt = None,
    json: JsonOpt = False,
) -> None:
    """職員のアカウントを作成します（パスワードは環境変数 MADOGUCHI_NEW_PASSWORD か入力）"""
    with handled(json):
        if not name.strip() or len(name.strip()) > NAME_MAX:
            raise CliInputError("bad_name", f"--name は1〜{NAME_MAX}文字で指定してください。")
        c = with_store(data_dir)
        password = _new_password()
        account = c.staff.create_account(
            login=login, name=name, role=role, office=office, password=password, actor=_actor()
        )
    emit(
        {"account": _account_json(account)},
        json_mode=json,
        title="職員のアカウントを作成しました",
        rows=[
            ("ログイン名", account.id),
            ("氏名", account.name),
            ("役割", account.role.label),
            ("窓口", account.office),
        ],
    )


def cmd_list(data_dir: DataDirOpt = None, json: JsonOpt = False) -> None:
    """職員のアカウントを一覧表示します"""
    with handled(json):
        accounts = with_store(data_dir).staff.accounts()
    rows = [
        (
            a.id,
            f"{a.name}　{a.role.label}　{a.office}" + ("" if a.active else "　（無効）"),
        )
        for a in accounts
    ]
    emit(
        {"accounts": [_account_json(a) for a in accounts]},
        json_mode=json,
        title=f"職員のアカウント（{len(accounts)}件）",
        rows=rows,
        notes=[] if accounts else ["アカウントはまだありません。"],
    )


def cmd_token(
    login: LoginOpt,
    label: Annotated[
        str, typer.Option("--label", help="用途のメモ（例: 窓口端末1）。64文字まで")
    ] = "api",
    days: Annotated[
        int | None,
        typer.Option(
            "--days", help="有効日数（1〜3650）。省略時は MADOGUCHI_API_TOKEN_DAYS（既定90日）"
        ),
    ] = None,
    data_dir: DataDirOpt = None,
    json: JsonOpt = False,
) -> None:
    """職員のAPIトークンを発行します（トークンはこの1回だけ表示されます）"""
    with handled(json):
        if not label.strip() or len(label) > 64:
            raise CliInputError("bad_label", "--label は1〜64文字で指定してください。")
        staff = with_store(data_dir).staff
        who = login.strip().lower()
        token = staff.create_api_token(who, label, _actor(), days=days)
        from madoguchi.services.staff import token_hash  # loaded with the store anyway

        ref = token_hash(token)[:12]
        expires = next(t.expires_at for t in staff.api_tokens(who) if t.ref == ref)
    emit(
        {
            "login": who,
            "label": label,
            "token": token,
            "expires_at": expires.astimezone(JST).isoformat(),
        },
        json_mode=json,
        title="APIトークンを発行しました",
        rows=[
            ("ログイン名", who),
            ("用途", label),
            ("有効期限", expires.astimezone(JST).strftime("%Y-%m-%d %H:%M")),
            ("トークン", token),
        ],
        notes=[
            "このトークンは今だけ表示されます。安全な場所に保管してください。",
            "使い方: Authorization: Bearer <トークン>",
        ],
    )


def cmd_tokens(login: LoginOpt, data_dir: DataDirOpt = None, json: JsonOpt = False) -> None:
    """職員のAPIトークンを一覧表示します（番号・用途・有効期限。トークンそのものは表示しません）"""
    with handled(json):
        tokens = with_store(data_dir).staff.api_tokens(login.strip().lower())
    emit(
        {
            "tokens": [
                {
                    "ref": t.ref,
                    "label": t.label,
                    "created_at": t.created_at.astimezone(JST).isoformat(),
                    "expires_at": t.expires_at.astimezone(JST).isoformat(),
                    "revoked": t.revoked,
                }
                for t in tokens
            ]
        },
        json_mode=json,
        title=f"APIトークン（{len(tokens)}件）",
        rows=[
            (
                t.ref,
                f"{t.label}　{t.expires_at.astimezone(JST):%Y-%m-%d}まで"
                + ("　（失効）" if t.revoked else ""),
            )
            for t in tokens
        ],
        notes=[] if tokens else ["APIトークンはありません。"],
    )


def cmd_revoke_token(
    login: LoginOpt,
    ref: Annotated[
        str, typer.Option("--ref", help="失効させるトークンの番号（staff tokens の表示）")
    ],
    data_dir: DataDirOpt = None,
    json: JsonOpt = False,
) -> None:
    """APIトークンを1つ失効させます"""
    who = login.strip().lower()
    with handled(json):
        with_store(data_dir).staff.revoke_api_token(who, ref, _actor())
    emit(
        {"login": who, "ref": ref.strip().lower(), "revoked": True},
        json_mode=json,
        title="APIトークンを失効させました",
        rows=[("ログイン名", who), ("番号", ref.strip().lower())],
    )


def build() -> typer.Typer:
    app = typer.Typer(help="職員のアカウントとAPIトークン", no_args_is_help=True)
    app.command("add")(cmd_add)
    app.command("list")(cmd_list)
    app.command("token")(cmd_token)
    app.command("tokens")(cmd_tokens)
    app.command("revoke-token")(cmd_revoke_token)
    return app
