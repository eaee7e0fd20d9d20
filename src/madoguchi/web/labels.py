"""One label table: the Japanese name of every code a page shows (docs/glossary.md).

Templates pass these through ``_()``; web/catalog.py extracts them for the English catalog.
No page ever shows the code itself.
"""

from __future__ import annotations

from madoguchi.rules.cases import CaseKind, CaseState
from madoguchi.rules.fees import FeeReason
from madoguchi.rules.notices import NoticeState, SuppressionReason
from madoguchi.rules.procedures import PROCEDURES
from madoguchi.rules.revocation import RegistryEvent
from madoguchi.rules.stay import StayApplicant

KIND_LABELS: dict[CaseKind, str] = {
    **{CaseKind(p.id.value): p.title for p in PROCEDURES.values()},
    CaseKind.REVOCATION: "電子証明書の失効の申請",
    CaseKind.PIN_RESET: "暗証番号の初期化（ロックの解除）",
    CaseKind.CARD_LOST: "カードの紛失の届出（一時保留）",
    CaseKind.CARD_FOUND: "紛失したカードの発見の届出",
}
#: R-FEE: why the card is in hand, as the clerk chooses it when a new issuance opens
FEE_REASON_CHOICES: dict[FeeReason, str] = {
    FeeReason.NEW: "お持ちのカードに発行（初めて、または有効期限が切れた後）",
    FeeReason.REISSUE: "再交付されたカード（紛失・破損など本人の事由、手数料200円）",
    FeeReason.REISSUE_NOT_AT_FAULT: "再交付されたカード（盗難・追記欄の不足・カードの有効期限など）",
    FeeReason.ABROAD_REISSUE_90D: "国外転出で失効した後、90日以内に申請したカード",
}
#: R-CARD-3: who applies for the validity change
STAY_APPLICANT_LABELS: dict[StayApplicant, str] = {
    StayApplicant.HOLDER: "本人",
    StayApplicant.LEGAL_REPRESENTATIVE: "法定代理人",
    StayApplicant.HOUSEHOLD: "同一世帯の方（カードの手続きだけ。電子証明書は後日）",
}
#: what the resident page says after a step done there (R-CARD-3, R-CARD-4)
RESIDENT_NOTICES: dict[str, str] = {
    "validity_changed": "カードの有効期限を変更しました。電子証明書は後日、本人または法定代理人の来庁で更新します。",
    "card_extended": "特例期間によりカードの有効期限を延長しました。",
    "face_auth_on": "顔認証マイナンバーカードに切り替えました。署名用電子証明書は失効し、暗証番号はなくなりました。",
    "face_auth_off": "通常のカードに戻し、暗証番号を設定しました。",
    "abroad_noticed": "国外転出届を受け付けました。転出日以降に「国外転出を記録する」を押してください。",
    "abroad_recorded": "国外転出を記録しました。",
}
STATE_LABELS: dict[CaseState, str] = {
    CaseState.OPEN: "受付中",
    CaseState.AWAITING_REPLY: "照会書の持参待ち（2回目の来庁）",
    CaseState.ISSUED: "発行済み",
    CaseState.COMPLETED: "完了",
    CaseState.REFUSED: "受付できず",
    CaseState.CANCELLED: "取消し",
}
RESIDENT_STATUS_LABELS = {"resident": "住民", "moved_out": "転出", "deceased": "死亡"}
STATUS_LABELS = {
    "good": "有効",
    "held": "一時保留",
    "revoked": "失効",
    "expired": "期限切れ",
}
REFUSAL_REASONS = (
    "本人確認書類がそろわないため",
    "照会書・委任状に不備があるため",
    "本人の意思が確認できないため",
    "申請者の申出による",
)
NOTICE_STATE_LABELS = {
    NoticeState.PLANNED.value: "送付予定",
    NoticeState.DEFERRED.value: "送付保留（一時停止中）",
    NoticeState.SENT.value: "印刷データ作成済み",
    NoticeState.SUPPRESSED.value: "送付取りやめ",
    NoticeState.RETURNED.value: "返戻",
}
NOTICE_REASON_LABELS = {r.value: r.label for r in SuppressionReason}

ACTION_LABELS: dict[str, str] = {
    "case.open": "受付",
    "case.items": "確認したものの記録",
    "case.letter_mailed": "照会書の郵送",
    "case.issue": "発行",
    "case.refuse": "受付できず",
    "case.cancel": "取消し",
    "case.complete": "完了",
    "certificate.issue": "電子証明書の発行",
    "certificate.supersede": "旧電子証明書の失効（更新）",
    "certificate.revoke": "電子証明書の失効",
    "issue_intent.issued": "発行依頼の照合（記録済み）",
    "issue_intent.revoked": "発行依頼の照合（窓口に記録のない電子証明書を認証局で失効）",
    "issue_intent.abandoned": "発行依頼の照合（認証局に届かず終了）",
    "card.pin_reset": "暗証番号の初期化",
    "card.pin_failed": "住民基本台帳用暗証番号の入力誤り",
    "case.documents_rejected": "本人確認書類で確認できず",
    "card.renewal_applied": "カードの更新申請",
    "counter.refused": "規則による受付不可",
    "staff.login": "ログイン",
    "staff.logout": "ログアウト",
    "staff.login_failed": "ログイン失敗",
    "staff.locked": "アカウントのロック",
    "staff.create": "職員の追加",
    "staff.update": "職員の変更",
    "staff.api_token": "APIトークンの作成",
    "staff.api_token_revoked": "APIトークンの失効",
    "config.offices": "窓口の設定変更",
    "config.calendar": "閉庁日の設定変更",
    "config.fees": "手数料の設定変更",
    "document.print": "帳票の印刷",
    "notices.plan": "通知書の送付計画",
    "notices.pause": "通知書の送付の一時停止",
    "notices.resume": "通知書の送付の再開",
    "notices.batch": "通知書の印刷単位の作成",
    "notices.returned": "通知書の返戻の記録",
    "notices.handover": "印刷データの印刷業者への引き渡し",
    "resident.register": "住民の登録",
    "resident.move_in": "転入（カードの継続利用）",
    **{f"registry.{e.value}": f"住民票の異動（{e.label}）" for e in RegistryEvent},
}
#: The supervisor's filter of the audit trail: a group of actions by the prefix of their codes
ACTION_GROUPS: dict[str, tuple[str, tuple[str, ...]]] = {
    "cases": ("受付と手続き", ("case.", "counter.", "document.")),
    "certificates": ("電子証明書とカード", ("certificate.", "card.", "issue_intent.")),
    "staff": ("ログインと職員", ("staff.",)),
    "config": ("設定の変更", ("config.",)),
    "notices": ("有効期限通知書", ("notices.",)),
    "registry": ("住民票の異動", ("registry.", "resident.")),
}
#: actors of the audit log that are no staff account: residents' own pages, the demo loader
ACTOR_LABELS = {"resident": "住民（公開ページから）", "demo": "デモデータの作成"}
CHAIN_PROBLEMS = {
    "changed": "内容が変更されています",
    "missing": "記録が削除されています",
    "out_of_order": "順序が入れ替わっています",
    "": "不整合があります",
}
CARD_STATUS_LABELS = {
    "active": "有効",
    "lost": "紛失（電子証明書は一時保留）",
    "returned": "返納",
    "replaced": "再交付により無効",
    "lapsed": "国外転出により失効",
}

#: National holidays as jpholiday names them (the public calendar shows them; English through
#: the catalog). A substitute holiday is "<name> 振替休日".
HOLIDAY_NAMES = (
    "元日",
    "成人の日",
    "建国記念の日",
    "天皇誕生日",
    "春分の日",
    "昭和の日",
    "憲法記念日",
    "みどりの日",
    "こどもの日",
    "海の日",
    "山の日",
    "敬老の日",
    "秋分の日",
    "体育の日",
    "スポーツの日",
    "文化の日",
    "勤労感謝の日",
    "国民の休日",
    "天皇の即位の日",
    "即位礼正殿の儀",
    "振替休日",
    "祝日・休日",
)
