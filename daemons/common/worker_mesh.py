"""How the worker processes of one emulator (``--workers N``) ask each other things.

With ``--workers N`` the kernel spreads connections over N processes that
listen on the same port (SO_REUSEPORT), so a connection may land in a worker
that does not hold the state it is about: a Director's ``status`` must list
the jobs of every worker, a ``cancel`` must reach the worker running the job,
and a Storage daemon's data connection for a passive job must reach the
worker whose Director session runs that job.

Each worker listens on a Unix socket ``<dir>/worker-<i>.sock`` (the directory
is private to the process group, mode 0700).  A request is one JSON line, the
answer one JSON line.  A request whose op is ``"link"`` gets no answer: after
its line the socket carries the relayed bytes of one connection (see
:func:`relay`).  Session keys travel over these sockets (a worker that accepts
a job's data connection must check its key); they never reach a log line.
"""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import structlog
import trio

log = structlog.get_logger("bareos.workers")

MAX_LINE = 1 << 20  # a request or answer larger than this is a bug, not data
ASK_TIMEOUT = 2.0  # a worker that does not answer within this is skipped

Handler = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]
LinkHandler = Callable[[dict[str, Any], trio.SocketStream, bytes], Awaitable[None]]


def socket_path(directory: str | Path, index: int) -> str:
    return str(Path(directory) / f"worker-{index}.sock")


async def _read_line(stream: trio.SocketStream, timeout: float) -> tuple[bytes, bytes]:
    """One line and whatever came after it in the same reads."""
    buf = bytearray()
    with trio.fail_after(timeout):
        while b"\n" not in buf:
            data = await stream.receive_some(65536)
            if not data:
                raise EOFError("worker closed the socket before a full line")
            buf += data
            if len(buf) > MAX_LINE:
                raise ValueError("worker line too long")
    line, _, rest = bytes(buf).partition(b"\n")
    return line, rest


def _encode(obj: dict[str, Any]) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode() + b"\n"


class WorkerMesh:
    """This worker's end: serve the others' requests, ask them ours."""

    def __init__(self, directory: str | Path, index: int, count: int) -> None:
        self.directory = str(directory)
        self.index = index
        self.count = count
        self._handlers: dict[str, Handler] = {}
        self._link_handler: LinkHandler | None = None

    @property
    def others(self) -> list[int]:
        return [i for i in range(self.count) if i != self.index]

    def on(self, op: str, handler: Handler) -> None:
        self._handlers[op] = handler

    def on_link(self, handler: LinkHandler) -> None:
        self._link_handler = handler

    # -- serving
    async def serve(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        path = socket_path(self.directory, self.index)
        try:
            os.unlink(path)  # a worker restarted after a crash finds its old socket
        except FileNotFoundError:
            pass
        sock = trio.socket.socket(trio.socket.AF_UNIX, trio.socket.SOCK_STREAM)
        await sock.bind(path)
        sock.listen(128)
        listener = trio.SocketListener(sock)
        task_status.started()
        async with trio.open_nursery() as nursery:
            async with listener:
                while True:
                    stream = await listener.accept()
                    nursery.start_soon(self._serve_one, stream)

    async def _serve_one(self, stream: trio.SocketStream) -> None:
        keep = False
        try:
            line, rest = await _read_line(stream, ASK_TIMEOUT)
            request = json.loads(line)
            op = request.get("op")
            if op == "link" and self._link_handler is not None:
                keep = True
                await self._link_handler(request, stream, rest)
                return
            handler = self._handlers.get(op)
            if handler is None:
                answer: dict[str, Any] = {"error": f"unknown op {op!r}"}
            else:
                answer = await handler(request)
            with trio.fail_after(ASK_TIMEOUT):
                await stream.send_all(_encode(answer))
        except (EOFError, ValueError, trio.TooSlowError, trio.BrokenResourceError) as exc:
            log.warning("worker.request_failed", reason=str(exc) or type(exc).__name__)
        except Exception:  # a bug ends this request only
            log.exception("worker.request_crashed")
        finally:
            if not keep:
                await trio.aclose_forcefully(stream)

    # -- asking
    async def _connect(self, index: int) -> trio.SocketStream:
        sock = trio.socket.socket(trio.socket.AF_UNIX, trio.socket.SOCK_STREAM)
        try:
            await sock.connect(socket_path(self.directory, index))
        except BaseException:
            sock.close()
            raise
        return trio.SocketStream(sock)

    async def ask(self, index: int, request: dict[str, Any],
                  timeout: float = ASK_TIMEOUT) -> dict[str, Any] | None:  # fmt: skip
        """Worker ``index``'s answer, or None if it is down or too slow (logged)."""
        try:
            with trio.fail_after(timeout):
                stream = await self._connect(index)
                async with stream:
                    await stream.send_all(_encode(request))
                    line, _ = await _read_line(stream, timeout)
            answer = json.loads(line)
            return answer if isinstance(answer, dict) else None
        except (OSError, EOFError, ValueError, trio.TooSlowError, trio.BrokenResourceError) as exc:
            log.warning("worker.unreachable", worker=index, op=request.get("op"),
                        reason=str(exc) or type(exc).__name__)  # fmt: skip
            return None

    async def ask_others(self, request: dict[str, Any]) -> dict[int, dict[str, Any]]:
        """Every other worker's answer, asked at once (workers that fail are left out)."""
        answers: dict[int, dict[str, Any]] = {}

        async def one(i: int) -> None:
            answer = await self.ask(i, request)
            if answer is not None:
                answers[i] = answer

        async with trio.open_nursery() as nursery:
            for i in self.others:
                nursery.start_soon(one, i)
        return answers

    async def open_link(self, index: int, header: dict[str, Any]) -> trio.SocketStream:
        """A socket to worker ``index`` that carries one relayed connection after ``header``."""
        with trio.fail_after(ASK_TIMEOUT):
            stream = await self._connect(index)
            await stream.send_all(_encode({**header, "op": "link"}))
        return stream


async def relay(a: trio.abc.Stream, b: trio.abc.Stream) -> None:
    """Copy bytes both ways until one side ends, then end both.

    Neither side is idle-limited here: the daemons at both ends run their own
    timeouts on the Bareos protocol that flows through.
    """

    async def pump(src: trio.abc.Stream, dst: trio.abc.Stream, done: trio.CancelScope) -> None:
        try:
            while True:
                data = await src.receive_some(65536)
                if not data:
                    break
                await dst.send_all(data)
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            pass
        done.cancel()

    async with trio.open_nursery() as nursery:
        nursery.start_soon(pump, a, b, nursery.cancel_scope)
        nursery.start_soon(pump, b, a, nursery.cancel_scope)
    await trio.aclose_forcefully(a)
    await trio.aclose_forcefully(b)
