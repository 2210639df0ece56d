"""``bareos-sd-emu``: the Storage daemon emulator's command line."""

from __future__ import annotations

import argparse
import sys
from typing import Any

import structlog

from bareosnet.proto.hello import Persona
from daemons.common.cli import build_parser, run_daemon
from daemons.common.server import serve
from daemons.storage.daemon import (
    DEFAULT_FAILURE_DELAY,
    DEFAULT_IDLE_TIMEOUT,
    SdOptions,
    StorageDaemon,
    check_config,
)

DEFAULT_CONFIG = "/etc/bareos/bareos-sd.d"


def parser() -> argparse.ArgumentParser:
    p = build_parser("bareos-sd-emu", "Bareos Storage daemon emulator", DEFAULT_CONFIG)
    p.add_argument("--idle-timeout", type=float, default=DEFAULT_IDLE_TIMEOUT, metavar="SECONDS",
                   help="close a Director session after this long without a command "
                        f"(default {DEFAULT_IDLE_TIMEOUT:g}; 0 = never)")  # fmt: skip
    p.add_argument("--handshake-timeout", type=float, default=60.0, metavar="SECONDS",
                   help="limit for each receive during a handshake (default 60)")  # fmt: skip
    p.add_argument("--peek-timeout", type=float, default=10.0, metavar="SECONDS",
                   help="wait this long for a new connection's first bytes (default 10)")  # fmt: skip
    p.add_argument("--client-connect-wait", type=float, default=None, metavar="SECONDS",
                   help="how long 'run' waits for the job's File daemon (default: the Storage "
                        "resource's Client Connect Wait, 1800)")  # fmt: skip
    return p


def load(args: argparse.Namespace) -> Any:
    from bareosnet.config import load_config

    cfg = load_config(args.config, daemon="sd", persona=args.persona)
    check_config(cfg)
    return cfg


def options(args: argparse.Namespace) -> SdOptions:
    delay = args.auth_failure_delay
    return SdOptions(
        persona=Persona.parse(args.persona),
        failure_delay=DEFAULT_FAILURE_DELAY if delay is None else delay,
        idle_timeout=args.idle_timeout,
        handshake_timeout=args.handshake_timeout,
        peek_timeout=args.peek_timeout,
        client_connect_wait=args.client_connect_wait,
    )


async def _serve(cfg: Any, args: argparse.Namespace) -> None:
    daemon = StorageDaemon(cfg, options(args), loader=lambda: load(args), debug=args.debug)
    structlog.contextvars.bind_contextvars(daemon=daemon.daemon_name, resource=daemon.name)
    await serve(daemon)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return run_daemon(args, load, _serve)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
