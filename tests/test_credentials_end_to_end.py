"""Where credentials may and may not come from, through the installed `aitasker`: no password
in an API URL, no credentials file others can read, no mistyped profile, no half-written file."""

from __future__ import annotations

import json
import resource
import signal
import stat
from pathlib import Path

import pytest

from tests.conftest import AGENT_ID, TOKEN
from tests.loopback import LoopbackApi
from tests.processes import aitasker, clean_env

USER, PASSWORD = "alice", "hunter2pw"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return clean_env(HOME=str(tmp_path / "home"), AITASKER_CONFIG_DIR=str(tmp_path / "config"))


def with_credentials(url: str) -> str:
    return url.replace("http://", f"http://{USER}:{PASSWORD}@")


def test_a_password_in_the_api_url_is_refused_before_anything_is_sent(
    verifying_api: LoopbackApi, env: dict[str, str]
) -> None:
    url = with_credentials(verifying_api.url)

    by_flag = aitasker(
        "agents", "show", AGENT_ID, "--api-url", url, env={**env, "AITASKER_TOKEN": TOKEN}
    )
    by_env = aitasker(
        "auth", "status", env={**env, "AITASKER_TOKEN": TOKEN, "AITASKER_API_URL": url}
    )
    login = aitasker("auth", "login", "--with-token", "--insecure-storage", "--api-url", url,
                     env=env, stdin=TOKEN)  # fmt: skip

    for completed in (by_flag, by_env, login):
        assert completed.returncode == 2, completed.stderr
        assert "user name or password" in completed.stderr
        assert USER not in completed.stderr and PASSWORD not in completed.stderr
        assert completed.stdout == ""
    assert verifying_api.requests == []
    assert not (Path(env["AITASKER_CONFIG_DIR"]) / "credentials.json").exists()


def test_a_credentials_file_others_can_read_is_refused(
    verifying_api: LoopbackApi, env: dict[str, str]
) -> None:
    env = {**env, "AITASKER_API_URL": verifying_api.url}
    login = aitasker("auth", "login", "--with-token", "--insecure-storage", env=env, stdin=TOKEN)
    path = Path(env["AITASKER_CONFIG_DIR"]) / "credentials.json"
    assert login.returncode == 0, login.stderr
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    requests_after_login = len(verifying_api.requests)
    path.chmod(0o644)

    shown = aitasker("agents", "show", AGENT_ID, env=env)
    doctor = aitasker("doctor", "-o", "json", env=env)

    assert shown.returncode == 4
    assert f"chmod 600 {path}" in shown.stderr and "0644" in shown.stderr
    assert len(verifying_api.requests) == requests_after_login  # the token was not sent
    assert doctor.returncode == 4
    checks = {check["check"]: check for check in json.loads(doctor.stdout)}
    assert checks["credentials"]["status"] == "fail"
    assert checks["credentials"]["fix"].startswith(f"chmod 600 {path}")

    path.chmod(0o600)
    again = aitasker("agents", "show", AGENT_ID, "-o", "id", env=env)
    assert again.returncode == 0 and again.stdout == f"{AGENT_ID}\n"


def test_a_mistyped_profile_sends_nothing(
    verifying_api: LoopbackApi, env: dict[str, str], tmp_path: Path
) -> None:
    config = tmp_path / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'[profiles.staging]\napi_url = "{verifying_api.url}"\n')
    env = {**env, "AITASKER_TOKEN": TOKEN}

    mistyped = aitasker("agents", "show", AGENT_ID, "--profile", "stagin", env=env)
    known = aitasker("agents", "show", AGENT_ID, "--profile", "staging", "-o", "id", env=env)

    assert mistyped.returncode == 2
    assert "no profile 'stagin'" in mistyped.stderr and "default, staging" in mistyped.stderr
    assert known.returncode == 0, known.stderr
    assert len(verifying_api.requests) == 1


def test_doctor_fails_a_refused_api_url_as_the_url_and_a_broken_config_as_the_config(
    verifying_api: LoopbackApi, env: dict[str, str], tmp_path: Path
) -> None:
    env = {**env, "AITASKER_TOKEN": TOKEN}
    by_flag = aitasker("doctor", "-o", "json", "--api-url", "http://example.com", env=env)
    with_password = aitasker(
        "doctor", "-o", "json", env={**env, "AITASKER_API_URL": with_credentials(verifying_api.url)}
    )
    config = tmp_path / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("[profiles.default\n")
    broken = aitasker("doctor", "-o", "json", "--api-url", "http://example.com", env=env)

    for refused in (by_flag, with_password):
        assert refused.returncode == 2, refused.stderr
        checks = {check["check"]: check for check in json.loads(refused.stdout)}
        assert checks["config"]["status"] == "ok"
        assert checks["api_url"]["status"] == "fail" and checks["api_url"]["exit_code"] == 2
        assert "1 check(s) failed: api_url" in refused.stderr
    assert "refusing to send a token over plain http to example.com" in by_flag.stdout
    assert "user name or password" in with_password.stdout
    assert PASSWORD not in with_password.stdout + with_password.stderr
    assert broken.returncode == 2, broken.stderr
    checks = {check["check"]: check for check in json.loads(broken.stdout)}
    assert checks["config"]["status"] == "fail" and str(config) in checks["config"]["detail"]
    assert "api_url" not in checks
    assert verifying_api.requests == []


def _no_bigger_files_than_zero_bytes() -> None:
    """In the child: any write to a regular file fails with EFBIG, as on a full disk."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))


def test_a_credentials_file_that_cannot_be_written_is_exit_10_and_leaves_nothing(
    env: dict[str, str], tmp_path: Path
) -> None:
    folder = tmp_path / "config"
    folder.mkdir()

    completed = aitasker(
        "auth",
        "login",
        "--with-token",
        "--no-verify",
        "--insecure-storage",
        env=env,
        stdin=TOKEN,
        preexec_fn=_no_bigger_files_than_zero_bytes,
    )

    assert completed.returncode == 10, completed.stderr
    assert f"cannot write the credentials file {folder / 'credentials.json'}" in completed.stderr
    assert "bug" not in completed.stderr and TOKEN not in completed.stderr
    assert list(folder.iterdir()) == []  # neither the file nor a *.tmp
