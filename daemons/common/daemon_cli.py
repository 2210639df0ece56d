"""The command line of the File and Storage daemon emulators, built once.

On top of :func:`daemons.common.cli.build_parser` (the flags all three
emulators take) come the timeouts of a daemon that accepts Director
sessions, the :class:`~daemons.common.daemon_base.DaemonOptions` fields they
fill, and the glue that loads a checked configuration and serves one
:class:`~daemons.common.daemon_base.ListeningDaemon` until it is stopped.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

import structlog

from bareosnet.proto.hello import Persona
from daemons.common.cli import build_parser, run_daemon
from daemons.common.daemon_base import (
    DEFAULT_IDLE_TIMEOUT,
    DaemonOptions,
    ListeningDaemon,
    check_config,
    config_port,
)
from daemons.common.server import serve


def daemon_parser(prog: str, description: str, default_config: str) -> argparse.ArgumentParser:
    """The shared flags plus ``--idle-timeout``, ``--handshake-timeout``, ``--peek-timeout``."""
    p = build_parser(prog, description, default_config)
    p.add_argument("--idle-timeout", type=float, default=DEFAULT_IDLE_TIMEOUT, metavar="SECONDS",
                   help="close a Director session after this long without a command "
                        f"(default {DEFAULT_IDLE_TIMEOUT:g}; 0 = never)")  # fmt: skip
    p.add_argument("--handshake-timeout", type=float, default=60.0, metavar="SECONDS",
                   help="limit for each receive during a handshake (default 60)")  # fmt: skip
    p.add_argument("--peek-timeout", type=float, default=10.0, metavar="SECONDS",
                   help="wait this long for a new connection's first bytes (default 10)")  # fmt: skip
    return p


def daemon_options(args: argparse.Namespace) -> dict[str, Any]:
    """The :class:`DaemonOptions` fields from the flags, as keyword arguments.

    Without ``--auth-failure-delay`` the options class keeps its own default
    (the File daemon waits longer than the Storage daemon).
    """
    fields: dict[str, Any] = {
        "persona": Persona.parse(args.persona),
        "idle_timeout": args.idle_timeout,
        "handshake_timeout": args.handshake_timeout,
        "peek_timeout": args.peek_timeout,
    }
    if args.auth_failure_delay is not None:
        fields["failure_delay"] = args.auth_failure_delay
    return fields


def load_checked(args: argparse.Namespace, kind: str) -> Any:
    """Load the configuration of daemon ``kind`` ("fd", "sd") and check what the daemon needs."""
    from bareosnet.config import load_config

    cfg = load_config(args.config, daemon=kind, persona=args.persona)
    check_config(cfg)
    return cfg


def run_emulator[O: DaemonOptions](
    args: argparse.Namespace,
    kind: str,
    daemon_class: type[ListeningDaemon[O]],
    options: Callable[[argparse.Namespace], O],
) -> int:
    """Load (and maybe only check) the config, then serve one daemon until stopped."""

    def load(a: argparse.Namespace) -> Any:
        return load_checked(a, kind)

    async def serve_daemon(cfg: Any, a: argparse.Namespace) -> None:
        daemon = daemon_class(cfg, options(a), loader=lambda: load(a), debug=a.debug)
        info = getattr(a, "worker_info", None)
        if info is not None:
            daemon.join_workers(info)
        structlog.contextvars.bind_contextvars(daemon=daemon.daemon_name, resource=daemon.name)
        await serve(daemon)

    def listen(cfg: Any) -> list[tuple[Any, int]]:
        return [(host, config_port(port)) for host, port in cfg.own().listen_addresses()]

    return run_daemon(args, load, serve_daemon, listen)
