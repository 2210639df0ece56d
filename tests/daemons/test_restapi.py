"""bareos-restapi 25.1.1 (PyPI) against bareos-dir-emu: every one of its 64 routes.

The app runs in-process (FastAPI ``TestClient``); it logs in with ``POST /token`` as the
named console ``restapi`` over TLS-PSK, exactly as against a real Director, and every
route is one case below asserting on the JSON it returns.  What a route must return is
what the app makes of the real Director's ``.api 2`` answer (shapes read from the Bareos
source: ``dird/ua_*.cc``, ``cats/sql_list.cc``, the output formatter), not merely what the
app accepts: catalog values are strings, as the real Director's SQL rows are.

A route that does not answer as it does against a real Director yet is an ``xfail`` with
the reason (strict: one that starts to pass must be moved out of :data:`PENDING`).
:func:`test_every_route_is_covered` fails when the app has a route without a case.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import bareos.bsock
import pytest

from tests.daemons.conftest import Bare, write_config
from tests.daemons.test_e2e_jobs import Lab, build_lab, restored_root, snapshot
from tests.support.restapi import RestApi, restapi_app

pytest.importorskip("fastapi")
from fastapi.routing import APIRoute  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore")]

API_USER = "restapi"
API_SECRET = "restapi-console-secret"
ALL = "*all*"


@attrs.define
class Stand:
    """The lab, the logged-in REST client, and what earlier cases left for later ones."""

    lab: Lab
    api: RestApi
    tmp: Path
    backup_id: int = 0
    state: dict[str, Any] = attrs.Factory(dict)

    def console(self) -> bareos.bsock.DirectorConsoleJson:
        return bareos.bsock.DirectorConsoleJson(
            address="127.0.0.1", port=self.lab.dp, name=API_USER,
            password=bareos.bsock.Password(API_SECRET))  # fmt: skip

    def call(self, method: str, path: str, **kw: Any) -> Any:
        return self.api.call(method, path, **kw)

    def wait(self, job_id: int) -> dict[str, Any]:
        res = self.console().call(f"wait jobid={job_id}")
        return res["Job"]


def _extra_resources(root: Path) -> None:
    """A named console for the API and the resource types the API shows (JobDefs, Schedule...)."""
    acls = {k: ALL for k in ("Command ACL", "Job ACL", "Client ACL", "Storage ACL", "Pool ACL",
                             "FileSet ACL", "Catalog ACL", "Schedule ACL", "Where ACL")}  # fmt: skip
    write_config(root, "bareos-dir.d", [
        ("Console", {"Name": API_USER, "Password": API_SECRET, **acls}),
        ("Profile", {"Name": "operator", "Description": "runs jobs", "Command ACL": ["run", "wait"],
                     "Job ACL": ALL}),
        ("User", {"Name": "viewer", "Profile": "operator"}),
        ("JobDefs", {"Name": "DefaultJob", "Type": Bare("Backup"), "Level": Bare("Incremental"),
                     "Client": "fd", "FileSet": "Data", "Storage": "File0", "Pool": "Full",
                     "Messages": "Standard"}),
        ("Schedule", {"Name": "WeeklyCycle", "Run": Bare("Full sun at 21:00")}),
        # As Bareos's default "Standard": the job log also goes to the catalog (list joblog).
        ("Messages", {"Name": "Standard", "Console": Bare("all, !skipped, !saved"),
                      "Catalog": Bare("all, !skipped, !saved, !audit")}),
    ])  # fmt: skip


@pytest.fixture(scope="module")
def stand(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stand]:
    tmp = tmp_path_factory.mktemp("restapi")
    lab = build_lab(tmp)
    _extra_resources(tmp / "dir")
    with lab.running():
        module = restapi_app(tmp / "api", director="bareos-dir", port=lab.dp)
        api = RestApi(TestClient(module.app, raise_server_exceptions=False))
        r = api.login(API_USER, API_SECRET)
        assert r.status_code == 200, r.text
        st = Stand(lab, api, tmp)
        # One backup made over the console, for the routes that read the catalog.
        c = st.console()
        st.backup_id = int(c.call("run job=backup yes")["run"]["jobid"])
        assert st.wait(st.backup_id)["JobStatus"] == "T"
        yield st


def _app_routes() -> list[str]:
    module = sys.modules.get("bareos_restapi")
    assert module is not None
    return [f"{m} {r.path}" for r in module.app.routes if isinstance(r, APIRoute)
            for m in sorted(r.methods)]  # fmt: skip


# ---------------------------------------------------------------- the cases

Case = Callable[[Stand], None]
CASES: dict[str, Case] = {}


def case(key: str) -> Callable[[Case], Case]:
    def register(fn: Case) -> Case:
        assert key not in CASES, key
        CASES[key] = fn
        return fn

    return register


def _all_strings(rows: list[dict[str, Any]]) -> bool:
    return all(isinstance(v, str) for row in rows for v in row.values())


@case("POST /token")
def _token(st: Stand) -> None:
    bad = RestApi(st.api.client).login(API_USER, "wrong")
    assert bad.status_code == 401 and bad.json()["detail"] == "Incorrect username or password"
    again = RestApi(st.api.client)
    r = again.login(API_USER, API_SECRET)
    assert r.status_code == 200 and r.json()["token_type"] == "bearer"


@case("GET /users/me/")
def _me(st: Stand) -> None:
    r = st.call("GET", "/users/me/")
    assert r.status_code == 200 and r.json() == {"username": API_USER, "directorName": "bareos-dir"}


@case("GET /control/directors/version")
def _version(st: Stand) -> None:
    r = st.call("GET", "/control/directors/version")
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "bareos-dir" and r.json()["version"].startswith("26.")


@case("GET /control/directors/time")
def _time(st: Stand) -> None:
    r = st.call("GET", "/control/directors/time")
    assert r.status_code == 200, r.text
    t = r.json()
    assert set(t) == {"full", "year", "month", "day", "hour", "minute", "second"}, t
    assert t["year"] == time.strftime("%Y") and re.fullmatch(r"\w{3} \d\d-\w{3}-\d{4} [\d:]{8}",
                                                            t["full"]), t  # fmt: skip


@case("PUT /control/directors/reload")
def _reload(st: Stand) -> None:
    r = st.call("PUT", "/control/directors/reload")
    assert r.status_code == 200 and r.json() == {"success": True}, r.text


# -- clients


@case("GET /control/clients")
def _clients(st: Stand) -> None:
    r = st.call("GET", "/control/clients")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["totalItems"] == 2
    names = [c["name"] for c in body["clients"]]
    assert names == ["fd", "fd-passive"]
    first = body["clients"][0]
    assert list(first) == ["clientid", "name", "uname", "autoprune", "fileretention",
                           "jobretention"]  # fmt: skip
    assert first["clientid"] == "1" and first["fileretention"] == "5184000"
    assert first["uname"].startswith("26.0.0 ")  # the version line the FD sent for the job
    assert _all_strings(body["clients"])
    one = st.call("GET", "/control/clients", params={"name": "fd-passive"}).json()
    assert one["totalItems"] == 1 and one["clients"][0]["clientid"] == "2"


@case("GET /control/clients/{client_id}")
def _client_by_id(st: Stand) -> None:
    r = st.call("GET", "/control/clients/2")
    assert r.status_code == 200 and r.json()["name"] == "fd-passive", r.text
    missing = st.call("GET", "/control/clients/99")
    assert missing.status_code == 404
    assert missing.json() == {"message": "Client with Client ID 99 not found"}


def _dot_clients(st: Stand, which: str) -> list[str]:
    return [c["name"] for c in st.console().call(f".clients {which}")["clients"]]


@case("PUT /control/clients/disable/{client_name}")
def _client_disable(st: Stand) -> None:
    r = st.call("PUT", "/control/clients/disable/fd-passive")
    # The route declares 204 but sets 200 itself and returns the Director's object.
    assert r.status_code == 200 and r.json() == {"disable": {"clients": ["fd-passive"]}}, r.text
    assert _dot_clients(st, "disabled") == ["fd-passive"]


@case("PUT /control/clients/enable/{client_name}")
def _client_enable(st: Stand) -> None:
    st.call("PUT", "/control/clients/disable/fd-passive")
    r = st.call("PUT", "/control/clients/enable/fd-passive")
    assert r.status_code == 200 and r.json() == {"enable": {"clients": ["fd-passive"]}}, r.text
    assert _dot_clients(st, "disabled") == []
    # An unknown client: the Director's error reaches the API as a 500 with its text.
    bad = st.call("PUT", "/control/clients/enable/nosuch")
    assert bad.status_code == 500 and 'Client \\"nosuch\\" not found.' in bad.text, bad.text


@case("GET /configuration/clients")
def _conf_clients(st: Stand) -> None:
    r = st.call("GET", "/configuration/clients")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["totalItems"] == 2 and set(body["clients"]) == {"fd", "fd-passive"}
    fd = body["clients"]["fd"]
    # verbose (the API's default) lists the defaults too, typed as the Director types them:
    # numbers, booleans, durations and sizes in Bareos's words, lists as arrays, unset "".
    assert fd["name"] == "fd" and fd["port"] == st.lab.fp and fd["passive"] is False, fd
    assert fd["maximumconcurrentjobs"] == 1 and fd["enabled"] is True, fd
    assert fd["password"].startswith("[md5]"), fd
    assert fd["protocol"] == "Native" and fd["authtype"] == "None", fd
    assert fd["heartbeatinterval"] == "0" and fd["ndmpblocksize"] == "63 k", fd
    assert fd["maximumbandwidthperjob"] == 0 and fd["ndmploglevel"] == 4, fd
    assert fd["description"] == "" and fd["tlscipherlist"] == ""
    # An unset list is printed only while Bareos still marks unwritten items, i.e. not
    # after "reload" (PUT /control/directors/reload runs before this case).
    assert fd.get("tlsallowedcn", []) == [], fd
    # Deprecated directives at their default are left out even with verbose.
    assert not {"fileretention", "jobretention", "autoprune", "tlsauthenticate"} & set(fd), fd


@case("GET /configuration/clients/{clients_name}")
def _conf_client(st: Stand) -> None:
    r = st.call("GET", "/configuration/clients/fd-passive", params={"verbose": "no"})
    assert r.status_code == 200, r.text
    assert set(r.json()) == {"fd-passive"} and r.json()["fd-passive"]["passive"] is True
    assert st.call("GET", "/configuration/clients/nosuch").status_code == 500


def _added(st: Stand, r: Any, rtype: str, name: str, directory: str) -> dict[str, Any]:
    assert r.status_code == 200, r.text
    add = r.json()["configure"]["add"]
    assert add["resource"] == rtype and add["name"] == name, add
    path = Path(add["filename"])
    assert path == st.tmp / "dir" / "bareos-dir.d" / directory / f"{name}.conf", path
    assert path.read_text() == add["content"] and add["content"].startswith(rtype + " {\n")
    return add


@case("POST /configuration/clients")
def _post_client(st: Stand) -> None:
    body = {"name": "newclient", "address": "127.0.0.1", "password": "newclient-secret",
            "port": 19102}  # fmt: skip
    add = _added(st, st.call("POST", "/configuration/clients", json=body), "Client",
                 "newclient", "client")  # fmt: skip
    assert '  Address = "127.0.0.1"\n' in add["content"] and "  Port = 19102\n" in add["content"]
    shown = st.call("GET", "/configuration/clients/newclient").json()
    assert shown["newclient"]["address"] == "127.0.0.1", shown
    again = st.call("POST", "/configuration/clients", json=body)
    assert again.status_code == 500
    assert 'Resource \\"Client\\" with name \\"newclient\\" already exists.' in again.text


# -- filesets


@case("GET /configuration/filesets")
def _conf_filesets(st: Stand) -> None:
    r = st.call("GET", "/configuration/filesets")
    assert r.status_code == 200, r.text
    data = r.json()["filesets"]["Data"]
    # Name, Description and the blocks only; Options rebuilt from the option letters
    # ("MHAX": the MD5 signature, then the defaults hard links off, ACLs and xattrs on).
    assert data == {"name": "Data", "include": [{
        "options": [{"signature": "MD5", "hardlinks": False, "aclsupport": True,
                     "xattrsupport": True}],
        "file": [str(st.lab.data)]}]}, data  # fmt: skip


@case("GET /configuration/filesets/{filesets_name}")
def _conf_fileset(st: Stand) -> None:
    r = st.call("GET", "/configuration/filesets/Data")
    assert r.status_code == 200 and set(r.json()) == {"Data"}, r.text


# -- job control


@case("POST /control/jobs/run")
def _run(st: Stand) -> None:
    # No "yes": under ".api json" the Director is in batch mode and runs the job at once.
    r = st.call("POST", "/control/jobs/run", json={"jobControl": {"job": "backup"}})
    assert r.status_code == 200, r.text
    job_id = r.json()["jobid"]
    assert isinstance(job_id, int) and job_id > st.backup_id
    assert st.wait(job_id)["JobStatus"] == "T"
    st.state["run"] = job_id


@case("POST /control/jobs/restore")
def _restore(st: Stand) -> None:
    where = st.tmp / "restored-by-api"
    ctl = {"client": "fd", "where": str(where), "jobid": st.backup_id, "selectAllDone": "yes"}
    r = st.call("POST", "/control/jobs/restore", json={"jobControl": ctl})
    assert r.status_code == 200, r.text
    job_id = r.json()["jobid"]
    assert st.wait(job_id)["JobStatus"] == "T"
    assert snapshot(restored_root(where, st.lab.data)) == snapshot(st.lab.data)


@case("POST /control/jobs/rerun/{job_id}")
def _rerun_one(st: Stand) -> None:
    r = st.call("POST", f"/control/jobs/rerun/{st.backup_id}")
    assert r.status_code == 200, r.text
    job_id = r.json()["jobid"]
    assert st.wait(job_id)["JobStatus"] == "T"
    rec = st.call("GET", f"/control/jobs/{job_id}").json()
    assert rec["name"] == "backup" and rec["level"] == "F", rec


@case("POST /control/jobs/rerun")
def _rerun_since(st: Stand) -> None:
    # A job that really fails (JobStatus f): the Director's next connection to the FD
    # offers a wrong password (the emulator's fault injection, spent on that connection).
    c = st.console()
    plain = bareos.bsock.DirectorConsole(address="127.0.0.1", port=st.lab.dp, name=API_USER,
                                         password=bareos.bsock.Password(API_SECRET))  # fmt: skip
    assert b"Fault set: wrong-password@conn=3,count=1" in plain.call(
        "fault set wrong-password@conn=3,count=1")  # fmt: skip
    failed = int(c.call("run job=backup yes")["run"]["jobid"])
    assert st.wait(failed)["JobStatus"] == "f"
    r = st.call("POST", "/control/jobs/rerun", json={"since_jobid": failed})
    assert r.status_code == 200, r.text
    again = r.json()["jobid"]
    assert again > failed and st.wait(again)["JobStatus"] == "T"
    rec = st.call("GET", f"/control/jobs/{again}").json()
    assert (rec["name"], rec["client"], rec["level"], rec["poolname"], rec["fileset"]) == (
        "backup", "fd", "F", "Full", "Data"), rec  # fmt: skip


@case("PUT /control/jobs/cancel/{job_id}")
def _cancel(st: Stand) -> None:
    r = st.call("PUT", f"/control/jobs/cancel/{st.backup_id}")
    # A job that is not running: the Director's error, which the API passes on as a 500.
    assert r.status_code == 500, r.text
    assert f"JobId {st.backup_id} is not running." in r.json()["message"], r.text


@case("PUT /control/jobs/disable/{job_name}")
def _job_disable(st: Stand) -> None:
    r = st.call("PUT", "/control/jobs/disable/backup-passive")
    assert r.status_code == 200 and r.json() == {"disable": {"jobs": ["backup-passive"]}}, r.text
    jobs = st.console().call(".jobs disabled")["jobs"]
    assert [j["name"] for j in jobs] == ["backup-passive"], jobs


@case("PUT /control/jobs/enable/{job_name}")
def _job_enable(st: Stand) -> None:
    r = st.call("PUT", "/control/jobs/enable/backup-passive")
    assert r.status_code == 200 and r.json() == {"enable": {"jobs": ["backup-passive"]}}, r.text
    assert st.console().call(".jobs disabled")["jobs"] == []


@case("GET /control/jobs/totals")
def _totals(st: Stand) -> None:
    r = st.call("GET", "/control/jobs/totals")
    assert r.status_code == 200, r.text
    body = r.json()
    per_job = {j["job"]: j for j in body["jobs"]}
    assert set(per_job["backup"]) == {"jobs", "files", "bytes", "job"}, body
    assert _all_strings(body["jobs"])
    assert set(body["jobtotals"]) == {"jobs", "files", "bytes"}, body
    assert int(body["jobtotals"]["jobs"]) >= 1


LONG_JOB_COLUMNS = [
    "jobid", "job", "name", "purgedfiles", "type", "level", "clientid", "client", "jobstatus",
    "schedtime", "starttime", "endtime", "realendtime", "duration", "jobtdate", "volsessionid",
    "volsessiontime", "jobfiles", "jobbytes", "joberrors", "jobmissingfiles", "poolid",
    "poolname", "priorjobid", "filesetid", "fileset",
]  # fmt: skip


@case("GET /control/jobs/{job_id}")
def _job(st: Stand) -> None:
    r = st.call("GET", f"/control/jobs/{st.backup_id}")
    assert r.status_code == 200, r.text
    rec = r.json()
    assert list(rec) == LONG_JOB_COLUMNS, list(rec)
    assert _all_strings([rec])
    assert rec["jobid"] == str(st.backup_id) and rec["jobstatus"] == "T" and rec["type"] == "B"
    assert rec["client"] == "fd" and rec["poolname"] == "Full" and rec["fileset"] == "Data"
    assert int(rec["jobfiles"]) == len(snapshot(st.lab.data)) + 1


@case("GET /control/jobs")
def _jobs(st: Stand) -> None:
    r = st.call("GET", "/control/jobs")
    assert r.status_code == 200, r.text
    body = r.json()
    assert isinstance(body["totalItems"], str) and int(body["totalItems"]) == len(body["jobs"])
    assert body["jobs"][0]["jobid"] == str(st.backup_id)
    page = st.call("GET", "/control/jobs", params={"limit": 2, "offset": 1}).json()
    assert [j["jobid"] for j in page["jobs"]] == [j["jobid"] for j in body["jobs"][1:3]]
    assert page["limit"] == 2 and page["offset"] == 1
    only_t = st.call("GET", "/control/jobs", json={"jobstatus": "T", "joblevel": "F"}).json()
    assert only_t["jobs"] and all(j["jobstatus"] == "T" and j["level"] == "F"
                                  for j in only_t["jobs"])  # fmt: skip
    assert int(only_t["totalItems"]) == len(only_t["jobs"])
    recent = st.call("GET", "/control/jobs", json={"hours": 2, "client": "fd"}).json()
    assert len(recent["jobs"]) >= 1


@case("DELETE /control/jobs/{job_id}")
def _delete_job(st: Stand) -> None:
    c = st.console()
    job_id = int(c.call("run job=backup yes")["run"]["jobid"])
    st.wait(job_id)
    r = st.call("DELETE", f"/control/jobs/{job_id}")
    # After the delete the API reads the job again: a real Director answers "jobs": {}
    # for a JobId it does not know, and the API indexes it as a list (a 500 of its own).
    assert r.status_code == 500, r.text
    assert c.call(f"llist jobid={job_id}") == {"jobs": {}}
    assert str(job_id) not in [j["jobid"] for j in c.call("llist jobs")["jobs"]]


@case("GET /control/jobs/logs/{job_id}")
def _joblog(st: Stand) -> None:
    r = st.call("GET", f"/control/jobs/logs/{st.backup_id}")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["totalItems"] == len(body["joblog"]) > 3
    assert all(set(row) == {"time", "logtext"} for row in body["joblog"])
    assert any("Termination:            Backup OK" in row["logtext"] for row in body["joblog"])
    # Bareos 26 keeps the time in its own column: the text starts at the daemon's name.
    assert all(re.match(r"bareos-(dir|fd|sd\d*) JobId \d+: ", row["logtext"])
               for row in body["joblog"]), body["joblog"][:3]  # fmt: skip


@case("GET /control/jobs/files/{job_id}")
def _files(st: Stand) -> None:
    r = st.call("GET", f"/control/jobs/files/{st.backup_id}")
    assert r.status_code == 200, r.text
    names = {row["filename"] for row in r.json()["filenames"]}
    assert f"{st.lab.data}/top.txt" in names and f"{st.lab.data}/empty dir/" in names, names
    assert r.json()["totalItems"] == len(snapshot(st.lab.data)) + 1


# -- jobdefs and jobs


@case("GET /configuration/jobdefs")
def _conf_jobdefs(st: Stand) -> None:
    r = st.call("GET", "/configuration/jobdefs")
    assert r.status_code == 200, r.text
    assert r.json()["totalItems"] == 1
    assert r.json()["jobdefs"]["DefaultJob"]["level"] == "Incremental"


@case("GET /configuration/jobdefs/{jobdefs_name}")
def _conf_jobdef(st: Stand) -> None:
    r = st.call("GET", "/configuration/jobdefs/DefaultJob")
    assert r.status_code == 200 and r.json()["DefaultJob"]["pool"] == "Full", r.text


@case("POST /confguration/jobdefs")
def _post_jobdefs(st: Stand) -> None:
    body = {"name": "NewDefs", "type": "Backup", "messages": "Standard", "pool": "Full",
            "jobdefs": "DefaultJob"}  # fmt: skip
    add = _added(st, st.call("POST", "/confguration/jobdefs", json=body), "JobDefs",
                 "NewDefs", "jobdefs")  # fmt: skip
    assert '  JobDefs = "DefaultJob"\n' in add["content"]


@case("GET /configuration/jobs")
def _conf_jobs(st: Stand) -> None:
    r = st.call("GET", "/configuration/jobs")
    assert r.status_code == 200, r.text
    jobs = r.json()["jobs"]
    assert {"backup", "backup-passive", "RestoreFiles"} <= set(jobs)
    backup = jobs["backup"]
    assert backup["client"] == "fd" and backup["priority"] == 10, backup
    assert backup["storage"] == ["File0"] and backup.get("run", []) == [], backup
    assert backup["rescheduleinterval"] == "30 minutes " and backup["spoolsize"] == "0", backup
    assert backup["prefermountedvolumes"] is True and backup["nextpool"] == "", backup
    # No SelectionType when unset; deprecated AllowHigherDuplicates left out.
    assert "selectiontype" not in backup and "allowhigherduplicates" not in backup, backup
    assert jobs["RestoreFiles"]["level"] == "", jobs["RestoreFiles"]  # an unset level: ""


@case("GET /configuration/jobs/{jobs_name}")
def _conf_job(st: Stand) -> None:
    r = st.call("GET", "/configuration/jobs/RestoreFiles")
    assert r.status_code == 200 and r.json()["RestoreFiles"]["type"] == "Restore", r.text


@case("POST /configuration/jobs")
def _post_job(st: Stand) -> None:
    body = {"name": "newjob", "type": "Backup", "messages": "Standard", "pool": "Full",
            "jobdefs": "DefaultJob"}  # fmt: skip
    add = _added(st, st.call("POST", "/configuration/jobs", json=body), "Job", "newjob", "job")
    assert '  JobDefs = "DefaultJob"\n' in add["content"], add
    # It joined the running configuration (its JobDefs give it Client, FileSet...).
    assert "newjob" in [j["name"] for j in st.console().call(".jobs")["jobs"]]


# -- volumes


@case("GET /control/volumes")
def _volumes(st: Stand) -> None:
    r = st.call("GET", "/control/volumes")
    assert r.status_code == 200, r.text
    body = r.json()
    # The Director's pool keys are lower-cased (Bareos's output formatter); the API passes
    # them on when unfiltered and names the pool from the rows otherwise.
    vols = body["volumes"]["full"]
    assert vols[0]["volumename"] == "Full-0001" and vols[0]["pool"] == "Full", vols
    assert _all_strings(vols)
    assert body["totalItems"] == len(vols)
    one = st.call("GET", "/control/volumes", json={"volume": "Full-0001"}).json()
    assert one["totalItems"] == 1 and one["volumes"]["Full"][0]["volumename"] == "Full-0001"
    pool = st.call("GET", "/control/volumes", json={"pool": "Full"}).json()
    assert pool["totalItems"] == len(vols) and pool["volumes"]["Full"] == vols


@case("GET /control/volumes/{volume_id}")
def _volume(st: Stand) -> None:
    r = st.call("GET", "/control/volumes/1")
    assert r.status_code == 200 and r.json()["volumename"] == "Full-0001", r.text
    assert st.call("GET", "/control/volumes/99").status_code == 404


@case("POST /control/volumes")
def _label(st: Stand) -> None:
    r = st.call("POST", "/control/volumes",
                json={"volume": "Manual-0001", "pool": "Full", "storage": "File0"})  # fmt: skip
    # The Director's result is empty (the outcome is messages); the API returns it as is.
    assert r.status_code == 200 and r.json() == {}, r.text
    vol = st.console().call("llist volume=Manual-0001")["volume"]
    assert vol["volstatus"] == "Append" and vol["pool"] == "Full", vol
    assert (st.tmp / "volumes0" / "Manual-0001").exists()


@case("PATCH /control/volumes/{volume_name}")
def _update_volume(st: Stand) -> None:
    r = st.call("PATCH", "/control/volumes/Full-0001", json={"volstatus": "Used", "maxvoljobs": 7})
    assert r.status_code == 200, r.text
    vol = st.console().call("llist volume=Full-0001")["volume"]
    assert vol["volstatus"] == "Used" and vol["maxvoljobs"] == "7", vol
    # The API answers with the volume as "llist volumes" lists it afterwards.
    assert r.json()["volumes"]["Full"] == [vol], r.json()


def _no_changer(st: Stand, verb: str, body: dict[str, Any]) -> None:
    r = st.call("PUT", f"/control/volumes/{verb}", json=body)
    # The Director asks the SD for the changer's slots; a device that is not an autochanger
    # has none, and Bareos ends the command with a warning and a failed result (ua_impexp.cc),
    # which python-bareos raises and the API passes on as a 500.
    assert r.status_code == 500, r.text
    message = r.json()["message"]
    assert message.startswith(f"Could not {verb} volumes on director bareos-dir."), message
    assert "'messages': {'warning': ['No slots in changer.\\n']}" in message, message


@case("PUT /control/volumes/move")
def _move(st: Stand) -> None:
    _no_changer(st, "move", {"storage": "File0", "srcslots": "1", "dstslots": "2"})


@case("PUT /control/volumes/export")
def _export(st: Stand) -> None:
    _no_changer(st, "export", {"storage": "File0", "srcslots": "1"})


@case("PUT /control/volumes/import")
def _import(st: Stand) -> None:
    _no_changer(st, "import", {"storage": "File0", "srcslots": "1"})


@case("PUT /control/volumes/{volume_name}")
def _relabel(st: Stand) -> None:
    c = st.console()
    c.call("label volume=Relabel-0001 pool=Full storage=File0")
    # Bareos's update refuses volstatus=Purged (not a status an operator sets); Recycle is one
    # of the two states relabel accepts.
    c.call("update volume=Relabel-0001 volstatus=Recycle")
    r = st.call("PUT", "/control/volumes/Relabel-0001",
                json={"volume": "Relabel-0002", "storage": "File0", "pool": "Full"})  # fmt: skip
    assert r.status_code == 200 and r.json() == {}, r.text
    assert c.call("llist volume=Relabel-0002")["volume"]["volstatus"] == "Append"


@case("DELETE /control/volumes/{volume_name}")
def _delete_volume(st: Stand) -> None:
    c = st.console()
    c.call("label volume=Doomed-0001 pool=Full storage=File0")
    r = st.call("DELETE", "/control/volumes/Doomed-0001")
    # The route answers 204 No Content whatever the Director said.
    assert r.status_code == 204 and r.content == b"", r.text
    assert c.call("llist volume=Doomed-0001") == {"volume": {}}


# -- pools


@case("GET /configuration/pools")
def _conf_pools(st: Stand) -> None:
    r = st.call("GET", "/configuration/pools")
    assert r.status_code == 200, r.text
    full = r.json()["pools"]["Full"]
    assert full["labelformat"] == "Full-" and full["pooltype"] == "Backup", full
    assert full["storage"] == ["File0"] and full["maximumvolumes"] == 0, full
    assert full["volumeretention"] == "1 years " and full["recycle"] is True, full
    assert full["labeltype"] == "bareos" and full["actiononpurge"] == "None", full
    assert full["scratchpool"] == "" and full["maximumvolumebytes"] == "0", full


@case("GET /configuration/pools/{pools_name}")
def _conf_pool(st: Stand) -> None:
    r = st.call("GET", "/configuration/pools/Full")
    assert r.status_code == 200 and set(r.json()) == {"Full"}, r.text


@case("POST /configuration/pools")
def _post_pool(st: Stand) -> None:
    body = {"name": "NewPool", "pooltype": "Backup", "labelformat": "New-"}
    add = _added(st, st.call("POST", "/configuration/pools", json=body), "Pool", "NewPool",
                 "pool")  # fmt: skip
    assert '  LabelFormat = "New-"\n' in add["content"], add


POOL_COLUMNS = [
    "poolid", "name", "numvols", "maxvols", "useonce", "usecatalog", "acceptanyvolume",
    "volretention", "voluseduration", "maxvoljobs", "maxvolbytes", "autoprune", "recycle",
    "pooltype", "labelformat", "enabled", "scratchpoolid", "recyclepoolid", "labeltype",
    "prunablevolumes", "prunablejobs", "prunablebytes",
]  # fmt: skip


@case("GET /control/pools")
def _pools(st: Stand) -> None:
    r = st.call("GET", "/control/pools")
    assert r.status_code == 200, r.text
    pools = r.json()["pools"]
    full = next(p for p in pools if p["name"] == "Full")
    assert list(full) == POOL_COLUMNS and _all_strings(pools), full
    assert full["pooltype"] == "Backup" and int(full["numvols"]) >= 1
    one = st.call("GET", "/control/pools", params={"name": "Full"}).json()
    assert [p["name"] for p in one["pools"]] == ["Full"]


@case("GET /control/pools/{pool_id}")
def _pool(st: Stand) -> None:
    pools = st.call("GET", "/control/pools").json()["pools"]
    full = next(p for p in pools if p["name"] == "Full")
    r = st.call("GET", f"/control/pools/{full['poolid']}")
    assert r.status_code == 200 and r.json()["name"] == "Full", r.text


# -- schedules


@case("GET /configuration/schedules")
def _conf_schedules(st: Stand) -> None:
    r = st.call("GET", "/configuration/schedules")
    assert r.status_code == 200, r.text
    # The Run line as the Director rebuilds it from its date mask ("sun" -> "Sun").
    assert r.json()["schedules"]["WeeklyCycle"] == {
        "name": "WeeklyCycle", "description": "", "run": ["Full Sun at 21:00"],
        "enabled": True}  # fmt: skip


@case("GET /configuration/schedules/{schedules_name}")
def _conf_schedule(st: Stand) -> None:
    r = st.call("GET", "/configuration/schedules/WeeklyCycle")
    assert r.status_code == 200 and set(r.json()) == {"WeeklyCycle"}, r.text


@case("POST /configuration/schedules")
def _post_schedule(st: Stand) -> None:
    # The API sends its field name as the directive ("runCommand=Fulldailyat01:00", spaces
    # stripped): a real Director refuses it, and so the route always answers 500.
    body = {"name": "Nightly", "runCommand": ["Full daily at 01:00"]}
    r = st.call("POST", "/configuration/schedules", json=body)
    assert r.status_code == 500, r.text
    assert 'Resource \\"Schedule\\" does not permit directive \\"runCommand\\".' in r.text, r.text
    assert not (st.tmp / "dir" / "bareos-dir.d" / "schedule" / "Nightly.conf").exists()


def _dot_schedules(st: Stand, which: str) -> list[str]:
    return [s["name"] for s in st.console().call(f".schedule {which}")["schedules"]]


@case("PUT /control/schedules/disable/{schedule_name}")
def _schedule_disable(st: Stand) -> None:
    r = st.call("PUT", "/control/schedules/disable/WeeklyCycle")
    assert r.status_code == 200 and r.json() == {"disable": {"schedules": ["WeeklyCycle"]}}
    assert "WeeklyCycle" in _dot_schedules(st, "disabled")


@case("PUT /control/schedules/enable/{schedule_name}")
def _schedule_enable(st: Stand) -> None:
    r = st.call("PUT", "/control/schedules/enable/WeeklyCycle")
    assert r.status_code == 200 and r.json() == {"enable": {"schedules": ["WeeklyCycle"]}}
    assert "WeeklyCycle" in _dot_schedules(st, "enabled")


# -- storages


@case("GET /configuration/storages")
def _conf_storages(st: Stand) -> None:
    r = st.call("GET", "/configuration/storages")
    assert r.status_code == 200, r.text
    assert r.json()["storages"]["File0"]["port"] == st.lab.sps[0]


@case("GET /configuration/storages/{storages_name}")
def _conf_storage(st: Stand) -> None:
    r = st.call("GET", "/configuration/storages/File0")
    assert r.status_code == 200 and r.json()["File0"]["mediatype"] == "File", r.text


@case("POST /configuration/storage")
def _post_storage(st: Stand) -> None:
    body = {"name": "File9", "address": "127.0.0.1", "password": "sd-secret",
            "device": "FileStorage", "mediatype": "File"}  # fmt: skip
    add = _added(st, st.call("POST", "/configuration/storage", json=body), "Storage", "File9",
                 "storage")  # fmt: skip
    assert '  MediaType = "File"\n' in add["content"] or "  MediaType = File\n" in add["content"]


# -- users, profiles, consoles


@case("GET /configuration/users")
def _conf_users(st: Stand) -> None:
    r = st.call("GET", "/configuration/users")
    assert r.status_code == 200, r.text
    viewer = r.json()["users"]["viewer"]
    assert viewer["profile"] == ["operator"] and viewer["jobacl"] == [], viewer
    assert viewer["description"] == "" and viewer["pluginoptionsacl"] == [], viewer


@case("GET /configuration/users/{users_name}")
def _conf_user(st: Stand) -> None:
    r = st.call("GET", "/configuration/users/viewer")
    assert r.status_code == 200 and set(r.json()) == {"viewer"}, r.text


@case("POST /configuration/users")
def _post_user(st: Stand) -> None:
    body = {"name": "newuser", "profile": ["operator"]}
    _added(st, st.call("POST", "/configuration/users", json=body), "User", "newuser", "user")


@case("GET /configuration/profiles")
def _conf_profiles(st: Stand) -> None:
    r = st.call("GET", "/configuration/profiles")
    assert r.status_code == 200, r.text
    operator = r.json()["profiles"]["operator"]
    assert operator["commandacl"] == ["run", "wait"] and operator["jobacl"] == [ALL], operator
    assert operator["clientacl"] == [] and operator["description"] == "runs jobs", operator


@case("GET /configuration/profiles/{profiles_name}")
def _conf_profile(st: Stand) -> None:
    r = st.call("GET", "/configuration/profiles/operator")
    assert r.status_code == 200 and set(r.json()) == {"operator"}, r.text


@case("POST /configuration/profiles")
def _post_profile(st: Stand) -> None:
    body = {"name": "newprofile", "commandacl": "status,list"}
    add = _added(st, st.call("POST", "/configuration/profiles", json=body), "Profile",
                 "newprofile", "profile")  # fmt: skip
    assert "status,list" in add["content"], add


@case("GET /configuration/consoles")
def _conf_consoles(st: Stand) -> None:
    r = st.call("GET", "/configuration/consoles")
    assert r.status_code == 200, r.text
    consoles = r.json()["consoles"]
    me = consoles[API_USER]
    assert me["commandacl"] == [ALL] and me["password"].startswith("[md5]"), me
    assert me.get("profile", []) == [] and me["usepamauthentication"] is False, me
    assert me["pluginoptionsacl"] == [] and me["tlsenable"] is True, me
    # verbose also lists the console the Director makes for its own password.
    agent = consoles["*UserAgent*"]
    assert agent["description"] == "root console definition", agent
    assert agent["tlsenable"] is True and agent["tlsrequire"] is False, agent
    assert r.json()["totalItems"] == len(consoles) and API_USER in consoles


@case("GET /configuration/consoles/{consoles_name}")
def _conf_console(st: Stand) -> None:
    r = st.call("GET", f"/configuration/consoles/{API_USER}")
    assert r.status_code == 200 and set(r.json()) == {API_USER}, r.text


@case("POST /configuration/consoles")
def _post_console(st: Stand) -> None:
    body = {"name": "newconsole", "password": "newconsole-secret", "profile": ["operator"]}
    add = _added(st, st.call("POST", "/configuration/consoles", json=body), "Console",
                 "newconsole", "console")  # fmt: skip
    assert "newconsole-secret" in add["content"]
    # The new console can log in at once (the Director parsed the file into its config).
    # (its profile allows run and wait only, so not ".api": a plain console, "whoami").
    c = bareos.bsock.DirectorConsole(address="127.0.0.1", port=st.lab.dp, name="newconsole",
                                     password=bareos.bsock.Password("newconsole-secret"))  # fmt: skip
    assert c.call("whoami") == b"newconsole\n"


# ---------------------------------------------------------------- what does not work yet

PENDING: dict[str, str] = {}


def _params() -> list[Any]:
    return [pytest.param(key, marks=pytest.mark.xfail(reason=PENDING[key], strict=True))
            if key in PENDING else key for key in CASES]  # fmt: skip


@pytest.mark.parametrize("route", _params())
def test_route(stand: Stand, route: str) -> None:
    CASES[route](stand)


def test_every_route_is_covered(stand: Stand) -> None:
    routes = _app_routes()
    assert len(routes) == 64
    assert sorted(set(routes) - set(CASES)) == []
    assert sorted(set(CASES) - set(routes)) == []


def test_run_and_restore_through_the_rest_api(stand: Stand) -> None:
    """Backup and restore started only by REST calls; the restored tree equals the source."""
    st = stand
    original = snapshot(st.lab.data)
    r = st.call("POST", "/control/jobs/run", json={"jobControl": {"job": "backup"}})
    assert r.status_code == 200, r.text
    backup = r.json()["jobid"]
    assert st.wait(backup)["JobStatus"] == "T"
    status = st.call("GET", f"/control/jobs/{backup}").json()
    assert status["jobstatus"] == "T", status
    where = st.tmp / "rest-restore"
    ctl = {"client": "fd", "where": str(where), "jobid": backup, "selectAllDone": "yes"}
    r = st.call("POST", "/control/jobs/restore", json={"jobControl": ctl})
    assert r.status_code == 200, r.text
    restore = r.json()["jobid"]
    assert st.wait(restore)["JobStatus"] == "T"
    assert st.call("GET", f"/control/jobs/{restore}").json()["type"] == "R"
    assert snapshot(restored_root(where, st.lab.data)) == original


def test_batch_mode_follows_the_api_mode(stand: Stand) -> None:
    """``.api 2`` sets batch mode (run without "yes" runs); ``.api 0`` clears it again."""
    c = bareos.bsock.DirectorConsole(address="127.0.0.1", port=stand.lab.dp, name=API_USER,
                                     password=bareos.bsock.Password(API_SECRET))  # fmt: skip
    c.call(".api 2")
    c.call(".api 0")
    out = c.call("run job=backup").decode()
    assert "JobName:  backup\n" in out and "Job queued" not in out, out


def test_show_all_in_resource_order(stand: Stand) -> None:
    """``show all`` goes by Bareos's resource codes: JobDefs before Jobs, Users last."""
    c = bareos.bsock.DirectorConsole(address="127.0.0.1", port=stand.lab.dp, name=API_USER,
                                     password=bareos.bsock.Password(API_SECRET))  # fmt: skip
    text = c.call("show all").decode()
    heads = [line for line in text.splitlines() if line.endswith(" {") and line[0].isupper()]
    order = list(dict.fromkeys(h.split()[0] for h in heads))
    assert order[:4] == ["Director", "Client", "JobDefs", "Job"], order
    assert order[-3:] == ["Profile", "Console", "User"], order
    assert "*UserAgent*" not in text  # the Director's own console only with verbose
