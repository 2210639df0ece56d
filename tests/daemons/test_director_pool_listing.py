"""Pool listings in the forms a real Bareos 26 Director prints (each checked against one)."""

from __future__ import annotations

import json

from tests.daemons.test_director_catalog_notice import CONFIG
from tests.daemons.test_director_units import console_texts, runtime

PRUNE = ("\nPrune details:\n  Reason: \n  Prunable volumes: 0\n  Prunable jobs: 0\n"
         "  Prunable bytes: 0 \n  Affected statuses:\n    none\n  Prunable volumes:\n    none\n"
         "  Prunable jobs:\n    none\n")  # fmt: skip


async def test_llist_pools_prints_bare_key_value_lines() -> None:
    out = (await console_texts(runtime(CONFIG), "llist pools"))[-1]
    lines = out.splitlines()[2:]  # after the two catalog lines
    assert lines[:3] == ["poolid: 1", "name: Full", "numvols: 0"], out
    assert "volretention: 31536000" in lines  # no thousands separators here
    assert lines[-3:] == ["prunablevolumes: 0", "prunablejobs: 0", "prunablebytes: 0"]


async def test_list_one_pool_adds_the_prune_report() -> None:
    out = (await console_texts(runtime(CONFIG), "list pool=Full"))[-1]
    assert "| poolid | name | numvols | maxvols | pooltype | labelformat |\n" in out, out
    assert out.endswith(PRUNE), out
    assert "Prune details" not in (await console_texts(runtime(CONFIG), "list pools"))[-1]


async def test_list_one_pool_json_has_the_long_fields_and_the_report() -> None:
    out = (await console_texts(runtime(CONFIG), ".api 2", "list pool=Full"))[-1]
    pool = json.loads(out)["result"]["pools"][0]
    assert pool["volretention"] == "31536000" and pool["prunablebytes"] == "0"
    assert {k: pool[k] for k in ("reason", "status_breakdown", "volumes", "jobs")} == {
        "reason": "", "status_breakdown": [], "volumes": [], "jobs": []}  # fmt: skip
