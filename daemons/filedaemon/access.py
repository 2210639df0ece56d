"""Who may connect to the File daemon, and with which key.

The resolver answers the acceptor's question "this Hello arrived: go on with
which connection row, key and TLS policy, or refuse?" from one configuration
snapshot; the TLS-PSK lookup is :func:`daemons.common.access.key_table`
(``R_DIRECTOR`` + Director resource name -> its password key, ``R_JOB`` + job
-> the session key).
Refusals mirror the real FD: an unknown Director or one with
``Connection From Director To Client = no`` gets no answer, only the delay.
"""

from __future__ import annotations

from typing import Any

import structlog

from bareosnet.proto.connections import spec as connection_spec
from bareosnet.proto.handshake import AcceptPlan, Refusal, Resolver
from bareosnet.proto.hello import HelloInfo, HelloKind
from daemons.filedaemon.jobs import JobRegistry

log = structlog.get_logger("bareos.fd.access")


def make_resolver(cfg: Any, jobs: JobRegistry) -> Resolver:
    own_name: str = cfg.own().name
    # Our ssl= in a job connection's challenge comes from our own resource (Bareos
    # passes it as the TLS resource of the job's inbound authentication).
    own_policy: int = cfg.own().tls.policy

    def resolve(hello: HelloInfo) -> AcceptPlan | Refusal:
        match hello.kind:
            case HelloKind.DIRECTOR:
                return _director(cfg, hello.name, own_name)
            case HelloKind.STORAGE_START_JOB:
                auth = jobs.authorization(hello.name)
                key = jobs.key(hello.name)
                if auth is None or key is None:
                    return Refusal(
                        f"Storage daemon asked for job {hello.name!r}, which this File daemon "
                        "does not know (no JobId= command for it, or it already ended)",
                        "unknown-name",
                    )
                if jobs.is_connected(hello.name):
                    # One data connection per job: a second Hello is a replay.
                    log.warning("job.auth_refused", job=hello.name,
                                reason="job already has an authenticated Storage daemon")  # fmt: skip
                    return Refusal(
                        f"Storage daemon asked again for job {hello.name!r}, which already "
                        "has an authenticated data connection",
                        "replay",
                    )
                return AcceptPlan(
                    spec=connection_spec("7"),
                    key=key,
                    policy=own_policy,
                    cleartext_policy=auth.tls_policy,
                    own_name=own_name,
                )
            case _:
                return Refusal(
                    f"a File daemon does not accept {hello.kind.value!r} connections",
                    "bad-hello",
                )

    return resolve


def _director(cfg: Any, name: str, own_name: str) -> AcceptPlan | Refusal:
    res = cfg.get("Director", name)
    if res is None:
        return Refusal(
            f"connection from unknown Director {name!r} rejected (no Director resource of "
            "that name in the File daemon's configuration)",
            "unknown-name",
            send=b"",
        )
    if not res.get("ConnectionFromDirectorToClient"):
        return Refusal(
            f"connection from Director {name!r} rejected: its Director resource has "
            "Connection From Director To Client = no",
            "not-allowed",
            send=b"",
        )
    if res.password is None:
        return Refusal(f"Director {name!r} has no password", "unknown-name", send=b"")
    monitor = bool(res.get("Monitor"))
    return AcceptPlan(
        spec=connection_spec("10" if monitor else "3"),
        key=res.password.key,
        policy=res.tls.policy,
        own_name=own_name,
    )
