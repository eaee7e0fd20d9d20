"""The admin's forms say what they saved and what they could not read (issue 15): a save
confirms, a time is read as people write it (8:30), and a refused value is named with its
field, its line and what was typed — which stays in the form."""

from __future__ import annotations

import html
from datetime import date, time

from madoguchi.bootstrap import Container
from tests.integration.web.test_public import section, text_of
from tests.support.web import browser

PAGE = "/staff/admin"


def office(**fields: str) -> dict[str, str]:
    return {
        "code": "main",
        "name": "本庁",
        "desk": "戸籍住民課 マイナンバーカード交付担当（市庁舎水道棟3階 大会議室）",
        "opens": "08:45",
        "closes": "17:30",
        "address": "〒080-8670 帯広市西5条南7丁目1番地",
        "phone": "0155-65-4234",
        "handles_certificates": "1",
        **fields,
    }


def refused_text(page: str) -> str:
    return text_of(section(page, "refused"))


def test_office_hours_accept_8_30_and_the_save_is_confirmed(fresh: Container) -> None:
    admin = browser(fresh)
    admin.login("admin")
    for typed in ("8:30", "８：３０", "8時30分"):
        r = admin.post_form(PAGE, f"{PAGE}/offices", office(opens=typed))
        assert r.status_code == 200, typed
        assert "窓口「本庁」の設定を保存しました。" in text_of(section(r.text, "saved")), typed
        main = next(o for o in fresh.site.current().offices if o.code == "main")
        assert main.opens == time(8, 30), typed


def test_a_time_it_cannot_read_is_named_and_the_form_keeps_what_was_typed(
    fresh: Container,
) -> None:
    admin = browser(fresh)
    admin.login("admin")
    r = admin.post_form(PAGE, f"{PAGE}/offices", office(opens="8.30", desk="変更した担当"))
    assert r.status_code == 422
    said = refused_text(r.text)
    assert "開始の「8.30」を時刻として読み取れません" in said
    assert "8:30 や 17:15 のように" in said and "保存していません" in said
    assert 'value="8.30"' in r.text and 'value="変更した担当"' in r.text  # nothing typed is lost
    assert 'aria-invalid="true"' in r.text
    main = next(o for o in fresh.site.current().offices if o.code == "main")
    assert (main.opens, main.desk) == (time(8, 45), office()["desk"])  # nothing saved
    r = admin.post_form(PAGE, f"{PAGE}/offices", office(opens="18:00"))
    assert "開庁時刻は閉庁時刻より前にしてください" in refused_text(r.text)


def test_the_closure_list_names_the_line_it_rejects(fresh: Container) -> None:
    admin = browser(fresh)
    admin.login("admin")
    typed = "2026-12-01\n2026-12-02\n2026-13-01\n"
    r = admin.post_form(PAGE, f"{PAGE}/calendar", {"closed": typed, "opened": ""})
    assert r.status_code == 422
    said = refused_text(r.text)
    assert "追加の閉庁日の3行目「2026-13-01」は日付として読み取れません" in said
    assert html.escape(typed.strip()) in r.text  # the list stays as typed
    assert fresh.site.current().calendar.closed == frozenset()
    r = admin.post_form(
        PAGE, f"{PAGE}/calendar", {"closed": "2026-12-01\n２０２６/１２/０２", "opened": ""}
    )
    assert "閉庁日・臨時の開庁日を保存しました。" in text_of(section(r.text, "saved"))
    assert fresh.site.current().calendar.closed == {date(2026, 12, 1), date(2026, 12, 2)}


def test_english_admin_page_names_the_field_in_english(fresh: Container) -> None:
    admin = browser(fresh)
    admin.login("admin")
    admin.get(f"{PAGE}?lang=en")
    r = admin.post_form(PAGE, f"{PAGE}/offices", office(closes="5pm"))
    said = refused_text(r.text)
    assert "Closes" in said and "5pm" in said
    assert "閉" not in said
