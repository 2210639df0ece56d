"""The PSK table of a daemon that Directors and jobs connect to (File and Storage daemon).

A TLS-PSK identity names a resource type and a name: ``R_DIRECTOR`` + a
Director resource name maps to that resource's password key, ``R_JOB`` + a
unique job name to the session key the Director handed out for the job.
Anything else has no key.
"""

from __future__ import annotations

from typing import Any, Protocol

from bareosnet.proto.names import ResourceType
from daemons.common.auth import KeyTable


def director_key(cfg: Any, name: str) -> bytes | None:
    """The password key of the Director resource ``name`` (None: no such Director/password)."""
    res = cfg.get("Director", name)
    if res is None or res.password is None:
        return None
    return res.password.key


class JobKeys(Protocol):
    """A job registry: the session key of a job the Director announced (None: unknown)."""

    def key(self, job: str) -> bytes | None: ...


def key_table(cfg: Any, jobs: JobKeys) -> KeyTable:
    """Directors from the config snapshot ``cfg``, jobs from the registry ``jobs``."""

    def keys(rtype: ResourceType, name: str) -> bytes | None:
        if rtype is ResourceType.DIRECTOR:
            return director_key(cfg, name)
        if rtype is ResourceType.JOB:
            return jobs.key(name)
        return None

    return keys
