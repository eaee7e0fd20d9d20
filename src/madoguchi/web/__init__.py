"""The HTTP service: the counter's staff pages, the public pages, the JSON API, and OCSP,
CRLs and CA certificates for relying parties (web/app.py builds it)."""
