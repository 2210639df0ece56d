"""Job-session messages against the bytes real Bareos daemons sent, plus bootstrap."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bareosnet.errors import ProtocolError
from bareosnet.proto import jobcmds as jc
from bareosnet.proto.bootstrap import Bootstrap, BootstrapEntry, IndexRange
from bareosnet.proto.streams import CatalogRecord
from tests.support.transcripts import Frame, find_payload, read_transcript

SD_KEY = "GMEJ-POHO-FAOG-HCCI-JHML-PMAD-FBEC-EHIA"
JOB9 = "backup-lab.2026-11-27_01.10.08_04"
JOB10 = "backup-lab-passive.2026-11-27_01.10.11_05"
JOB12 = "RestoreFiles.2026-11-27_01.12.01_06"
JOB13 = "RestoreFiles.2026-11-27_01.12.05_08"
MEDIA = dict(
    vol_jobs=1,
    vol_files=0,
    vol_blocks=3,
    vol_bytes=1135432,
    vol_mounts=1,
    vol_errors=0,
    vol_writes=3,
    max_vol_bytes=1073741824,
    vol_capacity_bytes=0,
    vol_status="Append",
    slot=0,
    max_vol_jobs=0,
    max_vol_files=0,
    in_changer=0,
    vol_read_time=0,
    vol_write_time=300,
    end_file=0,
    end_block=1135431,
    label_type=0,
    media_id=2,
    encryption_key="",
    min_blocksize=0,
    max_blocksize=0,
)

# (transcript, prefix of the payload, the value it must be)
CASES: list[tuple[str, bytes, Any]] = [
    (
        "stream04-to-storage-daemon",
        b"JobId=9 job=",
        jc.SdJobCommand(
            job_id=9,
            job=JOB9,
            job_name="backup-lab",
            client_name="bareos-fd",
            job_type=jc.JobType.BACKUP,
            level=jc.JobLevel.FULL,
            fileset="LabData",
            fileset_md5="33gwu8+ciERPMh+0N//9SD",
        ),
    ),
    (
        "set2-stream03-to-storage-daemon",
        b"JobId=11 job=",
        jc.SdJobCommand(
            job_id=11,
            job="backup-lab.2026-11-27_01.11.58_04",
            job_name="backup-lab",
            client_name="bareos-fd",
            job_type=66,
            level=73,
            fileset="LabData",
            fileset_md5="33gwu8+ciERPMh+0N//9SD",
        ),
    ),
    (
        "set2-stream07-to-storage-daemon",
        b"JobId=12 job=",
        jc.SdJobCommand(
            job_id=12,
            job=JOB12,
            job_name="RestoreFiles",
            client_name="bareos-fd",
            job_type=jc.JobType.RESTORE,
            level=jc.JobLevel.NONE,
            fileset="LabData",
            fileset_md5="33gwu8+ciERPMh+0N//9SD",
        ),
    ),
    ("stream04-to-storage-daemon", b"3000 OK Job", jc.SdJobOk(1, 1795741802, SD_KEY)),
    ("stream04-to-storage-daemon", b"getSecureEraseCmd", jc.GetSecureEraseCmd()),
    ("stream04-to-storage-daemon", b"2000 OK SDSecureEraseCmd", jc.SdSecureEraseReply()),
    ("stream05-to-file-daemon", b"2000 OK FDSecureEraseCmd", jc.FdSecureEraseReply()),
    (
        "stream04-to-storage-daemon",
        b"use storage=",
        jc.UseStorage("File", "File", "Full", "Backup", append=1),
    ),
    (
        "set2-stream07-to-storage-daemon",
        b"use storage=",
        jc.UseStorage("File", "File", "Full", "Backup", append=0),
    ),
    ("stream04-to-storage-daemon", b"use device=", jc.UseDevice("FileStorage")),
    # The SD bashes the device name: "JustInTime\x01Device" on the wire.
    ("stream04-to-storage-daemon", b"3000 OK use device", jc.UseDeviceOk("JustInTime Device")),
    ("set2-stream07-to-storage-daemon", b"3000 OK use device", jc.UseDeviceOk("FileStorage")),
    ("stream04-to-storage-daemon", b"run", jc.Run()),
    ("stream04-to-storage-daemon", b"Status Job=", jc.JobStatusMessage(JOB9, jc.JobStatus.WAIT_FD)),
    ("stream04-to-storage-daemon", b"3010 Job", jc.JobStart(JOB9)),
    (
        "stream04-to-storage-daemon",
        b"Jmsg Job=",
        jc.Jmsg(
            JOB9,
            jc.MessageType.INFO,
            1795741810,
            "bareos-sd JobId 9: Using just in time reservation for job 9\n",
        ),
    ),
    (
        "stream04-to-storage-daemon",
        b"CatReq Job=backup-lab.2026-11-27_01.10.08_04 FindMedia",
        jc.CatReqFindMedia(JOB9, 1, "Full", "File", ""),
    ),
    ("stream04-to-storage-daemon", b"1000 OK VolName=", jc.MediaInfo("Full-0002", **MEDIA)),
    (
        "stream04-to-storage-daemon",
        b"CatReq Job=backup-lab.2026-11-27_01.10.08_04 GetVolInfo",
        jc.CatReqGetVolInfo(JOB9, "Full-0002", 1),
    ),
    (
        "stream04-to-storage-daemon",
        b"CatReq Job=backup-lab.2026-11-27_01.10.08_04 UpdateMedia",
        jc.CatReqUpdateMedia(
            JOB9,
            "Full-0002",
            vol_jobs=1,
            vol_blocks=3,
            vol_bytes=1135432,
            vol_mounts=2,
            vol_writes=3,
            max_vol_bytes=1073741824,
            end_time=1795741810,
            vol_status="Append",
            vol_write_time=300,
        ),
    ),
    (
        "stream04-to-storage-daemon",
        b"CatReq Job=backup-lab.2026-11-27_01.10.08_04 CreateJobMedia",
        jc.CatReqCreateJobMedia(JOB9, 0, 0, media_id=2),
    ),
    ("stream04-to-storage-daemon", b"1000 OK CreateJobMedia", jc.CreateJobMediaOk()),
    (
        "stream04-to-storage-daemon",
        b"CatReq Job=backup-lab.2026-11-27_01.10.08_04 DeleteNull",
        jc.CatReqDeleteNullJobmediaRecords(JOB9, 9),
    ),
    ("stream04-to-storage-daemon", b"1000 OK DeleteNull", jc.DeleteNullJobmediaRecordsOk()),
    (
        "stream04-to-storage-daemon",
        b"3099 Job",
        jc.SdJobEnd(JOB9, jc.JobStatus.TERMINATED, job_files=7, job_bytes=200902, job_errors=0),
    ),
    ("stream07-to-storage-daemon", b"passive client", jc.PassiveClient("127.0.0.1", 19102, 0)),
    ("stream07-to-storage-daemon", b"2000 OK passive client", jc.PassiveClientOk()),
    ("set2-stream07-to-storage-daemon", b"bootstrap", jc.BootstrapCommand()),
    ("set2-stream07-to-storage-daemon", b"3000 OK bootstrap", jc.SdBootstrapOk()),
    # Director -> FD
    ("stream05-to-file-daemon", b"JobId=9 Job=", jc.FdJobCommand(9, JOB9, 1, 1795741802, SD_KEY)),
    (
        "stream05-to-file-daemon",
        b"2000 OK Job",
        jc.FdJobOk(
            "26.0.0~pre1298.eda204c31", "21Aug26", "Debian GNU/Linux 12 (bookworm)", "debian"
        ),
    ),
    ("stream05-to-file-daemon", b"level = ", jc.LevelCommand("full")),
    ("set2-stream00-to-director", b"level = incremental", jc.LevelCommand("incremental")),
    (
        "set2-stream00-to-director",
        b"level = since_utime",
        jc.LevelCommand("since_utime", since_utime=1795741810, prev_job=JOB9),
    ),
    ("set2-stream00-to-director", b"btime", jc.Btime(1795741920091138)),
    ("stream05-to-file-daemon", b"2000 OK level", jc.LevelOk()),
    ("stream05-to-file-daemon", b"fileset", jc.FilesetCommand(vss=True)),
    ("stream05-to-file-daemon", b"2000 OK include", jc.IncludeOk()),
    ("stream05-to-file-daemon", b"storage address=", jc.StorageCommand("127.0.0.1", 19103, 0)),
    (
        "set2-stream04-to-director",
        b"storage address=",
        jc.StorageCommand("127.0.0.1", 19103, 0, "MJHH-NAKB-LPIN-OFFE-CJBA-JMNL-FKMJ-CGNI"),
    ),
    ("stream05-to-file-daemon", b"2000 OK storage\n", jc.StorageOk()),
    ("stream05-to-file-daemon", b"backup FileIndex=", jc.BackupCommand(0)),
    ("stream05-to-file-daemon", b"2000 OK backup", jc.BackupOk()),
    (
        "stream05-to-file-daemon",
        b"2800 End Job",
        jc.FdEndJob(jc.JobStatus.TERMINATED, job_files=7, read_bytes=200154, job_bytes=200154),
    ),
    (
        "set2-stream12-to-file-daemon",
        b"setauthorization",
        jc.SetAuthorization("GFJO-AMOM-HKLK-CKFB-NJJL-HAOC-HNLK-CNGA"),
    ),
    ("set2-stream12-to-file-daemon", b"2000 OK Authorization", jc.AuthorizationOk()),
    (
        "set2-stream04-to-director",
        b"restore ",
        jc.RestoreCommand("a", 0, where="/srv/bareos-lab/restore-clear"),
    ),
    ("set2-stream04-to-director", b"2000 OK restore", jc.RestoreOk()),
    ("set2-stream04-to-director", b"2000 OK storage end", jc.StorageEndOk()),
    ("set2-stream04-to-director", b"endrestore", jc.EndRestore()),
    # FD <-> SD
    ("stream06-to-storage-daemon", b"append open", jc.AppendOpenSession()),
    ("stream06-to-storage-daemon", b"3000 OK open ticket", jc.OpenTicketOk(1)),
    ("stream06-to-storage-daemon", b"append data", jc.AppendData(1)),
    ("stream06-to-storage-daemon", b"3000 OK data", jc.DataOk()),
    ("stream06-to-storage-daemon", b"3000 OK append data", jc.AppendDataOk()),
    ("stream06-to-storage-daemon", b"append end", jc.AppendEndSession(1)),
    ("stream06-to-storage-daemon", b"3000 OK end", jc.EndOk()),
    ("stream06-to-storage-daemon", b"append close", jc.AppendCloseSession(1)),
    ("stream06-to-storage-daemon", b"3000 OK close", jc.CloseOk(jc.JobStatus.TERMINATED)),
    (
        "set2-stream09-to-storage-daemon",
        b"read open session",
        jc.ReadOpenSession("DummyVolume", 2, 1795741908),
    ),
    ("set2-stream09-to-storage-daemon", b"read data", jc.ReadData(2)),
    ("set2-stream09-to-storage-daemon", b"read close", jc.ReadCloseSession(2)),
    ("set2-stream09-to-storage-daemon", b"3000 OK close", jc.CloseOk(jc.JobStatus.RUNNING)),
]


@pytest.mark.parametrize(("name", "prefix", "value"), CASES, ids=lambda x: "")
def test_message_matches_transcript_bytes(name: str, prefix: bytes, value: Any) -> None:
    payload = find_payload(read_transcript(name), prefix)
    assert value.encode() == payload
    assert type(value).parse(payload) == value


# Messages not seen in the captures: the bytes follow the Bareos format strings.
SOURCE_CASES: list[tuple[Any, bytes]] = [
    (
        jc.FdJobCommand(9, "j.1", 1, 1700000000, SD_KEY, ssl=jc.TlsPolicy.AUTO),
        b"JobId=9 Job=j.1 SDid=1 SDtime=1700000000 Authorization=" + SD_KEY.encode() + b" ssl=4\n",
    ),
    (
        jc.FdJobCommand(9, "j.1", 0, 0, "dummy"),
        b"JobId=9 Job=j.1 SDid=0 SDtime=0 Authorization=dummy\n",
    ),
    (
        jc.StorageCommand("sd.example", 9103, jc.TlsPolicy.AUTO),
        b"storage address=sd.example port=9103 ssl=4\n",
    ),
    (jc.PassiveClient("10.0.0.5", 9102, 4), b"passive client address=10.0.0.5 port=9102 ssl=4\n"),
    (
        jc.LevelCommand("incremental", accurate=True),
        b"level = accurate_incremental  mtime_only=0 \n",
    ),
    (jc.LevelCommand("full", rerunning=True), b"level = full rerunning  mtime_only=0 \n"),
    (jc.LevelCommand("base"), b"level = base  mtime_only=0 \n"),
    (jc.FilesetCommand(), b"fileset\n"),
    (
        jc.RestoreCommand("w", 1, regexwhere="!a!b!"),
        b"restore replace=w prelinks=1 regexwhere=!a!b!\n",
    ),
    (
        jc.RestoreCommand("a", 0, where="/tmp/my restore"),
        b"restore replace=a prelinks=0 where=/tmp/my\x01restore\n",
    ),
    (jc.RestoreCommand(), b"restore replace=a prelinks=0 where=\n"),
    (jc.SdSecureEraseReply("/usr/bin/shred"), b"2000 OK SDSecureEraseCmd /usr/bin/shred \n"),
    (jc.Listen(), b"listen"),
    (
        jc.Replicate(21, "copy.1", "sd2", 9103, 0, SD_KEY),
        b"replicate JobId=21 Job=copy.1 address=sd2 port=9103 ssl=0 Authorization="
        + SD_KEY.encode()
        + b"\n",
    ),
    (jc.ReplicateOk(), b"3000 OK replicate\n"),
    (jc.StartReplicate(), b"start replicate\n"),
    (jc.StartReplicateOk(3), b"3000 OK start replicate ticket = 3\n"),
    (jc.ReplicateData(3), b"replicate data 3\n"),
    (jc.ReplicateDataOk(), b"3000 OK replicate data\n"),
    (jc.EndReplicate(), b"end replicate\n"),
    (jc.EndReplicateOk(), b"3000 OK end replicate\n"),
    (jc.SdBadJob(7, "JobId=1 job=x"), b"3915 Bad Job command. stat=7 CMD: JobId=1 job=x\n"),
    (jc.FdBadJob(), b"2901 Bad Job\n"),
    (jc.FdBadCommand("storage"), b"2902 Bad storage\n"),
    (
        jc.SdBadCommand("passive client", "passive client address=x"),
        b"3991 Bad passive client command: passive client address=x\n",
    ),
    (
        jc.UseDeviceNotFound("My Dev"),
        b'3924 Device "My Dev" not in SD Device resources or no matching Media Type.\n',
    ),
    (jc.BadUseCommand("use storage=x"), b"3913 Bad use command: use storage=x\n"),
    (jc.NoMedia(), b"1901 No Media.\n"),
    (jc.VolumeNotInCatalog("Vol 1"), b'1997 Volume "Vol 1" not in catalog.\n'),
    (
        jc.CatReqUpdateJobRecord("j.1", 5, 1234),
        b"Catreq Job=j.1 UpdateJobRecord JobFiles=5 JobBytes=1234\n",
    ),
    (jc.CatReqUpdateFileList("j.1"), b"Catreq Job=j.1 UpdateFileList\n"),
    (jc.BlastAttr("j.1", "/var/spool/a b"), b"BlastAttr Job=j.1 File=/var/spool/a\x01b\n"),
    (jc.PluginOptions("python:module=x a=b"), b"pluginoptions python:module=x\x01a=b\n"),
    (jc.SdPluginOptionsOk(), b"2000 OK plugin options\n"),
    (jc.FdPluginOptionsOk(), b"2000 OK PluginOptions\n"),
    (jc.SetBandwidth(1000000, "j.1"), b"setbandwidth=1000000 Job=j.1\n"),
    (jc.BandwidthOk(), b"2000 OK Bandwidth\n"),
    (
        jc.RunScript(1, 0, 1, 1, "/bin/echo hi"),
        b"Run OnSuccess=1 OnFailure=0 AbortOnError=1 When=1 Command=/bin/echo\x01hi\n",
    ),
    (jc.RunScriptOk(), b"2000 OK RunScript\n"),
    (jc.RunBeforeNow(), b"RunBeforeNow\n"),
    (jc.RunBeforeNowOk(), b"2000 OK RunBeforeNow\n"),
    (jc.AccurateCommand(12), b"accurate files=12\n"),
    (jc.Cancel("j.1"), b"cancel Job=j.1\n"),
    (jc.FdCancelOk("j.1"), b"2001 Job j.1 marked to be canceled.\n"),
    (jc.FdJobNotFound("nosuchjob"), b"2901 Job nosuchjob not found.\n"),
    (jc.SdCancelOk(7, "j.1"), b'3000 JobId=7 Job="j.1" marked to be canceled.\n'),
    (jc.SdJobNotFound("j.1"), b"3904 Job j.1 not found.\n"),
    (jc.SessionAlreadyOpen(), b"3901 Error session already open\n"),
    (jc.SessionNotOpened(), b"3902 Error session not opened\n"),
    (jc.AppendDataError(), b"3903 Error append data\n"),
    (jc.SdInvalidFdCommand(), b"3900 Invalid command\n"),
    (jc.SdInvalidCommand("foo"), b"3900 Invalid command: foo\n"),
    (jc.DirectorPollOk(), b"1000 OK\n"),
    (jc.StatusOk(), b"Status OK\n"),
    (jc.SdNextRunOk(SD_KEY), b"3000 OK Job Authorization=" + SD_KEY.encode() + b"\n"),
    (jc.NumberedReply(1990, "Invalid Catalog Request: x"), b"1990 Invalid Catalog Request: x\n"),
]


@pytest.mark.parametrize(("value", "raw"), SOURCE_CASES, ids=lambda x: "")
def test_message_matches_source_format(value: Any, raw: bytes) -> None:
    assert value.encode() == raw
    assert type(value).parse(raw) == value


# --- every job-flow line of every job transcript ------------------------------

# For each transcript: what the connector's and the acceptor's packets are.
CONNECTIONS = {
    "stream04-to-storage-daemon": (jc.SD_FROM_DIRECTOR, jc.DIRECTOR_FROM_SD),
    "stream07-to-storage-daemon": (jc.SD_FROM_DIRECTOR, jc.DIRECTOR_FROM_SD),
    "set2-stream03-to-storage-daemon": (jc.SD_FROM_DIRECTOR, jc.DIRECTOR_FROM_SD),
    "set2-stream07-to-storage-daemon": (jc.SD_FROM_DIRECTOR, jc.DIRECTOR_FROM_SD),
    "set2-stream11-to-storage-daemon": (jc.SD_FROM_DIRECTOR, jc.DIRECTOR_FROM_SD),
    "stream05-to-file-daemon": (jc.FD_FROM_DIRECTOR, jc.DIRECTOR_FROM_FD),
    "stream08-to-file-daemon": (jc.FD_FROM_DIRECTOR, jc.DIRECTOR_FROM_FD),
    "set2-stream12-to-file-daemon": (jc.FD_FROM_DIRECTOR, jc.DIRECTOR_FROM_FD),
    # client-initiated: the FD connected to the Director
    "set2-stream00-to-director": (jc.DIRECTOR_FROM_FD, jc.FD_FROM_DIRECTOR),
    "set2-stream04-to-director": (jc.DIRECTOR_FROM_FD, jc.FD_FROM_DIRECTOR),
    "stream06-to-storage-daemon": (jc.SD_FROM_FD, jc.FD_FROM_SD),
    "set2-stream05-to-storage-daemon": (jc.SD_FROM_FD, jc.FD_FROM_SD),
    "set2-stream09-to-storage-daemon": (jc.SD_FROM_FD, jc.FD_FROM_SD),
    # passive: the SD connected, the FD still issues the session commands
    "stream09-to-file-daemon": (jc.FD_FROM_SD, jc.SD_FROM_FD),
    "set2-stream13-to-file-daemon": (jc.FD_FROM_SD, jc.SD_FROM_FD),
}
_HANDSHAKE_END = (b"3000 OK Hello\n", b"2000 OK Hello 54\n", b"1000 OK: ")


def job_lines(frames: list[Frame]) -> Iterator[Frame]:
    """The command/reply frames: no handshake, fileset, bootstrap or data records."""
    auth_ok = 0
    skip_until_eod_from: str | None = None  # fileset / bootstrap lines
    data_sender: str | None = None  # data records until the other side speaks
    next_data_sender: str | None = None  # set by "append/read data", active after the reply
    for f in frames:
        if auth_ok < 2:
            auth_ok += f.payload == b"1000 OK auth\n"
            continue
        if f.payload is not None and f.payload.startswith(_HANDSHAKE_END):
            continue
        if skip_until_eod_from is not None:
            if f.signal == -1 and f.direction == skip_until_eod_from:
                skip_until_eod_from = None
            continue
        if data_sender is not None:
            if f.direction == data_sender or f.signal is not None:
                continue
            data_sender = None
        if f.payload is None:
            continue
        yield f
        if next_data_sender is not None and f.payload == b"3000 OK data\n":
            data_sender, next_data_sender = next_data_sender, None
        elif f.payload.startswith((b"fileset", b"bootstrap\n")):
            skip_until_eod_from = f.direction
        elif f.payload.startswith(b"append data "):
            next_data_sender = f.direction
        elif f.payload.startswith(b"read data "):
            next_data_sender = "S" if f.direction == "C" else "C"


@pytest.mark.parametrize("name", sorted(CONNECTIONS))
def test_every_job_line_parses_and_reencodes_exactly(name: str) -> None:
    from_connector, from_acceptor = CONNECTIONS[name]
    seen = 0
    for f in job_lines(read_transcript(name)):
        assert f.payload is not None
        candidates = from_connector if f.direction == "C" else from_acceptor
        # NumberedReply is the catch-all: the lab's lines are all modelled precisely.
        msg = jc.parse_first(f.payload, [c for c in candidates if c is not jc.NumberedReply])
        assert msg.encode() == f.payload, f"line {f.line}"
        seen += 1
    assert seen >= 5


# --- parsing leniency and errors ---------------------------------------------


def test_parse_is_lenient_about_white_space_like_bsscanf() -> None:
    assert jc.BackupCommand.parse(b"backup   FileIndex=5") == jc.BackupCommand(5)
    assert jc.Run.parse(b"run\n") == jc.Run()
    assert jc.LevelOk.parse(b"2000 OK level") == jc.LevelOk()
    assert jc.CatReqCreateJobMedia.parse(
        # The Director's own scan format has doubled blanks.
        b"CatReq Job=j CreateJobMedia  FirstIndex=1 LastIndex=7 StartFile=0 EndFile=0 "
        b" StartBlock=1 EndBlock=9 Copy=0 Strip=0 MediaId=2\n"
    ) == jc.CatReqCreateJobMedia("j", 1, 7, start_block=1, end_block=9, media_id=2)
    # C-string semantics: what follows a NUL is not part of the message.
    assert jc.LevelOk.parse(b"2000 OK level\n\0junk") == jc.LevelOk()


def test_jmsg_keeps_leading_blanks_of_its_text() -> None:
    raw = b"Jmsg Job=j type=6 level=17 bareos-fd JobId 9:  Encryption: None\n"
    assert jc.Jmsg.parse(raw).text == "bareos-fd JobId 9:  Encryption: None\n"
    msg = jc.Jmsg("j", 6, 17, "  indented\n")
    assert jc.Jmsg.parse(msg.encode()) == msg


def test_fd_job_command_both_forms() -> None:
    new = jc.FdJobCommand.parse(b"JobId=1 Job=a SDid=2 SDtime=3 Authorization=K ssl=4\n")
    old = jc.FdJobCommand.parse(b"JobId=1 Job=a SDid=2 SDtime=3 Authorization=K\n")
    assert new.ssl == jc.TlsPolicy.AUTO and old.ssl is None
    assert new.authorization == old.authorization == "K"


@pytest.mark.parametrize(
    ("cls", "raw"),
    [
        (jc.SdJobOk, b"3000 OK Job SDid=x SDtime=1 Authorization=K\n"),
        (jc.SdJobCommand, b"JobId=1 job=a\n"),  # 2 of 19 fields: the SD says 3915
        (jc.BackupCommand, b"backup FileIndex=\n"),
        (jc.StorageOk, b"2000 OK storage end\n"),  # another message, not a prefix match
        (jc.Run, b"running"),
        (jc.CloseOk, b"3000 OK close Status = \n"),
        (jc.FdJobOk, b"2000 OK Job\n"),
        (jc.LevelCommand, b"level = weekly  mtime_only=0 \n"),
        (jc.LevelCommand, b"level = since_utime x mtime_only=0\n"),
        (jc.FilesetCommand, b"filesets\n"),
        (jc.UpdCatFileAttributes, b"UpdCat Job=x Attributes \x00"),
        (jc.Jmsg, b"Jmsg Job=x type=six level=1 text"),
    ],
)
def test_garbage_raises_protocol_error(cls: Any, raw: bytes) -> None:
    with pytest.raises(ProtocolError) as info:
        cls.parse(raw)
    assert str(info.value)  # a readable message


def test_parse_first_reports_unexpected_messages() -> None:
    with pytest.raises(ProtocolError, match="unexpected message"):
        jc.parse_first(b"hello there\n", jc.FD_FROM_DIRECTOR)
    assert jc.parse_first(b"2000 OK storage end\n", jc.DIRECTOR_FROM_FD) == jc.StorageEndOk()
    assert isinstance(
        jc.parse_first(b"1992 Create JobMedia error\n", jc.SD_FROM_DIRECTOR), jc.NumberedReply
    )


def test_secrets_stay_out_of_repr_and_errors() -> None:
    values = [
        jc.SdJobOk(1, 2, SD_KEY),
        jc.FdJobCommand(1, "j", 1, 2, SD_KEY, 4),
        jc.StorageCommand("a", 1, 0, SD_KEY),
        jc.SetAuthorization(SD_KEY),
        jc.Replicate(1, "j", "a", 1, 0, SD_KEY),
        jc.SdNextRunOk(SD_KEY),
        jc.MediaInfo("v", encryption_key=SD_KEY),
        jc.SdBadCommand("replicate", "replicate JobId=1 Authorization=" + SD_KEY),
    ]
    for value in values:
        assert SD_KEY not in repr(value)
        assert SD_KEY in value.encode().decode()
    with pytest.raises(ProtocolError) as info:
        jc.SdJobOk.parse(b"3000 OK Job SDid=x SDtime=1 Authorization=" + SD_KEY.encode())
    assert SD_KEY not in str(info.value)
    assert "<hidden>" in str(info.value)


def test_encode_refuses_values_it_cannot_send() -> None:
    with pytest.raises(ValueError):
        jc.JobStart("two words").encode()
    with pytest.raises(ValueError):
        jc.UseDevice("tab\tname").encode()
    with pytest.raises(TypeError):
        jc.BackupCommand("1").encode()  # type: ignore[arg-type]


def test_codes() -> None:
    assert (jc.JobType.BACKUP, jc.JobType.RESTORE, jc.JobType.COPY) == (66, 82, 99)
    assert (jc.JobLevel.FULL, jc.JobLevel.INCREMENTAL, jc.JobLevel.NONE) == (70, 73, 32)
    assert jc.JobStatus.TERMINATED == 84 and jc.JobStatus.TERMINATED.char == "T"
    assert jc.JobStatus.from_char("f") is jc.JobStatus.FATAL_ERROR
    assert jc.JobStatus.from_char("E") == 69 and jc.JobStatus.from_char("R") == 82
    assert jc.JobStatus.from_char("A") is jc.JobStatus.CANCELED
    assert jc.MessageType.INFO == 6 and jc.MessageType.CONFIG_ERROR == 18
    # Known codes become enum members, unknown ones stay ints.
    assert jc.JobStatusMessage("j", 84).status is jc.JobStatus.TERMINATED
    assert jc.JobStatusMessage("j", 1).status == 1


def test_fd_job_ok_uname() -> None:
    raw = b"2000 OK Job 25.9.0 (01Jan26) Debian GNU/Linux 12 (bookworm),debian"
    ok = jc.FdJobOk.parse(raw)
    assert ok.uname == "25.9.0 (01Jan26) Debian GNU/Linux 12 (bookworm),debian"
    assert ok.encode() == raw


def test_updcat_is_binary_safe() -> None:
    record = CatalogRecord(1, 2, 3, 3, b"\x00\n \x01 binary")
    msg = jc.UpdCatFileAttributes("j.1", record)
    assert jc.UpdCatFileAttributes.parse(msg.encode()) == msg


# --- hypothesis: every template round-trips ----------------------------------

_WS = " \t\n\v\f\r"
_chars = st.characters(blacklist_categories=("Cs",), blacklist_characters="\0")
_word = st.text(_chars.filter(lambda c: c not in _WS), min_size=1, max_size=20)
_name = st.text(_chars.filter(lambda c: c not in _WS[1:] and c != "\x01"), min_size=1, max_size=20)
_line = st.text(_chars, max_size=30).map(lambda s: s.strip(_WS))
_raw = st.text(_chars, max_size=30)


def _kind_strategy(kind: str, quote_end: str) -> st.SearchStrategy[Any]:
    if kind == "d":
        return st.integers(min_value=-(1 << 40), max_value=1 << 40)
    if kind == "s":
        return _word
    if kind == "n":
        return _name.filter(lambda s: s.strip(" ") == s and s != "")
    if kind == "c":
        return _chars.filter(lambda c: c not in _WS)
    if kind == "q":
        # Never empty or space-edged: whitespace in a template matches a whole run
        # (bsscanf semantics), so an empty field between two spaces cannot round-trip.
        return st.text(_chars, min_size=1, max_size=20).filter(
            lambda s: quote_end not in s and s.strip(_WS) == s and s != ""
        )
    if kind == "l":
        return _line
    return _raw


def _template_messages() -> list[tuple[type[jc.Message], jc.Template]]:
    out = []
    for obj in vars(jc).values():
        if isinstance(obj, type) and issubclass(obj, jc.Message) and obj._templates:
            out.extend((obj, t) for t in obj._templates)
    return out


@st.composite
def _values(draw: st.DrawFn, spec: tuple[type[jc.Message], jc.Template]) -> jc.Message:
    cls, template = spec
    kwargs: dict[str, Any] = {}
    for i, part in enumerate(template.parts):
        if isinstance(part, jc._Field):
            following = template.parts[i + 1] if i + 1 < len(template.parts) else None
            quote_end = jc._quote_end(following.text) if isinstance(following, jc._Literal) else ""
            kwargs[part.name] = draw(_kind_strategy(part.kind, quote_end))
    if cls is jc.RestoreCommand:
        kwargs["replace"] = draw(st.sampled_from("awno"))
    return cls(**kwargs)


TEMPLATE_SPECS = _template_messages()


def test_there_are_many_message_kinds() -> None:
    assert len({cls for cls, _ in TEMPLATE_SPECS}) >= 80


@settings(max_examples=400)
@given(st.sampled_from(TEMPLATE_SPECS).flatmap(_values))
def test_every_template_round_trips(value: jc.Message) -> None:
    raw = value.encode()
    assert type(value).parse(raw) == value


@given(
    st.builds(
        jc.LevelCommand,
        level=st.sampled_from(["full", "base", "differential", "incremental"]),
        accurate=st.booleans(),
        rerunning=st.booleans(),
        mtime_only=st.integers(0, 1),
    )
)
def test_level_command_round_trips(value: jc.LevelCommand) -> None:
    assert jc.LevelCommand.parse(value.encode()) == value


# --- bootstrap ----------------------------------------------------------------


def _bootstrap_packets(name: str) -> list[bytes]:
    frames = read_transcript(name)
    start = next(i for i, f in enumerate(frames) if f.payload == b"bootstrap\n")
    out = []
    for f in frames[start + 1 :]:
        if f.signal == -1:
            break
        assert f.payload is not None
        out.append(f.payload)
    return out


RESTORE_ENTRY = BootstrapEntry(
    volume="Full-0002",
    media_type="File",
    storage="File",
    device="FileStorage",
    vol_session_id=[1],
    vol_session_time=1795741908,
    vol_addr=[IndexRange(1538464, 1539133)],
    file_index=[IndexRange(1, 2)],
    count=2,
)


@pytest.mark.parametrize(
    "name", ["set2-stream07-to-storage-daemon", "set2-stream11-to-storage-daemon"]
)
def test_bootstrap_from_transcript(name: str) -> None:
    packets = _bootstrap_packets(name)
    assert packets[0] == b'Storage="File"\n' and packets[-1] == b"Count=2\n"
    bsr = Bootstrap.parse_packets(packets)
    assert bsr == Bootstrap([RESTORE_ENTRY])
    assert bsr.packets() == packets
    assert bsr.to_text().encode() == b"".join(packets)


def test_bootstrap_selects_records() -> None:
    bsr = Bootstrap([RESTORE_ENTRY])
    assert bsr.matches(1, 1795741908, 1) and bsr.matches(1, 1795741908, 2)
    assert not bsr.matches(1, 1795741908, 3)
    assert not bsr.matches(2, 1795741908, 1)
    assert not bsr.matches(1, 1795741802, 1)


def test_bootstrap_several_volumes_comments_and_lists() -> None:
    text = (
        "# restore of two jobs\n"
        'Storage="File"\nVolume="Vol 1"\nMediaType="File"\nVolSessionId=1\n'
        "VolSessionTime=100\nFileIndex=1-3,7\nFileIndex=9\nCount=5\n"
        "\n"
        "volume=Vol2\nvolsessionid=2-3\nVolSessionTime=200\nfileindex=4\n"
    )
    bsr = Bootstrap.parse(text)
    first, second = bsr.entries
    assert first.volume == "Vol 1" and first.storage == "File"
    assert first.file_index == (IndexRange(1, 3), IndexRange(7, 7), IndexRange(9, 9))
    assert second.volume == "Vol2" and second.storage is None
    assert second.vol_session_id == (IndexRange(2, 3),)
    assert bsr.matches(3, 200, 4) and not bsr.matches(1, 100, 8)
    assert Bootstrap.parse(bsr.to_text()) == bsr


@pytest.mark.parametrize(
    "text",
    [
        "Volume=v\nFileIndex=x\n",
        "Volume=v\nNoSuchKey=1\n",
        "FileIndex=1\n",
        "Volume=v\nbare\n",
        "Volume=v\nFileIndex=5-2\n",
        "Volume=v\nCount=many\n",
    ],
)
def test_bad_bootstraps(text: str) -> None:
    with pytest.raises(ProtocolError):
        Bootstrap.parse(text)


entries = st.builds(
    BootstrapEntry,
    volume=st.text(st.characters(whitelist_categories=("L", "N")), min_size=1, max_size=10),
    media_type=st.none() | st.just("File"),
    storage=st.none() | st.just("File"),
    vol_session_id=st.lists(st.integers(0, 1000), max_size=2),
    vol_session_time=st.none() | st.integers(0, 1 << 32),
    file_index=st.lists(
        st.tuples(st.integers(1, 100), st.integers(0, 100)).map(
            lambda t: IndexRange(t[0], t[0] + t[1])
        ),
        max_size=3,
    ),
    count=st.none() | st.integers(0, 100),
)


@given(st.lists(entries, min_size=1, max_size=3))
def test_bootstrap_round_trip(items: list[BootstrapEntry]) -> None:
    bsr = Bootstrap(items)
    assert Bootstrap.parse_packets(bsr.packets()) == bsr
    assert attrs.evolve(bsr) == bsr
