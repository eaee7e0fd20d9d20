"""Japanese texts of the relying side: verdicts, and the errors of signing and verifying.

Plain words for people who are not PKI specialists: what happened, and what to do. The web
page passes them through the Babel catalog (English); :mod:`madoguchi.messages` merges
:data:`RELYING_MESSAGES` into the one table of error messages.
"""

from __future__ import annotations

#: the verdict of a signature, by reason (``valid`` when there is none)
VERDICT_MESSAGES: dict[str, str] = {
    "valid": "署名は有効です。署名した人の電子証明書は失効しておらず、署名の後で文書は変更されていません。",
    "modified": "署名の後で文書が変更されています。この文書は、署名されたときの内容と同じではありません。",
    "bad_signature": "署名が壊れています。署名の値が、署名した人の電子証明書と合いません。",
    "partial_coverage": "署名は文書の一部だけを対象としています。署名されていない部分は、署名の後で変更されていないか確かめられません。",
    "revoked": "署名した人の署名用電子証明書は失効しています。この署名は信頼できません。",
    "expired": "署名した人の署名用電子証明書は有効期限が切れています。",
    "not_yet_valid": "署名した人の署名用電子証明書は、まだ有効期間が始まっていません。",
    "revocation_unavailable": "電子証明書が失効していないかを確かめられませんでした（OCSP にも失効リストにも接続できません）。時間をおいて、もう一度確かめてください。",
    "untrusted": "署名した人の電子証明書が、信頼する認証局から発行されたものか確かめられません。",
    "wrong_usage": "署名に使われた電子証明書は、署名用電子証明書ではありません。",
}

#: the status of the signer's certificate, in a word (the page and the CLI's table)
STATUS_LABELS: dict[str, str] = {
    "good": "有効（失効していません）",
    "revoked": "失効しています",
    "expired": "有効期限切れ",
    "not_yet_valid": "有効期間の前",
    "revocation_unavailable": "確認できません（失効情報に接続できません）",
    "untrusted": "信頼する認証局の証明書ではありません",
    "wrong_usage": "署名用電子証明書ではありません",
}

RELYING_MESSAGES: dict[str, str] = {
    "file_too_large": "ファイルが大きすぎます。確認・署名できるのは 10 MB までのファイルです。",
    "unknown_format": "署名されたPDF、XML、またはCMS署名（.p7s）のファイルを指定してください。このファイルはどれでもありません。",
    "format_not_accepted": "ここで確かめられるのは、署名されたPDFとXMLのファイルです。",
    "no_document": "確かめるファイルを選んでください。",
    "not_a_pdf": "PDFファイルを指定してください。このファイルはPDFではありません。",
    "broken_pdf": "PDFファイルが壊れているか、途中で切れています。元のファイルを確かめてください。",
    "broken_xml": "XMLとして読み取れません。ファイルが壊れているか、途中で切れています。",
    "broken_cms": "CMS署名（.p7s）として読み取れません。ファイルが壊れているか、途中で切れています。",
    "unsigned_pdf": "このPDFには電子署名がありません。",
    "unsigned_xml": "このXMLには電子署名（ds:Signature）がありません。",
    "content_required": "分離署名（CMS）を確かめるには、署名の対象のファイルを --content で指定してください。",
    "no_trust_anchor": "信頼する認証局の証明書がありません。--trust で認証局の証明書を指定してください（この市の認証局なら madoguchi ca export で書き出せます）。",
    "bad_trust_anchor": "--trust に指定したファイルを、認証局の証明書として読み取れません。",
    "no_sign_certificate": "カードに署名用電子証明書が入っていません。",
    "signer_revoked": "カードの署名用電子証明書は失効しています。この電子証明書では署名できません。",
    "signer_expired": "カードの署名用電子証明書は有効期限が切れています。",
    "signer_untrusted": "カードの署名用電子証明書を、信頼する認証局までたどれません。--trust で認証局の証明書を指定してください。",
    "signer_wrong_usage": "この電子証明書は署名用電子証明書ではないため、署名できません。",
    "revocation_unavailable": "電子証明書が失効していないかを確かめられませんでした（OCSP にも失効リストにも接続できません）。時間をおいて、もう一度お試しください。",
    "signing_failed": "署名できませんでした。",
    "pkcs11_module": "PKCS#11 モジュールを読み込めません。--pkcs11 のパスを確かめてください。",
    "pkcs11_token": "署名に使うトークンを1つに決められません。--reader でカードリーダーを、または --token-label でトークンの名前を指定してください。",
    "pkcs11_no_key": "トークンに署名用の鍵（ラベル「Digital Signature Key」）が見つかりません。--key-label を確かめてください。",
    "pkcs11_wrong_pin": "署名用電子証明書のパスワードが違います。",
    "pkcs11_pin_locked": "署名用電子証明書のパスワードがロックされています。窓口で顔写真つきの本人確認書類を提示して初期化してください。",
    "pkcs11_error": "PKCS#11 のトークンとの通信に失敗しました。カードを入れ直してください。",
    "same_file": "署名したファイルは、元のファイルとは別の名前で保存してください。",
}

#: what a PKCS#11 token's flags tell after a wrong PIN (it has no counter to read)
PKCS11_PIN_HINTS: dict[str | None, str] = {
    "final_try": "次に間違えるとロックされます。",
    "count_low": "残りの回数が少なくなっています。",
    "locked": "ロックされました。窓口で初期化してください。",
    None: "残りの回数は PKCS#11 からはわかりません（madoguchi card pin-status で確かめられます）。",
}
