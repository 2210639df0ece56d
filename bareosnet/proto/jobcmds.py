"""Every command and reply line of a job session, as values.

Theory of operation
-------------------
Bareos builds these lines with ``printf``-style formats and reads them with
``bsscanf`` (reference section 1.8).  Each message here is a frozen attrs
class with one or more *wire templates*, written once next to the class::

    "CatReq Job={job} GetVolInfo VolName={volume:n} write={write:d}\\n"

``encode()`` fills the first template whose fields are all set (not ``None``)
and returns the exact bytes Bareos sends; ``parse()`` tries the templates in
order with bsscanf's rules and raises :class:`~bareosnet.errors.ProtocolError`
(with a readable message, secrets redacted) when none matches.

Field kinds in templates:

=======  ===============================================================
``{x}``    a word: no white space on the wire, may be empty (``%s``)
``{x:n}``  a *bashed* name: spaces travel as 0x01 (``BashSpaces``)
``{x:d}``  a decimal integer, optionally negative (``%d``/``%u``/``%lld``)
``{x:c}``  exactly one character (``%c``)
``{x:q}``  any text up to the literal that follows (used inside quotes)
``{x:l}``  the rest of the line, trailing white space dropped
``{x:r}``  the rest of the message, verbatim (``Jmsg`` text)
=======  ===============================================================

Parsing rules (bsscanf's, with two deliberate differences):

* white space in a template matches zero or more white-space characters, so a
  missing or doubled ``\\n``/space is accepted;
* a payload is a C string for the receiver: everything after a NUL is
  ignored (except for the binary ``UpdCat`` record);
* *difference 1*: an integer needs at least one digit (bsscanf reads 0 from
  nothing) so that garbage is reported instead of silently read as 0;
* *difference 2*: after the template only white space may follow (bsscanf
  ignores any rest).  Without this ``3000 OK storage end`` would parse as
  ``2000 OK storage``-like prefixes; each message kind must be recognisable.

Names of classes follow who sends what; see the ``*_MESSAGES`` tuples at the
end for the messages each side of each connection can receive, and
:func:`parse_first` to dispatch a received packet.

Secrets (session keys in ``Authorization=``, volume encryption keys) never
appear in ``repr`` nor in error messages.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from enum import IntEnum
from typing import Any, ClassVar, Self, cast

import attrs

from bareosnet.errors import ProtocolError
from bareosnet.proto.names import bash_spaces, unbash_spaces
from bareosnet.proto.streams import CatalogRecord

_ENCODING = "utf-8"
_ERRORS = "surrogateescape"  # any byte survives a decode/encode round trip
# B_ISSPACE: C isspace() in the "C" locale. (str.isspace() would also accept
# 0x1c-0x1f, and 0x1e is a field separator in Bareos.)
_WS = " \t\n\v\f\r"

# ---------------------------------------------------------------------------
# Code tables
# ---------------------------------------------------------------------------


class _CharCode(IntEnum):
    """An enum of one-character codes sent as their decimal value."""

    @property
    def char(self) -> str:
        return chr(self.value)

    @classmethod
    def from_char(cls, ch: str) -> Self:
        return cls(ord(ch))


class JobType(_CharCode):
    """Job types (``include/job_types.h``); on the wire as ``type=<decimal>``."""

    BACKUP = ord("B")  # 66
    MIGRATED_JOB = ord("M")
    VERIFY = ord("V")  # 86
    RESTORE = ord("R")  # 82
    CONSOLE = ord("U")
    SYSTEM = ord("I")
    ADMIN = ord("D")
    ARCHIVE = ord("A")
    JOB_COPY = ord("C")
    COPY = ord("c")  # 99
    MIGRATE = ord("g")  # 103
    SCAN = ord("S")
    CONSOLIDATE = ord("O")


class JobLevel(_CharCode):
    """Job levels (``include/job_level.h``); on the wire as ``level=<decimal>``."""

    FULL = ord("F")  # 70
    INCREMENTAL = ord("I")  # 73
    DIFFERENTIAL = ord("D")  # 68
    SINCE = ord("S")
    VERIFY_CATALOG = ord("C")
    VERIFY_INIT = ord("V")
    VERIFY_VOLUME_TO_CATALOG = ord("O")
    VERIFY_DISK_TO_CATALOG = ord("d")
    VERIFY_DATA = ord("A")
    BASE = ord("B")
    NONE = ord(" ")  # 32: restore and admin jobs
    VIRTUAL_FULL = ord("f")


class JobStatus(_CharCode):
    """Job status codes (``include/job_status.h``); ``JobStatus=<decimal>``."""

    CANCELED = ord("A")  # 65
    BLOCKED = ord("B")
    CREATED = ord("C")
    DIFFERENCES = ord("D")
    ERROR_TERMINATED = ord("E")  # 69
    WAIT_FD = ord("F")  # 70
    INCOMPLETE = ord("I")
    DATA_COMMITTING = ord("L")
    WAIT_MOUNT = ord("M")
    RUNNING = ord("R")  # 82
    WAIT_SD = ord("S")  # 83
    TERMINATED = ord("T")  # 84: terminated normally (OK)
    WARNINGS = ord("W")
    ATTR_DESPOOLING = ord("a")
    WAIT_CLIENT_RES = ord("c")
    WAIT_MAX_JOBS = ord("d")
    ERROR = ord("e")  # non-fatal error
    FATAL_ERROR = ord("f")
    ATTR_INSERTING = ord("i")
    WAIT_JOB_RES = ord("j")
    DATA_DESPOOLING = ord("l")
    WAIT_MEDIA = ord("m")
    WAIT_PRIORITY = ord("p")
    WAIT_DEVICE = ord("q")
    WAIT_STORE_RES = ord("s")
    WAIT_START_TIME = ord("t")


class MessageType(IntEnum):
    """``Jmsg ... type=<n>`` (``lib/message_severity.h``)."""

    ABORT = 1
    DEBUG = 2
    FATAL = 3
    ERROR = 4
    WARNING = 5
    INFO = 6
    SAVED = 7
    NOTSAVED = 8
    SKIPPED = 9
    MOUNT = 10
    ERROR_TERM = 11
    TERM = 12
    RESTORED = 13
    SECURITY = 14
    ALERT = 15
    VOLMGMT = 16
    AUDIT = 17
    CONFIG_ERROR = 18


class Replace(_CharCode):
    """``restore replace=<c>`` (``include/baconfig.h``)."""

    ALWAYS = ord("a")
    IF_NEWER = ord("w")
    NEVER = ord("n")
    IF_OLDER = ord("o")


class TlsPolicy(IntEnum):
    """``ssl=<n>`` in job commands (``lib/tls_conf.h``)."""

    NONE = 0
    ENABLED = 1
    REQUIRED = 2
    AUTO = 4  # "TLS first": the data connection starts with TLS immediately


def _to_enum(enum: type[IntEnum], value: int) -> int:
    """Known codes become enum members; unknown codes stay plain ints."""
    try:
        return enum(value)
    except ValueError:
        return int(value)


# Named converters (attrs' mypy plugin only understands named functions).
def _job_type(value: int) -> int:
    return _to_enum(JobType, value)


def _job_level(value: int) -> int:
    return _to_enum(JobLevel, value)


def _job_status(value: int) -> int:
    return _to_enum(JobStatus, value)


def _message_type(value: int) -> int:
    return _to_enum(MessageType, value)


def _tls_policy(value: int) -> int:
    return _to_enum(TlsPolicy, value)


def _optional_tls_policy(value: int | None) -> int | None:
    return None if value is None else _tls_policy(value)


# ---------------------------------------------------------------------------
# Secrets
# ---------------------------------------------------------------------------

_SECRET_RE = re.compile(r"((?:Authorization|EncryptionKey)=)[^\s\x00]+")


def redact(text: str) -> str:
    """Hide session keys and encryption keys in a message for logs/errors."""
    return _SECRET_RE.sub(r"\1<hidden>", text)


def _hidden(_value: object) -> str:
    return "<hidden>"


def _redacted_repr(value: object) -> str:
    return repr(redact(value)) if isinstance(value, str) else repr(value)


def _secret() -> Any:
    return attrs.field(repr=_hidden)


# ---------------------------------------------------------------------------
# Templates
# ---------------------------------------------------------------------------

_FIELD_RE = re.compile(r"\{(\w+)(?::([sndcqlr]))?\}")


@attrs.frozen
class _Literal:
    text: str


@attrs.frozen
class _Field:
    name: str
    kind: str


def _quote_end(literal: str) -> str:
    """What ends a ``q`` field: the following literal without trailing blanks."""
    return literal.rstrip(_WS)


class Template:
    """One wire format with named fields (see the module docstring)."""

    def __init__(self, fmt: str) -> None:
        self.fmt = fmt
        parts: list[_Literal | _Field] = []
        pos = 0
        for m in _FIELD_RE.finditer(fmt):
            if m.start() > pos:
                parts.append(_Literal(fmt[pos : m.start()]))
            parts.append(_Field(m.group(1), m.group(2) or "s"))
            pos = m.end()
        if pos < len(fmt):
            parts.append(_Literal(fmt[pos:]))
        for i, part in enumerate(parts):
            if not isinstance(part, _Field):
                continue
            after = parts[i + 1 :]
            if part.kind == "r" and after:
                raise ValueError(f"{fmt!r}: a raw field must end the template")
            if part.kind == "l" and any(isinstance(p, _Field) or p.text.strip(_WS) for p in after):
                raise ValueError(f"{fmt!r}: only white space may follow a line field")
            if part.kind == "q" and not (
                after and isinstance(after[0], _Literal) and _quote_end(after[0].text)
            ):
                raise ValueError(f"{fmt!r}: a quoted field must be followed by a literal")
        self.parts = tuple(parts)
        self.fields = tuple(p.name for p in parts if isinstance(p, _Field))

    def __repr__(self) -> str:
        return f"Template({self.fmt!r})"

    def format(self, values: Mapping[str, Any]) -> str:
        out: list[str] = []
        for part in self.parts:
            if isinstance(part, _Literal):
                out.append(part.text)
                continue
            value = values[part.name]
            kind = part.kind
            if kind == "d":
                if isinstance(value, bool) or not isinstance(value, int):
                    raise TypeError(f"field {part.name} must be an int, got {value!r}")
                out.append(str(int(value)))
                continue
            if isinstance(value, IntEnum) and kind == "c":
                value = chr(value.value)
            if not isinstance(value, str):
                raise TypeError(f"field {part.name} must be a str, got {type(value).__name__}")
            if kind == "n":
                value = bash_spaces(value)
            if kind in "sn" and any(c in _WS for c in value):
                raise ValueError(f"field {part.name} cannot carry white space: {redact(value)!r}")
            if kind == "c" and len(value) != 1:
                raise ValueError(f"field {part.name} must be one character")
            out.append(value)
        return "".join(out)

    def match(self, text: str) -> dict[str, Any] | None:
        """Read ``text`` like bsscanf; ``None`` when it does not fit."""
        values: dict[str, Any] = {}
        i, n = 0, len(text)
        parts = self.parts
        for idx, part in enumerate(parts):
            if isinstance(part, _Literal):
                before_raw = (
                    idx + 1 < len(parts)
                    and isinstance(parts[idx + 1], _Field)
                    and parts[idx + 1].kind == "r"  # type: ignore[union-attr]
                )
                lit = part.text
                for j, ch in enumerate(lit):
                    if ch in _WS:
                        if before_raw and j == len(lit) - 1:
                            # The Director skips exactly one blank before a
                            # Jmsg text: the text's own leading blanks stay.
                            if i < n and text[i] in _WS:
                                i += 1
                        else:
                            while i < n and text[i] in _WS:
                                i += 1
                    elif i < n and text[i] == ch:
                        i += 1
                    else:
                        return None
                continue
            kind = part.kind
            if kind in "sn":
                start = i
                while i < n and text[i] not in _WS:
                    i += 1
                word = text[start:i]
                values[part.name] = unbash_spaces(word) if kind == "n" else word
            elif kind == "d":
                start = i
                if i < n and text[i] == "-":
                    i += 1
                digits = i
                while i < n and text[i].isascii() and text[i].isdigit():
                    i += 1
                if i == digits:
                    return None
                values[part.name] = int(text[start:i])
            elif kind == "c":
                if i >= n:
                    return None
                values[part.name] = text[i]
                i += 1
            elif kind == "q":
                following = parts[idx + 1]
                assert isinstance(following, _Literal)
                end = text.find(_quote_end(following.text), i)
                if end < 0:
                    return None
                values[part.name] = text[i:end]
                i = end
            elif kind == "l":
                values[part.name] = text[i:].rstrip(_WS)
                i = n
            else:  # "r"
                values[part.name] = text[i:]
                i = n
        if text[i:].strip(_WS):
            return None
        return values


def _c_string(data: bytes) -> str:
    return data.split(b"\0", 1)[0].decode(_ENCODING, _ERRORS)


def _short(text: str, limit: int = 120) -> str:
    text = redact(text)
    return text if len(text) <= limit else text[:limit] + "..."


class Message:
    """Base of every job-session message: ``encode()`` and ``parse()``."""

    __slots__ = ()
    _templates: ClassVar[tuple[Template, ...]] = ()

    def encode(self) -> bytes:
        values = {a.name: getattr(self, a.name) for a in attrs.fields(cast(Any, type(self)))}
        for template in self._templates:
            if all(values[f] is not None for f in template.fields):
                return template.format(values).encode(_ENCODING, _ERRORS)
        raise ValueError(f"{type(self).__name__}: no wire form for these field values")

    def __bytes__(self) -> bytes:
        return self.encode()

    @classmethod
    def parse(cls, data: bytes) -> Self:
        text = _c_string(data)
        for template in cls._templates:
            values = template.match(text)
            if values is None:
                continue
            try:
                return cls(**values)
            except (TypeError, ValueError) as exc:
                raise ProtocolError(f"bad {cls.__name__} line {_short(text)!r}: {exc}") from None
        raise ProtocolError(f"not a {cls.__name__} line: {_short(text)!r}")

    @classmethod
    def wire_formats(cls) -> tuple[str, ...]:
        return tuple(t.fmt for t in cls._templates)


def wire[M: type[Message]](*formats: str) -> Callable[[M], M]:
    """Attach wire templates to a message class (checked against its fields)."""

    def attach(cls: M) -> M:
        templates = tuple(Template(f) for f in formats)
        fields = {a.name: a for a in attrs.fields(cast(Any, cls))}
        required = {name for name, a in fields.items() if a.default is attrs.NOTHING}
        for t in templates:
            unknown = set(t.fields) - fields.keys()
            if unknown:
                raise TypeError(f"{cls.__name__}: template {t.fmt!r} names unknown {unknown}")
            missing = required - set(t.fields)
            if missing:
                raise TypeError(f"{cls.__name__}: template {t.fmt!r} misses {missing}")
        cls._templates = templates
        return cls

    return attach


def parse_first(data: bytes, candidates: Iterable[type[Any]]) -> AnyMessage:
    """Parse ``data`` as the first of ``candidates`` that accepts it.

    ``candidates`` is usually one of the ``*_FROM_*`` tuples at the end of
    this module; order matters only for :class:`NumberedReply` (keep it last).
    """
    for cls in candidates:
        try:
            result: AnyMessage = cls.parse(data)
        except ProtocolError:
            continue
        return result
    raise ProtocolError(f"unexpected message {_short(_c_string(data))!r}")


# ---------------------------------------------------------------------------
# Director -> Storage daemon: job start, reservation, bootstrap, run
# ---------------------------------------------------------------------------


@wire(
    "JobId={job_id:d} job={job} job_name={job_name:n} client_name={client_name:n} "
    "type={job_type:d} level={level:d} FileSet={fileset:n} NoAttr={no_attr:d} "
    "SpoolAttr={spool_attr:d} FileSetMD5={fileset_md5} SpoolData={spool_data:d} "
    "PreferMountedVols={prefer_mounted_vols:d} SpoolSize={spool_size:d} "
    "rerunning={rerunning:d} VolSessionId={vol_session_id:d} "
    "VolSessionTime={vol_session_time:d} Quota={quota:d} Protocol={protocol:d} "
    "BackupFormat={backup_format:n}\n"
)
@attrs.frozen
class SdJobCommand(Message):
    """The 19-field job command the Director sends the SD (``**None**`` for no client/fileset)."""

    job_id: int
    job: str  # unique job name, e.g. backup-lab.2026-11-27_01.10.08_04
    job_name: str  # the Job resource
    client_name: str
    job_type: int = attrs.field(converter=_job_type)
    level: int = attrs.field(converter=_job_level)
    fileset: str
    no_attr: int = 0
    spool_attr: int = 0
    fileset_md5: str = "**Dummy**"
    spool_data: int = 0
    prefer_mounted_vols: int = 1
    spool_size: int = 0
    rerunning: int = 0
    vol_session_id: int = 0
    vol_session_time: int = 0
    quota: int = 0
    protocol: int = 0  # 0 = native
    backup_format: str = "Native"


@wire(
    "3000 OK Job SDid={vol_session_id:d} SDtime={vol_session_time:d} Authorization={authorization}\n"
)
@attrs.frozen
class SdJobOk(Message):
    """The SD accepted the job: session id/time and the job's session key."""

    vol_session_id: int
    vol_session_time: int
    authorization: str = _secret()


@wire("3000 OK Job Authorization={authorization}\n")
@attrs.frozen
class SdNextRunOk(Message):
    """Reply to ``nextrun`` (NDMP jobs)."""

    authorization: str = _secret()


@wire("3915 Bad Job command. stat={stat:d} CMD: {command:l}\n")
@attrs.frozen
class SdBadJob(Message):
    stat: int  # number of fields bsscanf could read
    command: str = attrs.field(repr=_redacted_repr)


@wire("getSecureEraseCmd\n")
@attrs.frozen
class GetSecureEraseCmd(Message):
    """Director asks the FD or SD for its ``Secure Erase Command``."""


@wire("2000 OK SDSecureEraseCmd {command:l} \n")
@attrs.frozen
class SdSecureEraseReply(Message):
    """SD's reply; note the blank before the newline. ``*None*`` when unset."""

    command: str = "*None*"


@wire("2000 OK FDSecureEraseCmd {command:l}\n")
@attrs.frozen
class FdSecureEraseReply(Message):
    command: str = "*None*"


@wire("pluginoptions {options:n}\n")
@attrs.frozen
class PluginOptions(Message):
    options: str


@wire("2000 OK plugin options\n")
@attrs.frozen
class SdPluginOptionsOk(Message):
    pass


@wire("2000 OK PluginOptions\n")
@attrs.frozen
class FdPluginOptionsOk(Message):
    pass


@wire("2905 Bad PluginOptions command.\n")
@attrs.frozen
class FdBadPluginOptions(Message):
    pass


@wire(
    "use storage={storage:n} media_type={media_type:n} pool_name={pool_name:n} "
    "pool_type={pool_type:n} append={append:d} copy={copy:d} stripe={stripe:d}\n"
)
@attrs.frozen
class UseStorage(Message):
    """Device reservation: one per storage, followed by ``use device`` lines and EOD."""

    storage: str
    media_type: str
    pool_name: str
    pool_type: str
    append: int  # 1 = write (backup), 0 = read (restore)
    copy: int = 0
    stripe: int = 0


@wire("use device={device:n}\n")
@attrs.frozen
class UseDevice(Message):
    device: str


@wire("3000 OK use device device={device:n}\n")
@attrs.frozen
class UseDeviceOk(Message):
    device: str


@wire('3924 Device "{device:q}" not in SD Device resources or no matching Media Type.\n')
@attrs.frozen
class UseDeviceNotFound(Message):
    device: str


@wire("3913 Bad use command: {command:l}\n")
@attrs.frozen
class BadUseCommand(Message):
    command: str


@wire("bootstrap\n")
@attrs.frozen
class BootstrapCommand(Message):
    """Start of a bootstrap transfer: bootstrap lines follow, then EOD."""


@wire("3000 OK bootstrap\n")
@attrs.frozen
class SdBootstrapOk(Message):
    pass


@wire("3904 Error bootstrap\n")
@attrs.frozen
class SdBootstrapError(Message):
    pass


@wire("2000 OK bootstrap\n")
@attrs.frozen
class FdBootstrapOk(Message):
    pass


@wire("passive client address={address} port={port:d} ssl={ssl:d}\n")
@attrs.frozen
class PassiveClient(Message):
    """Director -> SD: connect to the (passive) FD yourself."""

    address: str
    port: int
    ssl: int = attrs.field(default=0, converter=_tls_policy)


@wire("2000 OK passive client\n")
@attrs.frozen
class PassiveClientOk(Message):
    pass


@wire("3991 Bad {command:q} command: {text:l}\n")
@attrs.frozen
class SdBadCommand(Message):
    """SD refused ``passive client`` / ``replicate`` / ... (``text`` = the command)."""

    command: str
    text: str = attrs.field(repr=_redacted_repr)


@wire("3900 Invalid command: {command:l}\n")
@attrs.frozen
class SdInvalidCommand(Message):
    """SD answer to an unknown Director command (the session ends)."""

    command: str = attrs.field(repr=_redacted_repr)


@wire("run")
@attrs.frozen
class Run(Message):
    """Director -> SD: start the job (no newline on the wire)."""


@wire("listen")
@attrs.frozen
class Listen(Message):
    """Director -> writing SD of a copy/migration: wait for the reading SD."""


@wire(
    "replicate JobId={job_id:d} Job={job} address={address} port={port:d} ssl={ssl:d} "
    "Authorization={authorization}\n"
)
@attrs.frozen
class Replicate(Message):
    """Director -> reading SD: connect to the writing SD with its session key."""

    job_id: int
    job: str
    address: str
    port: int
    ssl: int = attrs.field(converter=_tls_policy)
    authorization: str = _secret()


@wire("3000 OK replicate\n")
@attrs.frozen
class ReplicateOk(Message):
    pass


@wire("cancel Job={job}\n")
@attrs.frozen
class Cancel(Message):
    job: str


@wire("2001 Job {job} marked to be canceled.\n")
@attrs.frozen
class FdCancelOk(Message):
    job: str


@wire("2901 Job {job} not found.\n")
@attrs.frozen
class FdJobNotFound(Message):
    job: str


@wire("2902 Error scanning cancel command.\n")
@attrs.frozen
class FdCancelScanError(Message):
    pass


@wire('3000 JobId={job_id:d} Job="{job:q}" marked to be {action:q}.\n')
@attrs.frozen
class SdCancelOk(Message):
    job_id: int
    job: str
    action: str = "canceled"


@wire("3904 Job {job} not found.\n")
@attrs.frozen
class SdJobNotFound(Message):
    job: str


@wire("3903 Error scanning cancel command.\n")
@attrs.frozen
class SdCancelScanError(Message):
    pass


# ---------------------------------------------------------------------------
# Storage daemon -> Director while a job runs
# ---------------------------------------------------------------------------


@wire("3010 Job {job} start\n")
@attrs.frozen
class JobStart(Message):
    job: str


@wire("Status Job={job} JobStatus={status:d}\n")
@attrs.frozen
class JobStatusMessage(Message):
    """SD -> Director: the job changed status (decimal status code)."""

    job: str
    status: int = attrs.field(converter=_job_status)


@wire(
    "3099 Job {job} end JobStatus={status:d} JobFiles={job_files:d} "
    "JobBytes={job_bytes:d} JobErrors={job_errors:d}\n"
)
@attrs.frozen
class SdJobEnd(Message):
    job: str
    status: int = attrs.field(converter=_job_status)
    job_files: int = 0
    job_bytes: int = 0
    job_errors: int = 0


@wire("Jmsg Job={job} type={type:d} level={mtime:d} {text:r}")
@attrs.frozen
class Jmsg(Message):
    """A job message for the Director's log; ``text`` keeps its own newline."""

    job: str
    type: int = attrs.field(converter=_message_type)
    mtime: int  # sent as "level=" for historical reasons: the message time
    text: str


@wire(
    "CatReq Job={job} FindMedia={index:d} pool_name={pool_name:n} "
    "media_type={media_type:n} unwanted_volumes={unwanted_volumes:n}\n"
)
@attrs.frozen
class CatReqFindMedia(Message):
    job: str
    index: int
    pool_name: str
    media_type: str
    unwanted_volumes: str = ""


@wire("CatReq Job={job} GetVolInfo VolName={volume:n} write={write:d}\n")
@attrs.frozen
class CatReqGetVolInfo(Message):
    job: str
    volume: str
    write: int


@wire(
    "CatReq Job={job} UpdateMedia VolName={volume:n} VolJobs={vol_jobs:d} "
    "VolFiles={vol_files:d} VolBlocks={vol_blocks:d} VolBytes={vol_bytes:d} "
    "VolMounts={vol_mounts:d} VolErrors={vol_errors:d} VolWrites={vol_writes:d} "
    "MaxVolBytes={max_vol_bytes:d} EndTime={end_time:d} VolStatus={vol_status} "
    "Slot={slot:d} relabel={relabel:d} InChanger={in_changer:d} "
    "VolReadTime={vol_read_time:d} VolWriteTime={vol_write_time:d} "
    "VolFirstWritten={vol_first_written:d}\n"
)
@attrs.frozen
class CatReqUpdateMedia(Message):
    job: str
    volume: str
    vol_jobs: int = 0
    vol_files: int = 0
    vol_blocks: int = 0
    vol_bytes: int = 0
    vol_mounts: int = 0
    vol_errors: int = 0
    vol_writes: int = 0
    max_vol_bytes: int = 0
    end_time: int = 0
    vol_status: str = "Append"
    slot: int = 0
    relabel: int = 0
    in_changer: int = 0
    vol_read_time: int = 0
    vol_write_time: int = 0
    vol_first_written: int = 0


@wire(
    "CatReq Job={job} CreateJobMedia FirstIndex={first_index:d} LastIndex={last_index:d} "
    "StartFile={start_file:d} EndFile={end_file:d} StartBlock={start_block:d} "
    "EndBlock={end_block:d} Copy={copy:d} Strip={stripe:d} MediaId={media_id:d}\n"
)
@attrs.frozen
class CatReqCreateJobMedia(Message):
    job: str
    first_index: int
    last_index: int
    start_file: int = 0
    end_file: int = 0
    start_block: int = 0
    end_block: int = 0
    copy: int = 0
    stripe: int = 0
    media_id: int = 0


@wire("Catreq Job={job} UpdateJobRecord JobFiles={job_files:d} JobBytes={job_bytes:d}\n")
@attrs.frozen
class CatReqUpdateJobRecord(Message):
    """Note the lower-case ``Catreq`` Bareos uses for this one."""

    job: str
    job_files: int
    job_bytes: int


@wire("Catreq Job={job} UpdateFileList\n")
@attrs.frozen
class CatReqUpdateFileList(Message):
    job: str


@wire("CatReq Job={job} DeleteNullJobmediaRecords jobid={job_id:d}")
@attrs.frozen
class CatReqDeleteNullJobmediaRecords(Message):
    """Sent without a newline."""

    job: str
    job_id: int


@wire("BlastAttr Job={job} File={file:n}\n")
@attrs.frozen
class BlastAttr(Message):
    """SD -> Director: despool the attribute spool file ``file``."""

    job: str
    file: str


_UPDCAT_PREFIX_RE = re.compile(rb"UpdCat[ \t]+Job=(\S+)[ \t]+FileAttributes ")


@attrs.frozen
class UpdCatFileAttributes:
    """``UpdCat Job=<job> FileAttributes <binary record>``: a volume record for the catalog.

    The SD forwards every attribute record (stream 1) and digest record it
    writes, with a 20-byte big-endian header (see :class:`CatalogRecord`).
    """

    job: str
    record: CatalogRecord

    def encode(self) -> bytes:
        if any(c in _WS for c in self.job):
            raise ValueError("a job name cannot carry white space")
        return f"UpdCat Job={self.job} FileAttributes ".encode(_ENCODING, _ERRORS) + (
            self.record.pack()
        )

    def __bytes__(self) -> bytes:
        return self.encode()

    @classmethod
    def parse(cls, data: bytes) -> UpdCatFileAttributes:
        m = _UPDCAT_PREFIX_RE.match(data)
        if m is None:
            raise ProtocolError(f"not an UpdCat FileAttributes message: {data[:60]!r}")
        return cls(
            job=m.group(1).decode(_ENCODING, _ERRORS),
            record=CatalogRecord.unpack(data[m.end() :]),
        )


# Director -> SD replies to catalog requests


@wire(
    "1000 OK VolName={volume:n} VolJobs={vol_jobs:d} VolFiles={vol_files:d} "
    "VolBlocks={vol_blocks:d} VolBytes={vol_bytes:d} VolMounts={vol_mounts:d} "
    "VolErrors={vol_errors:d} VolWrites={vol_writes:d} MaxVolBytes={max_vol_bytes:d} "
    "VolCapacityBytes={vol_capacity_bytes:d} VolStatus={vol_status} Slot={slot:d} "
    "MaxVolJobs={max_vol_jobs:d} MaxVolFiles={max_vol_files:d} InChanger={in_changer:d} "
    "VolReadTime={vol_read_time:d} VolWriteTime={vol_write_time:d} EndFile={end_file:d} "
    "EndBlock={end_block:d} LabelType={label_type:d} MediaId={media_id:d} "
    "EncryptionKey={encryption_key} MinBlocksize={min_blocksize:d} "
    "MaxBlocksize={max_blocksize:d}\n"
)
@attrs.frozen
class MediaInfo(Message):
    """Director's answer to FindMedia / GetVolInfo / UpdateMedia."""

    volume: str
    vol_jobs: int = 0
    vol_files: int = 0
    vol_blocks: int = 0
    vol_bytes: int = 0
    vol_mounts: int = 0
    vol_errors: int = 0
    vol_writes: int = 0
    max_vol_bytes: int = 0
    vol_capacity_bytes: int = 0
    vol_status: str = "Append"
    slot: int = 0
    max_vol_jobs: int = 0
    max_vol_files: int = 0
    in_changer: int = 0
    vol_read_time: int = 0
    vol_write_time: int = 0
    end_file: int = 0
    end_block: int = 0
    label_type: int = 0
    media_id: int = 0
    encryption_key: str = attrs.field(default="", repr=_hidden)
    min_blocksize: int = 0
    max_blocksize: int = 0


@wire("1000 OK CreateJobMedia\n")
@attrs.frozen
class CreateJobMediaOk(Message):
    pass


@wire("1000 OK DeleteNullJobmediaRecords\n")
@attrs.frozen
class DeleteNullJobmediaRecordsOk(Message):
    pass


@wire("1901 No Media.\n")
@attrs.frozen
class NoMedia(Message):
    pass


@wire('1997 Volume "{volume:q}" not in catalog.\n')
@attrs.frozen
class VolumeNotInCatalog(Message):
    volume: str


@wire("1000 OK BlastAttr\n")
@attrs.frozen
class BlastAttrOk(Message):
    pass


@wire("1990 ERROR BlastAttr\n")
@attrs.frozen
class BlastAttrError(Message):
    pass


@wire("1000 OK\n")
@attrs.frozen
class DirectorPollOk(Message):
    """The Director's answer to ``BNET_POLL`` / ``BNET_EOD_POLL``."""


@wire("2000 OK\n")
@attrs.frozen
class DaemonPollOk(Message):
    """FD/SD answer to ``BNET_POLL`` / ``BNET_EOD_POLL``."""


@wire("Status OK\n")
@attrs.frozen
class StatusOk(Message):
    """Answer to ``BNET_STATUS`` (followed by EOD)."""


@wire("btime {usec:d}\n")
@attrs.frozen
class Btime(Message):
    """Director's answer to ``BNET_BTIME``: its clock in microseconds since the epoch."""

    usec: int


@wire("{code:d} {text:l}\n")
@attrs.frozen
class NumberedReply(Message):
    """Any ``<code> <text>`` reply not modelled more precisely (errors mostly).

    Keep it last in a dispatch list: it accepts every digit-prefixed line.
    """

    code: int
    text: str = attrs.field(repr=_redacted_repr)

    @property
    def ok(self) -> bool:
        # 1000/2000/3000: OK; 1xxx..3xxx with a non-zero rest: error classes.
        return self.code % 1000 < 100


# ---------------------------------------------------------------------------
# Director -> File daemon
# ---------------------------------------------------------------------------


@wire(
    "JobId={job_id:d} Job={job} SDid={vol_session_id:d} SDtime={vol_session_time:d} "
    "Authorization={authorization} ssl={ssl:d}\n",
    "JobId={job_id:d} Job={job} SDid={vol_session_id:d} SDtime={vol_session_time:d} "
    "Authorization={authorization}\n",
)
@attrs.frozen
class FdJobCommand(Message):
    """Job setup on the FD; ``ssl=None`` gives the old (pre-18.2/cleartext) form."""

    job_id: int
    job: str
    vol_session_id: int
    vol_session_time: int
    authorization: str = _secret()  # "dummy" for jobs without an SD
    ssl: int | None = attrs.field(default=None, converter=_optional_tls_policy)


_FD_JOB_OK_RE = re.compile(r"2000 OK Job (\S+) \((.*?)\) (.*),([^,]*?)[\s]*", re.DOTALL)


@attrs.frozen
class FdJobOk:
    """``2000 OK Job <version> (<date>) <os>,<platform>`` -- sent without newline.

    The Director stores everything after ``2000 OK Job `` as the client's
    uname (:attr:`uname`).
    """

    version: str
    date: str
    os_info: str
    platform: str

    @property
    def uname(self) -> str:
        return f"{self.version} ({self.date}) {self.os_info},{self.platform}"

    def encode(self) -> bytes:
        return f"2000 OK Job {self.uname}".encode(_ENCODING, _ERRORS)

    def __bytes__(self) -> bytes:
        return self.encode()

    @classmethod
    def parse(cls, data: bytes) -> FdJobOk:
        text = _c_string(data)
        m = _FD_JOB_OK_RE.fullmatch(text)
        if m is None:
            raise ProtocolError(f"not a FdJobOk line: {_short(text)!r}")
        return cls(*m.groups())


@wire("2901 Bad Job\n")
@attrs.frozen
class FdBadJob(Message):
    pass


_LEVEL_WORDS = frozenset({"full", "base", "differential", "incremental", "since_utime"})
_LEVEL_RE = re.compile(r"level[ \t]*=[ \t]*(\S+)(.*)", re.DOTALL)
_SINCE_RE = re.compile(r"\s*(\d+)\s+mtime_only=(-?\d+)(?:\s+prev_job=(\S*))?\s*")
_MTIME_RE = re.compile(r"mtime_only=(-?\d+)")


@attrs.frozen
class LevelCommand:
    """``level = ...``: the backup level, and for since-backups the reference time.

    Wire format ``level = %s%s%s mtime_only=%d %s%s\\n``:

    * ``level = full  mtime_only=0 \\n``; ``accurate_`` prefixes
      differential/incremental; a rerun puts ``rerunning`` in the middle:
      ``level = full rerunning  mtime_only=0 \\n``;
    * ``level = since_utime <unix time> mtime_only=0 prev_job=<job>\\n``
      follows a differential/incremental line (the FD then polls BTIME).
    """

    level: str  # full | base | differential | incremental | since_utime
    accurate: bool = False
    rerunning: bool = False
    since_utime: int | None = None
    prev_job: str = ""
    mtime_only: int = 0

    def __attrs_post_init__(self) -> None:
        if self.level not in _LEVEL_WORDS:
            raise ValueError(f"unknown level {self.level!r}")
        if (self.level == "since_utime") != (self.since_utime is not None):
            raise ValueError("since_utime is set exactly for the since_utime level")

    def encode(self) -> bytes:
        if self.level == "since_utime":
            text = (
                f"level = since_utime {self.since_utime} mtime_only={self.mtime_only} "
                f"prev_job={self.prev_job}\n"
            )
        else:
            prefix = "accurate_" if self.accurate else ""
            middle = " rerunning " if self.rerunning else " "
            text = f"level = {prefix}{self.level}{middle} mtime_only={self.mtime_only} \n"
        return text.encode(_ENCODING, _ERRORS)

    def __bytes__(self) -> bytes:
        return self.encode()

    @classmethod
    def parse(cls, data: bytes) -> LevelCommand:
        text = _c_string(data)
        m = _LEVEL_RE.fullmatch(text)
        if m is None:
            raise ProtocolError(f"not a level command: {_short(text)!r}")
        word, rest = m.groups()
        if word == "since_utime":
            s = _SINCE_RE.fullmatch(rest)
            if s is None:
                raise ProtocolError(f"bad since_utime level command: {_short(text)!r}")
            return cls(
                level=word,
                since_utime=int(s.group(1)),
                mtime_only=int(s.group(2)),
                prev_job=s.group(3) or "",
            )
        accurate = word.startswith("accurate_")
        if accurate:
            word = word.removeprefix("accurate_")
        if word not in _LEVEL_WORDS:
            raise ProtocolError(f"unknown backup level in {_short(text)!r}")
        mtime = _MTIME_RE.search(rest)
        return cls(
            level=word,
            accurate=accurate,
            # The FD looks for the word anywhere in the line (strstr).
            rerunning="rerunning" in rest,
            mtime_only=int(mtime.group(1)) if mtime else 0,
        )


@wire("2000 OK level\n")
@attrs.frozen
class LevelOk(Message):
    pass


_FILESET_RE = re.compile(r"fileset(?:[ \t]+vss=(\d+))?[\s]*")


@attrs.frozen
class FilesetCommand:
    """``fileset\\n`` or ``fileset vss=1\\n``; the fileset packets and EOD follow."""

    vss: bool = False

    def encode(self) -> bytes:
        return b"fileset vss=1\n" if self.vss else b"fileset\n"

    def __bytes__(self) -> bytes:
        return self.encode()

    @classmethod
    def parse(cls, data: bytes) -> FilesetCommand:
        text = _c_string(data)
        m = _FILESET_RE.fullmatch(text)
        if m is None:
            raise ProtocolError(f"not a fileset command: {_short(text)!r}")
        return cls(vss=bool(int(m.group(1) or 0)))


@wire("2000 OK include\n")
@attrs.frozen
class IncludeOk(Message):
    """FD accepted the fileset."""


@wire(
    "storage address={address} port={port:d} ssl={ssl:d} Authorization={authorization}\n",
    "storage address={address} port={port:d} ssl={ssl:d}\n",
)
@attrs.frozen
class StorageCommand(Message):
    """Director -> active FD: connect to the SD.

    With ``authorization`` (restore/verify) the key replaces the one from
    the ``JobId=`` command.
    """

    address: str
    port: int
    ssl: int = attrs.field(default=0, converter=_tls_policy)
    authorization: str | None = attrs.field(default=None, repr=_hidden)


@wire("2000 OK storage\n")
@attrs.frozen
class StorageOk(Message):
    pass


@wire("2000 OK storage end\n")
@attrs.frozen
class StorageEndOk(Message):
    """FD -> Director at the end of a restore's data transfer."""


@wire("2902 Bad {command}\n")
@attrs.frozen
class FdBadCommand(Message):
    """``2902 Bad storage`` / ``2902 Bad backup`` / ``2902 Bad setauthorization``."""

    command: str


@wire("2999 Invalid command\n")
@attrs.frozen
class FdInvalidCommand(Message):
    pass


@wire("backup FileIndex={file_index:d}\n")
@attrs.frozen
class BackupCommand(Message):
    file_index: int = 0


@wire("2000 OK backup\n")
@attrs.frozen
class BackupOk(Message):
    pass


@wire("setauthorization Authorization={authorization}\n")
@attrs.frozen
class SetAuthorization(Message):
    """Director -> passive FD before a restore: the session key to expect."""

    authorization: str = _secret()


@wire("2000 OK Authorization\n")
@attrs.frozen
class AuthorizationOk(Message):
    pass


@wire(
    "restore replace={replace:c} prelinks={prelinks:d} regexwhere={regexwhere:n}\n",
    "restore replace={replace:c} prelinks={prelinks:d} where={where:n}\n",
)
@attrs.frozen
class RestoreCommand(Message):
    """``where``/``regexwhere`` travel bashed; an empty ``where`` restores in place."""

    replace: str = attrs.field(default="a", validator=attrs.validators.max_len(1))
    prelinks: int = 0
    where: str = ""
    regexwhere: str | None = None


@wire("2000 OK restore\n")
@attrs.frozen
class RestoreOk(Message):
    pass


@wire("endrestore")
@attrs.frozen
class EndRestore(Message):
    """Director -> FD after the last restore part (no newline)."""


@wire(
    "2800 End Job TermCode={term_code:d} JobFiles={job_files:d} ReadBytes={read_bytes:d} "
    "JobBytes={job_bytes:d} Errors={errors:d} VSS={vss:d} Encrypt={encrypt:d}\n"
)
@attrs.frozen
class FdEndJob(Message):
    """FD -> Director: the job is over (then BNET_TERMINATE)."""

    term_code: int = attrs.field(converter=_job_status)
    job_files: int = 0
    read_bytes: int = 0
    job_bytes: int = 0
    errors: int = 0
    vss: int = 0
    encrypt: int = 0


@wire("setbandwidth={bandwidth:d} Job={job}\n")
@attrs.frozen
class SetBandwidth(Message):
    bandwidth: int
    job: str


@wire("2000 OK Bandwidth\n")
@attrs.frozen
class BandwidthOk(Message):
    pass


@wire(
    "Run OnSuccess={on_success:d} OnFailure={on_failure:d} AbortOnError={abort_on_error:d} "
    "When={when:d} Command={command:n}\n"
)
@attrs.frozen
class RunScript(Message):
    """A client run script; ``when`` is Bareos's SCRIPT_* bit mask."""

    on_success: int
    on_failure: int
    abort_on_error: int
    when: int
    command: str


@wire("2000 OK RunScript\n")
@attrs.frozen
class RunScriptOk(Message):
    pass


@wire("2905 Failed RunScript\n")
@attrs.frozen
class RunScriptFailed(Message):
    pass


@wire("RunBeforeNow\n")
@attrs.frozen
class RunBeforeNow(Message):
    pass


@wire("2000 OK RunBeforeNow\n")
@attrs.frozen
class RunBeforeNowOk(Message):
    pass


@wire("accurate files={files:d}\n")
@attrs.frozen
class AccurateCommand(Message):
    """Start of the accurate file list (records, then EOD)."""

    files: int


@wire("restoreobject end\n")
@attrs.frozen
class RestoreObjectEnd(Message):
    pass


@wire("2000 OK ObjectRestored\n")
@attrs.frozen
class ObjectRestoredOk(Message):
    pass


# ---------------------------------------------------------------------------
# File daemon <-> Storage daemon data session (and SD <-> SD replication)
# ---------------------------------------------------------------------------


@wire("append open session\n")
@attrs.frozen
class AppendOpenSession(Message):
    pass


@wire("3000 OK open ticket = {ticket:d}\n")
@attrs.frozen
class OpenTicketOk(Message):
    """Reply to ``append open session`` and ``read open session``."""

    ticket: int


@wire("append data {ticket:d}\n")
@attrs.frozen
class AppendData(Message):
    ticket: int


@wire("3000 OK data\n")
@attrs.frozen
class DataOk(Message):
    """Reply to ``append data``, ``read data`` and ``replicate data``."""


@wire("3000 OK append data\n")
@attrs.frozen
class AppendDataOk(Message):
    """SD stored every record of the session (after the final EOD)."""


@wire("append end session {ticket:d}\n")
@attrs.frozen
class AppendEndSession(Message):
    ticket: int


@wire("3000 OK end\n")
@attrs.frozen
class EndOk(Message):
    pass


@wire("append close session {ticket:d}\n")
@attrs.frozen
class AppendCloseSession(Message):
    ticket: int


@wire("3000 OK close Status = {status:d}\n")
@attrs.frozen
class CloseOk(Message):
    """Reply to ``append/read close session``: the SD's job status (then EOD)."""

    status: int = attrs.field(converter=_job_status)


@wire(
    "read open session = {volume} {vol_session_id:d} {vol_session_time:d} "
    "{start_file:d} {end_file:d} {start_block:d} {end_block:d}\n"
)
@attrs.frozen
class ReadOpenSession(Message):
    volume: str
    vol_session_id: int
    vol_session_time: int
    start_file: int = 0
    end_file: int = 0
    start_block: int = 0
    end_block: int = 0


@wire("read data {ticket:d}\n")
@attrs.frozen
class ReadData(Message):
    ticket: int


@wire("read close session {ticket:d}\n")
@attrs.frozen
class ReadCloseSession(Message):
    ticket: int


@wire("3901 Error session already open\n")
@attrs.frozen
class SessionAlreadyOpen(Message):
    pass


@wire("3902 Error session not opened\n")
@attrs.frozen
class SessionNotOpened(Message):
    pass


@wire("3903 Error append data\n")
@attrs.frozen
class AppendDataError(Message):
    pass


@wire("3900 Invalid command\n")
@attrs.frozen
class SdInvalidFdCommand(Message):
    """SD answer to an unknown command on a data connection."""


@wire("start replicate\n")
@attrs.frozen
class StartReplicate(Message):
    pass


@wire("3000 OK start replicate ticket = {ticket:d}\n")
@attrs.frozen
class StartReplicateOk(Message):
    ticket: int


@wire("replicate data {ticket:d}\n")
@attrs.frozen
class ReplicateData(Message):
    ticket: int


@wire("3000 OK replicate data\n")
@attrs.frozen
class ReplicateDataOk(Message):
    pass


@wire("end replicate\n")
@attrs.frozen
class EndReplicate(Message):
    pass


@wire("3000 OK end replicate\n")
@attrs.frozen
class EndReplicateOk(Message):
    pass


@wire("3901 Error replicate session already open\n")
@attrs.frozen
class ReplicateSessionAlreadyOpen(Message):
    pass


@wire("3902 Error replicate session not opened\n")
@attrs.frozen
class ReplicateSessionNotOpened(Message):
    pass


@wire("3903 Error replicate data\n")
@attrs.frozen
class ReplicateDataError(Message):
    pass


# ---------------------------------------------------------------------------
# Dispatch lists: what each side of each connection can receive
# ---------------------------------------------------------------------------

type AnyMessage = Message | UpdCatFileAttributes | FdJobOk | LevelCommand | FilesetCommand

# Storage daemon, on its Director connection.
SD_FROM_DIRECTOR: tuple[type[Any], ...] = (
    SdJobCommand,
    GetSecureEraseCmd,
    PluginOptions,
    UseStorage,
    UseDevice,
    BootstrapCommand,
    PassiveClient,
    Run,
    Listen,
    Replicate,
    Cancel,
    # catalog replies
    MediaInfo,
    CreateJobMediaOk,
    DeleteNullJobmediaRecordsOk,
    NoMedia,
    VolumeNotInCatalog,
    BlastAttrOk,
    BlastAttrError,
    DirectorPollOk,
    NumberedReply,
)

# Director, on its Storage daemon connection.
DIRECTOR_FROM_SD: tuple[type[Any], ...] = (
    SdJobOk,
    SdNextRunOk,
    SdBadJob,
    SdSecureEraseReply,
    SdPluginOptionsOk,
    UseDeviceOk,
    UseDeviceNotFound,
    BadUseCommand,
    SdBootstrapOk,
    SdBootstrapError,
    PassiveClientOk,
    ReplicateOk,
    SdBadCommand,
    SdInvalidCommand,
    JobStart,
    JobStatusMessage,
    SdJobEnd,
    Jmsg,
    CatReqFindMedia,
    CatReqGetVolInfo,
    CatReqUpdateMedia,
    CatReqCreateJobMedia,
    CatReqUpdateJobRecord,
    CatReqUpdateFileList,
    CatReqDeleteNullJobmediaRecords,
    UpdCatFileAttributes,
    BlastAttr,
    SdCancelOk,
    SdJobNotFound,
    SdCancelScanError,
    DaemonPollOk,
    StatusOk,
    NumberedReply,
)

# File daemon, on its Director connection.
FD_FROM_DIRECTOR: tuple[type[Any], ...] = (
    FdJobCommand,
    LevelCommand,
    FilesetCommand,
    GetSecureEraseCmd,
    PluginOptions,
    StorageCommand,
    BackupCommand,
    SetAuthorization,
    RestoreCommand,
    EndRestore,
    SetBandwidth,
    RunScript,
    RunBeforeNow,
    AccurateCommand,
    RestoreObjectEnd,
    BootstrapCommand,
    Cancel,
    Btime,
    DirectorPollOk,
)

# Director, on its File daemon connection.
DIRECTOR_FROM_FD: tuple[type[Any], ...] = (
    FdJobOk,
    FdBadJob,
    LevelOk,
    IncludeOk,
    FdSecureEraseReply,
    FdPluginOptionsOk,
    FdBadPluginOptions,
    StorageOk,
    StorageEndOk,
    FdBadCommand,
    FdInvalidCommand,
    BackupOk,
    AuthorizationOk,
    RestoreOk,
    FdEndJob,
    BandwidthOk,
    RunScriptOk,
    RunScriptFailed,
    RunBeforeNowOk,
    ObjectRestoredOk,
    FdBootstrapOk,
    FdCancelOk,
    FdJobNotFound,
    FdCancelScanError,
    Jmsg,
    DaemonPollOk,
    StatusOk,
    NumberedReply,
)

# Storage daemon, on a data connection (from the FD, or the FD's side of a
# passive connection): the session commands.
SD_FROM_FD: tuple[type[Any], ...] = (
    AppendOpenSession,
    AppendData,
    AppendEndSession,
    AppendCloseSession,
    ReadOpenSession,
    ReadData,
    ReadCloseSession,
)

# File daemon, on a data connection: the SD's replies.
FD_FROM_SD: tuple[type[Any], ...] = (
    OpenTicketOk,
    DataOk,
    AppendDataOk,
    EndOk,
    CloseOk,
    SessionAlreadyOpen,
    SessionNotOpened,
    AppendDataError,
    SdInvalidFdCommand,
)

# Writing SD, from the reading SD (replication) -- and the replies back.
SD_FROM_SD: tuple[type[Any], ...] = (StartReplicate, ReplicateData, EndReplicate)
SD_REPLIES_TO_SD: tuple[type[Any], ...] = (
    StartReplicateOk,
    DataOk,
    ReplicateDataOk,
    EndReplicateOk,
    ReplicateSessionAlreadyOpen,
    ReplicateSessionNotOpened,
    ReplicateDataError,
    SdInvalidFdCommand,
)
