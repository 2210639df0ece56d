"""``bareos-dir-emu``: the Director emulator's command line.

Flags as the real ``bareos-dir`` (``-c``, ``-t``, ``-d``, ``-f``) plus the
shared emulator flags and two of its own:

``--no-handshake-state``
    Keep the File daemons' handshake modes in memory only, exactly like
    Bareos (by default they are also saved in
    ``<Working Directory>/bareosnet-handshake-modes.json`` and reused after a
    restart).
``--console-idle-timeout SECONDS``
    Close a console connection that sends nothing for this long (default 1800).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from bareosnet.errors import ConfigError
from bareosnet.proto.hello import Persona
from daemons.common.cli import build_parser, run_daemon
from daemons.common.server import serve
from daemons.director.daemon import DirectorDaemon
from daemons.director.interfaces import DirectorSettings
from daemons.director.runtime import DEFAULT_CONSOLE_IDLE_TIMEOUT, DirectorRuntime

DEFAULT_CONFIG = "/etc/bareos"
DEFAULT_AUTH_FAILURE_DELAY = 5.0


def parser() -> argparse.ArgumentParser:
    p = build_parser("bareos-dir-emu", "Bareos Director emulator", DEFAULT_CONFIG)
    p.add_argument("--no-handshake-state", action="store_true",
                   help="do not save File daemon handshake modes across restarts "
                        "(exact Bareos behaviour)")  # fmt: skip
    p.add_argument("--console-idle-timeout", type=float, default=DEFAULT_CONSOLE_IDLE_TIMEOUT,
                   metavar="SECONDS",
                   help="close a console that stays silent this long (default %(default)s)")  # fmt: skip
    return p


def load(args: argparse.Namespace) -> Any:
    from bareosnet.config import load_config

    cfg = load_config(args.config, daemon="dir", persona=args.persona)
    try:
        DirectorSettings.from_config(cfg)  # -t must catch a Director resource we cannot use
    except (ValueError, TypeError, KeyError) as exc:
        raise ConfigError(str(exc), cfg.source) from None
    return cfg


async def _serve(cfg: Any, args: argparse.Namespace) -> None:
    delay = (
        DEFAULT_AUTH_FAILURE_DELAY if args.auth_failure_delay is None else args.auth_failure_delay
    )
    runtime = DirectorRuntime(
        cfg,
        load=lambda: load(args),
        persona=Persona.parse(args.persona),
        failure_delay=delay,
        handshake_state=not args.no_handshake_state,
        console_idle_timeout=args.console_idle_timeout,
    )
    await serve(DirectorDaemon(runtime))


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return run_daemon(args, load, _serve)


if __name__ == "__main__":
    sys.exit(main())
