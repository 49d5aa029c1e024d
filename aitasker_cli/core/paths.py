"""Where aitasker keeps its files: config, cache, the journal of changes, the sandbox's state.

Each folder can be moved with an AITASKER_*_DIR variable; otherwise it is the platform's usual
place for the user's files of that kind.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_NAME = "aitasker"


def config_dir() -> Path:
    """`$AITASKER_CONFIG_DIR`, else the per-user config folder (`~/.config/aitasker` on Linux)."""
    return _user_folder(
        "AITASKER_CONFIG_DIR",
        windows="APPDATA",
        macos="Application Support",
        xdg="XDG_CONFIG_HOME",
        xdg_default=".config",
    )


def cache_dir() -> Path:
    """`$AITASKER_CACHE_DIR`, else the per-user cache folder (`~/.cache/aitasker` on Linux)."""
    return _user_folder(
        "AITASKER_CACHE_DIR",
        windows="LOCALAPPDATA",
        macos="Caches",
        xdg="XDG_CACHE_HOME",
        xdg_default=".cache",
    )


def state_dir() -> Path:
    """`$AITASKER_STATE_DIR`, else the per-user state folder (`~/.local/state/aitasker` on
    Linux): the journal of changes that `history` and `undo` read."""
    return _user_folder(
        "AITASKER_STATE_DIR",
        windows="LOCALAPPDATA",
        macos="Application Support",
        xdg="XDG_STATE_HOME",
        xdg_default=".local/state",
    )


def sandbox_dir() -> Path:
    """`$AITASKER_SANDBOX_DIR`, else a folder in the per-user data folder
    (`~/.local/share/aitasker/sandbox` on Linux)."""
    return _user_folder(
        "AITASKER_SANDBOX_DIR",
        windows="LOCALAPPDATA",
        macos="Application Support",
        xdg="XDG_DATA_HOME",
        xdg_default=".local/share",
        below="sandbox",
    )


def _user_folder(
    override: str, *, windows: str, macos: str, xdg: str, xdg_default: str, below: str = ""
) -> Path:
    chosen = os.environ.get(override)
    if chosen:
        return Path(chosen)
    if sys.platform == "win32":
        fallback = "Roaming" if windows == "APPDATA" else "Local"
        base = Path(os.environ.get(windows) or Path.home() / "AppData" / fallback)
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / macos
    else:
        base = Path(os.environ.get(xdg) or Path.home() / xdg_default)
    return base / APP_NAME / below
