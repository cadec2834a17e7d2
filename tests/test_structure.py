"""The package's shape, read from its source with `ast` (nothing is imported):

- no import cycle among jobstatus_xl's modules, counting imports inside functions (a lazy import
  hides a cycle from Python but not from a reader);
- no module over MAX_LINES lines;
- the engine (jobstatus_xl/engine) imports neither xlwings nor openpyxl, anywhere in its files;
- shared test code lives in support modules (conftest, zips, workbooks, templates, devsupport): no
  test module imports another, and the benchmarks import nothing from tests/.
"""

from __future__ import annotations

import ast
from functools import lru_cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "jobstatus_xl"
MAX_LINES = 800


@lru_cache(maxsize=None)
def modules() -> dict[str, Path]:
    """{dotted module name: file} for every .py in the package (a package is its __init__.py)."""
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def imported_names(name: str, path: Path) -> list[tuple[str, int]]:
    """(absolute dotted name, line) of everything `name` imports, relative imports resolved: for
    `from X import y` both X.y (when y is a module) and X."""
    is_package = path.name == "__init__.py"
    here = name.split(".") if is_package else name.split(".")[:-1]
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            out += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[:len(here) - (node.level - 1)] if node.level > 1 else here
                base = ".".join(base + ([node.module] if node.module else []))
            else:
                base = node.module
            out.append((base, node.lineno))
            out += [(f"{base}.{alias.name}", node.lineno) for alias in node.names]
    return out


def import_graph() -> dict[str, dict[str, int]]:
    """{module: {module of the package it imports: first line}}. Importing a.b.c also runs the
    packages a and a.b, so those count as imported too (except the importer's own ancestors)."""
    mods = modules()
    graph: dict[str, dict[str, int]] = {}
    for name, path in mods.items():
        edges: dict[str, int] = {}
        for target, line in imported_names(name, path):
            parts = target.split(".")
            for i in range(1, len(parts) + 1):
                dotted = ".".join(parts[:i])
                if dotted in mods and dotted != name and not name.startswith(dotted + "."):
                    edges.setdefault(dotted, line)
        graph[name] = edges
    return graph


def cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """Every strongly connected component with more than one module (Tarjan), as a cycle through
    it found by a depth-first walk inside the component, e.g. ['a', 'b', 'a']."""
    index, low, stack, on_stack, components = {}, {}, [], set(), []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            connect(v)

    def a_cycle(component: list[str]) -> list[str]:
        members, start = set(component), component[0]
        path, seen = [start], {start}
        while True:
            nxt = sorted(w for w in graph[path[-1]] if w in members)
            back = [w for w in nxt if w in path]
            if start in nxt:
                return path + [start]
            if back:  # a cycle not through start: cut the path to it
                return path[path.index(back[0]):] + [back[0]]
            step = next(w for w in nxt if w not in seen)
            path.append(step)
            seen.add(step)

    return [a_cycle(c) for c in components]


def describe(cycle: list[str], graph: dict[str, dict[str, int]]) -> str:
    return " -> ".join(f"{a} (line {graph[a][b]})" for a, b in zip(cycle, cycle[1:])) + f" -> {cycle[-1]}"


# ---------------------------------------------------------------- the checker checks

def test_the_cycle_finder_finds_a_cycle_and_names_it():
    graph = {"a": {"b": 3}, "b": {"c": 5}, "c": {"a": 7, "d": 1}, "d": {}}
    assert cycles(graph) == [["a", "b", "c", "a"]]
    assert describe(["a", "b", "c", "a"], graph) == "a (line 3) -> b (line 5) -> c (line 7) -> a"
    assert cycles({"a": {"b": 1}, "b": {}}) == []


def test_the_graph_sees_lazy_and_relative_imports():
    graph = import_graph()
    # cli.py imports the workbook module inside a function, relative: `from .workbook import ...`
    assert "jobstatus_xl.workbook" in graph["jobstatus_xl.cli"]
    # two dots from a subpackage: template/build.py `from ..sheets import ...`
    assert "jobstatus_xl.sheets" in graph["jobstatus_xl.template.build"]
    # `from .xlsx.atomic import ...` counts the subpackage and the module
    assert {"jobstatus_xl.xlsx", "jobstatus_xl.xlsx.atomic"} <= set(graph["jobstatus_xl.workbook"])


# ---------------------------------------------------------------- the package

def _cycles_outside_the_engine() -> list[str]:
    graph = import_graph()
    return [describe(c, graph) for c in cycles(graph)
            if not all(m.startswith("jobstatus_xl.engine.") for m in c)]


def _cycles_in_the_engine() -> list[str]:
    graph = import_graph()
    return [describe(c, graph) for c in cycles(graph)
            if all(m.startswith("jobstatus_xl.engine.") for m in c)]


def test_no_import_cycle_outside_the_engine():
    found = _cycles_outside_the_engine()
    assert not found, "import cycles:\n" + "\n".join(found)


def test_no_import_cycle_in_the_engine():
    found = _cycles_in_the_engine()
    assert not found, "import cycles:\n" + "\n".join(found)


@pytest.mark.parametrize("name", sorted(modules()))
def test_no_module_is_over_the_line_limit(name):
    lines = len(modules()[name].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{modules()[name].relative_to(PACKAGE.parent)} has {lines} lines (limit {MAX_LINES})"


def test_the_engine_imports_neither_xlwings_nor_openpyxl():
    found = [f"{name} line {line}: {target}"
             for name, path in modules().items() if name.startswith("jobstatus_xl.engine")
             for target, line in imported_names(name, path)
             if target.split(".")[0] in ("xlwings", "openpyxl")]
    assert not found, "\n".join(found)


def test_the_version_is_written_once():
    # pyproject.toml reads it from jobstatus_xl/__init__.py (setuptools' `attr:`, read with ast, so
    # a source tree on PYTHONPATH and any install agree); nothing else may write a version.
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in project["project"] and "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "jobstatus_xl.__version__"}
    init = ast.parse((PACKAGE / "__init__.py").read_text(encoding="utf-8"))
    literals = [n.value.value for n in init.body if isinstance(n, ast.Assign) and isinstance(n.value, ast.Constant)
                and [t.id for t in n.targets if isinstance(t, ast.Name)] == ["__version__"]]
    import jobstatus_xl
    assert literals == [jobstatus_xl.__version__] and isinstance(jobstatus_xl.__version__, str)


def _top_level_imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_no_test_module_imports_another_and_benchmarks_import_no_tests():
    test_modules = {p.stem for p in (ROOT / "tests").glob("test_*.py")}
    support = {p.stem for p in (ROOT / "tests").glob("*.py")} - test_modules
    wrong = [f"{p.relative_to(ROOT)} imports {sorted(_top_level_imports(p) & test_modules)}"
             for p in sorted((ROOT / "tests").glob("*.py")) if _top_level_imports(p) & test_modules]
    wrong += [f"{p.relative_to(ROOT)} imports {sorted(_top_level_imports(p) & (support | {'tests'}))} from tests/"
              for p in sorted((ROOT / "benchmarks").glob("*.py")) if _top_level_imports(p) & (support | {"tests"})]
    assert wrong == []
