"""``fault``: switch the Director's fault injection on and off at run time.

``fault set NAME[:ARGS][@SCOPE]`` adds a fault (same syntax as ``--fault``),
``fault clear [NAME]`` removes all (or those called NAME), ``fault list``
shows the active ones, ``fault table`` every fault the emulators know.  Faults
act on the Director's next connections (its connections to File and Storage
daemons, and new consoles), never on a connection already open.  Not a Bareos
command: the emulator's own, added after Bareos's keys.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import structlog

from bareosnet.faults.active import FaultSet
from bareosnet.faults.spec import FaultSpecError
from bareosnet.faults.table import FAULTS, parse
from bareosnet.net import faulty
from daemons.director.console.args import Args
from daemons.director.console.registry import command

if TYPE_CHECKING:
    from daemons.director.console.session import ConsoleSession

log = structlog.get_logger("bareosnet.director.console")

USAGE = "set <name>[:<args>][@conn=<n>,peer=<name>,side=<connector|acceptor>,count=<k>] | clear [<name>] | list | table"


def _active() -> FaultSet:
    faults = faulty.active()
    if faults is None:  # a Director started without run_daemon (tests): make one
        faults = FaultSet()
        faulty.install(faults)
    return faults


@command("fault", help="set, clear or list injected faults (emulator only)", usage=USAGE,
         api='{"faults": [{"fault", "simulates", "left"}]}')  # fmt: skip
async def fault(s: ConsoleSession, args: Args) -> bool:
    words = args.line.split()
    verb = words[1].lower() if len(words) > 1 else "list"
    faults = _active()
    if verb == "set" and len(words) == 3:
        try:
            new = parse(words[2])
        except FaultSpecError as exc:
            await s.out.text(f"fault: {exc}\n")
            return True
        faults.add(new)
        log.warning("fault.set", fault=new.spec.text(), by=s.name)
        await s.out.text(f"Fault set: {new.spec.text()} -- {new.row.simulates}\n")
    elif verb == "clear" and len(words) in (2, 3):
        n = faults.clear(words[2].lower() if len(words) == 3 else None)
        log.warning("fault.cleared", count=n, by=s.name)
        await s.out.text(f"{n} fault(s) cleared.\n")
    elif (verb == "list" and len(words) == 2) or len(words) == 1:
        listing = faults.listing()
        if not listing:
            await s.out.text("No faults set.\n")
        for f, left in listing:
            more = "every connection" if left is None else f"{left} connection(s) left"
            await s.out.text(f"  {f.spec.text()} ({more}): {f.row.simulates}\n")
        s.out.set("faults", [{"fault": f.spec.text(), "simulates": f.row.simulates, "left": left}
                             for f, left in listing])  # fmt: skip
    elif verb == "table" and len(words) == 2:
        for row in FAULTS:
            await s.out.text(f"  {row.usage:32} {row.simulates}\n")
    else:
        await s.out.text(f"fault: usage: fault {USAGE}\n")
    return True
