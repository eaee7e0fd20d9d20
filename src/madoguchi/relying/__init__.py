"""The relying party's side: signing with the card, and verifying what was signed with it.

What J-LIS's client software (利用者クライアントソフト) and a service's verifier do, on the
well-kept libraries of the field: pyHanko (PAdES), signxml (XMLDSig), pyhanko-certvalidator
(paths, OCSP and CRLs in hard-fail mode).

This package may use :mod:`madoguchi.card`, :mod:`madoguchi.pki` and :mod:`madoguchi.rules`
(DESIGN.md layers; it sits beside :mod:`madoguchi.services`, and the web and the CLI use it).
Its modules import pyHanko, signxml and lxml at the top, so the CLI imports them only inside
the commands that need them. Modules:

* :mod:`~madoguchi.relying.keys` — the card's signing key: a JPKI card over a PC/SC reader or
  from the vault, or a PKCS#11 token (OpenSC's module);
* :mod:`~madoguchi.relying.signing` — PAdES (pyHanko), enveloped XMLDSig (signxml), detached
  CMS;
* :mod:`~madoguchi.relying.trust` — trust anchors and the hard-fail validation contexts;
* :mod:`~madoguchi.relying.verdict` — what a verification found, for people and for scripts;
* :mod:`~madoguchi.relying.verify` (and ``verify_pdf``, ``verify_xml``, ``verify_cms``) —
  verification of a signed PDF, an XML signature, a detached CMS signature;
* :mod:`~madoguchi.relying.sandbox` — pcscd with virtual readers for the relying parties'
  sandbox (``madoguchi sandbox``);
* :mod:`~madoguchi.relying.errors`, :mod:`~madoguchi.relying.messages` — errors and their
  Japanese texts.
"""
