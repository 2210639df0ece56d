"""bareos-webui's console commands, replayed against bareos-dir-emu as the webui sends them.

No PHP here (see docs/webui-commands.md: the command table, and why replaying): the test
logs in as the named console ``webui`` over certificate TLS (the Director has a
certificate, the console verifies it, no PSK), switches to ``.api 2`` and sends the
command strings of the webui's models (``module/*/Model/*Model.php``) and of its
BSock ``restore()``, asserting on the JSON keys and values the PHP reads.  The shapes
are the real Director's (``dird/ua_dotcmds.cc``: BvfsResultHandler, BvfsStat), not what
the PHP happens to accept: ids are JSON numbers, ``.bvfs_get_jobids`` ids strings.

The restore browser runs end to end: a backup, ``.bvfs_get_jobids``, ``.bvfs_update``,
browsing down from the root by PathId, ``.bvfs_versions`` of one file, a selection of one
directory (dirid) and one file (fileid) by ``.bvfs_restore``, ``restore file=?b2<n>`` in
``.api 0``, ``.bvfs_cleanup``; the restored tree equals the selected part of the source.
"""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path
from typing import Any

import pytest
import trio

from bareosnet.proto.cram import password_key
from bareosnet.tls.settings import TlsSettings
from daemons.tools.console import ConsoleSession, login
from tests.daemons.conftest import Bare, write_config
from tests.daemons.test_e2e_jobs import build_lab, restored_root, snapshot
from tests.tls.pki import make_pki

pytestmark = pytest.mark.slow

WEBUI = "webui"
WEBUI_SECRET = "webui-console-secret"
ALL = "*all*"


def _webui_lab(tmp: Path) -> tuple[Any, TlsSettings]:
    lab = build_lab(tmp)
    (tmp / "webui-pki").mkdir()
    pki = make_pki(tmp / "webui-pki")
    dir_leaf, console_leaf = pki.leaf("bareos-dir", "bareos-dir", "localhost"), pki.leaf(WEBUI)
    # The Director gets a certificate: a console without PSK (PHP has none) gets cert TLS.
    conf = tmp / "dir" / "bareos-dir.d" / "director" / "bareos-dir.conf"
    body = conf.read_text().rstrip().removesuffix("}")
    conf.write_text(body + f'  TLS Certificate = "{dir_leaf.cert}"\n  TLS Key = "{dir_leaf.key}"\n'
                    f'  TLS CA Certificate File = "{pki.ca_file}"\n}}\n')  # fmt: skip
    acls = {k: ALL for k in ("Command ACL", "Job ACL", "Client ACL", "Storage ACL", "Pool ACL",
                             "FileSet ACL", "Catalog ACL", "Schedule ACL", "Where ACL")}  # fmt: skip
    write_config(tmp / "dir", "bareos-dir.d", [
        ("Console", {"Name": WEBUI, "Password": WEBUI_SECRET, **acls}),
        ("JobDefs", {"Name": "DefaultJob", "Type": Bare("Backup"), "Level": Bare("Incremental"),
                     "Client": "fd", "FileSet": "Data", "Storage": "File0", "Pool": "Full",
                     "Messages": "Standard"}),
        ("Schedule", {"Name": "WeeklyCycle", "Run": Bare("Full sun at 21:00")}),
        # As Bareos's default "Standard": the job log goes to the catalog too (list joblog,
        # list log).
        ("Messages", {"Name": "Standard", "Console": Bare("all, !skipped, !saved"),
                      "Catalog": Bare("all, !skipped, !saved, !audit")}),
    ])  # fmt: skip
    tls = TlsSettings(certificate=console_leaf.cert, key=console_leaf.key,
                      ca_certificate_file=pki.ca_file, verify_peer=True,
                      allowed_cns=("bareos-dir",))  # fmt: skip
    return lab, tls


async def _json(c: ConsoleSession, cmd: str) -> dict[str, Any]:
    text = await c.call(cmd, timeout=30)
    return json.loads(text)


async def _result(c: ConsoleSession, cmd: str) -> dict[str, Any]:
    msg = await _json(c, cmd)
    assert "result" in msg, (cmd, msg)
    return msg["result"]


def _by_name(entries: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {e["Name"]: e for e in entries}


async def _lsdirs(c: ConsoleSession, ids: str, pathid: int | None) -> list[dict[str, Any]]:
    # RestoreModel::getDirectories: path= for the root, pathid= below; "." and ".." dropped.
    where = "path=" if pathid is None else f"pathid={pathid}"
    res = await _result(c, f".bvfs_lsdirs jobid={ids} {where} limit=1000 offset=0")
    return res["directories"]


async def test_webui_restore_browser_end_to_end(tmp_path: Path) -> None:
    lab, tls = _webui_lab(tmp_path)
    data = lab.data
    with lab.running():
        c = await login("127.0.0.1", lab.dp, name=WEBUI, key=password_key(WEBUI_SECRET), tls=tls)
        try:
            info = c.info
            assert info.tls_version == "TLSv1.3" and not info.psk_used, info
            await c.call(".api 2")
            run = await _result(c, 'run job="backup" yes')
            job_id = int(run["run"]["jobid"])
            wait = await _json(c, f"wait jobid={job_id}")
            assert "result" in wait, wait

            # RestoreModel::getJobIds (mergefilesets=1): ids are strings, joined by ","
            got = await _result(c, f".bvfs_get_jobids jobid={job_id} all")
            assert got == {"jobids": [{"id": str(job_id)}]}
            ids = ",".join(j["id"] for j in got["jobids"])
            assert await _result(c, f".bvfs_update jobid={ids}") == {}

            # The root "" holds "." and "/" (no ".." at the root); then down by PathId.
            root = await _lsdirs(c, ids, None)
            assert [d["Name"] for d in root] == [".", "/"]
            assert root[0]["Fullpath"] == "." and root[0]["JobId"] == 0
            assert root[0]["lstat"] == "A A A A A A A A A A A A A A"
            entry = root[1]
            parts = [p + "/" for p in str(data).strip("/").split("/")]
            for part in parts:
                listed = await _lsdirs(c, ids, entry["PathId"])
                assert listed[0]["Name"] == "." and listed[0]["PathId"] == entry["PathId"]
                assert listed[1]["Name"] == ".."
                entry = _by_name(listed)[part]
            data_dir = entry
            assert data_dir["Type"] == "D" and data_dir["Fullpath"] == f"{data}/"
            assert data_dir["JobId"] == job_id and data_dir["FileId"] > 0
            assert stat.S_ISDIR(data_dir["stat"]["mode"])
            assert set(data_dir) == {"Type", "PathId", "FileId", "JobId", "lstat", "Name",
                                     "Fullpath", "stat", "LinkFileIndex"}  # fmt: skip
            subdirs = [d["Name"] for d in await _lsdirs(c, ids, data_dir["PathId"])][2:]
            assert subdirs == ["deep/", "dir with spaces/", "empty dir/", "ünïcödé/"]

            # RestoreModel::getFiles
            res = await _result(c, f".bvfs_lsfiles jobid={ids} pathid={data_dir['PathId']} "
                                   "limit=1000 offset=0")  # fmt: skip
            files = _by_name(res["files"])
            assert sorted(files) == ["empty.txt", "run.sh", "top.txt"]
            top = files["top.txt"]
            assert set(top) == {"Type", "PathId", "FileId", "JobId", "lstat", "Name", "stat",
                                "LinkFileIndex"}  # fmt: skip
            assert top["Type"] == "F" and top["PathId"] == data_dir["PathId"]
            assert top["JobId"] == job_id and top["stat"]["size"] == len("top level\n")
            st = (data / "top.txt").stat()
            assert (top["stat"]["mtime"], top["stat"]["uid"]) == (int(st.st_mtime), st.st_uid)
            assert stat.S_IMODE(files["run.sh"]["stat"]["mode"]) == 0o755
            # The next page is empty: the webui's paging loop ends.
            more = await _result(c, f".bvfs_lsfiles jobid={ids} pathid={data_dir['PathId']} "
                                    "limit=1000 offset=1000")  # fmt: skip
            assert more == {"files": []}

            # RestoreModel::getFileVersions
            res = await _result(c, f".bvfs_versions jobid=0 client=fd pathid={data_dir['PathId']} "
                                   'fname="top.txt"')  # fmt: skip
            (version,) = res["versions"]
            assert version["Type"] == "V" and version["FileId"] == top["FileId"]
            assert version["VolumeName"].startswith("Full-") and version["MD5"]
            assert version["stat"]["size"] == top["stat"]["size"]

            # BareosBSock::restore(): .api 0, .bvfs_restore, restore file=?b2..., .bvfs_cleanup
            spaces = _by_name(await _lsdirs(c, ids, data_dir["PathId"]))["dir with spaces/"]
            where = tmp_path / "webui-restore"
            await c.call(".api 0")
            ok = await c.call(f".bvfs_restore jobid={ids} fileid={top['FileId']} "
                              f"dirid={spaces['PathId']} path=b2000123")  # fmt: skip
            assert ok == "OK\n"
            out = await c.call('restore file=?b2000123 client="fd" restoreclient="fd" '
                               f'restorejob="RestoreFiles" where="{where}" replace="always" yes')
            assert "Job queued. JobId=" in out, out
            restore_id = int(out.rsplit("JobId=", 1)[1].split()[0])
            assert await c.call(".bvfs_cleanup path=b2000123") == ""
            await c.call(".api 2")
            assert "result" in await _json(c, f"wait jobid={restore_id}")
            job = await _result(c, f"llist jobid={restore_id}")
            assert job["jobs"][0]["jobstatus"] == "T", job
        finally:
            await c.close()

    want = {k: v for k, v in snapshot(data).items()
            if k == "top.txt" or k.startswith("dir with spaces")}  # fmt: skip
    assert snapshot(restored_root(where, data)) == want


# ---------------------------------------------------------------- every other webui command
#
# One case per command string of the webui's models, with the placeholders filled from the
# lab ({jobid}: the fixture's backup, {volume}: its volume).  ``api`` is the mode the PHP
# sends it in (send_command($cmd, 2) / call_json: JSON; send_command($cmd, 0): text shown as
# is).  ``check`` asserts on what the PHP reads of the JSON result.  A command the emulator
# does not answer as the real Director yet is in PENDING with the reason (strict xfail).

# Keys the webui's job tables read of every job row (llist jobs, llist jobid=, ...); the real
# Director's rows are SQL rows: every value a string.
JOB_KEYS = {"jobid", "job", "name", "type", "level", "client", "jobstatus", "starttime",
            "endtime", "jobfiles", "jobbytes", "joberrors"}  # fmt: skip


def _jobs(res: dict[str, Any], key: str = "jobs") -> list[dict[str, Any]]:
    rows = res[key]
    assert isinstance(rows, list) and rows, res
    for row in rows:
        assert JOB_KEYS <= set(row), set(row)
        assert all(isinstance(row[k], str) for k in JOB_KEYS), row
    return rows


def _paged(res: dict[str, Any], key: str) -> bool:
    # The PHP pages with limit/offset until a page is empty AND meta.range.filtered === 0.
    assert isinstance(res[key], list) and res[key], res
    assert isinstance(res["meta"]["range"]["filtered"], int), res
    return True


def _names_of(res: dict[str, Any], key: str) -> list[str]:
    return [r["name"] for r in res[key]]


Check = Any
WEBUI_JSON: dict[str, Check] = {
    # DirectorModel (login: AuthController) and the dashboard
    ".help": lambda r, st: r[".help"]["permission"] is True and r["llist"]["permission"],
    "version": lambda r, st: r["version"]["version"].split(".")[0] == "26",
    "status subscriptions": lambda r, st: list(r) == ["version", "os", "binary-info",
                                                     "report-time", "unit-detail",
                                                     "unit-summary", "checksum"],
    "list log limit=10 reverse": lambda r, st: [set(x) for x in r["log"]] == [
        {"logid", "jobname", "clientname", "time", "logtext"}] * len(r["log"]) != [],
    # JobModel
    "llist jobs limit=1000 offset=0": lambda r, st: (_jobs(r), _paged(r, "jobs")),
    'llist jobs jobname="backup" days=7 limit=1000 offset=0': lambda r, st: (_jobs(r), _paged(r, "jobs")),
    "llist jobs jobstatus=T days=7 limit=1000 offset=0": lambda r, st: (_jobs(r), _paged(r, "jobs")),
    "llist jobs jobstatus=T hours=24 limit=1000 offset=0": lambda r, st: (_jobs(r), _paged(r, "jobs")),
    "llist jobs jobtype=B days=7": lambda r, st: _jobs(r),
    'llist jobs client="fd" days=7': lambda r, st: _jobs(r),
    "llist jobid={jobid}": lambda r, st: _jobs(r)[0]["jobid"] == str(st["jobid"]),
    "list joblog jobid={jobid} limit=1000 offset=0": lambda r, st: _paged(r, "joblog"),
    "list volumes jobid={jobid}": lambda r, st: r["volumes"][0]["volumename"] == st["volume"],
    ".jobs": lambda r, st: {"backup", "RestoreFiles"} <= set(_names_of(r, "jobs")),
    '.jobs type="B"': lambda r, st: "RestoreFiles" not in _names_of(r, "jobs"),
    ".jobs type=R": lambda r, st: _names_of(r, "jobs") == ["RestoreFiles"],
    "llist jobs last current enabled": lambda r, st: _jobs(r),
    "list jobtotals": lambda r, st: (r["jobs"], r["jobtotals"]["jobs"]),
    # No Storage collects statistics (Collect Statistics = no, Bareos's default): no samples.
    "list jobstatistics jobid={jobid}": lambda r, st: r == {"jobstats": []},
    # A short "list jobs" row has fewer columns (dml/0006_list_jobs) than JOB_KEYS; the PHP
    # reads jobbytes only.
    "list jobs jobname=backup client=fd jobstatus=T joblevel=F last":
        lambda r, st: len(r["jobs"]) == 1 and int(r["jobs"][0]["jobbytes"]) > 0,
    '.defaults job="backup"': lambda r, st: r["defaults"]["client"] == "fd",
    '.defaults job="RestoreFiles"':
        lambda r, st: (r["defaults"]["type"], r["defaults"]["replace"]) == ("Restore", "Always"),
    # ClientModel
    "llist clients current": lambda r, st: r["clients"][0]["name"],
    ".clients": lambda r, st: "fd" in _names_of(r, "clients"),
    "list clients": lambda r, st: r["clients"][0]["name"],
    'llist client="fd"': lambda r, st: r["clients"][0]["name"] == "fd",
    'llist backups client="fd" fileset="Data" order=desc limit=10':
        lambda r, st: _jobs(r, "backups"),
    'llist jobs client="fd" fileset="Data" order=desc limit=10': lambda r, st: _jobs(r),
    # FilesetModel, ScheduleModel, Analytics
    "list filesets": lambda r, st: r["filesets"][0]["fileset"] == "Data",
    "llist fileset filesetid=1": lambda r, st: [(f["filesetid"], f["fileset"]) for f in
                                                r["filesets"]] == [("1", "Data")],
    ".filesets": lambda r, st: _names_of(r, "filesets") == ["Data"],
    ".schedule": lambda r, st: r["schedules"] == [{"name": "WeeklyCycle", "enabled": True}],
    "show clients": lambda r, st: "fd" in r["clients"],
    "show jobs": lambda r, st: "backup" in r["jobs"],
    "show jobdefs": lambda r, st: "DefaultJob" in r["jobdefs"],
    "show fileset": lambda r, st: "Data" in r["filesets"],
    "show schedules": lambda r, st: "WeeklyCycle" in r["schedules"],
    # MediaModel, PoolModel, StorageModel
    "llist volumes all limit=1000 offset=0": lambda r, st: _paged(r, "volumes"),
    'llist volume="{volume}"': lambda r, st: r["volume"]["volumename"] == st["volume"],
    'llist jobs volume="{volume}"': lambda r, st: _jobs(r),
    "llist pools": lambda r, st: "Full" in [p["name"] for p in r["pools"]],
    ".pools": lambda r, st: "Full" in _names_of(r, "pools"),
    '.pools type="Backup"': lambda r, st: "Full" in _names_of(r, "pools"),
    'llist pool="Full"': lambda r, st: r["pools"][0]["name"] == "Full",
    'llist media pool="Full" limit=1000 offset=0': lambda r, st: _paged(r, "volumes"),
    "list storages": lambda r, st: r["storages"][0]["name"],
}  # fmt: skip

# Commands the webui sends in .api 0 and shows as text (no JSON read).
WEBUI_TEXT = [
    'status client="fd"', "status director", 'show pool="Full"', "show schedule",
    "status scheduler", 'status storage="File0"', "show client=fd",
    'enable client="fd" yes', 'disable client="fd" yes', 'enable client="fd" yes',
    'disable job="backup" yes', 'enable job="backup" yes', "rerun jobid={jobid} yes",
    "cancel jobid={jobid} yes",
]  # fmt: skip

# What the emulated Director does not answer as the real one yet (not strict: an XPASS
# says a case can leave this table).
_LISTINGS = "list/llist variant not emulated as the real Director answers it yet"
PENDING: dict[str, str] = {
}


@pytest.fixture(scope="module")
def webui_stand(tmp_path_factory: pytest.TempPathFactory) -> Any:
    tmp = tmp_path_factory.mktemp("webui")
    lab, tls = _webui_lab(tmp)
    with lab.running():
        # A sync module fixture: its one backup runs in a trio loop of its own.
        yield lab, tls, trio.run(_one_backup, lab, tls)


async def _one_backup(lab: Any, tls: TlsSettings) -> dict[str, Any]:
    c = await _webui_login(lab, tls)
    try:
        out = await c.call("run job=backup yes")
        job_id = int(out.rsplit("JobId=", 1)[1].split()[0])
        await c.call(f"wait jobid={job_id}")
        volume = await c.call(f"list volumes jobid={job_id}")
    finally:
        await c.close()
    return {"jobid": job_id, "volume": _volume_of(volume)}


def _volume_of(listing: str) -> str:
    for word in listing.replace("|", " ").split():
        if word.startswith("Full-"):
            return word
    raise AssertionError(listing)


def _case(key: str) -> Any:
    marks = [pytest.mark.xfail(reason=PENDING[key], strict=False)] if key in PENDING else []
    return pytest.param(key, marks=marks, id=key)


async def _webui_login(lab: Any, tls: TlsSettings) -> ConsoleSession:
    return await login("127.0.0.1", lab.dp, name=WEBUI, key=password_key(WEBUI_SECRET), tls=tls)


async def test_webui_login_sequence(webui_stand: Any) -> None:
    """AuthController: .api 2 compact=yes from text mode, version, .help, use catalog=."""
    lab, tls, _ = webui_stand
    c = await _webui_login(lab, tls)
    try:
        answer = await c.call(".api 2 compact=yes")
        assert answer == '{"jsonrpc":"2.0","id":null,"result":{"api":2}}'
        assert (await _result(c, "version"))["version"]["version"].startswith("26.")
        commands = await _result(c, ".help")
        assert commands[".help"] == {"command": ".help", "permission": True,
                                     "description": "Print parsable information about a command",
                                     "arguments": "[ all | item=cmd | full ]"}  # fmt: skip
        assert await _result(c, "use catalog=MyCatalog") == {}
        await c.call(".api 0")
        # use_cmd closes the catalog connections and opens one again (checked against a real
        # Director: both lines, every time).
        assert await c.call("use catalog=MyCatalog") == ('Using Catalog "MyCatalog"\n'
                                                        "Using Catalog name=MyCatalog DB=bareos\n")  # fmt: skip
    finally:
        await c.close()


@pytest.mark.parametrize("template", [_case(k) for k in WEBUI_JSON])
async def test_webui_json_command(webui_stand: Any, template: str) -> None:
    lab, tls, st = webui_stand
    c = await _webui_login(lab, tls)
    try:
        await c.call(".api 2 compact=yes")
        res = await _result(c, template.format(**st))
        assert WEBUI_JSON[template](res, st), res
    finally:
        await c.close()


@pytest.mark.parametrize("template", [_case(k) for k in dict.fromkeys(WEBUI_TEXT)])
async def test_webui_text_command(webui_stand: Any, template: str) -> None:
    lab, tls, st = webui_stand
    c = await _webui_login(lab, tls)
    try:
        await c.call(".api 0")
        out = await c.call(template.format(**st))
        assert out and "not supported by this emulator" not in out, out
        assert "is an invalid command" not in out, out
    finally:
        await c.close()


async def test_paged_listings_carry_meta_range(webui_stand: Any) -> None:
    """output_formatter.cc: a listing with limit= (offset= only with it) gets
    ``meta.range`` {limit, offset, filtered}; the webui pages until a page is empty and
    ``filtered`` is 0, so the page after the last must say so."""
    lab, tls, st = webui_stand
    c = await _webui_login(lab, tls)
    try:
        await c.call("wait")  # jobs other cases started would add log lines meanwhile
        await c.call(".api 2 compact=yes")
        first = await _result(c, "llist jobs limit=1 offset=0")
        assert len(first["jobs"]) == 1 and first["jobs"][0]["jobid"] == str(st["jobid"])
        assert first["meta"] == {"range": {"limit": 1, "offset": 0, "filtered": 0}}
        past = await _result(c, "llist jobs limit=1 offset=1000")
        assert past == {"jobs": [], "meta": {"range": {"limit": 1, "offset": 1000, "filtered": 0}}}
        log = await _result(c, f"list joblog jobid={st['jobid']} limit=2 offset=1")
        everything = await _result(c, f"list joblog jobid={st['jobid']}")
        assert "meta" not in everything  # no filter, no meta
        assert log == {"joblog": everything["joblog"][1:3],
                       "meta": {"range": {"limit": 2, "offset": 1, "filtered": 0}}}  # fmt: skip
        # offset without limit is ignored, as Bareos does
        assert await _result(c, "llist volumes all offset=5") == await _result(c, "llist volumes all")
        newest = await _result(c, "list log limit=3 reverse")
        assert newest["meta"] == {"range": {"limit": 3, "filtered": 0}}
        oldest_first = (await _result(c, "list log limit=3"))["log"]
        assert newest["log"] == oldest_first[::-1] and len(oldest_first) == 3
        ids = [int(row["logid"]) for row in oldest_first]
        assert ids == sorted(ids), ids
        mine = (await _result(c, "list log client=fd limit=1000"))["log"]
        assert everything["joblog"][-1]["logtext"] in [r["logtext"] for r in mine
                                                       if r["jobname"] == "backup"]  # fmt: skip
        assert {r["clientname"] for r in mine} == {"fd"}
        assert len((await _result(c, "list log"))["log"]) == 5  # Bareos's default: 5 lines
    finally:
        await c.close()


async def test_fileset_and_jobstatistics_listings(webui_stand: Any) -> None:
    """``llist fileset jobid=|filesetid=`` (ListFilesets), ``list jobstatistics jobid=``:
    the real Director's keys and errors (ua_output.cc)."""
    lab, tls, st = webui_stand
    c = await _webui_login(lab, tls)
    try:
        await c.call(".api 2 compact=yes")
        by_job = (await _result(c, f"llist fileset jobid={st['jobid']}"))["filesets"]
        assert [list(f) for f in by_job] == [["filesetid", "fileset", "md5", "createtime",
                                              "filesettext"]]  # fmt: skip
        assert by_job[0]["fileset"] == "Data"
        assert await _result(c, "list fileset filesetid=99") == {"filesets": []}
        bad = json.loads(await c.call("list fileset"))
        assert bad["error"]["data"]["messages"] == {"error": [
            "jobid not found in db, access to job or client denied by ACL, or client not found "
            "in db or missing filesetid\n"]}  # fmt: skip
        bad = json.loads(await c.call("list jobstats jobid=99999"))
        assert bad["error"]["data"]["messages"] == {"error": ["no jobid given\n"]}
    finally:
        await c.close()


async def test_status_subscriptions_counts_units(webui_stand: Any) -> None:
    """ua_status.cc DoSubscriptionStatus with dml/0080..0082: the newest good Full of each
    client and FileSet, a file-data client counting one unit."""
    lab, tls, st = webui_stand
    c = await _webui_login(lab, tls)
    try:
        await c.call("wait")
        await c.call(".api 2 compact=yes")
        res = await _result(c, "status subscriptions")
        assert res["version"].startswith("26.") and res["report-time"][:2] == "20"
        detail = res["unit-detail"]
        assert [(r["client"], r["plugin"], r["count"]) for r in detail] == [
            ("fd", "none (file data)", "1"), ("TOTAL", None, "1")]  # fmt: skip
        assert detail[0]["size_gb"] == detail[1]["size_gb"] == "0.00"
        assert res["unit-summary"] == {
            # CEIL of any size above 0 TB is 1: one volume-based unit >= one client.
            "accounting_mode": "volume-based (1 volume-based units >= 1 count-based units)",
            "used": "1",
            "configured": "0", "remaining": "-1"}  # fmt: skip
        assert re.fullmatch(r"\{SHA256\}[0-9a-f]{2}[0-9a-f]{31,62}", res["checksum"]), res
        clients = await _result(c, "status subscriptions clients")
        assert list(clients) == ["unit-clients", "unit-summary", "checksum"]
        assert clients["unit-clients"] == [{"client": "fd", "count": "1", "size_gb": "0.00"}]
        one = await _result(c, "status subscriptions client=fd")
        assert one == {"unit-detail": [{"client": "fd", "plugin": "none (file data)",
                                        "count": "1", "size_gb": "0.00"}]}  # fmt: skip
    finally:
        await c.close()
