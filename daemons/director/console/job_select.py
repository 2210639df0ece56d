"""Which running jobs a console command means (Bareos ``select_jobs`` in ua_select.cc).

``jobid=``, ``job=`` (a prefix of the unique Job name) and ``ujobid=`` name jobs
(but see below for ``job=``); one that does not run is an error (jobid) or a
warning and is skipped.  When none was named: "No Jobs running." / "None of your jobs are
running.", or ``all`` / ``state=created|blocked|waiting|running`` pick them
(confirmed unless ``yes`` or batch mode), or the console is asked which one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from daemons.director.console.args import Args
from daemons.director.console.restore_dialog import do_prompt, get_yesno

if TYPE_CHECKING:
    from daemons.director.console.interfaces import CommandSession

_KEYWORDS = ("job", "jobid", "ujobid")
_STATES = {"created": "C", "blocked": "B", "running": "R"}
_WAITING = set("FSmMsjcdtp")  # Bareos JobWaiting: the wait states


def running_by_name(s: CommandSession, value: str, *, exact: bool) -> Any | None:
    """The running job whose unique name is ``value`` (``exact``: get_jcr_by_full_name) or
    starts with it (get_jcr_by_partial_name)."""
    return next((j for j in s.rt.jobs.running.values()
                 if (j.job == value if exact else j.job.startswith(value))), None)  # fmt: skip


def _visible(s: CommandSession) -> tuple[list[Any], int]:
    jobs = list(s.rt.jobs.running.values())
    return [j for j in jobs if s.allowed("job", j.name)], len(jobs)


async def select_jobs(s: CommandSession, args: Args, reason: str) -> list[Any] | None:
    """The jobs to act on, or None (nothing selected, already said why)."""
    running = s.rt.jobs.running
    picked: list[Any] = []
    # Bareos looks at the keywords only when FindArgKeyword(job, jobid, ujobid) is > 0: it
    # returns the list index of the first one given, so a command whose first one is job=
    # skips them all and goes on as if none was given.
    first = next((k.lower() for k, _ in args.words[1:] if k.lower() in _KEYWORDS), None)
    words = args.words[1:] if first not in (None, "job") else ()
    for key, value in words:
        k = key.lower()
        job = None
        if k == "jobid":
            wanted = int(value) if value and value.strip().isdigit() else 0
            if not wanted:
                continue
            job = running.get(wanted)
            if job is None:
                await s.out.error(f"JobId {value} is not running. Use Job name to {reason} "
                                  "inactive jobs.\n")  # fmt: skip
                continue
        elif k in ("job", "ujobid"):
            if not value:
                continue
            job = running_by_name(s, value, exact=k == "ujobid")
            if job is None:
                await s.out.warning(f"Warning Job {value} is not running. Continuing anyway ...\n")
                continue
        else:
            continue
        if not s.allowed("job", job.name):
            await s.out.error("Unauthorized command from this console.\n")
            return None
        if job not in picked:
            picked.append(job)
    if picked:
        return picked
    mine, total = _visible(s)
    if not mine:
        await s.out.text("No Jobs running.\n" if total == 0 else "None of your jobs are running.\n")
        return None
    state = args.value("state")
    if args.has("all") or state is not None:
        return await _select_all(s, args, mine, state, reason)
    items = [f"JobId={j.job_id} Job={j.job}" for j in mine]
    choice = await do_prompt(s, "Select Job:\n", items, "Job", f"Choose Job to {reason}")
    if choice is None:
        return None
    if reason == "cancel" and len(mine) == 1:
        prompt = (f"Cancel: {items[choice]}\n\nConfirm cancel?" if s.out.api
                  else "Confirm cancel (yes/no): ")  # fmt: skip
        if not await get_yesno(s, prompt):
            return None
    return [mine[choice]]


async def _select_all(s: CommandSession, args: Args, mine: list[Any], state: str | None,
                      reason: str) -> list[Any] | None:  # fmt: skip
    if state is not None and state.lower() not in (*_STATES, "waiting"):
        await s.out.error("Illegal state either created, blocked, waiting or running\n")
        return None
    chosen = []
    for job in mine:
        if state is not None:
            st = state.lower()
            started = job.start_time is not None
            if st == "waiting" and job.status not in _WAITING:
                continue
            if st == "created" and job.status != "C":
                continue
            if st in ("blocked", "running") and (not started or job.status != _STATES[st]):
                continue
        chosen.append(job)
        await s.out.text(f"Selected Job {job.job_id} for cancelling\n")
    if not chosen:
        await s.out.text("No Jobs selected.\n")
        return None
    if not s.batch and not args.has("yes"):
        if not await get_yesno(s, f"Confirm {reason} (yes/no): "):
            return None
    return chosen
