"""Who may connect to the Director, with which key and TLS policy, and what they hear.

* Connection 1, the default console ``*UserAgent*``: the Director's own
  password and TLS policy.
* Connections 2 and 9, a named console or a tray monitor: its Console
  resource (password, TLS policy, ACLs).  Above ``Maximum Console
  Connections`` a named console is refused right after its Hello (nothing is
  sent, the connection is closed); the default console is only logged, as
  Bareos does.
* Connection 4, a client-initiated File daemon: its Client resource must
  exist and allow ``Connection From Client To Director``; otherwise
  ``1999 You are not authorized.`` and Bareos's delay.

The PSK table offers exactly these keys: ``R_CONSOLE`` + ``*UserAgent*``,
``R_CONSOLE`` + console name, ``R_CLIENT`` + client name (only for clients
that may call in).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs
import structlog

from bareosnet.proto.connections import DIR_NOT_AUTHORIZED
from bareosnet.proto.connections import spec as connection_spec
from bareosnet.proto.framing import encode_packet, encode_signal
from bareosnet.proto.handshake import AcceptPlan, Refusal
from bareosnet.proto.hello import HelloInfo, HelloKind, Persona
from bareosnet.proto.names import RS, USER_AGENT, ResourceType
from bareosnet.proto.policy import RELEASE_18_2
from bareosnet.proto.signals import Signal
from daemons.common import texts

if TYPE_CHECKING:
    from daemons.director.interfaces import ConsoleLease
    from daemons.director.runtime import DirectorRuntime

log = structlog.get_logger("bareosnet.director.access")

# Bareos formats the console's "OK: ..." text into a 100-byte buffer.
_OK_TEXT_LIMIT = 99


@attrs.define
class AcceptContext:
    """What the resolver learned about one incoming connection."""

    peer: str
    hello: HelloInfo | None = None
    lease: ConsoleLease | None = None
    console_res: Any | None = None
    client_res: Any | None = None


def key_table(rt: DirectorRuntime) -> Any:
    def keys(rtype: ResourceType, name: str) -> bytes | None:
        if rtype is ResourceType.CONSOLE:
            if name == USER_AGENT:
                return rt.settings.password_key
            console = rt.console_resource(name)
            return console.password.key if console is not None and console.password else None
        if rtype is ResourceType.CLIENT:
            client = rt.client(name)
            if client is not None and client.get("ConnectionFromClientToDirector"):
                return client.password.key if client.password else None
        return None

    return keys


def _ok_text(rt: DirectorRuntime) -> str:
    p = rt.persona
    text = f"OK: {rt.settings.name} Version: {texts.version(p)} ({texts.release_date(p)})"
    return text[:_OK_TEXT_LIMIT]


def console_greeting(rt: DirectorRuntime, hello: HelloInfo, logged_in_as: str | None) -> Any:
    """Success packets for a console, given the encryption line (`` Encryption: ...``)."""
    old_console = hello.console_version < RELEASE_18_2 or rt.persona is Persona.V17_2

    def success(encryption: str) -> list[bytes]:
        if rt.persona is Persona.V17_2:  # a 17.2 Director knew no cipher text here
            return [f"1000 {_ok_text(rt)}\n".encode()]
        if old_console:
            return [f"1000 {_ok_text(rt)} -- {encryption}\n".encode()]
        who = (
            f"logged in as: {logged_in_as}"
            if logged_in_as
            else "connected using the default console"
        )
        return [
            f"1000{RS}{_ok_text(rt)}".encode(),
            f"1002{RS}{texts.SERVICES_MESSAGE}\nYou are {who}".encode(),
        ]

    return success


def make_resolver(rt: DirectorRuntime, ctx: AcceptContext) -> Any:
    def resolve(hello: HelloInfo) -> AcceptPlan | Refusal:
        ctx.hello = hello
        if hello.kind is HelloKind.CONSOLE:
            return _console(rt, ctx, hello)
        if hello.kind is HelloKind.CLIENT:
            return _client(rt, ctx, hello)
        return Refusal(f"a Director does not accept {hello.kind.value!r} connections",
                       "unknown-name")  # fmt: skip

    return resolve


def _console(rt: DirectorRuntime, ctx: AcceptContext, hello: HelloInfo) -> AcceptPlan | Refusal:
    ctx.lease = rt.consoles.acquire(ctx.peer)
    ctx.lease.name = hello.name
    leases = len(rt.consoles)
    limit = rt.settings.max_console_connections
    old_console = hello.console_version < RELEASE_18_2
    if hello.name == USER_AGENT:
        if leases > limit:
            log.info("console.limit_exceeded", console=hello.name, current=leases, maximum=limit,
                     action="allowed (default console)")  # fmt: skip
        spec = connection_spec("1")
        if old_console:
            spec = attrs.evolve(spec, failure_line=DIR_NOT_AUTHORIZED)
        return AcceptPlan(spec=spec, key=rt.settings.password_key, policy=rt.settings.tls.policy,
                          own_name=rt.settings.name,
                          success=console_greeting(rt, hello, None))  # fmt: skip
    if leases > limit:
        log.warning("console.limit_exceeded", console=hello.name, current=leases, maximum=limit,
                    action="refused")  # fmt: skip
        return Refusal(f"too many console connections ({leases} > {limit})", "too-many-consoles",
                       send=b"", delay=False)  # fmt: skip
    console = rt.console_resource(hello.name)
    if console is None or console.password is None:
        refusal_bytes = (
            encode_packet(DIR_NOT_AUTHORIZED) if old_console else encode_signal(Signal.TERMINATE)
        )
        return Refusal(f"no Console resource named {hello.name!r}", "unknown-name",
                       send=refusal_bytes, delay=False)  # fmt: skip
    if console.get("UsePamAuthentication"):
        return Refusal(f"console {hello.name!r} needs PAM, which this emulator does not offer",
                       "pam", send=b"", delay=False)  # fmt: skip
    ctx.console_res = console
    spec = connection_spec("2")
    if old_console:
        spec = attrs.evolve(spec, failure_line=DIR_NOT_AUTHORIZED)
    return AcceptPlan(spec=spec, key=console.password.key, policy=console.tls.policy,
                      own_name=rt.settings.name,
                      success=console_greeting(rt, hello, console.name))  # fmt: skip


def _client(rt: DirectorRuntime, ctx: AcceptContext, hello: HelloInfo) -> AcceptPlan | Refusal:
    client = rt.client(hello.name)
    not_authorized = encode_packet(DIR_NOT_AUTHORIZED)
    if client is None:
        return Refusal(f"no Client resource named {hello.name!r}", "unknown-name",
                       send=not_authorized)  # fmt: skip
    if not client.get("ConnectionFromClientToDirector"):
        return Refusal(f"client {hello.name!r} may not connect to the Director "
                       "(Connection From Client To Director = no)", "not-allowed",
                       send=not_authorized)  # fmt: skip
    ctx.client_res = client
    p = rt.persona
    line = f"1000 OK: {rt.settings.name} Version: {texts.version(p)} ({texts.release_date(p)})\n"
    return AcceptPlan(spec=connection_spec("4"), key=client.password.key,
                      policy=client.tls.policy, own_name=rt.settings.name,
                      success=lambda _encryption: [line.encode()])  # fmt: skip
