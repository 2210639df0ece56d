"""Names on the wire: bashed spaces, PSK identities, CRAM challenge names.

* Inside command strings Bareos replaces spaces in names by byte 0x01
  ("bashing") so that a name stays one word for its scanf-like parsers.
* A TLS-PSK identity is ``R_<TYPE>`` + 0x1E + the plain (un-bashed) name.
* The name a daemon puts in its CRAM challenge is ``R_<TYPE>::name`` bashed
  (since 18.2); 17.2 used the bare resource name.
"""

from __future__ import annotations

from enum import StrEnum

from bareosnet.errors import ProtocolError

RS = "\x1e"  # ASCII record separator
BASHED_SPACE = "\x01"
USER_AGENT = "*UserAgent*"  # the default console's fixed name
# The name the Storage daemon gives itself when it challenges a passive FD.
SD_TO_PASSIVE_FD_NAME = "File daemon"


class ResourceType(StrEnum):
    """The ``R_<TYPE>`` words used in identities and challenge names."""

    DIRECTOR = "R_DIRECTOR"
    CLIENT = "R_CLIENT"
    STORAGE = "R_STORAGE"
    CONSOLE = "R_CONSOLE"
    JOB = "R_JOB"


def bash_spaces(name: str) -> str:
    return name.replace(" ", BASHED_SPACE)


def unbash_spaces(name: str) -> str:
    return name.replace(BASHED_SPACE, " ")


def psk_identity(rtype: ResourceType | str, name: str) -> str:
    """TLS-PSK identity: ``R_TYPE`` 0x1E name (name not bashed)."""
    return f"{rtype}{RS}{name}"


def parse_psk_identity(identity: str) -> tuple[ResourceType, str]:
    """Split an identity into its type and name; unknown types are an error."""
    rtype, sep, name = identity.partition(RS)
    if not sep or not name:
        raise ProtocolError(f"malformed PSK identity {identity!r}")
    try:
        return ResourceType(rtype), name
    except ValueError:
        raise ProtocolError(f"unknown resource type {rtype!r} in PSK identity") from None


def qualified_cram_name(rtype: ResourceType | str, name: str) -> str:
    """The challenger's own name as 18.2+ daemons put it in a challenge."""
    return bash_spaces(f"{rtype}::{name}")
