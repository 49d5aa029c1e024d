"""`auth login` as a person at a terminal meets it: the installed script on a pseudo-terminal."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import time

from tests.conftest import TOKEN
from tests.processes import aitasker, clean_env, installed_script

API_KEYS_URL = "https://docs.aitasker.co/authentication/api-keys"


def _on_a_terminal(
    *argv: str, env: dict[str, str], answer_after: str | None = None, answer: str = ""
) -> tuple[int, str]:
    """Run aitasker with stdin, stdout and stderr on one terminal; type `answer` once the screen
    shows `answer_after`. Returns the exit code and what the screen showed."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [installed_script(), *argv],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env=env,
        start_new_session=True,
    )
    os.close(follower)
    screen = b""
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(leader, 4096)
                except OSError:  # the child closed the terminal
                    break
                if not chunk:
                    break
                screen += chunk
                if answer_after is not None and answer_after.encode() in screen:
                    os.write(leader, answer.encode() + b"\r")
                    answer_after = None
            elif process.poll() is not None:
                break
        code = process.wait(timeout=10)
    finally:
        os.close(leader)
        if process.poll() is None:
            process.kill()
    return code, screen.decode("utf-8", errors="replace")


def test_without_a_keyring_login_fails_before_asking_for_the_token() -> None:
    # clean_env() selects keyring's fail backend: no keyring works here.
    code, screen = _on_a_terminal("auth", "login", env=clean_env())

    assert code == 4, screen
    assert "nothing was stored" in screen and "--insecure-storage" in screen
    assert "Paste your" not in screen  # it never asked for a token it could not keep


def test_the_prompt_says_where_a_token_comes_from() -> None:
    env = clean_env()

    code, screen = _on_a_terminal(
        "auth",
        "login",
        "--insecure-storage",
        "--no-verify",
        env=env,
        answer_after="API token: ",
        answer=TOKEN,
    )

    assert code == 0, screen
    assert screen.index(API_KEYS_URL) < screen.index("Paste your AITasker API token: ")
    assert TOKEN not in screen  # the prompt does not echo


def test_the_sandbox_needs_no_login() -> None:
    env = clean_env()

    completed = aitasker("--sandbox", "auth", "login", env=env)
    status = aitasker("auth", "status", "--no-verify", env=env)

    assert completed.returncode == 0
    assert completed.stdout == ""
    assert completed.stderr.count("\n") == 1 and "sandbox needs no login" in completed.stderr
    assert status.returncode == 4  # nothing was stored
