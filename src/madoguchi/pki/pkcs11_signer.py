"""CA keys in a PKCS#11 token (HSM) behind the :class:`~madoguchi.pki.signer.Signer` protocol.

The private key is generated in the token and never leaves it; signatures are
CKM_SHA256_RSA_PKCS, i.e. sha256WithRSAEncryption (R-X509). Because cryptography's builders
sign only with in-process keys, :func:`sign_certificate` and :func:`sign_crl` take the TBS
bytes from a builder, sign them through :meth:`Signer.sign` and assemble the DER
(:func:`madoguchi.pki.der.signed`).

Concurrency: python-pkcs11 calls ``C_Initialize(NULL)``, which promises the library no
concurrent calls (PKCS#11 §5.4; SoftHSM then switches its own mutexes off), so every call
into a module goes through one process-wide lock. Login state belongs to the token, not to
the session (a second ``C_Login`` fails, a ``C_Logout`` logs every session out), so all
signers on one token share one logged-in session, opened once and reopened only when it
has gone stale, and closed when the last signer closes.
"""

from __future__ import annotations

import hmac
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from types import TracebackType

import pkcs11
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import SignatureAlgorithmOID
from pkcs11 import Attribute, KeyType, Mechanism, MechanismFlag, ObjectClass

from madoguchi.pki import der
from madoguchi.pki.errors import BadSignature, HsmError, KeySizeError, KeyTypeError
from madoguchi.pki.signer import RSA_BITS, RSA_EXPONENT, Signer

_LOCK = threading.RLock()  # every call into a PKCS#11 module from this process
_LOGINS: dict[tuple[str, str], _Login] = {}
_PIN_ERRORS = (
    pkcs11.PinIncorrect, pkcs11.PinInvalid, pkcs11.PinLenRange, pkcs11.PinExpired,
    pkcs11.PinLocked, pkcs11.UserPinNotInitialized,
)  # fmt: skip
_STALE = (
    pkcs11.SessionHandleInvalid, pkcs11.SessionClosed, pkcs11.UserNotLoggedIn,
    pkcs11.KeyHandleInvalid, pkcs11.ObjectHandleInvalid, pkcs11.DeviceRemoved,
    pkcs11.TokenNotPresent,
)  # fmt: skip


@contextmanager
def _hsm_errors(what: str) -> Iterator[None]:
    """Turn python-pkcs11 exceptions into :class:`HsmError` with stable codes."""
    try:
        yield
    except _PIN_ERRORS as exc:
        raise HsmError("hsm_pin", f"{what}: the token refused the user PIN ({exc!r})") from exc
    except (pkcs11.NoSuchToken, pkcs11.TokenNotPresent, pkcs11.TokenNotRecognised) as exc:
        raise HsmError("hsm_token_missing", f"{what}: token not present ({exc!r})") from exc
    except pkcs11.NoSuchKey as exc:
        raise HsmError("hsm_key_missing", f"{what}: no such key ({exc!r})") from exc
    except pkcs11.PKCS11Error as exc:
        raise HsmError("hsm_error", f"{what}: the PKCS#11 module failed ({exc!r})") from exc


def _token(module: str, label: str) -> pkcs11.Token:
    if not Path(module).is_file():
        raise HsmError("hsm_module_missing", f"no PKCS#11 module at {module}")
    try:
        lib = pkcs11.lib(module)
    except pkcs11.PKCS11Error as exc:
        raise HsmError("hsm_module_missing", f"cannot load PKCS#11 module {module}: {exc}") from exc
    try:
        return lib.get_token(token_label=label)
    except pkcs11.NoSuchToken as exc:
        raise HsmError("hsm_token_missing", f"no token labelled {label!r} in {module}") from exc
    except pkcs11.MultipleTokensReturned as exc:
        raise HsmError("hsm_token_missing", f"more than one token labelled {label!r}") from exc


class _Login:
    """The process's one logged-in session on a token; callers hold ``_LOCK``."""

    def __init__(self, module: str, token_label: str, pin: str) -> None:
        self.key = (module, token_label)
        self.pin = pin
        self.refs = 0
        self.generation = 0  # bumped on every (re)open: key handles of older sessions are void
        self._session: pkcs11.Session | None = None

    def session(self) -> pkcs11.Session:
        if self._session is None:
            self._session = _token(*self.key).open(user_pin=self.pin)
            self.generation += 1
        return self._session

    def drop(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            with suppress(pkcs11.PKCS11Error):  # a stale session cannot be closed cleanly
                session.close()


def _acquire(module: str, token_label: str, pin: str) -> _Login:
    with _LOCK:
        login = _LOGINS.get((module, token_label))
        if login is None:
            login = _LOGINS[(module, token_label)] = _Login(module, token_label, pin)
        elif not hmac.compare_digest(login.pin.encode(), pin.encode()):
            raise HsmError("hsm_pin", f"token {token_label!r} is logged in with another PIN")
        login.refs += 1
        return login


def _release(login: _Login) -> None:
    with _LOCK:
        login.refs -= 1
        if login.refs == 0:
            login.drop()
            if _LOGINS.get(login.key) is login:
                del _LOGINS[login.key]


def _find_private_key(session: pkcs11.Session, label: str) -> pkcs11.SignMixin:
    try:
        key = session.get_key(ObjectClass.PRIVATE_KEY, label=label)
    except pkcs11.MultipleObjectsReturned as exc:
        raise HsmError("hsm_error", f"more than one private key labelled {label!r}") from exc
    if key.key_type != KeyType.RSA or not isinstance(key, pkcs11.SignMixin):
        raise KeyTypeError(f"the key {label!r}")
    return key


def _rsa_public(source: pkcs11.Object, label: str) -> rsa.RSAPublicKey:
    n = int.from_bytes(source[Attribute.MODULUS], "big")
    e = int.from_bytes(source[Attribute.PUBLIC_EXPONENT], "big")
    public = rsa.RSAPublicNumbers(e, n).public_key()
    if public.key_size != RSA_BITS:
        raise KeySizeError(f"the key {label!r}", public.key_size, RSA_BITS)
    return public


def _public_key(session: pkcs11.Session, private: pkcs11.Object, label: str) -> rsa.RSAPublicKey:
    """From the token's public key object; from the private key's public attributes if absent."""
    try:
        return _rsa_public(session.get_key(ObjectClass.PUBLIC_KEY, label=label), label)
    except pkcs11.NoSuchKey:
        return _rsa_public(private, label)


class Pkcs11Signer:
    """An RSA-2048 CA key in a PKCS#11 token, found by token label and key label (R-X509)."""

    def __init__(self, module: str, token_label: str, pin: str, key_label: str) -> None:
        self.module, self.token_label, self.key_label = module, token_label, key_label
        self._what = f"key {key_label!r} on token {token_label!r}"
        self._key: pkcs11.SignMixin | None = None
        self._generation = 0
        with _LOCK:
            self._login: _Login | None = _acquire(module, token_label, pin)
            try:
                with _hsm_errors(self._what):
                    key = self._private_key()
                    self._public = _public_key(self._login.session(), key, key_label)
            except BaseException:
                self.close()
                raise

    @classmethod
    def generate_in_token(
        cls, module: str, token_label: str, pin: str, key_label: str
    ) -> Pkcs11Signer:
        """Create an RSA-2048, e=65537 key pair on the token (R-X509) and return its signer.

        The private key is a token object, private, sensitive and never extractable, allowed to
        sign only; CKA_ID is the key's SubjectKeyIdentifier (RFC 5280 §4.2.1.2 method 1). A
        label already used by any object on the token is refused (``hsm_key_exists``).
        """
        with _LOCK:
            login = _acquire(module, token_label, pin)
            try:
                with _hsm_errors(f"generating key {key_label!r} on token {token_label!r}"):
                    session = login.session()
                    if list(session.get_objects({Attribute.LABEL: key_label})):
                        raise HsmError(
                            "hsm_key_exists", f"token {token_label!r} already holds {key_label!r}"
                        )
                    # the token is logged in already: a R/W session needs no second C_Login
                    with session.token.open(rw=True) as rw:
                        pub, priv = rw.generate_keypair(
                            KeyType.RSA, RSA_BITS, label=key_label, store=True,
                            capabilities=MechanismFlag.SIGN | MechanismFlag.VERIFY,
                            public_template={
                                Attribute.PUBLIC_EXPONENT: RSA_EXPONENT.to_bytes(3, "big"),
                            },
                            private_template={
                                Attribute.TOKEN: True, Attribute.PRIVATE: True,
                                Attribute.SENSITIVE: True, Attribute.EXTRACTABLE: False,
                            },
                        )  # fmt: skip
                        public = _rsa_public(pub, key_label)
                        ski = x509.SubjectKeyIdentifier.from_public_key(public).digest
                        pub[Attribute.ID] = priv[Attribute.ID] = ski
                return cls(module, token_label, pin, key_label)  # reuses the session
            finally:
                _release(login)

    def _private_key(self) -> pkcs11.SignMixin:
        """The key object in the current shared session (looked up again after a reopen)."""
        if self._login is None:
            raise HsmError("hsm_closed", f"the signer for {self._what} is closed")
        session = self._login.session()
        if self._key is None or self._generation != self._login.generation:
            self._key = _find_private_key(session, self.key_label)
            self._generation = self._login.generation
        return self._key

    @property
    def public_key(self) -> rsa.RSAPublicKey:
        return self._public

    @property
    def private_key(self) -> None:
        """Always None: the key cannot leave the token."""
        return None

    def sign(self, data: bytes) -> bytes:
        """sha256WithRSAEncryption over ``data`` (CKM_SHA256_RSA_PKCS) in the token (R-X509)."""
        with _LOCK, _hsm_errors(f"signing with {self._what}"):
            try:
                return self._private_key().sign(data, mechanism=Mechanism.SHA256_RSA_PKCS)
            except _STALE:
                if self._login is not None:
                    self._login.drop()  # the session went stale (token reset): reopen once
                return self._private_key().sign(data, mechanism=Mechanism.SHA256_RSA_PKCS)

    def close(self) -> None:
        """Release the shared session (logged out when the last signer on the token closes)."""
        with _LOCK:
            login, self._login, self._key = self._login, None, None
            if login is not None:
                _release(login)

    def __enter__(self) -> Pkcs11Signer:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:  # fmt: skip
        self.close()


_placeholder: rsa.RSAPrivateKey | None = None
_placeholder_lock = threading.Lock()


def _placeholder_key() -> rsa.RSAPrivateKey:
    """A process-wide throwaway RSA-2048 key whose only use is to make builders emit TBS bytes."""
    global _placeholder
    with _placeholder_lock:
        if _placeholder is None:
            _placeholder = rsa.generate_private_key(public_exponent=RSA_EXPONENT, key_size=RSA_BITS)
        return _placeholder


def _verify(signer: Signer, what: str, tbs: bytes, loaded: tuple[bytes, bytes, object]) -> None:
    """The assembled artefact keeps the TBS bytes and verifies with ``signer.public_key``."""
    loaded_tbs, signature, algorithm = loaded
    try:
        if loaded_tbs != tbs or algorithm != SignatureAlgorithmOID.RSA_WITH_SHA256:
            raise InvalidSignature(f"the {what} changed in assembly")
        signer.public_key.verify(signature, loaded_tbs, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature as exc:
        raise BadSignature(what) from exc


def sign_certificate(builder: x509.CertificateBuilder, signer: Signer) -> x509.Certificate:
    """Sign a certificate with any signer, sha256WithRSAEncryption (R-X509).

    A software key signs in one step. Otherwise a placeholder key makes the builder emit the
    TBSCertificate (its algorithm identifier is the same sha256WithRSAEncryption, so the bytes
    are those the HSM must sign), ``signer.sign`` signs them, and the assembled certificate is
    verified before it is returned.
    """
    if signer.private_key is not None:
        return builder.sign(signer.private_key, hashes.SHA256())
    tbs = builder.sign(_placeholder_key(), hashes.SHA256()).tbs_certificate_bytes
    try:
        cert = x509.load_der_x509_certificate(der.signed(tbs, signer.sign(tbs)))
    except ValueError as exc:
        raise BadSignature("certificate") from exc
    loaded = (cert.tbs_certificate_bytes, cert.signature, cert.signature_algorithm_oid)
    _verify(signer, "certificate", tbs, loaded)
    return cert


def sign_crl(
    builder: x509.CertificateRevocationListBuilder, signer: Signer
) -> x509.CertificateRevocationList:
    """Sign a CRL with any signer, sha256WithRSAEncryption (R-X509), as :func:`sign_certificate`."""
    if signer.private_key is not None:
        return builder.sign(signer.private_key, hashes.SHA256())
    tbs = builder.sign(_placeholder_key(), hashes.SHA256()).tbs_certlist_bytes
    try:
        crl = x509.load_der_x509_crl(der.signed(tbs, signer.sign(tbs)))
    except ValueError as exc:
        raise BadSignature("CRL") from exc
    _verify(
        signer, "CRL", tbs, (crl.tbs_certlist_bytes, crl.signature, crl.signature_algorithm_oid)
    )
    return crl
