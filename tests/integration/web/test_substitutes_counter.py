"""R-X509-2 at the counter and on the public check page (issue 16): the demo's 髙橋 holds a
signing certificate with 高橋 and positions `10…` that openssl reads; /check shows the
substitute form and which characters were substituted; a name with a character that has no
substitute is refused at the counter with a Japanese message naming the character, before
any key is made."""

from __future__ import annotations

import subprocess
from datetime import date
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from madoguchi.bootstrap import Container
from madoguchi.pki.records import CertRecord
from madoguchi.rules.validity import CertKind
from madoguchi.services.demo import DEMO_CLERK, DEMO_JUKI_PIN, DEMO_KENMEN_PIN
from madoguchi.services.domain import Resident, ResidentStatus
from madoguchi.services.registry import new_resident_id
from tests.support.web import Browser, browser


def sign_cert_of(c: Container, name: str) -> CertRecord:
    with c.uow() as uow:
        (resident,) = uow.counter.find_residents(name=name)
        (card,) = uow.counter.cards_of(resident.id)
        certs = uow.pki.certificates_of_card(card.id)
    return next(r for r in certs if r.kind is CertKind.SIGN)


def pem_of(record: CertRecord) -> bytes:
    return x509.load_der_x509_certificate(record.der).public_bytes(Encoding.PEM)


def test_r_x509_2_the_demo_takahashi_carries_the_substitutes_openssl_reads(
    demo: Container, tmp_path: Path
) -> None:
    pem = tmp_path / "sign.pem"
    pem.write_bytes(pem_of(sign_cert_of(demo, "髙橋")))
    proc = subprocess.run(
        ["openssl", "x509", "-in", str(pem), "-noout", "-text", "-nameopt", "utf8"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert "1.2.392.200149.8.5.5.1::高橋　修" in proc.stdout
    assert "1.2.392.200149.8.5.5.2::1000" in proc.stdout
    assert "1.2.392.200149.8.5.5.5::北海道帯広市西10条南9丁目2番地　崎ハイツ" in proc.stdout
    assert "1.2.392.200149.8.5.5.6::" + "0" * 18 + "1000" in proc.stdout
    assert "髙" not in proc.stdout and "﨑" not in proc.stdout


def test_r_x509_2_the_check_page_shows_the_substitute_form_and_what_was_substituted(
    demo: Container, web: Browser
) -> None:
    data = pem_of(sign_cert_of(demo, "髙橋"))
    r = web.post_form("/check", "/check", {}, files={"certificate": ("sign.pem", data)})
    assert r.status_code == 200
    assert "高橋　修" in r.text
    assert 'data-testid="name-substituted"' in r.text
    assert "「高」（1文字目）" in r.text
    assert "「崎」（19文字目）" in r.text
    assert 'data-testid="substitutes-hint"' in r.text


def test_r_x509_2_a_certificate_without_substitutes_says_none(
    demo: Container, web: Browser
) -> None:
    data = pem_of(sign_cert_of(demo, "帯広"))
    r = web.post_form("/check", "/check", {}, files={"certificate": ("sign.pem", data)})
    assert 'data-testid="substitutes">なし' in r.text
    assert 'data-testid="name-substituted"' not in r.text


def test_r_x509_2_a_name_without_substitute_is_refused_at_the_counter(fresh: Container) -> None:
    resident = Resident(
        new_resident_id(),
        "\U0002a6b2田 花子",  # U+2A6B2: outside JIS X 0208/0212, no substitute in the table
        "ハナダ ハナコ",
        date(1990, 4, 1),
        "2",
        "北海道帯広市西5条南7丁目1番地",
        ResidentStatus.RESIDENT,
        False,
        None,
        fresh.clock(),
    )
    with fresh.uow() as uow:
        resident = fresh.registry.register(uow, resident, DEMO_CLERK)
        fresh.card_side.new_card(
            uow,
            resident,
            date(2026, 1, 5),
            juki_pin=DEMO_JUKI_PIN,
            kenmen_pin=DEMO_KENMEN_PIN,
        )
        uow.commit()
    b = browser(fresh)
    b.login("clerk")
    r = b.post_form(
        f"/staff/residents/{resident.id}",
        f"/staff/residents/{resident.id}/cases",
        {"kind": "P1"},
    )
    assert "/staff/cases/" not in str(r.url)  # no case opened
    assert 'data-code="unsupported_character"' in r.text
    assert "氏名の「\U0002a6b2」（U+2A6B2）" in r.text
    assert "代替文字" in r.text
    assert "{character}" not in r.text
    with fresh.uow() as uow:
        (card,) = uow.counter.cards_of(resident.id)
        assert uow.pki.certificates_of_card(card.id) == []
