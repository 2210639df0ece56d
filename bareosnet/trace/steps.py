"""Name the cleartext packets of a Bareos handshake, for a trace (sans-IO).

A step says what a packet *is* (Hello, CRAM challenge, CRAM answer, CRAM
verdict, the acceptor's greeting) and carries only what a reader of the trace
may see: the Hello's kind and name, the challenger's name and ``ssl=N``.  The
CRAM answer (an HMAC of the key) is reduced to "an answer was sent", and
anything that is not a handshake packet is just ``other`` with its length, so
a session key or password can never end up in a trace through this module.
"""

from __future__ import annotations

import re

import attrs

from bareosnet.errors import BareosError
from bareosnet.proto.cram import parse_challenge
from bareosnet.proto.hello import HelloKind, parse_hello

# A CRAM answer: Bareos base64 of a 16-byte HMAC (22 chars, maybe 24 padded), NUL-ended.
_ANSWER = re.compile(rb"^[A-Za-z0-9+/]{20,24}={0,2}\x00?$")
# The verdicts and greetings that end a handshake (numbers from the Bareos daemons).
_RESULTS: tuple[tuple[bytes, str], ...] = (
    (b"1000 OK auth", "cram-ok"),
    (b"1999 Authorization failed", "cram-failed"),
    (b"1999 You are not authorized", "refused"),
    (b"2999 Authentication failed", "refused"),
    (b"3999 No go", "refused"),
    (b"2000 OK Hello", "hello-ok"),
    (b"3000 OK Hello", "hello-ok"),
    (b"1000 OK:", "hello-ok"),
    (b"1000\x1eOK", "hello-ok"),
    (b"1001 OK", "hello-ok"),
    (b"1002 ", "hello-ok"),
    (b"starttls", "starttls"),
)

# Hello kind -> the connection rows it can open (3/5 and 1/2 need the peer to tell).
HELLO_ROWS: dict[HelloKind, tuple[str, ...]] = {
    HelloKind.STORAGE_START_JOB: ("7",),
    HelloKind.START_STORAGE_JOB: ("8",),
    HelloKind.START_JOB: ("6",),
    HelloKind.DIRECTOR: ("3", "5", "10", "11"),
    HelloKind.STORAGE: ("5",),
    HelloKind.CLIENT: ("4",),
    HelloKind.CONSOLE: ("1", "2", "9"),
}


@attrs.frozen
class Step:
    """One handshake packet, as a trace shows it."""

    step: str  # hello, cram-challenge, cram-answer, cram-ok, cram-failed, refused, hello-ok, ...
    detail: str = ""  # safe words: "Director bareos-dir", "R_CLIENT::bareos-fd ssl=0"
    ssl: int | None = None  # the challenger's ssl= value
    hello_kind: str | None = None  # HelloKind.value for a Hello
    name: str | None = None  # Hello name / challenger name

    def fields(self) -> dict[str, object]:
        out: dict[str, object] = {"step": self.step, "detail": self.detail}
        if self.ssl is not None:
            out["ssl"] = self.ssl
        if self.hello_kind is not None:
            out["hello_kind"] = self.hello_kind
        if self.name is not None:
            out["name"] = self.name
        return out


def classify(payload: bytes) -> Step:
    """The step one packet payload is; never raises."""
    if payload.startswith(b"Hello "):
        try:
            hello = parse_hello(payload)
        except BareosError:
            return Step("hello", "unparsable Hello")
        version = f" Version={hello.bareos_version}" if hello.bareos_version else ""
        what = hello.kind.value.removeprefix("Hello ").removeprefix("Hello")
        detail = f"{what} {hello.name}".strip() + version
        return Step("hello", detail, hello_kind=hello.kind.value, name=hello.name)
    if payload.startswith(b"auth cram-md5"):
        try:
            chal = parse_challenge(payload)
        except BareosError:
            return Step("cram-challenge", "unparsable challenge")
        ssl = "" if chal.policy is None else f" ssl={chal.policy}"
        return Step("cram-challenge", f"{chal.name}{ssl}", ssl=chal.policy, name=chal.name)
    for prefix, step in _RESULTS:
        if payload.startswith(prefix):
            return Step(step, prefix.decode("ascii", "replace").replace("\x1e", " ").strip())
    if _ANSWER.match(payload):
        return Step("cram-answer", "answer")
    return Step("other", f"{len(payload)} bytes")
