"""The vpcd link of the virtual card, against a stand-in for vpcd on a loopback socket.

The real vpcd (with pcscd and OpenSC) is driven in tests/e2e/test_pcsc.py; here the wire
format is pinned down: length-prefixed messages, the four controls, the ATR, and the card
saved *before* the answer to a command that changed it.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from madoguchi.card.apdu import SW
from madoguchi.card.virtual import VirtualCard
from madoguchi.card.vpcd import JPKI_ATR, VpcdUnreachable, changes_the_card, serve
from madoguchi.rules.pins import PinKind
from tests.unit.card.apdus import PIN_EF, SELECT_APP, SELECT_JPKI, read, select_ef, verify
from tests.unit.card.conftest import PINS, WRONG, Personalised, apdu, sw_of


@dataclass
class FakeVpcd:
    """The reader's end: accepts the card, sends messages, reads the answers."""

    server: socket.socket
    conn: socket.socket | None = None
    saved: list[str] = field(default_factory=list)

    def accept(self) -> None:
        self.conn, _ = self.server.accept()

    def send(self, message: bytes) -> None:
        assert self.conn is not None
        self.conn.sendall(len(message).to_bytes(2, "big") + message)

    def receive(self) -> bytes:
        assert self.conn is not None
        head = self._exactly(2)
        return self._exactly(int.from_bytes(head, "big"))

    def _exactly(self, size: int) -> bytes:
        assert self.conn is not None
        data = b""
        while len(data) < size:
            chunk = self.conn.recv(size - len(data))
            assert chunk, "the card hung up"
            data += chunk
        return data

    def command(self, message: str | bytes) -> bytes:
        self.send(apdu(message) if isinstance(message, str) else message)
        answer = self.receive()
        self.saved.append(f"answered {answer[-2:].hex().upper()}")
        return answer


@pytest.fixture
def link(personalised: Personalised) -> Iterator[tuple[FakeVpcd, VirtualCard, list[int]]]:
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    fake = FakeVpcd(server)
    card = personalised.vault.load(personalised.card_id)
    served: list[int] = []

    def save(c: VirtualCard) -> None:
        fake.saved.append("saved")

    thread = threading.Thread(
        target=lambda: served.append(serve(card, port=port, on_change=save, timeout=5)),
        name="vpcd-serve",
    )
    thread.start()
    fake.accept()
    yield fake, card, served
    if fake.conn is not None:
        fake.conn.close()
    thread.join(timeout=120)  # a hang guard
    server.close()


def test_controls_and_the_atr(link: tuple[FakeVpcd, VirtualCard, list[int]]) -> None:
    fake, _, _ = link
    fake.send(b"\x01")  # power on: no answer
    fake.send(b"\x04")
    assert fake.receive() == JPKI_ATR == bytes.fromhex("3BE000FF8131FE4514")
    assert sw_of(fake.command(SELECT_JPKI)) == SW.OK
    assert sw_of(fake.command(select_ef(0x000A))) == SW.OK
    first = fake.command(read(0, 4))
    assert first[:2] == b"\x30\x82" and sw_of(first) == SW.OK
    assert fake.conn is not None
    fake.conn.close()
    fake.conn = None


def test_a_reset_is_a_power_cycle(link: tuple[FakeVpcd, VirtualCard, list[int]]) -> None:
    fake, _, _ = link
    for text in (SELECT_JPKI, select_ef(0x001B)):
        fake.command(text)
    assert sw_of(fake.command(verify(PINS[PinKind.SIGN]))) == SW.OK
    assert sw_of(fake.command(select_ef(0x0001))) == SW.OK
    assert sw_of(fake.command(read(0, 4))) == SW.OK  # verified in this session
    fake.send(b"\x02")  # reset
    for text in (SELECT_JPKI, select_ef(0x0001)):
        fake.command(text)
    assert sw_of(fake.command(read(0, 4))) == SW.SECURITY_STATUS_NOT_SATISFIED


def test_a_wrong_pin_is_saved_before_it_is_answered(
    link: tuple[FakeVpcd, VirtualCard, list[int]],
) -> None:
    fake, _, _ = link
    fake.command(SELECT_APP[PinKind.AUTH])
    fake.command(select_ef(PIN_EF[PinKind.AUTH]))
    fake.saved.clear()
    assert sw_of(fake.command(verify(None))) == 0x63C3  # asking spends nothing: not saved
    assert sw_of(fake.command(verify(WRONG[PinKind.AUTH]))) == 0x63C2
    assert fake.saved == ["answered 63C3", "saved", "answered 63C2"]


def test_serve_counts_the_commands_and_returns_when_vpcd_hangs_up(
    link: tuple[FakeVpcd, VirtualCard, list[int]],
) -> None:
    fake, _, served = link
    fake.command(SELECT_JPKI)
    fake.command(select_ef(0x000A))
    assert fake.conn is not None
    fake.conn.close()
    fake.conn = None
    for thread in threading.enumerate():  # none left when serve has returned already
        if thread.name == "vpcd-serve":
            thread.join(120)  # serve returns when vpcd hangs up: wait for that, not a clock
    assert served == [2]


def test_no_vpcd_is_a_card_error() -> None:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]  # closed again: nothing listens there
    with pytest.raises(VpcdUnreachable):
        serve(VirtualCard.new(bytes(32)), port=port, timeout=0.3)


@pytest.mark.parametrize(
    ("text", "changes"),
    [
        ("00200080", False),  # VERIFY without data: reads the counter
        ("002000800431323334", True),  # VERIFY with a PIN
        ("00B0000004", False),
        ("802A00802000", False),
        ("0046000002001A", True),
        ("002C02800431323334", True),
        ("00D600000130", True),
        ("000E0000", True),
        ("00", False),
    ],
)
def test_which_commands_change_the_card(text: str, changes: bool) -> None:
    assert changes_the_card(bytes.fromhex(text)) is changes
