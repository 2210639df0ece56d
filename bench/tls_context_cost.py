"""What a per-connection SSLContext costs, next to the handshake it serves.

ServerTlsSession builds one context per accepted connection (as Bareos builds
one SSL_CTX per connection) so the PSK callback can record which identity
*this* connection used.  This prints the cost of that choice.

Run: .venv/bin/python bench/tls_context_cost.py
"""

from __future__ import annotations

import os
import ssl
import tempfile
import time
from collections.abc import Callable

import trustme

from bareosnet.tls.contexts import client_context, server_context
from bareosnet.tls.psk import PskCredentials
from bareosnet.tls.session import ServerTlsSession
from bareosnet.tls.settings import TlsSettings

IDENTITY = "R_CONSOLE\x1e*UserAgent*"
KEY = b"5ebe2294ecd0e0f08eab7690d2a6ee69"
SYSTEM_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"


def per_call_us(fn: Callable[[], object], seconds: float = 0.5) -> float:
    fn()  # warm-up (first use also proves the ctypes binding once)
    n, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        fn()
        n += 1
    return elapsed / n * 1e6


def memory_handshake(client: ssl.SSLContext, server: ssl.SSLContext) -> None:
    c_in, c_out, s_in, s_out = (ssl.MemoryBIO() for _ in range(4))
    c = client.wrap_bio(c_in, c_out, server_side=False)
    s = server.wrap_bio(s_in, s_out, server_side=True)
    c_done = s_done = False
    while not (c_done and s_done):
        if not c_done:
            try:
                c.do_handshake()
                c_done = True
            except ssl.SSLWantReadError:
                pass
        s_in.write(c_out.read())
        if not s_done:
            try:
                s.do_handshake()
                s_done = True
            except ssl.SSLWantReadError:
                pass
        c_in.write(s_out.read())


def main() -> None:
    tmp = tempfile.mkdtemp()
    ca = trustme.CA()
    leaf = ca.issue_cert("bareos-dir.example")
    cert, key, ca_file = (os.path.join(tmp, n) for n in ("c.pem", "k.pem", "ca.pem"))
    leaf.cert_chain_pems[0].write_to_path(cert)
    leaf.private_key_pem.write_to_path(key)
    ca.cert_pem.write_to_path(ca_file)

    psk_only = TlsSettings()
    with_cert = TlsSettings(certificate=cert, key=key, ca_certificate_file=ca_file)
    lookup = {IDENTITY: KEY}.get
    creds = PskCredentials(IDENTITY, KEY)

    rows: list[tuple[str, float]] = [
        ("server_context, PSK only", per_call_us(lambda: server_context(psk_only, lookup))),
        ("ServerTlsSession, PSK only", per_call_us(lambda: ServerTlsSession(psk_only, lookup))),
        (
            "ServerTlsSession, cert + key + 1-cert CA file",
            per_call_us(lambda: ServerTlsSession(with_cert, lookup)),
        ),
        (
            "ServerTlsSession, PSK + TLS Cipher Suites (ctypes)",
            per_call_us(
                lambda: ServerTlsSession(
                    TlsSettings(cipher_suites="TLS_CHACHA20_POLY1305_SHA256"), lookup
                )
            ),
        ),
        ("client_context, PSK", per_call_us(lambda: client_context(psk_only, creds))),
    ]
    if os.path.exists(SYSTEM_BUNDLE):
        big = TlsSettings(certificate=cert, key=key, ca_certificate_file=SYSTEM_BUNDLE)
        rows.append(
            (
                "ServerTlsSession, cert + system CA bundle",
                per_call_us(lambda: ServerTlsSession(big, lookup), seconds=1.0),
            )
        )
    shared_server = server_context(psk_only, lookup)
    shared_client = client_context(psk_only, creds)
    rows.append(
        (
            "PSK TLS 1.3 handshake, memory BIOs (for scale)",
            per_call_us(lambda: memory_handshake(shared_client, shared_server)),
        )
    )
    cert_server = server_context(with_cert, None)
    plain_client = client_context(TlsSettings(), None)
    rows.append(
        (
            "certificate TLS 1.3 handshake, memory BIOs (for scale)",
            per_call_us(lambda: memory_handshake(plain_client, cert_server)),
        )
    )

    print(f"OpenSSL: {ssl.OPENSSL_VERSION}")
    width = max(len(name) for name, _ in rows)
    for name, us in rows:
        print(f"{name:<{width}}  {us:9.1f} us")


if __name__ == "__main__":
    main()
