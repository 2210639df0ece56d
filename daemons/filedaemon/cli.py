"""``bareos-fd-emu``: the File daemon emulator's command line."""

from __future__ import annotations

import argparse
import sys

from daemons.common.daemon_cli import daemon_options, daemon_parser, run_emulator
from daemons.filedaemon import fleet
from daemons.filedaemon.daemon import FdOptions, FileDaemon

DEFAULT_CONFIG = "/etc/bareos/bareos-fd.d"


def parser() -> argparse.ArgumentParser:
    p = daemon_parser("bareos-fd-emu", "Bareos File daemon emulator", DEFAULT_CONFIG)
    p.add_argument("--reconnect-initial", type=float, default=1.0, metavar="SECONDS",
                   help="first retry delay of client-initiated connections (default 1)")  # fmt: skip
    p.add_argument("--reconnect-max", type=float, default=60.0, metavar="SECONDS",
                   help="longest retry delay of client-initiated connections (default 60)")  # fmt: skip
    p.add_argument("--workers", type=int, default=1, metavar="N",
                   help="serve the port from N processes (SO_REUSEPORT; jobs, status and "
                        "cancel stay consistent across them; default 1)")  # fmt: skip
    fleet.add_arguments(p)
    return p


def options(args: argparse.Namespace) -> FdOptions:
    return FdOptions(
        **daemon_options(args),
        reconnect_initial=args.reconnect_initial,
        reconnect_max=args.reconnect_max,
    )


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.fleet:
        if args.workers != 1:
            print("bareos-fd-emu: --fleet and --workers cannot be combined", file=sys.stderr)
            return 2
        return fleet.run_fleet(args, options)
    return run_emulator(args, "fd", FileDaemon, options)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
