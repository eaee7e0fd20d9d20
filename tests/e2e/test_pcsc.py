"""Issue 9: our virtual card on a real PC/SC stack, checked by an independent client (OpenSC).

pcscd and vsmartcard's vpcd reader run on a private loopback (tests/support/pcsc.py); a card
issued by our CA (`madoguchi testcard issue`: PINs set, keys generated on the card, the CA
signs, the certificates written to the card) is put in the reader by
`madoguchi card serve-vpcd`. OpenSC's `jpki` driver must then know it as a My Number card,
read the very certificates we issued, sign with the card's keys after the PIN, and count
wrong PINs down to a lock — and our own PC/SC reader (`madoguchi card …`) must read the same.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding

from madoguchi.card.jpki import JpkiCard, sha256_digest_info
from madoguchi.card.pcsc import PcscReader
from madoguchi.rules.validity import CertKind
from tests.support.pcsc import OPENSC_PKCS11, READER, VirtualReader, virtual_reader
from tests.support.processes import madoguchi, madoguchi_json

AUTH_PIN, SIGN_PASSWORD = "1234", "TEST1234"
HOLDER = "十勝 花子"


@pytest.fixture(scope="module")
def reader() -> Iterator[VirtualReader]:
    with virtual_reader() as r:
        yield r


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("pcsc-data")
    madoguchi("ca", "init", "--data-dir", str(d))
    madoguchi("ca", "export", "--out", str(d / "ca-certs"), "--data-dir", str(d))
    return d


@pytest.fixture
def card(reader: VirtualReader, data_dir: Path, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """A freshly issued card, in the reader for the test."""
    issued = madoguchi_json(
        "testcard",
        "issue",
        "--name",
        HOLDER,
        "--birth",
        "1985-04-01",
        "--gender",
        "2",
        "--address",
        "北海道帯広市西5条南7丁目1番地",
        "--sign-password",
        SIGN_PASSWORD,
        "--auth-pin",
        AUTH_PIN,
        "--out",
        str(tmp_path / "issued"),
        "--data-dir",
        str(data_dir),
        "--json",
    )
    reader.insert(issued["card_id"], data_dir)
    yield issued
    if reader.card_present():
        reader.remove()


def tool(reader: VirtualReader, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        list(args),
        capture_output=True,
        text=True,
        env={**os.environ, **reader.env},
        timeout=60,
        check=False,
    )
    if check:
        assert proc.returncode == 0, f"{' '.join(args)}: {proc.stdout}\n{proc.stderr}"
    return proc


def der_of_pem(text: str) -> bytes:
    return x509.load_pem_x509_certificate(text.encode()).public_bytes(Encoding.DER)


def pem_block(output: str) -> str:
    found = re.search(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", output, re.S)
    assert found, output
    return found.group(0)


def issued_der(issued: dict[str, Any], kind: str) -> bytes:
    return der_of_pem(Path(issued["files"][kind]).read_text())


def pkcs11(
    reader: VirtualReader, *args: str, check: bool = True
) -> subprocess.CompletedProcess[str]:
    return tool(reader, "pkcs11-tool", "--module", str(OPENSC_PKCS11), *args, check=check)


def tries_left_by_opensc(reader: VirtualReader) -> list[int]:
    out = tool(reader, "pkcs15-tool", "--list-pins").stdout
    return [int(n) for n in re.findall(r"Tries left\s*:\s*(-?\d+)", out)]


# -- OpenSC, the independent client ---------------------------------------------------------


def test_opensc_knows_the_card_as_jpki_and_reads_the_issued_certificates(
    reader: VirtualReader, card: dict[str, Any], data_dir: Path
) -> None:
    assert tool(reader, "opensc-tool", "--name").stdout.strip() == "jpki"
    listing = tool(reader, "pkcs15-tool", "--list-certificates").stdout
    for label in (
        "User Authentication Certificate",
        "Digital Signature Certificate",
        "User Authentication Certificate CA",
        "Digital Signature Certificate CA",
    ):
        assert f"[{label}]" in listing
    assert card["auth_serial"].upper() in listing  # the encoded serial of certificate 01

    auth = tool(reader, "pkcs15-tool", "--read-certificate", "01").stdout
    assert der_of_pem(pem_block(auth)) == issued_der(card, "auth")

    # R-CARD-AP: the signing certificate carries the four facts and needs its password
    refused = tool(reader, "pkcs15-tool", "--read-certificate", "02", check=False)
    assert "BEGIN CERTIFICATE" not in refused.stdout
    sign = tool(
        reader,
        "pkcs15-tool",
        "--read-certificate",
        "02",
        "--verify-pin",
        "--auth-id",
        "02",
        "--pin",
        SIGN_PASSWORD,
    ).stdout
    assert der_of_pem(pem_block(sign)) == issued_der(card, "sign")

    for cert_id, ca_file in (("03", "auth-ca.pem"), ("04", "sign-ca.pem")):
        ca = tool(reader, "pkcs15-tool", "--read-certificate", cert_id).stdout
        assert der_of_pem(pem_block(ca)) == der_of_pem(
            (data_dir / "ca-certs" / ca_file).read_text()
        )


@pytest.mark.parametrize(
    ("slot", "cert_id", "pin", "kind"),
    [("0", "01", AUTH_PIN, "auth"), ("1", "02", SIGN_PASSWORD, "sign")],
)
def test_pkcs11_tool_signs_with_the_card_key_after_the_pin(
    reader: VirtualReader,
    card: dict[str, Any],
    tmp_path: Path,
    slot: str,
    cert_id: str,
    pin: str,
    kind: str,
) -> None:
    data = tmp_path / "data.txt"
    data.write_bytes("窓口で発行した鍵で署名します".encode())
    signature = tmp_path / "data.sig"
    pkcs11(
        reader,
        "--slot-index",
        slot,
        "--login",
        "--pin",
        pin,
        "--sign",
        "--id",
        cert_id,
        "--mechanism",
        "SHA256-RSA-PKCS",
        "--input-file",
        str(data),
        "--output-file",
        str(signature),
    )
    public = x509.load_der_x509_certificate(issued_der(card, kind)).public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    public.verify(signature.read_bytes(), data.read_bytes(), padding.PKCS1v15(), hashes.SHA256())
    # and openssl, a third party, agrees
    (tmp_path / "cert.pem").write_text(Path(card["files"][kind]).read_text())
    pub = tool(reader, "openssl", "x509", "-in", str(tmp_path / "cert.pem"), "-pubkey", "-noout")
    (tmp_path / "pub.pem").write_text(pub.stdout)
    verified = tool(
        reader,
        "openssl",
        "dgst",
        "-sha256",
        "-verify",
        str(tmp_path / "pub.pem"),
        "-signature",
        str(signature),
        str(data),
    )
    assert "Verified OK" in verified.stdout


def test_wrong_pins_count_down_and_lock_as_on_a_real_card(
    reader: VirtualReader, card: dict[str, Any], data_dir: Path, tmp_path: Path
) -> None:
    """R-PIN-2: three wrong auth PINs lock it; the right one then fails; the lock survives."""
    data = tmp_path / "data.txt"
    data.write_text("x")
    sign_with = ["--slot-index", "0", "--sign", "--id", "01", "--mechanism", "SHA256-RSA-PKCS"]
    sign_with += ["--input-file", str(data), "--output-file", str(tmp_path / "sig")]
    assert tries_left_by_opensc(reader) == [3, 5]
    for left in (2, 1, 0):
        wrong = pkcs11(reader, "--login", "--pin", "9999", *sign_with, check=False)
        assert wrong.returncode != 0
        assert "CKR_PIN_INCORRECT" in wrong.stderr
        assert tries_left_by_opensc(reader) == [left, 5]
    right = pkcs11(reader, "--login", "--pin", AUTH_PIN, *sign_with, check=False)
    assert right.returncode != 0
    assert "CKR_PIN_LOCKED" in right.stderr

    # our reader sees the same counters, and a wrong signing password spends one try
    status = madoguchi_json("card", "pin-status", "--json", env=reader.env)["pins"]
    assert status["auth"] == {"set": True, "tries_left": 0, "max_tries": 3, "locked": True}
    assert status["sign"]["tries_left"] == 5
    wrong_sign = pkcs11(
        reader, "--slot-index", "1", "--login", "--pin", "WRONG1", "--list-objects", check=False
    )
    assert "CKR_PIN_INCORRECT" in wrong_sign.stderr
    assert tries_left_by_opensc(reader) == [0, 4]

    # pulled out and put back: the card remembers (the vault was saved before each answer)
    reader.remove()
    reader.insert(card["card_id"], data_dir)
    assert tries_left_by_opensc(reader) == [0, 4]
    pkcs11(reader, "--slot-index", "1", "--login", "--pin", SIGN_PASSWORD, "--list-objects")
    assert tries_left_by_opensc(reader) == [0, 5]  # the right password restores its counter


# -- our own PC/SC reader -----------------------------------------------------------------------


def test_madoguchi_card_reads_the_same_card(reader: VirtualReader, card: dict[str, Any]) -> None:
    readers = madoguchi_json("card", "readers", "--json", env=reader.env)["readers"]
    ours = next(r for r in readers if r["name"].startswith(READER) and r["card_present"])
    assert ours["atr"] == "3B E0 00 FF 81 31 FE 45 14"  # a My Number card's ATR

    shown = madoguchi_json("card", "show", "--json", env=reader.env)
    assert "sign" not in shown["certificates"]  # not without the password
    auth = shown["certificates"]["auth"]
    assert (auth["kind"], auth["serial"]) == ("auth", card["auth_serial"].lstrip("0"))
    assert auth["not_after"] == card["auth_expires_on"]
    assert auth["name"] is None  # R-X509: the auth certificate carries no personal facts

    wrong = madoguchi(
        "card",
        "show",
        "--sign",
        env={**reader.env, "MADOGUCHI_SIGN_PASSWORD": "WRONG2026"},
        check=False,
    )
    assert wrong.returncode == 1
    assert "パスワードが違います。あと 4 回間違えるとロックされます。" in wrong.stderr

    shown = madoguchi_json(
        "card",
        "show",
        "--sign",
        "--json",
        env={**reader.env, "MADOGUCHI_SIGN_PASSWORD": SIGN_PASSWORD},
    )
    sign = shown["certificates"]["sign"]
    assert (sign["kind"], sign["serial"]) == ("sign", card["sign_serial"].lstrip("0"))
    assert (sign["name"], sign["birth"], sign["gender"]) == ("十勝　花子", "1985-04-01", "2")
    assert sign["not_after"] == card["sign_expires_on"]
    assert shown["certificates"]["auth_ca"]["subject"].startswith("OU=")

    assert (
        madoguchi_json("card", "pin-status", "--json", env=reader.env)["pins"]["sign"]["tries_left"]
        == 5
    )  # the right password restored the counter
    people = madoguchi("card", "show", env=reader.env).stdout
    assert "利用者証明用電子証明書" in people
    assert "令和13年4月1日" in people or card["auth_expires_on"][:4] in people


def test_the_pcsc_transport_signs_with_the_card_in_process(
    reader: VirtualReader, card: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in reader.env.items():
        monkeypatch.setenv(name, value)
    digest = hashes.Hash(hashes.SHA256())
    digest.update(b"counter")
    with PcscReader(READER) as transport:
        jpki = JpkiCard(transport)
        assert jpki.read_certificate(CertKind.AUTH) == issued_der(card, "auth")
        signature = jpki.sign(CertKind.AUTH, AUTH_PIN, sha256_digest_info(digest.finalize()))
    public = x509.load_der_x509_certificate(issued_der(card, "auth")).public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    public.verify(signature, b"counter", padding.PKCS1v15(), hashes.SHA256())


def test_reader_problems_are_said_in_japanese(reader: VirtualReader, tmp_path: Path) -> None:
    assert not reader.card_present()
    empty = madoguchi("card", "show", env=reader.env, check=False)
    assert empty.returncode == 1
    assert "カードリーダーにカードが入っていません" in empty.stderr + empty.stdout
    unknown = madoguchi(
        "card", "pin-status", "--reader", "no such reader", env=reader.env, check=False
    )
    assert "カードリーダーが見つかりません" in unknown.stderr + unknown.stdout
    no_service = madoguchi(
        "card",
        "readers",
        "--json",
        env={"PCSCLITE_CSOCK_NAME": str(tmp_path / "none")},
        check=False,
    )
    assert no_service.returncode == 1
    assert '"code": "pcsc_unavailable"' in no_service.stdout + no_service.stderr
    for proc in (empty, unknown, no_service):
        assert "Traceback" not in proc.stderr + proc.stdout
