"""``list clients`` rows: zeros until a job reached the client, as Bareos's catalog has them.

Checked against a real Bareos 26 Director: at start-up it creates each Client row with
AutoPrune, FileRetention and JobRetention 0, and copies them from the Client resource only
when a job's File daemon answers (UpdateClientRecord, with the FD's uname).
"""

from __future__ import annotations

from daemons.director.catalog.listings import client_row
from tests.daemons.test_director_units import runtime

CONFIG = """
Director { Name = bareos-dir; DirPort = 9101; Password = "s"; TLS Enable = no; TLS Require = no }
Client { Name = fd; Address = 127.0.0.1; Port = 1; Password = "p"; File Retention = 30 days
         AutoPrune = yes; TLS Enable = no; TLS Require = no }
Catalog { Name = MyCatalog; DbName = bareos; DbUser = bareos }
Messages { Name = Standard }
"""


class _Ids:
    def client(self, name: str) -> str:
        return "1"


def test_a_client_no_job_reached_lists_zeros() -> None:
    res = runtime(CONFIG).cfg.get("client", "fd")
    assert client_row("fd", _Ids(), res, "", long=True) == {  # type: ignore[arg-type]
        "clientid": "1", "name": "fd", "uname": "", "autoprune": "0",
        "fileretention": "0", "jobretention": "0",
    }  # fmt: skip


def test_a_client_a_job_reached_lists_its_resource() -> None:
    res = runtime(CONFIG).cfg.get("client", "fd")
    row = client_row("fd", _Ids(), res, "26.0.0 (21Aug26) Debian", long=False)  # type: ignore[arg-type]
    assert row == {"clientid": "1", "name": "fd", "fileretention": "2592000",
                   "jobretention": "15552000"}  # fmt: skip
