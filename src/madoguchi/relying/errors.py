"""The relying side's errors (DESIGN.md convention 6): one base, a stable English ``code``.

The Japanese texts are in :mod:`madoguchi.relying.messages`; the CLI and the web say them.

====================================  ===================================================
code                                  meaning
====================================  ===================================================
``file_too_large``                    larger than :data:`MAX_DOCUMENT_BYTES`
``unknown_format``                    neither a PDF, nor XML, nor a CMS signature
``broken_pdf``                        a PDF that cannot be read (damaged, truncated)
``broken_xml``                        XML that cannot be parsed (damaged, truncated)
``broken_cms``                        a CMS signature that cannot be parsed
``unsigned_pdf``                      a PDF without a signature
``unsigned_xml``                      XML without a ds:Signature
``content_required``                  a detached CMS signature without its content
``no_trust_anchor``                   no CA certificate to trust
``bad_trust_anchor``                  a --trust file that is not a CA certificate
``no_sign_certificate``               the card has no signing certificate (under 15 …)
``signer_revoked``                    signing refused: the certificate is revoked
``signer_expired``                    signing refused: the certificate has expired
``signer_untrusted``                  signing refused: the certificate does not chain
``signer_wrong_usage``                signing refused: not a signing certificate
``revocation_unavailable``            neither OCSP nor the CRL could be reached
``signing_failed``                    pyHanko or signxml refused for another reason
``pkcs11_module``                     the PKCS#11 module cannot be loaded
``pkcs11_token``                      no token (or more than one) to sign with
``pkcs11_no_key``                     no private key of that label on the token
``pkcs11_wrong_pin``                  CKR_PIN_INCORRECT (``hint``: what the token says)
``pkcs11_pin_locked``                 CKR_PIN_LOCKED
``pkcs11_error``                      any other PKCS#11 failure
====================================  ===================================================
"""

from __future__ import annotations

#: The largest document verified or signed (the CLI and the page): pyHanko and lxml hold
#: the whole file in memory, several times over while they parse and hash it.
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024


class RelyingError(Exception):
    """Base of every error raised by :mod:`madoguchi.relying`."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


class BadDocument(RelyingError):
    """The file cannot be verified or signed at all (exit code 2, HTTP 422)."""


class TrustError(RelyingError):
    """No usable trust anchor."""


class SigningRefused(RelyingError):
    """The signature was not made: the certificate or the token refused."""


class Pkcs11Failure(SigningRefused):
    """A PKCS#11 token's refusal; ``hint`` says what the token told about the PIN."""

    def __init__(self, code: str, detail: str, *, hint: str | None = None) -> None:
        super().__init__(code, detail)
        self.hint = hint
