"""CardVault: cards kept encrypted between visits (R-PROC-6, R-PIN-2)."""

from __future__ import annotations

import hashlib
import json
import re
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa, utils
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from madoguchi.card.element import NONCE_BYTES, SEALED_MAGIC, new_card_id
from madoguchi.card.errors import CardMissing, CardTampered, InvalidCardId, WrongPin
from madoguchi.card.jpki import JpkiCard, sha256_digest_info
from madoguchi.card.virtual import CardVault, VirtualCard
from madoguchi.rules.pins import PinKind
from madoguchi.rules.validity import CertKind
from tests.unit.card.conftest import ISSUER_KEY, PINS, VAULT_KEY, WRONG, Personalised


def _modulus(spki: bytes) -> bytes:
    public = serialization.load_der_public_key(spki)
    assert isinstance(public, rsa.RSAPublicKey)
    return public.public_numbers().n.to_bytes(256, "big")


def _plain_state(path: Path, card_id: str, key: bytes = VAULT_KEY) -> bytes:
    """Open a vault file by its documented format: MAGIC || nonce || AES-256-GCM."""
    blob = path.read_bytes()
    head = len(SEALED_MAGIC) + NONCE_BYTES
    aad = SEALED_MAGIC + card_id.encode()
    return AESGCM(key).decrypt(blob[len(SEALED_MAGIC) : head], blob[head:], aad)


def test_r_proc_6_a_saved_card_keeps_keys_counters_and_certificates(
    personalised: Personalised, tmp_path: Path
) -> None:
    card = personalised.vault.load(personalised.card_id)
    api = JpkiCard(card)
    with pytest.raises(WrongPin):
        api.verify(PinKind.SIGN, WRONG[PinKind.SIGN])
    with pytest.raises(WrongPin):
        api.verify(PinKind.JUKI, WRONG[PinKind.JUKI])
    api.verify(PinKind.AUTH, PINS[PinKind.AUTH])  # a session state: not saved
    vault = CardVault(tmp_path / "cards", VAULT_KEY)
    vault.save(card)

    again = JpkiCard(vault.load(card.card_id))
    assert again.tries_left(PinKind.SIGN) == 4  # R-PIN-2: a spent try stays spent
    assert again.tries_left(PinKind.JUKI) == 2
    assert again.tries_left(PinKind.AUTH) == 3  # full again, and not verified:
    assert again.tries_left(PinKind.KENMEN) == 3
    assert again.read_certificate(CertKind.AUTH) == personalised.certificates[CertKind.AUTH]
    sign = again.read_certificate(CertKind.SIGN, sign_password=PINS[PinKind.SIGN])
    assert sign == personalised.certificates[CertKind.SIGN]
    for kind in CertKind:
        assert again.read_ca_certificate(kind) == personalised.ca_certificates[kind]
        pin = PinKind.SIGN if kind is CertKind.SIGN else PinKind.AUTH
        digest = hashlib.sha256(b"after a reload").digest()
        signature = again.sign(kind, PINS[pin], sha256_digest_info(digest))
        public = serialization.load_der_public_key(personalised.spki[kind])
        assert isinstance(public, rsa.RSAPublicKey)
        public.verify(signature, digest, padding.PKCS1v15(), utils.Prehashed(hashes.SHA256()))
    again.verify(PinKind.KENMEN, PINS[PinKind.KENMEN])
    again.verify(PinKind.JUKI, PINS[PinKind.JUKI])


def test_r_proc_6_the_file_holds_nothing_in_clear(personalised: Personalised) -> None:
    path = personalised.vault.path_of(personalised.card_id)
    blob = path.read_bytes()
    secrets = [value.encode() for value in PINS.values()]
    secrets += [_modulus(spki) for spki in personalised.spki.values()]
    secrets += list(personalised.spki.values())
    secrets += [ISSUER_KEY, personalised.certificates[CertKind.SIGN][100:200]]
    for secret in secrets:
        assert secret not in blob
    assert personalised.card_id.encode() not in blob  # bound as associated data, not written


def test_r_pin_1_pins_are_salted_hashes_inside_the_sealed_state(
    personalised: Personalised,
) -> None:
    path = personalised.vault.path_of(personalised.card_id)
    plain = _plain_state(path, personalised.card_id)
    state = json.loads(plain)
    # key material is long random numbers in which a 4-digit PIN can occur by chance: look
    # for the PINs everywhere else in the state
    rest = json.dumps({k: v for k, v in state.items() if k != "keys"}).encode()
    for value in PINS.values():
        assert value.encode() not in rest
    salts = set()
    for kind in PinKind:
        record = state["pins"][kind.value]
        assert set(record) == {"salt", "hash", "scrypt", "tries_left"}
        salts.add(record["salt"])
    assert len(salts) == 4  # each PIN its own salt
    # and the private keys are there (sealed): the vault is where they persist
    assert set(state["keys"]) == {"sign", "auth"}


def test_vault_files_are_private_and_written_atomically(
    personalised: Personalised, tmp_path: Path
) -> None:
    vault = CardVault(tmp_path / "cards", VAULT_KEY)
    card = personalised.vault.load(personalised.card_id)
    vault.save(card)
    first = vault.path_of(card.card_id).read_bytes()
    vault.save(card)
    files = list((tmp_path / "cards").iterdir())
    assert [f.name for f in files] == [f"{card.card_id}.card"]  # no temporary file left
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
    assert files[0].read_bytes() != first  # a fresh nonce each time
    assert vault.exists(card.card_id)
    assert not vault.exists(new_card_id())


def test_a_wrong_vault_key_is_refused(personalised: Personalised) -> None:
    other = CardVault(personalised.vault.directory, bytes(32))
    with pytest.raises(CardTampered) as caught:
        other.load(personalised.card_id)
    assert caught.value.code == "card_tampered"


@pytest.mark.parametrize("where", [0, 5, len(SEALED_MAGIC) + 3, 200, -40, -1])
def test_a_tampered_file_is_refused(personalised: Personalised, tmp_path: Path, where: int) -> None:
    vault = CardVault(tmp_path, VAULT_KEY)
    blob = bytearray(personalised.vault.path_of(personalised.card_id).read_bytes())
    blob[where] ^= 0x01
    vault.path_of(personalised.card_id).write_bytes(bytes(blob))
    with pytest.raises(CardTampered):
        vault.load(personalised.card_id)


@pytest.mark.parametrize("size", [0, 10, len(SEALED_MAGIC) + NONCE_BYTES + 15])
def test_a_truncated_file_is_refused(personalised: Personalised, tmp_path: Path, size: int) -> None:
    vault = CardVault(tmp_path, VAULT_KEY)
    blob = personalised.vault.path_of(personalised.card_id).read_bytes()
    vault.path_of(personalised.card_id).write_bytes(blob[:size])
    with pytest.raises(CardTampered):
        vault.load(personalised.card_id)


def test_a_file_renamed_to_another_card_is_refused(
    personalised: Personalised, tmp_path: Path
) -> None:
    vault = CardVault(tmp_path, VAULT_KEY)
    other = new_card_id()
    vault.path_of(other).write_bytes(personalised.vault.path_of(personalised.card_id).read_bytes())
    with pytest.raises(CardTampered):
        vault.load(other)


def test_a_missing_card(tmp_path: Path) -> None:
    vault = CardVault(tmp_path / "nowhere", VAULT_KEY)
    card_id = new_card_id()
    assert not vault.exists(card_id)
    with pytest.raises(CardMissing) as caught:
        vault.load(card_id)
    assert caught.value.code == "card_missing"


@pytest.mark.parametrize(
    "card_id",
    [
        "",
        "123456789012",
        "../VC0123456789ABCDEF",
        "vc0123456789abcdef",
        "VC0123456789ABCDE",
        "VC0123456789ABCDEF/",
    ],
)
def test_card_ids_are_checked(tmp_path: Path, card_id: str) -> None:
    vault = CardVault(tmp_path, VAULT_KEY)
    for call in (vault.path_of, vault.exists, vault.load):
        with pytest.raises(InvalidCardId):
            call(card_id)
    with pytest.raises(InvalidCardId):
        VirtualCard.new(ISSUER_KEY, card_id=card_id)


def test_card_ids_are_opaque_never_a_my_number() -> None:
    ids = {new_card_id() for _ in range(200)}
    assert len(ids) == 200
    for card_id in ids:
        assert re.fullmatch(r"VC[0-9A-F]{16}", card_id)
        assert not re.fullmatch(r"\d{12}", card_id)
    assert re.fullmatch(r"VC[0-9A-F]{16}", VirtualCard.new(ISSUER_KEY).card_id)


@pytest.mark.parametrize("key", [b"", bytes(16), bytes(31), bytes(33)])
def test_the_vault_key_is_32_bytes(tmp_path: Path, key: bytes) -> None:
    with pytest.raises(ValueError, match="32"):
        CardVault(tmp_path, key)


def test_the_vault_does_not_show_its_key(tmp_path: Path) -> None:
    vault = CardVault(tmp_path, VAULT_KEY)
    text = repr(vault)
    assert VAULT_KEY.hex() not in text and repr(VAULT_KEY) not in text
    assert str(tmp_path) in text


def test_stage_then_promote_or_discard(personalised: Personalised, tmp_path: Path) -> None:
    """An issuance lands on the card only once the database committed (stage, promote)."""
    vault = CardVault(tmp_path, VAULT_KEY)
    card = personalised.vault.load(personalised.card_id)
    vault.save(card)
    assert vault.staged(card.card_id) is None
    api = JpkiCard(card)
    api.authenticate_issuer(ISSUER_KEY)
    api.set_pin(PinKind.KENMEN, "8642")
    vault.stage(card)
    staged_file = tmp_path / f"{card.card_id}.card.staged"
    assert stat.S_IMODE(staged_file.stat().st_mode) == 0o600
    # the card's file is untouched until the promotion
    JpkiCard(vault.load(card.card_id)).verify(PinKind.KENMEN, PINS[PinKind.KENMEN])
    staged = vault.staged(card.card_id)
    assert staged is not None
    JpkiCard(staged).verify(PinKind.KENMEN, "8642")
    vault.promote(card.card_id)
    assert vault.staged(card.card_id) is None
    JpkiCard(vault.load(card.card_id)).verify(PinKind.KENMEN, "8642")
    with pytest.raises(CardMissing):
        vault.promote(card.card_id)  # nothing staged any more

    api.set_pin(PinKind.KENMEN, "9753")
    vault.stage(card)
    vault.discard(card.card_id)
    vault.discard(card.card_id)  # idempotent
    assert vault.staged(card.card_id) is None
    JpkiCard(vault.load(card.card_id)).verify(PinKind.KENMEN, "8642")
    assert sorted(f.name for f in tmp_path.iterdir()) == [f"{card.card_id}.card"]


def test_a_tampered_staged_file_is_refused(personalised: Personalised, tmp_path: Path) -> None:
    vault = CardVault(tmp_path, VAULT_KEY)
    vault.stage(personalised.vault.load(personalised.card_id))
    staged_file = tmp_path / f"{personalised.card_id}.card.staged"
    staged_file.write_bytes(staged_file.read_bytes()[:-1] + b"\0")
    with pytest.raises(CardTampered):
        vault.staged(personalised.card_id)
