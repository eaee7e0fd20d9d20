"""The public pages and the letters after issue 16: the checklist offers moving abroad
(R-ABROAD-1), the face-authentication card (R-FACE-1) and the validity change (R-CARD-3), and
tells that a locked signing password can be reset at a convenience-store kiosk (R-PIN-3);
資格確認書 replaces 健康保険証 in every list of documents shown to residents and in the
letters (R-ID-3)."""

from __future__ import annotations

from madoguchi.letters.render import expiry_notice_pdf
from madoguchi.rules.items import ITEM_LABELS, ITEM_NOTES
from tests.integration.web.test_public import section, text_of
from tests.support.pdf import pdf_text
from tests.support.web import Browser
from tests.unit.letters.test_letters import notice_doc


def test_the_checklist_offers_the_situations_of_2026(web: Browser) -> None:
    page = web.get("/checklist").text
    other = text_of(section(page, "other-situations"))
    # R-ABROAD-1, R-ABROAD-3
    abroad = text_of(section(page, "situation-abroad"))
    assert "国外継続利用" in abroad and "転出予定日の前日まで" in abroad
    assert "転出後は本人の来庁だけで申請できます" in abroad
    # R-FACE-1, R-FACE-2
    face = text_of(section(page, "situation-face-auth"))
    assert "顔認証マイナンバーカード" in face and "署名用電子証明書は失効" in face
    # R-CARD-3, R-CARD-4, R-NOTICE-5
    stay = text_of(section(page, "situation-validity-change"))
    assert "有効期間変更" in stay and "特例期間" in stay and "有効期限通知書は届きません" in stay
    # R-PIN-3
    pin = text_of(section(page, "situation-pin-locked"))
    assert "コンビニエンスストアのキオスク端末" in pin and "JPKI暗証番号リセット" in pin
    assert "住民基本台帳用と券面事項入力補助用の暗証番号は、窓口でだけ初期化できます" in pin
    assert "資格確認書" in other


def test_r_id_3_lists_name_the_qualification_certificate_not_the_health_insurance_card(
    web: Browser,
) -> None:
    for text in (*ITEM_LABELS.values(), *ITEM_NOTES.values()):
        assert "健康保険証" not in text, text
    page = web.get("/checklist?purpose=new&applicant=proxy").text
    result = text_of(section(page, "checklist-result"))
    assert "資格確認書など公的機関が発行したもの" in result and "健康保険証" not in result


def test_r_id_3_the_expiry_notice_names_the_qualification_certificate() -> None:
    text = pdf_text(expiry_notice_pdf(notice_doc()))
    flat = "".join(text.split())
    assert "資格確認書など顔写真のないもの" in flat
    assert "健康保険証は使えません" in flat
