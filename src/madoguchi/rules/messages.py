"""Japanese messages for the rules layer's error codes (DESIGN.md conventions 6 and 10).

The codes are English and stable (logs, the API's ``detail``); this table is what a person
reads. The CLI and the web look messages up here so both say the same thing.
"""

from __future__ import annotations

ERROR_MESSAGES: dict[str, str] = {
    "naive_datetime": "日時にタイムゾーンがありません。",
    "born_after_date": "生年月日が基準日より後になっています。",
    "born_after_issue": "生年月日が発行日より後になっています。",
    "born_after_creation": "生年月日がカードの発行日より後になっています。",
    "invalid_count": "回数の指定が正しくありません。",
    "before_meiji": "明治より前の日付は扱えません。",
    "bad_birth_field": "生年月日欄の値が正しくありません。",
    "card_expired": "発行日の時点でマイナンバーカードの有効期限が過ぎています。カードの更新が必要です。",
    "auth_expired": "発行日の時点で利用者証明用電子証明書の有効期限が過ぎています。",
    "auth_expiry_for_auth": "利用者証明用電子証明書の有効期限は、署名用電子証明書の計算にだけ指定できます。",
    "stay_ended": "在留期間の満了日がカードの発行日より前です。",
    "empty_fee_schedule": "手数料の設定がありません。",
    "fee_schedule_order": "手数料の設定は適用開始日の順に並べてください。",
    "negative_fee": "手数料に負の金額は設定できません。",
    "waiver_unnamed": "手数料を免除する場合は、その根拠を設定してください。",
    "no_fee_schedule": "その日付に適用される手数料の設定がありません。",
    "unknown_office": "その窓口は登録されていません。",
    "no_such_visit": "その来庁回はありません。",
    "letter_number_range": "照会書番号の範囲が正しくありません。",
    "bad_letter_number": "照会書番号が正しくありません。番号を確かめてもう一度入力してください。",
    "kinds_for_event": "証明書の種類を指定できるのは、本人の申請による失効のときだけです。",
    "no_kinds": "失効させる電子証明書を1つ以上指定してください。",
    "notice_period": "通知書の送付期間の設定が正しくありません。",
    "invalid_transition": "この申請の状態では、その操作はできません。",
    "unknown_id_document": "その本人確認書類のコードはありません。",
    "stay_required": "在留期間のある在留資格では、在留期間の満了日を指定してください。",
    "no_period_of_stay": "永住者・特別永住者・高度専門職2号の方には在留期間の満了日はありません（カードの有効期限は誕生日で決まります）。",
    "card_expiry_before_creation": "カードの有効期限がカードの発行日より前になっています。",
    "before_creation": "基準日がカードの発行日より前になっています。",
    "new_stay_ended": "新しい在留期間の満了日が基準日より前です。",
    "applied_required": "カードの申請日を指定してください。",
    "applied_before_move_out": "カードの申請日が国外転出の日より前になっています。",
}
