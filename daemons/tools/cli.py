"""``bareos-emu``: helper commands around the emulators (``connect``)."""

from __future__ import annotations

import argparse
import sys

from daemons.common import logging as dlog
from daemons.tools.connect import ROLES, main_connect


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="bareos-emu", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    c = sub.add_parser("connect", help="play a connector of the reference table and explain the result")
    c.add_argument("address", nargs="?", help="HOST[:PORT] (default port from the role)")
    c.add_argument("--as", dest="role", choices=sorted(ROLES), default="console")
    c.add_argument("--name", help="our name (console, director, client or job name)")
    c.add_argument("--own-name", help="our own resource name for CRAM if it differs (fd-sd: client name)")
    c.add_argument("--password", help="the password (for fd-sd/sd-fd/sd-sd: the job session key)")
    c.add_argument("-c", dest="config", help="take address, name, password and TLS from a config tree")
    c.add_argument("--resource", help="which resource of the config tree (Director/Client/Storage name)")
    c.add_argument("--tls", choices=["auto", "tls", "cleartext"], default="auto",
                   help="auto = TLS first, then cleartext if TLS Require is no (the Director's probing)")  # fmt: skip
    c.add_argument("--tls-enable", type=_yesno, default=True, metavar="yes|no")
    c.add_argument("--tls-require", type=_yesno, default=False, metavar="yes|no")
    c.add_argument("--tls-ca", help="TLS CA Certificate File")
    c.add_argument("--tls-ca-dir", help="TLS CA Certificate Dir")
    c.add_argument("--tls-cert", help="TLS Certificate (our certificate)")
    c.add_argument("--tls-key", help="TLS Key")
    c.add_argument("--tls-verify-peer", type=_yesno, default=False, metavar="yes|no")
    c.add_argument("--tls-allowed-cn", action="append", default=[], help="TLS Allowed CN (repeatable)")
    c.add_argument("--persona", choices=["17.2", "18.2", "25", "26"], default="26")
    c.add_argument("--timeout", type=float, default=10.0)
    c.add_argument("--json", action="store_true", help="print a JSON object")
    c.add_argument("-d", dest="debug", type=int, default=0)
    x = sub.add_parser("proxy", help="a TCP proxy between two daemons that injects faults")
    x.add_argument("--listen", required=True, metavar="HOST:PORT", help="where peers connect to")
    x.add_argument("--to", required=True, metavar="HOST:PORT", help="the daemon behind the proxy")
    x.add_argument("--conn", choices=[str(n) for n in range(1, 12)],
                   help="the row of the reference table this link is (for conn= scopes)")  # fmt: skip
    x.add_argument("--fault", dest="faults", action="append", default=[],
                   metavar="NAME[:ARGS][@SCOPE]", help="a byte-layer fault (repeatable; docs/faults.md)")  # fmt: skip
    x.add_argument("-d", dest="debug", type=int, default=0)
    k = sub.add_parser("console", help="a small bconsole: log in and run commands")
    k.add_argument("-c", dest="config", default="configs/console", help="bconsole config (file or dir)")
    k.add_argument("--default-console", action="store_true",
                   help="log in as the default console even if a Console resource exists")  # fmt: skip
    k.add_argument("-e", dest="commands", action="append", default=[],
                   help="command to run (repeatable); without -e, read commands from stdin")  # fmt: skip
    k.add_argument("-d", dest="debug", type=int, default=0)
    return p


def _yesno(text: str) -> bool:
    if text.lower() in ("yes", "y", "true", "1"):
        return True
    if text.lower() in ("no", "n", "false", "0"):
        return False
    raise argparse.ArgumentTypeError("yes or no")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "proxy":  # its log lines are its output
        from daemons.tools.proxy import main_proxy

        dlog.configure("console", args.debug)
        return main_proxy(args)
    # Logs go to stderr and only when asked: the report on stdout is the output.
    dlog.configure("console", args.debug)
    if args.debug == 0:
        import logging

        import structlog

        structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.CRITICAL))
    if args.command == "console":
        return main_console(args)

    return main_connect(args)


def main_console(args: argparse.Namespace) -> int:
    import trio

    from bareosnet.errors import BareosError
    from daemons.tools.console import run_commands, session_params

    try:
        params = session_params(args.config, named=not args.default_console)
    except (BareosError, OSError) as exc:
        print(f"bareos-emu console: {exc}", file=sys.stderr)
        return 2
    commands = args.commands or [line.strip() for line in sys.stdin if line.strip()]
    try:
        return trio.run(run_commands, params, commands)
    except BareosError as exc:
        print(f"bareos-emu console: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
