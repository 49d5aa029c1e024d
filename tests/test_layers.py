"""The import contract: each layer imports only from the layers below it, and no module takes
part in an import cycle. Every import counts: at module level, inside functions, and under
`if TYPE_CHECKING:`, since each of them is a dependency a reader has to follow.

The layers, lowest first, are the packages of aitasker_cli (README, Architecture).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "aitasker_cli"
LAYERS = (
    "core",
    "domain",
    "local",
    "fast",
    "sandbox",
    "api",
    "ops",
    "output",
    "mcp",
    "cli",
    "entry",
)
"""Lowest first. `entry` is aitasker_cli/entry.py (and __main__.py), which nothing imports."""
TOP = {"aitasker_cli": "core", "aitasker_cli.__main__": "entry"}
"""aitasker_cli/__init__.py holds only the version: a leaf, like core."""


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> str:
    if module in TOP:
        return TOP[module]
    part = module.split(".")[1]
    return "entry" if part == "entry" else part


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imports_of(path: Path, known: set[str]) -> Iterator[tuple[int, str]]:
    """(line, module) for every import of an aitasker_cli module in the file, wherever it is."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("aitasker_cli"):
                    yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("aitasker_cli"):
            base = str(node.module)
            for alias in node.names:
                # `from aitasker_cli.ops import changes` imports the module aitasker_cli.ops.changes
                submodule = f"{base}.{alias.name}"
                yield node.lineno, submodule if submodule in known else base


def graph() -> dict[str, set[str]]:
    found = modules()
    return {
        module: {target for _, target in imports_of(path, set(found)) if target != module}
        for module, path in found.items()
    }


def upward_imports() -> list[str]:
    found = modules()
    problems = []
    for module, path in found.items():
        rank = LAYERS.index(layer_of(module))
        for line, target in imports_of(path, set(found)):
            if target in TOP and target != "aitasker_cli.__main__":
                continue
            if LAYERS.index(layer_of(target)) > rank:
                where = f"{path.relative_to(PACKAGE.parent)}:{line}"
                problems.append(f"{where}: {layer_of(module)} imports {target}")
    return problems


def cycles() -> list[list[str]]:
    """Every strongly connected group of two or more modules (Tarjan's algorithm)."""
    edges = graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in edges.get(node, ()):
            if target not in edges:
                continue
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

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_every_module_belongs_to_a_layer() -> None:
    assert {layer_of(module) for module in modules()} <= set(LAYERS)


def test_no_layer_imports_from_a_layer_above_it() -> None:
    assert upward_imports() == []


def test_no_modules_import_each_other_in_a_cycle() -> None:
    assert cycles() == []


def test_the_contract_sees_an_upward_import_inside_a_function(tmp_path: Path) -> None:
    """The check itself: an import of ops hidden in a core function is found."""
    fake = tmp_path / "aitasker_cli" / "core" / "leaf.py"
    fake.parent.mkdir(parents=True)
    fake.write_text("def f():\n    from aitasker_cli.ops import changes\n", encoding="utf-8")
    known = {"aitasker_cli.ops.changes"}

    assert list(imports_of(fake, known)) == [(2, "aitasker_cli.ops.changes")]
    assert LAYERS.index(layer_of("aitasker_cli.ops.changes")) > LAYERS.index("core")


@pytest.mark.parametrize("module", sorted(modules()))
def test_no_module_is_over_400_lines(module: str) -> None:
    lines = modules()[module].read_text(encoding="utf-8").count("\n")
    assert lines <= 400, f"{module} has {lines} lines"


TERMINAL = {"print", "input", "breakpoint"}
STREAMS = {"stdin", "stdout", "stderr", "__stdin__", "__stdout__", "__stderr__"}


def terminal_uses(path: Path) -> list[str]:
    """Where a module prints, prompts or touches a standard stream itself."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id in TERMINAL:
                found.append(f"{path.name}:{node.lineno}: {node.func.id}()")
        elif (
            isinstance(node, ast.Attribute)
            and node.attr in STREAMS
            and isinstance(node.value, ast.Name)
            and node.value.id == "sys"
        ):
            found.append(f"{path.name}:{node.lineno}: sys.{node.attr}")
    return found


@pytest.mark.parametrize("layer", ["core", "domain", "local", "api", "ops"])
def test_operations_and_what_they_build_on_never_touch_the_terminal(layer: str) -> None:
    """Only cli/ and output/ print, prompt or read stdin (and the fast path at start-up)."""
    uses = [use for path in sorted((PACKAGE / layer).rglob("*.py")) for use in terminal_uses(path)]
    assert uses == []


def test_the_terminal_check_sees_a_print_and_a_stream(tmp_path: Path) -> None:
    fake = tmp_path / "op.py"
    fake.write_text("import sys\nprint(1)\nsys.stdin.read()\n", encoding="utf-8")

    assert terminal_uses(fake) == ["op.py:2: print()", "op.py:3: sys.stdin"]
