"""docs/relying-parties.md's commands, run as written: every ```sh block marked
``<!-- run -->``, in order, in one bash (``set -euo pipefail``) in a fresh directory, against
a sandbox of its own, with the variables the page tells a reader to set. What they print is
checked against what the page says they print."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.processes import MADOGUCHI
from tests.support.sandbox import running_sandbox

DOC = Path(__file__).resolve().parents[2] / "docs" / "relying-parties.md"
BLOCK = re.compile(r"<!-- run -->\n```sh\n(.*?)\n```", re.S)


def blocks() -> list[str]:
    found = BLOCK.findall(DOC.read_text())
    assert len(found) >= 6, "the page lost its runnable blocks"
    return found


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    with running_sandbox(tmp_path_factory.mktemp("doc-sandbox") / "data") as ready:
        yield ready


def test_the_commands_of_the_relying_parties_page(sandbox: dict[str, Any], tmp_path: Path) -> None:
    script = "set -euo pipefail\n" + "\n".join(blocks()) + "\n"
    env = {
        **os.environ,
        **sandbox["env"],
        "SANDBOX": str(sandbox["data_dir"]),
        "BASE": sandbox["base_url"],
        "PATH": f"{MADOGUCHI.parent}:{os.environ['PATH']}",
    }
    env.pop("MADOGUCHI_DATA_DIR", None)
    env.pop("MADOGUCHI_SIGN_PASSWORD", None)
    proc = subprocess.run(
        ["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=1200
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    assert "Traceback" not in out
    for expected in (
        "madoguchi sandbox reader 1 00 00",  # opensc-tool --list-readers
        "Digital Signature Certificate",  # pkcs15-tool --list-certificates
        "Verified OK",  # openssl dgst over pkcs11-tool's signature
        "sign.pem: good",
        "jiro.pem: revoked",
        "Reason: affiliationChanged",
        "sign.pem: OK",
        "certificate revoked",
        "jiro: exit code 2",
        "CMS Verification successful",
        "The signature is judged VALID.",
        ":VALID",  # the executive summary of madoguchi's own PDF signature
        "verified: application",  # plain signxml
        "署名は有効です",
        "taro: exit code 1",
        "署名した人の署名用電子証明書は失効しています",
        "The signer's certificate is revoked.",
        "pyhanko: exit code 1",
    ):
        assert expected in out, f"{expected!r} not in the output:\n{out[-4000:]}"
    for made in ("sign.pem", "data.sig", "data.p7s", "form-pyhanko.pdf", "form-signed.pdf"):
        assert (tmp_path / made).stat().st_size > 0
