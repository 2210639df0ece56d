"""Console ACLs (``Command ACL``, ``Client ACL`` ...) evaluated as the Director does.

A named console's list is its own entries followed by those of its Profiles;
the first entry that matches decides (``!entry`` denies), ``*all*`` matches
everything, an entry containing regex characters is matched as a full,
case-insensitive extended regex, and no match means "denied".  The default
console has no ACL and may do everything.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import attrs

_REGEX_CHARS = set(".()[]|^$+?*")

ACL_DIRECTIVES = {
    "command": "Command ACL",
    "client": "Client ACL",
    "storage": "Storage ACL",
    "job": "Job ACL",
    "schedule": "Schedule ACL",
    "pool": "Pool ACL",
    "fileset": "FileSet ACL",
    "catalog": "Catalog ACL",
    "where": "Where ACL",
    "pluginoptions": "Plugin Options ACL",
}


def _entry_matches(pattern: str, item: str) -> bool:
    if pattern.lower() == "*all*":
        return True
    if pattern.lower() == item.lower():
        return True
    if set(pattern) & _REGEX_CHARS:
        try:
            rx = re.compile(pattern, re.IGNORECASE)
        except re.error:
            return False
        m = rx.search(item)
        return m is not None and (m.end() - m.start()) >= len(item)
    return False


def decide(entries: Sequence[str], item: str) -> bool:
    for entry in entries:
        if entry.startswith("!"):
            if _entry_matches(entry[1:], item):
                return False
        elif _entry_matches(entry, item):
            return True
    return False


@attrs.frozen
class ConsoleAcl:
    """The ACL lists of one named console (``None`` lists mean: the default console)."""

    name: str
    lists: dict[str, tuple[str, ...]] = attrs.field(factory=dict)

    def allows(self, kind: str, item: str) -> bool:
        return decide(self.lists.get(kind, ()), item)

    @classmethod
    def from_resource(cls, console: Any, profiles: Sequence[Any] = ()) -> ConsoleAcl:
        lists: dict[str, tuple[str, ...]] = {}
        for kind, directive in ACL_DIRECTIVES.items():
            entries: list[str] = list(_get(console, directive))
            for profile in profiles:
                entries += list(_get(profile, directive))
            lists[kind] = tuple(entries)
        return cls(console.name, lists)


def _get(res: Any, directive: str) -> tuple[str, ...]:
    try:
        value = res.get(directive)
    except KeyError:
        return ()
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(",") if v.strip())
    out: list[str] = []
    for v in value:
        # A list directive may hold comma-joined strings depending on the parser.
        out += [p.strip() for p in str(v).split(",") if p.strip()]
    return tuple(out)


def allowed(acl: ConsoleAcl | None, kind: str, item: str) -> bool:
    """Root (default console, ``acl is None``) may do everything."""
    return True if acl is None else acl.allows(kind, item)
