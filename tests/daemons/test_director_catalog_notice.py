"""When a console session says which Catalog it uses, as the real Director (ua_db.cc).

Checked with a real bconsole against a real Bareos 26 Director: the private connection
(list, restore) and the shared one (run, estimate) each say ``Using Catalog`` once per
session; "Automatically selected Catalog" only when no client=/job= argument chose it.
"""

from __future__ import annotations

from tests.daemons.test_director_units import console_texts, runtime

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

AUTO = "Automatically selected Catalog: MyCatalog\n"
USING = 'Using Catalog "MyCatalog"\n'



async def test_list_first_then_run() -> None:
    first, again, run = await console_texts(runtime(CONFIG), "list clients", "list clients",
                                       "run job=nightly")  # fmt: skip
    assert first.startswith(AUTO + USING), first
    assert "Catalog" not in again
    assert run.startswith(USING + "Run Backup job\n"), run  # the shared connection's first use


async def test_run_first_then_list() -> None:
    run, no, listed = await console_texts(runtime(CONFIG), "run job=nightly", "no",
                                         "list clients")  # fmt: skip
    assert run.startswith(USING + "Run Backup job\n"), run  # job= chose the Catalog
    assert no == "Job not run.\n"
    assert listed.startswith(USING) and AUTO not in listed, listed


async def test_api_modes_say_nothing() -> None:
    _, listed = await console_texts(runtime(CONFIG), ".api 2", "list clients")
    assert "Catalog" not in listed
