"""The Director's console command table, with every command module loaded.

The commands live in their modules, each registered beside its handler
(:mod:`daemons.director.console.registry`); loading the modules listed here
fills the table.  A new command module joins by adding its name to
:data:`COMMAND_MODULES`; a new command in an existing module needs nothing here.
"""

from __future__ import annotations

import importlib

from daemons.director.console.registry import TABLE, Command

# The modules whose @command registrations make up the table (loaded by name, once).
COMMAND_MODULES = (
    "admin_commands",
    "basic",
    "configure",
    "bvfs_commands",
    "estimate",
    "faults",
    "job_commands",
    "list_commands",
    "resources",
    "status",
    "volume_commands",
    "webui_commands",
)

for _name in COMMAND_MODULES:
    importlib.import_module(f"{__package__}.{_name}")

COMMANDS: tuple[Command, ...] = TABLE.commands

# Commands every console may run whatever its Command ACL says.
ALWAYS_ALLOWED = TABLE.always_allowed()


def lookup(word: str) -> Command | None:
    """The first command whose key starts with ``word`` (case-insensitive)."""
    return TABLE.lookup(word)
