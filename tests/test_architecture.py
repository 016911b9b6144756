"""The house's structure: the layers contract, no import cycles, no hidden imports.

docs/development.md ("Layers") draws the picture these tests hold the code to.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("app", "slips", "ballots", "meetings", "minutes", "compacts", "surveys", "assessment")

# Imports of project modules inside a function, each with why it cannot be at the top.
# Keep this short: an import inside a function usually hides a cycle, and the cure for a
# cycle is a better layering.
FUNCTION_LEVEL_IMPORTS: dict[tuple[str, str], str] = {}


def test_layers_contract_holds() -> None:
    """import-linter's layers contract (pyproject.toml), as `make lint` runs it."""
    linter = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(linter), "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 1 kept, 0 broken." in result.stdout


def _graph() -> grimp.ImportGraph:
    return grimp.build_graph(*PACKAGES, cache_dir=None)


def _rooms(graph: grimp.ImportGraph) -> dict[str, set[str]]:
    """Each package's direct children (subpackages and modules), the rooms of the house."""
    rooms: dict[str, set[str]] = {}
    for package in PACKAGES:
        for module in graph.find_descendants(package) | {package}:
            parent = module.rpartition(".")[0]
            if parent and graph.find_children(parent):
                rooms.setdefault(parent, set()).add(module)
    return rooms


def _cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One cycle in a directed graph, as a path that returns to its start, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(edges.get(node, ())):
            if state.get(target) == 1:
                return [*stack[stack.index(target) :], target]
            if target not in state and (found := visit(target)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (found := visit(node)):
            return found
    return None


def _room_of(module: str, rooms: set[str]) -> str | None:
    for room in rooms:
        if module == room or module.startswith(room + "."):
            return room
    return None


def test_no_import_cycle_between_rooms() -> None:
    """Inside every package, its subpackages and modules import each other without a
    circle (between the top-level packages the layers contract already forbids one)."""
    graph = _graph()
    for parent, rooms in sorted(_rooms(graph).items()):
        edges: dict[str, set[str]] = {}
        for room in rooms:
            modules = {room} | (
                graph.find_descendants(room) if graph.find_children(room) else set()
            )
            for module in modules:
                for imported in graph.find_modules_directly_imported_by(module):
                    target = _room_of(imported, rooms)
                    if target is not None and target != room:
                        edges.setdefault(room, set()).add(target)
        cycle = _cycle(edges)
        assert cycle is None, f"import cycle among the rooms of {parent or 'the house'}: " + (
            " -> ".join(cycle or [])
        )


def _project_sources() -> Iterator[Path]:
    for package in PACKAGES:
        yield from sorted((ROOT / package).rglob("*.py"))


def _function_level_imports(path: Path) -> Iterator[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            for name in names:
                if name.split(".")[0] in PACKAGES:
                    yield node.lineno, name


def test_no_project_module_imported_inside_a_function() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line}: import {name}"
        for path in _project_sources()
        for line, name in _function_level_imports(path)
        if (str(path.relative_to(ROOT)), name) not in FUNCTION_LEVEL_IMPORTS
    ]
    assert not found, "imports inside functions (move them up, or fix the layering):\n" + (
        "\n".join(found)
    )


def test_slips_import_no_domain() -> None:
    """The villager's slip opens everything at an assembly, so it may know none of it:
    the domains register what a slip opens."""
    graph = _graph()
    domains = {"ballots", "meetings", "minutes", "compacts", "surveys", "assessment"}
    modules = graph.find_descendants("slips") | {"slips"}
    leaks = sorted(
        f"{module} imports {imported}"
        for module in modules
        for imported in graph.find_modules_directly_imported_by(module)
        if imported.split(".")[0] in domains
    )
    assert not leaks, "\n".join(leaks)


def test_other_areas_import_no_ballot_views() -> None:
    graph = _graph()
    leaks = sorted(
        f"{module} imports {imported}"
        for package in ("meetings", "minutes", "compacts", "surveys")
        for module in graph.find_descendants(package) | {package}
        for imported in graph.find_modules_directly_imported_by(module)
        if imported.startswith("ballots.") and "views" in imported.split(".")[-1]
    )
    assert not leaks, "\n".join(leaks)


def test_cycle_finder_finds_a_cycle() -> None:
    """The cycle test is only as good as its search: it must see a planted cycle."""
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": {"c"}}) is None
