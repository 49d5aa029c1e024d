"""Shared fixtures: isolated env, HOME and config, an in-memory keyring, respx, an in-process
runner; and a check that the test run left the real HOME alone."""

from __future__ import annotations

import io
import json
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import keyring
import pytest
import respx
from keyring.backend import KeyringBackend

from aitasker_cli.api import client
from aitasker_cli.cli.main import main
from aitasker_cli.core import secrets
from tests.homes import Snapshot, changes, home_variables, snapshot
from tests.loopback import LoopbackApi, serve

API = "https://api.aitasker.co"
TOKEN = "aitk_test_s3cr3tT0kenValue0123456789"
OTHER_TOKEN = "aitk_live_an0therS3cretValue987654321"
SECRETS = (TOKEN, OTHER_TOKEN)
CI_STRICT = bool(os.environ.get("AITASKER_CI_STRICT"))  # read before tests clear AITASKER_*

AGENT_ID = "6f1c2b9e-4d7a-4c1e-9b2a-3e5f8a1d2c47"
WORKSPACE_ID = "0b7e6d5c-4a3f-4e21-8c9d-7f6e5d4c3b2a"
TASK_ID = "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a"
USER_ID = "a3d9e1f0-7b2c-4e8d-9f6a-1c2b3d4e5f60"


def workspace(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": WORKSPACE_ID,
        "hired_agent_id": AGENT_ID,
        "user_id": USER_ID,
        "name": "Maya's workspace",
        "status": "active",
        "settings": {"timezone": "Europe/London"},
        "metrics_cache": {"tasks_completed_30d": 42},
        "last_active_at": "2025-06-10T15:02:44Z",
        "created_at": "2025-05-02T09:14:01Z",
        "updated_at": "2025-06-10T15:02:44Z",
    }
    return {**data, **overrides}


def agent(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": AGENT_ID,
        "user_id": USER_ID,
        "agent_type": "social_media_manager",
        "display_name": "Maya – Social Media",
        "status": "active",
        "tier": "pro",
        "stripe_subscription_id": "sub_1PqR2sT3uV4wX5yZ6aB7cD8e",
        "config": {"posting_frequency": "daily"},
        "hired_at": "2025-05-02T09:14:00Z",
        "paused_at": None,
        "cancelled_at": None,
        "created_at": "2025-05-02T09:14:00Z",
        "updated_at": "2025-06-10T16:45:12Z",
        "persona_name": "Maya",
        "workspace": workspace(),
        "team_id": None,
        "team_type": None,
    }
    return {**data, **overrides}


def task(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": TASK_ID,
        "workspace_id": WORKSPACE_ID,
        "hired_agent_id": AGENT_ID,
        "skill_slug": "draft-social-post",
        "title": "Draft LinkedIn post for the June product launch",
        "description": "Announce the new pricing page.",
        "schedule_type": "one_off",
        "trigger": {"type": "manual"},
        "status": "awaiting_approval",
        "priority": "normal",
        "output_data": {"draft": "We just shipped"},
        "proposed_actions": {},
        "approval_level": "required",
        "approved_by": None,
        "approved_at": None,
        "cost_usd": 0.042,
        "started_at": "2025-06-10T14:58:01Z",
        "completed_at": "2025-06-10T14:58:37Z",
        "created_at": "2025-06-10T14:57:59Z",
    }
    return {**data, **overrides}


def uuid_n(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"


class MemoryKeyring(KeyringBackend):
    """A real keyring backend that keeps entries in a dict."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        del self.entries[(service, username)]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Under AITASKER_CI_STRICT (set by .ci/run) a skipped test fails: CI runs everything."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if report.skipped and CI_STRICT and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, where nothing may be skipped: {report.longrepr}"


_REAL_HOME = pytest.StashKey[tuple[Path, Snapshot]]()
_REAL_HOME_CHANGES = pytest.StashKey[list[str]]()


def pytest_sessionstart(session: pytest.Session) -> None:
    """Record aitasker's folders and the shells' completion files in the real HOME."""
    home = Path.home()
    session.config.stash[_REAL_HOME] = (home, snapshot(home, dict(os.environ)))


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Fail the run if any test changed what pytest_sessionstart recorded."""
    if _REAL_HOME not in session.config.stash:
        return
    home, before = session.config.stash[_REAL_HOME]
    found = changes(before, snapshot(home, dict(os.environ)))
    session.config.stash[_REAL_HOME_CHANGES] = found
    if found:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    found = config.stash.get(_REAL_HOME_CHANGES, [])
    if found:
        terminalreporter.section("the tests wrote into the real HOME", sep="=", red=True)
        for line in found:
            terminalreporter.line(line, red=True)
        terminalreporter.line(
            "Every test must use a private HOME (tests/processes.py clean_env gives one to "
            "subprocesses); the run fails until nothing there changes.",
            red=True,
        )


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> Iterator[MemoryKeyring]:
    """No test sees the user's env, config, keyring or real sleeps."""
    for name in list(os.environ):
        # A suite run inside a GitHub workflow must not put every test in GitHub mode.
        unwanted = ("NO_COLOR", "PYTHON_KEYRING_BACKEND", "GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY")
        if name.startswith("AITASKER_") or name in unwanted:
            monkeypatch.delenv(name)
    monkeypatch.setenv("AITASKER_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("AITASKER_SANDBOX_DIR", str(tmp_path / "sandbox"))
    monkeypatch.setenv("AITASKER_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("AITASKER_STATE_DIR", str(tmp_path / "state"))
    for name, value in home_variables(tmp_path / "home").items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("COLUMNS", "200")
    fake = FakeClock()
    monkeypatch.setattr(client, "sleep", fake.sleep)
    monkeypatch.setattr(client, "clock", fake.now)
    registered = set(secrets.REGISTERED)  # the tokens an earlier test registered are not ours
    secrets.REGISTERED.clear()
    previous = keyring.get_keyring()
    memory = MemoryKeyring()
    keyring.set_keyring(memory)
    yield memory
    keyring.set_keyring(previous)
    secrets.REGISTERED.clear()
    secrets.REGISTERED.update(registered)


@pytest.fixture
def keyring_entries(isolated: MemoryKeyring) -> dict[tuple[str, str], str]:
    return isolated.entries


@pytest.fixture
def logged_in(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("AITASKER_TOKEN", TOKEN)
    return TOKEN


def before(api: respx.MockRouter, status: str, *ids: str) -> None:
    """The agents as they are before a change: in one listing page, and one GET each.

    Pause and resume look each agent up first, for the status the journal records.
    """
    path = "/api/v1/workspaces/agents"
    listed = [agent(id=agent_id, status=status) for agent_id in ids]
    api.get(path).mock(return_value=httpx.Response(200, json=listed))
    for item in listed:
        api.get(f"{path}/{item['id']}").mock(return_value=httpx.Response(200, json=item))


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=API, assert_all_called=False) as router:
        yield router


class FakeClock:
    """Time that passes only when the client sleeps, and records each sleep."""

    def __init__(self) -> None:
        self.time = 1000.0
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self.time

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.time += seconds


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    fake = FakeClock()
    monkeypatch.setattr(client, "sleep", fake.sleep)
    monkeypatch.setattr(client, "clock", fake.now)
    return fake.sleeps


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Any:
    """Run `aitasker ARGV` in-process through the real entry point.

    Fails the test if any output shows a token, except for `auth token`, whose job it is.
    """

    def invoke(*argv: str, stdin: str | Any = "") -> Result:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin) if isinstance(stdin, str) else stdin)
        with pytest.raises(SystemExit) as exited:
            main(list(argv))
        out, err = capsys.readouterr()
        code = exited.value.code
        result = Result(code if isinstance(code, int) else 1, out, err)
        if list(argv[:2]) != ["auth", "token"]:
            for secret in SECRETS:
                assert secret not in out + err, f"a token leaked into the output of {argv}"
        return result

    return invoke


@pytest.fixture
def verifying_api() -> Iterator[LoopbackApi]:
    """A loopback API that accepts any token (the check route) and knows AGENT_ID."""
    with serve() as api:
        api.reply("GET", "/api/v1/workspaces", 200, [])
        api.reply("GET", f"/api/v1/workspaces/agents/{AGENT_ID}", 200, agent())
        yield api
