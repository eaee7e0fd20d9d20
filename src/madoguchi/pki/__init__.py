"""The certificate authority: X.509 profiles, issuance, CRLs and OCSP (SPEC.md §8)."""
