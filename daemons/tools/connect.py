"""``bareos-emu connect``: play any connector of the reference table and explain.

What an administrator runs when "the director can't reach the client": it
opens the connection exactly as the real connector would (TLS first, then the
cleartext handshake if allowed — the Director's probing sequence), and prints
the mode that was tried and the one that worked, TLS version, cipher, PSK
identity, the peer's greeting, or the failure with its likely cause.
"""

from __future__ import annotations

import json
from typing import Any

import attrs
import trio

from bareosnet.errors import BareosError, ConfigError
from bareosnet.net.handshake import ConnectionInfo
from bareosnet.proto.connections import spec as connection_spec
from bareosnet.proto.cram import password_key
from bareosnet.proto.hello import Persona
from bareosnet.proto.names import USER_AGENT, psk_identity
from bareosnet.tls.settings import TlsSettings
from daemons.common.auth import open_connection

# --as ROLE -> (row, default port, what the peer is)
ROLES: dict[str, tuple[str, int, str]] = {
    "console": ("1", 9101, "Director"),
    "named-console": ("2", 9101, "Director"),
    "director-fd": ("3", 9102, "File daemon"),
    "fd-director": ("4", 9101, "Director"),
    "director-sd": ("5", 9103, "Storage daemon"),
    "fd-sd": ("6", 9103, "Storage daemon"),
    "sd-fd": ("7", 9102, "File daemon"),
    "sd-sd": ("8", 9103, "Storage daemon"),
    "tray-director": ("9", 9101, "Director"),
    "tray-fd": ("10", 9102, "File daemon"),
    "tray-sd": ("11", 9103, "Storage daemon"),
}

HINTS = {
    "wrong-password": "the password differs: compare Password on both sides (the peer's resource "
    "for our name, and ours for the peer)",
    "psk-mismatch": "TLS-PSK failed: the password differs, or the peer has no resource with our "
    "name (PSK cannot tell these apart; try --tls cleartext against a peer that allows it)",
    "unknown-identity": "the peer has no resource with our name (check Name on both sides)",
    "unknown-name": "the peer has no resource with our name (check Name on both sides)",
    "peer-refused": "the peer closed right after our Hello: unknown name, or it requires TLS and "
    "we spoke cleartext (TLS Enable/Require on its resource for us)",
    "tls-required": "the peer requires TLS for us but we spoke cleartext",
    "policy-deny": "TLS policy mismatch: one side requires TLS (TLS Require = yes), the other has "
    "TLS Enable = no",
    "untrusted": "certificate not trusted: check TLS CA Certificate File/Dir on our side",
    "cn-not-allowed": "certificate name not allowed: check TLS Allowed CN / the Address",
    "revoked": "certificate revoked (TLS Certificate Revocation List)",
    "expired": "certificate expired or not yet valid",
    "not-psk": "a certificate session was negotiated where PSK was required",
    "peer-closed": "the peer closed the connection during the handshake (an old pre-18.2 daemon "
    "closes on a TLS ClientHello; try --tls cleartext)",
    "timeout": "no answer in time: firewall, wrong port, or a stalled peer",
    "connect": "TCP connect failed: wrong address/port or the daemon is not running",
}


@attrs.frozen
class Attempt:
    mode: str  # "tls-first" / "cleartext"
    ok: bool
    cause: str | None = None
    error: str | None = None


@attrs.define
class Target:
    role: str
    host: str
    port: int
    name: str
    own_name: str
    key: bytes = attrs.field(repr=False)
    tls: TlsSettings
    persona: Persona = Persona.V26


def _cause(exc: BaseException) -> str:
    cause = getattr(exc, "cause", None)
    if cause:
        return str(cause)
    name = type(exc).__name__
    if "Timeout" in name:
        return "timeout"
    if name == "PeerClosedError" and "cannot connect" in str(exc):
        return "connect"
    return "peer-closed" if name == "PeerClosedError" else "handshake"


async def run(target: Target, tls_mode: str, timeout: float) -> tuple[list[Attempt], ConnectionInfo | None]:
    """Try the modes a real connector would; return every attempt and the result."""
    row = ROLES[target.role][0]
    if tls_mode == "tls":
        modes = [True]
    elif tls_mode == "cleartext":
        modes = [False]
    else:  # auto: TLS first if enabled; fall back to cleartext unless TLS Require
        modes = [True] if target.tls.enable else [False]
        if target.tls.enable and not target.tls.require:
            modes.append(False)
    attempts: list[Attempt] = []
    for tls_first in modes:
        label = "tls-first" if tls_first else "cleartext"
        try:
            with trio.fail_after(timeout + 5):
                stream, info = await open_connection(
                    row, host=target.host, port=target.port, hello_name=target.name,
                    own_name=target.own_name, key=target.key, tls=target.tls,
                    persona=target.persona, tls_first=tls_first, timeout=timeout,
                    connect_timeout=timeout,
                )  # fmt: skip
        except (BareosError, trio.TooSlowError) as exc:
            attempts.append(Attempt(label, False, _cause(exc), str(exc)))
            if _cause(exc) == "connect":
                break
            continue
        attempts.append(Attempt(label, True))
        await stream.aclose(terminate=True)
        return attempts, info
    return attempts, None


def report(target: Target, attempts: list[Attempt], info: ConnectionInfo | None) -> dict[str, Any]:
    row = ROLES[target.role][0]
    spec = connection_spec(row)
    out: dict[str, Any] = {
        "connection": row,
        "title": spec.title,
        "peer": f"{target.host}:{target.port}",
        "name": target.name,
        "identity": psk_identity(spec.psk_type, target.name).replace("\x1e", "<RS>"),
        "attempts": [attrs.asdict(a) for a in attempts],
        "ok": info is not None,
    }
    if info is not None:
        out.update(
            mode=info.mode.value,
            mode_text=info.mode_text,
            tls_version=info.tls_version,
            cipher=info.cipher,
            psk_used=info.psk_used,
            psk_identity=(info.psk_identity or "").replace("\x1e", "<RS>") or None,
            peer_name=info.peer_name,
            peer_cn=info.peer_cn,
            greeting=[g.replace("\x1e", " ").strip() for g in (info.result.greeting if info.result else ())],
        )
    else:
        last = attempts[-1] if attempts else None
        out.update(cause=last.cause if last else None, error=last.error if last else None,
                   hint=HINTS.get(last.cause or "", None) if last else None)  # fmt: skip
    return out


def render_text(rep: dict[str, Any]) -> str:
    lines = [f"Connecting to {rep['peer']} as {rep['name']!r} (connection {rep['connection']}: "
             f"{rep['title']})"]  # fmt: skip
    for i, a in enumerate(rep["attempts"], 1):
        what = "TLS first" if a["mode"] == "tls-first" else "cleartext handshake"
        lines.append(f"  try {i}: {what}: " + ("ok" if a["ok"] else f"failed ({a['cause']}): {a['error']}"))
    if rep["ok"]:
        tls = (f"{rep['tls_version']} {rep['cipher']}" + (" (PSK)" if rep["psk_used"] else " (certificate)")
               if rep["tls_version"] else "none (cleartext)")  # fmt: skip
        lines += [
            "Result:    OK",
            f"Mode:      {rep['mode_text']} ({rep['mode']})",
            f"TLS:       {tls}",
            f"Identity:  {rep['psk_identity'] or '-'}",
            f"Peer:      {rep['peer_name']}" + (f" (certificate CN {rep['peer_cn']})" if rep["peer_cn"] else ""),
        ]
        lines += [f"Greeting:  {g}" for g in rep["greeting"]]
    else:
        lines += [
            "Result:    FAILED",
            f"Cause:     {rep['cause']}",
            f"Detail:    {rep['error']}",
            f"Hint:      {rep['hint'] or '-'}",
        ]
    return "\n".join(lines)


def target_from_args(args: Any) -> Target:
    role = args.role
    row, default_port, _ = ROLES[role]
    host, _, port_text = (args.address or "").partition(":")
    tls = TlsSettings(
        enable=args.tls_enable,
        require=args.tls_require,
        certificate=args.tls_cert,
        key=args.tls_key,
        ca_certificate_file=args.tls_ca,
        ca_certificate_dir=args.tls_ca_dir,
        verify_peer=args.tls_verify_peer,
        allowed_cns=tuple(args.tls_allowed_cn),
    )
    name = args.name
    password = args.password
    if args.config:
        host, port_text, name, password, tls = _from_config(args, role, host, port_text, name, tls)
    if role == "console":
        name = USER_AGENT
    if not host:
        raise ConfigError("no address: give HOST[:PORT] or -c CONFIG")
    if name is None or password is None:
        raise ConfigError("give --name and --password (or -c CONFIG)")
    port = int(port_text) if port_text else default_port
    if row in ("6", "7", "8"):
        key = password.encode() if isinstance(password, str) else password  # the session key as is
    else:
        key = password if isinstance(password, bytes) else password_key(password)
    own_name = args.own_name or (name if role != "console" else USER_AGENT)
    return Target(role, host, port, name, own_name, key, tls, Persona.parse(args.persona))


# role -> (config of which program, resource type describing the peer)
_CONFIG_SOURCES = {
    "console": ("console", "director"),
    "named-console": ("console", "director"),
    "tray-director": ("console", "director"),
    "director-fd": ("dir", "client"),
    "director-sd": ("dir", "storage"),
    "fd-director": ("fd", "director"),
}


def _from_config(args: Any, role: str, host: str, port_text: str, name: str | None, tls: TlsSettings):  # type: ignore[no-untyped-def]
    """Fill address, name, key and TLS from a Bareos config tree."""
    from bareosnet.config import load_config  # only needed with -c

    if role not in _CONFIG_SOURCES:
        raise ConfigError(f"-c is not supported with --as {role}")
    program, kind = _CONFIG_SOURCES[role]
    cfg = load_config(args.config, daemon=program, persona=args.persona)
    candidates = [r for r in cfg.all(kind) if not args.resource or r.name == args.resource]
    if not candidates:
        raise ConfigError(f"no {kind} resource {args.resource or ''!r} in {args.config}")
    peer = candidates[0]
    host = host or str(peer["Address"])
    port_text = port_text or str(peer["Port"])
    auth = peer  # the resource whose password and TLS we use
    if role == "named-console":
        consoles = cfg.all("console")
        if not consoles:
            raise ConfigError(f"no Console resource in {args.config}")
        auth = consoles[0]
        name = name or auth.name
    elif program != "console":
        name = name or cfg.own().name
    if auth.password is None:
        raise ConfigError(f"{auth.type} {auth.name!r} has no Password", auth.file, auth.line)
    return host, port_text, name, auth.password.key, auth.tls


def main_connect(args: Any) -> int:
    try:
        target = target_from_args(args)
    except (ConfigError, ValueError) as exc:
        print(f"bareos-emu connect: {exc}")
        return 2
    attempts, info = trio.run(run, target, args.tls, args.timeout)
    rep = report(target, attempts, info)
    print(json.dumps(rep, indent=2) if args.json else render_text(rep))
    return 0 if rep["ok"] else 1
