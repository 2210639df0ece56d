"""The eleven connections of the "Transport Encryption" reference table, as data.

One row says who connects to whom, which Hello the connector sends, which
``R_<TYPE>`` it uses as PSK identity, how each side names itself in its CRAM
challenge, whose password is the key, and what the acceptor answers after a
successful or failed authentication.  The handshake machines in
:mod:`bareosnet.proto.handshake` read a row; nothing is written per
connection.  The ``*_resource`` columns use the seed table's
``<component>-<resource>`` words so the daemons know where to look.
"""

from __future__ import annotations

from enum import Enum, StrEnum

import attrs

from bareosnet.proto.hello import HelloKind
from bareosnet.proto.names import ResourceType


class Role(StrEnum):
    CONSOLE = "console"
    DIRECTOR = "director"
    FILE_DAEMON = "file-daemon"
    STORAGE_DAEMON = "storage-daemon"
    TRAY_MONITOR = "tray-monitor"


class Success(Enum):
    """What the acceptor sends once both CRAM directions (and TLS) succeeded."""

    CONSOLE_GREETING = "console"  # 1000 RS OK: ... + 1002 RS info (or the pre-18.2 line)
    FD_HELLO_OK = "fd"  # 2000 OK Hello 54\n
    SD_HELLO_OK = "sd"  # 3000 OK Hello\n
    DIRECTOR_TO_CLIENT = "dir"  # 1000 OK: <dir> Version: <v> (<date>)\n
    NOTHING = "none"  # job data connections: the caller goes on at once


class KeySource(Enum):
    PASSWORD = "password"  # md5-hex of a resource password
    SESSION_KEY = "session-key"  # the job's Authorization= key


class CramName(Enum):
    """How a side names itself in its own CRAM challenge (18.2+ forms)."""

    QUALIFIED = "qualified"  # R_TYPE::own name
    FILE_DAEMON_LITERAL = "file-daemon"  # the SD's literal "File daemon"
    EMPTY = "empty"  # tray monitor: no own resource, empty name


FD_HELLO_OK = b"2000 OK Hello 54\n"
SD_HELLO_OK = b"3000 OK Hello\n"
FD_AUTH_FAILED = b"2999 Authentication failed.\n"
SD_AUTH_FAILED = b"3999 No go\n"
DIR_NOT_AUTHORIZED = b"1999 You are not authorized.\n"


@attrs.frozen
class ConnectionSpec:
    number: str
    title: str
    connector: Role
    acceptor: Role
    hello: HelloKind
    psk_type: ResourceType  # identity type the connector sends
    connector_cram_type: ResourceType | None
    connector_cram_name: CramName
    acceptor_cram_type: ResourceType
    key: KeySource
    success: Success
    failure_line: bytes | None  # acceptor's line after a failed authentication
    # Where the settings live, in the seed table's words (18.2+ rows).
    name_resource: tuple[str, str]
    password_resource: tuple[str, str]
    certificate_resource: tuple[str, str]
    tls_enable_resource: tuple[str, str]

    @property
    def is_job_connection(self) -> bool:
        return self.key is KeySource.SESSION_KEY


def _row(**kw: object) -> ConnectionSpec:
    return ConnectionSpec(**kw)  # type: ignore[arg-type]


_R = ResourceType
CONNECTIONS: dict[str, ConnectionSpec] = {
    spec.number: spec
    for spec in (
        _row(
            number="1",
            title="default console -> Director",
            connector=Role.CONSOLE,
            acceptor=Role.DIRECTOR,
            hello=HelloKind.CONSOLE,
            psk_type=_R.CONSOLE,
            connector_cram_type=_R.CONSOLE,
            connector_cram_name=CramName.QUALIFIED,
            acceptor_cram_type=_R.DIRECTOR,
            key=KeySource.PASSWORD,
            success=Success.CONSOLE_GREETING,
            failure_line=None,
            name_resource=("*UserAgent*", "*UserAgent*"),
            password_resource=("Console-Director", "Director-Director"),
            certificate_resource=("Console-Director", "Director-Director"),
            tls_enable_resource=("Console-Director", "Director-Director"),
        ),
        _row(
            number="2",
            title="named console -> Director",
            connector=Role.CONSOLE,
            acceptor=Role.DIRECTOR,
            hello=HelloKind.CONSOLE,
            psk_type=_R.CONSOLE,
            connector_cram_type=_R.CONSOLE,
            connector_cram_name=CramName.QUALIFIED,
            acceptor_cram_type=_R.DIRECTOR,
            key=KeySource.PASSWORD,
            success=Success.CONSOLE_GREETING,
            failure_line=None,
            name_resource=("Console-Console", "Director-Console"),
            password_resource=("Console-Console", "Director-Console"),
            certificate_resource=("Console-Console", "Director-Director"),
            tls_enable_resource=("Console-Console", "Director-Console"),
        ),
        _row(
            number="3",
            title="Director -> File daemon",
            connector=Role.DIRECTOR,
            acceptor=Role.FILE_DAEMON,
            hello=HelloKind.DIRECTOR,
            psk_type=_R.DIRECTOR,
            connector_cram_type=_R.DIRECTOR,
            connector_cram_name=CramName.QUALIFIED,
            acceptor_cram_type=_R.CLIENT,
            key=KeySource.PASSWORD,
            success=Success.FD_HELLO_OK,
            failure_line=FD_AUTH_FAILED,
            name_resource=("Director-Director", "Client-Director"),
            password_resource=("Director-Client", "Client-Director"),
            certificate_resource=("Director-Client", "Client-Client"),
            tls_enable_resource=("Director-Client", "Client-Director"),
        ),
        _row(
            number="4",
            title="File daemon -> Director (client initiated)",
            connector=Role.FILE_DAEMON,
            acceptor=Role.DIRECTOR,
            hello=HelloKind.CLIENT,
            psk_type=_R.CLIENT,
            connector_cram_type=_R.CLIENT,
            connector_cram_name=CramName.QUALIFIED,
            acceptor_cram_type=_R.DIRECTOR,
            key=KeySource.PASSWORD,
            success=Success.DIRECTOR_TO_CLIENT,
            failure_line=DIR_NOT_AUTHORIZED,
            name_resource=("Client-Client", "Director-Client"),
            password_resource=("Client-Director", "Director-Client"),
            certificate_resource=("Client-Director", "Director-Director"),
            tls_enable_resource=("Client-Director", "Director-Client"),
        ),
        _row(
            number="5",
            title="Director -> Storage daemon",
            connector=Role.DIRECTOR,
            acceptor=Role.STORAGE_DAEMON,
            hello=HelloKind.DIRECTOR,
            psk_type=_R.DIRECTOR,
            connector_cram_type=_R.DIRECTOR,
            connector_cram_name=CramName.QUALIFIED,
            acceptor_cram_type=_R.STORAGE,
            key=KeySource.PASSWORD,
            success=Success.SD_HELLO_OK,
            failure_line=SD_AUTH_FAILED,
            name_resource=("Director-Director", "Storage-Director"),
            password_resource=("Director-Storage", "Storage-Director"),
            certificate_resource=("Director-Storage", "Storage-Storage"),
            tls_enable_resource=("Director-Storage", "Storage-Director"),
        ),
        _row(
            number="6",
            title="File daemon -> Storage daemon (job data)",
            connector=Role.FILE_DAEMON,
            acceptor=Role.STORAGE_DAEMON,
            hello=HelloKind.START_JOB,
            psk_type=_R.JOB,
            connector_cram_type=_R.CLIENT,
            connector_cram_name=CramName.QUALIFIED,
            acceptor_cram_type=_R.STORAGE,
            key=KeySource.SESSION_KEY,
            success=Success.NOTHING,
            failure_line=None,
            name_resource=("job name", "job name"),
            password_resource=("job session key", "job session key"),
            certificate_resource=("Director-Storage", "Storage-Storage"),
            tls_enable_resource=("Director-Storage", "Storage-Director"),
        ),
        _row(
            number="7",
            title="Storage daemon -> passive File daemon (job data)",
            connector=Role.STORAGE_DAEMON,
            acceptor=Role.FILE_DAEMON,
            hello=HelloKind.STORAGE_START_JOB,
            psk_type=_R.JOB,
            connector_cram_type=None,
            connector_cram_name=CramName.FILE_DAEMON_LITERAL,
            acceptor_cram_type=_R.CLIENT,
            key=KeySource.SESSION_KEY,
            success=Success.NOTHING,
            failure_line=None,
            name_resource=("job name", "job name"),
            password_resource=("job session key", "job session key"),
            certificate_resource=("Storage-Storage", "Client-Client"),
            tls_enable_resource=("Director-Client", "Client-Client"),
        ),
        _row(
            number="8",
            title="Storage daemon -> Storage daemon (replication)",
            connector=Role.STORAGE_DAEMON,
            acceptor=Role.STORAGE_DAEMON,
            hello=HelloKind.START_STORAGE_JOB,
            psk_type=_R.JOB,
            connector_cram_type=_R.STORAGE,
            connector_cram_name=CramName.QUALIFIED,
            acceptor_cram_type=_R.STORAGE,
            key=KeySource.SESSION_KEY,
            success=Success.NOTHING,
            failure_line=None,
            name_resource=("job name", "job name"),
            password_resource=("job session key", "job session key"),
            certificate_resource=("Storage-Storage", "Storage-Storage"),
            tls_enable_resource=("Director-W Storage", "Director-W Storage"),
        ),
        _row(
            number="9",
            title="tray monitor -> Director",
            connector=Role.TRAY_MONITOR,
            acceptor=Role.DIRECTOR,
            hello=HelloKind.CONSOLE,
            psk_type=_R.CONSOLE,
            connector_cram_type=None,
            connector_cram_name=CramName.EMPTY,
            acceptor_cram_type=_R.DIRECTOR,
            key=KeySource.PASSWORD,
            success=Success.CONSOLE_GREETING,
            failure_line=None,
            name_resource=("Traymon-Traymon", "Director-Console"),
            password_resource=("Traymon-Traymon", "Director-Console"),
            certificate_resource=("Traymon-Director", "Director-Director"),
            tls_enable_resource=("Traymon-Director", "Director-Console"),
        ),
        _row(
            number="10",
            title="tray monitor -> File daemon",
            connector=Role.TRAY_MONITOR,
            acceptor=Role.FILE_DAEMON,
            hello=HelloKind.DIRECTOR,
            psk_type=_R.DIRECTOR,
            connector_cram_type=None,
            connector_cram_name=CramName.EMPTY,
            acceptor_cram_type=_R.CLIENT,
            key=KeySource.PASSWORD,
            success=Success.FD_HELLO_OK,
            failure_line=FD_AUTH_FAILED,
            name_resource=("Traymon-Traymon", "Client-Director"),
            password_resource=("Traymon-Client", "Client-Director"),
            certificate_resource=("Traymon-Client", "Client-Client"),
            tls_enable_resource=("Traymon-Client", "Client-Director"),
        ),
        _row(
            number="11",
            title="tray monitor -> Storage daemon",
            connector=Role.TRAY_MONITOR,
            acceptor=Role.STORAGE_DAEMON,
            hello=HelloKind.DIRECTOR,
            psk_type=_R.DIRECTOR,
            connector_cram_type=None,
            connector_cram_name=CramName.EMPTY,
            acceptor_cram_type=_R.STORAGE,
            key=KeySource.PASSWORD,
            success=Success.SD_HELLO_OK,
            failure_line=SD_AUTH_FAILED,
            name_resource=("Traymon-Traymon", "Storage-Director"),
            password_resource=("Traymon-Storage", "Storage-Director"),
            certificate_resource=("Traymon-Storage", "Storage-Storage"),
            tls_enable_resource=("Traymon-Storage", "Storage-Director"),
        ),
    )
}


def spec(number: str | int) -> ConnectionSpec:
    """A row by its number ("5a"/"5b" are both row 5)."""
    key = str(number).rstrip("ab")
    return CONNECTIONS[key]
