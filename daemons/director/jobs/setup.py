"""From a Job resource (and the console's overrides) to a :class:`JobControl` ready to submit.

Resources come from the Job (JobDefs inheritance is the config package's
``res.get``); ``client=``, ``storage=``, ``pool=``, ``fileset=`` and
``level=`` on the command line override them, and the report says where each
came from (``(From Job resource)`` / ``(From command line)``), as Bareos does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs

from daemons.director.jobs.common import storage_of
from daemons.director.jobs.control import JobControl

if TYPE_CHECKING:
    from daemons.director.interfaces import Director

JOB_TYPES = {"backup": "B", "restore": "R", "copy": "c", "migrate": "g", "verify": "V",
             "admin": "D", "consolidate": "O", "archive": "A"}  # fmt: skip
LEVELS = {"full": "F", "incremental": "I", "differential": "D", "base": "B"}
# Verify levels (Bareos joblevels for JT_VERIFY).
VERIFY_LEVELS = {"initcatalog": "V", "catalog": "C", "volumetocatalog": "O",
                 "disktocatalog": "d", "data": "A"}  # fmt: skip


class SetupError(ValueError):
    """What the console prints when a job cannot be set up."""


@attrs.frozen
class Overrides:
    level: str | None = None
    client: str | None = None
    storage: str | None = None
    pool: str | None = None
    fileset: str | None = None


def job_type_of(job_res: Any) -> str:
    word = str(job_res.get("Type") or "Backup").lower()
    return JOB_TYPES.get(word, "?")


def level_code(word: str) -> str:
    code = LEVELS.get(word.lower())
    if code is None:
        raise SetupError(f'Level "{word}" not valid.')
    return code


def _resource(rt: Director, rtype: str, name: str | None, what: str) -> Any | None:
    if name is None:
        return None
    res = rt.cfg.get(rtype, name)
    if res is None:
        raise SetupError(f'{what} "{name}" not found.')
    return res


def build_job(rt: Director, job_res: Any, ov: Overrides = Overrides()) -> JobControl:
    """A JobControl for ``job_res`` with the console's overrides applied."""
    jtype = job_type_of(job_res)
    sources: dict[str, str] = {}

    def pick(rtype: str, key: str, override: str | None, what: str) -> Any | None:
        if override is not None:
            sources[key] = "command line"
            return _resource(rt, rtype, override, what)
        value = job_res.get(what if what != "FileSet" else "FileSet")
        sources[key] = "Job resource"
        if rtype == "storage":
            res = storage_of(rt, value)
            if value and res is None:
                raise SetupError(f'Storage "{value}" not found.')
            return res
        return _resource(rt, rtype, str(value), what) if value else None

    client = pick("client", "client", ov.client, "Client")
    fileset = pick("fileset", "fileset", ov.fileset, "FileSet")
    pool = pick("pool", "pool", ov.pool, "Pool")
    store = pick("storage", "storage", ov.storage, "Storage")
    # A backup writes to its Pool's Storage when the Pool names one (Bareos GetJobStorage,
    # DoNativeBackupInit): the Job's own Storage only counts for a Pool without one.
    pool_store = pool.get("Storage") if pool is not None else None
    if pool_store and (store is None or (jtype == "B" and ov.storage is None)):
        store = storage_of(rt, pool_store)
        sources["storage"] = "Pool resource"
    level = ov.level or str(job_res.get("Level") or "")
    if jtype == "V":
        level_c = VERIFY_LEVELS.get(level.lower(), "") if level else "C"
        if not level_c:
            raise SetupError(f'Level "{level}" not valid.')
    else:
        level_c = level_code(level) if level and jtype == "B" else ("F" if jtype == "B" else " ")
    messages = (
        rt.cfg.get("messages", str(job_res.get("Messages"))) if job_res.get("Messages") else None
    )
    return JobControl(
        rt=rt,
        name=job_res.name,
        job_type=jtype,
        level=level_c,
        job_res=job_res,
        client_res=client,
        fileset_res=fileset,
        pool_res=pool,
        storage_res=store,
        messages_res=messages,
        sources=sources,
    )
