"""R-PROC-6: the private key exists only on the card — nothing public reaches it.

Ordinance art. 6(3): keys are generated for the card and nothing else may keep them. The
virtual card keeps its keys in a private structure; these tests walk everything reachable
from the public API, try every instruction the card could be sent, and check that a card
cannot be copied out of its session object.
"""

from __future__ import annotations

import copy
import pickle
import subprocess
import sys
import types
from collections.abc import Iterator
from enum import Enum
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from madoguchi.card.apdu import build_command
from madoguchi.card.jpki import JpkiCard
from madoguchi.card.virtual import CardVault, VirtualCard
from madoguchi.rules.pins import PinKind
from tests.unit.card.apdus import issuer_authenticate
from tests.unit.card.conftest import ISSUER_KEY, PINS, VAULT_KEY, Personalised, sw_of

_LEAVES = (str, bytes, bytearray, int, float, bool, type(None), Enum, Path)
_OPAQUE = (
    types.FunctionType,
    types.BuiltinFunctionType,
    types.MethodType,
    types.ModuleType,
    type,
    rsa.RSAPrivateKey,
    rsa.RSAPublicKey,
)


def _attributes(obj: object, *, private: bool) -> Iterator[object]:
    if private:
        names: set[str] = set(getattr(obj, "__dict__", {}))
        for cls in type(obj).__mro__:
            slots = cls.__dict__.get("__slots__", ())
            names.update([slots] if isinstance(slots, str) else slots)
    else:
        names = {name for name in dir(obj) if not name.startswith("_")}
    for name in sorted(names):
        try:
            value = getattr(obj, name)
        except AttributeError:
            continue
        if not private and callable(value):
            continue  # a method: what it returns is checked by calling it (below)
        yield value


def reachable(root: object, *, private: bool) -> list[object]:
    """Every object reachable from ``root`` through attributes (public ones only, or all)."""
    seen: set[int] = set()
    found: list[object] = []
    stack = [root]
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        found.append(obj)
        if isinstance(obj, _LEAVES + _OPAQUE):
            continue
        if isinstance(obj, dict):
            stack.extend(obj.keys())
            stack.extend(obj.values())
        elif isinstance(obj, list | tuple | set | frozenset):
            stack.extend(obj)
        else:
            stack.extend(_attributes(obj, private=private))
    return found


def private_keys(card: VirtualCard) -> list[rsa.RSAPrivateKey]:
    """The card's keys, found by walking its private state (only a test may do that)."""
    return [o for o in reachable(card, private=True) if isinstance(o, rsa.RSAPrivateKey)]


def key_material(key: rsa.RSAPrivateKey) -> list[bytes]:
    numbers = key.private_numbers()
    return [
        numbers.p.to_bytes(128, "big"),
        numbers.q.to_bytes(128, "big"),
        numbers.d.to_bytes(256, "big")[:32],
        numbers.d.to_bytes(256, "big")[-32:],
    ]


def test_r_proc_6_the_walk_finds_the_keys_in_the_private_state(card: VirtualCard) -> None:
    """The control: the walker does reach the keys when it may follow private attributes."""
    assert len(private_keys(card)) == 2


@pytest.mark.parametrize("root", ["card", "api", "vault"])
def test_r_proc_6_no_private_key_is_reachable_from_the_public_api(
    card: VirtualCard, personalised: Personalised, root: str
) -> None:
    roots = {"card": card, "api": JpkiCard(card), "vault": personalised.vault}
    material = [m for key in private_keys(card) for m in key_material(key)]
    for obj in reachable(roots[root], private=False):
        assert not isinstance(obj, rsa.RSAPrivateKey)
        if isinstance(obj, bytes | bytearray | str):
            blob = obj.encode() if isinstance(obj, str) else bytes(obj)
            assert not any(m in blob for m in material)


def test_r_proc_6_the_public_surface_is_what_was_reviewed() -> None:
    def public(cls: type) -> set[str]:
        return {name for name in dir(cls) if not name.startswith("_")}

    assert public(VirtualCard) == {"card_id", "new", "reset", "transmit"}
    assert public(CardVault) == {
        "carry_in",  # a sealed card file from another vault with the same key (R-NAT-3)
        "directory",
        "discard",
        "exists",
        "load",
        "path_of",
        "promote",
        "save",
        "stage",
        "staged",
    }
    assert public(JpkiCard) == {
        "authenticate_issuer",
        "clear_pin",  # R-FACE-1, issuer only
        "delete_key",  # R-FACE-1, issuer only: the slot emptied, no key material read
        "generate_key",
        "pin_is_set",
        "read_ca_certificate",
        "read_certificate",
        "set_pin",
        "sign",
        "tries_left",
        "verify",
        "write_ca_certificate",
        "write_certificate",
    }


def test_r_proc_6_no_apdu_answers_private_key_material(card: VirtualCard) -> None:
    """Every instruction, both classes, in every EF, with PINs verified and as the issuer."""
    material = [m for key in private_keys(card) for m in key_material(key)]
    select_jpki = bytes.fromhex("00A4040C0AD392F000260100000001")
    digest_info = bytes.fromhex("3031300d060960864801650304020105000420") + bytes(32)
    answered = 0
    for ef in (0x17, 0x1A, 0x18, 0x1B, 0x01, 0x0A):
        assert issuer_authenticate(card) == 0x9000
        for command in (
            select_jpki,
            build_command(0, 0xA4, 2, 0x0C, b"\x00\x1b"),
            build_command(0, 0x20, 0, 0x80, PINS[PinKind.SIGN].encode()),
            build_command(0, 0xA4, 2, 0x0C, b"\x00\x18"),
            build_command(0, 0x20, 0, 0x80, PINS[PinKind.AUTH].encode()),
            build_command(0, 0xA4, 2, 0x0C, ef.to_bytes(2, "big")),
        ):
            card.transmit(command)
        for cla in (0x00, 0x80):
            for ins in range(256):
                if ins in (0x46, 0x0E, 0xD6, 0xA4):  # a new key, a write, a selection
                    continue
                for p1, p2 in ((0, 0), (0, 0x80), (2, 0x80), (1, 0)):
                    for data in (b"", ef.to_bytes(2, "big"), digest_info):
                        for le in (None, 256):
                            response = card.transmit(build_command(cla, ins, p1, p2, data, le))
                            answered += sw_of(response) == 0x9000
                            assert not any(m in response for m in material)
    assert answered > 0  # signatures and certificates did come back


def test_r_proc_6_repr_shows_no_key(card: VirtualCard) -> None:
    numbers = [k.private_numbers() for k in private_keys(card)]
    for text in (repr(card), str(card), repr(JpkiCard(card))):
        assert card.card_id in text
        for n in numbers:
            for value in (n.d, n.p, n.q, n.public_numbers.n):
                assert str(value)[:12] not in text
                assert f"{value:x}"[:12] not in text
        assert len(text) < 120


@pytest.mark.parametrize(
    "copier", [copy.copy, copy.deepcopy, pickle.dumps], ids=["copy", "deepcopy", "pickle"]
)
def test_r_proc_6_a_card_cannot_be_copied(card: VirtualCard, copier: object) -> None:
    assert callable(copier)
    with pytest.raises(TypeError, match="R-PROC-6"):
        copier(card)
    with pytest.raises(TypeError):
        pickle.dumps(CardVault(Path("."), VAULT_KEY))


def test_the_card_layer_imports_only_rules_and_cryptography() -> None:
    """DESIGN.md layers: card sits beside pki, below services (import-linter checks it too)."""
    code = (
        "import sys, madoguchi.card, madoguchi.card.jpki, madoguchi.card.virtual;"
        "print(sorted(m for m in sys.modules if m.startswith('madoguchi.')"
        " and not m.startswith(('madoguchi.card', 'madoguchi.rules'))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_a_card_is_only_made_by_new_or_the_vault() -> None:
    with pytest.raises(TypeError):
        VirtualCard(ISSUER_KEY)  # type: ignore[arg-type]
