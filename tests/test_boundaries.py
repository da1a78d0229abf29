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
    """Which handler modules each handler module imports (at the top or inside a function).
    `handlers` itself, the registry that includes every router, is left out: it imports every
    module by design, and start.py asks it for the root router."""
    modules = {
        ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for path in (ROOT / "handlers").rglob("*.py")
    }
    graph: dict[str, set[str]] = {module: set() for module in modules if module != "handlers"}
    for path in sorted((ROOT / "handlers").rglob("*.py")):
        source = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        if source == "handlers":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                # `from handlers.reports import desk` imports the module handlers.reports.desk
                named = [f"{node.module}.{alias.name}" for alias in node.names]
                targets = [n for n in named if n in modules] or [node.module]
            else:
                continue
            graph[source] |= {t for t in targets if t in modules and t not in ("handlers", source)}
    return graph


def test_handler_modules_import_each_other_without_cycles():
    graph = handler_imports()
    cycles: list[list[str]] = []
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> None:
        if module in path:
            cycles.append([*path[path.index(module) :], module])
            return
        if module in done:
            return
        for target in sorted(graph[module]):
            visit(target, [*path, module])
        done.add(module)

    for module in sorted(graph):
        visit(module, [])
    assert cycles == []
