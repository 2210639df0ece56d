
"""In-process tests of the Storage daemon's parts: texts, resolver, job registry."""

from __future__ import annotations

import time
from typing import Any

import pytest
import trio
import trio.testing

from bareosnet.config import parse_string
from bareosnet.errors import BareosError
from bareosnet.net.handshake import accept, handshake_as_connector
from bareosnet.proto import cram
from bareosnet.proto.connections import spec as connection_spec
from bareosnet.proto.handshake import AcceptPlan, ConnectorConfig, Refusal
from bareosnet.proto.hello import HelloInfo, HelloKind, Persona
from bareosnet.tls.settings import CLEARTEXT
from daemons.common.commands import JobResult
from daemons.storage import status as sdstatus
from daemons.storage.access import make_resolver
from daemons.storage.daemon import SdOptions, StorageDaemon
from daemons.storage.jobs import JobAuthorization, RunningJob
from tests.support.transcripts import read_transcript

CONFIG = """
Storage { Name = bareos-sd; SD Port = 9103 }
Director { Name = bareos-dir; Password = "lab-sd-secret" }
Director { Name = tray; Password = "t"; Monitor = yes }
Device { Name = FileStorage; Media Type = File; Archive Device = /srv/bareos-lab/storage }
"""


def daemon(config: str = CONFIG) -> StorageDaemon:
    return StorageDaemon(parse_string(config, daemon="sd"), SdOptions(failure_delay=0))


def test_status_text_matches_the_lab_transcript_with_a_terminated_job() -> None:
    """With the lab's finished job in the list, every line but the header is the lab's."""
    sd = daemon()
    end = time.mktime((2026, 11, 27, 1, 7, 0, 0, 0, -1))
    sd.recent.add(JobResult(8, "backup-big.2026-11-27_01.07.00_05", files=2, bytes=1_073_741_824,
                            end_time=end))  # fmt: skip
    lines = sdstatus.status_lines(
        sd.status_view(), sdstatus.parse_device_names("status FileStorage\n")
    )
    frames = read_transcript("stream02-to-storage-daemon")
    recorded = [f.payload for f in frames if f.direction == "S" and f.payload is not None]
    start = recorded.index(b"\n") + 1
    expected = [p.rstrip(b"\x00").decode() for p in recorded[start:]]
    assert lines[0].startswith("bareos-sd Version: 26.0.0 (21 August 2026) ") and lines[0].endswith(
        " \n"
    )
    assert lines[1].endswith(", running=0, bareosnet emulator binary\n")
    assert lines[2:] == expected[2:]


def test_header_17_2() -> None:
    v = sdstatus.SdStatusView(name="old-sd", persona=Persona.V17_2, started=time.time())
    lines = sdstatus.header_lines(v)
    assert lines[0].startswith("old-sd Version: 17.2.10 (09 July 2020) ")
    assert lines[1].endswith(". Jobs: run=0, running=0.\n")
    assert lines[3] == " Sizes: boffset_t=8 size_t=8 int32_t=4 int64_t=8 mode=0 bwlimit=0kB/s\n"


def test_running_and_waiting_jobs() -> None:
    jobs = (
        RunningJob(11, "backup-lab.2026-11-27_01.11.58_04", status="F"),
        RunningJob(12, "backup-lab.2026-11-27_01.12.00_05", device='"FileStorage" (/srv)',
                   volume="Full-0001", pool="Full", files=2, bytes=37,
                   reserve_messages=("3605 JobId=12 wants free drive but ...\n",)),
    )  # fmt: skip
    v = sdstatus.SdStatusView(name="sd", persona=Persona.V26, started=time.time(), running=jobs)
    lines = sdstatus.running_lines(v)
    assert (
        lines[1] == "Backup Job backup-lab.2026-11-27_01.11.58_04 waiting for Client connection.\n"
    )
    assert lines[2] == "JobId=12 Level=Full Type=Backup Name=backup-lab Status=Running\n"
    assert lines[3] == 'Writing: Volume="Full-0001"\n    pool="Full" device="FileStorage" (/srv)\n'
    assert lines[-2:] == ["    FDSocket closed\n\n", "====\n"]
    assert sdstatus.reservation_lines(v)[1:3] == ["   ", "3605 JobId=12 wants free drive but ...\n"]
    current = sdstatus.dot_status(v, ".status current")
    assert current.lines == [
        "3000 OK .status\n",
        "JobId=11 JobStatus=F JobErrors=0\n",
        "JobId=12 JobStatus=R JobErrors=0\n",
    ]


def test_device_name_parsing() -> None:
    assert sdstatus.parse_device_names("status A,b\x01c\n") == ["A", "b c"]
    assert sdstatus.parse_device_names("status") == []


def test_resolver_and_job_registry() -> None:
    sd = daemon()
    resolve = make_resolver(sd.config, sd.jobs)
    plan = resolve(HelloInfo(HelloKind.DIRECTOR, "bareos-dir"))
    assert isinstance(plan, AcceptPlan) and plan.spec.number == "5"
    assert plan.key == cram.password_key("lab-sd-secret")
    tray = resolve(HelloInfo(HelloKind.DIRECTOR, "tray"))
    assert isinstance(tray, AcceptPlan) and tray.spec.number == "11"
    unknown = resolve(HelloInfo(HelloKind.DIRECTOR, "nobody"))
    assert isinstance(unknown, Refusal) and unknown.delay is False
    job = "backup.2026-11-27_01.12.00_07"
    assert isinstance(resolve(HelloInfo(HelloKind.START_JOB, job)), Refusal)
    sd.jobs.authorize(JobAuthorization(job, b"K" * 32, tls_policy=0, job_id=7))
    fd_plan = resolve(HelloInfo(HelloKind.START_JOB, job))
    assert (
        isinstance(fd_plan, AcceptPlan) and fd_plan.spec.number == "6" and fd_plan.key == b"K" * 32
    )
    sd_plan = resolve(HelloInfo(HelloKind.START_STORAGE_JOB, job))
    assert isinstance(sd_plan, AcceptPlan) and sd_plan.spec.number == "8"
    sd.jobs.mark_authenticated(job)
    again = resolve(HelloInfo(HelloKind.START_JOB, job))
    assert isinstance(again, Refusal) and again.cause == "replay"
    sd.jobs.start(RunningJob(7, job))
    assert sd.jobs.cancel("7") is not None and sd.jobs.find(job).status == "A"  # type: ignore[union-attr]
    assert sd.jobs.finish(job) is not None and sd.jobs.key(job) is None


async def test_file_daemon_job_connection_cleartext() -> None:
    """Row 6 in cleartext (ssl=0 job): CRAM keyed by the session key, no success line.

    The SD's challenge carries its own Storage resource's policy (as Bareos's does), so
    a cleartext FD (ssl=0) needs that resource not to require TLS.
    """
    sd = daemon(CONFIG.replace("SD Port = 9103", "SD Port = 9103; TLS Require = no"))
    job = "backup.2026-11-27_01.12.00_07"
    sd.jobs.authorize(JobAuthorization(job, b"OJFAAMKEFKLCBOAHFGCNAOMIEJEIBFLB", job_id=7))
    settings = sd._acceptor_settings(sd.config)
    a, b = trio.testing.memory_stream_pair()
    out: dict[str, Any] = {}
    async with trio.open_nursery() as nursery:

        async def sd_side() -> None:
            out["sd"] = await accept(b, settings, peer_address="fd")

        nursery.start_soon(sd_side)
        config = ConnectorConfig(spec=connection_spec("6"), hello_name=job, own_name="bareos-fd",
                                 key=b"OJFAAMKEFKLCBOAHFGCNAOMIEJEIBFLB")  # fmt: skip
        await handshake_as_connector(a, config, peer_address="sd", peer_host=None,
                                     tls_first=False, tls_settings=CLEARTEXT, psk=None)  # fmt: skip
    _, info = out["sd"]
    assert info.connection == "6" and info.peer_name == job and info.tls_version is None


async def test_cleartext_fd_denied_when_own_storage_requires_tls() -> None:
    """Bareos's rule: the job allows cleartext (policy 0) but our ssl=2 vs the FD's 0 is a deny."""
    sd = daemon()
    job = "backup.2026-11-27_01.12.00_08"
    key = b"OJFAAMKEFKLCBOAHFGCNAOMIEJEIBFLC"
    sd.jobs.authorize(JobAuthorization(job, key, job_id=8))
    settings = sd._acceptor_settings(sd.config)
    a, b = trio.testing.memory_stream_pair()
    errors: list[BaseException] = []

    async def sd_side() -> None:
        try:
            await accept(b, settings, peer_address="fd")
        except BareosError as exc:
            errors.append(exc)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(sd_side)
        config = ConnectorConfig(spec=connection_spec("6"), hello_name=job, own_name="bareos-fd", key=key)
        with pytest.raises(BareosError) as info:
            await handshake_as_connector(a, config, peer_address="sd", peer_host=None,
                                         tls_first=False, tls_settings=CLEARTEXT, psk=None)  # fmt: skip
    assert info.value.cause == "policy-deny"  # type: ignore[attr-defined]
    assert errors and errors[0].cause == "policy-deny"  # type: ignore[attr-defined]
