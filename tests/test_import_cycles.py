"""No import circle inside daemons/ (issue 15).

The walker reads every module's `import` / `from ... import` statements with `ast` (nothing is
imported), builds the graph of modules under the walked package and reports each circle it
finds. A circle is charged to every daemon package one of its modules belongs to, so a circle
through director and common fails both.

Two graphs, two tests:
- the RUNTIME graph leaves out the imports under `if TYPE_CHECKING:` (or
  `if typing.TYPE_CHECKING:`): they never run, so they cannot make an import fail;
- the DESIGN graph keeps them. The circles issue 15 names (filedaemon daemon -> session ->
  job_commands -> daemon) only close through TYPE_CHECKING imports, and they still mean a
  handler knows the daemon above it. A handler that annotates with the package's interfaces
  module (Protocols, value types) adds no circle, which is the shape to reach.

What counts as an edge in both:
- every import statement anywhere in the module, including function-level ones: they run
  when the function does, and a deferred import that only dodges a circle still is one;
- `from pkg import name` depends on `pkg`, and on `pkg.name` when that is a module;
- importing `a.b.c` also runs `a` and `a.b` (their `__init__`), except the packages that
  contain the importing module, which are already being imported when it runs.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DAEMONS = REPO / "daemons"

PACKAGES = ("director", "filedaemon", "storage", "common", "tools")
# Packages still being untangled: each engineer removes theirs once it is circle-free
# (RUNTIME_PENDING: circles through imports that run; PENDING: counting TYPE_CHECKING ones too).
PENDING: set[str] = set()
RUNTIME_PENDING: set[str] = set()


def module_names(root: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every .py file of the package at `root`."""
    base = root.parent
    names: dict[str, Path] = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(base).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def _is_type_checking(test: ast.expr) -> bool:
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    if isinstance(test, ast.Attribute):
        return test.attr == "TYPE_CHECKING"
    return False


def _imports(tree: ast.AST, type_checking: bool) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement of the tree; those under `if TYPE_CHECKING:` only if asked."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
            continue
        if not type_checking and isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)  # the else branch does run
            continue
        stack.extend(ast.iter_child_nodes(node))


def _resolve_base(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    package = module.split(".") if is_package else module.split(".")[:-1]
    if node.level > 1:
        package = package[: len(package) - (node.level - 1)]
    return ".".join([*package, *([node.module] if node.module else [])])


def _with_ancestors(target: str, importer: str) -> list[str]:
    parts = target.split(".")
    own = importer.split(".")
    out = []
    for n in range(1, len(parts) + 1):
        name = ".".join(parts[:n])
        if n < len(parts) and own[:n] == parts[:n]:
            continue  # a package holding the importer: already importing when it runs
        out.append(name)
    return out


def import_graph(root: Path, type_checking: bool = False) -> dict[str, set[str]]:
    """Module -> the modules of the same tree it imports (at run time, or also for typing)."""
    names = module_names(root)
    graph: dict[str, set[str]] = {name: set() for name in names}
    for module, path in names.items():
        is_package = path.name == "__init__.py"
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        targets: list[str] = []
        for node in _imports(tree, type_checking):
            if isinstance(node, ast.Import):
                targets.extend(alias.name for alias in node.names)
            else:
                base = _resolve_base(module, is_package, node)
                targets.append(base)
                targets.extend(f"{base}.{alias.name}" for alias in node.names)
        for target in targets:
            for name in _with_ancestors(target, module):
                if name in names and name != module:
                    graph[module].add(name)
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One circle (as a path that returns to its start) per strongly connected component."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[set[str]] = []
    counter = 0

    def strongconnect(v: str) -> None:  # Tarjan; the graphs are a few hundred nodes
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                strongconnect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                components.append(component)

    for v in sorted(graph):
        if v not in index:
            strongconnect(v)
    return [_circle_in(graph, component) for component in components]


def _circle_in(graph: dict[str, set[str]], component: set[str]) -> list[str]:
    """A shortest circle through the component's first module (breadth-first)."""
    start = min(component)
    parent: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for v in frontier:
            for w in sorted(graph[v] & component):
                if w == start:
                    path = [v]
                    while path[-1] != start:
                        path.append(parent[path[-1]])
                    return [*reversed(path), start]
                if w not in parent:
                    parent[w] = v
                    following.append(w)
        frontier = following
    raise AssertionError(f"no circle in component {sorted(component)}")


def _belongs(module: str, package: str) -> bool:
    prefix = f"daemons.{package}"
    return module == prefix or module.startswith(prefix + ".")


def _mine(cycles: list[list[str]], package: str) -> list[list[str]]:
    return [c for c in cycles if any(_belongs(m, package) for m in c)]


def _report(cycles: list[list[str]]) -> str:
    return "import circle(s):\n" + "\n".join(" -> ".join(c) for c in cycles)


@pytest.fixture(scope="module")
def runtime_cycles() -> list[list[str]]:
    return find_cycles(import_graph(DAEMONS))


@pytest.fixture(scope="module")
def design_cycles() -> list[list[str]]:
    return find_cycles(import_graph(DAEMONS, type_checking=True))


@pytest.mark.parametrize("package", PACKAGES)
def test_no_runtime_import_circle(package: str, runtime_cycles, request) -> None:
    if package in RUNTIME_PENDING:
        request.applymarker(
            pytest.mark.xfail(
                reason=f"issue 15: daemons/{package} is being untangled", strict=False
            )
        )
    mine = _mine(runtime_cycles, package)
    assert not mine, _report(mine)


@pytest.mark.parametrize("package", PACKAGES)
def test_no_import_circle_counting_type_checking(package: str, design_cycles, request) -> None:
    if package in PENDING:
        request.applymarker(
            pytest.mark.xfail(
                reason=f"issue 15: daemons/{package} is being untangled", strict=False
            )
        )
    mine = _mine(design_cycles, package)
    assert not mine, _report(mine)


def test_every_package_is_walked() -> None:
    walked = {p.name for p in DAEMONS.iterdir() if (p / "__init__.py").exists()}
    assert walked == set(PACKAGES), "add the new daemons/ package to PACKAGES"
    assert RUNTIME_PENDING <= PENDING <= set(PACKAGES)


def _write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root / "pkg"


def test_walker_finds_a_circle(tmp_path: Path) -> None:
    pkg = _write(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/daemon.py": "from pkg.session import Session\n",
            "pkg/session.py": "from . import handlers\n",
            "pkg/handlers.py": "def run():\n    from .daemon import Daemon\n",
            "pkg/leaf.py": "import os\n",
        },
    )
    cycles = find_cycles(import_graph(pkg))
    assert cycles == [["pkg.daemon", "pkg.session", "pkg.handlers", "pkg.daemon"]]


def test_walker_separates_type_checking_imports(tmp_path: Path) -> None:
    pkg = _write(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/sub/__init__.py": "",
            "pkg/sub/daemon.py": "from ..handlers import run\n",
            "pkg/handlers.py": (
                "import typing\n"
                "if typing.TYPE_CHECKING:\n"
                "    from pkg.sub.daemon import Daemon\n"
                "else:\n"
                "    import pkg.leaf\n"
            ),
            "pkg/leaf.py": "",
        },
    )
    graph = import_graph(pkg)
    assert graph["pkg.handlers"] == {"pkg.leaf"}
    assert graph["pkg.sub.daemon"] == {"pkg.handlers"}
    assert find_cycles(graph) == []
    design = import_graph(pkg, type_checking=True)
    assert design["pkg.handlers"] == {"pkg.leaf", "pkg.sub", "pkg.sub.daemon"}
    assert find_cycles(design) == [["pkg.handlers", "pkg.sub.daemon", "pkg.handlers"]]


def test_pending_packages_still_have_circles(runtime_cycles, design_cycles) -> None:
    """A pending package must still show a circle, or it is pending for nothing."""
    for package in PENDING:
        assert _mine(design_cycles, package), f"daemons/{package} is clean: remove it from PENDING"
    for package in RUNTIME_PENDING:
        assert _mine(runtime_cycles, package), (
            f"daemons/{package} has no runtime circle: remove it from RUNTIME_PENDING"
        )
