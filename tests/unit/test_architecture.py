"""The shape of the package: no import cycle between its modules, and no giant module.

The module graph is grimp's (the library import-linter runs on), built over every import of
``durable_lambda``: module-level imports, imports inside functions (the lazy ones that keep cold
starts short) and imports under ``if TYPE_CHECKING:``. A cycle through any of them means two
modules each need the other to be understood, whichever of them Python happens to load first, so
none is allowed. The floors the imports must follow are import-linter contracts in
``pyproject.toml`` (``lint-imports``); this test holds what a contract cannot say.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "durable_lambda"
MAX_MODULE_LINES = 450
"""The most lines a module of the package may have: one job per module, readable in a sitting."""


def import_graph(graph: grimp.ImportGraph) -> dict[str, set[str]]:
    """Return ``graph`` as a mapping from each module to the modules it imports directly."""
    modules = graph.modules
    return {module: set(graph.find_modules_directly_imported_by(module)) for module in modules}


def strongly_connected(edges: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Return the strongly connected components of ``edges`` with more than one module.

    Tarjan's algorithm, iterative (a deep package must not exhaust Python's recursion limit).
    """
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work: list[tuple[str, list[str]]] = [(root, sorted(edges.get(root, ())))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, pending = work[-1]
            if pending:
                nxt = pending.pop()
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, sorted(edges.get(nxt, ()))))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(sorted(component))
    return components


def one_cycle(edges: Mapping[str, Iterable[str]], component: list[str]) -> list[str]:
    """Return a shortest cycle through the first module of ``component``, for the message."""
    start = component[0]
    members = set(component)
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for nxt in sorted(edges.get(node, ())):
            if nxt == start:
                path = [node]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                return [*reversed(path), start]
            if nxt in members and nxt not in came_from:
                came_from[nxt] = node
                queue.append(nxt)
    return component  # unreachable for a strongly connected component


@pytest.fixture(scope="module")
def package_graph() -> dict[str, set[str]]:
    graph = grimp.build_graph(PACKAGE, exclude_type_checking_imports=False, cache_dir=None)
    return import_graph(graph)


def test_no_module_imports_itself_back(package_graph: dict[str, set[str]]) -> None:
    cycles = [
        " -> ".join(one_cycle(package_graph, component))
        for component in strongly_connected(package_graph)
    ]
    assert not cycles, "import cycles (TYPE_CHECKING and function-level imports included):\n" + (
        "\n".join(cycles)
    )


def test_no_module_is_over_the_line_limit() -> None:
    too_long = {
        str(path.relative_to(ROOT)): lines
        for path in sorted((ROOT / PACKAGE).rglob("*.py"))
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert not too_long, f"modules over {MAX_MODULE_LINES} lines (split them): {too_long}"


def test_the_cycle_finder_finds_a_planted_cycle() -> None:
    # The checks above pass on an empty answer: the finder itself must see cycles.
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"e2"}, "e2": {"e"}}
    components = strongly_connected(edges)
    assert components == [["a", "b", "c"], ["e", "e2"]]
    assert one_cycle(edges, ["a", "b", "c"]) == ["a", "b", "c", "a"]


def test_the_graph_sees_function_level_and_type_checking_imports(
    package_graph: dict[str, set[str]],
) -> None:
    # DurableContext imports the chained invoke's operation inside the method that runs it (a
    # cold start does not pay for it), and the core's config names the retry strategy's type
    # only for the type checker: both are edges of the graph all the same.
    assert (
        "durable_lambda.core.operations.invoke"
        in package_graph["durable_lambda.core.context.external"]
    )
    assert "durable_lambda.core.retry" in package_graph["durable_lambda.core.config"]
