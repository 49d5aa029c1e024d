"""Replacing a file all at once: readers see the old content or the new, never half of either."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from aitasker_cli.core.errors import LocalIOError


def write_atomically(
    path: Path, data: bytes, *, what: str, private: bool = False, hint: str | None = None
) -> None:
    """`replace_file`, a failure reported as LocalIOError (exit 10) naming `what` and the path."""
    try:
        replace_file(path, data, private=private)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise LocalIOError(f"cannot write {what} {path}: {reason}", hint=hint) from None


def replace_file(path: Path, data: bytes, *, private: bool = False, sync: bool = True) -> None:
    """`data` in place of the file at `path` (see replace_file_with)."""
    replace_file_with(path, lambda handle: handle.write(data), private=private, sync=sync)


def replace_file_with(
    path: Path,
    write: Callable[[BinaryIO], object],
    *,
    private: bool = False,
    sync: bool = True,
) -> None:
    """Write beside `path` what `write` writes, flush it to disk (unless `sync` is off), then
    swap it in.

    A failure at any point (a full disk, a read-only folder, a kill) leaves the old file as it
    was and no temporary file behind, and raises the OSError. With `private`, the file is
    created 0600 and never exists with wider rights, whatever the umask or an old file's mode.
    """
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    path.parent.mkdir(parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    descriptor = os.open(temporary, flags, 0o600 if private else 0o666)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            if private and hasattr(os, "fchmod"):  # a left-over file may have wider rights
                os.fchmod(handle.fileno(), 0o600)
            write(handle)
            handle.flush()
            if sync:
                os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
