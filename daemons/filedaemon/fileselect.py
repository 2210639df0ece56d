"""Which files a backup saves: the FileSet applied to the file system (no I/O to peers).

This follows the File daemon's find code:

* every ``F`` path of an include block is a *top-level* item; it is always
  taken, with the option letters of the block's **last** options block
  (Bareos copies each block's flags over the previous ones);
* entries below a directory are read in ``readdir`` order (no sorting) and
  go through the accept test: the first options block with a matching
  wild/regex pattern decides (``e`` in its letters rejects), otherwise the
  last block's letters apply; then the exclude blocks (``E``) reject by
  ``fnmatch`` on the full path;
* a directory is reported after its contents (``FT_DIREND``, name with one
  trailing slash), ``h`` (no recursion) and a file system change without
  ``f`` (onefs) save only the directory entry, ``Z <name>`` skips a
  directory holding that file;
* incremental/differential: a file is unchanged when its mtime is before the
  since time and (``m`` mtime-only, or its ctime is before it too); unchanged
  files are skipped, unchanged directories are skipped but still descended.
* a regular file of size 0 readable by everybody is ``FT_REGE``.

The walk yields :class:`Found` entries and :class:`Notice` job messages.
"""

from __future__ import annotations

import fnmatch
import os
import re
import stat as stat_module
from collections.abc import Callable, Iterator

import attrs
import structlog

from bareosnet.errors import ProtocolError
from bareosnet.proto.attributes import FileType
from bareosnet.proto.fileset import FileOptions, FileSet, IncludeExclude, keywords_from_options
from bareosnet.proto.jobcmds import MessageType
from bareosnet.proto.streams import SIGNATURE_STREAMS

log = structlog.get_logger("bareos.fd.fileselect")

DEFAULT_ACCURATE = "mcs"
_MODE_RALL = stat_module.S_IRUSR | stat_module.S_IRGRP | stat_module.S_IROTH


@attrs.frozen
class FileFlags:
    """The option letters that matter to the emulator, read once."""

    letters: str = ""
    signature: int | None = None  # digest stream number (M/S/S2/S3/S4)
    recurse: bool = True  # not "h"
    onefs: bool = True  # not "f"
    hardlinks: bool = True  # not "H": hard links saved once
    mtime_only: bool = False  # "m"
    exclude: bool = False  # "e"
    ignorecase: bool = False  # "i"
    enhanced_wild: bool = False  # "W"
    acl: bool = False  # "A"
    xattr: bool = False  # "X"
    sparse: bool = False  # "s"
    compression: str | None = None
    strip_path: int = 0  # "P<n>:"
    # "C<letters>:" of this block; the walk hands the include block's letters to
    # the change check (Bareos keeps them per Include, the last block setting them).
    accurate: str = ""

    @classmethod
    def parse(cls, letters: str) -> FileFlags:
        try:
            kw = keywords_from_options(letters)
        except ProtocolError as exc:
            log.warning("fileset.unknown_option", letters=letters, error=str(exc))
            kw = _tolerant_keywords(letters)
        signature = kw.get("signature")
        sig_stream = None
        if signature is not None:
            sig_stream = SIGNATURE_STREAMS.get(_SIG_LETTERS.get(signature, ""))
        strip = kw.get("strippath", "0")
        return cls(
            letters=letters,
            signature=sig_stream,
            recurse=kw.get("recurse") != "no",
            onefs=kw.get("onefs") != "no",
            hardlinks=kw.get("hardlinks") != "no",
            mtime_only=kw.get("mtimeonly") == "yes",
            exclude=kw.get("exclude") == "yes",
            ignorecase=kw.get("ignorecase") == "yes",
            enhanced_wild="W" in letters,
            acl=kw.get("aclsupport") == "yes",
            xattr=kw.get("xattrsupport") == "yes",
            sparse=kw.get("sparse") == "yes",
            compression=kw.get("compression"),
            strip_path=int(strip) if strip.isdigit() else 0,
            accurate=kw.get("accurate", ""),
        )


_SIG_LETTERS = {"md5": "M", "sha1": "S", "sha256": "S2", "sha512": "S3", "xxh128": "S4"}


def _tolerant_keywords(letters: str) -> dict[str, str]:
    """Read letters one by one, skipping the ones the table does not know."""
    out: dict[str, str] = {}
    for ch in letters:
        try:
            out.update(keywords_from_options(ch))
        except ProtocolError:
            continue
    return out


@attrs.frozen
class Found:
    """A file system entry the backup saves."""

    path: str  # as on disk (no trailing slash for directories)
    fname: str  # as recorded: directories end with one "/"
    file_type: FileType
    stat: os.stat_result
    flags: FileFlags
    link: str = ""  # symbolic link target
    top_level: bool = False


@attrs.frozen
class Notice:
    """A job message the walk asks for (``error`` counts a job error)."""

    type: MessageType
    text: str
    error: bool = False


type Walked = Found | Notice
type ChangeCheck = Callable[[str, os.stat_result, FileFlags], bool]


def since_check(since: int | None) -> ChangeCheck:
    """Bareos ``CheckChanges`` for incremental/differential without accurate mode."""

    def changed(fname: str, st: os.stat_result, flags: FileFlags) -> bool:
        if since is None:
            return True
        return not (int(st.st_mtime) < since and (flags.mtime_only or int(st.st_ctime) < since))

    return changed


@attrs.frozen
class _CompiledOptions:
    flags: FileFlags
    opts: FileOptions
    regex: tuple[re.Pattern[str], ...]
    regexdir: tuple[re.Pattern[str], ...]
    regexfile: tuple[re.Pattern[str], ...]

    @property
    def has_patterns(self) -> bool:
        o = self.opts
        return bool(
            o.regex or o.wild or o.regexdir or o.wilddir or o.regexfile or o.wildfile or o.wildbase
        )


def _compile(opts: FileOptions) -> _CompiledOptions:
    flags = FileFlags.parse(opts.flags)
    re_flags = re.IGNORECASE if flags.ignorecase else 0

    def comp(items: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
        out = []
        for item in items:
            try:
                out.append(re.compile(item, re_flags))
            except re.error as exc:
                log.warning("fileset.bad_regex", regex=item, error=str(exc))
        return tuple(out)

    return _CompiledOptions(flags, opts, comp(opts.regex), comp(opts.regexdir),
                            comp(opts.regexfile))  # fmt: skip


def _fnmatch(pattern: str, name: str, ignorecase: bool) -> bool:
    # Bareos calls fnmatch without FNM_PATHNAME: "*" also matches "/".
    if ignorecase:
        return fnmatch.fnmatchcase(name.lower(), pattern.lower())
    return fnmatch.fnmatchcase(name, pattern)


class _Block:
    """One include block with its compiled options and the fileset's excludes."""

    def __init__(self, block: IncludeExclude, excludes: tuple[IncludeExclude, ...]) -> None:
        self.block = block
        self.options = tuple(_compile(o) for o in block.options)
        self.top_flags = self.options[-1].flags if self.options else FileFlags()
        # Bareos find.cc: mtime, ctime and size unless an options block says otherwise.
        self.accurate = DEFAULT_ACCURATE
        for c in self.options:
            if c.flags.accurate:
                self.accurate = c.flags.accurate
        self.excludes = excludes
        self._exclude_opts = tuple(_compile(o) for e in excludes for o in e.options)

    def excluded(self, path: str) -> bool:
        """The Exclude { } blocks: file lists and wild options, fnmatch on the full path."""
        for opts in self._exclude_opts:
            for pattern in opts.opts.wild:
                if _fnmatch(pattern, path, opts.flags.ignorecase):
                    return True
        for block in self.excludes:
            for pattern in block.files:
                if _fnmatch(pattern, path, False):
                    return True
        return False

    def accept(self, path: str, is_dir: bool) -> tuple[bool, FileFlags]:
        """Bareos ``AcceptFile`` for an entry below a top-level item."""
        flags = self.top_flags
        for c in self.options:
            flags = c.flags
            ic = flags.ignorecase
            base = path.rsplit("/", 1)[-1]
            o = c.opts
            if is_dir:
                if any(_fnmatch(p, path, ic) for p in o.wilddir):
                    return not flags.exclude, flags
            else:
                if any(_fnmatch(p, path, ic) for p in o.wildfile):
                    return not flags.exclude, flags
                if any(_fnmatch(p, base, ic) for p in o.wildbase):
                    return not flags.exclude, flags
            if any(_fnmatch(p, path, ic) for p in o.wild):
                return not flags.exclude, flags
            if is_dir:
                if any(r.search(path) for r in c.regexdir):
                    return not flags.exclude, flags
            elif any(r.search(path) for r in c.regexfile):
                return not flags.exclude, flags
            if any(r.search(path) for r in c.regex):
                return not flags.exclude, flags
            if flags.exclude and not c.has_patterns:
                return False, flags  # an empty options block with exclude=yes
        return not self.excluded(path), flags


def _strerror(exc: OSError) -> str:
    return os.strerror(exc.errno) if exc.errno else str(exc)


class Walker:
    """Walk one FileSet; ``changed`` decides what an incremental saves."""

    def __init__(self, fileset: FileSet, changed: ChangeCheck | None = None) -> None:
        self.fileset = fileset
        self.changed = changed or since_check(None)
        self.top_fname = ""
        self._block: _Block | None = None
        self._top_names = {f for b in fileset.includes for f in b.files} | {
            f for b in fileset.excludes for f in b.files
        }

    def __iter__(self) -> Iterator[Walked]:
        for block in self.fileset.includes:
            self._block = _Block(block, self.fileset.excludes)
            for top in block.files:
                self.top_fname = top
                yield from self._one(top, None, top_level=True, flags=self._block.top_flags)

    def _one(
        self, path: str, parent_dev: int | None, *, top_level: bool, flags: FileFlags
    ) -> Iterator[Walked]:
        block = self._block
        assert block is not None
        try:
            st = os.lstat(path)
        except OSError as exc:
            yield Notice(MessageType.NOTSAVED,
                         f'     Could not stat "{path}": ERR={_strerror(exc)}\n', error=True)  # fmt: skip
            return
        mode = st.st_mode
        if stat_module.S_ISDIR(mode):
            yield from self._directory(path, st, parent_dev, top_level, flags)
            return
        if not top_level:
            accepted, flags = block.accept(path, False)
            if not accepted:
                return
        if not self.changed(path, st, attrs.evolve(flags, accurate=block.accurate)):
            yield Notice(MessageType.SKIPPED, f"     Unchanged file skipped: {path}\n")
            return
        if stat_module.S_ISLNK(mode):
            try:
                target = os.readlink(path)
            except OSError as exc:
                yield Notice(MessageType.NOTSAVED,
                             f'     Could not follow link "{path}": ERR={_strerror(exc)}\n',
                             error=True)  # fmt: skip
                return
            yield Found(path, path, FileType.LNK, st, flags, link=target, top_level=top_level)
        elif stat_module.S_ISREG(mode):
            empty = st.st_size == 0 and (mode & _MODE_RALL) == _MODE_RALL
            ftype = FileType.REGE if empty else FileType.REG
            yield Found(path, path, ftype, st, flags, top_level=top_level)
        elif stat_module.S_ISSOCK(mode):
            yield Notice(MessageType.SKIPPED, f"     Socket file skipped: {path}\n")
        else:  # character/block devices and fifos: attributes only
            yield Found(path, path, FileType.SPEC, st, flags, top_level=top_level)

    def _directory(
        self,
        path: str,
        st: os.stat_result,
        parent_dev: int | None,
        top_level: bool,
        flags: FileFlags,
    ) -> Iterator[Walked]:
        block = self._block
        assert block is not None
        for marker in block.block.ignore_dirs:
            if os.path.lexists(os.path.join(path, marker)):
                return  # "Exclude Dir Containing": nothing of it is saved
        base = path.rstrip("/")
        dirname = (base or "") + "/"
        if not top_level:
            accepted, flags = block.accept(path, True)
            if not accepted:
                return
        unchanged = not self.changed(dirname, st, attrs.evolve(flags, accurate=block.accurate))
        entry = Found(path, dirname, FileType.DIREND, st, flags, top_level=top_level)
        if not top_level and not flags.recurse:
            yield Notice(MessageType.INFO,
                         f"     Recursion turned off. Will not descend from "
                         f"{self.top_fname} into {path}\n")  # fmt: skip
            yield entry
            return
        if not top_level and parent_dev is not None and st.st_dev != parent_dev and flags.onefs:
            if path not in self._top_names:
                yield Notice(MessageType.INFO,
                             f"     {path} is a different filesystem. Will not descend from "
                             f"{self.top_fname} into it.\n")  # fmt: skip
            yield entry
            return
        try:
            with os.scandir(path) as it:
                names = [e.name for e in it]
        except OSError as exc:
            yield Notice(MessageType.NOTSAVED,
                         f'     Could not open directory "{path}": ERR={_strerror(exc)}\n',
                         error=True)  # fmt: skip
            return
        for name in names:
            child = dirname + name
            if block.excluded(child):
                continue
            yield from self._one(child, st.st_dev, top_level=False, flags=flags)
        if unchanged:
            yield Notice(MessageType.SKIPPED, f"     Unchanged file skipped: {path}\n")
            return
        yield entry
