"""In-process tests of the Director emulator's parts: no subprocess, memory streams only."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import pytest
import trio
import trio.testing

from bareosnet.config import parse_string
from bareosnet.errors import AuthError, BareosError
from bareosnet.net.handshake import ConnectionInfo, accept, handshake_as_connector
from bareosnet.net.stream import BareosStream
from bareosnet.proto import cram
from bareosnet.proto.connections import spec as connection_spec
from bareosnet.proto.framing import Packet, SignalFrame
from bareosnet.proto.handshake import ConnectorConfig
from bareosnet.proto.hello import HelloKind, Persona, build_hello
from bareosnet.proto.policy import HandshakeMode
from bareosnet.proto.signals import Signal
from bareosnet.tls.settings import CLEARTEXT
from daemons.common.auth import acceptor_settings
from daemons.director.access import AcceptContext, key_table, make_resolver
from daemons.director.console.acl import decide
from daemons.director.console.args import parse_args
from daemons.director.console.commands import COMMANDS, lookup
from daemons.director.console.output import jsonrpc_envelope, render_json
from daemons.director.console.session import ConsoleSession
from daemons.director.probing.client_pool import ClientConnectionPool, LeasedStream
from daemons.director.probing.handshake_modes import (
    STATE_FILE_NAME,
    ClientFingerprint,
    HandshakeModeStore,
)
from daemons.director.runtime import DirectorRuntime

CONFIG = """
Director { Name = bareos-dir; DirPort = 9101; Password = "lab-console-secret"
           TLS Enable = no; TLS Require = no; Maximum Console Connections = 2 }
Client { Name = bareos-fd; Address = 127.0.0.1; Port = 19102; Password = "lab-fd-secret"
         Catalog = MyCatalog; TLS Enable = no; TLS Require = no }
Client { Name = bareos-fd-passive; Address = 127.0.0.1; Port = 19104; Password = "x"
         Passive = yes; Catalog = MyCatalog }
Client { Name = caller-fd; Address = 127.0.0.1; Password = "caller-secret"
         Connection From Client To Director = yes; TLS Enable = no; TLS Require = no }
Storage { Name = File; Address = 127.0.0.1; Port = 19103; Password = "lab-sd-secret"
          Device = FileStorage; Media Type = File }
Catalog { Name = MyCatalog; DbName = bareos; DbUser = bareos }
Console { Name = admin; Password = "lab-admin-secret"; Command ACL = *all*; Client ACL = *all*
          TLS Enable = no; TLS Require = no }
Console { Name = viewer; Password = "viewer-secret"; Command ACL = status, .clients, show
          Client ACL = bareos-fd; TLS Enable = no; TLS Require = no }
"""


def runtime(text: str = CONFIG, **kw: Any) -> DirectorRuntime:
    cfg = parse_string(text, daemon="dir")
    kw.setdefault("handshake_state", False)
    return DirectorRuntime(cfg, load=lambda: parse_string(text, daemon="dir"),
                           persona=Persona.V26, failure_delay=0.0, **kw)  # fmt: skip


# ---------------------------------------------------------------- args, table, ACL


def test_parse_args() -> None:
    a = parse_args('status client=bareos-fd "two words" key="a b"')
    assert a.words == (("status", None), ("client", "bareos-fd"), ("two words", None),
                       ("key", "a b"))  # fmt: skip
    assert a.value("client", "fd") == "bareos-fd"
    assert parse_args(".api json compact=yes").words[2] == ("compact", "yes")
    assert parse_args("   ").words == ()


@pytest.mark.parametrize(
    ("typed", "key"),
    [("st", "status"), ("s", "status"), ("sh", "show"), ("ex", "exit"), ("qu", "quit"),
     ("v", "var"), ("ver", "version"), (".", "."), (".cl", ".clients"), ("STATUS", "status"),
     (".api", ".api"), ("foobar", None), ("statusx", None)],
)  # fmt: skip
def test_prefix_lookup_follows_bareos_table_order(typed: str, key: str | None) -> None:
    cmd = lookup(typed)
    assert (cmd.key if cmd else None) == key


def test_table_has_no_duplicates_and_emulates_the_basics() -> None:
    keys = [c.key for c in COMMANDS]
    assert len(keys) == len(set(keys))
    for k in ("version", "status", "show", ".clients", ".api", "reload", "messages", ".messages",
              "autodisplay", "help", "whoami", "quit", "exit", ".quit"):  # fmt: skip
        assert lookup(k) is not None and lookup(k).emulated, k  # type: ignore[union-attr]


def test_acl_decisions() -> None:
    assert decide(["*all*"], "configure")
    assert decide(["status", "show"], "SHOW")
    assert not decide(["status"], "show")
    assert not decide(["!show", "*all*"], "show")
    assert decide(["*all*", "!show"], "show")  # first match decides
    assert decide(["bareos-.*"], "bareos-fd")
    assert not decide(["bareos"], "bareos-fd")
    assert not decide([], "status")


# ---------------------------------------------------------------- JSON


def test_json_envelope_matches_stream00_bytes() -> None:
    text = render_json(jsonrpc_envelope(True, {"api": 2}, {}), compact=False)
    assert text == '{\n  "jsonrpc": "2.0",\n  "id": null,\n  "result": {\n    "api": 2\n  }\n}'
    clients = {"clients": [{"name": "bareos-fd", "enabled": True},
                           {"name": "bareos-fd-passive", "enabled": True}]}  # fmt: skip
    assert len(render_json(jsonrpc_envelope(True, clients, {}), compact=False)) == 225


def test_json_error_envelope_and_compact() -> None:
    env = jsonrpc_envelope(False, {}, {"error": ["foobar: is an invalid command.\n"]})
    assert env == {"jsonrpc": "2.0", "id": None, "error": {"code": 1, "message": "failed",
                   "data": {"result": {}, "messages": {"error": [
                       "foobar: is an invalid command.\n"]}}}}  # fmt: skip
    assert render_json({"a": [1, {}]}, compact=True) == '{"a":[1,{}]}'
    # An error message turns even an ok command into an error answer.
    assert "error" in jsonrpc_envelope(True, {}, {"error": ["x"]})


# ---------------------------------------------------------------- handshake mode store


def fp(port: int = 9102, enable: bool = True, require: bool = False) -> ClientFingerprint:
    return ClientFingerprint("10.0.0.5", port, enable, require)


def test_mode_store_persists_atomically_and_reloads(tmp_path: Path) -> None:
    path = tmp_path / STATE_FILE_NAME
    store = HandshakeModeStore(path)
    store.set("old-fd", HandshakeMode.CLEARTEXT_FIRST, fp())
    store.set("new-fd", HandshakeMode.TLS_FIRST, fp(9103))
    store.set("bad-fd", HandshakeMode.FAILED, fp(9104))
    data = json.loads(path.read_text())
    assert data["version"] == 1
    assert set(data["clients"]) == {"old-fd", "new-fd"}  # failed is not worth saving
    assert data["clients"]["old-fd"] | {"saved_at": "x"} == {
        "mode": "cleartext-first", "address": "10.0.0.5", "port": 9102, "tls_enable": True,
        "tls_require": False, "saved_at": "x"}  # fmt: skip
    assert not list(tmp_path.glob("*.tmp"))
    again = HandshakeModeStore(path)
    # new-fd's port changed since: its entry is ignored (and dropped from the file)
    again.load([("old-fd", fp()), ("new-fd", fp(9999)), ("bad-fd", fp(9104))])
    assert again.get("old-fd") is HandshakeMode.CLEARTEXT_FIRST
    assert again.get("new-fd") is HandshakeMode.UNDEFINED
    assert again.get("bad-fd") is HandshakeMode.UNDEFINED
    assert set(json.loads(path.read_text())["clients"]) == {"old-fd"}
    again.reset_all()
    assert json.loads(path.read_text()) == {"version": 1, "clients": {}}
    assert again.get("old-fd") is HandshakeMode.UNDEFINED


@pytest.mark.parametrize("content", ["{not json", '{"version": 2, "clients": {}}', "[]",
                                     '{"version": 1, "clients": {"a": {"mode": "weird"}}}'])  # fmt: skip
def test_mode_store_ignores_bad_files(tmp_path: Path, content: str) -> None:
    path = tmp_path / STATE_FILE_NAME
    path.write_text(content)
    store = HandshakeModeStore(path)
    store.load([("a", fp())])
    assert store.get("a") is HandshakeMode.UNDEFINED


def test_mode_store_without_path_writes_nothing(tmp_path: Path) -> None:
    store = HandshakeModeStore(None)
    store.set("a", HandshakeMode.TLS_FIRST, fp())
    store.reset_all()
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- client pool


def _info(name: str = "caller-fd") -> ConnectionInfo:
    return ConnectionInfo(connection="4", title="", side="acceptor", peer_name=name,
                          peer_address=None, mode=HandshakeMode.CLEARTEXT_FIRST)  # fmt: skip


async def test_pool_take_release_and_discard() -> None:
    pool = ClientConnectionPool()
    async with trio.open_nursery() as nursery:
        a, fd_side = trio.testing.memory_stream_pair()
        nursery.start_soon(pool.park, "caller-fd", BareosStream(a), _info(), 54)
        await trio.testing.wait_all_tasks_blocked()
        assert [w.name for w in pool.waiting()] == ["caller-fd"]
        entry = await pool.take("caller-fd")
        assert entry is not None and pool.waiting() == []
        leased = LeasedStream(entry)
        await leased.send("status")
        fd = BareosStream(fd_side)
        assert (await fd.receive_packet()) == b"status"
        await fd.send(b"hello\n")
        assert (await leased.receive_packet()) == b"hello\n"
        await leased.aclose(terminate=True)  # releases: the parking task ends
        await trio.testing.wait_all_tasks_blocked()
        frame = await fd.receive_frame()
        assert frame == SignalFrame(Signal.TERMINATE)

        # A parked connection that speaks (or closes) is dropped, never handed out.
        b, fd2_side = trio.testing.memory_stream_pair()
        nursery.start_soon(pool.park, "caller-fd", BareosStream(b), _info(), 54)
        await trio.testing.wait_all_tasks_blocked()
        await BareosStream(fd2_side).send_signal(Signal.HEARTBEAT)
        await trio.testing.wait_all_tasks_blocked()
        assert pool.waiting() == []
        assert await pool.take("caller-fd") is None

        # take() with a timeout waits for a connection to arrive.
        async def arrive_later() -> None:
            await trio.sleep(0.05)
            c, _fd3 = trio.testing.memory_stream_pair()
            await pool.park("caller-fd", BareosStream(c), _info(), 54)

        nursery.start_soon(arrive_later)
        with trio.fail_after(2):
            late = await pool.take("caller-fd", timeout=1.0)
        assert late is not None
        late.release()


async def test_pool_drops_a_connection_parked_too_long(autojump_clock: trio.testing.MockClock) -> None:
    # Every wait is bounded: a connection nobody takes is closed (the FD reconnects).
    pool = ClientConnectionPool(max_parked=3600)
    a, fd_side = trio.testing.memory_stream_pair()
    with trio.fail_after(7200):
        await pool.park("caller-fd", BareosStream(a), _info(), 54)
    assert pool.waiting() == []
    with pytest.raises(BareosError):  # closed from our side
        await BareosStream(fd_side).receive_frame(timeout=1)


# ---------------------------------------------------------------- console framing


class Console:
    """The console side of an in-process session."""

    def __init__(self, stream: BareosStream) -> None:
        self.s = stream

    async def cmd(self, text: str) -> None:
        await self.s.send(text)

    async def frames(self, until: set[Signal], limit: int = 200) -> list[bytes | Signal]:
        got: list[bytes | Signal] = []
        for _ in range(limit):
            with trio.fail_after(5):
                frame = await self.s.receive_frame()
            if isinstance(frame, SignalFrame):
                got.append(frame.signal)
                if frame.signal in until:
                    return got
            else:
                assert isinstance(frame, Packet)
                got.append(frame.payload)
        raise AssertionError(f"no {until} in {got}")


async def _session(rt: DirectorRuntime, nursery: trio.Nursery, console: str = "*UserAgent*",
                   res: Any = None) -> Console:  # fmt: skip
    a, b = trio.testing.memory_stream_pair()
    info = ConnectionInfo(connection="1", title="", side="acceptor", peer_name=console,
                          peer_address=None, mode=HandshakeMode.CLEARTEXT_FIRST)  # fmt: skip
    session = ConsoleSession(rt, BareosStream(a), info, name=console, console_res=res)
    nursery.start_soon(session.run)
    return Console(BareosStream(b))


EOD, PROMPT = Signal.EOD, Signal.MAIN_PROMPT

# Where a command's answer ends: the end of data, the next prompt, or a question.
ANSWERED = {Signal.EOD, Signal.MAIN_PROMPT, Signal.SUB_PROMPT, Signal.TEXT_INPUT}


async def console_texts(rt: DirectorRuntime, *commands: str) -> list[str]:
    """The text each command answers in one console session (up to its end or question)."""
    out = []
    async with trio.open_nursery() as nursery:
        c = await _session(rt, nursery)
        for command in commands:
            await c.cmd(command)
            frames = await c.frames(ANSWERED)
            out.append(b"".join(f for f in frames if isinstance(f, bytes)).decode())
        nursery.cancel_scope.cancel()
    return out


async def test_api_modes_frame_like_stream00() -> None:
    rt = runtime()
    async with trio.open_nursery() as nursery:
        c = await _session(rt, nursery)
        await c.cmd(".clients")
        assert await c.frames({EOD}) == [
            b"bareos-fd\n",
            b"bareos-fd-passive\n",
            b"caller-fd\n",
            EOD,
        ]
        await c.cmd(".api 2")
        assert await c.frames({PROMPT}) == [
            Signal.CMD_OK,
            b'{\n  "jsonrpc": "2.0",\n  "id": null,\n  "result": {\n    "api": 2\n  }\n}',
            PROMPT,
        ]
        await c.cmd(".clients")
        got = await c.frames({PROMPT})
        assert got[:2] == [Signal.CMD_BEGIN, Signal.CMD_OK] and got[-1] is PROMPT
        assert json.loads(got[2])["result"]["clients"][0] == {"name": "bareos-fd", "enabled": True}
        await c.cmd("foobar")  # unknown: no CMD_BEGIN, ERROR_MSG, error JSON
        got = await c.frames({PROMPT})
        assert got[0] is Signal.ERROR_MSG and got[-1] is PROMPT
        assert json.loads(got[1])["error"]["data"]["messages"] == {
            "error": ["foobar: is an invalid command.\n"]}  # fmt: skip
        await c.cmd("status client=nonesuch")  # an error message makes it an error answer
        got = await c.frames({PROMPT})
        assert got[:2] == [Signal.CMD_BEGIN, Signal.ERROR_MSG] and Signal.CMD_OK in got
        assert json.loads(got[-2])["error"]["message"] == "failed"
        await c.cmd(".api json compact=yes")
        got = await c.frames({PROMPT})
        assert got[2] == b'{"jsonrpc":"2.0","id":null,"result":{"api":2}}'
        await c.cmd(".api 0")
        assert await c.frames({EOD}) == [Signal.CMD_BEGIN, b"api: 0\n", EOD]
        await c.cmd(".api 1")
        assert await c.frames({PROMPT}) == [b"api: 1\n", Signal.CMD_OK, PROMPT]
        await c.cmd("whoami")
        assert await c.frames({PROMPT}) == [Signal.CMD_BEGIN, b"root\n", Signal.CMD_OK, PROMPT]
        await c.cmd(".api off")
        await c.frames({EOD})
        # Any signal but TERMINATE is answered with POLL; an empty line still ends with EOD.
        await c.s.send_signal(Signal.EOD_POLL)
        assert await c.frames({Signal.POLL}) == [Signal.POLL]
        await c.cmd("")
        assert await c.frames({EOD}) == [EOD]
        await c.cmd("quit")  # closes without another packet, like the Director
        with trio.fail_after(5), pytest.raises(BareosError):
            await c.s.receive_frame()


async def test_named_console_acl_and_hidden_passwords() -> None:
    rt = runtime()
    viewer = rt.console_resource("viewer")
    async with trio.open_nursery() as nursery:
        c = await _session(rt, nursery, "viewer", viewer)
        await c.cmd("whoami")
        assert await c.frames({EOD}) == [b"viewer\n", EOD]
        await c.cmd("version")  # not in the Command ACL: as Bareos, an "invalid command"
        assert await c.frames({EOD}) == [b"version: is an invalid command.\n", EOD]
        await c.cmd(".clients")  # Client ACL: only bareos-fd
        assert await c.frames({EOD}) == [b"bareos-fd\n", EOD]
        await c.cmd("show client=bareos-fd")  # no "configure" right: password hidden
        got = await c.frames({EOD})
        assert b'  Password = "****************"\n' in got[0] and b"[md5]" not in got[0]
        assert got[1:] == [b"}\n\n", EOD]
        await c.cmd("show client=caller-fd")
        got = await c.frames({EOD})
        assert got == [b"clients resource caller-fd not found.\n", EOD]
        await c.cmd("quit")
        admin = rt.console_resource("admin")
        c2 = await _session(rt, nursery, "admin", admin)
        await c2.cmd("show client=bareos-fd")
        got = await c2.frames({EOD})
        assert got[0] == (b'Client {\n  Name = "bareos-fd"\n  Address = "127.0.0.1"\n  Port = 19102\n'
                          b'  Password = "[md5]5cff3092f076e9601bf76e056419571e"\n'
                          b'  Catalog = "MyCatalog"\n  TlsEnable = No\n  TlsRequire = No\n')  # fmt: skip
        rt.modes.set("bareos-fd", HandshakeMode.CLEARTEXT_FIRST,
                     ClientFingerprint("127.0.0.1", 19102, False, False))  # fmt: skip
        await c2.cmd("show client=bareos-fd")
        got = await c2.frames({EOD})
        assert got[0].endswith(b"  TlsRequire = No\n  # Handshake mode: cleartext-first\n")
        await c2.cmd("quit")


async def test_reload_resets_modes_and_messages() -> None:
    rt = runtime()
    rt.modes.set("bareos-fd", HandshakeMode.TLS_FIRST, ClientFingerprint("x", 1, True, True))
    rt.messages.add("bareos-dir: something happened")
    async with trio.open_nursery() as nursery:
        c = await _session(rt, nursery)
        await c.cmd("version")
        got = await c.frames({EOD})
        assert got[-2:] == [b"You have messages.\n", EOD]
        await c.cmd("messages")
        assert await c.frames({EOD}) == [b"bareos-dir: something happened\n", EOD]
        await c.cmd("messages")
        assert await c.frames({EOD}) == [b"You have no messages.\n", EOD]
        await c.cmd("reload")
        assert await c.frames({EOD}) == [b"reloaded\n", EOD]
        assert rt.modes.get("bareos-fd") is HandshakeMode.UNDEFINED
        await c.cmd("quit")


# ---------------------------------------------------------------- who may log in


async def _login(rt: DirectorRuntime, row: str, name: str, secret: str, *,
                 persona: Persona = Persona.V26) -> tuple[list[bytes], Exception | None]:  # fmt: skip
    """Run a cleartext connector against the Director's acceptor over memory streams."""
    a, b = trio.testing.memory_stream_pair()
    ctx = AcceptContext("test")
    settings = acceptor_settings(make_resolver(rt, ctx), rt.settings.tls, key_table(rt),
                                 persona=rt.persona, failure_delay=0.0)  # fmt: skip
    config = ConnectorConfig(spec=connection_spec(row), hello_name=name, own_name=name,
                             key=cram.password_key(secret), policy=0, persona=persona)  # fmt: skip
    error: Exception | None = None
    greeting: list[bytes] = []

    async def server() -> None:
        try:
            stream, _ = await accept(a, settings, peer_address="test")
            await stream.aclose()
        except BareosError:
            pass
        finally:
            if ctx.lease is not None:
                rt.consoles.release(ctx.lease)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(server)
        try:
            _, info = await handshake_as_connector(
                b, config, peer_address="dir", peer_host=None, tls_first=False,
                tls_settings=CLEARTEXT, psk=None)  # fmt: skip
            assert info.result is not None
            greeting = [g.encode() for g in info.result.greeting]
        except BareosError as exc:
            error = exc
    return greeting, error


async def test_console_greetings_and_refusals() -> None:
    rt = runtime()
    greeting, err = await _login(rt, "1", "*UserAgent*", "lab-console-secret")
    assert err is None
    assert greeting[0] == b"1000\x1eOK: bareos-dir Version: 26.0.0 (21 August 2026)"
    assert greeting[1].startswith(b"1002\x1e") and greeting[1].endswith(
        b"\nYou are connected using the default console"
    )
    greeting, err = await _login(rt, "2", "admin", "lab-admin-secret")
    assert err is None and greeting[1].endswith(b"\nYou are logged in as: admin")
    # A pre-18.2 console (no version in its Hello) gets the old one-line greeting.
    greeting, err = await _login(rt, "1", "*UserAgent*", "lab-console-secret",
                                 persona=Persona.V17_2)  # fmt: skip
    assert err is None
    assert greeting == [
        b"1000 OK: bareos-dir Version: 26.0.0 (21 August 2026) --  Encryption: None\n"
    ]
    _, err = await _login(rt, "2", "admin", "wrong")
    assert isinstance(err, AuthError)
    # Unknown named console: 18.2+ gets BNET_TERMINATE, a pre-18.2 one the 1999 line.
    assert await _first_answer(rt, build_hello(HelloKind.CONSOLE, "nobody", Persona.V26)) == [
        Signal.TERMINATE]  # fmt: skip
    assert await _first_answer(rt, build_hello(HelloKind.CONSOLE, "nobody", Persona.V17_2)) == [
        b"1999 You are not authorized.\n"]  # fmt: skip


async def test_client_initiated_refusals() -> None:
    rt = runtime()
    greeting, err = await _login(rt, "4", "caller-fd", "caller-secret")
    assert err is None and greeting == [b"1000 OK: bareos-dir Version: 26.0.0 (21 August 2026)\n"]
    # bareos-fd does not allow client-initiated connections, nobody-fd does not exist.
    for name in ("bareos-fd", "nobody-fd"):
        assert await _first_answer(rt, build_hello(HelloKind.CLIENT, name, Persona.V26)) == [
            b"1999 You are not authorized.\n"]  # fmt: skip


async def _first_answer(rt: DirectorRuntime, hello: bytes) -> list[bytes | Signal]:
    """What the Director answers a raw cleartext Hello, up to the close."""
    a, b = trio.testing.memory_stream_pair()
    ctx = AcceptContext("test")
    settings = acceptor_settings(make_resolver(rt, ctx), rt.settings.tls, key_table(rt),
                                 persona=rt.persona, failure_delay=0.0)  # fmt: skip
    got: list[bytes | Signal] = []

    async def server() -> None:
        with contextlib.suppress(BareosError):
            await accept(a, settings, peer_address="test")

    async with trio.open_nursery() as nursery:
        nursery.start_soon(server)
        peer = BareosStream(b)
        await peer.send(hello)
        with contextlib.suppress(BareosError), trio.fail_after(5):
            while True:
                frame = await peer.receive_frame()
                got.append(frame.signal if isinstance(frame, SignalFrame) else frame.payload)
    return got


async def test_named_consoles_above_the_maximum_are_refused() -> None:
    rt = runtime()  # Maximum Console Connections = 2
    held = [rt.consoles.acquire("x"), rt.consoles.acquire("y")]
    _, err = await _login(rt, "2", "admin", "lab-admin-secret")
    assert isinstance(err, AuthError) and err.cause == "peer-closed"  # closed, nothing sent
    greeting, err = await _login(rt, "1", "*UserAgent*", "lab-console-secret")
    assert err is None  # the default console is only logged, as Bareos does
    for lease in held:
        rt.consoles.release(lease)
    _, err = await _login(rt, "2", "admin", "lab-admin-secret")
    assert err is None


async def test_tray_monitor_logs_in_like_a_named_console() -> None:
    rt = runtime()
    greeting, err = await _login(rt, "9", "viewer", "viewer-secret")
    assert err is None and greeting[1].endswith(b"\nYou are logged in as: viewer")


async def test_idle_console_is_closed() -> None:
    rt = runtime(console_idle_timeout=0.1)
    async with trio.open_nursery() as nursery:
        c = await _session(rt, nursery)
        with trio.fail_after(5), pytest.raises(BareosError):
            await c.s.receive_frame()


async def test_unreachable_client_keeps_its_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    import daemons.director.probing.clients as clients_mod
    from tests.support.daemons import free_port

    monkeypatch.setattr(clients_mod, "STATUS_RETRY", (0.05, 0.2))
    port = free_port()  # nobody listens there
    text = CONFIG.replace("Port = 19102", f"Port = {port}")
    rt = runtime(text)
    rt.modes.set("bareos-fd", HandshakeMode.CLEARTEXT_FIRST,
                 ClientFingerprint("127.0.0.1", port, False, False))  # fmt: skip
    said: list[str] = []

    async def sink(text: str) -> None:
        said.append(text)

    with pytest.raises(clients_mod.ClientConnectError) as err:
        await clients_mod.connect_to_file_daemon(rt, rt.client("bareos-fd"), console=sink)
    assert "could not connect" in str(err.value)
    assert said == []  # a stored mode: no probing note
    assert rt.modes.get("bareos-fd") is HandshakeMode.CLEARTEXT_FIRST  # the FD is down, not changed
    with pytest.raises(ValueError):
        rt.file_daemons.retry_policy("backup")
    assert rt.file_daemons.retry_policy("job") == (10.0, 180.0)
