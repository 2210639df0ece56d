"""What a console command writes, and how it reaches the console in each API mode.

Bareos commands write through one formatter: in text modes (``.api 0`` and
``.api 1``) every message is one packet sent at once; in JSON mode
(``.api 2``) text is swallowed, the command fills a result object instead,
error/warning/info messages are collected, and after the command exactly one
JSON-RPC packet goes out.  Error, warning and info messages are preceded by a
``BNET_ERROR_MSG``/``WARNING_MSG``/``INFO_MSG`` signal in both API modes.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from enum import IntEnum
from typing import Any

from bareosnet.net.stream import BareosStream
from bareosnet.proto.framing import encode_message, encode_signal
from bareosnet.proto.signals import Signal


class ApiMode(IntEnum):
    OFF = 0
    ON = 1
    JSON = 2


_SIGNAL_FOR = {"error": Signal.ERROR_MSG, "warning": Signal.WARNING_MSG, "info": Signal.INFO_MSG}


def jsonrpc_envelope(ok: bool, result: dict[str, Any], messages: dict[str, list[str]]) -> dict:
    """Bareos's JSON-RPC-like answer: ``result`` on success, ``error`` otherwise."""
    msg: dict[str, Any] = {"jsonrpc": "2.0", "id": None}
    if not ok or "error" in messages:
        msg["error"] = {
            "code": 1,
            "message": "failed",
            "data": {"result": result, "messages": messages},
        }
    else:
        msg["result"] = result
    return msg


def render_json(value: Any, *, compact: bool) -> str:
    """jansson's JSON_INDENT(2) / JSON_COMPACT output (UTF-8, keys in insertion order)."""
    if compact:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return json.dumps(value, indent=2, ensure_ascii=False)


class _PacketBuffer:
    """Packets gathered into few writes: the same bytes, far fewer sends and TLS records."""

    LIMIT = 64 * 1024

    def __init__(self, stream: BareosStream) -> None:
        self.stream = stream
        self._parts: list[bytes] = []
        self._size = 0

    async def send(self, payload: bytes | str) -> None:
        if isinstance(payload, str):
            payload = payload.encode("utf-8")
        await self._add(encode_message(payload))

    async def send_signal(self, signal: Signal) -> None:
        await self._add(encode_signal(signal))

    async def _add(self, data: bytes) -> None:
        self._parts.append(data)
        self._size += len(data)
        if self._size >= self.LIMIT:
            await self.flush()

    async def flush(self) -> None:
        data, self._parts, self._size = b"".join(self._parts), [], 0
        await self.stream.send_raw(data)


class ConsoleOutput:
    """The formatter of one console connection."""

    def __init__(self, stream: BareosStream) -> None:
        self.stream: BareosStream | _PacketBuffer = stream
        self.api = ApiMode.OFF
        self.compact = False
        self.result: dict[str, Any] = {}
        self.messages: dict[str, list[str]] = {}

    @property
    def json(self) -> bool:
        return self.api is ApiMode.JSON

    async def text(self, message: str | bytes) -> None:
        """An ordinary message (Bareos ``SendMsg``): one packet, invisible in JSON mode."""
        if self.json:
            return
        await self.stream.send(message)

    async def error(self, message: str) -> None:
        await self._typed("error", message)

    async def warning(self, message: str) -> None:
        await self._typed("warning", message)

    async def info(self, message: str) -> None:
        await self._typed("info", message)

    async def _typed(self, kind: str, message: str) -> None:
        if self.api:
            await self.stream.send_signal(_SIGNAL_FOR[kind])
        if self.json:
            self.messages.setdefault(kind, []).append(message)
        else:
            await self.stream.send(message)

    @contextlib.asynccontextmanager
    async def batched(self) -> AsyncIterator[None]:
        """Gather the packets written inside into 64 KiB writes (``status all``'s
        thousands of lines: one send and one TLS record per line cost the
        Director ~1 ms per Client).  The console receives the same packets."""
        real = self.stream
        if isinstance(real, _PacketBuffer):  # nested: the outer one flushes
            yield
            return
        buffer = _PacketBuffer(real)
        self.stream = buffer
        try:
            yield
        finally:
            self.stream = real
        await buffer.flush()

    def set(self, key: str, value: Any) -> None:
        """A top-level member of the JSON result (ignored in text modes)."""
        if self.json:
            self.result[key] = value

    async def finalize(self, ok: bool) -> None:
        """End of a command: the JSON packet in JSON mode; resets the collected state."""
        try:
            if self.json:
                envelope = jsonrpc_envelope(ok, self.result, self.messages)
                await self.stream.send(render_json(envelope, compact=self.compact))
        finally:
            self.result = {}
            self.messages = {}
