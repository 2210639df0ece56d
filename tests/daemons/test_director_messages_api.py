"""``messages`` under ``.api 2`` sends the queued lines as plain packets, then the JSON result.

That is what a real Bareos 26 Director sends (DoMessages writes to the socket directly), so
python-bareos's JSON console fails on it against both.
"""

from __future__ import annotations

from tests.daemons.test_director_status_prompts import CONFIG
from tests.daemons.test_director_units import console_texts, runtime


async def test_queued_messages_come_before_the_json_result() -> None:
    rt = runtime(CONFIG)
    rt.messages.add("08-Dec 03:46 bareos-dir JobId 2: Termination: Backup OK\n")
    out = (await console_texts(rt, ".api 2", "messages"))[-1]
    assert out == ("08-Dec 03:46 bareos-dir JobId 2: Termination: Backup OK\n"
                   '{\n  "jsonrpc": "2.0",\n  "id": null,\n  "result": {}\n}'), out  # fmt: skip
    again = (await console_texts(rt, ".api 2", "messages"))[-1]
    assert again == '{\n  "jsonrpc": "2.0",\n  "id": null,\n  "result": {}\n}'
