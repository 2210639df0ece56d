"""Command-line scaffolding shared by the three emulators.

Flags follow the real daemons: ``-c FILE|DIR``, ``-t`` (test the config and
exit), ``-d N`` (debug level), ``-f`` (foreground: the only mode, accepted for
compatibility), plus ``--log-format`` and ``--persona``.  A broken config or a
port in use is one clear line on stderr and a non-zero exit code, never a
traceback.
"""

from __future__ import annotations

import argparse
import errno
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import structlog
import trio

from bareosnet.errors import BareosError, ConfigError
from bareosnet.faults.spec import FaultSpecError
from bareosnet.proto.hello import Persona
from daemons.common import logging as dlog
from daemons.common.server import request_stop

EXIT_OK = 0
EXIT_CONFIG = 1
EXIT_RUNTIME = 2
EXIT_ADDRESS_IN_USE = 3


def build_parser(prog: str, description: str, default_config: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog, description=description)
    p.add_argument("-c", dest="config", default=default_config, metavar="FILE|DIR",
                   help=f"config file or directory (default {default_config})")  # fmt: skip
    p.add_argument("-t", dest="test_config", action="store_true",
                   help="check the configuration and exit")  # fmt: skip
    p.add_argument("-d", dest="debug", type=int, default=0, metavar="N", help="debug level")
    p.add_argument("-f", dest="foreground", action="store_true",
                   help="run in the foreground (the only mode; accepted for compatibility)")  # fmt: skip
    p.add_argument("--log-format", choices=["console", "json"], default="console")
    p.add_argument("--persona", choices=[x.value for x in Persona], default="26",
                   help="Bareos generation to behave as (default 26)")  # fmt: skip
    p.add_argument("--auth-failure-delay", type=float, default=None, metavar="SECONDS",
                   help="delay after a failed authentication (default: as Bareos, 5 s)")  # fmt: skip
    p.add_argument("--fault", dest="faults", action="append", default=[],
                   metavar="NAME[:ARGS][@conn=N,peer=NAME,side=S,count=K]",
                   help="inject a fault into matching connections (repeatable; see docs/faults.md)")  # fmt: skip
    return p


def install_faults(texts: list[str]) -> None:
    """Parse the ``--fault`` flags and make them this process's active fault set.

    The set is installed even when empty, so that it can be changed at run time
    (the Director's ``fault`` command).  Raises FaultSpecError.
    """
    from bareosnet.faults.active import FaultSet
    from bareosnet.net import faulty

    faulty.install(FaultSet.parse(texts))


_inside_trio = False


def _exit_cleanly(signum: int, frame: object) -> None:
    """SIGTERM/SIGINT while serve()'s own receiver is not installed."""
    request_stop()  # serve() stops at once if it had not installed its receiver yet
    if not _inside_trio:
        raise SystemExit(EXIT_OK)
    # Inside trio.run but outside serve()'s receiver: starting up (handled by the
    # flag) or already stopping; raising here would land in trio's own machinery.


def run_daemon(
    args: argparse.Namespace,
    load: Callable[[argparse.Namespace], Any],
    serve: Callable[[Any, argparse.Namespace], Awaitable[None]],
    listen: Callable[[Any], Sequence[tuple[Any, int]]] | None = None,
) -> int:
    """Load (and maybe only check) the config, then serve until stopped.

    With ``args.workers`` > 1 (and ``listen``, the addresses of a config),
    that many worker processes serve the same port (:mod:`daemons.common.workers`).
    """
    # Outside serve() (before it installs its receiver, and after it restored the previous
    # handler) SIGTERM/SIGINT mean "exit cleanly" too, instead of the default action that
    # kills the process: a second SIGTERM that races the end of a shutdown still exits 0.
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, _exit_cleanly)
    dlog.configure(args.log_format, args.debug)
    log = structlog.get_logger("daemon")
    try:
        install_faults(getattr(args, "faults", []))
    except FaultSpecError as exc:
        print(f"error: --fault: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    try:
        config = load(args)
    except ConfigError as exc:
        print(f"{sys.argv[0].rsplit('/', 1)[-1]}: config error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except OSError as exc:
        print(f"config error: cannot read {args.config}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_CONFIG
    if args.test_config:
        return EXIT_OK
    workers = int(getattr(args, "workers", 1) or 1)
    if workers > 1 and listen is not None:
        return _run_workers(workers, args, config, serve, listen, log)
    return _serve_until_stopped(serve, config, args, log)


def _serve_until_stopped(
    serve: Callable[[Any, argparse.Namespace], Awaitable[None]],
    config: Any,
    args: argparse.Namespace,
    log: Any,
) -> int:
    global _inside_trio
    try:
        try:
            _inside_trio = True
            trio.run(serve, config, args)
        finally:
            # We are exiting: a late SIGTERM must not kill the interpreter while it tears
            # down (Python resets Python-level handlers to the default at finalization,
            # but leaves SIG_IGN alone).
            for signum in (signal.SIGTERM, signal.SIGINT):
                signal.signal(signum, signal.SIG_IGN)
    except KeyboardInterrupt:
        return EXIT_OK
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            print(f"error: address already in use: {exc}", file=sys.stderr)
            return EXIT_ADDRESS_IN_USE
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_RUNTIME
    except BareosError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_RUNTIME
    log.info("daemon.stopped")
    return EXIT_OK


def _run_workers(
    count: int,
    args: argparse.Namespace,
    config: Any,
    serve: Callable[[Any, argparse.Namespace], Awaitable[None]],
    listen: Callable[[Any], Sequence[tuple[Any, int]]],
    log: Any,
) -> int:
    """``--workers N``: bind once here, then N processes serve (see daemons.common.workers)."""
    from daemons.common import workers as w

    prog = sys.argv[0].rsplit("/", 1)[-1] or "bareos-emu"
    try:
        sockets = w.bind_reuseport(listen(config), count)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            print(f"error: address already in use: {exc}", file=sys.stderr)
            return EXIT_ADDRESS_IN_USE
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_RUNTIME

    def child(info: w.WorkerInfo) -> int:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, _exit_cleanly)
        args.worker_info = info
        structlog.contextvars.bind_contextvars(worker=info.index)
        return _serve_until_stopped(serve, config, args, log)

    return w.run_workers(count, prog, sockets, child)
