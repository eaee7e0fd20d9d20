"""The streaming CRL writer (RFC 5280 §5; R-REV-4): parsed back by cryptography and openssl."""

from __future__ import annotations

import hashlib
import io
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa, utils
from cryptography.x509.oid import NameOID
from hypothesis import given, settings
from hypothesis import strategies as st

from madoguchi.pki import crl, crl_partitions, der
from madoguchi.pki.errors import PkiError
from madoguchi.pki.signer import KeySigner, Signer
from madoguchi.rules.revocation import RevocationReason

R = RevocationReason
NOW = datetime(2026, 11, 24, 1, 2, 3, tzinfo=UTC)
LATER = NOW + timedelta(days=2)
JST = timezone(timedelta(hours=9))
URL = "http://ca.example/crl/sign-3.crl"
LISTED_REASONS = [r for r in R if r is not R.REMOVE_FROM_CRL]

#: RFC 5280 reason → cryptography's flag (None: no reasonCode extension).
FLAGS: dict[R, x509.ReasonFlags | None] = {
    R.UNSPECIFIED: None,
    R.KEY_COMPROMISE: x509.ReasonFlags.key_compromise,
    R.CA_COMPROMISE: x509.ReasonFlags.ca_compromise,
    R.AFFILIATION_CHANGED: x509.ReasonFlags.affiliation_changed,
    R.SUPERSEDED: x509.ReasonFlags.superseded,
    R.CESSATION_OF_OPERATION: x509.ReasonFlags.cessation_of_operation,
    R.CERTIFICATE_HOLD: x509.ReasonFlags.certificate_hold,
    R.PRIVILEGE_WITHDRAWN: x509.ReasonFlags.privilege_withdrawn,
    R.AA_COMPROMISE: x509.ReasonFlags.aa_compromise,
}
#: how `openssl crl -text` prints each reason
OPENSSL_REASONS = {
    R.KEY_COMPROMISE: "Key Compromise",
    R.CA_COMPROMISE: "CA Compromise",
    R.AFFILIATION_CHANGED: "Affiliation Changed",
    R.SUPERSEDED: "Superseded",
    R.CESSATION_OF_OPERATION: "Cessation Of Operation",
    R.CERTIFICATE_HOLD: "Certificate Hold",
    R.PRIVILEGE_WITHDRAWN: "Privilege Withdrawn",
    R.AA_COMPROMISE: "AA Compromise",
}


@dataclass(frozen=True)
class FakeCa:
    signer: KeySigner
    cert: x509.Certificate

    @property
    def key_id(self) -> bytes:
        return x509.SubjectKeyIdentifier.from_public_key(self.signer.public_key).digest

    @property
    def name_der(self) -> bytes:
        return self.cert.subject.public_bytes()


@pytest.fixture(scope="module")
def ca() -> FakeCa:
    signer = KeySigner.generate()
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "madoguchi DEMO CA - not J-LIS"),
            x509.NameAttribute(NameOID.COMMON_NAME, "帯広市 test CRL CA"),
        ]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(signer.public_key)
        .serial_number(1)
        .not_valid_before(NOW - timedelta(days=1))
        .not_valid_after(NOW + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(signer.public_key), False)
        .sign(signer.private_key, hashes.SHA256())
    )
    return FakeCa(signer, cert)


def entry(serial: int, reason: R = R.KEY_COMPROMISE, at: datetime = NOW) -> crl.RevokedEntry:
    return crl.RevokedEntry(serial, at, reason, at + timedelta(days=365))


SAMPLE = [entry(i + 1, reason) for i, reason in enumerate(LISTED_REASONS)] + [
    entry(2**159 - 1, R.SUPERSEDED, datetime(2051, 3, 4, 5, 6, 7, tzinfo=UTC)),
    entry(128, R.UNSPECIFIED, datetime(2049, 12, 31, 23, 59, 59, tzinfo=UTC)),
]


def write(
    ca: FakeCa,
    entries: Iterable[bytes],
    *,
    idp: crl.IssuingDistributionPoint | None = None,
    number: int = 42,
    signer: Signer | None = None,
    this_update: datetime = NOW,
    next_update: datetime = LATER,
    spool_memory: int = crl.SPOOL_MEMORY,
) -> tuple[bytes, crl.CrlInfo]:
    out = io.BytesIO()
    info = crl.write_crl(
        out,
        issuer_name_der=ca.name_der,
        authority_key_id=ca.key_id,
        crl_number=number,
        this_update=this_update,
        next_update=next_update,
        entries=entries,
        signer=ca.signer if signer is None else signer,
        idp=idp,
        spool_memory=spool_memory,
    )
    return out.getvalue(), info


def check_entries(
    parsed: x509.CertificateRevocationList, entries: Sequence[crl.RevokedEntry]
) -> None:
    """Every serial, date and reason, in order; no reasonCode for `unspecified`."""
    got = list(parsed)
    assert [r.serial_number for r in got] == [e.serial for e in entries]
    for revoked, e in zip(got, entries, strict=True):
        assert revoked.revocation_date_utc == e.revoked_at.astimezone(UTC).replace(microsecond=0)
        flag = FLAGS[e.reason]
        if flag is None:
            assert len(revoked.extensions) == 0
        else:
            ext = revoked.extensions.get_extension_for_class(x509.CRLReason)
            assert ext.value.reason is flag and not ext.critical


def tbs_body(tbs: bytes) -> bytes:
    """The content of the TBSCertList SEQUENCE."""
    for size in range(2, 6):
        if tbs[:size] == der.header(0x30, len(tbs) - size):
            return tbs[size:]
    raise AssertionError("not a DER SEQUENCE")


# -- entries -------------------------------------------------------------------------------
def _hex_time(tag: str, text: str) -> str:
    return tag + f"{len(text):02x}" + text.encode().hex()


REASON_EXT = "300c300a0603551d1504030a01"


@pytest.mark.parametrize(
    ("revoked", "expected"),
    [
        (entry(1), "3020020101" + _hex_time("17", "261124010203Z") + REASON_EXT + "01"),
        (
            entry(128, R.UNSPECIFIED, datetime(2050, 1, 1, tzinfo=UTC)),
            "301502020080" + _hex_time("18", "20500101000000Z"),
        ),
        (
            entry(2**159 - 1, R.CERTIFICATE_HOLD, NOW.astimezone(JST).replace(microsecond=5)),
            "30330214" + "7f" + "ff" * 19 + _hex_time("17", "261124010203Z") + REASON_EXT + "06",
        ),
        (
            entry(255, R.AA_COMPROMISE),
            "3021020200ff" + _hex_time("17", "261124010203Z") + REASON_EXT + "0a",
        ),
    ],
)
def test_encode_entry_is_the_der_of_rfc5280_5_1_2_6(
    revoked: crl.RevokedEntry, expected: str
) -> None:
    """R-REV-4: serial, UTCTime through 2049 / GeneralizedTime from 2050, reasonCode if any."""
    assert crl.encode_entry(revoked).hex() == expected


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"serial": 0}, "serial_range"),
        ({"serial": 2**159}, "serial_range"),
        ({"reason": R.REMOVE_FROM_CRL}, "remove_from_crl"),
        ({"reason": 1}, "reason_type"),
        ({"revoked_at": datetime(2026, 1, 1)}, "naive_time"),
        ({"not_after": datetime(2026, 1, 1)}, "naive_time"),
        ({"revoked_at": datetime(1949, 12, 31, tzinfo=UTC)}, "time_range"),
    ],
)
def test_revoked_entry_refuses_what_a_crl_cannot_say(kwargs: dict[str, object], code: str) -> None:
    fields: dict[str, object] = {"serial": 1, "revoked_at": NOW, "reason": R.SUPERSEDED}
    fields["not_after"] = LATER
    with pytest.raises(PkiError) as err:
        crl.RevokedEntry(**(fields | kwargs))  # type: ignore[arg-type]
    assert err.value.code == code


# -- whole CRLs ----------------------------------------------------------------------------
@pytest.mark.parametrize("idp", [None, crl.IssuingDistributionPoint(URL)])
@pytest.mark.parametrize("form", ["list", "iterator", "spilled to disk", "empty"])
def test_crl_parses_with_every_field(
    ca: FakeCa, idp: crl.IssuingDistributionPoint | None, form: str
) -> None:
    """RFC 5280 §5.1, R-REV-4: issuer, numbers, times, entries, extensions, signature."""
    listed = [] if form == "empty" else SAMPLE
    encoded = [crl.encode_entry(e) for e in listed]
    source: Iterable[bytes] = encoded if form in ("list", "empty") else iter(encoded)
    data, info = write(
        ca, source, idp=idp, spool_memory=64 if form == "spilled to disk" else crl.SPOOL_MEMORY
    )
    parsed = x509.load_der_x509_crl(data)
    body = tbs_body(parsed.tbs_certlist_bytes)
    assert body[:3] == b"\x02\x01\x01"  # version v2 (§5.1.2.1)
    assert parsed.issuer == ca.cert.subject
    assert parsed.last_update_utc == NOW and parsed.next_update_utc == LATER
    assert parsed.signature_algorithm_oid == x509.SignatureAlgorithmOID.RSA_WITH_SHA256
    assert parsed.is_signature_valid(ca.signer.public_key)
    assert parsed.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == 42
    aki = parsed.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier)
    assert aki.value.key_identifier == ca.key_id and not aki.critical
    check_entries(parsed, listed)
    # after nextUpdate: revokedCertificates, or straight the [0] extensions when empty (§5.1.2.6)
    after_times = 3 + len(der.SHA256_WITH_RSA) + len(ca.name_der) + 2 * len(der.time_value(NOW))
    assert body[after_times] == (0x30 if listed else 0xA0)
    if idp is None:
        with pytest.raises(x509.ExtensionNotFound):
            parsed.extensions.get_extension_for_class(x509.IssuingDistributionPoint)
    else:
        ext = parsed.extensions.get_extension_for_class(x509.IssuingDistributionPoint)
        assert ext.critical
        assert ext.value.full_name == [x509.UniformResourceIdentifier(URL)]
        assert not ext.value.only_contains_user_certs
    assert len(parsed.extensions) == (2 if idp is None else 3)
    assert info == crl.CrlInfo(
        42, NOW, LATER, len(listed), len(data), hashlib.sha256(data).hexdigest()
    )


@pytest.mark.parametrize(
    ("listed", "idp"),
    [
        ([], None),
        (SAMPLE, None),
        (SAMPLE, crl.IssuingDistributionPoint(URL)),
        (SAMPLE[:2], crl.IssuingDistributionPoint(URL, only_contains_user_certs=True)),
    ],
)
def test_same_bytes_as_cryptographys_builder(
    ca: FakeCa, listed: list[crl.RevokedEntry], idp: crl.IssuingDistributionPoint | None
) -> None:
    """PKCS#1 v1.5 is deterministic: the same TBS gives the very same CRL, byte for byte."""
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.cert.subject)
        .last_update(NOW)
        .next_update(LATER)
        .add_extension(x509.AuthorityKeyIdentifier(ca.key_id, None, None), False)
        .add_extension(x509.CRLNumber(42), False)
    )
    if idp is not None:
        point = x509.IssuingDistributionPoint(
            [x509.UniformResourceIdentifier(idp.url)],
            None,
            idp.only_contains_user_certs,
            False,
            None,
            False,
            False,
        )
        builder = builder.add_extension(point, True)
    for e in listed:
        revoked = x509.RevokedCertificateBuilder().serial_number(e.serial)
        revoked = revoked.revocation_date(e.revoked_at)
        flag = FLAGS[e.reason]
        if flag is not None:
            revoked = revoked.add_extension(x509.CRLReason(flag), False)
        builder = builder.add_revoked_certificate(revoked.build())
    expected = builder.sign(ca.signer.private_key, hashes.SHA256())
    data, _ = write(ca, [crl.encode_entry(e) for e in listed], idp=idp)
    assert data == expected.public_bytes(serialization.Encoding.DER)


# -- signers -------------------------------------------------------------------------------
class HsmLikeSigner:
    """A Signer whose key never leaves: only ``sign(data)``, as the PKCS#11 signer."""

    def __init__(self, key: KeySigner) -> None:
        self._key = key
        self.signed: list[int] = []

    @property
    def public_key(self) -> rsa.RSAPublicKey:
        return self._key.public_key

    @property
    def private_key(self) -> None:
        return None

    def sign(self, data: bytes) -> bytes:
        self.signed.append(len(data))
        return self._key.sign(data)


class DigestOnlySigner(HsmLikeSigner):
    """An HSM adapter that also signs a precomputed digest (CKM_RSA_PKCS over DigestInfo)."""

    def sign_digest(self, digest: bytes) -> bytes:
        self.signed.append(-len(digest))
        return self._key.private_key.sign(
            digest, padding.PKCS1v15(), utils.Prehashed(hashes.SHA256())
        )


@pytest.mark.parametrize("signer_type", [HsmLikeSigner, DigestOnlySigner])
def test_signers_without_a_software_key_make_the_same_crl(
    ca: FakeCa, signer_type: type[HsmLikeSigner]
) -> None:
    encoded = [crl.encode_entry(e) for e in SAMPLE]
    reference, _ = write(ca, encoded)
    signer = signer_type(ca.signer)
    data, _ = write(ca, iter(encoded), signer=signer)
    assert data == reference
    tbs = x509.load_der_x509_crl(data).tbs_certlist_bytes
    # the plain Signer gets the whole TBS; the digest signer only the 32-byte digest
    assert signer.signed == ([len(tbs)] if signer_type is HsmLikeSigner else [-32])


class WrongKeySigner(HsmLikeSigner):
    """Claims the CA's public key, signs with another key (a misconfigured HSM slot)."""

    def __init__(self, claimed: KeySigner) -> None:
        super().__init__(KeySigner.generate())
        self._claimed = claimed

    @property
    def public_key(self) -> rsa.RSAPublicKey:
        return self._claimed.public_key


class WrongKeyDigestSigner(WrongKeySigner, DigestOnlySigner):
    pass


@pytest.mark.parametrize("signer_type", [WrongKeySigner, WrongKeyDigestSigner])
def test_a_signature_by_another_key_is_refused(
    ca: FakeCa, signer_type: type[WrongKeySigner]
) -> None:
    signer = signer_type(ca.signer)
    with pytest.raises(PkiError) as err:
        write(ca, [crl.encode_entry(SAMPLE[0])], signer=signer)
    assert err.value.code == "bad_signature"
    assert signer.signed  # it did sign, with the wrong key


# -- refusals ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "bad",
    [
        b"",
        b"\x30",
        b"\x04\x00",
        b"\x30\x05\x02\x01\x01",
        b"\x30\x00\x00",
        b"\x30\x81\x05\x02\x01\x01",
    ],
)
def test_a_stored_entry_that_is_not_one_sequence_is_refused(ca: FakeCa, bad: bytes) -> None:
    good = crl.encode_entry(SAMPLE[0])
    for source in ([good, bad], iter([good, bad])):
        with pytest.raises(PkiError) as err:
            write(ca, source)
        assert err.value.code == "bad_entry"


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"this_update": datetime(2026, 11, 24)}, "naive_time"),
        ({"next_update": NOW}, "crl_times"),
        ({"next_update": NOW - timedelta(seconds=1)}, "crl_times"),
        ({"number": -1}, "crl_number"),
        ({"number": 2**159}, "crl_number"),
    ],
)
def test_write_crl_refuses_bad_arguments(ca: FakeCa, kwargs: dict[str, object], code: str) -> None:
    with pytest.raises(PkiError) as err:
        write(ca, [], **kwargs)  # type: ignore[arg-type]
    assert err.value.code == code


def test_write_crl_refuses_a_missing_issuer_or_key_id(ca: FakeCa) -> None:
    for issuer, key_id in ((b"", ca.key_id), (b"\x31\x00", ca.key_id), (ca.name_der, b"")):
        with pytest.raises(PkiError) as err:
            crl.write_crl(
                io.BytesIO(),
                issuer_name_der=issuer,
                authority_key_id=key_id,
                crl_number=1,
                this_update=NOW,
                next_update=LATER,
                entries=[],
                signer=ca.signer,
            )
        assert err.value.code == "crl_issuer"


@pytest.mark.parametrize(
    "url", ["http://ca.example/crl/署名-1.crl", "http://ca example/x.crl", "crl/sign-1.crl", ""]
)
def test_issuing_distribution_point_is_an_ascii_uri(url: str) -> None:
    with pytest.raises(PkiError) as err:
        crl.IssuingDistributionPoint(url)
    assert err.value.code == "idp_url"


# -- DER lengths at their boundaries -------------------------------------------------------
@pytest.mark.parametrize(
    ("size", "octets"),
    [
        (0, "00"),
        (1, "01"),
        (127, "7f"),
        (128, "8180"),
        (255, "81ff"),
        (256, "820100"),
        (65535, "82ffff"),
        (65536, "83010000"),
        (2**24, "8401000000"),
    ],
)
def test_der_length_octets(size: int, octets: str) -> None:
    """X.690 §8.1.3: short form through 127, then the fewest long-form octets."""
    assert der.length(size).hex() == octets
    assert der.header(0x30, size) == bytes([0x30]) + bytes.fromhex(octets)
    content = b"\x00" * size if size <= 65536 else b""
    if content or size == 0:
        assert der.tlv(0x04, content) == b"\x04" + bytes.fromhex(octets) + content


def entries_totalling(total: int) -> list[bytes]:
    """Unspecified-reason entries (UTCTime) of 20 … 39 bytes, serials of 1 … 20 octets."""
    count = -(-total // 39)
    extra = total - 20 * count
    assert extra >= 0
    used: dict[int, int] = {}
    out = []
    for _ in range(count):
        grow = min(19, extra)
        extra -= grow
        octets = 1 + grow
        base = 1 if octets == 1 else 2 ** (8 * (octets - 1))
        used[octets] = used.get(octets, 0) + 1
        out.append(crl.encode_entry(entry(base + used[octets], R.UNSPECIFIED)))
    assert sum(len(e) for e in out) == total
    return out


@pytest.mark.parametrize("total", [127, 128, 255, 256, 65535, 65536])
def test_revoked_certificates_of_boundary_lengths(ca: FakeCa, total: int) -> None:
    """The revokedCertificates SEQUENCE with 127/128/255/256/65535/65536 bytes of content."""
    encoded = entries_totalling(total)
    data, info = write(ca, iter(encoded))
    parsed = x509.load_der_x509_crl(data)
    assert der.header(0x30, total) + encoded[0] in parsed.tbs_certlist_bytes
    assert len(parsed) == len(encoded) == info.entry_count
    assert [r.serial_number for r in parsed] == [
        int.from_bytes(e[4 : 4 + e[3]], "big") for e in encoded
    ]
    assert parsed.is_signature_valid(ca.signer.public_key)


# -- Hypothesis: random CRLs round-trip exactly --------------------------------------------
_times = st.datetimes(
    min_value=datetime(1990, 1, 1),
    max_value=datetime(2120, 12, 31),
    timezones=st.sampled_from([UTC, JST]),
)
_entries = st.lists(
    st.tuples(st.integers(1, 2**159 - 1), _times, st.sampled_from(LISTED_REASONS)),
    max_size=40,
    unique_by=lambda t: t[0],
)


@settings(deadline=None, max_examples=60)
@given(
    listed=_entries,
    number=st.integers(0, 2**159 - 1),
    this_update=_times,
    spooled=st.booleans(),
    partition=st.none() | st.integers(0, 10**6),
)
def test_random_crls_round_trip_through_cryptography(
    ca: FakeCa,
    listed: list[tuple[int, datetime, R]],
    number: int,
    this_update: datetime,
    spooled: bool,
    partition: int | None,
) -> None:
    entries = [crl.RevokedEntry(s, at, reason, at) for s, at, reason in listed]
    encoded = [crl.encode_entry(e) for e in entries]
    idp = None
    if partition is not None:
        idp = crl_partitions.PartitionScheme(100_000).idp(
            "http://ca.example/crl/{kind}-{partition}.crl", kind="auth", partition=partition
        )
    next_update = this_update + timedelta(hours=48)
    data, info = write(
        ca,
        iter(encoded) if spooled else encoded,
        idp=idp,
        number=number,
        this_update=this_update,
        next_update=next_update,
        spool_memory=128,
    )
    parsed = x509.load_der_x509_crl(data)
    check_entries(parsed, entries)
    assert parsed.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == number
    assert parsed.last_update_utc == this_update.astimezone(UTC).replace(microsecond=0)
    assert parsed.next_update_utc == next_update.astimezone(UTC).replace(microsecond=0)
    assert parsed.is_signature_valid(ca.signer.public_key)
    if idp is not None:
        ext = parsed.extensions.get_extension_for_class(x509.IssuingDistributionPoint)
        assert ext.value.full_name == [
            x509.UniformResourceIdentifier(f"http://ca.example/crl/auth-{partition}.crl")
        ]
    assert info.size == len(data) and info.entry_count == len(entries)


# -- openssl, the independent client -------------------------------------------------------
def openssl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["openssl", *args], capture_output=True, text=True, check=False, timeout=60
    )


@pytest.fixture
def crl_file(ca: FakeCa, tmp_path: Path) -> Path:
    data, _ = write(
        ca, [crl.encode_entry(e) for e in SAMPLE], idp=crl.IssuingDistributionPoint(URL)
    )
    path = tmp_path / "sign-3.crl"
    path.write_bytes(data)
    return path


def test_openssl_prints_the_reasons_and_the_idp(crl_file: Path) -> None:
    """R-REV-4: every reason under its RFC 5280 name; the partition's critical IDP."""
    proc = openssl("crl", "-inform", "DER", "-in", str(crl_file), "-noout", "-text")
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    assert "Version 2 (0x1)" in text and "sha256WithRSAEncryption" in text
    assert "X509v3 Issuing Distribution Point: critical" in text
    assert f"URI:{URL}" in text
    assert "X509v3 CRL Number: \n                42" in text
    blocks = text.split("Serial Number: ")[1:]
    assert len(blocks) == len(SAMPLE)
    for block, e in zip(blocks, SAMPLE, strict=True):
        assert int(block.split()[0], 16) == e.serial
        if e.reason is R.UNSPECIFIED:
            assert "CRL Reason Code" not in block
        else:
            assert "X509v3 CRL Reason Code" in block and OPENSSL_REASONS[e.reason] in block


def test_openssl_verifies_the_signature(ca: FakeCa, crl_file: Path, tmp_path: Path) -> None:
    pem = tmp_path / "ca.pem"
    pem.write_bytes(ca.cert.public_bytes(serialization.Encoding.PEM))
    args = ("crl", "-inform", "DER", "-in", str(crl_file), "-CAfile", str(pem), "-verify", "-noout")
    proc = openssl(*args)
    assert proc.returncode == 0 and "verify OK" in proc.stderr, proc.stderr
    tampered = bytearray(crl_file.read_bytes())
    tampered[-5] ^= 0x01  # inside the signature
    crl_file.write_bytes(bytes(tampered))
    proc = openssl(*args)
    assert "verify OK" not in proc.stderr and "verify failure" in proc.stderr


def test_openssl_parses_an_empty_crl(ca: FakeCa, tmp_path: Path) -> None:
    data, _ = write(ca, [])
    path = tmp_path / "empty.crl"
    path.write_bytes(data)
    proc = openssl("crl", "-inform", "DER", "-in", str(path), "-noout", "-text")
    assert proc.returncode == 0 and "No Revoked Certificates." in proc.stdout, proc.stderr


# -- expiry ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("not_after", "listed"),
    [
        (NOW - timedelta(seconds=1), False),
        (NOW - timedelta(days=400), False),
        (NOW, True),  # the last second of validity: still listed
        (NOW + timedelta(seconds=1), True),
        (NOW.astimezone(JST), True),
    ],
)
def test_an_entry_leaves_the_crl_once_its_certificate_expired(
    not_after: datetime, listed: bool
) -> None:
    """R-REV-4, RFC 5280 §3.3: listed until expiry, whatever happens to the holder later."""
    e = crl.RevokedEntry(7, NOW - timedelta(days=30), R.SUPERSEDED, not_after)
    assert list(crl.unexpired([e], NOW)) == ([e] if listed else [])


@settings(deadline=None)
@given(
    st.lists(st.tuples(st.integers(1, 2**40), st.integers(-1000, 1000)), max_size=30),
    st.integers(-1000, 1000),
)
def test_unexpired_keeps_order_and_only_drops_the_expired(
    items: list[tuple[int, int]], at_offset: int
) -> None:
    entries = [
        crl.RevokedEntry(s, NOW - timedelta(days=900), R.SUPERSEDED, NOW + timedelta(days=d))
        for s, d in items
    ]
    at = NOW + timedelta(days=at_offset)
    assert list(crl.unexpired(entries, at)) == [e for e in entries if e.not_after >= at]


def test_write_crl_entries_drops_expired_certificates(ca: FakeCa) -> None:
    kept = [entry(1), entry(2, R.UNSPECIFIED)]
    gone = crl.RevokedEntry(3, NOW - timedelta(days=400), R.SUPERSEDED, NOW - timedelta(days=1))
    out = io.BytesIO()
    info = crl.write_crl_entries(
        out,
        issuer_name_der=ca.name_der,
        authority_key_id=ca.key_id,
        crl_number=1,
        this_update=NOW,
        next_update=LATER,
        entries=[kept[0], gone, kept[1]],
        signer=ca.signer,
    )
    parsed = x509.load_der_x509_crl(out.getvalue())
    check_entries(parsed, kept)
    assert info.entry_count == 2


# -- partitions -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("size", "seq", "partition"),
    [(100_000, 0, 0), (100_000, 99_999, 0), (100_000, 100_000, 1), (1, 5, 5), (250, 1000, 4)],
)
def test_partition_of_a_sequence_number(size: int, seq: int, partition: int) -> None:
    scheme = crl_partitions.PartitionScheme(size)
    assert scheme.partition_of(seq) == partition
    assert seq in scheme.sequences(partition)


@given(st.integers(1, 10**6), st.integers(0, 10**12))
def test_a_partition_never_holds_more_than_its_size(size: int, seq: int) -> None:
    """However many cards are issued, a partition CRL lists at most ``size`` serials."""
    scheme = crl_partitions.PartitionScheme(size)
    members = scheme.sequences(scheme.partition_of(seq))
    assert seq in members and len(members) == size


@pytest.mark.parametrize(
    ("template", "url"),
    [
        ("http://ca.example/crl/{kind}-{partition}.crl", "http://ca.example/crl/sign-7.crl"),
        ("https://ca.example/{partition}/{kind}.crl", "https://ca.example/7/sign.crl"),
    ],
)
def test_partition_distribution_point(template: str, url: str) -> None:
    scheme = crl_partitions.PartitionScheme(1000)
    assert scheme.url(template, kind="sign", partition=7) == url
    assert scheme.idp(template, kind="sign", partition=7) == crl.IssuingDistributionPoint(url)


@pytest.mark.parametrize(
    ("template", "partition", "code"),
    [
        ("http://ca.example/crl/{kind}.crl", 1, "crl_template"),
        ("http://ca.example/crl/{kind}-{partition}-{oops}.crl", 1, "crl_template"),
        ("http://ca.example/crl/{kind}-{partition}.crl", -1, "partition"),
        ("http://ca.example/失効/{kind}-{partition}.crl", 1, "idp_url"),
    ],
)
def test_bad_partition_templates_are_refused(template: str, partition: int, code: str) -> None:
    with pytest.raises(PkiError) as err:
        crl_partitions.partition_url(template, kind="auth", partition=partition)
    assert err.value.code == code


def test_partition_scheme_refuses_nonsense() -> None:
    with pytest.raises(PkiError):
        crl_partitions.PartitionScheme(0)
    with pytest.raises(PkiError):
        crl_partitions.PartitionScheme(10).partition_of(-1)
