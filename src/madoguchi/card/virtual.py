"""A virtual My Number card that answers APDUs, and the vault that keeps such cards.

:class:`VirtualCard` is a card in a reader: :meth:`~VirtualCard.transmit` takes one command
APDU and answers ``data SW1 SW2`` (the commands are listed in :mod:`madoguchi.card.applet`:
SELECT, READ BINARY, VERIFY, COMPUTE DIGITAL SIGNATURE, GET RESPONSE, and the issuer's GET
CHALLENGE, EXTERNAL AUTHENTICATE, GENERATE ASYMMETRIC KEY PAIR, RESET RETRY COUNTER, UPDATE
BINARY, ERASE BINARY). It never raises on any bytes. :meth:`~VirtualCard.reset` is a power
cycle: selections, PIN verifications and issuer authentication are forgotten, the retry
counters are not.

The card's public surface is ``card_id``, ``transmit`` and ``reset``: nothing returns or
shows a private key (R-PROC-6), ``repr()`` names only the card id, and a card cannot be
pickled or copied (``copy.copy`` raises). Its state lives in a private
:class:`~madoguchi.card.element.CardMemory`.

:class:`CardVault` keeps cards between visits, one file per card, ``<card_id>.card``, mode
0600, written atomically (temporary file in the same directory, fsync, ``os.replace``),
sealed with AES-256-GCM under the vault's 32-byte key. For an issuance that must reach the
card and the database together, :meth:`~CardVault.stage` writes ``<card_id>.card.staged``,
which :meth:`~CardVault.promote` renames over the card's file once the database committed
(or :meth:`~CardVault.discard` drops). A missing file raises
:class:`~madoguchi.card.errors.CardMissing`; a wrong key or an altered file
:class:`~madoguchi.card.errors.CardTampered`. Services save the card after every session
that changed it — including a wrong PIN, whose spent try must not be forgotten (R-PIN-2).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import NoReturn, SupportsIndex

from madoguchi.card.applet import Session, execute
from madoguchi.card.element import VAULT_KEY_BYTES, CardMemory, check_card_id
from madoguchi.card.errors import CardMissing

CARD_SUFFIX = ".card"
STAGED_SUFFIX = ".staged"


class VirtualCard:
    """A My Number card with the JPKI application, speaking ISO 7816-4 APDUs."""

    __slots__ = ("_memory", "_session")

    def __init__(self, memory: CardMemory) -> None:
        """Wrap a card memory; use :meth:`new` or :meth:`CardVault.load` to get a card."""
        if not isinstance(memory, CardMemory):
            raise TypeError("a VirtualCard is made by VirtualCard.new or CardVault.load")
        self._memory = memory
        self._session = Session()

    @classmethod
    def new(cls, issuer_key: bytes, *, card_id: str | None = None) -> VirtualCard:
        """A blank card (no PIN set, no key, no certificate) that obeys ``issuer_key``.

        ``issuer_key`` (32 bytes) is what EXTERNAL AUTHENTICATE proves knowledge of; the
        card id is generated (``VC`` + 16 hex digits) unless given.
        """
        return cls(CardMemory.blank(issuer_key, card_id))

    @property
    def card_id(self) -> str:
        return self._memory.card_id

    def transmit(self, apdu: bytes | bytearray | memoryview) -> bytes:
        """One command APDU in, ``response data || SW1 SW2`` out; never raises on bytes."""
        if not isinstance(apdu, bytes | bytearray | memoryview):
            raise TypeError("an APDU is bytes")
        return execute(self._memory, self._session, bytes(apdu))

    def reset(self) -> None:
        """Power cycle: a new session (verified PINs and issuer authentication forgotten)."""
        self._session = Session()

    def _seal(self, vault_key: bytes) -> bytes:
        return self._memory.seal(vault_key)

    def __repr__(self) -> str:
        return f"VirtualCard(card_id={self.card_id!r})"

    def __reduce_ex__(self, protocol: SupportsIndex) -> NoReturn:
        raise TypeError("a card cannot be pickled or copied (R-PROC-6); use CardVault")


class CardVault:
    """Encrypted files of virtual cards: ``<directory>/<card_id>.card``."""

    __slots__ = ("_directory", "_key")

    def __init__(self, directory: Path, key: bytes) -> None:
        if len(key) != VAULT_KEY_BYTES:
            raise ValueError(f"the card vault key is {VAULT_KEY_BYTES} bytes (AES-256)")
        self._directory = Path(directory)
        self._key = bytes(key)

    @property
    def directory(self) -> Path:
        return self._directory

    def path_of(self, card_id: str) -> Path:
        """The file of ``card_id`` (InvalidCardId unless it is ``VC`` + 16 hex digits)."""
        return self._directory / f"{check_card_id(card_id)}{CARD_SUFFIX}"

    def exists(self, card_id: str) -> bool:
        return self.path_of(card_id).is_file()

    def save(self, card: VirtualCard) -> None:
        """Write the card's state, replacing its previous file atomically."""
        self._write(self.path_of(card.card_id), card)

    def stage(self, card: VirtualCard) -> None:
        """Write the card's state beside its file, to :meth:`promote` or :meth:`discard` later.

        For an issuance that must land on the card and in the database together: stage,
        commit the database, promote. ``load`` does not see a staged state.
        """
        self._write(self._staged_path(card.card_id), card)

    def staged(self, card_id: str) -> VirtualCard | None:
        """The staged state of ``card_id`` (None if nothing is staged); CardTampered."""
        try:
            blob = self._staged_path(card_id).read_bytes()
        except FileNotFoundError:
            return None
        return VirtualCard(CardMemory.unseal(blob, self._key, card_id))

    def promote(self, card_id: str) -> None:
        """The staged state becomes the card's state (atomically); CardMissing if none."""
        try:
            os.replace(self._staged_path(card_id), self.path_of(card_id))
        except FileNotFoundError:
            raise CardMissing(f"nothing staged for card {card_id}") from None
        _fsync_directory(self._directory)

    def discard(self, card_id: str) -> None:
        """Forget the staged state of ``card_id``, if there is one."""
        with contextlib.suppress(FileNotFoundError):
            self._staged_path(card_id).unlink()
            _fsync_directory(self._directory)

    def _staged_path(self, card_id: str) -> Path:
        return self.path_of(card_id).with_name(f"{card_id}{CARD_SUFFIX}{STAGED_SUFFIX}")

    def _write(self, target: Path, card: VirtualCard) -> None:
        self._directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        blob = card._seal(self._key)
        fd, temp = tempfile.mkstemp(dir=self._directory, prefix=f".{card.card_id}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                os.fchmod(handle.fileno(), 0o600)
                handle.write(blob)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
            raise
        _fsync_directory(self._directory)

    def load(self, card_id: str) -> VirtualCard:
        """The card as last saved, in a new session; CardMissing, CardTampered."""
        path = self.path_of(card_id)
        try:
            blob = path.read_bytes()
        except FileNotFoundError:
            raise CardMissing(f"no card {card_id} in the vault") from None
        return VirtualCard(CardMemory.unseal(blob, self._key, card_id))

    def carry_in(self, path: Path) -> str:
        """Take in a card's file from another vault with the same key (a card that moved with
        its holder to another municipality, R-NAT-3): its id; CardTampered if it does not
        open with this vault's key."""
        card_id = check_card_id(path.name.removesuffix(CARD_SUFFIX))
        card = VirtualCard(CardMemory.unseal(path.read_bytes(), self._key, card_id))
        self.save(card)
        return card_id

    def __repr__(self) -> str:
        return f"CardVault({str(self._directory)!r})"

    def __reduce_ex__(self, protocol: SupportsIndex) -> NoReturn:
        raise TypeError("a card vault holds a key and cannot be pickled")


def _fsync_directory(directory: Path) -> None:
    """Make the rename durable (POSIX); a no-op where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
