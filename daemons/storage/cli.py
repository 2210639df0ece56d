"""``bareos-sd-emu``: the Storage daemon emulator's command line."""

from __future__ import annotations

import argparse
import sys

from daemons.common.daemon_cli import daemon_options, daemon_parser, run_emulator
from daemons.storage.daemon import SdOptions, StorageDaemon

DEFAULT_CONFIG = "/etc/bareos/bareos-sd.d"


def parser() -> argparse.ArgumentParser:
    p = daemon_parser("bareos-sd-emu", "Bareos Storage daemon emulator", DEFAULT_CONFIG)
    p.add_argument("--client-connect-wait", type=float, default=None, metavar="SECONDS",
                   help="how long 'run' waits for the job's File daemon (default: the Storage "
                        "resource's Client Connect Wait, 1800)")  # fmt: skip
    return p


def options(args: argparse.Namespace) -> SdOptions:
    return SdOptions(**daemon_options(args), client_connect_wait=args.client_connect_wait)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return run_emulator(args, "sd", StorageDaemon, options)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
