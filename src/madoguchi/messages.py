"""Japanese messages for every layer's error codes, shared by the CLI and the web.

Codes are stable English (logs, the API's ``detail``); a person reads the Japanese.
"""

from __future__ import annotations

import re

from madoguchi.relying.messages import RELYING_MESSAGES
from madoguchi.rules.abroad import AbroadRefusal
from madoguchi.rules.messages import ERROR_MESSAGES as RULE_MESSAGES
from madoguchi.rules.pins import PinProblem

PKI_MESSAGES: dict[str, str] = {
    "ca_exists": "認証局はすでに作成されています。上書きはしません。",
    "no_ca": "認証局がまだありません。先に `madoguchi ca init` を実行してください。",
    "key_missing": "認証局の鍵ファイルが見つかりません。",
    "key_passphrase": "認証局の鍵を復号できません。パスフレーズを確認してください。",
    "key_type": "鍵の種類が正しくありません（RSA 2048ビットが必要です）。",
    "key_size": "鍵の長さが正しくありません（RSA 2048ビットが必要です）。",
    "no_passphrase": "鍵を暗号化するパスフレーズがありません。",
    "unknown_certificate": "その電子証明書は、この認証局が発行したものではありません。",
    "invalid_transition": "その電子証明書の状態では、その操作はできません（失効済み、または一時保留中）。",
    "pop_failed": "カードが鍵を持っていることを確認できませんでした。",
    "facts_missing": "署名用電子証明書には基本4情報が必要です。",
    "bad_gender": "性別は 1（男）、2（女）、3（不明）のいずれかです。",
    "empty_name": "氏名が空です。",
    "bad_address": "住所は1文字以上200文字以下です。",
    "not_a_certificate": "電子証明書のファイルとして読み取れません（PEM または DER 形式のファイルを指定してください）。",
    "file_missing": "ファイルが見つかりません。",
    "outlives_ca": "認証局の有効期限を超える電子証明書は発行できません。",
    "hsm_module_missing": "HSM（PKCS#11）のモジュールが見つかりません。",
    "hsm_token_missing": "HSM のトークンが見つかりません。",
    "hsm_pin": "HSM の PIN が正しくありません。",
    "hsm_key_missing": "HSM に認証局の鍵が見つかりません。",
    "hsm_key_exists": "HSM に同じ名前の鍵がすでにあります。",
    # R-X509-2; {field}, {character}, {codepoints} come from the error's params
    "unsupported_character": (
        "{field}の「{character}」（{codepoints}）は署名用電子証明書に使える文字"
        "（JIS X 0208・JIS X 0212）になく、代替文字もありません。"
        "住民票の代替文字（またはかな）で入力し直してください。"
    ),
}

CARD_MESSAGES: dict[str, str] = {
    "wrong_pin": "暗証番号が違います。あと{tries}回間違えるとロックされます。",
    "pin_locked": "暗証番号がロックされています。窓口で顔写真つきの本人確認書類を提示して初期化してください。",
    "card_missing": "カードが見つかりません。",
    "card_tampered": "カードのデータを読み取れません（鍵が違うか、改ざんされています）。",
    "pin_not_set": "暗証番号がまだ設定されていません。",
    "invalid_pin_format": "暗証番号の形式が正しくありません。",
    "security_status_not_satisfied": "暗証番号の確認が済んでいません。",
    "issuer_not_authenticated": "カードの発行者認証が済んでいません。",
    "issuer_authentication_failed": "カードの発行者認証に失敗しました。",
    "file_not_found": "カードに必要なデータがありません。",
    "conditions_not_satisfied": "カードがその操作を受け付けませんでした。",
    "invalid_data": "カードに送ったデータが正しくありません。",
    "unexpected_status": "カードから予期しない応答がありました。",
    "card_data_error": "カードのデータが壊れています。",
    "malformed_apdu": "カードへのコマンドが正しくありません。",
    "invalid_card_id": "カードの番号が正しくありません。",
    "pcsc_unavailable": "カードリーダーのサービス（pcscd）が動いていません。",
    "no_reader": "カードリーダーが見つかりません。接続と名前を確かめてください。",
    "no_card_in_reader": "カードリーダーにカードが入っていません。",
    "reader_error": "カードリーダーとの通信に失敗しました。カードを入れ直してください。",
    "vpcd_unreachable": "仮想カードリーダー（vpcd）に接続できません。pcscd が vpcd の設定で動いているか確かめてください。",
}

SYSTEM_MESSAGES: dict[str, str] = {
    "database_unavailable": "データベースに接続できません。しばらくしてからもう一度お試しください。",
    "internal_error": "予期しないエラーが発生しました。処理は記録されていません。管理者に連絡してください。",
    "concurrent_update": "ほかの端末が同じ申請を先に更新しました。画面を読み込み直してください。",
    "unknown_resident": "その住民は見つかりません。",
    "unknown_case": "その申請は見つかりません。",
    "idempotency_conflict": "この再送キーは別の申請に使われています。",
    "branch_office": "この窓口では電子証明書の手続きはできません。本庁（戸籍住民課 マイナンバーカード交付担当、市庁舎水道棟3階 大会議室）をご案内ください。",
    "outside_window": "更新できる期間ではありません。有効期限の3か月前の翌日から更新できます。",
    "nothing_to_renew": "更新する電子証明書がありません。新規発行の手続きをしてください。",
    "not_resident": "住民登録のない方の手続きはできません。",
    "no_card": "有効なマイナンバーカードがありません。",
    "items_missing": "必要な書類がそろっていません。",
    "holder_id_insufficient": "本人の本人確認書類では確認できません。{reason}",
    "proxy_id_insufficient": "代理人の本人確認書類では確認できません。{reason}",
    "proxy_name_required": "代理人の氏名を、本人確認書類のとおりに入力してください。",
    "pin_required": "本人に住民基本台帳用暗証番号を入力してもらうか、暗証番号がわからないときは本人確認書類を選んでください。",
    "wrong_pin": "暗証番号が違います。あと{tries}回間違えるとロックされます。",
    "kind_not_eligible": "この方には選んだ電子証明書を発行できません（署名用電子証明書は15歳未満・成年被後見人の方には発行できません）。",
    "issue_kinds_required": "発行する電子証明書を選んでください。",
    "sign_password_required": "署名用電子証明書の暗証番号（英数字6〜16文字）を入力してください。",
    "pin_locked": "暗証番号がロックされています。顔写真つきの本人確認書類で初期化の手続きをしてください。",
    "letter_required": "2回目の来庁では照会書が必要です。",
    "letter_unknown": "その番号の照会書はありません。",
    "letter_used": "この照会書は使用済みです。",
    "letter_void": "照会書の送付後に住民登録が変わったため、この照会書は無効です。",
    "letter_other_case": "この照会書は別の申請のものです。",
    "letter_other_holder": "この照会書は別の方あてのものです。",
    "letter_not_mailed": "この照会書はまだ郵送されていません。",
    "case_closed": "この申請はすでに終了しています。",
    "photo_id_required": "暗証番号の初期化には本人の顔写真つき本人確認書類が必要です。",
    "no_inquiry_letter": "この手続きに照会書はありません。",
    "under_15": "15歳未満の方には署名用電子証明書を発行できません。",
    # the national CA service (issue 17)
    "ca_unreachable": "認証局（電子証明書の発行元）に接続できません。電子証明書の発行・失効は行われていません。しばらくしてからもう一度お試しください。続く場合は管理者に連絡してください。",
    "ca_refused_credentials": "認証局がこの窓口の接続用証明書（RA証明書）を受け付けません。管理者に連絡してください。",
    "ca_error": "認証局からの応答が正しくありません。電子証明書の発行・失効は確認できていません。管理者に連絡してください。",
    "ra_credentials_missing": "認証局に接続するための証明書（MADOGUCHI_RA_CREDENTIALS のディレクトリ）が見つかりません。`madoguchi ca enroll-ra` で作成したディレクトリを指定してください。",
    "idempotency_key_reused": "この再送キーは別の発行依頼に使われています。",
    "not_your_certificate": "この市区町村からは、その電子証明書の状態を変更できません（発行した市区町村か、現在の住所地の市区町村だけができます）。",
    "unknown_ra": "その RA 証明書は登録されていません。",
    # R-NAT-3: moves between municipalities
    "not_your_card": "このカードの住所地は別の市区町村です。転出の届出は住所地の市区町村からだけできます。",
    "no_move_out": "このカードについて転出の届出が認証局に届いていません。転出元の市区町村で転出の手続きを済ませてください。",
    "already_moved_in": "このカードは別の市区町村で転入の手続きが済んでいます。",
    "move_in_too_late": "転出予定日から30日以内に転入の届出がなかったため、このカードの利用者証明用電子証明書は失効しています。カードの継続利用はできません。",
    "notices_by_ca_operator": "有効期限通知書は認証局の運用者が全国の所持者に送付します。この窓口では送付計画を作りません。",
    "card_unknown_at_ca": "認証局はこのカードに電子証明書を発行していません。カードの番号を確かめてください。",
    "card_known": "このカードはこの市区町村ですでに登録されています。",
    "card_file_mismatch": "カードのファイルが指定したカードの番号と合いません。",
    # R-FEE: why the card is in hand
    "fee_reason_not_applicable": "この手続きでは電子証明書を発行しないため、交付の理由は選べません。",
    "fee_reason_mismatch": "更新の手続きでは交付の理由は「更新」だけです。新規の発行では「更新」は選べません。",
    "moved_abroad_on_required": "国外転出後の再交付では、国外転出の日（戸籍の附票の記載）を入力してください。",
    "unknown_fee_reason": "カードをお持ちの理由を選んでください。",
    # R-CARD-2…4: the foreign resident's card at the counter
    "no_stay_holder": "在留期間のある外国人住民の方のカードだけが、有効期間の変更・特例期間の延長の対象です。",
    "stay_card_expired": "カードの有効期限が過ぎているため、有効期間の変更はできません。新しいカードの申請が必要です（電子証明書は有料の再交付扱い）。",
    "stay_extension_used": "特例期間による有効期間の延長は1回だけです。すでに延長しています。",
    "unknown_stay_applicant": "申請する人（本人・法定代理人・同一世帯の方）を選んでください。",
    "new_stay_required": "在留カードに記載された新しい在留期間の満了日を入力してください。",
    # R-ABROAD-1…3
    **{f"abroad_{r.value}": r.message for r in AbroadRefusal},
    "no_move_abroad_notice": "国外転出届が出ていません。先に国外転出届を受け付けてください。",
    "move_abroad_not_yet": "転出予定日がまだ来ていません。国外転出は転出日以降に記録します。",
    "abroad_sign_not_eligible": "この方には署名用電子証明書を発行できません（15歳未満、または成年被後見人）。",
    "unknown_abroad_applicant": "申請する人（本人・同一世帯の方または法定代理人・その他の代理人）を選んでください。",
    "move_out_required": "転出予定日を入力してください。",
    # R-FACE-1, R-FACE-2
    "already_face_auth": "このカードはすでに顔認証マイナンバーカードです。",
    "not_face_auth": "このカードは顔認証マイナンバーカードではありません。",
    "face_auth_no_pin": "顔認証マイナンバーカードには暗証番号がありません。本人確認書類で本人確認をしてください。",
}

WEB_MESSAGES: dict[str, str] = {
    "unauthenticated": "ログインしてください。",
    "forbidden": "この操作をする権限がありません。",
    "csrf_failed": "画面の有効期限が切れました。画面を読み込み直して、もう一度操作してください。",
    "invalid_request": "入力の内容が正しくありません。",
    "not_found": "ページが見つかりません。",
    "method_not_allowed": "その操作はできません。",
    "http_error": "要求を処理できませんでした。",
    "login_failed": "ログイン名またはパスワードが違います。",
    "account_locked": "パスワードを続けて間違えたため、しばらくログインできません。時間をおいてからお試しください。",
    "bad_login_name": "ログイン名は3〜64文字の英小文字・数字・「.」「_」「-」です。",
    "weak_password": "パスワードは10文字以上にしてください。",
    "login_taken": "そのログイン名はすでに使われています。",
    "unknown_staff": "その職員アカウントはありません。",
    "bad_office": "窓口にはコードと名前が必要です。",
    "bad_hours": "開庁時刻は閉庁時刻より前にしてください。",
    "no_certificate_office": "電子証明書を扱う窓口が1つもなくなります。",
    "calendar_conflict": "同じ日を閉庁日と開庁日の両方にはできません。",
    "pin_mismatch": "確認のために入力した暗証番号が一致しません。",
    "unknown_card": "そのカードは見つかりません。",
    "bad_renewal_link": "このQRコードのリンクは正しくないか、古くなっています。通知書のQRコードを読み取り直してください。",
    "already_applied": "このカードの更新申請はすでに受け付けています。",
    "contact_required": "連絡先（電話番号またはメールアドレス）を入力してください。",
    "consent_required": "申請内容の確認にチェックを入れてください。",
    "upload_too_large": "ファイルが大きすぎます。",
    "request_too_large": "送られたデータが大きすぎます。",
    "unknown_token": "そのAPIトークンはありません。",
    "bad_token_days": "APIトークンの有効日数は1日から3650日までです。",
    "too_many_attempts": "ログインの失敗が続いたため、しばらく受け付けません。少し待ってからもう一度お試しください。",
    "too_many_requests": "短い時間に続けて照会されました。少し待ってからもう一度お試しください。",
    "bad_day": "日付は 2026-11-24 のように「年-月-日」で指定してください。",
    "day_out_of_range": "日付は2000年1月1日から2999年12月31日までの日を指定してください。",
    "bad_serial": "シリアル番号は16進数で入力してください。",
    "unknown_kind": "電子証明書の種類を選んでください。",
    "no_input": "ファイルを選ぶか、写しに書かれた種類とシリアル番号を入力してください。",
    "bad_date": "日付の形式が正しくありません（例: 2026-11-24）。",
    "bad_birth_date": "生年月日を読み取れません。1988-11-30、昭和63年11月30日、S63.11.30 のように入力してください。",
    "bad_number": "数値の形式が正しくありません。",
    "search_input_required": "氏名か生年月日、カードの番号、照会書番号のいずれかを入力してください。",
    "not_a_card_event": "この申請はカードの紛失・発見の届出ではありません。",
    "unknown_campaign": "その通知の送付計画はありません。",
    "unknown_notice": "その番号の通知書はありません。",
    "notice_not_sent": "その通知書はまだ送付していません（返戻は送付済みの通知書だけです）。",
    "bad_window": "期間の終わりが始まりより前になっています。",
    "bad_batch_size": "1回の印刷単位は1通以上にしてください。",
    "window_incomplete": "期間を指定するときは、有効期限の初日と末日の両方を入力してください。",
    "window_in_past": "有効期限の初日は今日以降の日にしてください。",
    "window_too_far": "有効期限の末日は3か月後までにしてください。通知書は有効期限の2〜3か月前に届くように送ります。",
    "notice_not_mailed": "その通知書の印刷単位は、まだ印刷業者に引き渡していません（返戻を記録できるのは郵送した通知書だけです）。",
    "unknown_batch": "その印刷単位はありません。",
    "batch_not_written": "その印刷単位はまだ作成中です。印刷データの作成をもう一度実行してください。",
    "batch_already_handed_over": "その印刷単位は、すでに印刷業者に引き渡しています。",
    "handover_unconfirmed": "「印刷業者が受け取りました」にチェックを入れてから記録してください。",
    "bad_time": "{field}の「{value}」を時刻として読み取れません。8:30 や 17:15 のように、時と分を「:」で区切って入力してください。",
    "bad_closure_line": "{field}の{line}行目「{value}」は日付として読み取れません。2026-12-01 の形で、1行に1日ずつ入力してください。",
    "bad_postal_code": "郵便番号は 080-0015 のように数字7桁で入力してください。",
    "empty_batch": "印刷する通知書がありません。",
    "not_issued": "この申請では電子証明書を発行していません。",
    "not_a_backup": "バックアップのファイルとして読み取れません。",
    "backup_passphrase": "バックアップのパスフレーズが違うか、ファイルが変更されています。",
    "weak_backup_passphrase": "バックアップのパスフレーズは12文字以上にしてください。",
    "revision_mismatch": "バックアップのデータベースの版が、このプログラムの版と合いません。",
    "store_not_empty": "復元先のデータベースが空ではありません。新しいデータディレクトリに復元してください。",
    "data_dir_not_empty": "復元先のデータディレクトリが空ではありません。",
    "incomplete": "復元した件数がバックアップの件数と合いません。",
    "backup_passphrase_missing": "バックアップのパスフレーズを MADOGUCHI_BACKUP_PASSPHRASE に設定するか、入力してください。",
    "unknown_case_kind": "手続きの種類を選んでください。",
    "reason_required": "受付できない理由を選ぶか、入力してください。",
    "kinds_required": "失効させる電子証明書を選んでください。",
    "unknown_pin": "初期化する暗証番号を選んでください。",
    **{f"pin_{p.value}": p.message for p in PinProblem},
}

MESSAGES: dict[str, str] = {
    **RULE_MESSAGES,
    **PKI_MESSAGES,
    **CARD_MESSAGES,
    **SYSTEM_MESSAGES,
    **WEB_MESSAGES,
    **RELYING_MESSAGES,
}


def japanese(code: str, fallback: str) -> str:
    return MESSAGES.get(code, fallback)


_UNFILLED = re.compile(r"[^。]*\{\w+\}[^。]*。?")


def without_placeholders(text: str) -> str:
    """A message shown without its error's data (a code carried in a link): the sentences
    that would need the data are left out (「あと{tries}回…」)."""
    return _UNFILLED.sub("", text).strip() or text


def japanese_of(exc: object) -> str:
    """The Japanese message of a layer's error; an error that carries ``params`` (data such
    as the character of ``unsupported_character``) has them filled in."""
    code = getattr(exc, "code", "internal_error")
    message = japanese(code, getattr(exc, "detail", str(exc)))
    params = getattr(exc, "params", None)
    if isinstance(params, dict) and code in MESSAGES:
        try:
            return message.format_map(params)
        except (KeyError, IndexError, ValueError):
            return message
    return message
