"""One console connection after login: read a command, run it, frame the answer.

Framing (reference 4.3/7.4): in text mode every command's output is followed
by ``BNET_EOD``; in API mode ``BNET_MAIN_PROMPT`` precedes every read and a
command is wrapped in ``BNET_CMD_BEGIN`` ... ``BNET_CMD_OK``/``CMD_FAILED``
(then one JSON packet in mode 2) with no EOD.  A signal from the console other
than ``BNET_TERMINATE`` is answered with ``BNET_POLL``.  ``quit``/``exit``
end the session without another packet, as the Director does.  Every read has
a timeout (the idle timeout); the session ends when it runs out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import structlog
import trio

from bareosnet.errors import BareosError, HandshakeTimeoutError
from bareosnet.net.handshake import ConnectionInfo
from bareosnet.net.stream import BareosStream
from bareosnet.proto.framing import SignalFrame
from bareosnet.proto.signals import Signal
from daemons.director.console.acl import ConsoleAcl, allowed
from daemons.director.console.args import parse_args
from daemons.director.console.commands import ALWAYS_ALLOWED, lookup
from daemons.director.console.output import ConsoleOutput

if TYPE_CHECKING:
    from daemons.director.console.interfaces import ConsoleDirector
    from daemons.director.interfaces import ConsoleLease

log = structlog.get_logger("bareosnet.director.console")


class ConsoleSession:
    def __init__(
        self,
        rt: ConsoleDirector,
        stream: BareosStream,
        info: ConnectionInfo,
        *,
        name: str,
        console_res: Any | None,
        lease: ConsoleLease | None = None,
    ) -> None:
        self.rt = rt
        self.stream = stream
        self.info = info
        rt.jobs.next_sequence()  # Bareos makes a "-Console-" record, which takes a job number
        self.name = name
        self.lease = lease
        self.out = ConsoleOutput(stream)
        self.acl: ConsoleAcl | None = (
            ConsoleAcl.from_resource(console_res, rt.profiles_of(console_res))
            if console_res is not None
            else None
        )
        self.quit = False
        self.auto_display = False
        self.user_notified = False
        # "Using Catalog ..." is said when a connection opens (catalog_notice.py).
        self.catalog_opened = False
        self.private_catalog_opened = False
        self.catalog_chosen = False
        # Bareos's batch flag: set by ".api json"/".api 2", cleared by ".api on/off"; a
        # command that would ask ("OK to run?", "Are you sure?") proceeds instead.
        self.batch = False

    # -- permissions
    def allowed(self, kind: str, item: str) -> bool:
        return allowed(self.acl, kind, item)

    def command_allowed(self, key: str) -> bool:
        return key in ALWAYS_ALLOWED or self.allowed("command", key)

    # -- the loop
    async def run(self) -> None:
        log.info("console.connected", console=self.name, encryption=self.info.encryption_text)
        try:
            while not self.quit:
                if self.out.api:
                    await self.stream.send_signal(Signal.MAIN_PROMPT)
                try:
                    frame = await self.stream.receive_frame(timeout=self.rt.console_idle_timeout)
                except HandshakeTimeoutError:
                    log.info("console.idle_timeout", console=self.name,
                             seconds=self.rt.console_idle_timeout)  # fmt: skip
                    break
                if isinstance(frame, SignalFrame):
                    if frame.signal is Signal.TERMINATE:
                        break
                    await self.stream.send_signal(Signal.POLL)
                    continue
                line = frame.payload.split(b"\x00", 1)[0].decode("utf-8", "replace")
                await self.execute(line)
        except (BareosError, trio.TooSlowError) as exc:
            log.info("console.lost", console=self.name, reason=str(exc) or type(exc).__name__)
        finally:
            await self.stream.aclose()
            log.info("console.closed", console=self.name)

    async def execute(self, line: str) -> bool:
        args = parse_args(line)
        ok = False
        if args.words:
            cmd = lookup(args.command)
            # Only the command word and the argument keys: values may be secrets.
            log.info("console.command", console=self.name, command=args.command,
                     resolved=cmd.key if cmd else None,
                     keys=[k for k, _ in args.words[1:]])  # fmt: skip
            if cmd is not None and self.command_allowed(cmd.key):
                if self.out.api:
                    await self.stream.send_signal(Signal.CMD_BEGIN)
                if cmd.handler is None:
                    await self.out.error(f"{cmd.key}: command not supported by this emulator.\n")
                    ok = False
                else:
                    ok = await cmd.handler(self, args)
                if self.out.api:
                    await self.stream.send_signal(Signal.CMD_OK if ok else Signal.CMD_FAILED)
            else:
                if cmd is not None:
                    log.info("console.denied", console=self.name, command=cmd.key)
                await self.out.error(f"{args.command}: is an invalid command.\n")
                ok = False
            await self.out.finalize(ok)
        if not self.quit:
            await self._after_command()
            if not self.out.api:
                await self.stream.send_signal(Signal.EOD)
        return ok

    async def send_signal(self, signal: Signal) -> None:
        await self.stream.send_signal(signal)

    async def ask(self, prompt: str, *, subprompt: bool = False) -> str | None:
        """Bareos ``GetCmd``: send the prompt, wait for the console's answer.

        Text mode (or a sub-prompt): the prompt then ``BNET_SUB_PROMPT``; API mode
        main prompts: ``BNET_TEXT_INPUT`` then the prompt.  Signals from the
        console are ignored; ``None`` for a lone ``.`` (cancel), a terminate, a
        lost connection or the idle timeout.  ``.messages`` is answered on the
        way, as Bareos does, and still returned.
        """
        if self.batch:
            return None  # GetCmd: nobody to ask in batch mode
        if not subprompt and self.out.api:
            await self.stream.send_signal(Signal.TEXT_INPUT)
        await self.stream.send(prompt)
        if not self.out.api or subprompt:
            await self.stream.send_signal(Signal.SUB_PROMPT)
        while True:
            try:
                frame = await self.stream.receive_frame(timeout=self.rt.console_idle_timeout)
            except (BareosError, trio.TooSlowError):
                self.quit = True  # gone or silent for the idle timeout: end the session
                return None
            if isinstance(frame, SignalFrame):
                if frame.signal is Signal.TERMINATE:
                    self.quit = True
                    return None
                continue
            answer = frame.payload.split(b"\x00", 1)[0].decode("utf-8", "replace").rstrip()
            if answer == ".messages":
                await self.show_messages()
            return None if answer == "." else answer

    async def _after_command(self) -> None:
        """Queued messages: shown (autodisplay on) or announced once."""
        if not self.rt.messages.pending or not self.command_allowed("messages"):
            return
        if self.auto_display:
            await self.show_messages()
            self.user_notified = False
        elif not self.user_notified:
            if self.out.api:
                await self.stream.send_signal(Signal.MSGS_PENDING)
            else:
                await self.out.text("You have messages.\n")
            self.user_notified = True

    async def show_messages(self) -> None:
        # Bareos's DoMessages writes the queued lines straight to the socket, in every API
        # mode: under ".api 2" they come as plain packets before the JSON result (which
        # python-bareos then fails to parse, exactly as against a real Director).
        for text in self.rt.messages.drain():
            await self.stream.send(text)
        self.user_notified = False
