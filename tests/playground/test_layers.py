"""The package layout holds: imports run down the layers of playground/ and nowhere in a cycle.

Read from the source with `ast` (nothing is imported), so a lazy import inside a function or
an `if TYPE_CHECKING:` block counts like any other: those are where cycles hide.
"""

import ast
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

from playground.core.paths import REPO_ROOT

# playground's subpackages, top first: a module may import its own subpackage and the ones
# after it in this list, never one before it.
LAYERS = ("cli", "teaching", "scenarios", "native", "configs", "core")
# The repository's other packages, and the highest layer that may import each. Only the CLI
# (the composition root) reaches into demo_app's code; the rest talk to it over HTTP.
OTHER_PACKAGES: Mapping[str, str | None] = {
    "loadtest": "scenarios",  # the scenario table
    "demo_app": "cli",
    "alert_receiver": "cli",
    "bench": None,
}
FIRST_PARTY = ("playground", "demo_app", "alert_receiver", "loadtest", "bench")

Graph = dict[str, set[str]]


def module_name(root: Path, path: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(root: Path, packages: Iterable[str]) -> Graph:
    """Every first-party module under ``root`` and the first-party modules it imports."""
    files = {
        module_name(root, path): path
        for package in packages
        for path in (root / package).rglob("*.py")
    }
    graph: Graph = {}
    for name, path in files.items():
        is_package = path.name == "__init__.py"
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = name.split(".")[: len(name.split(".")) - node.level + is_package]
                    base = ".".join([*anchor, *([base] if base else [])])
                # `from pkg import module` imports the module; `from module import name` the module.
                targets.update(
                    f"{base}.{alias.name}" if f"{base}.{alias.name}" in files else base
                    for alias in node.names
                )
        graph[name] = {target for target in targets if target in files and target != name}
    return graph


def layer_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] == "playground":
        return parts[1] if len(parts) > 2 and parts[1] in LAYERS else None
    return None


def upward_imports(graph: Graph) -> list[str]:
    """Every import in playground/ that goes up a layer or into a package it may not use."""
    problems = []
    for module, targets in sorted(graph.items()):
        if not module.startswith("playground."):
            continue
        layer = layer_of(module)
        for target in sorted(targets):
            top = target.split(".")[0]
            if top == "playground":
                target_layer = layer_of(target)
                if layer is None or target_layer is None:
                    # playground/__main__.py may start the CLI; nothing else sits outside a layer.
                    allowed = module == "playground.__main__" or target_layer == "core"
                else:
                    allowed = LAYERS.index(target_layer) >= LAYERS.index(layer)
            else:
                highest = OTHER_PACKAGES.get(top)
                allowed = (
                    highest is not None
                    and layer is not None
                    and LAYERS.index(layer) <= LAYERS.index(highest)
                )
            if not allowed:
                problems.append(f"{module} -> {target}")
    return problems


def cycles(graph: Graph) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


@pytest.fixture(scope="module")
def repo_graph() -> Graph:
    return import_graph(REPO_ROOT, FIRST_PARTY)


def test_every_subpackage_of_playground_is_a_layer_with_a_docstring() -> None:
    folders = {path.parent.name for path in (REPO_ROOT / "playground").glob("*/__init__.py")}
    assert folders == set(LAYERS)
    for layer in LAYERS:
        source = (REPO_ROOT / "playground" / layer / "__init__.py").read_text()
        assert ast.get_docstring(ast.parse(source)), f"playground/{layer} says what it owns"


def test_playground_imports_only_run_down_its_layers(repo_graph: Graph) -> None:
    assert upward_imports(repo_graph) == []


def test_no_first_party_module_imports_itself_through_a_cycle(repo_graph: Graph) -> None:
    assert cycles(repo_graph) == []


def subpackage_edges(graph: Graph) -> set[tuple[str, str]]:
    """Which layer imports which (or which other package), once each."""
    edges = set()
    for module, targets in graph.items():
        if (layer := layer_of(module)) is None:
            continue
        for target in targets:
            top = target.split(".")[0]
            other = layer_of(target) if top == "playground" else top
            if other and other != layer:
                edges.add((layer, other))
    return edges


def test_the_architecture_diagram_draws_the_imports_between_subpackages(
    repo_graph: Graph,
) -> None:
    text = (REPO_ROOT / "docs" / "architecture.md").read_text()
    diagram = text.split("## The playground package", 1)[1].split("```mermaid", 1)[1]
    drawn = set(re.findall(r"^\s*(\w+) --> (\w+)\s*$", diagram.split("```", 1)[0], re.M))
    assert drawn == subpackage_edges(repo_graph)


def _write(root: Path, files: Mapping[str, str]) -> None:
    for name, source in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source)


def test_the_checks_catch_an_upward_import_a_demo_app_import_and_a_lazy_cycle(
    tmp_path: Path,
) -> None:
    # The checks above would pass vacuously if the graph missed imports: prove they see them.
    _write(
        tmp_path,
        {
            "playground/__init__.py": "",
            "playground/core/__init__.py": "",
            "playground/core/settings.py": "from playground.native import stack\n",
            "playground/native/__init__.py": "",
            "playground/native/stack.py": "def f():\n    from demo_app import metrics\n",
            "demo_app/__init__.py": "",
            "demo_app/metrics.py": "def g():\n    from . import http_metrics\n",
            "demo_app/http_metrics.py": "from demo_app.metrics import g\n",
        },
    )
    graph = import_graph(tmp_path, ("playground", "demo_app"))
    assert upward_imports(graph) == [
        "playground.core.settings -> playground.native.stack",
        "playground.native.stack -> demo_app.metrics",
    ]
    assert cycles(graph) == [["demo_app.http_metrics", "demo_app.metrics"]]
