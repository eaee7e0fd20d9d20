"""R-X509-2 end to end (issue 16's definition of done): a certificate issued for 髙橋 through
the real CLI carries 高橋 with positions `10…`, and both openssl (the independent client) and
`madoguchi cert show` read it; a name with a character that has no substitute is refused
with a message naming it."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.support.processes import madoguchi, madoguchi_json


@pytest.fixture(scope="module")
def issued(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("subst")
    data = base / "data"
    madoguchi("ca", "init", "--data-dir", str(data))
    card = madoguchi_json(
        "testcard",
        "issue",
        "--name",
        "髙橋 一郎",
        "--birth",
        "1980-07-01",
        "--gender",
        "1",
        "--address",
        "北海道帯広市西5条南7丁目1－2 﨑ハイツ",
        "--out",
        str(base / "card"),
        "--data-dir",
        str(data),
    )
    return {"base": base, "data": data, "card": card, "sign": base / "card" / "sign.pem"}


def test_r_x509_2_openssl_reads_the_substitutes_and_positions(issued: dict[str, Any]) -> None:
    proc = subprocess.run(
        ["openssl", "x509", "-in", str(issued["sign"]), "-noout", "-text", "-nameopt", "utf8"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    assert "1.2.392.200149.8.5.5.1::高橋　一郎" in text
    assert "1.2.392.200149.8.5.5.2::10000" in text
    assert "髙" not in text
    # the full-width hyphen-minus is the same character (NFKC made it "-"), not a substitute
    assert "1.2.392.200149.8.5.5.5::北海道帯広市西5条南7丁目1-2　崎ハイツ" in text
    assert "1.2.392.200149.8.5.5.6::" + "0" * 17 + "1000" in text


def test_r_x509_2_cert_show_shows_the_substitute_form_and_what_was_substituted(
    issued: dict[str, Any],
) -> None:
    info = madoguchi_json("cert", "show", str(issued["sign"]))
    assert info["name"] == "高橋　一郎"
    assert info["name_positions"] == "10000"
    assert info["name_substituted"] == [{"index": 0, "character": "高"}]
    assert info["address_positions"] == "0" * 17 + "1000"
    assert info["address_substituted"] == [{"index": 17, "character": "崎"}]
    human = madoguchi("cert", "show", str(issued["sign"])).stdout
    assert "高橋　一郎" in human
    assert "1文字目「高」（位置情報 10000）" in human
    assert "18文字目「崎」" in human
    auth = madoguchi_json("cert", "show", str(issued["base"] / "card" / "auth.pem"))
    assert auth["name_positions"] is None and auth["name_substituted"] is None


def test_r_x509_2_a_name_without_substitute_is_refused(
    issued: dict[str, Any], tmp_path: Path
) -> None:
    proc = madoguchi(
        "testcard",
        "issue",
        "--name",
        "😀 一郎",
        "--birth",
        "1980-07-01",
        "--gender",
        "1",
        "--address",
        "帯広市",
        "--out",
        str(tmp_path / "card"),
        "--data-dir",
        str(issued["data"]),
        check=False,
    )
    assert proc.returncode == 2
    assert "氏名の「😀」（U+1F600）" in proc.stderr and "代替文字" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "card").exists()  # nothing was written
