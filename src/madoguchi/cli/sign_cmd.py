"""`madoguchi sign pdf|xml|cms IN OUT`: sign a file with the card's signing key.

Where the card is: a PC/SC reader (default: the first reader with a card; ``--reader NAME``),
any PKCS#11 module (``--pkcs11 LIB``, e.g. OpenSC's ``opensc-pkcs11.so``), or a test card of
the vault (``--card ID``, for relying parties' tests). The signing password is asked for
without echo, or read from ``MADOGUCHI_SIGN_PASSWORD``; it is never logged or printed.

Exit codes: 0 signed; 1 refused (a wrong or locked password, a revoked or unverifiable
certificate, no card, no token); 2 the input cannot be signed (not a PDF, damaged XML, too
large, a missing file). pyHanko, signxml and lxml are imported inside the commands only (the
CLI's start-up stays light).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from madoguchi.card.errors import WrongPin
from madoguchi.cli.card_cmd import SIGN_PASSWORD_ENV
from madoguchi.cli.common import EXIT_REFUSED, DataDirOpt, JsonOpt, container, handled
from madoguchi.cli.errors import fail
from madoguchi.cli.output import emit
from madoguchi.cli.verify_cmd import (
    TrustOpt,
    read_document,
    relying_errors,
    route_library_logs,
    signer_rows,
)

if TYPE_CHECKING:
    from madoguchi.relying.keys import SigningKey

InFile = Annotated[Path, typer.Argument(help="署名するファイル", show_default=False)]
OutFile = Annotated[Path, typer.Argument(help="署名したファイルの保存先", show_default=False)]
ReaderOpt = Annotated[
    str | None,
    typer.Option(
        "--reader", help="カードリーダーの名前（前方一致。省略時はカードの入った最初のリーダー）"
    ),
]
Pkcs11Opt = Annotated[
    str | None,
    typer.Option(
        "--pkcs11",
        metavar="LIB",
        help="PKCS#11 モジュールで署名します（例: /usr/lib/x86_64-linux-gnu/opensc-pkcs11.so）",
    ),
]
CardOpt = Annotated[
    str | None,
    typer.Option(
        "--card", metavar="ID", help="保管庫の試験用カードで署名します（VC で始まる18文字）"
    ),
]
KeyLabelOpt = Annotated[str, typer.Option("--key-label", help="PKCS#11 の署名用の鍵のラベル")]
TokenLabelOpt = Annotated[
    str | None,
    typer.Option(
        "--token-label",
        help="PKCS#11 のトークンの名前（省略時は名前に「Digital Signature」を含むトークン）",
    ),
]


def _password() -> str:
    value = os.environ.get(SIGN_PASSWORD_ENV) or typer.prompt(
        "署名用電子証明書のパスワード（英数字6〜16文字）", hide_input=True
    )
    return str(value)


@contextmanager
def _signing_key(
    reader: str | None,
    pkcs11: str | None,
    card_id: str | None,
    key_label: str,
    token_label: str | None,
    data_dir: Path | None,
    json_mode: bool,
) -> Iterator[SigningKey]:
    """The card's key, from the one source chosen; the vault card is saved afterwards."""
    from madoguchi.card.jpki import JpkiCard
    from madoguchi.relying.keys import JpkiSigningKey, Pkcs11SigningKey

    if card_id is not None and (reader is not None or pkcs11 is not None):
        fail(
            "one_source",
            "--card は --reader、--pkcs11 と一緒には指定できません。",
            json_mode=json_mode,
        )
    if pkcs11 is not None:
        with Pkcs11SigningKey(
            pkcs11, _password(), key_label=key_label, token_label=token_label, reader=reader
        ) as key:
            yield key
    elif card_id is not None:
        vault = container(data_dir).vault
        card = vault.load(card_id)
        try:  # a wrong password's spent try is kept, as on a real card (R-PIN-2)
            yield JpkiSigningKey(JpkiCard(card), _password())
        finally:
            vault.save(card)
    else:
        from madoguchi.card.pcsc import PcscReader

        with PcscReader(reader) as transport:
            yield JpkiSigningKey(JpkiCard(transport), _password())


def _write(out: Path, data: bytes) -> None:
    """Atomically: a signed file is either whole or absent."""
    tmp = out.with_name(f".{out.name}.signing")
    tmp.write_bytes(data)
    tmp.replace(out)


def _sign(kind: str, infile: Path, outfile: Path, options: dict[str, Any]) -> None:
    json_mode = options.pop("json")
    trust_paths = options.pop("trust") or []
    route_library_logs()
    from madoguchi.relying import signing
    from madoguchi.relying.errors import BadDocument
    from madoguchi.relying.trust import certificate_facts, load_anchors, signer_facts

    with handled(json_mode), relying_errors(json_mode):
        data = read_document(infile)
        if outfile.resolve() == infile.resolve():
            raise BadDocument("same_file", str(outfile))
        signing.check_document(kind, data)  # before the card or the password is asked for
        trust = load_anchors(trust_paths)
        embed = options.pop("embed_revocation", True)
        reason = options.pop("reason", None)
        try:
            with _signing_key(**options, json_mode=json_mode) as key:
                if kind == "pdf":
                    signed = signing.sign_pdf(
                        data, key, trust=trust, embed_revocation=embed, reason=reason
                    )
                elif kind == "xml":
                    signed = signing.sign_xml(data, key, trust=trust)
                else:
                    signed = signing.sign_cms(data, key, trust=trust)
                certificate = key.certificate
        except WrongPin as exc:  # R-PIN-2: say how many tries are left
            fail(
                exc.code,
                "署名用電子証明書のパスワードが違います。"
                f"あと {exc.tries_left} 回間違えるとロックされます。",
                json_mode=json_mode,
                exit_code=EXIT_REFUSED,
            )
        _write(outfile, signed)
    from cryptography import x509

    cert = x509.load_der_x509_certificate(certificate)
    facts, signer = certificate_facts(cert), signer_facts(cert)
    data_out = {
        "format": kind,
        "output": str(outfile),
        "bytes": len(signed),
        "signer": signer.to_json() if signer else None,
        "certificate": facts.to_json(),
        "revocation_embedded": kind == "pdf" and embed,
    }
    rows = [("保存先", str(outfile)), *signer_rows(signer, facts)]
    if kind == "pdf":
        rows.append(
            (
                "失効情報",
                "OCSP の応答を文書に埋め込みました（長期署名）" if embed else "埋め込んでいません",
            )
        )
    emit(data_out, json_mode=json_mode, title="署名しました", rows=rows)


def cmd_pdf(
    infile: InFile,
    outfile: OutFile,
    reader: ReaderOpt = None,
    pkcs11: Pkcs11Opt = None,
    card: CardOpt = None,
    key_label: KeyLabelOpt = "Digital Signature Key",
    token_label: TokenLabelOpt = None,
    trust: TrustOpt = None,
    no_revocation_info: Annotated[
        bool,
        typer.Option(
            "--no-revocation-info",
            help="OCSP の応答を埋め込みません（失効情報を公開していない認証局のカード用）",
        ),
    ] = False,
    reason: Annotated[str | None, typer.Option("--reason", help="署名の理由（PDF に記録）")] = None,
    data_dir: DataDirOpt = None,
    json: JsonOpt = False,
) -> None:
    """PDF に署名します（PAdES。OCSP の応答を埋め込む長期署名）"""
    _sign(
        "pdf",
        infile,
        outfile,
        dict(
            reader=reader,
            pkcs11=pkcs11,
            card_id=card,
            key_label=key_label,
            token_label=token_label,
            data_dir=data_dir,
            trust=trust,
            json=json,
            embed_revocation=not no_revocation_info,
            reason=reason,
        ),
    )


def cmd_xml(
    infile: InFile,
    outfile: OutFile,
    reader: ReaderOpt = None,
    pkcs11: Pkcs11Opt = None,
    card: CardOpt = None,
    key_label: KeyLabelOpt = "Digital Signature Key",
    token_label: TokenLabelOpt = None,
    trust: TrustOpt = None,
    data_dir: DataDirOpt = None,
    json: JsonOpt = False,
) -> None:
    """XML に署名します（文書全体へのエンベロープ署名。XMLDSig、RSA-SHA256）"""
    _sign(
        "xml",
        infile,
        outfile,
        dict(
            reader=reader,
            pkcs11=pkcs11,
            card_id=card,
            key_label=key_label,
            token_label=token_label,
            data_dir=data_dir,
            trust=trust,
            json=json,
        ),
    )


def cmd_cms(
    infile: InFile,
    outfile: OutFile,
    reader: ReaderOpt = None,
    pkcs11: Pkcs11Opt = None,
    card: CardOpt = None,
    key_label: KeyLabelOpt = "Digital Signature Key",
    token_label: TokenLabelOpt = None,
    trust: TrustOpt = None,
    data_dir: DataDirOpt = None,
    json: JsonOpt = False,
) -> None:
    """任意のファイルに分離署名（CMS、.p7s）を作ります"""
    _sign(
        "cms",
        infile,
        outfile,
        dict(
            reader=reader,
            pkcs11=pkcs11,
            card_id=card,
            key_label=key_label,
            token_label=token_label,
            data_dir=data_dir,
            trust=trust,
            json=json,
        ),
    )


def build() -> typer.Typer:
    sign = typer.Typer(help="カードの署名用電子証明書で署名します", no_args_is_help=True)
    sign.command("pdf")(cmd_pdf)
    sign.command("xml")(cmd_xml)
    sign.command("cms")(cmd_cms)
    return sign
