"""The Director's console command table: Bareos's keys in Bareos's order, prefix-matched.

A typed word selects the first command whose key starts with it (``st`` ->
``status``, ``ex`` -> ``exit``), exactly as the Director scans its table, so
the order below matters.  Keys the emulator does not implement stay in the
table (so prefixes resolve as in Bareos) and answer that they are not
emulated.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import attrs

from daemons.director.console import basic, jobcmds, resources, status
from daemons.director.console.args import Args

if TYPE_CHECKING:
    from daemons.director.console.session import ConsoleSession

Handler = Callable[["ConsoleSession", Args], Awaitable[bool]]

# Commands every console may run whatever its Command ACL says.
ALWAYS_ALLOWED = frozenset({"exit", "quit", "whoami"})


@attrs.frozen
class Command:
    key: str
    help: str
    usage: str = ""
    handler: Handler | None = None  # None: in Bareos, not in this emulator

    @property
    def emulated(self) -> bool:
        return self.handler is not None


def _c(key: str, help: str = "", usage: str = "", handler: Handler | None = None) -> Command:
    return Command(key, help, usage, handler)


COMMANDS: tuple[Command, ...] = (
    _c(".", "no operation", "", basic.noop),
    _c(".actiononpurge"),
    _c(
        ".api",
        "switch the API mode of this console",
        "[ 0 | 1 | 2 | off | on | json ] [compact=<yes|no>]",
        basic.api,
    ),  # fmt: skip
    _c(".authorized"),
    _c(".catalogs"),
    _c(".clients", "list the Client names", "[enabled | disabled]", resources.dot_clients),
    _c(".consoles", "list the Console names", "", resources.dot_consoles),
    _c(".users"),
    _c(".defaults"),
    _c(".filesets"),
    _c(".help", "list the commands (machine readable)", "", basic.dot_help),
    _c(".jobdefs"),
    _c(".jobs"),
    _c(".jobstatus"),
    _c(".levels"),
    _c(".locations"),
    _c(
        ".messages", "print queued messages, nothing when there are none", "", basic.dot_messages
    ),  # fmt: skip
    _c(".media"),
    _c(".mediatypes"),
    _c(".msgs"),
    _c(".pools"),
    _c(".profiles"),
    _c(".quit", "close this console connection", "", basic.quit),
    _c(".sql"),
    _c(".schedule"),
    _c(
        ".status",
        "machine readable status",
        "dir ( current | last | header | running "
        "| terminated ) | client=<client-name> [status] | storage=<storage-name> [status]",
        status.dot_status,
    ),  # fmt: skip
    _c(".storages", "list the Storage names", "[enabled | disabled]", resources.dot_storages),
    _c(".types"),
    _c(".volstatus"),
    _c(".bvfs_lsdirs"),
    _c(".bvfs_lsfiles"),
    _c(".bvfs_update"),
    _c(".bvfs_get_jobids"),
    _c(".bvfs_versions"),
    _c(".bvfs_restore"),
    _c(".bvfs_cleanup"),
    _c(".bvfs_clear_cache"),
    _c("add"),
    _c(
        "autodisplay", "switch automatic display of queued messages", "on | off", basic.autodisplay
    ),  # fmt: skip
    _c("automount"),
    _c("cancel", "cancel a running job", jobcmds.CANCEL_USAGE, jobcmds.cancel),
    _c("configure"),
    _c("create"),
    _c("delete"),
    _c("disable"),
    _c("enable"),
    _c("estimate"),
    _c("exit", "close this console connection", "", basic.quit),
    _c("export"),
    _c("gui"),
    _c("help", "list the commands with a short description", "[<command>]", basic.help),
    _c("import"),
    _c("label"),
    _c(
        "list",
        "list jobs, files of a job, volumes from the catalog",
        jobcmds.LIST_USAGE,
        jobcmds.list_cmd,
    ),
    _c(
        "llist",
        "list in long form (one key: value block per job)",
        jobcmds.LIST_USAGE,
        jobcmds.llist_cmd,
    ),
    _c("messages", "print and clear queued messages", "", basic.messages),
    _c("memory"),
    _c("mount"),
    _c("move"),
    _c("prune"),
    _c("purge"),
    _c("quit", "close this console connection", "", basic.quit),
    _c("query"),
    _c(
        "restore",
        "restore files (non-interactive, see docs/jobs.md)",
        jobcmds.RESTORE_USAGE,
        jobcmds.restore,
    ),
    _c("relabel"),
    _c("release"),
    _c(
        "reload",
        "read the configuration again (forgets the clients' handshake modes)",
        "",
        basic.reload,
    ),  # fmt: skip
    _c("rerun"),
    _c("resolve"),
    _c("run", "run a Backup or Copy job", jobcmds.RUN_USAGE, jobcmds.run),
    _c(
        "status",
        "show the state of the Director, a File daemon or a Storage daemon",
        "director | client=<client-name> | storage=<storage-name> | all",
        status.status,
    ),  # fmt: skip
    _c("setbandwidth"),
    _c("setdebug"),
    _c("setdevice"),
    _c("setip"),
    _c(
        "show",
        "print resources in configuration syntax (passwords as [md5] hashes)",
        "clients | client=<name> | storages | storage=<name> | consoles | directors | all",
        resources.show,
    ),  # fmt: skip
    _c("sqlquery"),
    _c("time"),
    _c("trace"),
    _c("truncate"),
    _c("unmount"),
    _c("umount"),
    _c("update"),
    _c("use"),
    _c("var"),
    _c("version", "print the Director's version", "", basic.version),
    _c("wait", "wait until no job (or the given job) runs", jobcmds.WAIT_USAGE, jobcmds.wait),
    _c("whoami", "print the name this console is logged in as", "", basic.whoami),
)


def lookup(word: str) -> Command | None:
    """The first command whose key starts with ``word`` (case-insensitive)."""
    if not word:
        return None
    w = word.lower()
    for cmd in COMMANDS:
        if cmd.key.startswith(w):
            return cmd
    return None
