"""`madoguchi verify FILE`: is this signed PDF, XML or CMS signature valid, and who signed it?

The chain to a trust anchor (``--trust`` files or directories; by default the CAs of the data
directory), the revocation status in hard-fail mode (OCSP, then the CRL) now and — when the
document carries it — at the signing time, whether the document changed after signing, and
the signer's four facts with the era dates.

Exit codes (also in docs/relying-parties.md):

====  =========================================================================
0     every signature is valid
1     a signature is not valid (changed, revoked, expired, untrusted, broken)
2     the file cannot be verified (missing, too large, not a PDF/XML/CMS,
      damaged or truncated, unsigned, a detached signature without --content)
3     undecided: the revocation status could not be had (try again later)
====  =========================================================================
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from madoguchi.cli.common import EXIT_REFUSED, DataDirOpt, JsonOpt, handled, with_ca
from madoguchi.cli.errors import EXIT_BAD_INPUT, fail
from madoguchi.cli.output import emit, to_json
from madoguchi.config import Settings
from madoguchi.pki.errors import PkiError
from madoguchi.rules.dates import JST, format_japanese_with_western

if TYPE_CHECKING:
    from cryptography import x509

    from madoguchi.relying.certcheck import CertCheck
    from madoguchi.relying.trust import CertificateFacts, SignerFacts
    from madoguchi.relying.verdict import SignatureVerdict, Verdict

EXIT_INVALID = 1
EXIT_UNDECIDED = 3
TrustOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--trust",
        help="信頼する認証局の証明書（PEM/DER のファイルかディレクトリ。複数可。"
        "省略時はデータディレクトリの認証局）",
    ),
]
_LIBRARY_LOGGERS = ("pyhanko", "pyhanko_certvalidator", "signxml", "aiohttp")


def route_library_logs() -> None:
    """pyHanko's and signxml's warnings (English) go where madoguchi's logs go, never to a
    person's terminal (Python would print them to stderr when nobody handles them)."""
    ours = logging.getLogger("madoguchi")
    for name in _LIBRARY_LOGGERS:
        library = logging.getLogger(name)
        library.propagate = False
        for handler in ours.handlers or [logging.NullHandler()]:
            if handler not in library.handlers:
                library.addHandler(handler)


def read_document(path: Path) -> bytes:
    """The file's bytes; too large, missing or unreadable is a BadDocument (exit 2)."""
    from madoguchi.relying.errors import MAX_DOCUMENT_BYTES, BadDocument

    try:
        if path.stat().st_size > MAX_DOCUMENT_BYTES:
            raise BadDocument("file_too_large", f"{path.stat().st_size} bytes")
        with path.open("rb") as handle:
            data = handle.read(MAX_DOCUMENT_BYTES + 1)
    except FileNotFoundError:
        raise BadDocument("file_missing", str(path)) from None
    except IsADirectoryError:
        raise BadDocument("file_missing", f"{path} is a directory") from None
    except OSError as exc:
        raise BadDocument("file_missing", f"{path}: {exc.strerror}") from None
    if len(data) > MAX_DOCUMENT_BYTES:  # it grew while we looked
        raise BadDocument("file_too_large", f"over {MAX_DOCUMENT_BYTES} bytes")
    return data


@contextmanager
def relying_errors(json_mode: bool) -> Iterator[None]:
    """The relying side's errors in Japanese: a bad file exits 2, a refusal exits 1."""
    from madoguchi.messages import japanese
    from madoguchi.relying.errors import BadDocument, Pkcs11Failure, RelyingError, TrustError
    from madoguchi.relying.messages import PKCS11_PIN_HINTS

    try:
        yield
    except RelyingError as exc:
        message = japanese(exc.code, exc.detail)
        if isinstance(exc, Pkcs11Failure) and exc.code == "pkcs11_wrong_pin":
            message += PKCS11_PIN_HINTS.get(exc.hint, PKCS11_PIN_HINTS[None])
        bad_input = isinstance(exc, BadDocument | TrustError)
        fail(
            exc.code,
            message,
            json_mode=json_mode,
            exit_code=EXIT_BAD_INPUT if bad_input else EXIT_REFUSED,
        )


def _when(moment: datetime) -> str:
    local = moment.astimezone(JST)
    return f"{format_japanese_with_western(local.date())} {local:%H:%M}"


def signer_rows(signer: SignerFacts | None, facts: CertificateFacts) -> list[tuple[str, str]]:
    rows = []
    if signer is not None:
        rows += [
            ("署名した人", signer.name),
            ("生年月日", format_japanese_with_western(signer.birth)),
            ("性別", signer.gender_label),
            ("住所", signer.address),
        ]
    else:
        rows.append(("署名した人", "（電子証明書に基本4情報がありません）"))
    rows += [
        ("シリアル番号", facts.serial),
        (
            "有効期間",
            f"{format_japanese_with_western(facts.not_before)} 〜 "
            f"{format_japanese_with_western(facts.not_after)}",
        ),
        ("発行者", facts.issuer),
    ]
    return rows


def _check_text(check: CertCheck | None) -> str:
    from madoguchi.relying.messages import STATUS_LABELS

    if check is None:
        return "確認していません（署名が壊れています）"
    text = STATUS_LABELS.get(check.status, check.status)
    if check.revoked_at is not None:
        text += f"（{_when(check.revoked_at)}に失効）"
    return f"{text}　{_when(check.moment)}時点"


def _rows(signature: SignatureVerdict) -> list[tuple[str, str]]:
    rows = [("結果", "有効" if signature.valid else "無効"), ("", signature.message)]
    if signature.certificate is not None:
        rows += signer_rows(signature.signer, signature.certificate)
    rows.append(
        (
            "署名の日時",
            f"{_when(signature.signed_at)}（署名した人のコンピューターの時刻）"
            if signature.signed_at
            else "記録されていません",
        )
    )
    rows.append(("失効の確認（現在）", _check_text(signature.now)))
    if signature.format == "pdf":
        rows.append(
            (
                "失効の確認（署名時）",
                _check_text(signature.at_signing)
                if signature.at_signing
                else "文書に失効情報が埋め込まれていません",
            )
        )
    rows.append(
        ("文書の変更", "署名の後で変更されています" if signature.modified else "ありません")
    )
    return rows


def default_anchors(data_dir: Path | None) -> list[x509.Certificate]:
    """Our CAs: those of the data directory, when it has a CA (nothing is created)."""
    settings = Settings() if data_dir is None else Settings(data_dir=data_dir)
    if settings.database_url is None and not (settings.data_dir / "madoguchi.db").is_file():
        return []
    try:
        return [a.cert for a in with_ca(data_dir).authorities.values()]
    except PkiError:
        return []


def cmd_verify(
    file: Annotated[Path, typer.Argument(help="署名されたファイル（PDF、XML、CMS署名 .p7s）")],
    content: Annotated[
        Path | None,
        typer.Option("--content", help="分離署名（CMS）の署名の対象のファイル"),
    ] = None,
    trust: TrustOpt = None,
    data_dir: DataDirOpt = None,
    json: JsonOpt = False,
) -> None:
    """署名されたファイルを確かめます（PDF、XML、CMS署名）"""
    route_library_logs()
    from madoguchi.relying.trust import load_anchors
    from madoguchi.relying.verify import verify_document

    with handled(json), relying_errors(json):
        data = read_document(file)
        extra = read_document(content) if content is not None else None
        anchors = load_anchors(trust) if trust else default_anchors(data_dir)
        verdict = verify_document(data, anchors=anchors, content=extra)
    _print(verdict, json)
    if not verdict.valid:
        raise typer.Exit(EXIT_UNDECIDED if verdict.indeterminate else EXIT_INVALID)


def _print(verdict: Verdict, json_mode: bool) -> None:
    if json_mode:
        print(to_json(verdict.to_json()))
        return
    many = len(verdict.signatures) > 1
    for number, signature in enumerate(verdict.signatures, start=1):
        title = "署名の確認結果"
        if many:
            title += f"（署名 {number}: {signature.field_name or ''}）"
        emit({}, json_mode=False, title=title, rows=_rows(signature))
