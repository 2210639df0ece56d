"""``bareos-emu trace LOGS...``: the sequence diagram of what the daemons really did.

LOGS are the daemons' ``--trace`` files (or their ``--log-format json`` logs,
which hold fewer events) and pcap files of Bareos traffic; all are merged by
wall-clock time.  ``--job ID`` keeps the connections and notes of one job,
``--steps`` draws every handshake packet instead of one arrow per connection.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bareosnet.trace.diagram import build
from bareosnet.trace.events import TraceEvent, merge, read_lines
from bareosnet.trace.render import RENDERERS

PCAP_SUFFIXES = (".pcap", ".pcapng", ".cap")


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    t = sub.add_parser("trace", help="draw the handshakes of daemon traces or a pcap as a sequence diagram")
    t.add_argument("logs", nargs="+", metavar="LOG", help="trace/JSON log files or pcap files")
    t.add_argument("--job", type=int, action="append", default=None, metavar="ID",
                   help="only job ID's connections and notes (repeatable)")  # fmt: skip
    t.add_argument("--format", choices=sorted(RENDERERS), default="text")
    t.add_argument("--steps", action="store_true", help="one arrow per handshake packet")
    t.add_argument("-o", dest="output", default=None, help="write here instead of stdout")
    t.add_argument("--title", default="", help="a title line")
    t.add_argument("--port", action="append", type=int, default=[], metavar="N",
                   help="pcap only: a Bareos port besides 9101-9103 (repeatable)")  # fmt: skip
    t.add_argument("-d", dest="debug", type=int, default=0)


def load(paths: list[str], ports: list[int] | None = None) -> list[TraceEvent]:
    """Every trace event of the given files, merged by time."""
    traces: list[list[TraceEvent]] = []
    for name in paths:
        path = Path(name)
        if path.suffix.lower() in PCAP_SUFFIXES:
            from bareosnet.trace.pcap import read_pcap

            traces.append(read_pcap(path, extra_ports=ports or []))
        else:
            with path.open(encoding="utf-8", errors="replace") as f:
                traces.append(list(read_lines(f, default_daemon=path.stem)))
    return merge(*traces)


def main_trace(args: argparse.Namespace) -> int:
    try:
        events = load(args.logs, args.port)
    except (OSError, ValueError) as exc:
        print(f"bareos-emu trace: {exc}", file=sys.stderr)
        return 2
    diagram = build(events, job=args.job, detail="steps" if args.steps else "summary",
                    title=args.title)  # fmt: skip
    if not diagram.items:
        print("bareos-emu trace: no handshake events found"
              + (f" for job {args.job}" if args.job else ""), file=sys.stderr)  # fmt: skip
        return 1
    drawing = RENDERERS[args.format](diagram)
    if args.output:
        Path(args.output).write_text(drawing, encoding="utf-8")
    else:
        sys.stdout.write(drawing)
    return 0
