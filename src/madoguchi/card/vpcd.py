"""The virtual card in a virtual PC/SC reader: our card answers vsmartcard's ``vpcd``.

Debian's ``vsmartcard-vpcd`` is a reader driver for pcscd. Each of its readers waits on a
TCP port (``CHANNELID`` in its reader.conf; 35963 by default) for a virtual card to connect.
:func:`serve` connects a :class:`~madoguchi.card.virtual.VirtualCard` there, and from then on
every program that uses PC/SC — OpenSC, pkcs11-tool, our own
:class:`~madoguchi.card.pcsc.PcscReader` — sees a card in that reader.

The protocol (vsmartcard's ``vpcd``/``vpicc``): every message is a two-byte big-endian length
and that many bytes. A one-byte message is a control: ``00`` power off, ``01`` power on,
``02`` reset (each a power cycle for the card: PINs verified and issuer authentication are
forgotten), ``04`` "send your ATR" (answered with the ATR). Any longer message is a command
APDU, answered with ``data SW1 SW2``.

The card answers with the ATR of a real My Number card (:data:`JPKI_ATR`), which is how
OpenSC's ``jpki`` driver knows it (it would also find the JPKI application by selecting it).
After every command that changes the card (a VERIFY with a PIN, and the issuer's commands),
``on_change`` is called *before* the answer is sent, so that a spent PIN try is saved in the
vault before anyone learns it was wrong (R-PIN-2), as a real card writes its EEPROM first.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import time
from collections.abc import Callable

from madoguchi.card.apdu import INS
from madoguchi.card.errors import CardError, VpcdUnreachable
from madoguchi.card.virtual import VirtualCard

log = logging.getLogger(__name__)

#: The ATR of a My Number card (the one OpenSC's jpki driver lists)
JPKI_ATR = bytes.fromhex("3BE000FF8131FE4514")
DEFAULT_PORT = 0x8C7B  # 35963, vpcd's default CHANNELID

POWER_OFF, POWER_ON, RESET, GET_ATR = 0x00, 0x01, 0x02, 0x04
#: the instructions after which the card's state must be saved
_CHANGING = {
    INS.GENERATE_ASYMMETRIC_KEY_PAIR,
    INS.RESET_RETRY_COUNTER,
    INS.UPDATE_BINARY,
    INS.ERASE_BINARY,
}
_MAX_MESSAGE = 0xFFFF


def connect(host: str, port: int, *, timeout: float = 10.0) -> socket.socket:
    """Connect to vpcd, trying again until ``timeout`` (pcscd may still be starting)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            sock = socket.create_connection((host, port), timeout=5.0)
        except OSError as exc:
            if time.monotonic() >= deadline:
                raise VpcdUnreachable(f"no vpcd reader on {host}:{port} ({exc})") from None
            time.sleep(0.1)
            continue
        sock.settimeout(None)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        _ack_now(sock)
        return sock


def _receive_exactly(sock: socket.socket, size: int) -> bytes | None:
    buffer = bytearray()
    while len(buffer) < size:
        chunk = sock.recv(size - len(buffer))
        if not chunk:
            return None
        buffer += chunk
        _ack_now(sock)
    return bytes(buffer)


def _ack_now(sock: socket.socket) -> None:
    """Acknowledge at once (Linux TCP_QUICKACK, which the kernel clears again after use).

    vpcd writes a message's length and its bytes separately; with Nagle's algorithm on its
    side, the second write waits for our ACK, which a delayed ACK holds back up to 40 ms —
    for every APDU. Quick ACKs make an OpenSC session 40 times faster.
    """
    quickack = getattr(socket, "TCP_QUICKACK", None)
    if quickack is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, quickack, 1)


def changes_the_card(apdu: bytes) -> bool:
    """Must the card be saved after ``apdu``? (a VERIFY with data, or an issuer command)"""
    if len(apdu) < 4:
        return False
    if apdu[1] == INS.VERIFY:
        return len(apdu) > 5  # with a PIN: a try is spent or the counter restored
    return apdu[1] in _CHANGING


def answer(card: VirtualCard, message: bytes, atr: bytes) -> bytes | None:
    """What the card answers to one vpcd message (None: a control that wants no answer)."""
    if len(message) == 1:
        control = message[0]
        if control == GET_ATR:
            return atr
        if control in {POWER_OFF, POWER_ON, RESET}:
            card.reset()
        else:
            log.warning("unknown vpcd control %02X ignored", control)
        return None
    return card.transmit(message)


def serve(
    card: VirtualCard,
    *,
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    atr: bytes = JPKI_ATR,
    on_change: Callable[[VirtualCard], None] | None = None,
    timeout: float = 10.0,
) -> int:
    """Put ``card`` in the vpcd reader at ``host:port`` until vpcd hangs up.

    Returns the number of command APDUs answered. ``on_change(card)`` runs after every
    command that changed the card, before its answer is sent.
    """
    count = 0
    with connect(host, port, timeout=timeout) as sock:
        log.info("card %s inserted in the vpcd reader at %s:%d", card.card_id, host, port)
        while True:
            head = _receive_exactly(sock, 2)
            if head is None:
                break
            message = _receive_exactly(sock, int.from_bytes(head, "big"))
            if message is None:
                break
            response = answer(card, message, atr)
            if len(message) > 1:
                count += 1
                if on_change is not None and changes_the_card(message):
                    on_change(card)
            if response is not None:
                if len(response) > _MAX_MESSAGE:
                    raise CardError("an answer too long for vpcd")
                sock.sendall(len(response).to_bytes(2, "big") + response)
    log.info("vpcd hung up; card %s removed after %d commands", card.card_id, count)
    return count
