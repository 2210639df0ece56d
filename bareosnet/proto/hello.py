"""Hello messages: the first packet of every Bareos connection, per persona.

Personas model the daemon generations whose wire behaviour differs:
``17.2`` (no TLS-PSK, bare names in challenges), ``18.2`` (18.2-22: TLS-PSK,
``TLS Require`` defaults to no), ``25`` (23-25: Require defaults to yes) and
``26`` (adds ``Version="x.y.z"`` to every Hello and checks that the PSK
identity names the same resource as the Hello).
"""

from __future__ import annotations

import re
from enum import Enum

import attrs

from bareosnet.errors import ProtocolError
from bareosnet.proto.names import ResourceType, bash_spaces, unbash_spaces


class Persona(Enum):
    V17_2 = "17.2"
    V18_2 = "18.2"
    V25 = "25"
    V26 = "26"

    @classmethod
    def parse(cls, text: str) -> Persona:
        for p in cls:
            if p.value == text:
                return p
        raise ValueError(f"unknown persona {text!r} (choose 17.2, 18.2, 25 or 26)")

    @property
    def has_tls_psk(self) -> bool:
        return self is not Persona.V17_2

    @property
    def versioned_hello(self) -> bool:
        return self is Persona.V26

    @property
    def qualified_cram_names(self) -> bool:
        return self is not Persona.V17_2

    @property
    def checks_psk_name(self) -> bool:
        return self is Persona.V26

    @property
    def tls_require_default(self) -> bool:
        return self in (Persona.V25, Persona.V26)

    @property
    def tls_enable_default(self) -> bool:
        return self is not Persona.V17_2

    @property
    def version(self) -> str:
        """The full version string an emulator of this persona reports."""
        return _VERSIONS[self]


_VERSIONS = {
    Persona.V17_2: "17.2.10",
    Persona.V18_2: "22.1.6",
    Persona.V25: "25.0.3",
    Persona.V26: "26.0.0",
}


def numeric_version(full: str) -> str:
    """``26.0.0~pre1298.abc`` -> ``26.0.0`` for the ``Version="..."`` field."""
    m = re.match(r"\d+(?:\.\d+){0,2}", full)
    return m.group(0) if m else full


class HelloKind(Enum):
    """The Hello shapes; the acceptor classifies by prefix in this order."""

    STORAGE_START_JOB = "Hello Storage calling Start Job"  # 7: SD -> passive FD
    START_STORAGE_JOB = "Hello Start Storage Job"  # 8: SD -> SD
    START_JOB = "Hello Start Job"  # 6: FD -> SD
    DIRECTOR = "Hello Director"  # 3, 5, 10, 11
    STORAGE = "Hello Storage"  # (old SD -> Dir form; classified only)
    CLIENT = "Hello Client"  # 4: client-initiated FD -> Dir
    CONSOLE = "Hello"  # 1, 2, 9

    @property
    def resource_type(self) -> ResourceType:
        return _KIND_TYPES[self]


_KIND_TYPES = {
    HelloKind.STORAGE_START_JOB: ResourceType.JOB,
    HelloKind.START_STORAGE_JOB: ResourceType.JOB,
    HelloKind.START_JOB: ResourceType.JOB,
    HelloKind.DIRECTOR: ResourceType.DIRECTOR,
    HelloKind.STORAGE: ResourceType.STORAGE,
    HelloKind.CLIENT: ResourceType.CLIENT,
    HelloKind.CONSOLE: ResourceType.CONSOLE,
}

FD_PROTOCOL_VERSION = 54


def build_hello(kind: HelloKind, name: str, persona: Persona, full_version: str | None = None) -> bytes:
    """The Hello a connector of ``persona`` sends (``name`` unbashed)."""
    version = full_version or persona.version
    n = bash_spaces(name)
    match kind:
        case HelloKind.CONSOLE:
            if persona is Persona.V17_2:
                text = f"Hello {n} calling"
            else:
                text = f"Hello {n} calling version {version}"
        case HelloKind.DIRECTOR:
            text = f"Hello Director {n} calling"
        case HelloKind.CLIENT:
            text = f"Hello Client {n} FdProtocolVersion={FD_PROTOCOL_VERSION} calling"
        case HelloKind.START_JOB:
            text = f"Hello Start Job {n}"
        case HelloKind.STORAGE_START_JOB:
            text = f"Hello Storage calling Start Job {n}"
        case HelloKind.START_STORAGE_JOB:
            text = f"Hello Start Storage Job {n}"
        case HelloKind.STORAGE:
            text = f"Hello Storage {n} calling"
    if persona.versioned_hello:
        text += f' Version="{numeric_version(version)}"'
    return (text + "\n").encode("utf-8")


@attrs.frozen
class HelloInfo:
    """What an acceptor learns from a Hello."""

    kind: HelloKind
    name: str  # unbashed
    console_version: int = 1  # major*100+minor for consoles; 1 = undefined (pre-18.2)
    version_text: str | None = None  # "calling version X" word, consoles only
    bareos_version: str | None = None  # Version="x.y.z" (26+)
    fd_protocol_version: int | None = None

    @property
    def resource_type(self) -> ResourceType:
        return self.kind.resource_type


_VERSION_FIELD = re.compile(r'\s+Version="([^"]*)"\s*$')


def parse_hello(payload: bytes) -> HelloInfo:
    """Classify a Hello as a current acceptor does; garbage is a ProtocolError."""
    raw = payload.split(b"\x00", 1)[0]
    try:
        text = raw.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError:
        raise ProtocolError("Hello is not valid UTF-8") from None
    if not text.startswith("Hello "):
        raise ProtocolError(f"not a Hello: {text[:60]!r}")
    bareos_version = None
    m = _VERSION_FIELD.search(text)
    if m:
        bareos_version = m.group(1)
        text = text[: m.start()]
    words = text.split()
    for kind in HelloKind:
        if text.startswith(kind.value):
            break
    return _parse_words(kind, words, bareos_version)


def _word(words: list[str], index: int, what: str) -> str:
    if len(words) <= index:
        raise ProtocolError(f"Hello lacks the {what}")
    return unbash_spaces(words[index])


def _parse_words(kind: HelloKind, words: list[str], bareos_version: str | None) -> HelloInfo:
    match kind:
        case HelloKind.STORAGE_START_JOB:
            return HelloInfo(kind, _word(words, 5, "job name"), bareos_version=bareos_version)
        case HelloKind.START_STORAGE_JOB:
            return HelloInfo(kind, _word(words, 4, "job name"), bareos_version=bareos_version)
        case HelloKind.START_JOB:
            return HelloInfo(kind, _word(words, 3, "job name"), bareos_version=bareos_version)
        case HelloKind.DIRECTOR | HelloKind.STORAGE:
            if len(words) < 4 or words[3] != "calling":
                raise ProtocolError("bad Director Hello")
            return HelloInfo(kind, _word(words, 2, "name"), bareos_version=bareos_version)
        case HelloKind.CLIENT:
            name = _word(words, 2, "client name")
            proto = None
            if len(words) > 3 and words[3].startswith("FdProtocolVersion="):
                try:
                    proto = int(words[3].split("=", 1)[1])
                except ValueError:
                    raise ProtocolError("bad FdProtocolVersion in Hello") from None
            return HelloInfo(kind, name, fd_protocol_version=proto, bareos_version=bareos_version)
        case HelloKind.CONSOLE:
            name = _word(words, 1, "console name")
            if len(words) < 3 or words[2] != "calling":
                raise ProtocolError("bad console Hello")
            version_text = None
            numeric = 1
            if len(words) > 3:
                if words[3] != "version" or len(words) < 5:
                    raise ProtocolError("bad console Hello version")
                version_text = words[4]
                numeric = _console_version_number(version_text)
            return HelloInfo(
                kind,
                name,
                console_version=numeric,
                version_text=version_text,
                bareos_version=bareos_version,
            )
    raise ProtocolError("unclassified Hello")  # pragma: no cover - HelloKind is exhaustive


def _console_version_number(text: str) -> int:
    parts = text.split(".")
    try:
        major = int(parts[0])
        minor = int(re.match(r"\d+", parts[1]).group(0)) if len(parts) > 1 else 0  # type: ignore[union-attr]
    except (ValueError, AttributeError):
        raise ProtocolError(f"unparsable console version {text!r}") from None
    return major * 100 + minor
