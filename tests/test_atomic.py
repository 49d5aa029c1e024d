"""One way to replace a file: all or nothing, private when asked, failures named."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from aitasker_cli.core.atomic import write_atomically
from aitasker_cli.core.errors import LocalIOError


def test_the_new_content_replaces_the_old(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "state.json"
    write_atomically(target, b"old", what="the state")
    write_atomically(target, b"new", what="the state")

    assert target.read_bytes() == b"new"
    assert os.listdir(target.parent) == ["state.json"]


def test_a_private_file_is_0600_even_over_a_wider_old_one(tmp_path: Path) -> None:
    target = tmp_path / "credentials.json"
    target.write_text("{}")
    target.chmod(0o644)

    write_atomically(target, b"secret", what="the credentials file", private=True)

    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_a_failure_keeps_the_old_file_names_the_path_and_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "state.json"
    target.write_bytes(b"old")
    (tmp_path / f".state.json.{os.getpid()}.tmp").symlink_to("/dev/full")

    with pytest.raises(LocalIOError, match=f"cannot write the state {target}"):
        write_atomically(target, b"new" * 10_000, what="the state")

    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["state.json"]


def test_a_folder_below_a_file_is_a_local_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")

    with pytest.raises(LocalIOError, match="cannot write the cache"):
        write_atomically(tmp_path / "file" / "x", b"data", what="the cache")
