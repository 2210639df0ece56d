"""File daemon: accurate options and FileSet items it expands, driven as a Director would."""

from __future__ import annotations

import base64
import hashlib
import os
import time
from pathlib import Path

import trio

from bareosnet.proto.attributes import AttributeRecord, FileType, Stat, encode_stat
from bareosnet.proto.signals import Signal
from daemons.filedaemon.fileset_items import job_codes
from tests.daemons.test_fd_jobs_support import Director, MemorySD, running_fd

KEY = "OJFA-AMKE-FKLC-BOAH-FGCN-AOMI-EJEI-BFLB"
JOB = "backup-lab.2026-11-27_01.11.58_04"


def lstat_of(path: Path, **changes: int) -> str:
    st = os.stat(path)
    fields = dict(size=st.st_size, mtime=int(st.st_mtime), ctime=int(st.st_ctime),
                  mode=st.st_mode, ino=st.st_ino)  # fmt: skip
    fields.update(changes)
    return encode_stat(Stat(**fields))


def md5_text(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode().rstrip("=")


async def _incremental(root: Path, listed: list[str], options: str, paths: list[str] | None = None):  # type: ignore[no-untyped-def]
    sd = MemorySD(KEY.encode(), JOB)
    async with running_fd() as (_, port), trio.open_nursery() as nursery:
        sd_port = await sd.listen(nursery)
        d = await Director.connect(port)
        await d.job(JOB, KEY)
        await d.send("level = accurate_incremental  mtime_only=0 \n")
        await d.send(f"level = since_utime 0 mtime_only=0 prev_job={JOB}\n")
        for _ in range(10):
            assert await d.recv() == Signal.BTIME
            await d.send(f"btime {time.time_ns() // 1000}\n")
        assert await d.recv() == Signal.EOD
        assert await d.reply() == b"2000 OK level\n"
        await d.send(f"accurate files={len(listed)}\n")
        for entry in listed:
            await d.send(entry)
        await d.signal(Signal.EOD)
        fileset_reply = await d.fileset(paths or [str(root)], options)
        await d.send(f"storage address=127.0.0.1 port={sd_port} ssl=0\n")
        await d.reply()
        await d.send("backup FileIndex=0\n")
        await d.reply()
        await d.until_terminate()
        tail = [p for p in d.received if isinstance(p, bytes)]  # every packet, messages too
        nursery.cancel_scope.cancel()
    recs = [AttributeRecord.parse(r.data) for r in sd.records if r.stream == 1]
    got = {r.fname.replace(str(root), ""): r.file_type for r in recs}
    return got, tail, fileset_reply


async def test_accurate_letters_of_the_fileset_decide(tmp_path: Path) -> None:
    root = tmp_path / "data"
    root.mkdir()
    for name in ("touched", "grown", "same"):
        (root / name).write_text(f"{name}\n")
    listed = [
        # mtime differs, size equal: unchanged for "Accurate = s"
        f"{root}/touched\0{lstat_of(root / 'touched', mtime=1_600_000_000)}\0\0" + "0",
        f"{root}/grown\0{lstat_of(root / 'grown', size=1)}\0\0" + "0",
        f"{root}/same\0{lstat_of(root / 'same')}\0\0" + "0",
        f"{root}/\0{lstat_of(root)}\0\0" + "0",
    ]
    got, _, _ = await _incremental(root, listed, "MHAXCs:")
    assert got == {"/grown": FileType.REG}
    # The default (mcs) sees the touched file.
    got, _, _ = await _incremental(root, listed, "MHAX")
    assert got == {"/grown": FileType.REG, "/touched": FileType.REG}


async def test_accurate_checksum_option_compares_the_listed_digest(tmp_path: Path) -> None:
    root = tmp_path / "data"
    root.mkdir()
    (root / "kept").write_bytes(b"same bytes\n")
    (root / "rewritten").write_bytes(b"new bytes!\n")  # same size and times as listed
    (root / "nodigest").write_bytes(b"x\n")
    listed = [
        f"{root}/kept\0{lstat_of(root / 'kept')}\0{md5_text(b'same bytes' + b'\n')}\0" + "0",
        f"{root}/rewritten\0{lstat_of(root / 'rewritten')}\0{md5_text(b'old bytes!' + b'\n')}\0"
        + "0",
        f"{root}/nodigest\0{lstat_of(root / 'nodigest')}\0\0" + "0",
        f"{root}/\0{lstat_of(root)}\0\0" + "0",
    ]
    got, tail, _ = await _incremental(root, listed, "MHAXCmcs5:")
    assert got == {"/rewritten": FileType.REG, "/nodigest": FileType.REG}
    warnings = b"".join(t for t in tail if isinstance(t, bytes))
    assert f"Warning: Cannot verify checksum for {root}/nodigest".encode() in warnings


async def test_program_and_file_items_are_expanded_on_the_client(tmp_path: Path) -> None:
    root = tmp_path / "data"
    root.mkdir()
    for name in ("a.txt", "b.txt", "c.txt"):
        (root / name).write_text(name)
    listing = tmp_path / "list"
    listing.write_text(f"{root}/c.txt  \n")
    items = [f"|sh -c 'echo {root}/a.txt; echo {root}/b.txt'", f"<{listing}"]
    got, tail, reply = await _incremental(root, [], "MHAX", items)
    assert reply == b"2000 OK include\n"
    assert got == {"/a.txt": FileType.REG, "/b.txt": FileType.REG, "/c.txt": FileType.REG}
    # A failing program is a fatal job error with Bareos's text; the fileset is acknowledged.
    got, tail, reply = await _incremental(root, [], "MHAX", ["|false", f"{root}/a.txt"])
    assert reply == b"2000 OK include\n"
    messages = b"".join(t for t in tail if isinstance(t, bytes))
    assert b"Fatal error: Error running program: false. status=1: " in messages, messages
    got, tail, _ = await _incremental(root, [], "MHAX", [f"<{tmp_path}/missing"])
    messages = b"".join(t for t in tail if isinstance(t, bytes))
    assert (
        f"Cannot open FileSet input file: {tmp_path}/missing. ERR=No such file".encode() in messages
    )


def test_job_codes() -> None:
    assert job_codes("find %j %i %c 100%%", job_id=7, job="j1", client="fd") == "find j1 7 fd 100%"
