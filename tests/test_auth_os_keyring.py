"""Tokens in a real OS keyring (GNOME Keyring's Secret Service on a private D-Bus), and a
keyring that hangs; each through the installed `aitasker`, as a user runs it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import AGENT_ID, TOKEN
from tests.loopback import LoopbackApi
from tests.processes import aitasker, clean_env

ROOT = Path(__file__).resolve().parents[1]
SECRET_SERVICE = "keyring.backends.SecretService.Keyring"


@pytest.fixture
def secret_service(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A private session bus with an unlocked GNOME Keyring on it, in a throwaway HOME."""
    dbus = shutil.which("dbus-daemon")
    daemon = shutil.which("gnome-keyring-daemon")
    if dbus is None or daemon is None:
        pytest.skip("needs dbus-daemon and gnome-keyring-daemon (Debian: dbus, gnome-keyring)")
    home = tmp_path / "home"
    runtime = tmp_path / "runtime"
    home.mkdir()
    runtime.mkdir(mode=0o700)
    env = clean_env(
        HOME=str(home),
        XDG_RUNTIME_DIR=str(runtime),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_CONFIG_HOME=str(home / ".config"),
        PYTHON_KEYRING_BACKEND=SECRET_SERVICE,
    )
    bus = subprocess.Popen(
        [dbus, "--session", "--nofork", "--print-address=1"],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert bus.stdout is not None
    env["DBUS_SESSION_BUS_ADDRESS"] = bus.stdout.readline().strip()
    keyring_daemon = subprocess.Popen(
        [daemon, "--foreground", "--unlock", "--components=secrets"],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert keyring_daemon.stdin is not None
    keyring_daemon.stdin.write("test-password\n")
    keyring_daemon.stdin.close()
    try:
        _wait_until_usable(env)
        yield env
    finally:
        for process in (keyring_daemon, bus):
            process.terminate()
            process.wait(timeout=10)
        bus.stdout.close()


def _wait_until_usable(env: dict[str, str]) -> None:
    probe = (
        "import keyring; keyring.set_password('probe', 'probe', 'x'); "
        "assert keyring.get_password('probe', 'probe') == 'x'; "
        "keyring.delete_password('probe', 'probe')"
    )
    deadline = time.monotonic() + 30
    while True:
        done = subprocess.run(
            [sys.executable, "-c", probe],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        if done.returncode == 0:
            return
        if time.monotonic() > deadline:
            pytest.fail(f"the Secret Service did not come up:\n{done.stderr[-2000:]}")
        time.sleep(0.3)


def test_login_use_status_logout_with_the_secret_service(
    secret_service: dict[str, str], verifying_api: LoopbackApi, tmp_path: Path
) -> None:
    env = {
        **secret_service,
        "AITASKER_API_URL": verifying_api.url,
        "AITASKER_CONFIG_DIR": str(tmp_path / "config"),
    }

    login = aitasker("auth", "login", "--with-token", env=env, stdin=TOKEN)
    shown = aitasker("agents", "show", AGENT_ID, "-o", "id", env=env)
    status = aitasker("auth", "status", "-o", "json", env=env)
    logout = aitasker("auth", "logout", env=env)
    after = aitasker("agents", "show", AGENT_ID, env=env)

    assert login.returncode == 0, login.stderr
    assert "OS keyring (SecretService Keyring)" in login.stderr
    assert shown.stdout == f"{AGENT_ID}\n"
    assert verifying_api.requests[-1][2]["Authorization"] == f"Bearer {TOKEN}"
    assert '"source": "keyring"' in status.stdout and "SecretService" in status.stdout
    assert logout.returncode == 0 and "removed the token" in logout.stderr
    assert after.returncode == 4
    on_disk = [p for p in tmp_path.rglob("*") if p.is_file() and TOKEN.encode() in p.read_bytes()]
    assert on_disk == []


@pytest.fixture
def hanging_env(tmp_path: Path, verifying_api: LoopbackApi) -> dict[str, str]:
    """The installed CLI's environment with a keyring that never answers, and touches
    tmp_path/touched when it is consulted."""
    return clean_env(
        PYTHON_KEYRING_BACKEND="tests.hanging_backend.HangingKeyring",
        PYTHONPATH=str(ROOT),
        HANGING_KEYRING_MARKER=str(tmp_path / "touched"),
        AITASKER_API_URL=verifying_api.url,
        AITASKER_CONFIG_DIR=str(tmp_path / "c"),
    )


def test_a_hanging_keyring_gives_up_within_seconds(
    tmp_path: Path, hanging_env: dict[str, str]
) -> None:
    marker, env = tmp_path / "touched", hanging_env

    started = time.monotonic()
    login = aitasker("auth", "login", "--with-token", env=env, stdin=TOKEN)
    elapsed = time.monotonic() - started

    assert login.returncode == 4
    assert "did not answer within 3 s" in login.stderr and "nothing was stored" in login.stderr
    assert elapsed < 10
    assert marker.exists()
    assert not (tmp_path / "c" / "credentials.json").exists()


def test_a_hanging_keyring_is_never_touched_when_the_env_token_is_set(
    tmp_path: Path, hanging_env: dict[str, str]
) -> None:
    marker, env = tmp_path / "touched", {**hanging_env, "AITASKER_TOKEN": TOKEN}

    shown = aitasker("agents", "show", AGENT_ID, "-o", "id", env=env)
    status = aitasker("auth", "status", "--no-verify", "-o", "json", env=env)

    assert shown.returncode == 0 and status.returncode == 0
    assert not marker.exists()


def test_logout_with_a_hanging_keyring_says_so_and_exits_4(
    tmp_path: Path, hanging_env: dict[str, str]
) -> None:
    started = time.monotonic()
    logout = aitasker("auth", "logout", env=hanging_env)
    elapsed = time.monotonic() - started

    assert logout.returncode == 4
    assert "did not answer within 3 s" in logout.stderr
    assert "nothing to remove" not in logout.stderr
    assert elapsed < 10
    assert (tmp_path / "touched").exists()


def test_doctor_asks_a_hanging_keyring_and_reports_it(
    tmp_path: Path, hanging_env: dict[str, str]
) -> None:
    env = {**hanging_env, "AITASKER_TOKEN": TOKEN}

    doctor = aitasker("doctor", "-o", "json", env=env)

    checks = {check["check"]: check for check in json.loads(doctor.stdout)}
    assert checks["keyring"]["status"] == "warn"
    assert "did not answer within 3 s" in checks["keyring"]["detail"]
    assert (tmp_path / "touched").exists()
