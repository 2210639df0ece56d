"""A blocking login client that behaves as real Bareos peers do on the wire.

Real Directors, consoles and python-bareos open a plain TCP socket (no
TCP_NODELAY), optionally start TLS-PSK at once, and then write each Bareos
packet as one ``send``.  A server that answers late because of Nagle's
algorithm and delayed ACKs is caught by exactly this kind of client, so the
stall test and the login benchmarks share it.  No trio here: it is the peer.
"""

from __future__ import annotations

import socket
import ssl
import struct
import time

import attrs

from bareosnet.proto.cram import (
    new_challenge,
    parse_challenge,
    password_key,
    response_packet,
    verify_response,
)
from bareosnet.proto.names import bash_spaces, psk_identity, qualified_cram_name


@attrs.frozen
class LoginTarget:
    """Who we are and whom we log in to."""

    host: str
    port: int
    hello: str  # the full Hello line, e.g. 'Hello Director bareos-dir calling Version="26.0.0"\n'
    own_type: str  # R_DIRECTOR, R_CONSOLE, ...
    own_name: str
    password: str
    tls: bool = True  # TLS-PSK first, as 18.2+ peers do
    tls_max: ssl.TLSVersion = ssl.TLSVersion.TLSv1_3
    nodelay: bool = False  # real peers leave Nagle on
    timeout: float = 10.0
    context: ssl.SSLContext | None = None  # a ready client context (certificate TLS) instead of PSK


@attrs.frozen
class LoginResult:
    ok: bool
    final_line: str
    seconds: float
    tls_version: str | None
    cipher: str | None


def director_to_fd(host: str, port: int, director: str, password: str, **kw: object) -> LoginTarget:
    hello = f'Hello Director {bash_spaces(director)} calling Version="26.0.0"\n'
    return LoginTarget(host, port, hello, "R_DIRECTOR", director, password, **kw)  # type: ignore[arg-type]


def console_to_dir(host: str, port: int, console: str, password: str, **kw: object) -> LoginTarget:
    hello = f'Hello {bash_spaces(console)} calling version 26.0.0 Version="26.0.0"\n'
    return LoginTarget(host, port, hello, "R_CONSOLE", console, password, **kw)  # type: ignore[arg-type]


class _Conn:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = b""

    def send(self, payload: bytes) -> None:
        self.sock.sendall(struct.pack(">i", len(payload)) + payload)  # one write per packet

    def _need(self, n: int) -> bytes:
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("peer closed the connection")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def recv(self) -> bytes:
        while True:
            (n,) = struct.unpack(">i", self._need(4))
            if n < 0:
                if n in (-10, -11):  # heartbeat signals are skipped, as real peers do
                    continue
                return b""
            return self._need(n)


def login(target: LoginTarget) -> LoginResult:
    """Hello + CRAM-MD5 both ways, then close; raises on a protocol failure."""
    t0 = time.perf_counter()
    key = password_key(target.password)
    raw = socket.create_connection((target.host, target.port), timeout=target.timeout)
    if target.nodelay:
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock: socket.socket = raw
    version = cipher = None
    try:
        if target.tls and target.context is not None:
            sock = target.context.wrap_socket(raw, server_hostname=target.host)
            version = sock.version()
            c = sock.cipher()
            cipher = c[0] if c else None
        elif target.tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            ctx.maximum_version = target.tls_max
            ident = psk_identity(target.own_type, target.own_name)
            psk = key  # Bareos's PSK is the md5-hex of the password, as bytes
            ctx.set_psk_client_callback(lambda hint: (ident, psk))
            if target.tls_max < ssl.TLSVersion.TLSv1_3:
                ctx.set_ciphers("PSK")
            sock = ctx.wrap_socket(raw, server_hostname=None)
            version = sock.version()
            c = sock.cipher()
            cipher = c[0] if c else None
        conn = _Conn(sock)
        conn.send(target.hello.encode())
        challenge = parse_challenge(conn.recv())
        conn.send(response_packet(key, challenge))
        verdict = conn.recv()
        if not verdict.startswith(b"1000 OK auth"):
            return LoginResult(False, verdict.decode(errors="replace"), time.perf_counter() - t0, version, cipher)
        own = new_challenge(qualified_cram_name(target.own_type, target.own_name), 0)
        conn.send(own.message())
        ok = verify_response(key, own, conn.recv())
        conn.send(b"1000 OK auth\n" if ok else b"1999 Authorization failed.\n")
        final = conn.recv().decode(errors="replace") if ok else ""
        return LoginResult(ok, final, time.perf_counter() - t0, version, cipher)
    finally:
        sock.close()
