"""Write every file generated from the commands, or check that none is stale.

    python tools/regen.py           # write them
    python tools/regen.py --check   # write nothing; exit 1 naming each stale file

The files: the TAB table and the help table beside the fast path, the command reference
(docs/commands.md), the completion scripts `aitasker completion SHELL` prints (completions/),
the JSON Schemas of what the commands print (docs/schemas/, and the package's copy that
`aitasker schema` prints, aitasker_cli/schemas/; tools/schemas.py) and the manual pages
(docs/man/; tools/man.py). Each is one entry of OUTPUTS; a new kind of generated file is one
more.
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
FIX = "python tools/regen.py"
WIDTH = "100"
"""The terminal width of the help pages in the command reference."""
COMPLETION_SCRIPTS = {
    "bash": "aitasker.bash",
    "zsh": "aitasker.zsh",
    "fish": "aitasker.fish",
    "powershell": "aitasker.ps1",
}


@dataclass(frozen=True)
class Output:
    """Generated files of one kind: `make` returns each one's path (from the root) and text."""

    name: str
    make: Callable[[], dict[str, str]]
    folder: str | None = None
    """A folder that holds this output alone: a file there that `make` no longer returns (a
    removed shell's script) is stale, and regeneration deletes it."""


def aitasker(*args: str, **env: str) -> str:
    """What `aitasker ARGS` prints, run by this Python at WIDTH columns, without colour and
    without any AITASKER setting of this environment."""
    kept = {k: v for k, v in os.environ.items() if not k.startswith(("AITASKER_", "_AITASKER"))}
    completed = subprocess.run(
        [sys.executable, "-m", "aitasker_cli", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={**kept, "COLUMNS": WIDTH, "TERM": "dumb", "NO_COLOR": "1", **env},
        check=True,
    )
    return completed.stdout


def help_text(*words: str) -> str:
    """`aitasker WORDS --help`, as a person sees it at WIDTH columns, without colour."""
    from aitasker_cli.core.startup import TYPER_HELP_VAR

    # Typer's own help, not the help table's copy: the table may be the stale file here.
    return aitasker(*words, "--help", **{TYPER_HELP_VAR: "1"}).rstrip() + "\n"


def reference() -> str:
    """docs/commands.md: the `--help` of every command."""
    from aitasker_cli.cli.main import command_paths

    paths = command_paths()
    with ThreadPoolExecutor() as pool:
        pages = list(pool.map(lambda words: help_text(*words), paths))
    parts = [
        "# Command reference\n",
        "\nGenerated from each command's `--help` by `python tools/regen.py`; "
        "do not edit by hand.\n",
    ]
    for words, page in zip(paths, pages, strict=True):
        title = " ".join(("aitasker", *words))
        parts.append(f"\n## `{title}`\n\n```text\n{page}```\n")
    return "".join(parts)


def tables() -> dict[str, str]:
    """What TAB and `--help` read instead of loading the commands."""
    from aitasker_cli.cli.completion import help_table_text, table_text
    from aitasker_cli.fast.help_text import HELP_FILE
    from aitasker_cli.fast.tab_completion import TABLE_FILE

    return {
        f"aitasker_cli/fast/{TABLE_FILE}": table_text(),
        f"aitasker_cli/fast/{HELP_FILE}": help_table_text(),
    }


def completion_scripts() -> dict[str, str]:
    """What `aitasker completion SHELL` prints, for every shell."""
    with ThreadPoolExecutor() as pool:
        scripts = pool.map(lambda shell: aitasker("completion", shell), COMPLETION_SCRIPTS)
        return {
            f"completions/{name}": script
            for name, script in zip(COMPLETION_SCRIPTS.values(), scripts, strict=True)
        }


_LOADING = threading.Lock()


def tool(name: str) -> ModuleType:
    """tools/NAME.py, loaded once (this file may itself be loaded from a path, as tests do)."""
    module_name = f"_aitasker_tools_{name}"
    with _LOADING:  # outputs are made in threads: one loads it, the others wait
        if module_name in sys.modules:
            return sys.modules[module_name]
        spec = importlib.util.spec_from_file_location(module_name, ROOT / "tools" / f"{name}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module  # pydantic and dataclasses look modules up by name
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[module_name]
            raise
        return module


@functools.cache
def schema_files() -> dict[str, str]:
    files: dict[str, str] = tool("schemas").schema_files()
    return files


def schemas(folder: str) -> dict[str, str]:
    """The JSON Schemas, in one of the folders they are written to."""
    return {name: text for name, text in schema_files().items() if name.startswith(f"{folder}/")}


def man_pages() -> dict[str, str]:
    """The manual pages, from the help table (what `--help` shows)."""
    from aitasker_cli.cli.completion import help_table

    pages: dict[str, str] = tool("man").man_pages(help_table())
    return pages


OUTPUTS = (
    Output("TAB and help tables", tables),
    Output("command reference", lambda: {"docs/commands.md": reference()}),
    Output("completion scripts", completion_scripts, folder="completions"),
    Output("JSON Schemas", lambda: schemas("docs/schemas"), folder="docs/schemas"),
    Output(
        "packaged JSON Schemas",
        lambda: schemas("aitasker_cli/schemas"),
        folder="aitasker_cli/schemas",
    ),
    Output("manual pages", man_pages, folder="docs/man"),
)


def changes(root: Path, outputs: Sequence[Output]) -> dict[str, str | None]:
    """Each stale file (from `root`) and its text now, or None for a file to delete."""
    with ThreadPoolExecutor() as pool:  # most of the time is spent waiting for subprocesses
        made = list(pool.map(lambda output: output.make(), outputs))
    found: dict[str, str | None] = {}
    for output, files in zip(outputs, made, strict=True):
        for name, text in files.items():
            path = root / name
            if not path.is_file() or path.read_bytes() != text.encode("utf-8"):
                found[name] = text
        if output.folder is not None:
            for path in sorted((root / output.folder).glob("*")):
                name = path.relative_to(root).as_posix()
                if path.is_file() and name not in files:
                    found[name] = None
    return found


def main(
    argv: Sequence[str] | None = None, root: Path = ROOT, outputs: Sequence[Output] = OUTPUTS
) -> int:
    """Write the stale files, or with --check only name them; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if any file is stale"
    )
    check = parser.parse_args(argv).check
    stale = changes(root, outputs)
    if check:
        for name, text in stale.items():
            sys.stdout.write(f"stale: {name}{' (no longer generated)' if text is None else ''}\n")
        if stale:
            sys.stderr.write(f"regenerate them: {FIX}\n")
        return 1 if stale else 0
    for name, text in stale.items():
        path = root / name
        if text is None:
            path.unlink()
            sys.stdout.write(f"deleted {name}\n")
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(text.encode("utf-8"))
            sys.stdout.write(f"wrote {name}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
