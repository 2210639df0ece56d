"""``bareos-fd-emu``: the File daemon emulator's command line."""

from __future__ import annotations

import argparse
import sys
from typing import Any

import structlog

from bareosnet.proto.hello import Persona
from daemons.common.cli import build_parser, run_daemon
from daemons.common.server import serve
from daemons.filedaemon.daemon import (
    DEFAULT_FAILURE_DELAY,
    DEFAULT_IDLE_TIMEOUT,
    FdOptions,
    FileDaemon,
    check_config,
)

DEFAULT_CONFIG = "/etc/bareos/bareos-fd.d"


def parser() -> argparse.ArgumentParser:
    p = build_parser("bareos-fd-emu", "Bareos File daemon emulator", DEFAULT_CONFIG)
    p.add_argument("--idle-timeout", type=float, default=DEFAULT_IDLE_TIMEOUT, metavar="SECONDS",
                   help="close a Director session after this long without a command "
                        f"(default {DEFAULT_IDLE_TIMEOUT:g}; 0 = never)")  # fmt: skip
    p.add_argument("--reconnect-initial", type=float, default=1.0, metavar="SECONDS",
                   help="first retry delay of client-initiated connections (default 1)")  # fmt: skip
    p.add_argument("--reconnect-max", type=float, default=60.0, metavar="SECONDS",
                   help="longest retry delay of client-initiated connections (default 60)")  # fmt: skip
    p.add_argument("--handshake-timeout", type=float, default=60.0, metavar="SECONDS",
                   help="limit for each receive during a handshake (default 60)")  # fmt: skip
    p.add_argument("--peek-timeout", type=float, default=10.0, metavar="SECONDS",
                   help="wait this long for a new connection's first bytes (default 10)")  # fmt: skip
    return p


def load(args: argparse.Namespace) -> Any:
    from bareosnet.config import load_config

    cfg = load_config(args.config, daemon="fd", persona=args.persona)
    check_config(cfg)
    return cfg


def options(args: argparse.Namespace) -> FdOptions:
    delay = args.auth_failure_delay
    return FdOptions(
        persona=Persona.parse(args.persona),
        failure_delay=DEFAULT_FAILURE_DELAY if delay is None else delay,
        idle_timeout=args.idle_timeout,
        handshake_timeout=args.handshake_timeout,
        peek_timeout=args.peek_timeout,
        reconnect_initial=args.reconnect_initial,
        reconnect_max=args.reconnect_max,
    )


async def _serve(cfg: Any, args: argparse.Namespace) -> None:
    daemon = FileDaemon(cfg, options(args), loader=lambda: load(args), debug=args.debug)
    structlog.contextvars.bind_contextvars(daemon=daemon.daemon_name, resource=daemon.name)
    await serve(daemon)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return run_daemon(args, load, _serve)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
