"""The backup archive: the store's logical dump plus the data directory's files (encrypted
CA keys, encrypted card states, secrets, notice batches), in one tar encrypted with
AES-256-GCM under a key derived from the backup passphrase (scrypt).

Format: ``MDGBAK1`` | salt (16) | nonce (12) | AES-GCM(tar.gz). The archive holds the
card-vault key and the CA passphrase in ``secrets/`` when they live in the data directory,
so it is never written in clear.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import secrets
import tarfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from sqlalchemy import Engine

from madoguchi.store.backup import RestoreError, dump, restore

MAGIC = b"MDGBAK1"
FILE_DIRS = ("keys", "cards", "secrets", "notices", "audit")
STORE = "store.jsonl"
MANIFEST = "manifest.json"


def _key(passphrase: bytes, salt: bytes) -> bytes:
    if len(passphrase) < 12:
        raise RestoreError(
            "weak_backup_passphrase", "the backup passphrase has 12 characters at least"
        )
    return Scrypt(salt=salt, length=32, n=2**15, r=8, p=1).derive(passphrase)


@dataclass(frozen=True, slots=True)
class BackupSummary:
    path: Path
    tables: dict[str, int]
    files: int
    sha256: str


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o600
    tar.addfile(info, io.BytesIO(data))


def create_backup(
    engine: Engine, data_dir: Path, out: Path, passphrase: bytes, now: datetime
) -> BackupSummary:
    lines = list(dump(engine))
    header = json.loads(lines[0])
    store = ("\n".join(lines) + "\n").encode()
    buf = io.BytesIO()
    files = 0
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        _add(tar, STORE, store)
        for sub in FILE_DIRS:
            root = data_dir / sub
            if not root.is_dir():
                continue
            for path in sorted(root.rglob("*")):
                if path.is_file() and not path.name.endswith(".tmp"):
                    _add(tar, str(path.relative_to(data_dir)), path.read_bytes())
                    files += 1
        manifest = {
            "created": now.isoformat(),
            "revision": header["revision"],
            "tables": header["counts"],
            "files": files,
            "store_sha256": hashlib.sha256(store).hexdigest(),
        }
        _add(tar, MANIFEST, json.dumps(manifest, indent=1).encode())
    salt, nonce = secrets.token_bytes(16), secrets.token_bytes(12)
    sealed = (
        MAGIC + salt + nonce + AESGCM(_key(passphrase, salt)).encrypt(nonce, buf.getvalue(), MAGIC)
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    with tmp.open("wb") as f:
        f.write(sealed)
        f.flush()
        os.fsync(f.fileno())
    tmp.chmod(0o600)
    os.replace(tmp, out)
    return BackupSummary(out, header["counts"], files, hashlib.sha256(sealed).hexdigest())


def open_backup(path: Path, passphrase: bytes) -> tarfile.TarFile:
    data = path.read_bytes()
    if not data.startswith(MAGIC) or len(data) < len(MAGIC) + 28:
        raise RestoreError("not_a_backup", "the file is not a madoguchi backup")
    salt, nonce = data[7:23], data[23:35]
    try:
        plain = AESGCM(_key(passphrase, salt)).decrypt(nonce, data[35:], MAGIC)
    except InvalidTag as exc:
        raise RestoreError(
            "backup_passphrase", "wrong passphrase, or the file was changed"
        ) from exc
    return tarfile.open(fileobj=io.BytesIO(plain), mode="r:gz")


def restore_backup(engine: Engine, data_dir: Path, path: Path, passphrase: bytes) -> dict[str, int]:
    """Restore into a fresh data directory and an empty, migrated store."""
    with open_backup(path, passphrase) as tar:
        for sub in FILE_DIRS:
            if (data_dir / sub).exists() and any((data_dir / sub).iterdir()):
                raise RestoreError("data_dir_not_empty", f"{data_dir / sub} is not empty")
        members = tar.getmembers()
        store_member = tar.extractfile(STORE)
        if store_member is None:
            raise RestoreError("not_a_backup", "the archive has no store")
        counts = restore(engine, io.TextIOWrapper(store_member, encoding="utf-8"))
        for m in members:
            if m.name in (STORE, MANIFEST) or not m.isfile():
                continue
            target = (data_dir / m.name).resolve()
            if data_dir.resolve() not in target.parents or m.name.split("/")[0] not in FILE_DIRS:
                raise RestoreError("not_a_backup", f"unexpected member {m.name}")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.parent.chmod(0o700)
            src = tar.extractfile(m)
            assert src is not None
            target.write_bytes(src.read())
            target.chmod(0o600)
    return counts
