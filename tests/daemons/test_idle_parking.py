"""Idle File daemon sessions park without a task and carry on where they stopped."""

from __future__ import annotations

import functools
from typing import Any

import pytest
import trio
from structlog.testing import capture_logs

from bareosnet.config import parse_string
from bareosnet.proto.signals import Signal
from bareosnet.tls.settings import TlsSettings
from daemons.common import idle_parking
from daemons.common.auth import open_connection
from daemons.common.server import serve_group
from daemons.filedaemon.daemon import FdOptions, FileDaemon
from tests.daemons.test_fd_jobs_support import CLEAR, FD_KEY, FD_SECRET, Director
from tests.support.daemons import free_port


@pytest.fixture(autouse=True)
def quick_parking(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(idle_parking, "PARK_AFTER", 0.2)


def _daemon(idle_timeout: float, *, tls: bool = False) -> FileDaemon:
    extra = "" if tls else CLEAR  # TLS: the defaults, PSK required
    cfg = parse_string(
        f"""
Client {{ Name = park-fd; FD Port = {free_port()}; FD Address = 127.0.0.1; {extra}
}}
Director {{ Name = bareos-dir; Password = "{FD_SECRET}"; {extra}
}}
""",
        daemon="fd",
    )
    return FileDaemon(cfg, FdOptions(failure_delay=0, idle_timeout=idle_timeout))


async def _status(d: Director) -> list[bytes]:
    await d.send("status\n")
    out: list[bytes] = []
    while (got := await d.recv(5)) != Signal.EOD:
        assert isinstance(got, bytes)
        out.append(got)
    return out


def _events(logs: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [e for e in logs if e["event"] == name]


async def _connect(port: int, tls: bool) -> Director:
    if not tls:
        return await Director.connect(port)
    stream, info = await open_connection(
        "3", host="127.0.0.1", port=port, hello_name="bareos-dir", own_name="bareos-dir",
        key=FD_KEY, tls=TlsSettings(), timeout=10,
    )  # fmt: skip
    assert info.psk_used
    return Director(stream)


@pytest.mark.parametrize("tls", [False, True], ids=["cleartext", "tls-psk"])
async def test_parked_session_wakes_on_a_command_and_keeps_its_count(tls: bool) -> None:
    daemon = _daemon(idle_timeout=30, tls=tls)
    with capture_logs() as logs:
        async with trio.open_nursery() as nursery:
            ports = await nursery.start(
                functools.partial(serve_group, [daemon], lambda: None, name="test")
            )
            d = await _connect(ports[0], tls)
            first = await _status(d)
            await trio.sleep(0.6)
            assert len(_events(logs, "session.parked")) == 1
            second = await _status(d)  # woken by the command, answered in full
            assert second[1].startswith(b"park-fd Version: ")
            assert len(second) == len(first)
            await trio.sleep(0.6)
            assert len(_events(logs, "session.parked")) == 2  # idle again: parked again
            await d.signal(Signal.TERMINATE)
            await trio.sleep(0.3)
            await d.stream.aclose()
            nursery.cancel_scope.cancel()
    ended = _events(logs, "session.ended")
    assert [(e["reason"], e["commands"]) for e in ended] == [("peer-terminated", 2)]
    assert daemon.status_view().connections == ()


async def test_parked_session_still_meets_its_idle_timeout() -> None:
    daemon = _daemon(idle_timeout=1)
    with capture_logs() as logs:
        async with trio.open_nursery() as nursery:
            ports = await nursery.start(
                functools.partial(serve_group, [daemon], lambda: None, name="test")
            )
            d = await Director.connect(ports[0])
            t0 = trio.current_time()
            with trio.fail_after(5):
                got = await d.until_terminate()
            elapsed = trio.current_time() - t0
            await d.stream.aclose()
            nursery.cancel_scope.cancel()
    assert got == [Signal.TERMINATE]
    assert 0.9 <= elapsed < 2.5
    assert len(_events(logs, "session.parked")) == 1
    assert [e["reason"] for e in _events(logs, "session.ended")] == ["idle-timeout"]


async def test_shutdown_closes_parked_sessions() -> None:
    daemon = _daemon(idle_timeout=30)
    with capture_logs() as logs:
        async with trio.open_nursery() as nursery:
            ports = await nursery.start(
                functools.partial(serve_group, [daemon], lambda: None, name="test")
            )
            directors = [await Director.connect(ports[0]) for _ in range(3)]
            await trio.sleep(0.6)
            assert len(_events(logs, "session.parked")) == 3
            assert len(daemon.status_view().connections) == 3
            nursery.cancel_scope.cancel()
    assert daemon.status_view().connections == ()
    for d in directors:  # closed without a goodbye, as a cancelled session task does
        with trio.fail_after(5):
            assert await d.stream.stream.receive_some(100) == b""
        await d.stream.aclose()


class _Sleeper:
    def __init__(self, name: str, deadline: float, woken: list[str]) -> None:
        self.name, self.deadline, self.woken = name, deadline, woken
        self.abandoned = False

    async def wake(self) -> None:
        self.woken.append(self.name)

    def abandon(self) -> None:
        self.abandoned = True


async def test_watcher_wakes_on_data_and_at_each_deadline_and_abandons_the_rest() -> None:
    parking = idle_parking.IdleParking()
    pairs = [trio.socket.socketpair() for _ in range(4)]
    woken: list[str] = []
    async with trio.open_nursery() as nursery:
        await nursery.start(parking.run, nursery)
        now = trio.current_time()
        late = _Sleeper("late", now + 0.4, woken)
        sleepers = [_Sleeper("data", now + 60, woken), late,
                    _Sleeper("early", now + 0.2, woken), _Sleeper("never", now + 60, woken)]  # fmt: skip
        for (ours, _), sleeper in zip(pairs, sleepers, strict=True):
            parking.park(ours.fileno(), sleeper)
        assert len(parking) == 4
        await pairs[0][1].send(b"x")  # the peer of "data" speaks
        await trio.sleep(0.1)
        assert woken == ["data"]
        await trio.sleep(0.45)
        assert woken == ["data", "early", "late"]
        assert len(parking) == 1
        nursery.cancel_scope.cancel()
    assert sleepers[3].abandoned and not late.abandoned
    assert not parking.accepts()
    for a, b in pairs:
        a.close()
        b.close()
