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
import stat
from pathlib import Path
from typing import Any

import pytest

from bareosnet.proto.cram import password_key
from bareosnet.tls.settings import TlsSettings
from daemons.tools.console import ConsoleSession, login
from tests.daemons.conftest import write_config
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
    dir_leaf, console_leaf = pki.leaf("bareos-dir"), pki.leaf(WEBUI)
    # The Director gets a certificate: a console without PSK (PHP has none) gets cert TLS.
    conf = tmp / "dir" / "bareos-dir.d" / "director" / "bareos-dir.conf"
    body = conf.read_text().rstrip().removesuffix("}")
    conf.write_text(body + f'  TLS Certificate = "{dir_leaf.cert}"\n  TLS Key = "{dir_leaf.key}"\n'
                    f'  TLS CA Certificate File = "{pki.ca_file}"\n}}\n')  # fmt: skip
    acls = {k: ALL for k in ("Command ACL", "Job ACL", "Client ACL", "Storage ACL", "Pool ACL",
                             "FileSet ACL", "Catalog ACL", "Schedule ACL", "Where ACL")}  # fmt: skip
    write_config(tmp / "dir", "bareos-dir.d", [("Console", {"Name": WEBUI,
                                                "Password": WEBUI_SECRET, **acls})])  # fmt: skip
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
