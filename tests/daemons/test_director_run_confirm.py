"""``run`` without ``yes`` asks ``OK to run?`` and takes ``mod`` as the real Director does.

Each dialog below was run with a real bconsole against a real Bareos 26 Director on the
same configuration and gave the same text.
"""

from __future__ import annotations

from tests.daemons.test_director_catalog_notice import CONFIG
from tests.daemons.test_director_units import console_texts, runtime

BLOCK = ("Run Backup job\nJobName:  nightly\nLevel:    {level}\nClient:   fd\nFormat:   Native\n"
         "FileSet:  Data\nPool:     Full (From Job resource)\nStorage:  File (From {src})\n")  # fmt: skip
ASK = "OK to run? (yes/mod/no): "
MENU = ("Parameters to modify:\n 1: Level\n 2: Storage\n 3: Job\n 4: FileSet\n 5: Client\n"
        " 6: Backup Format\n 7: When\n 8: Priority\n 9: Pool\n10: Plugin Options\n"
        "Select parameter to modify (1-10): ")  # fmt: skip


def _block(text: str) -> str:
    """The parameters without the When line (the time of day)."""
    return "".join(line + "\n" for line in text.splitlines() if not line.startswith("When:"))


async def test_no_means_job_not_run() -> None:
    run, no = await console_texts(runtime(CONFIG), "run job=nightly", "no")
    assert _block(run) == ('Using Catalog "MyCatalog"\n'
                           + BLOCK.format(level="Full", src="Job resource")
                           + "Priority: 10\n" + ASK + "\n"), run  # fmt: skip
    assert no == "Job not run.\n"


async def test_mod_menu_level_and_priority() -> None:
    rt = runtime(CONFIG)
    out = await console_texts(rt, "run job=nightly", "mod", "1", "2", "mod", "8", "4", "bogus")
    assert out[1] == MENU
    assert out[2] == ("Levels:\n1: Full\n2: Incremental\n3: Differential\n4: Since\n"
                      "5: VirtualFull\nSelect level (1-5): ")  # fmt: skip
    assert _block(out[3]).startswith(BLOCK.format(level="Incremental", src="Job resource"))
    assert out[5] == "Enter new Priority: "
    assert "Priority: 4\n" in out[6] and out[6].endswith(ASK)
    assert out[7] == "Illegal response bogus\n" + ASK


async def test_mod_arguments_and_a_bad_keyword() -> None:
    rt = runtime(CONFIG)
    out = await console_texts(rt, "run job=nightly", "mod level=Differential priority=3",
                              "mod bogus=1")  # fmt: skip
    assert "Level:    Differential\n" in out[1] and "Priority: 3\n" in out[1]
    assert out[2] == "Invalid keyword: bogus\n"  # and no "Job not run.", as Bareos


async def test_mod_storage_is_a_user_selection() -> None:
    out = await console_texts(runtime(CONFIG), "run job=nightly", "mod", "2")
    assert _block(out[2]).startswith("Automatically selected Storage: File\n"
                                     + BLOCK.format(level="Full", src="user selection"))


async def test_mod_level_virtualfull_is_bareos_level_f() -> None:
    rt = runtime(CONFIG)
    out = await console_texts(rt, "run job=nightly", "mod", "1", "5")
    assert "Level:    VirtualFull\n" in out[3], out[3]  # not Verify's "V" (Init Catalog)
