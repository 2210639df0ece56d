"""``bareos-fd-emu --fleet N``: many full File daemons in one trio process.

Every member is an ordinary :class:`~daemons.filedaemon.daemon.FileDaemon`
(status, estimate, backup, restore, client-initiated connections) on a
configuration derived from the one base config (:mod:`fleet_config`), served
by :func:`daemons.common.server.serve_group`: its own listener and connection
limits, one signal receiver for the process.  The base configuration is
parsed once per persona in the mix; SIGHUP parses it again and hands each
member its new derived snapshot (a broken file keeps every member's old one).

Cost per member (measured by ``bench/fleet_memory.py``): a listening socket,
an accept task, a FileDaemon object with its job registry, and a Client
resource copy; the parsed configuration, the options and the TLS server
context are shared by all members of a persona.
"""

from __future__ import annotations

import argparse
import functools
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import structlog
import trio

from bareosnet.errors import ConfigError
from bareosnet.proto.hello import Persona
from daemons.common.cli import EXIT_CONFIG, run_daemon
from daemons.common.daemon_cli import load_checked
from daemons.common.server import serve_group
from daemons.filedaemon import fleet_config
from daemons.filedaemon.daemon import FdOptions, FileDaemon
from daemons.filedaemon.fleet_config import FleetMember

log = structlog.get_logger("bareos.fd.fleet")

FDS_PER_MEMBER_RESERVE = 4  # descriptors wanted per member for its connections


def add_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("fleet mode (many File daemons in one process)")
    g.add_argument("--fleet", type=int, default=0, metavar="N",
                   help="host N File daemons named <Name>-00001 ... on consecutive ports "
                        "from FD Port")  # fmt: skip
    g.add_argument("--fleet-addresses", default=None, metavar="FIRST_IP",
                   help="give member i the address FIRST_IP + i - 1 (e.g. 127.0.1.1) and the "
                        "base FD Port, instead of consecutive ports")  # fmt: skip
    g.add_argument("--fleet-personas", default=None, metavar="MIX",
                   help="persona mix in percent, e.g. 26=50,17.2=50 (default: all --persona)")  # fmt: skip
    g.add_argument("--fleet-director-config", default=None, metavar="PATH",
                   help="write the Director's Client resources to "
                        "PATH/bareos-dir.d/client/<member>.conf")  # fmt: skip


@attrs.frozen
class FleetPlan:
    """What the command line asks for, before any config is read."""

    count: int
    mix: tuple[tuple[Persona, int], ...]
    first_address: str | None
    director_config: str | None

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> FleetPlan:
        if args.fleet < 1:
            raise ValueError("--fleet needs at least 1 member")
        if args.fleet_personas:
            mix = fleet_config.parse_persona_mix(args.fleet_personas)
        else:
            mix = ((Persona.parse(args.persona), 100),)
        return cls(args.fleet, mix, args.fleet_addresses, args.fleet_director_config)

    @property
    def personas(self) -> list[Persona]:
        return [p for p, share in self.mix if share > 0]


@attrs.frozen
class FleetBases:
    """The base configuration parsed once per persona, and the members derived from it."""

    configs: dict[Persona, Any]
    members: tuple[FleetMember, ...]

    def member_config(self, member: FleetMember) -> Any:
        return fleet_config.member_config(self.configs[member.persona], member)


def load_bases(args: argparse.Namespace, plan: FleetPlan) -> FleetBases:
    """Parse the base once per persona (defaults such as TLS Require depend on it)."""
    configs: dict[Persona, Any] = {}
    for persona in plan.personas:
        configs[persona] = load_checked(
            argparse.Namespace(**{**vars(args), "persona": persona.value}), "fd"
        )
    first = next(iter(configs.values()))
    own = first.own()
    host, port = fleet_config.base_listen_address(first)
    if plan.first_address is not None:
        host = None  # replaced per member
    try:
        members = fleet_config.plan_fleet(
            own.name, plan.count, host=host, port=port,
            personas=fleet_config.assign_personas(plan.mix, plan.count),
            first_address=plan.first_address,
        )  # fmt: skip
    except ValueError as exc:
        raise ConfigError(str(exc), own.file, own.line) from None
    if plan.director_config is not None:
        for cfg in configs.values():
            fleet_config.director_resource(cfg)  # a ConfigError now, not at the first write
    return FleetBases(configs, tuple(members))


def write_director_config(path: str, bases: FleetBases) -> None:
    directors = {p: fleet_config.director_resource(c) for p, c in bases.configs.items()}
    try:
        written, removed = fleet_config.write_client_resources(
            path, bases.members, directors, len(bases.members)
        )
    except OSError as exc:
        raise ConfigError(f"cannot write the Director's Client resources: {exc}", path) from None
    log.info("fleet.director_config", path=str(fleet_config.client_directory(path)),
             written=written, removed=removed)  # fmt: skip


def raise_fd_limit(needed: int, listeners: int) -> int:
    """Raise RLIMIT_NOFILE to ``needed`` (the hard limit too, if we may); returns the limit.

    Without the right to raise the hard limit (no CAP_SYS_RESOURCE) the soft
    limit goes up to the hard one, and a warning says how many connections
    remain next to the ``listeners``.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= needed:
        return soft
    try:
        new_hard = hard if hard == resource.RLIM_INFINITY or hard >= needed else needed
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, new_hard))
        return needed
    except (ValueError, OSError) as exc:
        reason = str(exc)
    if hard != resource.RLIM_INFINITY and hard > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        soft = hard
    log.warning("fleet.fd_limit", limit=soft, wanted=needed, listeners=listeners,
                connections_left=max(0, soft - listeners - 64),
                reason=f"cannot raise the open-file limit to {needed} ({reason}); raise the "
                       f"hard limit first ('ulimit -Hn {needed}' as root)")  # fmt: skip
    return soft


def rss_kib() -> int:
    """Resident set size of this process now (Linux), in KiB; 0 if unknown."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class Fleet:
    """The members and the shared state a reload replaces."""

    def __init__(
        self,
        bases: FleetBases,
        options: Callable[[Persona], FdOptions],
        loader: Callable[[], FleetBases],
        debug: int = 0,
    ) -> None:
        self.bases = bases
        self._loader = loader
        per_persona = {p: options(p) for p in bases.configs}  # one options object per persona
        self.members: list[FileDaemon] = [
            FileDaemon(bases.member_config(m), per_persona[m.persona],
                       loader=self._member_loader(m), debug=debug)
            for m in bases.members
        ]  # fmt: skip

    def _member_loader(self, member: FleetMember) -> Callable[[], Any]:
        return lambda: self.bases.member_config(member)

    def reload(self) -> None:
        """Parse the base again (once per persona), then give every member its new snapshot."""
        new = self._loader()
        if [m.name for m in new.members] != [m.name for m in self.bases.members]:
            log.warning("reload.listen_unchanged", reason="the fleet's members and addresses "
                        "stay as started; a new FD Port or Name needs a restart")  # fmt: skip
            new = FleetBases(new.configs, self.bases.members)
        self.bases = new
        for member in self.members:
            with structlog.contextvars.bound_contextvars(resource=member.name):
                member.reload()


def run_fleet(args: argparse.Namespace, options: Callable[[argparse.Namespace], FdOptions]) -> int:
    """The ``--fleet`` variant of :func:`daemons.common.daemon_cli.run_emulator`."""
    try:
        plan = FleetPlan.from_args(args)
    except ValueError as exc:
        print(f"bareos-fd-emu: {exc}", file=sys.stderr)
        return EXIT_CONFIG

    def load(a: argparse.Namespace) -> FleetBases:
        return load_bases(a, plan)

    def first_load(a: argparse.Namespace) -> FleetBases:
        # Written at start (with -t too: write the Director's side and exit).
        bases = load(a)
        if plan.director_config is not None:
            write_director_config(plan.director_config, bases)
        return bases

    def member_options(persona: Persona) -> FdOptions:
        return attrs.evolve(options(args), persona=persona)

    async def serve_fleet(bases: FleetBases, a: argparse.Namespace) -> None:
        t0 = time.perf_counter()
        structlog.contextvars.bind_contextvars(daemon=FileDaemon.daemon_name)
        per_member = 2 if bases.members[0].host is None else 1  # any address: IPv4 and IPv6
        listeners = len(bases.members) * per_member
        raise_fd_limit(listeners + len(bases.members) * FDS_PER_MEMBER_RESERVE + 256, listeners)
        fleet = Fleet(bases, member_options, lambda: load(a), debug=a.debug)
        counts = {p.value: sum(1 for m in bases.members if m.persona is p) for p in bases.configs}
        log.info("fleet.starting", members=len(fleet.members), personas=counts,
                 first=bases.members[0].name, last=bases.members[-1].name)  # fmt: skip
        async with trio.open_nursery() as nursery:
            await nursery.start(functools.partial(
                serve_group, fleet.members, fleet.reload, name=FileDaemon.daemon_name))  # fmt: skip
            log.info("fleet.ready", members=len(fleet.members),
                     seconds=round(time.perf_counter() - t0, 3), rss_kib=rss_kib())  # fmt: skip

    return run_daemon(args, first_load, serve_fleet)
