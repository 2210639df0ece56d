"""Test helpers for the File daemon's job sessions (no tests here).

* :func:`running_fd` runs a :class:`FileDaemon` in-process on an ephemeral port;
* :class:`Director` is a scripted Director session (connection 3);
* :class:`MemorySD` is a Storage daemon that keeps the records of an append
  session in memory and plays them back in a read session, either accepting
  the FD's data connection (row 6) or connecting to a passive FD (row 7).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import attrs
import trio

from bareosnet.config import parse_string
from bareosnet.net.handshake import AcceptorSettings, ConnectionInfo, accept
from bareosnet.net.stream import BareosStream
from bareosnet.proto import cram
from bareosnet.proto.connections import spec as connection_spec
from bareosnet.proto.framing import SignalFrame
from bareosnet.proto.handshake import AcceptPlan, Refusal
from bareosnet.proto.hello import HelloInfo, HelloKind, Persona
from bareosnet.proto.signals import Signal
from bareosnet.proto.streams import DataHeader, RestoreRecordHeader
from bareosnet.tls.settings import CLEARTEXT, TlsSettings
from daemons.common.auth import open_connection
from daemons.filedaemon.daemon import FdOptions, FileDaemon

FD_SECRET = "lab-fd-secret"
FD_KEY = cram.password_key(FD_SECRET)
CLEAR = "TLS Enable = no; TLS Require = no"


def fd_config(client_extra: str = CLEAR, director_extra: str = CLEAR) -> Any:
    return parse_string(
        f"""
Client {{ Name = bareos-fd; FD Port = 9102; {client_extra}
}}
Director {{ Name = bareos-dir; Password = "{FD_SECRET}"; {director_extra}
}}
""",
        daemon="fd",
    )


@asynccontextmanager
async def running_fd(
    cfg: Any | None = None, **options: Any
) -> AsyncIterator[tuple[FileDaemon, int]]:
    """A File daemon serving 127.0.0.1:<ephemeral> until the block ends."""
    daemon = FileDaemon(cfg or fd_config(), FdOptions(failure_delay=0, **options))
    listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
    port = listeners[0].socket.getsockname()[1]

    async def handler(stream: trio.SocketStream) -> None:
        try:
            await daemon.handle_connection(stream, "127.0.0.1")
        except Exception:  # noqa: BLE001 - a failing connection must not end the test FD
            pass
        finally:
            await trio.aclose_forcefully(stream)

    async with trio.open_nursery() as nursery:
        await daemon.run_background(nursery)
        nursery.start_soon(trio.serve_listeners, handler, listeners)
        yield daemon, port
        nursery.cancel_scope.cancel()


# ---------------------------------------------------------------- Director


class Director:
    """A scripted Director session on connection 3."""

    def __init__(self, stream: BareosStream) -> None:
        self.stream = stream
        self.received: list[bytes | Signal] = []

    @classmethod
    async def connect(cls, port: int, *, timeout: float = 10.0) -> Director:
        stream, _ = await open_connection(
            "3", host="127.0.0.1", port=port, hello_name="bareos-dir", own_name="bareos-dir",
            key=FD_KEY, tls=CLEARTEXT, persona=Persona.V26, timeout=timeout,
        )  # fmt: skip
        return cls(stream)

    async def send(self, payload: bytes | str) -> None:
        await self.stream.send(payload)

    async def signal(self, sig: Signal) -> None:
        await self.stream.send_signal(sig)

    async def recv(self, timeout: float = 10.0) -> bytes | Signal:
        frame = await self.stream.receive(timeout=timeout)
        out: bytes | Signal = frame.signal if isinstance(frame, SignalFrame) else frame.payload
        self.received.append(out)
        return out

    async def reply(self, timeout: float = 10.0) -> bytes:
        """The next non-Jmsg packet (job messages are collected in ``received``)."""
        while True:
            got = await self.recv(timeout)
            if isinstance(got, bytes) and got.startswith(b"Jmsg "):
                continue
            assert isinstance(got, bytes), f"expected a reply, got {got!r}"
            return got

    async def until_terminate(self, timeout: float = 20.0) -> list[bytes | Signal]:
        out: list[bytes | Signal] = []
        while True:
            got = await self.recv(timeout)
            out.append(got)
            if got == Signal.TERMINATE:
                return out

    def jmsgs(self) -> list[str]:
        return [p.decode() for p in self.received if isinstance(p, bytes) and p.startswith(b"Jmsg")]

    async def job(self, job: str, key: str, *, job_id: int = 7, ssl: int | None = None) -> bytes:
        tail = "" if ssl is None else f" ssl={ssl}"
        await self.send(
            f"JobId={job_id} Job={job} SDid=1 SDtime=1795741802 Authorization={key}{tail}\n"
        )
        return await self.reply()

    async def fileset(self, paths: list[str], options: str = "MHAX") -> bytes:
        await self.send("fileset vss=1\n")
        for line in ["I\n", f"O {options}\n", "N\n", *[f"F {p}" for p in paths], "N\n", "N\n"]:
            await self.send(line)
        await self.signal(Signal.EOD)
        return await self.reply()

    async def aclose(self) -> None:
        await self.stream.aclose()


# ---------------------------------------------------------------- Storage daemon


@attrs.define
class Record:
    file_index: int
    stream: int
    data: bytes


@attrs.define
class MemorySD:
    """Keeps records per append session; plays them back to a read session."""

    key: bytes
    job: str
    records: list[Record] = attrs.Factory(list)
    commands: list[bytes | Signal] = attrs.Factory(list)  # what the FD sent (not data)
    info: ConnectionInfo | None = None
    ticket: int = 1
    close_status: int = 84
    drop_after_bytes: int | None = None  # vanish after this much data (failure tests)
    done: trio.Event = attrs.Factory(trio.Event)
    tls: TlsSettings = CLEARTEXT
    policy: int = 0

    # -- row 6: the FD connects to us
    def settings(self) -> AcceptorSettings:
        def resolve(hello: HelloInfo) -> AcceptPlan | Refusal:
            if hello.kind is HelloKind.START_JOB and hello.name == self.job:
                return AcceptPlan(spec=connection_spec("6"), key=self.key, policy=self.policy,
                                  own_name="bareos-sd")  # fmt: skip
            return Refusal("unknown job", "unknown-name")

        def psk(identity: str) -> bytes | None:
            return self.key if identity == f"R_JOB\x1e{self.job}" else None

        return AcceptorSettings(resolver=resolve, own_tls=self.tls, psk_lookup=psk,
                                failure_delay=0, timeout=10)  # fmt: skip

    async def listen(self, nursery: trio.Nursery) -> int:
        listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
        port: int = listeners[0].socket.getsockname()[1]

        async def handler(tcp: trio.SocketStream) -> None:
            try:
                stream, self.info = await accept(tcp, self.settings(), peer_address="fd")
            except Exception as exc:  # noqa: BLE001
                self.commands.append(f"refused: {type(exc).__name__}".encode())
                return
            await self.serve(stream)

        nursery.start_soon(trio.serve_listeners, handler, listeners)
        return port

    # -- row 7: we connect to a passive FD
    async def call_fd(
        self, port: int, *, tls_first: bool = False, key: bytes | None = None
    ) -> None:
        stream, self.info = await open_connection(
            "7", host="127.0.0.1", port=port, hello_name=self.job, own_name="bareos-sd",
            key=key or self.key, tls=self.tls, persona=Persona.V26, tls_first=tls_first,
            policy=self.policy, require_psk=tls_first, timeout=10,
        )  # fmt: skip
        await self.serve(stream)

    # -- the session commands
    async def serve(self, stream: BareosStream) -> None:
        try:
            await self._serve(stream)
        finally:
            await stream.aclose()
            self.done.set()

    async def _serve(self, stream: BareosStream) -> None:
        while True:
            try:
                frame = await stream.receive(timeout=20)
            except Exception as exc:  # noqa: BLE001
                self.commands.append(f"lost: {exc}".encode())
                return
            if isinstance(frame, SignalFrame):
                self.commands.append(frame.signal)
                if frame.signal is Signal.TERMINATE:
                    return
                continue
            cmd = frame.payload
            self.commands.append(cmd)
            if cmd == b"append open session\n":
                await stream.send(f"3000 OK open ticket = {self.ticket}\n")
            elif cmd.startswith(b"append data "):
                await stream.send("3000 OK data\n")
                if not await self._receive_records(stream):
                    return
                await stream.send("3000 OK append data\n")
            elif cmd.startswith(b"append end session "):
                await stream.send("3000 OK end\n")
            elif cmd.startswith(b"append close session "):
                await stream.send(f"3000 OK close Status = {self.close_status}\n")
                await stream.send_signal(Signal.EOD)
            elif cmd.startswith(b"read open session = "):
                await stream.send(f"3000 OK open ticket = {self.ticket}\n")
            elif cmd.startswith(b"read data "):
                await stream.send("3000 OK data\n")
                if not await self._send_records(stream):
                    return
            elif cmd.startswith(b"read close session "):
                await stream.send("3000 OK close Status = 82\n")
                await stream.send_signal(Signal.EOD)
            else:
                await stream.send("3900 Invalid command\n")

    async def _receive_records(self, stream: BareosStream) -> bool:
        try:
            return await self._records_in(stream)
        except Exception as exc:  # noqa: BLE001 - the FD went away mid-session
            self.commands.append(f"lost: {exc}".encode())
            return False

    async def _records_in(self, stream: BareosStream) -> bool:
        sent = 0
        while True:
            frame = await stream.receive(timeout=20)
            if isinstance(frame, SignalFrame):
                if frame.signal is not Signal.EOD:
                    self.commands.append(frame.signal)
                    return False
                return True  # EOD where a header belongs: end of data
            header = DataHeader.parse(frame.payload)
            chunks: list[bytes] = []
            while True:
                frame = await stream.receive(timeout=20)
                if isinstance(frame, SignalFrame):
                    if frame.signal is not Signal.EOD:
                        self.commands.append(frame.signal)
                        return False
                    break
                chunks.append(frame.payload)
                sent += len(frame.payload)
                if self.drop_after_bytes is not None and sent >= self.drop_after_bytes:
                    await trio.aclose_forcefully(stream.stream)
                    self.commands.append(b"dropped")
                    return False
            for chunk in chunks or [b""]:
                self.records.append(Record(header.file_index, header.stream, chunk))

    async def _send_records(self, stream: BareosStream) -> bool:
        sent = 0
        for r in self.records:
            hdr = RestoreRecordHeader(1, 1795741908, r.file_index, r.stream, len(r.data))
            await stream.send(hdr.encode())
            await stream.send(r.data)
            sent += len(r.data)
            if self.drop_after_bytes is not None and sent >= self.drop_after_bytes:
                await trio.aclose_forcefully(stream.stream)
                self.commands.append(b"dropped")
                return False
        await stream.send_signal(Signal.EOD)
        return True


# ---------------------------------------------------------------- trees


def make_tree(root: Path) -> Path:
    """Nested dirs, an empty file, a 5 MB file, names with spaces and UTF-8, a symlink."""
    data = root / "data"
    (data / "sub dir" / "deeper").mkdir(parents=True)
    (data / "ünïcödé").mkdir()
    (data / "hello.txt").write_text("hello bareos\n")
    (data / "empty").write_bytes(b"")
    big = bytes((i * 7 + (i >> 9)) & 0xFF for i in range(1 << 16)) * 80  # 5 MiB
    (data / "sub dir" / "big file.bin").write_bytes(big)
    (data / "sub dir" / "deeper" / "nested.txt").write_text("nested\n")
    (data / "ünïcödé" / "grüße €.txt").write_text("utf-8 name\n")
    (data / "link").symlink_to("hello.txt")
    os.chmod(data / "hello.txt", 0o640)
    os.chmod(data / "sub dir" / "deeper", 0o750)
    stamp = 1_700_000_000
    for i, p in enumerate(sorted(data.rglob("*"), key=lambda q: -len(q.parts))):
        os.utime(p, (stamp + i, stamp + 100 + i), follow_symlinks=False)
    os.utime(data, (stamp, stamp + 50))
    return data


def tree_listing(root: Path) -> dict[str, tuple[str, int, int, bytes]]:
    """relative path -> (kind, mode, mtime, content/link target) for comparisons."""
    out: dict[str, tuple[str, int, int, bytes]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            st = p.lstat()
            rel = str(p.relative_to(root))
            if p.is_symlink():
                out[rel] = ("link", 0, int(st.st_mtime), os.readlink(p).encode())
            elif p.is_dir():
                out[rel] = ("dir", st.st_mode & 0o7777, int(st.st_mtime), b"")
            else:
                out[rel] = ("file", st.st_mode & 0o7777, int(st.st_mtime), p.read_bytes())
    st = root.stat()
    out["."] = ("dir", st.st_mode & 0o7777, int(st.st_mtime), b"")
    return out
