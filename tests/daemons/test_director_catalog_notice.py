"""When a console session says which Catalog it uses, as the real Director (ua_db.cc).

Checked with a real bconsole against a real Bareos 26 Director: the private connection
(list, restore) and the shared one (run, estimate) each say ``Using Catalog`` once per
session; "Automatically selected Catalog" only when no client=/job= argument chose it.
"""

from __future__ import annotations

from typing import Any

import trio

from bareosnet.proto.signals import Signal
from tests.daemons.test_director_units import _session, runtime

CONFIG = """
Director { Name = bareos-dir; DirPort = 9101; Password = "s"; TLS Enable = no; TLS Require = no }
Client { Name = fd; Address = 127.0.0.1; Port = 1; Password = "p"; TLS Enable = no
         TLS Require = no; Catalog = MyCatalog }
Storage { Name = File; Address = 127.0.0.1; Port = 1; Password = "p"; Device = D
          Media Type = File; TLS Enable = no; TLS Require = no }
Catalog { Name = MyCatalog; DbName = bareos; DbUser = bareos }
Pool { Name = Full; Pool Type = Backup }
FileSet { Name = Data; Include { File = /nonexistent } }
Messages { Name = Standard }
Job { Name = nightly; Type = Backup; Level = Full; Client = fd; FileSet = Data
      Storage = File; Pool = Full; Messages = Standard }
"""

STOP = {Signal.EOD, Signal.MAIN_PROMPT, Signal.SUB_PROMPT, Signal.TEXT_INPUT}
AUTO = "Automatically selected Catalog: MyCatalog\n"
USING = 'Using Catalog "MyCatalog"\n'


async def _outputs(rt: Any, *commands: str) -> list[str]:
    out = []
    async with trio.open_nursery() as nursery:
        c = await _session(rt, nursery)
        for command in commands:
            await c.cmd(command)
            frames = await c.frames(STOP)
            out.append(b"".join(f for f in frames if isinstance(f, bytes)).decode())
        nursery.cancel_scope.cancel()
    return out


async def test_list_first_then_run() -> None:
    first, again, run = await _outputs(runtime(CONFIG), "list clients", "list clients",
                                       "run job=nightly")  # fmt: skip
    assert first.startswith(AUTO + USING), first
    assert "Catalog" not in again
    assert run.startswith(USING + "Run Backup job\n"), run  # the shared connection's first use


async def test_run_first_then_list() -> None:
    run, listed = await _outputs(runtime(CONFIG), "run job=nightly", "list clients")
    assert run.startswith(USING + "Run Backup job\n"), run  # job= chose the Catalog
    assert listed.startswith(USING) and AUTO not in listed, listed


async def test_api_modes_say_nothing() -> None:
    _, listed = await _outputs(runtime(CONFIG), ".api 2", "list clients")
    assert "Catalog" not in listed
