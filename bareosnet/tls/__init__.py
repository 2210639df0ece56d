"""TLS for bareosnet: contexts from TLS directives, post-handshake checks (see docs/tls.md)."""
