"""In-process tests of the File daemon's parts: texts, commands, resolver, job registry."""

from __future__ import annotations

import time
from typing import Any

import pytest
import trio
import trio.testing

from bareosnet.config import parse_string
from bareosnet.errors import AuthError
from bareosnet.net.handshake import accept, handshake_as_connector
from bareosnet.net.stream import BareosStream
from bareosnet.proto import cram
from bareosnet.proto.connections import spec as connection_spec
from bareosnet.proto.framing import Packet, SignalFrame
from bareosnet.proto.handshake import AcceptPlan, ConnectorConfig, Refusal
from bareosnet.proto.hello import HelloInfo, HelloKind, Persona
from bareosnet.proto.names import ResourceType, psk_identity
from bareosnet.proto.signals import Signal
from bareosnet.tls.psk import PskCredentials
from bareosnet.tls.settings import TlsSettings
from daemons.common.access import key_table
from daemons.common.commands import (
    CommandEntry,
    CommandTable,
    JobResult,
    run_command_loop,
    scan_ints,
    terminated_jobs_lines,
    with_suffix,
)
from daemons.filedaemon import status as fdstatus
from daemons.filedaemon.access import make_resolver
from daemons.filedaemon.daemon import COMMANDS, FdOptions, FileDaemon
from daemons.filedaemon.jobs import JobAuthorization, RunningJob
from tests.support.transcripts import read_transcript

CONFIG = """
Client { Name = bareos-fd; FD Port = 9102 }
Director { Name = bareos-dir; Password = "lab-fd-secret" }
Director { Name = tray; Password = "tray-pw"; Monitor = yes; TLS Enable = no }
Director { Name = pull-only; Password = "x"; Connection From Director To Client = no }
"""


def fd_config():  # type: ignore[no-untyped-def]
    return parse_string(CONFIG, daemon="fd")


def local(y: int, mo: int, d: int, h: int, mi: int) -> float:
    return time.mktime((y, mo, d, h, mi, 0, 0, 0, -1))


# ---------------------------------------------------------------- texts


def test_terminated_table_matches_the_lab_bytes() -> None:
    frames = read_transcript("stream01-to-file-daemon")
    recorded = [f.payload.rstrip(b"\x00").decode() for f in frames if f.payload is not None]
    start = recorded.index("\nTerminated Jobs:\n")
    job = JobResult(
        job_id=8,
        job="backup-big.2026-11-27_01.07.00_05",
        level="F",
        files=2,
        bytes=1_073_741_824,
        status="T",
        end_time=local(2026, 11, 27, 1, 7),
    )
    lines = terminated_jobs_lines([job], api=False, rule_length=fdstatus.RULE_LENGTH)
    assert lines == recorded[start : start + 5]


def test_terminated_rows_api_and_restore_and_status_words() -> None:
    jobs = [
        JobResult(12, "restore.2026-11-27_01.20.00_09", job_type="R", level=" ", files=1234,
                  bytes=37, status="A", end_time=local(2026, 11, 27, 1, 20)),
        JobResult(13, "inc.2026-11-27_01.21.00_10", level="I", status="W",
                  end_time=local(2026, 11, 27, 1, 21)),
    ]  # fmt: skip
    api = terminated_jobs_lines(jobs, api=True, rule_length=70)
    assert api[0] == "    12\t      \t   1,234\t       37 \tCancel \t27-Nov-26 01:20\trestore\n"
    assert api[1].split("\t")[1:5] == ["Incr  ", "       0", "        0 ", "Other  "]
    sd = terminated_jobs_lines(jobs, api=False, rule_length=67, warnings_text="OK -- with warnings")
    assert sd[1:3] == [
        " JobId  Level    Files      Bytes   Status   Finished        Name \n",
        "=" * 67 + "\n",
    ]
    assert "OK -- with warnings" in sd[4]


@pytest.mark.parametrize(
    ("value", "text"),
    [(0, "0 "), (999, "999 "), (1000, "1.000 K"), (12_345_678, "12.34 M"), (10**24, "1.000 Y")],
)
def test_with_suffix(value: int, text: str) -> None:
    assert with_suffix(value) == text


def _view(persona: Persona, **kw):  # type: ignore[no-untyped-def]
    return fdstatus.FdStatusView(
        name="bareos-fd", persona=persona, started=local(2026, 11, 27, 1, 10), **kw
    )


def test_header_per_persona() -> None:
    v26 = fdstatus.header_lines(_view(Persona.V26, debug=50))
    assert v26[0].startswith("bareos-fd Version: 26.0.0 (21 August 2026) ") and "  " not in v26[0]
    assert (
        v26[1]
        == "Daemon started 27-Nov-26 01:10. Jobs: run=0 running=0, bareosnet emulator binary\n"
    )
    assert v26[2] == " Sizeof: boffset_t=8 size_t=8 debug=50 trace=0 bwlimit=0kB/s\n"
    v18 = fdstatus.header_lines(_view(Persona.V18_2))
    assert v18[0].startswith("bareos-fd Version: 22.1.6 (14 February 2023)  ")
    v17 = fdstatus.header_lines(_view(Persona.V17_2))
    assert v17[0].startswith("bareos-fd Version: 17.2.10 (09 July 2020)  ")
    assert "-unknown-linux-gnu " in v17[0]
    assert v17[1] == "Daemon started 27-Nov-26 01:10. Jobs: run=0 running=0.\n"
    assert v17[2].startswith(" Heap: heap=")
    assert v17[3].startswith(" Sizeof: ")


def test_running_jobs_lines() -> None:
    job = RunningJob(job_id=9, job="backup.2026-11-27_01.12.00_07", started=time.time() - 10,
                     files=3, bytes=3000, files_examined=4, last_file="/etc/hosts")  # fmt: skip
    v = _view(Persona.V26, connections=(fdstatus.DirectorConnection("bareos-dir", time.time()),),
              running=(job,))  # fmt: skip
    lines = fdstatus.running_lines(v)
    assert lines[2] == "JobId 9 Job backup.2026-11-27_01.12.00_07 is running.\n"
    assert lines[3].startswith("    Full Backup Job started: ")
    assert (
        lines[4].startswith("    Files=3 Bytes=3,000 Bytes/sec=")
        and "\n    Bwlimit=0\n" in lines[4]
    )
    assert lines[-3:] == ["    Processing file: /etc/hosts\n", "    SDSocket closed.\n", "====\n"]
    assert "No Jobs running.\n" not in lines
    current = fdstatus.dot_status(v, ".status current")
    assert current.lines == ["2000 OK .status\n", "JobId=9 JobStatus=R JobErrors=0\n"]


def test_dot_status_arguments() -> None:
    v = _view(Persona.V26)
    assert fdstatus.dot_status(v, ".status CURRENT").ok is False  # Bareos compares exactly
    assert fdstatus.dot_status(v, ".status Header").ok is True
    bad = fdstatus.dot_status(v, ".status")
    assert (bad.ok, list(bad.lines)) == (False, ["2900 Bad .status command, wrong argument.\n"])


def test_scan_ints_is_as_lenient_as_bsscanf() -> None:
    assert scan_ints("setdebug=1 trace=2 hangup=3", ["setdebug", "trace", "hangup"]) == [1, 2, 3]
    assert scan_ints("setdebug=1trace=", ["setdebug", "trace"]) == [1, 0]
    assert scan_ints("setdebug=1 trace=0", ["setdebug", "trace", "hangup"]) is None


def test_command_table_prefix_order() -> None:
    assert COMMANDS.find("status").prefix == "status"  # type: ignore[union-attr]
    assert COMMANDS.find(".status last").prefix == ".status"  # type: ignore[union-attr]
    assert COMMANDS.find("resolve") is None  # "resolve " needs its blank
    assert COMMANDS.find("Status") is None


# ---------------------------------------------------------------- command loop


async def test_command_loop_skips_heartbeats_and_stops_on_signals() -> None:
    a, b = trio.testing.memory_stream_pair()
    ours, theirs = BareosStream(a), BareosStream(b)
    seen: list[str] = []

    async def echo(session: list[str], text: str) -> bool:
        session.append(text)
        return text != "echo stop"

    async def unknown(session: list[str], text: str) -> None:
        session.append("?" + text)

    table = CommandTable((CommandEntry("echo", echo),))
    await theirs.send_signal(Signal.HEARTBEAT)
    await theirs.send(b"echo one\x00")
    await theirs.send("echo stop")
    end = await run_command_loop(ours, table, seen, idle_timeout=5, on_unknown=unknown,
                                 on_monitor_denied=unknown)  # fmt: skip
    assert (end.reason, end.commands, seen) == ("command-ended", 2, ["echo one", "echo stop"])
    await theirs.send_signal(Signal.TERMINATE)
    end = await run_command_loop(ours, table, seen, idle_timeout=5, on_unknown=unknown,
                                 on_monitor_denied=unknown)  # fmt: skip
    assert end.reason == "peer-terminated"
    await theirs.send("nope")
    end = await run_command_loop(ours, table, seen, idle_timeout=5, on_unknown=unknown,
                                 on_monitor_denied=unknown, monitor=True)  # fmt: skip
    assert (end.reason, seen[-1]) == ("unknown-command", "?nope")
    await theirs.send("echo x")
    end = await run_command_loop(ours, table, seen, idle_timeout=5, on_unknown=unknown,
                                 on_monitor_denied=unknown, monitor=True)  # fmt: skip
    assert (end.reason, seen[-1]) == ("monitor-denied", "?echo x")


async def test_command_loop_idle_timeout(autojump_clock: trio.testing.MockClock) -> None:
    a, _b = trio.testing.memory_stream_pair()
    table: CommandTable[None] = CommandTable(())

    async def never(session: None, text: str) -> None:
        raise AssertionError

    end = await run_command_loop(BareosStream(a), table, None, idle_timeout=1800,
                                 on_unknown=never, on_monitor_denied=never)  # fmt: skip
    assert end.reason == "idle-timeout" and trio.current_time() >= 1800


# ---------------------------------------------------------------- resolver and keys


def test_resolver_rows_and_refusals() -> None:
    cfg = fd_config()
    daemon = FileDaemon(cfg, FdOptions())
    resolve = make_resolver(cfg, daemon.jobs)
    plan = resolve(HelloInfo(HelloKind.DIRECTOR, "bareos-dir"))
    assert isinstance(plan, AcceptPlan) and plan.spec.number == "3" and plan.policy == 2
    assert plan.key == cram.password_key("lab-fd-secret") and plan.own_name == "bareos-fd"
    tray = resolve(HelloInfo(HelloKind.DIRECTOR, "tray"))
    assert isinstance(tray, AcceptPlan) and tray.spec.number == "10" and tray.policy == 0
    for name, cause in (("nobody", "unknown-name"), ("pull-only", "not-allowed")):
        refusal = resolve(HelloInfo(HelloKind.DIRECTOR, name))
        assert isinstance(refusal, Refusal) and refusal.cause == cause and refusal.send == b""
    job = resolve(HelloInfo(HelloKind.STORAGE_START_JOB, "backup.2026-01-01_00.00.00_01"))
    assert isinstance(job, Refusal) and job.cause == "unknown-name"
    console = resolve(HelloInfo(HelloKind.CONSOLE, "admin"))
    assert isinstance(console, Refusal) and console.cause == "bad-hello"
    keys = key_table(cfg, daemon.jobs)
    assert keys(ResourceType.DIRECTOR, "tray") == cram.password_key("tray-pw")
    assert keys(ResourceType.DIRECTOR, "nobody") is None
    assert keys(ResourceType.CLIENT, "bareos-fd") is None


async def test_storage_daemon_job_connection_with_registered_key() -> None:
    """Row 7 (SD -> passive FD) over TLS-PSK with identity R_JOB, keyed by the job registry."""
    cfg = fd_config()
    daemon = FileDaemon(cfg, FdOptions(failure_delay=0))
    job = "backup.2026-11-27_01.12.00_07"
    session_key = b"OJFAAMKEFKLCBOAHFGCNAOMIEJEIBFLB"
    daemon.jobs.authorize(JobAuthorization(job, session_key, tls_policy=2, job_id=7))
    assert "OJFA" not in repr(daemon.jobs.authorization(job))
    settings = daemon._acceptor_settings(cfg)

    async def sd_side(stream: trio.abc.Stream, key: bytes) -> object:
        config = ConnectorConfig(spec=connection_spec("7"), hello_name=job, own_name="bareos-sd",
                                 key=key, policy=2)  # fmt: skip
        return await handshake_as_connector(
            stream, config, peer_address="fd", peer_host=None, tls_first=True,
            tls_settings=TlsSettings(), psk=PskCredentials(psk_identity("R_JOB", job), key),
        )  # fmt: skip

    a, b = trio.testing.memory_stream_pair()
    results: dict[str, Any] = {}
    async with trio.open_nursery() as nursery:

        async def fd_side() -> None:
            results["fd"] = await accept(b, settings, peer_address="sd")

        nursery.start_soon(fd_side)
        results["sd"] = await sd_side(a, session_key)
    _, info = results["fd"]
    assert info.connection == "7" and info.peer_name == job
    assert info.psk_identity == f"R_JOB\x1e{job}" and info.tls_version == "TLSv1.3"


async def test_unknown_job_connection_is_refused() -> None:
    cfg = fd_config()
    daemon = FileDaemon(cfg, FdOptions(failure_delay=0))
    settings = daemon._acceptor_settings(cfg)
    a, b = trio.testing.memory_stream_pair()
    client = BareosStream(a, timeout=5)
    async with trio.open_nursery() as nursery:

        async def fd_side() -> None:
            with pytest.raises(AuthError):
                await accept(b, settings, peer_address="sd")

        nursery.start_soon(fd_side)
        await client.send("Hello Storage calling Start Job nosuch.2026-01-01_00.00.00_01\n")
        assert await client.receive() == SignalFrame(Signal.TERMINATE)


def test_status_view_lists_sessions_in_order() -> None:
    daemon = FileDaemon(fd_config(), FdOptions())
    t1 = daemon.connection_opened("bareos-dir")
    daemon.connection_opened("tray")
    lines = fdstatus.running_lines(daemon.status_view())
    assert [line.split(" (")[0] for line in lines[1:3]] == ["bareos-dir", "tray"]
    daemon.connection_closed(t1)
    assert len(daemon.status_view().connections) == 1
    assert daemon.jobs.cancel("nothing") is False
    daemon.jobs.start(RunningJob(1, "j.2026-01-01_00.00.00_01"))
    hits: list[bool] = []
    daemon.jobs.on_cancel("j.2026-01-01_00.00.00_01", lambda: hits.append(True))
    assert daemon.jobs.cancel("j.2026-01-01_00.00.00_01") and hits == [True]
    assert daemon.jobs.finish("j.2026-01-01_00.00.00_01") is not None and daemon.jobs.jobs_run == 1


def test_packet_text_strips_nul() -> None:
    assert Packet(b"status\x00").text == "status"
