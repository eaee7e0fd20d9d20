"""The HTTP service: OCSP, CRLs and CA certificates now; the counter's pages later."""
