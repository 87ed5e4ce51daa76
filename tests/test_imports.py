"""The package's import graph has no cycles, and no module grows past 600 lines.

Read from the source (AST), so nothing is imported and no extra is needed. Every
``import`` counts, those inside functions too: a lazy import still ties two modules
together, it only hides the knot until run time. Two kinds do not count:

* imports under ``if TYPE_CHECKING:`` never run (import-linter's
  ``exclude_type_checking_imports`` makes the same choice);
* importing ``a.b.c`` runs ``a/b/__init__.py`` first, but the edge drawn is to the
  module named, not to its parents: a package ``__init__`` re-exporting its own
  submodules (``smanav.cli`` registering its commands) is not a cycle by itself.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "smanav"

#: Import edges a cycle may use while a change is under way: none today.
ALLOWED_EDGES: frozenset[tuple[str, str]] = frozenset()

MAX_LINES = 600
#: Modules still over MAX_LINES, each being split by another change of issue 13. The
#: set may only shrink: an entry that is no longer needed fails the test.
OVERSIZE: frozenset[str] = frozenset()


def _modules(root: Path) -> dict[str, tuple[Path, bool]]:
    """Dotted name → (file, is a package) for every module under `root`."""
    out: dict[str, tuple[Path, bool]] = {}
    for f in sorted(root.rglob("*.py")):
        parts = list(f.relative_to(root.parent).with_suffix("").parts)
        package = parts[-1] == "__init__"
        out[".".join(parts[:-1] if package else parts)] = (f, package)
    return out


def _type_checking_only(tree: ast.Module) -> set[int]:
    """ids of import nodes inside `if TYPE_CHECKING:` blocks."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If):
            test = node.test
            name = test.id if isinstance(test, ast.Name) else getattr(test, "attr", None)
            if name == "TYPE_CHECKING":
                skip.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    return skip


def import_graph(root: Path) -> dict[str, set[str]]:
    """Module → the package modules it imports, at any depth of its code."""
    modules = _modules(root)
    graph: dict[str, set[str]] = {}
    for name, (path, package) in modules.items():
        here = name if package else name.rpartition(".")[0]
        tree = ast.parse(path.read_text("utf-8"), str(path))
        skip = _type_checking_only(tree)
        targets: set[str] = set()
        for node in ast.walk(tree):
            if id(node) in skip:
                continue
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = here.split(".")[: len(here.split(".")) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                for alias in node.names:
                    sub = f"{target}.{alias.name}"
                    if sub in modules:
                        targets.add(sub)  # `from . import browse`: the submodule
                    elif target in modules:
                        targets.add(target)
            elif isinstance(node, ast.Import):
                targets.update(a.name for a in node.names if a.name in modules)
        targets.discard(name)
        graph[name] = targets
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(found)


def _described(graph: dict[str, set[str]], group: list[str]) -> str:
    edges = [f"{a} -> {b}" for a in group for b in sorted(graph[a]) if b in group]
    return "\n  ".join(edges)


def test_the_package_has_no_import_cycle() -> None:
    graph = import_graph(SRC)
    assert len(graph) > 50 and "smanav.documents" in graph
    for a, b in ALLOWED_EDGES:
        assert b in graph[a], f"{a} -> {b} is gone: remove it from ALLOWED_EDGES"
        graph[a] = graph[a] - {b}
    found = cycles(graph)
    assert not found, "import cycles:\n  " + "\n\n  ".join(_described(graph, g) for g in found)


def test_the_pipeline_reads_in_one_direction() -> None:
    """text → documents → extract → ingest → store: no stage imports a later one."""
    graph = import_graph(SRC)
    order = ["smanav.text", "smanav.documents", "smanav.extract", "smanav.ingest"]
    for i, stage in enumerate(order):
        for later in order[i + 1 :]:
            assert later not in graph[stage], f"{stage} imports {later}"
    assert "smanav.ingest" not in graph["smanav.review"]
    assert "smanav.ingest" not in graph["smanav.store"]


def _package(tmp: Path, files: dict[str, str]) -> Path:
    root = tmp / "pkg"
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, "utf-8")
    return root


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        # A lazy import inside a function is a cycle all the same.
        (
            {
                "__init__.py": "",
                "a.py": "from .b import f\n",
                "b.py": "def f():\n    from . import a\n",
            },
            [["pkg.a", "pkg.b"]],
        ),
        # Through a subpackage, with `from .. import`.
        (
            {
                "__init__.py": "",
                "top.py": "from .sub.leaf import x\n",
                "sub/__init__.py": "",
                "sub/leaf.py": "from .. import top\nx = 1\n",
            },
            [["pkg.sub.leaf", "pkg.top"]],
        ),
        # Type-only imports never run: no cycle.
        (
            {
                "__init__.py": "",
                "a.py": "from .b import f\n",
                "b.py": (
                    "from typing import TYPE_CHECKING\n"
                    "if TYPE_CHECKING:\n    from .a import g\n"
                    "def f(): ...\n"
                ),
            },
            [],
        ),
        # A package registering its submodules, which import a sibling: no cycle.
        (
            {
                "__init__.py": "from . import cmd\n",
                "_app.py": "app = []\n",
                "cmd.py": "from ._app import app\n",
            },
            [],
        ),
    ],
)
def test_the_cycle_finder_finds_what_it_should(
    tmp_path: Path, files: dict[str, str], expected: list[list[str]]
) -> None:
    assert cycles(import_graph(_package(tmp_path, files))) == expected


def test_no_module_is_over_600_lines() -> None:
    sizes = {
        str(f.relative_to(SRC.parent)): len(f.read_text("utf-8").splitlines())
        for f in SRC.rglob("*.py")
    }
    over = {f for f, n in sizes.items() if n > MAX_LINES}
    assert over - OVERSIZE == set(), {f: sizes[f] for f in over - OVERSIZE}
    assert OVERSIZE - over == set(), f"now under {MAX_LINES} lines: remove from OVERSIZE"
