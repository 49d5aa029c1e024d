"""Token storage when the keyring misbehaves: it raises, hangs, or stores nowhere."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import httpx
import keyring
import pytest
import respx
from keyring.backend import KeyringBackend
from keyring.backends import null
from keyring.errors import KeyringLocked

from aitasker_cli.local import auth, keyring_store
from tests.conftest import TOKEN, agent


class RaisingKeyring(KeyringBackend):
    priority = 1

    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringLocked("the collection is locked")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringLocked("the collection is locked")

    def delete_password(self, service: str, username: str) -> None:
        raise KeyringLocked("the collection is locked")


class HangingKeyring(KeyringBackend):
    """Blocks like a Secret Service waiting for an unlock prompt nobody will answer."""

    priority = 1
    release = threading.Event()

    def get_password(self, service: str, username: str) -> str | None:
        self.release.wait(30)
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        self.release.wait(30)

    def delete_password(self, service: str, username: str) -> None:
        self.release.wait(30)


@pytest.fixture
def hanging_keyring(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setattr(keyring_store, "KEYRING_TIMEOUT_SECONDS", 0.2)
    HangingKeyring.release.clear()
    keyring.set_keyring(HangingKeyring())
    yield
    HangingKeyring.release.set()


def test_raising_keyring_falls_through_with_explanation(run: Any, api: respx.MockRouter) -> None:
    keyring.set_keyring(RaisingKeyring())

    result = run("agents", "list")

    assert result.exit_code == 4
    assert "KeyringLocked" in result.stderr and "the collection is locked" in result.stderr
    assert "Traceback" not in result.stderr
    assert not api.calls


def test_raising_keyring_login_fails_closed(run: Any, tmp_path: Path) -> None:
    keyring.set_keyring(RaisingKeyring())

    result = run("auth", "login", "--with-token", "--no-verify", stdin=TOKEN)

    assert result.exit_code == 4
    assert "nothing was stored" in result.stderr
    assert not (tmp_path / "config" / "credentials.json").exists()


def test_raising_keyring_still_allows_file_token(run: Any, api: respx.MockRouter) -> None:
    keyring.set_keyring(RaisingKeyring())
    api.get("/api/v1/workspaces/agents").mock(return_value=httpx.Response(200, json=[agent()]))

    login = run("auth", "login", "--with-token", "--no-verify", "--insecure-storage", stdin=TOKEN)
    listed = run("agents", "list", "-o", "id")

    assert login.exit_code == 0, login.stderr
    assert listed.exit_code == 0
    assert api.calls[0].request.headers["authorization"] == f"Bearer {TOKEN}"


def test_null_keyring_counts_as_no_keyring(run: Any) -> None:
    keyring.set_keyring(null.Keyring())

    result = run("auth", "login", "--with-token", "--no-verify", stdin=TOKEN)

    assert result.exit_code == 4
    assert "no OS keyring backend" in result.stderr


def test_hanging_keyring_gives_up_quickly_on_login(run: Any, hanging_keyring: None) -> None:
    started = time.monotonic()
    result = run("auth", "login", "--with-token", "--no-verify", stdin=TOKEN)

    assert result.exit_code == 4
    assert "did not answer within 0.2 s" in result.stderr
    assert time.monotonic() - started < 5


def test_hanging_keyring_falls_through_to_the_file(run: Any, hanging_keyring: None) -> None:
    run("auth", "login", "--with-token", "--no-verify", "--insecure-storage", stdin=TOKEN)

    result = run("auth", "status", "--no-verify", "-o", "json")

    assert result.exit_code == 0, result.stderr
    assert result.json()["source"] == "file"


def test_env_token_never_touches_the_keyring(
    run: Any, logged_in: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(_operation: Any) -> Any:
        raise AssertionError("the keyring was consulted although AITASKER_TOKEN is set")

    monkeypatch.setattr(keyring_store, "ask", explode)

    assert run("auth", "token").stdout == f"{TOKEN}\n"


@pytest.mark.parametrize(
    "content", ["{not json", '{"tokens": []}', '{"tokens": {"default": 5}}', "[]"]
)
def test_malformed_credentials_file_is_a_clear_error(
    run: Any, tmp_path: Path, content: str
) -> None:
    path = tmp_path / "config" / "credentials.json"
    path.parent.mkdir(parents=True)
    path.write_text(content)

    result = run("auth", "token")

    assert result.exit_code == 4
    assert str(path) in result.stderr


def test_token_repr_hides_the_value() -> None:
    token = auth.Token(TOKEN, auth.TokenSource.env, "AITASKER_TOKEN")

    assert TOKEN not in repr(token)


def test_logout_with_a_hanging_keyring_says_it_did_not_answer(
    run: Any, hanging_keyring: None
) -> None:
    started = time.monotonic()
    result = run("auth", "logout")

    assert result.exit_code == 4
    assert "did not answer within 0.2 s" in result.stderr
    assert "may still be stored there" in result.stderr
    assert "nothing to remove" not in result.stderr
    assert time.monotonic() - started < 5


def test_logout_with_a_raising_keyring_is_exit_4(run: Any) -> None:
    keyring.set_keyring(RaisingKeyring())

    result = run("auth", "logout")

    assert result.exit_code == 4
    assert "the collection is locked" in result.stderr and "may still be stored" in result.stderr


def test_logout_with_a_hanging_keyring_still_removes_the_file_token(
    run: Any, hanging_keyring: None, tmp_path: Path
) -> None:
    run("auth", "login", "--with-token", "--no-verify", "--insecure-storage", stdin=TOKEN)

    result = run("auth", "logout")

    assert result.exit_code == 4
    assert f"removed the token from {tmp_path / 'config' / 'credentials.json'}" in result.stderr
    assert "did not answer" in result.stderr
    assert not (tmp_path / "config" / "credentials.json").exists()


def test_logout_without_any_keyring_and_no_file_has_nothing_to_remove(run: Any) -> None:
    keyring.set_keyring(null.Keyring())

    result = run("auth", "logout")

    assert result.exit_code == 0
    assert "nothing to remove" in result.stderr


def test_doctor_asks_the_keyring_for_real(run: Any, logged_in: str, hanging_keyring: None) -> None:
    result = run("doctor", "-o", "json", "--sandbox")

    keyring_check = {c["check"]: c for c in result.json()}["keyring"]
    assert keyring_check["status"] == "warn"
    assert "did not answer within 0.2 s" in keyring_check["detail"]


def test_doctor_reports_a_keyring_that_raises(run: Any, logged_in: str) -> None:
    keyring.set_keyring(RaisingKeyring())

    result = run("doctor", "-o", "json", "--sandbox")

    keyring_check = {c["check"]: c for c in result.json()}["keyring"]
    assert keyring_check["status"] == "warn" and "collection is locked" in keyring_check["detail"]


def test_doctor_fails_the_keyring_check_when_the_token_needs_it(
    run: Any, hanging_keyring: None
) -> None:
    result = run("doctor", "-o", "json")

    checks = {c["check"]: c for c in result.json()}
    assert result.exit_code == 4
    assert checks["keyring"]["status"] == "fail" and "did not answer" in checks["keyring"]["detail"]


def test_doctor_asks_a_hanging_keyring_about_an_unknown_profile_only_once(
    run: Any, logged_in: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(keyring_store, "KEYRING_TIMEOUT_SECONDS", 0.2)
    asked: list[str] = []

    class CountingHang(HangingKeyring):
        def get_password(self, service: str, username: str) -> str | None:
            asked.append(username)
            return super().get_password(service, username)

    HangingKeyring.release.clear()
    keyring.set_keyring(CountingHang())
    try:
        result = run("doctor", "-o", "json", "--profile", "work")
    finally:
        HangingKeyring.release.set()

    assert result.exit_code == 4
    config = {c["check"]: c for c in result.json()}["config"]
    assert config["status"] == "fail" and "cannot tell whether profile 'work'" in config["detail"]
    assert asked == ["work"]
