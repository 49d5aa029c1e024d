"""The adapters that hold every use of Typer's, Click's, httpx's and httpcore's private parts:
nothing else imports them, and each fails loudly, naming the version, when a part is gone."""

from __future__ import annotations

import ast
import importlib.util
import sys
import types
from pathlib import Path
from typing import Any

import httpcore
import httpx
import pytest
import typer
import typer.main

from aitasker_cli.api import httpx_adapter
from aitasker_cli.api.transport import DeadlineBackend, make_transport
from aitasker_cli.cli import typer_adapter
from aitasker_cli.core.errors import AitaskerError
from aitasker_cli.local.config import Settings

ROOT = Path(__file__).resolve().parents[1]
PRIVATE = ("typer._", "click._", "httpx._", "httpcore._")
ADAPTERS = {"aitasker_cli/cli/typer_adapter.py", "aitasker_cli/api/httpx_adapter.py"}


def private_uses(path: Path) -> list[str]:
    """Imports of private modules of the four libraries in `path`, and private attribute names
    read by getattr, hasattr or setattr with a string."""
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [f"{node.module}.{alias.name}" for alias in node.names]
            found += [name for name in names if name.startswith(PRIVATE)]
        elif isinstance(node, ast.Import):
            found += [alias.name for alias in node.names if alias.name.startswith(PRIVATE)]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("getattr", "hasattr", "setattr")
            and len(node.args) > 1
            and isinstance(node.args[1], ast.Constant)
            and str(node.args[1].value).startswith("_")
            and not str(node.args[1].value).startswith("__")
        ):
            found.append(f"{node.func.id}(..., {node.args[1].value!r})")
    return found


def test_private_parts_are_used_only_in_the_adapters() -> None:
    files = [*ROOT.glob("aitasker_cli/**/*.py"), *ROOT.glob("tools/*.py")]
    uses = {
        str(path.relative_to(ROOT)): private_uses(path)
        for path in files
        if str(path.relative_to(ROOT)) not in ADAPTERS
    }

    assert {path: found for path, found in uses.items() if found} == {}


def fresh_typer_adapter() -> types.ModuleType:
    """A new copy of the Typer adapter, run again as it loads (the real one stays as it is)."""
    spec = importlib.util.spec_from_file_location("fresh_typer_adapter", typer_adapter.__file__)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_typer_adapter_loads_with_this_typer() -> None:
    assert fresh_typer_adapter().click is typer_adapter.click


def test_a_typer_without_a_private_part_is_named_as_it_loads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "typer._click.utils", types.ModuleType("typer._click.utils"))

    with pytest.raises(AitaskerError) as raised:  # the fresh copy's TyperMismatch
        fresh_typer_adapter()

    assert type(raised.value).__name__ == "TyperMismatch"
    assert f"Typer {typer.__version__} lacks" in raised.value.message
    assert "PacifyFlushWrapper" in raised.value.message
    assert raised.value.hint is not None and "typer>=0.28,<0.30" in raised.value.hint


def test_a_typer_0_28_without_intrange_is_named_as_it_loads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(typer, "__version__", "0.28.9")
    monkeypatch.setitem(sys.modules, "typer._click.types", types.ModuleType("typer._click.types"))

    with pytest.raises(AitaskerError, match=r"Typer 0\.28\.9 .*IntRange"):
        fresh_typer_adapter()


def test_parameters_are_read_from_the_function_a_command_runs() -> None:
    def command(
        name: str = typer.Argument(..., help="A name."),
        loud: bool = typer.Option(False, "--loud"),
    ) -> None:
        """Greet."""

    app = typer.Typer()
    app.command()(command)
    infos = typer_adapter.parameter_infos(typer.main.get_command(app))

    assert sorted(infos) == ["loud", "name"]
    assert infos["name"].help == "A name."


def test_a_command_whose_function_cannot_be_found_is_named(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def command(loud: bool = typer.Option(False, "--loud")) -> None:
        """Greet."""

    app = typer.Typer()
    app.command()(command)
    click_command = typer.main.get_command(app)

    def unwrapped(**_values: Any) -> None:
        """What Typer would run if it no longer kept the function it wraps."""

    monkeypatch.setattr(click_command, "callback", unwrapped)

    with pytest.raises(typer_adapter.TyperMismatch, match=r"__wrapped__"):
        typer_adapter.parameter_infos(click_command)


SETTINGS = Settings("default", "https://api.example.test", None, 5.0, 0, False)


def test_the_deadline_backend_opens_the_sockets() -> None:
    transport = make_transport(SETTINGS)

    assert isinstance(httpx_adapter.network_backend(transport), DeadlineBackend)  # type: ignore[arg-type]


def test_the_deadline_backend_opens_the_sockets_through_a_proxy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    transport = make_transport(SETTINGS)

    assert isinstance(httpx_adapter.network_backend(transport), DeadlineBackend)  # type: ignore[arg-type]


def test_an_httpx_without_the_pools_backend_is_named_not_ignored(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Renamed(httpx.HTTPTransport):
        """An httpx whose transport keeps its pool under another name."""

        def __init__(self, **options: Any) -> None:
            super().__init__(**options)
            self._connections = self.__dict__.pop("_pool")

    monkeypatch.setattr(httpx, "HTTPTransport", Renamed)

    with pytest.raises(httpx_adapter.HttpxMismatch) as raised:
        make_transport(SETTINGS)

    assert f"httpx {httpx.__version__} with httpcore {httpcore.__version__}" in str(raised.value)
    assert raised.value.hint is not None and "httpx>=0.27,<0.29" in raised.value.hint
