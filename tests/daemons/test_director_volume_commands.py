"""delete, update volume, label, relabel, move/export/import against a running lab (real
sockets): the exact JSON-RPC answers and text a console sees, the catalog effects, and the
volume label the Storage daemon writes (ua_cmds.cc, ua_update.cc, ua_label.cc,
ua_impexp.cc; stored/dir_cmd.cc)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import bareos.bsock
import pytest

from daemons.director.catalog.store import Catalog
from daemons.storage.volume import read_label
from tests.daemons.test_e2e_jobs import CONSOLE_SECRET, Lab, build_lab

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore")]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    tmp = tmp_path_factory.mktemp("volcmds")
    lab = build_lab(tmp)
    with lab.running():
        yield lab


def _json(lab: Lab) -> bareos.bsock.DirectorConsoleJson:
    return bareos.bsock.DirectorConsoleJson(address="127.0.0.1", port=lab.dp,
                                            password=CONSOLE_SECRET)  # fmt: skip


def _full(lab: Lab, line: str) -> dict[str, Any]:
    return _json(lab).call_fullresult(line)


def _ok(result: dict[str, Any]) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": None, "result": result}


def _failed(result: dict[str, Any], messages: dict[str, list[str]]) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": None, "error": {
        "code": 1, "message": "failed", "data": {"result": result, "messages": messages}}}  # fmt: skip


def _volumes(lab: Lab) -> Path:
    return lab.root / "volumes0"


def test_label_writes_the_volume_and_creates_the_record(lab: Lab) -> None:
    assert _full(lab, "label volume=Lab-0001 pool=Full storage=File0") == _ok({})
    label = read_label(_volumes(lab) / "Lab-0001")
    assert (label.volume_name, label.media_type) == ("Lab-0001", "File")
    vol = _json(lab).call("llist volume=Lab-0001")["volume"]
    size = (_volumes(lab) / "Lab-0001").stat().st_size
    assert (vol["volumename"], vol["pool"], vol["mediatype"], vol["volstatus"], vol["volbytes"],
            vol["slot"], vol["inchanger"], vol["enabled"]) == (
        "Lab-0001", "Full", "File", "Append", str(size), "0", "0", "1")  # fmt: skip
    # Again: the catalog has it (with bytes), so the Director refuses before asking the SD.
    assert _full(lab, "label volume=Lab-0001 pool=Full storage=File0") == _failed(
        {}, {"error": ['Media record for new Volume "Lab-0001" already exists.\n']})


def test_label_text_mode_shows_the_storage_daemon_dialogue(lab: Lab) -> None:
    c = lab.console()
    out = c.call("label volume=Lab-0002 pool=Full storage=File0 yes").decode()
    # python-bareos stops reading at a "dddd OK" line (the SD's, relayed): read on.
    out += c.recv_msg(regex=rb"(?s).*always mounted\.\n$").decode()
    dev = f'"FileStorage" ({_volumes(lab)})'
    size = (_volumes(lab) / "Lab-0002").stat().st_size
    assert out.endswith(
        f"Connecting to Storage daemon File0 at 127.0.0.1:{lab.sps[0]} ...\n"
        'Sending label command for Volume "Lab-0002" Slot 0 ...\n'
        f'3000 OK label. VolFiles=0 VolBytes={size} Volume="Lab-0002" Device={dev}\n'
        'Catalog record for Volume "Lab-0002", Slot 0 successfully created.\n'
        "Requesting to mount FileStorage ...\n"
        f"3906 File device {dev} is always mounted.\n"), out  # fmt: skip


def test_label_of_a_file_that_is_already_a_volume_fails_at_the_sd(lab: Lab) -> None:
    (_volumes(lab) / "Stray-0001").write_bytes((_volumes(lab) / "Lab-0001").read_bytes())
    assert _full(lab, "label volume=Stray-0001 pool=Full storage=File0") == _failed({}, {
        "error": ["Label command failed for Volume Stray-0001.\n"],
        "info": ["Do not forget to mount the drive!!!\n"]})  # fmt: skip
    assert _json(lab).call("llist volume=Stray-0001") == {"volume": {}}
    assert _full(lab, "label volume=bad*name pool=Full storage=File0") == _failed(
        {}, {"error": ['Illegal character "*" in a volume name.\n']})


def test_update_volume_sets_columns_in_bareos_keyword_order(lab: Lab) -> None:
    _json(lab).call("label volume=Upd-0001 pool=Full storage=File0")
    got = _full(lab, "update volume=Upd-0001 maxvoljobs=7 volstatus=used volretention=31d "
                     "recycle=no maxvolbytes=1k enabled=no")  # fmt: skip
    # A successful JSON answer carries the result only; the info messages show in text mode.
    assert got == _ok({}), got
    out = lab.console().call("update volume=Upd-0001 volstatus=Read-Only maxvoljobs=8").decode()
    assert out.endswith("New Volume status is: Read-Only\nNew max jobs is: 8\n"), out
    vol = _json(lab).call("llist volume=Upd-0001")["volume"]
    assert (vol["volstatus"], vol["maxvoljobs"], vol["volretention"], vol["recycle"],
            vol["maxvolbytes"], vol["enabled"]) == (
        "Read-Only", "8", str(31 * 86400), "0", "1024", "0"), vol  # fmt: skip
    assert _full(lab, "update volume=Upd-0001 volstatus=Purged") == _failed(
        {}, {"error": ["Invalid VolStatus specified: Purged\n"]})
    assert _full(lab, "update volume=Nope-0001 volstatus=Used") == _failed(
        {}, {"error": ['Media record for Volume "Nope-0001" not found.\n']})


def test_relabel_needs_a_recycled_volume_and_replaces_it(lab: Lab) -> None:
    c = _json(lab)
    c.call("label volume=Old-0001 pool=Full storage=File0")
    assert _full(lab, "relabel oldvolume=Old-0001 volume=New-0001 pool=Full storage=File0") == (
        _failed({}, {"error": ['Volume "Old-0001" has VolStatus Append. It must be Purged or '
                               "Recycled before relabeling.\n"]}))  # fmt: skip
    c.call("update volume=Old-0001 volstatus=Recycle")
    assert _full(lab, "relabel oldvolume=Old-0001 volume=New-0001 pool=Full storage=File0") == (
        _ok({}))
    assert c.call("llist volume=Old-0001") == {"volume": {}}
    assert c.call("llist volume=New-0001")["volume"]["volstatus"] == "Append"
    assert read_label(_volumes(lab) / "New-0001").volume_name == "New-0001"
    assert (_volumes(lab) / "Old-0001").stat().st_size == 0  # truncated, as Bareos does


def test_delete_volume_and_jobs(lab: Lab) -> None:
    c = _json(lab)
    c.call("label volume=Doomed-0001 pool=Full storage=File0")
    assert _full(lab, "delete volume=Doomed-0001 yes") == _ok({"deleted": {"volumes": [
        "Doomed-0001"]}})  # fmt: skip
    assert c.call("llist volume=Doomed-0001") == {"volume": {}}
    assert _full(lab, "delete volume=Doomed-0001 yes") == _failed(
        {"deleted": {}}, {"error": ['Media record for Volume "Doomed-0001" not found.\n']})
    job = int(c.call("run job=backup yes")["run"]["jobid"])
    c.call(f"wait jobid={job}")
    assert _full(lab, f"delete jobid={job},{job + 100}-{job + 101}") == _ok(
        {"deleted": {"jobids": [str(job), str(job + 100), str(job + 101)]}})
    assert c.call(f"llist jobid={job}") == {"jobs": {}}
    assert _full(lab, "delete jobid=x,9-3") == _failed({"deleted": {"jobids": []}}, {"error": [
        "Illegal JobId x ignored\n",
        "Illegal JobId range 9 - 3 should define increasing JobIds, ignored\n"]})  # fmt: skip
    text = lab.console().call(f"delete jobid={job + 200}").decode()
    assert text.endswith(f"Jobid {job + 200} and associated records deleted from the catalog.\n")


def test_delete_volume_purges_the_jobs_on_it(tmp_path: Path) -> None:
    cat = Catalog(None)
    rec = cat.create_labelled_media(volume="V-1", pool="Full", media_type="File", storage="F")
    for job in ("a", "b"):
        jid = cat.create_job(job=job, name="backup", type="B", level="F", client="fd",
                             fileset="Data", pool="Full", storage="F", sched_time=0.0)
        cat.create_jobmedia(jid, media_id=rec.media_id, first_index=1, last_index=1)
        cat.add_log(jid, "x")
    assert cat.volume_job_ids(rec.media_id) == [1, 2]
    cat.delete_jobs([1, 2])
    cat.delete_media(rec.media_id)
    assert cat.job(1) is None and cat.logs(2) == [] and cat.media("V-1") is None


@pytest.mark.parametrize("verb,extra", [("move", "srcslots=1 dstslots=2"),
                                        ("export", "srcslots=1"), ("import", "srcslots=1")])  # fmt: skip
def test_slot_commands_without_an_autochanger(lab: Lab, verb: str, extra: str) -> None:
    assert _full(lab, f"{verb} storage=File0 {extra}") == _failed(
        {}, {"warning": ["No slots in changer.\n"]})
    out = lab.console().call(f"{verb} storage=File0 {extra}").decode()
    assert out.endswith(
        f"Connecting to Storage daemon File0 at 127.0.0.1:{lab.sps[0]} ...\n"
        f'3998 Device ""FileStorage" ({_volumes(lab)})" is not an autochanger.\n'
        'Device "FileStorage" has 0 slots.\n'
        "No slots in changer.\n"), out  # fmt: skip
    assert _full(lab, f"{verb} storage=Nope {extra}") == _failed(
        {}, {"error": ['Storage resource "Nope": not found\n']})


def test_bad_numbers_end_with_an_error_and_the_director_answers_on(lab: Lab) -> None:
    assert _full(lab, "delete jobid=1-999999999") == _failed({"deleted": {"jobids": []}}, {
        "error": ["JobId range 1 - 999999999 is larger than this emulator walks (100000 "
                  "JobIds), ignored\n"]})  # fmt: skip
    assert _full(lab, "delete jobid=99999999999999999999") == _failed(
        {"deleted": {"jobids": []}}, {"error": ["Illegal JobId 99999999999999999999 ignored\n"]})
    _json(lab).call("label volume=Num-0001 pool=Full storage=File0")
    assert _full(lab, "update volume=Num-0001 maxvoljobs=99999999999999999999") == _failed(
        {}, {"error": ["Invalid number: 99999999999999999999\n"]})
    assert _full(lab, "update volume=Num-0001 maxvolbytes=99999999999999999999") == _failed(
        {}, {"error": ["Invalid max. bytes specification: 99999999999999999999\n"]})
    assert _full(lab, "update volume=Num-0001 slot=99999999999999999999") == _failed(
        {}, {"error": ["Invalid slot, it must be between 0 and MaxVols=0\n"]})
    assert _json(lab).call("llist volume=Num-0001")["volume"]["maxvoljobs"] == "0"


def test_a_backup_appends_to_a_volume_the_console_labelled(lab: Lab) -> None:
    c = _json(lab)
    for pool in c.call("llist volumes")["volumes"].values():
        for vol in pool:
            if vol["volstatus"] == "Append":
                c.call(f"update volume={vol['volumename']} volstatus=Used")
    c.call("label volume=Next-0001 pool=Full storage=File0")
    path = _volumes(lab) / "Next-0001"
    labelled = path.stat().st_size
    job = int(c.call("run job=backup yes")["run"]["jobid"])
    assert c.call(f"wait jobid={job}")["Job"]["JobStatus"] == "T"
    assert c.call(f"list volumes jobid={job}")["volumes"] == [{"volumename": "Next-0001"}]
    assert path.stat().st_size > labelled
    assert read_label(path).volume_name == "Next-0001"  # the label is still the head
    vol = c.call("llist volume=Next-0001")["volume"]
    assert vol["voljobs"] == "1" and int(vol["volbytes"]) > labelled, vol


def test_delete_volume_asks_in_text_mode(lab: Lab) -> None:
    c = _json(lab)
    c.call("label volume=Ask-0001 pool=Full storage=File0")
    con = lab.console()
    asked = con.call("delete volume=Ask-0001").decode()
    assert asked.endswith("\nThis command will delete volume Ask-0001\nand all Jobs saved on that "
                          'volume from the Catalog\nAre you sure you want to delete Volume '
                          '"Ask-0001"? (yes/no): '), asked  # fmt: skip
    again = con.call("maybe").decode()
    assert again == ("Invalid response. You must answer YES or NO.\n"
                     'Are you sure you want to delete Volume "Ask-0001"? (yes/no): '), again
    assert con.call("no").decode() == ""
    assert c.call("llist volume=Ask-0001")["volume"]["volumename"] == "Ask-0001"
    con.call("delete volume=Ask-0001")
    assert con.call("YES").decode() == "Volume Ask-0001 deleted.\n"
    assert c.call("llist volume=Ask-0001") == {"volume": {}}
