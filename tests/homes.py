"""Private homes for tests, and the record that shows whether the real HOME was written to."""

from __future__ import annotations

import os
from pathlib import Path

Snapshot = dict[str, tuple[str, int, int]]
"""Path -> (kind, size, modification time in ns) of everything watched."""

AITASKER_FOLDERS = (
    ".config/aitasker",
    ".cache/aitasker",
    ".local/share/aitasker",
    ".local/state/aitasker",
)
SHELL_FILES = (
    ".config/fish",
    ".local/share/fish",
    ".bash_completion",
    ".local/share/bash-completion",
    ".zfunc",
    ".bash_completions",
    ".zshrc",
    ".bashrc",
)
"""Completion files and folders of bash, zsh and fish, and the rc files that Typer's
`--install-completion` edits."""
XDG_FOLDERS = {
    "XDG_CONFIG_HOME": ("aitasker", "fish"),
    "XDG_CACHE_HOME": ("aitasker",),
    "XDG_DATA_HOME": ("aitasker", "fish", "bash-completion"),
    "XDG_STATE_HOME": ("aitasker",),
}
"""Where the same folders are when the user has moved their XDG folders."""


def home_variables(home: Path) -> dict[str, str]:
    """HOME, ZDOTDIR and the XDG folders, all in `home`: where users' and shells' files go."""
    return {
        "HOME": str(home),
        "ZDOTDIR": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_STATE_HOME": str(home / ".local" / "state"),
    }


def aitasker_folders(base: Path) -> dict[str, str]:
    """AITASKER_CONFIG_DIR, _CACHE_DIR, _SANDBOX_DIR and _STATE_DIR, all in `base`."""
    return {
        "AITASKER_CONFIG_DIR": str(base / "config"),
        "AITASKER_CACHE_DIR": str(base / "cache"),
        "AITASKER_SANDBOX_DIR": str(base / "sandbox"),
        "AITASKER_STATE_DIR": str(base / "state"),
    }


def watched(home: Path, environ: dict[str, str]) -> list[Path]:
    """The paths in `home` (and the user's XDG folders) that no test may change."""
    paths = [home / relative for relative in AITASKER_FOLDERS + SHELL_FILES]
    paths += sorted(home.glob(".zcompdump*"))
    for variable, names in XDG_FOLDERS.items():
        if environ.get(variable):
            paths += [Path(environ[variable]) / name for name in names]
    return paths


def snapshot(home: Path, environ: dict[str, str]) -> Snapshot:
    """Kind, size and mtime of every file and folder in the watched paths, `home`'s .zcompdump*
    files included (a new one shows up as an addition)."""
    found: Snapshot = {}
    for path in watched(home, environ):
        _record(path, found)
        if path.is_dir() and not path.is_symlink():
            for folder, folders, files in os.walk(path):
                for name in folders + files:
                    _record(Path(folder) / name, found)
    return found


def changes(before: Snapshot, after: Snapshot) -> list[str]:
    """One line for each path added, removed or modified between two snapshots."""
    lines = [f"added {path}" for path in sorted(after.keys() - before.keys())]
    lines += [f"removed {path}" for path in sorted(before.keys() - after.keys())]
    lines += [
        f"modified {path}"
        for path in sorted(before.keys() & after.keys())
        if before[path] != after[path]
    ]
    return lines


def _record(path: Path, found: Snapshot) -> None:
    try:
        status = path.lstat()
    except OSError:
        return  # absent: nothing to record, and its appearance will show up as an addition
    kind = "link" if path.is_symlink() else "dir" if path.is_dir() else "file"
    # A folder's size is its block count, which says nothing about its content: leave it out.
    found[str(path)] = (kind, 0 if kind == "dir" else status.st_size, status.st_mtime_ns)
