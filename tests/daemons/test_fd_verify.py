"""The File daemon's ``verify level=...`` in-process: the packets the Director receives."""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

from bareosnet.proto.attributes import Stat, decode_stat
from bareosnet.proto.signals import Signal
from tests.daemons.test_fd_jobs_support import Director, running_fd

JOB = "verify-lab.2026-12-04_22.00.00_09"


async def verify(port: int, paths: list[str], level: str, options: str) -> list[bytes | Signal]:
    d = await Director.connect(port)
    assert (await d.job(JOB, "dummy", ssl=254)).startswith(b"2000 OK Job ")
    assert await d.fileset(paths, options) == b"2000 OK include\n"
    await d.send(f"verify level={level}\n")
    assert await d.reply() == b"2000 OK verify\n"
    tail = await d.until_terminate()
    await d.aclose()
    return tail


async def test_disk_to_catalog_sends_verify_attributes_and_digests(tmp_path: Path) -> None:
    top = tmp_path / "tree"
    (top / "sub").mkdir(parents=True)
    (top / "sub" / "a.txt").write_bytes(b"alpha\n")
    os.symlink("sub/a.txt", top / "link")
    async with running_fd() as (_daemon, port):
        tail = await verify(port, [str(top)], "disk_to_catalog", "MVpins5:")
    packets = [p for p in tail if isinstance(p, bytes) and not p.startswith(b"Jmsg")]
    eod = tail.index(Signal.EOD)
    assert packets[-1].startswith(b"2800 End Job TermCode=84 JobFiles=4 ")
    body = [p for p in tail[:eod] if isinstance(p, bytes) and not p.startswith(b"Jmsg")]
    by_name = {}
    for p in body:
        head, _, rest = p.partition(b" ")
        stream, _, rest = rest.partition(b" ")
        if stream == b"1":
            opts, _, rest = rest.partition(b" ")
            assert opts == b"VVpins5"  # "V" + the options' "Vpins5" (Bareos ff->VerifyOpts)
            fname, enc, link, end = rest.split(b"\0")
            assert end == b""
            by_name[fname.decode()] = (int(head), decode_stat(enc.decode()), link.decode())
        else:
            assert stream == b"3"  # MD5
            digest, _, name = rest.partition(b" ")
            fi = int(head)
            assert name == f"*MD5-{fi}*".encode()
            want = base64.b64encode(hashlib.md5(b"alpha\n").digest()).rstrip(b"=")
            assert digest == want
            assert by_name[str(top / "sub" / "a.txt")][0] == fi
    assert set(by_name) == {str(top / "sub" / "a.txt"), f"{top}/sub/", str(top / "link"), f"{top}/"}
    assert by_name[str(top / "link")][2] == "sub/a.txt"
    st = by_name[str(top / "sub" / "a.txt")][1]
    assert st == Stat.from_os_stat(os.lstat(top / "sub" / "a.txt"))
    assert [fi for fi, _, _ in sorted(by_name.values())] == [1, 2, 3, 4]


async def test_volume_level_without_storage_is_an_improper_calling_sequence(
    tmp_path: Path,
) -> None:
    """VolumeToCatalog reads through the SD: no ``storage`` command (and no passive SD
    within the wait for one) is OpenSdReadSession's fatal error, and no EOD."""
    async with running_fd(sd_wait_timeout=0.2) as (_daemon, port):
        d = await Director.connect(port)
        assert (await d.job(JOB, "dummy", ssl=254)).startswith(b"2000 OK Job ")
        assert await d.fileset([str(tmp_path)]) == b"2000 OK include\n"
        await d.send("verify level=volume\n")
        assert await d.reply() == b"2000 OK verify\n"
        # The fatal error ends the job (TermCode 'f'); no EOD comes before the End Job.
        end = await d.reply()
        assert end.startswith(b"2800 End Job TermCode=102 JobFiles=0 "), end
        await d.aclose()
