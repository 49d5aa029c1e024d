"""Exit codes when a reader leaves a pipe or a stream is closed (issue 18.5), in real pipelines."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

import pytest

from tests.processes import clean_env, installed_script

LEAVES = "(exec <&-; sleep 2)"
"""A reader that closes the pipe before anything is written: every write to it fails."""


def statuses(command: str, env: dict[str, str], tmp_path: Path) -> tuple[list[int], str]:
    """PIPESTATUS of `command` (written to a file, so the pipeline's own output cannot mix in)."""
    codes = tmp_path / "codes"
    script = command.replace("AITASKER", shlex.quote(installed_script()))
    shell = subprocess.run(
        ["bash", "-c", f'{script}; echo "${{PIPESTATUS[*]}}" > {shlex.quote(str(codes))}'],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return [int(code) for code in codes.read_text().split()], shell.stdout + shell.stderr


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return clean_env(AITASKER_SANDBOX_DIR=str(tmp_path / "sandbox"))


LIST = "AITASKER --sandbox agents list --status active -o id"
PAUSE = "AITASKER --sandbox agents pause --stdin -o ndjson"


@pytest.mark.parametrize(
    ("tail", "expected"),
    [
        ("| head -1", [0, 0, 0]),
        ("2>&1 | head -1", [0, 0, 0]),
        (f"| {LEAVES}", [0, 0, 0]),
        (f"2>&1 | {LEAVES}", [0, 0, 0]),
        (f"2>&1 >/dev/null | {LEAVES}", [0, 0, 0]),  # only stderr's reader leaves
        ("2>&-", [0, 0]),
        ("2>/dev/full", [0, 0]),
        (">&-", [0, 10]),
        (">&- 2>&-", [0, 10]),
    ],
)
def test_bulk_pause_exit_codes_when_a_stream_goes(
    env: dict[str, str], tmp_path: Path, tail: str, expected: list[int]
) -> None:
    codes, shown = statuses(f"{LIST} | {PAUSE} {tail}", env, tmp_path)

    assert codes == expected, shown
    assert "Traceback" not in shown and "Exception ignored" not in shown


@pytest.mark.parametrize(
    ("command", "code"),
    [
        ("AITASKER agents pause --no-such-option", 2),  # Click's own usage error
        ("AITASKER --sandbox agents show NoSuchName", 3),
        ("AITASKER --sandbox --debug agents list -o id", 0),
    ],
)
@pytest.mark.parametrize("tail", [f"2>&1 >/dev/null | {LEAVES}", "2>&-", "2>/dev/full"])
def test_a_failing_stderr_keeps_the_exit_code(
    env: dict[str, str], tmp_path: Path, command: str, code: int, tail: str
) -> None:
    codes, shown = statuses(f"{command} {tail}", env, tmp_path)

    assert codes[0] == code, shown
    assert "Traceback" not in shown and "Exception ignored" not in shown


@pytest.mark.parametrize("command", ["AITASKER completion bash", "AITASKER agents"])
def test_click_output_to_a_reader_that_left_is_exit_0(
    env: dict[str, str], tmp_path: Path, command: str
) -> None:
    codes, shown = statuses(f"{command} | {LEAVES}", env, tmp_path)

    assert codes == [0, 0], shown
