"""The installed `aitasker` as a separate process, and `aitasker sandbox serve` behind it."""

from __future__ import annotations

import atexit
import functools
import os
import pty
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import SECRETS
from tests.homes import aitasker_folders, home_variables


def installed_script() -> str:
    beside_python = Path(sys.executable).with_name("aitasker")
    found = str(beside_python) if beside_python.exists() else shutil.which("aitasker")
    if found is None:
        pytest.fail(
            "the aitasker console script is not installed; run the README's install command"
        )
    return found


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without any AITASKER_* setting, in a fresh private home, plus `extra`.

    HOME, ZDOTDIR, the XDG folders and aitasker's own folders all point into a new temporary
    folder, so neither aitasker nor a shell started with this environment writes into the real
    HOME (tests/conftest.py checks); `extra` overrides any of them.
    """
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("AITASKER_", "GITHUB_"))
    }  # not GITHUB_*: a suite run inside a workflow must not write to its job summary
    home = Path(tempfile.mkdtemp(prefix="home-", dir=_scratch()))
    return {
        **env,
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        **home_variables(home),
        **aitasker_folders(home / "aitasker"),
        **extra,
    }


@functools.cache
def _scratch() -> str:
    """One temporary folder for this run's private homes, removed when the run ends."""
    folder = tempfile.mkdtemp(prefix="aitasker-tests-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def aitasker(
    *argv: str,
    env: dict[str, str],
    stdin: str = "",
    preexec_fn: Callable[[], object] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run the installed script; fails the test if any output shows a token.

    `preexec_fn` runs in the child before the script, e.g. to set a resource limit.
    """
    completed = subprocess.run(
        [installed_script(), *argv],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
        preexec_fn=preexec_fn,
    )
    for secret in SECRETS:
        assert secret not in completed.stdout + completed.stderr
    return completed


@contextmanager
def sandbox_server(*options: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """`aitasker sandbox serve --port 0 OPTIONS` in the background; yields its URL.

    On the way out it is stopped with Ctrl-C (SIGINT) and must exit 0.
    """
    process = subprocess.Popen(
        [installed_script(), "sandbox", "serve", "--port", "0", *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env or clean_env(),
    )
    assert process.stdout is not None
    url = process.stdout.readline().strip()
    try:
        assert url.startswith("http://127.0.0.1:"), process.stderr.read() if process.stderr else ""
        yield url
    finally:
        process.send_signal(signal.SIGINT)
        _out, err = process.communicate(timeout=30)
        assert process.returncode == 0, err


def with_stderr_on_a_terminal(
    *argv: str, env: dict[str, str], stdin: str = ""
) -> tuple[str, str, int]:
    """Run the installed script with stderr a real pseudo-terminal, read as a terminal reads it
    (so the child never blocks on it); returns stdout, what the terminal showed, the exit code."""
    leader, follower = pty.openpty()
    screen: list[bytes] = []

    def read_terminal() -> None:
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                return
            if not chunk:
                return
            screen.append(chunk)

    reader = threading.Thread(target=read_terminal, daemon=True)
    reader.start()
    with subprocess.Popen(
        [installed_script(), *argv],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=follower,
        env=env,
    ) as process:
        os.close(follower)
        out, _ = process.communicate(stdin.encode(), timeout=60)
    reader.join(10)
    os.close(leader)
    shown = b"".join(screen).decode(errors="replace").replace("\r\n", "\n")
    return out.decode(), shown, process.returncode


def on_a_terminal(
    argv: list[str], env: dict[str, str], answer: bytes, prompt: bytes
) -> tuple[int, str, str]:
    """Run with stdin and stderr a pseudo-terminal; type `answer` once `prompt` shows; the
    exit code, the screen and stdout."""
    leader, follower = pty.openpty()
    child = subprocess.Popen(
        [installed_script(), *argv],
        stdin=follower,
        stdout=subprocess.PIPE,
        stderr=follower,
        env=env,
    )
    os.close(follower)
    screen = b""
    deadline = time.monotonic() + 60
    answered = False
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(leader, 4096)
            except OSError:
                break
            if not chunk:
                break
            screen += chunk
        if not answered and prompt in screen:
            os.write(leader, answer)
            answered = True
        if child.poll() is not None and not ready:
            break
    os.close(leader)
    assert child.stdout is not None
    with child.stdout:
        out = child.stdout.read()
    return child.wait(timeout=30), screen.decode(errors="replace"), out.decode()
