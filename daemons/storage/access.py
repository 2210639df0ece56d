"""Who may connect to the Storage daemon, and with which key.

``Hello Director <name>`` needs a Director resource of that name (row 5, or
row 11 when it has ``Monitor = yes``); ``Hello Start Job <job>`` (row 6, from
a File daemon) and ``Hello Start Storage Job <job>`` (row 8, from another
SD) need a job announced by the Director and not yet connected.  PSK lookups
(:func:`daemons.common.access.key_table`) use the same tables: ``R_DIRECTOR``
-> the Director resource's password key, ``R_JOB`` -> the job's session key.
An unknown Director gets ``BNET_TERMINATE`` at once (the real SD does not
delay there); an unknown job gets it after the authentication delay.
"""

from __future__ import annotations

from typing import Any

from bareosnet.proto.connections import spec as connection_spec
from bareosnet.proto.handshake import AcceptPlan, Refusal, Resolver
from bareosnet.proto.hello import HelloInfo, HelloKind
from daemons.storage.jobs import JobRegistry


def make_resolver(cfg: Any, jobs: JobRegistry) -> Resolver:
    own_name: str = cfg.own().name
    # Our ssl= in a job connection's challenge comes from our own resource (Bareos
    # passes it as the TLS resource of the job's inbound authentication).
    own_policy: int = cfg.own().tls.policy

    def resolve(hello: HelloInfo) -> AcceptPlan | Refusal:
        match hello.kind:
            case HelloKind.DIRECTOR:
                res = cfg.get("Director", hello.name)
                if res is None or res.password is None:
                    return Refusal(
                        f"connection from unknown Director {hello.name!r} rejected (no Director "
                        "resource of that name in the Storage daemon's configuration)",
                        "unknown-name",
                        delay=False,
                    )
                row = "11" if res.get("Monitor") else "5"
                return AcceptPlan(
                    spec=connection_spec(row),
                    key=res.password.key,
                    policy=res.tls.policy,
                    own_name=own_name,
                )
            case HelloKind.START_JOB | HelloKind.START_STORAGE_JOB:
                row = "6" if hello.kind is HelloKind.START_JOB else "8"
                auth = jobs.authorization(hello.name)
                if auth is None:
                    return Refusal(
                        f"job {hello.name!r} is not known to this Storage daemon (the Director "
                        "did not announce it, or it already ended)",
                        "unknown-name",
                    )
                if jobs.is_authenticated(hello.name):
                    return Refusal(
                        f"job {hello.name!r} is already authenticated (it has its data "
                        "connection); a second connection for it is refused",
                        "replay",
                    )
                return AcceptPlan(
                    spec=connection_spec(row),
                    key=auth.key,
                    policy=own_policy,
                    cleartext_policy=auth.tls_policy,
                    own_name=own_name,
                )
            case _:
                return Refusal(
                    f"a Storage daemon does not accept {hello.kind.value!r} connections",
                    "bad-hello",
                )

    return resolve
