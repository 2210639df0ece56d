"""The restore file tree and its commands (Bareos ``lib/tree.cc``, ``dird/ua_tree.cc``).

The tree holds the newest version of every file of the selected jobs
(``InsertTreeHandler``): one node per path component, directories that only
appear as the parent of a saved file are ``newdir`` nodes (no catalog entry,
never counted), children are kept sorted by name.  The commands (``mark``,
``unmark``, ``cd``, ``ls``, ``dir``, ``find``, ``count``, ``estimate`` ...) are
plain methods that return the lines the Director would print, so the console
layer only has to prompt and send; texts and matching (``fnmatch`` without
``FNM_PATHNAME``, ``**`` for any depth, a typed word is a prefix of the first
command key in table order) are the real Director's.
"""

from __future__ import annotations

import fnmatch
import grp
import pwd
import stat as stat_module
from collections.abc import Callable, Iterable

from bareosnet.errors import ProtocolError
from bareosnet.proto.attributes import FileType, Stat, decode_stat
from bareosnet.proto.lsline import encode_mode, encode_time
from daemons.director.catalog.records import FileRecord

__all__ = ["COMMANDS", "Node", "RestoreTree", "TreeResult"]

ROOT, NEWDIR, DIR, FILE = "root", "newdir", "dir", "file"


class Node:
    __slots__ = ("children", "extract", "extract_descendant", "kind", "name", "parent", "record")

    def __init__(self, name: str, kind: str, parent: Node | None) -> None:
        self.name = name
        self.kind = kind
        self.parent = parent
        self.children: dict[str, Node] = {}
        self.extract = False
        self.extract_descendant = False
        self.record: FileRecord | None = None

    def sorted_children(self) -> list[Node]:
        # Bareos's NodeCompare: first byte, then strcmp: plain byte order.
        return [self.children[k] for k in sorted(self.children, key=lambda n: n.encode())]

    @property
    def has_child(self) -> bool:
        return bool(self.children)

    @property
    def tag(self) -> str:
        return "*" if self.extract else "+" if self.extract_descendant else ""

    @property
    def stat(self) -> Stat:
        if self.record is None:
            return Stat()
        try:
            return decode_stat(self.record.lstat)
        except ProtocolError:
            return Stat()


class TreeResult:
    """What one tree command printed, and whether the tree prompt goes on."""

    __slots__ = ("done", "lines", "quit", "warning")

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.warning = False  # the lines are a WarningMsg/ErrorMsg
        self.done = False  # "done"/"exit": leave the tree and restore
        self.quit = False  # "quit"/"abort": leave the tree, restore nothing


class RestoreTree:
    def __init__(self, *, mark_all: bool = False) -> None:
        self.root = Node("", ROOT, None)
        self.cwd = self.root
        self.mark_all = mark_all
        self.order: list[Node] = []  # insertion order (FirstTreeNode/NextTreeNode)
        self.file_count = 0  # nodes newly inserted by a catalog row
        self.rows = 0  # catalog rows seen (tree->cnt)

    # ------------------------------------------------------------------ building

    @classmethod
    def build(cls, files: Iterable[FileRecord], *, mark_all: bool = False) -> RestoreTree:
        tree = cls(mark_all=mark_all)
        for f in files:
            tree.insert(f)
        return tree

    def _child(self, parent: Node, name: str, kind: str) -> tuple[Node, bool]:
        node = parent.children.get(name)
        if node is not None:
            return node, False
        node = Node(name, kind, parent)
        parent.children[name] = node
        self.order.append(node)
        return node, True

    def _make_path(self, components: list[str]) -> Node:
        node = self.root
        for part in components:
            node, _ = self._child(node, part, NEWDIR)
        return node

    def insert(self, f: FileRecord) -> None:
        """One catalog row, newest job last: a later version replaces an older one."""
        if f.file_type in (FileType.NOCHG, FileType.DIRNOCHG):
            return
        parts = [p for p in f.fname.rstrip("/").split("/") if p]
        if not parts:
            return
        parent = self._make_path(parts[:-1])
        if f.file_type == FileType.DELETED:
            gone = parent.children.get(parts[-1])
            if gone is not None and not gone.has_child:
                del parent.children[parts[-1]]
                self.order.remove(gone)
            return
        kind = DIR if f.fname.endswith("/") else FILE
        node, inserted = self._child(parent, parts[-1], kind)
        node.kind = kind
        node.record = f
        if self.mark_all:
            node.extract = True
        if inserted:
            self.file_count += 1
        self.rows += 1

    # ------------------------------------------------------------------ reading

    def path(self, node: Node) -> str:
        """``tree_getpath``: directories end with ``/``; the root is ``/``."""
        parts: list[Node] = []
        n: Node | None = node
        while n is not None:
            parts.append(n)
            n = n.parent
        out = ""
        for n in reversed(parts):
            out += n.name
            if n.kind != FILE and out != "/":
                out += "/"
            elif n.kind == FILE and n.has_child:  # a soft link to a directory
                out += "/"
        return out

    def marked(self) -> list[FileRecord]:
        """The catalog entries to restore, in tree insertion order."""
        return [n.record for n in self.order if n.extract and n.record is not None]

    # ------------------------------------------------------------------ marking

    def _set_extract(self, node: Node, extract: bool) -> int:
        count = 0
        if node.extract != extract and node.kind not in (NEWDIR, ROOT):
            count += 1
        node.extract = extract
        if node.kind != FILE or node.has_child:
            for child in node.children.values():
                count += self._set_extract(child, extract)
        p = node
        if extract:
            while p.parent is not None and not p.parent.extract_descendant:
                p = p.parent
                p.extract_descendant = True
        else:
            while p.parent is not None and p.parent.extract_descendant:
                p = p.parent
                p.extract_descendant = any(
                    c.extract or c.extract_descendant for c in p.children.values()
                )
        return count

    def _mark_elements(self, patterns: list[str], extract: bool) -> int:
        count = 0
        for raw in patterns:
            arg = raw[:-1] if raw.endswith("/") else raw
            parts = _split_path(arg)
            if not parts:
                continue
            stack: list[tuple[Node, int]]
            if parts[0] == "":
                if len(parts) == 1:
                    parts.append("*")
                stack = [(self.root, 1)]
            else:
                stack = [(self.cwd, 0)]
            while stack:
                node, index = stack.pop()
                part = parts[index]
                if part == "**":
                    stack.append((node, index + 1))
                    for child in node.sorted_children():
                        if child.kind != FILE:
                            stack.append((child, index))
                    continue
                for child in node.sorted_children():
                    if fnmatch.fnmatchcase(child.name, part):
                        if index + 1 == len(parts):
                            count += self._set_extract(child, extract)
                        elif child.kind != FILE:
                            stack.append((child, index + 1))
        return count

    # ------------------------------------------------------------------ commands

    def run(self, words: list[str]) -> TreeResult:
        """One tree command line (already split into words)."""
        r = TreeResult()
        if not words:
            r.lines.append('Invalid command "". Enter "done" to exit.\n')
            r.warning = True
            return r
        typed = words[0].lower()
        for key, _help, handler in COMMANDS:
            if key.startswith(typed):
                handler(self, words, r)
                return r
        if not typed.startswith("."):  # unknown dot commands (.messages) are ignored
            r.lines.append(f'Invalid command "{" ".join(words)}". Enter "done" to exit.\n')
            r.warning = True
        return r

    def _mark(self, words: list[str], r: TreeResult) -> None:
        if len(words) < 2 or not self.cwd.has_child:
            r.lines.append("No files marked.\n")
            return
        r.lines.append(_newly(self._mark_elements(words[1:], True), "marked"))

    def _unmark(self, words: list[str], r: TreeResult) -> None:
        if len(words) < 2 or not self.cwd.has_child:
            r.lines.append("No files newly unmarked.\n")
            return
        r.lines.append(_newly(self._mark_elements(words[1:], False), "unmarked"))

    def _markdir(self, words: list[str], r: TreeResult, extract: bool = True) -> None:
        word = "marked" if extract else "unmarked"
        if len(words) < 2 or not self.cwd.has_child:
            r.lines.append(f"No directories {'marked' if extract else 'newly unmarked'}.\n")
            return
        count = 0
        for raw in words[1:]:
            arg = raw[:-1] if raw.endswith("/") else raw
            for node in self.cwd.sorted_children():
                if fnmatch.fnmatchcase(node.name, arg) and node.kind == DIR:
                    node.extract = extract
                    count += 1
        if count == 0:
            r.lines.append(f"No directories newly {word}.\n")
        elif count == 1:
            r.lines.append(f"1 directory newly {word}.\n")
        else:
            r.lines.append(f"{count:,} directories newly {word}.\n")

    def _unmarkdir(self, words: list[str], r: TreeResult) -> None:
        self._markdir(words, r, extract=False)

    def _count(self, words: list[str], r: TreeResult) -> None:
        nodes = [n for n in self.order if n.kind != NEWDIR]
        marked = sum(1 for n in nodes if n.extract)
        r.lines.append(f"{len(nodes):,} total files/dirs. {marked:,} marked to be restored.\n")

    def _estimate(self, words: list[str], r: TreeResult) -> None:
        total = marked = size = 0
        for n in self.order:
            if n.kind == NEWDIR:
                continue
            total += 1
            if n.extract and n.kind == FILE:
                marked += 1
                st = n.stat
                if stat_module.S_ISREG(st.mode) and st.size > 0:
                    size += st.size
            elif n.extract or n.extract_descendant:
                marked += 1
        r.lines.append(f"{total} total files; {marked} marked to be restored; {size:,} bytes.\n")

    def _find(self, words: list[str], r: TreeResult) -> None:
        if len(words) == 1:
            r.lines.append("No file specification given.\n")
            return
        for pattern in words[1:]:
            for n in self.order:
                if fnmatch.fnmatchcase(n.name, pattern):
                    r.lines.append(f"{n.tag}{self.path(n)}\n")

    def _ls(self, words: list[str], r: TreeResult) -> None:
        for n in self._listed(words):
            r.lines.append(f"{n.tag}{n.name}{'/' if n.has_child else ''}\n")

    def _dot_ls(self, words: list[str], r: TreeResult) -> None:
        for n in self._listed(words):
            r.lines.append(f"{n.name}{'/' if n.has_child else ''}\n")

    def _dot_lsdir(self, words: list[str], r: TreeResult) -> None:
        for n in self._listed(words):
            if n.has_child:
                r.lines.append(f"{n.name}/\n")

    def _lsmark(self, words: list[str], r: TreeResult, node: Node | None = None,
                level: int = 0) -> None:  # fmt: skip
        node = node or self.cwd
        pattern = words[1] if len(words) > 1 else None
        for n in node.sorted_children():
            if (pattern is None or fnmatch.fnmatchcase(n.name, pattern)) and (
                n.extract or n.extract_descendant
            ):
                r.lines.append(f"{'  ' * min(level, 100)}{n.tag}{n.name}"
                               f"{'/' if n.has_child else ''}\n")  # fmt: skip
                if n.has_child:
                    self._lsmark(words, r, n, level + 1)

    def _dot_lsmark(self, words: list[str], r: TreeResult) -> None:
        for n in self._listed(words):
            if n.extract:
                r.lines.append(f"{n.name}{'/' if n.has_child else ''}\n")

    def _listed(self, words: list[str]) -> list[Node]:
        pattern = words[1] if len(words) > 1 else None
        return [n for n in self.cwd.sorted_children()
                if pattern is None or fnmatch.fnmatchcase(n.name, pattern)]  # fmt: skip

    def _dir(self, words: list[str], r: TreeResult, dot: bool = False) -> None:
        if not self.cwd.has_child:
            r.lines.append(f"Node {self.cwd.name} has no children.\n")
            return
        for n in self._listed(words):
            tag = n.tag or " "
            st = n.stat
            user, group = _user(st.uid), _group(st.gid)
            if dot:
                r.lines.append(
                    f"{encode_mode(st.mode)},{st.nlink},{st.uid}({user}),{st.gid}({group}),"
                    f"{st.size},{encode_time(st.mtime)},{tag},{self.path(n)}\n"
                )
            else:
                when = max(st.ctime, st.mtime)
                r.lines.append(
                    f"{encode_mode(st.mode)}  {st.nlink:2d} {st.uid} ({user[:8]}) {st.gid} "
                    f"({group[:8]})  {str(st.size)[:12]:>12}  {encode_time(when)} {tag} "
                    f"{self.path(n)}\n"
                )

    def _dot_dir(self, words: list[str], r: TreeResult) -> None:
        self._dir(words, r, dot=True)

    def _cd(self, words: list[str], r: TreeResult) -> None:
        if len(words) != 2:
            r.lines.append("Too few or too many arguments. Try using double quotes.\n")
            r.warning = True
            return
        node = self.lookup(words[1])
        if node is None:
            r.lines.append("Invalid path given.\n")
            r.warning = True
        else:
            self.cwd = node
        self._pwd(words, r)

    def _pwd(self, words: list[str], r: TreeResult) -> None:
        r.lines.append(f"cwd is: {self.path(self.cwd)}\n")

    def _dot_pwd(self, words: list[str], r: TreeResult) -> None:
        r.lines.append(self.path(self.cwd))

    def _help(self, words: list[str], r: TreeResult) -> None:
        r.lines.append("  Command    Description\n  =======    ===========\n")
        for key, help_text, _ in COMMANDS:
            if not key.startswith("."):
                r.lines.append(f"  {key:<10} {help_text}\n")
        r.lines.append("\n")

    def _dot_help(self, words: list[str], r: TreeResult) -> None:
        for key, _, _ in COMMANDS:
            if not key.startswith("."):
                r.lines.append(f"{key}\n")

    def _done(self, words: list[str], r: TreeResult) -> None:
        r.done = True

    def _quit(self, words: list[str], r: TreeResult) -> None:
        r.quit = True

    def lookup(self, path: str) -> Node | None:
        """``tree_cwd``: ``.``, ``..``, absolute and relative paths, components may be patterns."""
        node = self.cwd
        if path == ".":
            return node
        if path == ".." or path.startswith("../"):
            parent = node.parent or node
            if path == "..":
                return parent
            saved, self.cwd = self.cwd, parent
            try:
                return self.lookup(path[3:])
            finally:
                self.cwd = saved
        if path.startswith("/"):
            node, path = self.root, path[1:]
        for part in path.split("/"):
            if part == "":
                return node
            found = next((c for c in node.sorted_children() if c.name == part), None)
            if found is None:
                found = next((c for c in node.sorted_children()
                              if fnmatch.fnmatchcase(c.name, part)), None)  # fmt: skip
            if found is None or (found.kind == FILE and not found.has_child):
                return None
            node = found
        return node


def _split_path(arg: str) -> list[str]:
    parts = arg.split("/")
    if parts[-1] in ("", "**"):
        parts[-1] = "*"
    return parts


def _newly(count: int, word: str) -> str:
    if count == 0:
        return f"No files newly {word}.\n"
    if count == 1:
        return f"1 file newly {word}.\n"
    return f"{count:,} files newly {word}.\n"


def _user(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _group(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


Handler = Callable[[RestoreTree, list[str], TreeResult], None]

# The real Director's tree commands, in its table order (a typed word is a prefix of the first).
COMMANDS: tuple[tuple[str, str, Handler], ...] = (
    ("abort", "abort and do not do restore", RestoreTree._quit),
    ("add", "add dir/file to be restored recursively, wildcards allowed", RestoreTree._mark),
    ("cd", "change current directory", RestoreTree._cd),
    ("count", "count marked files in and below the cd", RestoreTree._count),
    ("delete", "delete dir/file to be restored recursively in dir", RestoreTree._unmark),
    ("dir", "long list current directory, wildcards allowed", RestoreTree._dir),
    (".dir", "long list current directory, wildcards allowed", RestoreTree._dot_dir),
    ("done", "leave file selection mode", RestoreTree._done),
    ("estimate", "estimate restore size", RestoreTree._estimate),
    ("exit", "same as done command", RestoreTree._done),
    ("find", "find files, wildcards allowed", RestoreTree._find),
    ("help", "print help", RestoreTree._help),
    ("ls", "list current directory, wildcards allowed", RestoreTree._ls),
    (".ls", "list current directory, wildcards allowed", RestoreTree._dot_ls),
    (".lsdir", "list subdir in current directory, wildcards allowed", RestoreTree._dot_lsdir),
    ("lsmark", "list the marked files in and below the cd", RestoreTree._lsmark),
    (".lsmark", "list the marked files in", RestoreTree._dot_lsmark),
    ("mark", "mark dir/file to be restored recursively, wildcards allowed", RestoreTree._mark),
    ("markdir", "mark directory name to be restored (no files)", RestoreTree._markdir),
    ("pwd", "print current working directory", RestoreTree._pwd),
    (".pwd", "print current working directory", RestoreTree._dot_pwd),
    ("unmark", "unmark dir/file to be restored recursively in dir", RestoreTree._unmark),
    ("unmarkdir", "unmark directory name only no recursion", RestoreTree._unmarkdir),
    ("quit", "quit and do not do restore", RestoreTree._quit),
    (".help", "print help", RestoreTree._dot_help),
    ("?", "print help", RestoreTree._help),
)
