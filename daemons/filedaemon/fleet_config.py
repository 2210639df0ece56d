"""What a File daemon fleet is made of, derived from one File daemon configuration.

``bareos-fd-emu --fleet N`` hosts N emulated File daemons in one process.
Member ``i`` (1-based) is the base configuration with only its own Client
resource changed: ``Name = <Name>-0000i`` and either ``FD Port = <FD Port> +
i - 1`` (port layout, the default) or ``FD Address = <first address> + i - 1``
with the base port (``--fleet-addresses 127.0.1.1``: one loopback address per
member, the layout of a real network).  Everything else — Directors,
passwords, TLS settings, Messages — is the base's, shared, not copied: a
10,000-member fleet holds one parsed configuration per persona plus one small
Client resource per member.

Personas are mixed by percentage (``26=50,17.2=50``), assigned by smooth
weighted round robin so the mix is interleaved (member 1 is 26, member 2 is
17.2, ...) and any prefix of the fleet has about the same mix as the whole.

:func:`client_resources` renders the Director side: one ``Client`` resource per
member with the address, port, password and TLS settings the member accepts.
Nothing here opens a socket or imports trio.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from bareosnet.errors import ConfigError
from bareosnet.proto.hello import Persona

MAX_PORT = 65535
MARKER = "# Written by bareos-fd-emu --fleet"  # first line of every file we write (and may remove)
WILDCARD_HOSTS = (None, "", "0.0.0.0", "::")


@attrs.frozen
class FleetMember:
    """One member: its number (1-based), name, where it listens, and its persona."""

    index: int
    name: str
    host: str | None  # None: every address, as the base's own resource without FD Address
    port: int
    persona: Persona


def parse_persona_mix(text: str) -> tuple[tuple[Persona, int], ...]:
    """``"26=50,17.2=50"`` -> ((V26, 50), (V17_2, 50)); percentages that sum to 100."""
    mix: list[tuple[Persona, int]] = []
    for part in text.split(","):
        persona_text, sep, share_text = part.strip().partition("=")
        if not sep:
            raise ValueError(f"persona mix {text!r}: {part!r} is not PERSONA=PERCENT")
        persona = Persona.parse(persona_text.strip())
        try:
            share = int(share_text)
        except ValueError:
            raise ValueError(
                f"persona mix {text!r}: {share_text!r} is not a whole number"
            ) from None
        if share < 0:
            raise ValueError(f"persona mix {text!r}: negative share for {persona.value}")
        if any(p is persona for p, _ in mix):
            raise ValueError(f"persona mix {text!r}: {persona.value} given twice")
        mix.append((persona, share))
    total = sum(share for _, share in mix)
    if total != 100:
        raise ValueError(f"persona mix {text!r}: the percentages sum to {total}, not 100")
    return tuple(mix)


def assign_personas(mix: Sequence[tuple[Persona, int]], count: int) -> list[Persona]:
    """The persona of each of ``count`` members: interleaved, in the mix's proportions."""
    weights = [(p, w) for p, w in mix if w > 0]
    total = sum(w for _, w in weights)
    current = [0] * len(weights)
    out: list[Persona] = []
    for _ in range(count):
        for i, (_, w) in enumerate(weights):
            current[i] += w
        best = max(range(len(weights)), key=lambda i: current[i])  # first of equals wins
        current[best] -= total
        out.append(weights[best][0])
    return out


def member_name(base: str, index: int, count: int) -> str:
    """``bareos-fd-00001``: five digits, more when the fleet needs them."""
    width = max(5, len(str(count)))
    return f"{base}-{index:0{width}d}"


def plan_fleet(
    base_name: str,
    count: int,
    *,
    host: str | None,
    port: int,
    personas: Sequence[Persona],
    first_address: str | None = None,
) -> list[FleetMember]:
    """Names and listen addresses of ``count`` members (see the module docstring)."""
    if count < 1:
        raise ValueError("a fleet has at least one member")
    if len(personas) != count:
        raise ValueError("one persona per member")
    if first_address is None:
        if port + count - 1 > MAX_PORT:
            raise ValueError(f"{count} members from port {port} need ports up to "
                             f"{port + count - 1} (> {MAX_PORT}): use --fleet-addresses")  # fmt: skip
        return [FleetMember(i, member_name(base_name, i, count), host, port + i - 1, personas[i - 1])
                for i in range(1, count + 1)]  # fmt: skip
    try:
        start = ipaddress.ip_address(first_address)
    except ValueError:
        raise ValueError(f"--fleet-addresses {first_address!r} is not an IP address") from None
    members = []
    for i in range(1, count + 1):
        try:
            address = start + (i - 1)
        except ipaddress.AddressValueError:
            raise ValueError(f"{count} addresses from {start} run past the end of "
                             "the address space") from None  # fmt: skip
        members.append(FleetMember(i, member_name(base_name, i, count), str(address), port,
                                   personas[i - 1]))  # fmt: skip
    last = start + (count - 1)
    if start.is_loopback != last.is_loopback:
        raise ValueError(f"--fleet-addresses: {start} .. {last} leaves the loopback network")
    return members


def member_config(base: Any, member: FleetMember) -> Any:
    """The base configuration with the member's own Client resource (name, address, port)."""
    own = base.own()
    own.tls  # noqa: B018 - build the TLS view once so every member shares it
    values: dict[str, Any] = {"Name": member.name, "Port": member.port}
    if member.host is not None:
        values["Address"] = member.host
    mine = own.replaced(values, removed=("Addresses",))
    resources = tuple(mine if r is own else r for r in base.resources)
    return attrs.evolve(base, resources=resources)


def base_listen_address(base: Any) -> tuple[str | None, int]:
    """The base's first listen address: members start from it."""
    from daemons.common.daemon_base import config_port

    host, port = base.own().listen_addresses()[0]
    return (None if host in WILDCARD_HOSTS else str(host)), config_port(port)


def director_resource(base: Any) -> Any:
    """The Director whose Client resources we write: the first that is not a Monitor."""
    directors = [d for d in base.all("Director") if not d.get("Monitor")]
    if not directors:
        own = base.own()
        raise ConfigError("the fleet's Client resources need a Director resource that is not "
                          "a Monitor", own.file, own.line)  # fmt: skip
    return directors[0]


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def client_resource(member: FleetMember, director: Any, count: int, *, address: str) -> str:
    """The Director's ``Client`` resource for one member, in Bareos syntax.

    The password is written in its stored form (``[md5]<hex>``): Bareos keeps
    only that, and it is all a Director needs for CRAM-MD5 and TLS-PSK.
    """
    password = director.password
    if password is None:  # the loader requires one; keep the type checker honest
        raise ConfigError(f"Director {director.name!r} has no Password", director.file,
                          director.line)  # fmt: skip
    tls = director.tls
    lines = [
        f"{MARKER} (member {member.index} of {count}, persona {member.persona.value})",
        "Client {",
        f'  Name = "{member.name}"',
        f"  Address = {address}",
        f"  Port = {member.port}",
        f'  Password = "[md5]{password.md5hex}"',
    ]
    if not member.persona.has_tls_psk:
        # A 17.2 File daemon has no TLS-PSK: the Director must be allowed to fall back to
        # cleartext.  TLS Enable stays the Director's default, so the first contact probes
        # TLS (dropped after 5 s) and then remembers cleartext, as with a real old client.
        lines.append("  TLS Require = no")
    else:
        lines.append(f"  TLS Enable = {_yes(tls.enable)}")
        lines.append(f"  TLS Require = {_yes(tls.require)}")
    if tls.certificate or tls.ca_certificate_file or tls.ca_certificate_dir:
        lines.append("  # the File daemon is set up for TLS certificates: add this Director's")
        lines.append("  # TLS Certificate, TLS Key and TLS CA Certificate File here")
    lines.append("}")
    return "\n".join(lines) + "\n"


def client_directory(path: str | os.PathLike[str]) -> Path:
    """``PATH/bareos-dir.d/client`` (or ``PATH/client`` when PATH is the ``bareos-dir.d`` itself)."""
    root = Path(path)
    if root.name == "bareos-dir.d":
        return root / "client"
    return root / "bareos-dir.d" / "client"


def write_client_resources(
    path: str | os.PathLike[str],
    members: Iterable[FleetMember],
    directors: Mapping[Persona, Any],
    count: int,
    addresses: Mapping[Persona, str] | None = None,
) -> tuple[int, int]:
    """Write one ``<member>.conf`` per member; returns (written, stale files removed).

    A file we wrote for an earlier, bigger fleet and that names no current
    member is removed (only files starting with our marker line are touched).
    ``directors`` maps each persona to the Director resource of that
    persona's base configuration; ``addresses`` the address a Director should
    use for members that listen on every address (default 127.0.0.1).
    """
    target = client_directory(path)
    target.mkdir(parents=True, exist_ok=True)
    wanted: set[str] = set()
    written = 0
    for m in members:
        address = m.host if m.host not in WILDCARD_HOSTS else None
        if address is None:
            address = (addresses or {}).get(m.persona, "127.0.0.1")
        text = client_resource(m, directors[m.persona], count, address=address)
        file = target / f"{m.name}.conf"
        wanted.add(file.name)
        tmp = file.with_suffix(".conf.tmp")
        # The password's stored form is a key: readable by the owner and group only.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640)
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, file)
        written += 1
    removed = 0
    for old in target.glob("*.conf"):
        if old.name in wanted:
            continue
        try:
            with old.open() as f:
                first = f.readline()
        except OSError:
            continue
        if first.startswith(MARKER):
            old.unlink()
            removed += 1
    return written, removed
