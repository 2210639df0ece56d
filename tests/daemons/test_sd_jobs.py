"""The Storage daemon's job sessions end to end, in-process, with a scripted Director and FD.

Backups of generated data land in a volume file in the Archive Device
directory, restores give the identical records back, damaged or incomplete
data is refused instead of sent.
"""

from __future__ import annotations

from pathlib import Path

from bareosnet.proto.jobcmds import JobStatus
from bareosnet.proto.signals import Signal
from bareosnet.proto.streams import Stream
from daemons.storage.devices import EOS_LABEL, SOS_LABEL, SessionLabel
from daemons.storage.volume import RECORD_HEADER_SIZE, VolumeReader
from tests.daemons.test_sd_jobs_helpers import (
    FakeDirector,
    Record,
    announce,
    connect_director,
    generated_files,
    run_backup,
    run_restore,
    running_sd,
    sd_config,
    send_bootstrap,
)

JOB = "backup-gen.2026-11-27_02.00.00_01"
JOB2 = "backup-gen.2026-11-27_02.01.00_02"
RESTORE = "RestoreFiles.2026-11-27_02.05.00_03"
COPY = "copy-local.2026-11-27_02.06.00_04"


def fatal_texts(jmsgs: list[str]) -> list[str]:
    return [j.split(": Fatal error: ", 1)[1] for j in jmsgs if " type=3 " in j]


async def test_backup_then_restore_generated_data(tmp_path: Path) -> None:
    records = generated_files()
    payload_bytes = sum(len(r.data) for r in records)
    director = FakeDirector()
    async with running_sd(sd_config(tmp_path)) as sd:
        run = await run_backup(sd, director, 21, JOB, records)
        out = run.outcome
        assert run.fd_replies == [b"3000 OK open ticket = 1\n", b"3000 OK data\n",
                                  b"3000 OK append data\n", b"3000 OK end\n",
                                  b"3000 OK close Status = 84\n", Signal.EOD]  # fmt: skip
        assert out.end is not None and out.end.status == JobStatus.TERMINATED
        assert (out.end.job_files, out.end.job_bytes, out.end.job_errors) == (4, payload_bytes, 0)
        assert out.statuses == [70, 82, 83, 82, 84]
        # Every attribute and digest record went to the catalog, nothing else.
        catalog = [(a.file_index, a.stream, a.data) for a in out.attributes]
        assert catalog == [(r.file_index, r.stream, r.data) for r in records
                           if r.stream in (Stream.UNIX_ATTRIBUTES, Stream.MD5_DIGEST)]  # fmt: skip
        assert {(a.vol_session_id, a.vol_session_time) for a in out.attributes} == {
            (run.ok.vol_session_id, run.ok.vol_session_time)
        }
        # The volume file: label, SOS, every packet as one record (big ones in chunks), EOS.
        volume = tmp_path / "Full-0001"
        with VolumeReader(volume) as reader:
            assert reader.label.volume_name == "Full-0001" and reader.label.media_type == "File"
            stored = list(reader.payloads())
        assert [s.file_index for s in stored[:1] + stored[-1:]] == [SOS_LABEL, EOS_LABEL]
        eos = SessionLabel.decode(stored[-1].payload)
        assert eos is not None and (eos.status, eos.files, eos.job) == ("T", 4, JOB)
        assert [Record(s.file_index, s.stream, s.payload) for s in stored[1:-1]] == records
        # The catalog knows the job's part of the volume (bytes, blocks: 64 KiB * 80 > 4 MiB).
        vol = director.volumes["Full-0001"]
        assert vol.vol_bytes == volume.stat().st_size and vol.vol_jobs == 1
        assert vol.vol_blocks == vol.vol_writes >= 5
        jm = director.jobmedia[-1]
        assert (jm.first_index, jm.last_index, jm.start_block) == (1, 4, stored[0].address)
        assert jm.end_block == volume.stat().st_size - 1

        # A second backup appends to the same volume (after the first one's EOS label).
        second = [Record(1, Stream.UNIX_ATTRIBUTES, records[0].data.replace(b"1 3", b"1 3", 1))]
        run2 = await run_backup(sd, director, 22, JOB2, second)
        assert run2.outcome.end is not None and run2.outcome.end.status == JobStatus.TERMINATED
        assert any("Ready to append to end of Volume" in j for j in run2.outcome.jmsgs)
        assert director.volumes["Full-0001"].vol_jobs == 2

        # Restore the first job: exactly its records, in order, as rechdr + data.
        bsr = director.bootstrap(run.ok)
        director.jobmedia.clear()
        restored = await run_restore(sd, director, 23, RESTORE, bsr)
    assert restored.restore.records == records
    assert all(h.vol_session_id == run.ok.vol_session_id for h in restored.restore.headers)
    assert restored.restore.replies[:2] == [b"3000 OK open ticket = 3\n", b"3000 OK data\n"]
    assert restored.restore.replies[2:] == [Signal.EOD, b"3000 OK close Status = 82\n", Signal.EOD]
    r_out = restored.outcome
    assert r_out.end is not None
    assert (r_out.end.status, r_out.end.job_files, r_out.end.job_bytes) == (84, 0, 0)
    texts = [j.split(": ", 1)[1] for j in r_out.jmsgs]
    assert any(t.startswith('Ready to read from volume "Full-0001" on device "FileStorage"')
               for t in texts)  # fmt: skip
    assert f"Forward spacing Volume \"Full-0001\" to file:block 0:{stored[0].address}.\n" in texts
    assert "End of all volumes.\n" in texts


async def test_corrupted_record_is_refused(tmp_path: Path) -> None:
    records = generated_files()
    director = FakeDirector()
    async with running_sd(sd_config(tmp_path)) as sd:
        run = await run_backup(sd, director, 31, JOB, records)
        volume = tmp_path / "Full-0001"
        with VolumeReader(volume) as reader:
            stored = list(reader.payloads())
        # Flip one byte in the middle of the 5 MB file's third packet.
        target = [s for s in stored if s.file_index == 3 and s.stream == Stream.FILE_DATA][2]
        with volume.open("r+b") as f:
            f.seek(target.address + RECORD_HEADER_SIZE + 1000)
            byte = f.read(1)
            f.seek(-1, 1)
            f.write(bytes([byte[0] ^ 0xFF]))
        restored = await run_restore(sd, director, 32, RESTORE, director.bootstrap(run.ok))
    got = restored.restore.records
    # Everything before the damaged record arrives intact, the damaged one and the rest never.
    assert got == records[: len(got)]
    assert len([r for r in got if r.file_index == 3 and r.stream == Stream.FILE_DATA]) == 2
    out = restored.outcome
    assert out.end is not None and out.end.status == JobStatus.FATAL_ERROR
    assert out.end.job_errors >= 1
    assert any("checksum mismatch" in t for t in fatal_texts(out.jmsgs))
    # The FD saw the end of data, then the SD hung up instead of closing the session.
    assert restored.restore.replies[2] == Signal.EOD
    assert b"3000 OK close Status = 82\n" not in restored.restore.replies


async def test_copy_inside_one_storage_daemon(tmp_path: Path) -> None:
    """A copy job without ``replicate``: read the bootstrap's records, write them anew."""
    records = generated_files()
    director = FakeDirector()
    async with running_sd(sd_config(tmp_path)) as sd:
        run = await run_backup(sd, director, 61, JOB, records)
        director.volume = "Copy-0001"
        d = await connect_director(sd.port)
        ok = await announce(d, 62, COPY, job_type="c")
        assert await send_bootstrap(d, director.bootstrap(run.ok)) == b"3000 OK bootstrap\n"
        for append, pool in ((0, "Full"), (1, "Copy")):
            await d.send(f"use storage=File media_type=File pool_name={pool} pool_type=Backup "
                         f"append={append} copy=0 stripe=0\n")  # fmt: skip
            await d.send(b"use device=FileStorage\n")
            await d.send_signal(Signal.EOD)
        await d.send_signal(Signal.EOD)
        got = [await d.receive_packet(timeout=5) for _ in range(2)]
        assert got[1] == b"3000 OK use device device=JustInTime\x01Device\n"
        await d.send(b"run")
        out = await director.drive(d)
    assert out.end is not None
    total = sum(len(r.data) for r in records)
    assert (out.end.status, out.end.job_files, out.end.job_bytes) == (84, 4, total)
    with VolumeReader(tmp_path / "Copy-0001") as reader:
        copied = [r for r in reader.payloads() if r.file_index > 0]
    assert [Record(c.file_index, c.stream, c.payload) for c in copied] == records
    assert {(c.vol_session_id, c.vol_session_time) for c in copied} == {
        (ok.vol_session_id, ok.vol_session_time)
    }
    texts = [j.split(": ", 1)[1] for j in out.jmsgs]
    assert any(t.startswith('Labeled new Volume "Copy-0001"') for t in texts)
    assert any(t.startswith('Ready to read from volume "Full-0001"') for t in texts)
