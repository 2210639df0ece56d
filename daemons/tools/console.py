"""A small bconsole: log in to a Director (default or named console) and run commands.

Used by ``bareos-emu console`` and by the lab demo.  It speaks connection 1
(default console, Director password) or 2 (named console) exactly as bconsole
does, and reads command output until BNET_EOD like bconsole's non-API mode.
"""

from __future__ import annotations

import sys
from typing import Any

from bareosnet.errors import BareosError, ConfigError
from bareosnet.net.handshake import ConnectionInfo
from bareosnet.net.stream import BareosStream
from bareosnet.proto.framing import Packet, SignalFrame
from bareosnet.proto.hello import Persona
from bareosnet.proto.names import USER_AGENT
from bareosnet.proto.signals import Signal
from daemons.common.auth import open_connection

# Signals that end one command's output in non-API mode.
_END = {Signal.EOD, Signal.MAIN_PROMPT, Signal.SUB_PROMPT, Signal.TERMINATE}


class ConsoleSession:
    def __init__(self, stream: BareosStream, info: ConnectionInfo) -> None:
        self.stream = stream
        self.info = info

    @property
    def greeting(self) -> list[str]:
        return [g.replace("\x1e", " ", 1) for g in (self.info.result.greeting if self.info.result else ())]

    async def call(self, command: str, timeout: float = 120.0) -> str:
        """Send one command, return its text output."""
        await self.stream.send(command)
        out: list[str] = []
        while True:
            try:
                frame = await self.stream.receive(timeout=timeout)
            except BareosError:
                break  # "quit": the Director just closes
            if isinstance(frame, SignalFrame):
                if frame.signal in _END:
                    break
                continue
            assert isinstance(frame, Packet)
            out.append(frame.text)
        return "".join(out)

    async def close(self) -> None:
        await self.stream.aclose(terminate=True)


async def login(
    host: str,
    port: int,
    *,
    name: str,
    key: bytes,
    tls: Any,
    persona: Persona = Persona.V26,
    timeout: float = 30.0,
) -> ConsoleSession:
    row = "1" if name == USER_AGENT else "2"
    stream, info = await open_connection(
        row, host=host, port=port, hello_name=name, own_name=name, key=key, tls=tls,
        persona=persona, timeout=timeout,
    )  # fmt: skip
    return ConsoleSession(stream, info)


def session_params(config_path: str, *, named: bool = True) -> dict[str, Any]:
    """Address, name, key and TLS from a bconsole config tree."""
    from bareosnet.config import load_config

    cfg = load_config(config_path, daemon="console")
    director = cfg.own()
    consoles = cfg.all("console")
    res = consoles[0] if (named and consoles) else director
    name = res.name if res is not director else USER_AGENT
    if res.password is None:
        raise ConfigError(f"{res.type} {res.name!r} has no Password", res.file, res.line)
    return {
        "host": str(director["Address"]),
        "port": int(director["Port"]),
        "name": name,
        "key": res.password.key,
        "tls": res.tls,
    }


async def run_commands(params: dict[str, Any], commands: list[str], out=sys.stdout) -> int:
    session = await login(**params)
    print(f"Connecting to Director {params['host']}:{params['port']}", file=out)
    print(f" Encryption: {session.info.encryption_text}", file=out)
    for line in session.greeting:
        print(line, file=out)
    for cmd in commands:
        print(f"*{cmd}", file=out)
        text = await session.call(cmd)
        print(text, end="" if text.endswith("\n") or not text else "\n", file=out)
    await session.close()
    return 0
