"""handlers/ and storage/ never import a transport; storage never imports bot or handlers."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TRANSPORTS = ("telegram", "aiohttp", "bot.channels", "httpx")


def imports_of(package: str) -> list[tuple[str, str]]:
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found += [(str(path.relative_to(ROOT)), alias.name) for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.append((str(path.relative_to(ROOT)), node.module))
    return found


def hits(package: str, forbidden: tuple[str, ...]) -> list[tuple[str, str]]:
    return [
        (f, m)
        for f, m in imports_of(package)
        if any(m == x or m.startswith(x + ".") for x in forbidden)
    ]


@pytest.mark.parametrize("package", ["handlers", "storage"])
def test_no_transport_imports(package: str):
    assert hits(package, TRANSPORTS) == []


def test_the_domain_imports_no_interface():
    interfaces = (*TRANSPORTS, "bot.core", "bot.web", "handlers")
    assert hits("bot/domain", interfaces) == []


def test_storage_stands_alone():
    assert hits("storage", ("bot", "handlers", "scheduler")) == []


def test_importing_handlers_does_not_load_a_transport():
    code = (
        "import sys, handlers, storage.models; handlers.build_router(); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('telegram', 'httpx')"
        " or m.startswith('bot.channels')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def handler_imports() -> dict[str, set[str]]:
    """Each handlers/ module and the handlers/ modules it imports (at any depth of its code:
    an import inside a function is a dependency too)."""
    modules: dict[str, Path] = {}
    for path in sorted((ROOT / "handlers").rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        modules[name] = path
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                # `from handlers import reports` names a module; `from x import f` a name in x.
                targets = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            for target in targets:
                if target in modules and target != name and target != "handlers":
                    graph[name].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import cycles of a graph: each strongly connected group of more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]


# Being removed by the reports package's split (issue 12); nothing may join it.
KNOWN_CYCLE = ["handlers.report_detail", "handlers.staff"]


def test_no_import_cycles_between_handler_modules():
    assert [c for c in cycles(handler_imports()) if c != KNOWN_CYCLE] == []
