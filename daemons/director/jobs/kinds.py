"""Which runner a job type has: Backup, Restore and Copy (the others are not emulated).

Above the runners (they import :mod:`.setup`, a copy job builds one job per
selected JobId), so :mod:`.setup` needs none of them.
"""

from __future__ import annotations

from daemons.director.jobs.backup import BACKUP
from daemons.director.jobs.control import JobKind
from daemons.director.jobs.copy import COPY
from daemons.director.jobs.restore import RESTORE
from daemons.director.jobs.setup import SetupError
from daemons.director.jobs.verify import VERIFY

_KINDS = {"B": BACKUP, "R": RESTORE, "c": COPY, "V": VERIFY}


def kind_of(job_type: str) -> JobKind:
    kind = _KINDS.get(job_type)
    if kind is None:
        raise SetupError(
            "this job type is not emulated (Backup, Restore, Copy and Verify jobs are)"
        )
    return kind
