"""Accurate mode on the File daemon: did a file change against the Director's list?

The Director sends, after ``accurate files=<n>``, one packet per file of the
previous backups: ``<name>\\0<LStat>\\0<digest>\\0<delta seq>`` (digest and
delta seq may be missing).  For an incremental or differential, every file of
the walk is looked up (directories by their name with a trailing ``/``); one
not in the list is new, one in it is compared by the letters of the include
block's ``Accurate =`` option (Bareos ``filed/accurate.cc`` ``AccurateCheckFile``,
default ``mcs``), in Bareos's order, the first difference deciding:

``i`` inode, ``p`` mode, ``n`` link count, ``u`` uid, ``g`` gid, ``s`` size,
``a`` atime, ``m`` mtime, ``c`` ctime, ``d`` size decreased, ``A`` always;
``5`` / ``1``: the file's digest (by its ``Signature``) against the listed one,
for regular files with a signature -- a listed file without a digest is
changed, with the warning ``Cannot verify checksum for <file>``.

Every looked-up file is marked seen; the unseen ones are sent as deleted
entries at the end of the backup.
"""

from __future__ import annotations

import os
import stat as stat_module

from bareosnet.errors import ProtocolError
from bareosnet.proto.attributes import Stat, decode_stat
from bareosnet.proto.digests import catalog_digest_text, new_digest

_STAT_TESTS = (
    ("i", lambda old, st: old.ino != st.st_ino),
    ("p", lambda old, st: old.mode != st.st_mode),
    ("n", lambda old, st: old.nlink != st.st_nlink),
    ("u", lambda old, st: old.uid != st.st_uid),
    ("g", lambda old, st: old.gid != st.st_gid),
    ("s", lambda old, st: old.size != st.st_size),
    ("a", lambda old, st: old.atime != int(st.st_atime)),
    ("m", lambda old, st: old.mtime != int(st.st_mtime)),
    ("c", lambda old, st: old.ctime != int(st.st_ctime)),
    ("d", lambda old, st: old.size > st.st_size),
)


def file_digest_text(path: str, stream: int) -> str | None:
    """The catalog text of a file's digest, or None when it cannot be read."""
    h = new_digest(stream)
    if h is None:
        return None
    try:
        with open(path, "rb") as f:
            while block := f.read(1 << 20):
                h.update(block)
    except OSError:
        return None
    return catalog_digest_text(h.digest())


def accurate_changed(
    lstat: str,
    st: os.stat_result,
    opts: str,
    *,
    path: str,
    signature: int | None,
    listed_digest: str,
    warnings: list[str],
) -> bool:
    """True when the file differs from its listed entry by ``opts``.

    ``warnings`` collects the job warnings the check gives (``Cannot verify
    checksum``).
    """
    try:
        old: Stat = decode_stat(lstat)
    except ProtocolError:
        return True
    for letter, differs in _STAT_TESTS:
        if letter in opts and differs(old, st):
            return True
    if "A" in opts:
        return True
    if ("5" in opts or "1" in opts) and signature is not None and stat_module.S_ISREG(st.st_mode):
        if not listed_digest:
            warnings.append(f"Cannot verify checksum for {path}\n")
            return True
        return file_digest_text(path, signature) != listed_digest
    return False
