"""The ``ls -l`` style line Bareos prints for a file (``PrintLsOutput``, ``encode_mode``).

The File daemon sends one per file for ``estimate listing`` (and restore
listings): mode letters, link count, owner and group names (cut to 8), the size
right-aligned in 12, the *change* time in local time, two spaces, the name, and
``-> target`` for a symbolic link.  Pure functions: the caller looks the names
up (``uid_to_name``) so this module stays free of ``pwd``/``grp``.
"""

from __future__ import annotations

import stat
import time

__all__ = ["encode_mode", "encode_time", "ls_line"]

_TYPE_LETTERS = (
    (stat.S_ISDIR, "d"),
    (stat.S_ISBLK, "b"),
    (stat.S_ISCHR, "c"),
    (stat.S_ISLNK, "l"),
    (stat.S_ISFIFO, "f"),  # Bareos writes "f" for a fifo, not ls's "p"
    (stat.S_ISSOCK, "s"),
)


def encode_mode(mode: int) -> str:
    """``drwxr-xr-x``, with s/S, t/T for setuid, setgid and sticky as Bareos."""
    letter = next((c for test, c in _TYPE_LETTERS if test(mode)), "-")

    def triple(r: int, w: int, x: int, special: int, on: str, off: str) -> str:
        third = (on if mode & x else off) if mode & special else ("x" if mode & x else "-")
        return ("r" if mode & r else "-") + ("w" if mode & w else "-") + third

    return (
        letter
        + triple(stat.S_IRUSR, stat.S_IWUSR, stat.S_IXUSR, stat.S_ISUID, "s", "S")
        + triple(stat.S_IRGRP, stat.S_IWGRP, stat.S_IXGRP, stat.S_ISGID, "s", "S")
        + triple(stat.S_IROTH, stat.S_IWOTH, stat.S_IXOTH, stat.S_ISVTX, "t", "T")
    )


def encode_time(ts: int) -> str:
    """``2026-12-04 21:30:00`` in local time (Bareos ``encode_time``)."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts))


def ls_line(
    *,
    mode: int,
    nlink: int,
    user: str,
    group: str,
    size: int,
    ctime: int,
    name: str,
    link: str = "",
) -> str:
    """One ``PrintLsOutput`` line, newline included."""
    target = f" -> {link}" if stat.S_ISLNK(mode) and link else ""
    return (
        f"{encode_mode(mode)}  {nlink:2d} {user[:8]:<8.8} {group[:8]:<8.8}"
        f"{str(size)[:12]:>12} {encode_time(ctime)}  {name}{target}\n"
    )
