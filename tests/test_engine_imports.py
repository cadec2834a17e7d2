"""The engine's modules import each other one way: no import cycle, function-level imports included
(a cycle hidden in a function is still a cycle: pipeline.compute once imported prognose, which imports
pipeline)."""

import ast
from pathlib import Path

ENGINE = Path(__file__).resolve().parent.parent / "jobstatus_xl" / "engine"


def engine_imports() -> dict[str, set[str]]:
    """Module name -> the engine modules it imports (relative `from .x import` anywhere in it)."""
    names = {f.stem for f in ENGINE.glob("*.py")}
    graph = {}
    for f in ENGINE.glob("*.py"):
        graph[f.stem] = set()
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                targets = [node.module] if node.module else [a.name for a in node.names]
                graph[f.stem] |= {t.split(".")[0] for t in targets if t.split(".")[0] in names} - {f.stem}
    return graph


def cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a path of module names, or None."""
    state: dict[str, int] = {}          # 1: on the current path, 2: done

    def visit(m: str, path: list[str]) -> list[str] | None:
        state[m] = 1
        for n in sorted(graph[m]):
            if state.get(n) == 1:
                return path[path.index(n):] + [m, n] if n in path else [m, n]
            if n not in state and (found := visit(n, path + [m])):
                return found
        state[m] = 2
        return None
    return next((c for m in sorted(graph) if m not in state and (c := visit(m, [])) is not None), None)


def test_the_cycle_finder_finds_a_cycle():
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b"}, "b": set()}) is None


def test_the_engine_has_no_import_cycle():
    graph = engine_imports()
    assert {"pipeline", "prognose", "register", "inputs"} <= set(graph) and "inputs" in graph["prognose"]
    assert cycle(graph) is None
