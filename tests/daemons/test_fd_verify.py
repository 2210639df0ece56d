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


async def test_bad_level_and_volume_without_storage(tmp_path: Path) -> None:
    # No storage command and no passive SD connection within the (short) wait.
    async with running_fd(sd_wait_timeout=0.2) as (_daemon, port):
        d = await Director.connect(port)
        assert (await d.job(JOB, "dummy", ssl=254)).startswith(b"2000 OK Job ")
        assert await d.fileset([str(tmp_path)]) == b"2000 OK include\n"
        await d.send("verify level=tape\n")
        assert await d.reply() == b"2994 Bad verify level: verify level=tape\n\n"
        await d.aclose()

        d = await Director.connect(port)
        assert (await d.job(JOB + "x", "dummy", ssl=254)).startswith(b"2000 OK Job ")
        assert await d.fileset([str(tmp_path)]) == b"2000 OK include\n"
        await d.send("verify level=volume\n")
        assert await d.reply() == b"2000 OK verify\n"
        tail = await d.until_terminate()
        await d.aclose()
    # OpenSdReadSession fails: a fatal job message, no EOD, then the End Job line.
    assert any("Fatal error: Improper calling sequence.\n" in m for m in d.jmsgs())
    assert Signal.EOD not in tail
    assert [p for p in tail if isinstance(p, bytes) and p.startswith(b"2800")][0].startswith(
        b"2800 End Job TermCode=102 JobFiles=0 "
    )


async def test_volume_level_relays_the_backup_records(tmp_path: Path) -> None:
    import trio

    from bareosnet.proto.attributes import AttributeRecord
    from bareosnet.proto.streams import Stream
    from tests.daemons.test_fd_jobs import JOB as BJOB
    from tests.daemons.test_fd_jobs import KEY, KEY2, backup
    from tests.daemons.test_fd_jobs_support import MemorySD, make_tree

    src = make_tree(tmp_path / "src")
    sd = MemorySD(KEY.encode(), BJOB)
    async with running_fd() as (_daemon, port), trio.open_nursery() as nursery:
        await backup(port, sd, await sd.listen(nursery), [str(src)])
        sd2 = MemorySD(KEY2.encode(), JOB, records=sd.records)
        sd_port = await sd2.listen(nursery)
        d = await Director.connect(port)
        assert (await d.job(JOB, KEY2)).startswith(b"2000 OK Job ")
        assert await d.fileset([str(src)]) == b"2000 OK include\n"
        await d.send(f"storage address=127.0.0.1 port={sd_port} ssl=0 Authorization={KEY2}\n")
        assert await d.reply() == b"2000 OK storage\n"
        await d.send("verify level=volume\n")
        assert await d.reply() == b"2000 OK verify\n"
        tail = await d.until_terminate()
        await d.aclose()
        nursery.cancel_scope.cancel()
    eod = tail.index(Signal.EOD)
    lines = [p for p in tail[:eod] if isinstance(p, bytes) and not p.startswith(b"Jmsg")]
    want: list[bytes] = []
    n = 0
    for r in sd.records:
        if r.stream == Stream.UNIX_ATTRIBUTES:
            rec = AttributeRecord.parse(r.data)
            n += 1
            stat = r.data.split(b"\0")[1]
            link = rec.link.encode() if rec.link else b""
            want.append(f"{n} 1 pinsug5 ".encode() + os.fsencode(rec.fname) + b"\0" + stat
                        + b"\0" + link + b"\0")  # fmt: skip
        elif r.stream == Stream.MD5_DIGEST:
            b64 = base64.b64encode(r.data).rstrip(b"=")
            want.append(f"{n} 3 ".encode() + b64 + f" *MD5-{n}*".encode())
    assert lines == want
    assert not any("Version:" in m for m in d.jmsgs())  # DoVerifyVolume logs none
    assert sd2.commands[0].startswith(b"read open session = DummyVolume ")
    assert sd2.commands[-2:] == [b"read close session 1\n", Signal.TERMINATE]
    end = [p for p in tail if isinstance(p, bytes) and p.startswith(b"2800")][0]
    assert end.startswith(f"2800 End Job TermCode=84 JobFiles={n} ".encode())
