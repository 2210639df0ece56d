"""The Bareos handshake as two sans-IO state machines (connector and acceptor).

Theory of operation
-------------------
After TCP connect (and, in TLS-first mode, after the TLS handshake) the
connector sends its Hello.  The acceptor challenges first (CRAM-MD5), then the
connector challenges; each challenge carries the challenger's ``ssl=`` policy.
If TLS is not up yet both sides apply :func:`select_tls_policy` to the two
policies: stay cleartext, start a (certificate) TLS handshake now, or fail.
Finally the acceptor sends the success line of the connection type.

Feed every received frame to :meth:`receive`; it returns events: bytes to
send (:class:`Send`), :class:`StartTls` (do a TLS handshake now, then call
:meth:`tls_established`), and finally :class:`Done` or :class:`Failed`.  A
:class:`Failed` carries whatever error lines have to go out first as
:class:`Send` events before it, and whether Bareos would delay before
closing.  Nothing here touches a socket or a clock.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum, auto

import attrs

from bareosnet.errors import AuthError, BareosError, ProtocolError
from bareosnet.proto import cram
from bareosnet.proto.connections import ConnectionSpec, CramName, Success
from bareosnet.proto.framing import Frame, SignalFrame, encode_packet, encode_signal
from bareosnet.proto.hello import HelloInfo, Persona, build_hello, parse_hello
from bareosnet.proto.names import (
    SD_TO_PASSIVE_FD_NAME,
    bash_spaces,
    parse_psk_identity,
    qualified_cram_name,
)
from bareosnet.proto.policy import HandshakeMode, TlsPolicy, cleartext_allowed, select_tls_policy
from bareosnet.proto.signals import KEEPALIVE_SIGNALS, Signal

# ---------------------------------------------------------------- events


@attrs.frozen
class Send:
    data: bytes  # one or more complete packets


@attrs.frozen
class StartTls:
    server_side: bool


@attrs.frozen
class Done:
    result: HandshakeResult


@attrs.frozen
class Failed:
    error: BareosError
    delay: bool  # Bareos sleeps before closing after an authentication failure


Event = Send | StartTls | Done | Failed


@attrs.frozen
class HandshakeResult:
    """What a finished handshake established (the transport adds TLS details)."""

    spec: ConnectionSpec
    side: str  # "connector" or "acceptor"
    peer_name: str | None
    mode: HandshakeMode  # TLS_FIRST or CLEARTEXT_FIRST
    tls_upgraded: bool  # cleartext-first, then TLS after CRAM
    local_policy: int
    remote_policy: int | None
    hello: HelloInfo | None = None  # what the acceptor parsed
    greeting: tuple[str, ...] = ()  # success packets the connector received

    @property
    def encrypted(self) -> bool:
        return self.mode is HandshakeMode.TLS_FIRST or self.tls_upgraded


# ---------------------------------------------------------------- names


def own_cram_name(
    spec: ConnectionSpec, side: str, own_name: str, persona: Persona = Persona.V26
) -> str:
    """The name a side puts in its own challenge for this connection."""
    if side == "acceptor":
        if not persona.qualified_cram_names:
            return bash_spaces(own_name)
        return qualified_cram_name(spec.acceptor_cram_type, own_name)
    match spec.connector_cram_name:
        case CramName.FILE_DAEMON_LITERAL:
            return bash_spaces(SD_TO_PASSIVE_FD_NAME)
        case CramName.EMPTY:
            return ""
        case CramName.QUALIFIED:
            if not persona.qualified_cram_names:
                return bash_spaces(own_name)
            assert spec.connector_cram_type is not None
            return qualified_cram_name(spec.connector_cram_type, own_name)
    raise AssertionError(spec.connector_cram_name)  # pragma: no cover


def _packet(text: bytes) -> bytes:
    return encode_packet(text)


_TERMINATE = encode_signal(Signal.TERMINATE)


class _State(Enum):
    START = auto()
    WAIT_HELLO = auto()
    WAIT_CHALLENGE = auto()
    WAIT_RESPONSE = auto()
    WAIT_OK = auto()
    WAIT_TLS = auto()
    WAIT_SUCCESS = auto()
    WAIT_INFO = auto()
    DONE = auto()
    FAILED = auto()


class _Machine:
    """Shared plumbing: frame filtering and terminal states."""

    side = "?"

    def __init__(self) -> None:
        self.state = _State.START
        self.result: HandshakeResult | None = None
        self.error: BareosError | None = None

    @property
    def finished(self) -> bool:
        return self.state in (_State.DONE, _State.FAILED)

    def _fail(self, error: BareosError, *, send: bytes = b"", delay: bool = False) -> list[Event]:
        self.state = _State.FAILED
        self.error = error
        events: list[Event] = [Send(send)] if send else []
        events.append(Failed(error, delay))
        return events

    # state -> (what we wait for, in words; handler method name)
    _handlers: dict[_State, tuple[str, str]] = {}

    def receive(self, frame: Frame) -> list[Event]:
        """Feed the next received frame; returns the events it causes."""
        what, handler = self._handlers.get(self.state, (self.state.name, ""))
        payload = self._unwrap(frame, what)
        if payload is None:
            return []
        if isinstance(payload, list):
            return payload
        if not handler:
            raise ProtocolError(f"{self.side} got a packet in state {self.state.name}")
        return getattr(self, handler)(payload)  # type: ignore[no-any-return]

    def _unwrap(self, frame: Frame, waiting_for: str) -> bytes | list[Event] | None:
        """The payload of a packet; None to skip a keep-alive; events on a fatal signal."""
        if self.finished:
            raise ProtocolError("handshake already finished")
        if isinstance(frame, SignalFrame):
            if frame.signal in KEEPALIVE_SIGNALS:
                return None
            if frame.signal is Signal.TERMINATE:
                return self._fail(
                    AuthError(
                        f"peer terminated the connection while we waited for {waiting_for}"
                        " (it refused our Hello, name or TLS mode)",
                        "peer-refused",
                    )
                )
            return self._fail(
                ProtocolError(f"unexpected signal {frame.signal.name} while waiting for {waiting_for}")
            )
        return frame.payload

    def connection_closed(self) -> list[Event]:
        """The peer closed the connection before the handshake finished."""
        if self.finished:
            return []
        return self._fail(
            AuthError(
                f"peer closed the connection during the handshake ({self.state.name.lower()})",
                "peer-closed",
            )
        )


def _post_cram_tls(remote: int | None, local: int) -> AuthError | bool:
    """After a cleartext CRAM: an error (deny), True (start TLS now) or False (stay clear)."""
    decision = select_tls_policy(remote, local)
    if decision is TlsPolicy.DENY:
        return AuthError(
            f"TLS policy mismatch: peer ssl={remote}, ours ssl={local} "
            "(one side requires TLS, the other has it off)",
            "policy-deny",
        )
    return decision is TlsPolicy.ENABLED


# ---------------------------------------------------------------- connector


@attrs.frozen
class ConnectorConfig:
    spec: ConnectionSpec
    hello_name: str  # name in the Hello: console/director/client/job name
    own_name: str  # our resource name, for our challenge
    key: bytes = attrs.field(repr=False)
    policy: int = TlsPolicy.NONE  # our ssl= value
    persona: Persona = Persona.V26
    version: str | None = None  # full version string for console Hellos


class ConnectorHandshake(_Machine):
    side = "connector"

    def __init__(
        self,
        config: ConnectorConfig,
        *,
        tls_active: bool,
        challenge_factory: Callable[[str, int], cram.Challenge] | None = None,
    ) -> None:
        super().__init__()
        self.config = config
        self.tls_first = tls_active
        self._tls_upgraded = False
        self._remote_policy: int | None = None
        self._our_challenge: cram.Challenge | None = None
        self._peer_name: str | None = None
        self._greeting: list[str] = []
        self._new_challenge = challenge_factory or (lambda name, pol: cram.new_challenge(name, pol))
        self._cram_name = own_cram_name(config.spec, "connector", config.own_name, config.persona)

    def initiate(self) -> list[Event]:
        assert self.state is _State.START
        hello = build_hello(
            self.config.spec.hello, self.config.hello_name, self.config.persona, self.config.version
        )
        self.state = _State.WAIT_CHALLENGE
        return [Send(_packet(hello))]

    _handlers = {
        _State.WAIT_CHALLENGE: ("the peer's CRAM-MD5 challenge", "_on_challenge"),
        _State.WAIT_OK: ("the peer's verdict on our CRAM-MD5 answer", "_on_ok"),
        _State.WAIT_RESPONSE: ("the peer's answer to our challenge", "_on_response"),
        _State.WAIT_SUCCESS: ("the peer's greeting", "_on_success"),
        _State.WAIT_INFO: ("the Director's info message", "_on_info"),
    }

    def _on_challenge(self, payload: bytes) -> list[Event]:
        try:
            challenge = cram.parse_challenge(payload)
        except AuthError as exc:
            return self._fail(exc, send=_packet(cram.AUTH_FAILED), delay=True)
        if cram.is_replay(challenge, self._cram_name):
            return self._fail(
                AuthError("peer sent a challenge with our own name (replay)", "replay"),
                send=_packet(cram.AUTH_FAILED),
                delay=True,
            )
        self._remote_policy = challenge.policy
        self._peer_name = challenge.name
        self.state = _State.WAIT_OK
        return [Send(_packet(cram.response_packet(self.config.key, challenge)))]

    def _on_ok(self, payload: bytes) -> list[Event]:
        if payload.rstrip(b"\x00") != cram.OK_AUTH:
            return self._fail(
                AuthError(
                    "peer rejected our CRAM-MD5 answer: the password (or session key) "
                    "differs on the two sides",
                    "wrong-password",
                ),
                delay=True,
            )
        self._our_challenge = self._new_challenge(self._cram_name, self.config.policy)
        self.state = _State.WAIT_RESPONSE
        return [Send(_packet(self._our_challenge.message()))]

    def _on_response(self, payload: bytes) -> list[Event]:
        assert self._our_challenge is not None
        if not cram.verify_response(self.config.key, self._our_challenge, payload):
            return self._fail(
                AuthError(
                    "peer answered our CRAM-MD5 challenge wrongly: the password differs",
                    "wrong-password",
                ),
                send=_packet(cram.AUTH_FAILED),
                delay=True,
            )
        events: list[Event] = [Send(_packet(cram.OK_AUTH))]
        return events + self._after_cram()

    def _after_cram(self) -> list[Event]:
        if not self.tls_first:
            decision = _post_cram_tls(self._remote_policy, self.config.policy)
            if isinstance(decision, AuthError):
                return self._fail(decision)
            if decision:
                self.state = _State.WAIT_TLS
                return [StartTls(server_side=False)]
        return self._expect_success()

    def tls_established(self) -> list[Event]:
        """Call after the post-CRAM TLS handshake succeeded."""
        assert self.state is _State.WAIT_TLS
        self._tls_upgraded = True
        return self._expect_success()

    def _expect_success(self) -> list[Event]:
        if self.config.spec.success is Success.NOTHING:
            return self._done()
        self.state = _State.WAIT_SUCCESS
        return []

    def _on_success(self, payload: bytes) -> list[Event]:
        text = payload.rstrip(b"\x00").decode("utf-8", "replace")
        self._greeting.append(text)
        ok = False
        match self.config.spec.success:
            case Success.FD_HELLO_OK:
                ok = text.startswith("2000 OK Hello")
            case Success.SD_HELLO_OK:
                ok = text.startswith("3000 OK Hello")
            case Success.DIRECTOR_TO_CLIENT:
                ok = text.startswith("1000 OK:")
            case Success.CONSOLE_GREETING:
                if text.startswith("1000\x1eOK"):
                    self.state = _State.WAIT_INFO
                    return []
                if text.startswith("1001"):
                    return self._fail(
                        AuthError("Director asks for PAM credentials (not supported)", "pam")
                    )
                ok = text.startswith("1000 OK")
        if not ok:
            return self._fail(AuthError(f"peer refused us: {text.strip()[:120]}", "peer-rejected"))
        return self._done()

    def _on_info(self, payload: bytes) -> list[Event]:
        self._greeting.append(payload.rstrip(b"\x00").decode("utf-8", "replace"))
        return self._done()

    def _done(self) -> list[Event]:
        self.state = _State.DONE
        self.result = HandshakeResult(
            spec=self.config.spec,
            side=self.side,
            peer_name=self._peer_name,
            mode=HandshakeMode.TLS_FIRST if self.tls_first else HandshakeMode.CLEARTEXT_FIRST,
            tls_upgraded=self._tls_upgraded,
            local_policy=self.config.policy,
            remote_policy=self._remote_policy,
            greeting=tuple(self._greeting),
        )
        return [Done(self.result)]


# ---------------------------------------------------------------- acceptor


@attrs.frozen
class AcceptPlan:
    """How the acceptor's daemon wants a recognised peer handled."""

    spec: ConnectionSpec
    key: bytes = attrs.field(repr=False)
    policy: int  # our ssl= value: the TLS resource used for this connection
    own_name: str  # our resource name (qualified for the challenge by the machine)
    # Success packets (payloads) given the encryption text, e.g. " Encryption: None".
    success: Callable[[str], list[bytes]] | None = None
    # The configured policy for this peer that decides whether a cleartext Hello may
    # proceed; None = ``policy``.  Job connections differ: Bareos checks the job's
    # ssl policy there but advertises its own resource's policy in the challenge.
    cleartext_policy: int | None = None


@attrs.frozen
class Refusal:
    """The daemon refuses this peer before CRAM (unknown name, not allowed ...)."""

    reason: str
    cause: str = "unknown-name"
    send: bytes = _TERMINATE
    delay: bool = True


Resolver = Callable[[HelloInfo], AcceptPlan | Refusal]

_DEFAULT_SUCCESS = {
    Success.FD_HELLO_OK: [b"2000 OK Hello 54\n"],
    Success.SD_HELLO_OK: [b"3000 OK Hello\n"],
    Success.NOTHING: [],
}


class AcceptorHandshake(_Machine):
    side = "acceptor"

    def __init__(
        self,
        resolver: Resolver,
        *,
        tls_active: bool,
        psk_identity: str | None = None,
        persona: Persona = Persona.V26,
        encryption: str = " Encryption: None",
        challenge_factory: Callable[[str, int], cram.Challenge] | None = None,
    ) -> None:
        super().__init__()
        self.state = _State.WAIT_HELLO
        self.tls_first = tls_active
        self.persona = persona
        self._resolver = resolver
        self._psk_identity = psk_identity
        self._encryption = encryption
        self._tls_upgraded = False
        self._plan: AcceptPlan | None = None
        self._hello: HelloInfo | None = None
        self._challenge: cram.Challenge | None = None
        self._remote_policy: int | None = None
        self._cram_name = ""
        self._new_challenge = challenge_factory or (lambda name, pol: cram.new_challenge(name, pol))

    @property
    def hello(self) -> HelloInfo | None:
        return self._hello

    @property
    def connection(self) -> str | None:
        """The connection number once the Hello told who calls (for failure logs)."""
        return self._plan.spec.number if self._plan else None

    _handlers = {
        _State.WAIT_HELLO: ("the Hello", "_on_hello"),
        _State.WAIT_RESPONSE: ("the answer to our challenge", "_on_response"),
        _State.WAIT_CHALLENGE: ("the peer's challenge", "_on_challenge"),
        _State.WAIT_OK: ("the peer's verdict on our answer", "_on_ok"),
    }

    def _failure_lines(self, *lines: bytes) -> bytes:
        spec_line = self._plan.spec.failure_line if self._plan else None
        out = b"".join(_packet(line) for line in lines)
        if spec_line:
            out += _packet(spec_line)
        return out

    def _on_hello(self, payload: bytes) -> list[Event]:
        try:
            hello = parse_hello(payload)
        except ProtocolError as exc:
            return self._fail(ProtocolError(f"bad Hello: {exc}"), send=_TERMINATE, delay=True)
        self._hello = hello
        if self.tls_first and self._psk_identity is not None and self.persona.checks_psk_name:
            try:
                _, psk_name = parse_psk_identity(self._psk_identity)
            except ProtocolError as exc:
                return self._fail(exc, send=_TERMINATE, delay=True)
            if psk_name != hello.name:
                return self._fail(
                    AuthError(
                        f"peer tried authenticating as {hello.name!r} but used the PSK of "
                        f"{psk_name!r}",
                        "name-mismatch",
                    ),
                    send=_TERMINATE,
                    delay=True,
                )
        decision = self._resolver(hello)
        if isinstance(decision, Refusal):
            return self._fail(
                AuthError(decision.reason, decision.cause), send=decision.send, delay=decision.delay
            )
        self._plan = decision
        gate = decision.policy if decision.cleartext_policy is None else decision.cleartext_policy
        if not self.tls_first and self.persona.has_tls_psk and not cleartext_allowed(hello, gate):
            return self._fail(
                AuthError(
                    f"cleartext Hello from {hello.name!r} refused: TLS is "
                    f"{'required' if gate == TlsPolicy.REQUIRED else 'enabled'} "
                    f"for this peer (ssl policy {gate})",
                    "tls-required",
                ),
                send=_TERMINATE,
            )
        self._cram_name = own_cram_name(decision.spec, "acceptor", decision.own_name, self.persona)
        self._challenge = self._new_challenge(self._cram_name, decision.policy)
        self.state = _State.WAIT_RESPONSE
        return [Send(_packet(self._challenge.message()))]

    def _on_response(self, payload: bytes) -> list[Event]:
        assert self._plan is not None and self._challenge is not None
        if not cram.verify_response(self._plan.key, self._challenge, payload):
            return self._fail(
                AuthError(
                    f"{self._hello.name if self._hello else 'peer'!r} answered our CRAM-MD5 "
                    "challenge wrongly: the password (or session key) differs",
                    "wrong-password",
                ),
                send=self._failure_lines(cram.AUTH_FAILED),
                delay=True,
            )
        self.state = _State.WAIT_CHALLENGE
        return [Send(_packet(cram.OK_AUTH))]

    def _on_challenge(self, payload: bytes) -> list[Event]:
        assert self._plan is not None
        try:
            challenge = cram.parse_challenge(payload)
        except AuthError as exc:
            return self._fail(exc, send=self._failure_lines(cram.AUTH_FAILED), delay=True)
        if cram.is_replay(challenge, self._cram_name):
            return self._fail(
                AuthError("peer sent a challenge with our own name (replay)", "replay"),
                send=self._failure_lines(cram.AUTH_FAILED),
                delay=True,
            )
        self._remote_policy = challenge.policy
        self.state = _State.WAIT_OK
        return [Send(_packet(cram.response_packet(self._plan.key, challenge)))]

    def _on_ok(self, payload: bytes) -> list[Event]:
        if payload.rstrip(b"\x00") != cram.OK_AUTH:
            return self._fail(
                AuthError(
                    "peer rejected our CRAM-MD5 answer: the password differs on the two sides",
                    "peer-rejected",
                ),
                send=self._failure_lines(),
                delay=True,
            )
        assert self._plan is not None
        if not self.tls_first:
            decision = _post_cram_tls(self._remote_policy, self._plan.policy)
            if isinstance(decision, AuthError):
                return self._fail(decision, send=self._failure_lines())
            if decision:
                self.state = _State.WAIT_TLS
                return [StartTls(server_side=True)]
        return self._succeed()

    def tls_established(self, encryption: str) -> list[Event]:
        assert self.state is _State.WAIT_TLS
        self._tls_upgraded = True
        self._encryption = encryption
        return self._succeed()

    def _succeed(self) -> list[Event]:
        assert self._plan is not None
        spec = self._plan.spec
        if self._plan.success is not None:
            payloads = self._plan.success(self._encryption)
        elif spec.success in _DEFAULT_SUCCESS:
            payloads = _DEFAULT_SUCCESS[spec.success]
        else:
            raise ValueError(f"connection {spec.number} needs a success builder in its AcceptPlan")
        self.state = _State.DONE
        self.result = HandshakeResult(
            spec=spec,
            side=self.side,
            peer_name=self._hello.name if self._hello else None,
            mode=HandshakeMode.TLS_FIRST if self.tls_first else HandshakeMode.CLEARTEXT_FIRST,
            tls_upgraded=self._tls_upgraded,
            local_policy=self._plan.policy,
            remote_policy=self._remote_policy,
            hello=self._hello,
        )
        events: list[Event] = []
        if payloads:
            events.append(Send(b"".join(_packet(p) for p in payloads)))
        events.append(Done(self.result))
        return events
