"""`aitasker auth ...`: login, logout, status and token, with the keyring and the 0600 file."""

from __future__ import annotations

import base64
import json
import re
import stat
import time
from pathlib import Path
from typing import Any

import httpx
import keyring
import pytest
import respx
from keyring.backends import fail

from aitasker_cli.core import patterns
from aitasker_cli.local import tokens
from tests.conftest import OTHER_TOKEN, TOKEN

VERIFY_PATH = "/api/v1/workspaces"
SERVICE = "aitasker:api.aitasker.co"


def jwt(claims: dict[str, Any]) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'HS256'})}.{part(claims)}.c2lnbmF0dXJl"


@pytest.fixture
def no_keyring() -> None:
    keyring.set_keyring(fail.Keyring())


def credentials_file(tmp_path: Path) -> Path:
    return tmp_path / "config" / "credentials.json"


def test_login_with_token_verifies_and_stores_in_keyring(
    run: Any, api: respx.MockRouter, keyring_entries: dict[tuple[str, str], str]
) -> None:
    verify = api.get(VERIFY_PATH).mock(return_value=httpx.Response(200, json=[]))

    result = run("auth", "login", "--with-token", stdin=TOKEN + "\n")

    assert result.exit_code == 0, result.stderr
    assert keyring_entries == {(SERVICE, "default"): TOKEN}
    assert verify.calls[0].request.headers["authorization"] == f"Bearer {TOKEN}"
    assert verify.calls[0].request.url.params["limit"] == "1"
    assert "token stored in the OS keyring (conftest MemoryKeyring)" in result.stderr
    assert result.stdout == ""


def test_login_rejected_token_stores_nothing(
    run: Any, api: respx.MockRouter, keyring_entries: dict[tuple[str, str], str]
) -> None:
    api.get(VERIFY_PATH).mock(return_value=httpx.Response(401, json={"detail": "Invalid token"}))

    result = run("auth", "login", "--with-token", stdin=TOKEN)

    assert result.exit_code == 4
    assert "Invalid token" in result.stderr
    assert keyring_entries == {}


def test_login_no_verify_sends_nothing(
    run: Any, api: respx.MockRouter, keyring_entries: dict[tuple[str, str], str]
) -> None:
    result = run("auth", "login", "--with-token", "--no-verify", stdin=TOKEN)

    assert result.exit_code == 0
    assert not api.calls
    assert keyring_entries[(SERVICE, "default")] == TOKEN


def test_login_keys_by_profile_and_host(
    run: Any, keyring_entries: dict[tuple[str, str], str]
) -> None:
    run("auth", "login", "--with-token", "--no-verify", stdin=TOKEN)
    run(
        "auth",
        "login",
        "--with-token",
        "--no-verify",
        "--profile",
        "staging",
        "--api-url",
        "https://staging.aitasker.co",
        stdin=OTHER_TOKEN,
    )

    assert keyring_entries == {
        (SERVICE, "default"): TOKEN,
        ("aitasker:staging.aitasker.co", "staging"): OTHER_TOKEN,
    }


def test_staging_token_is_never_sent_to_production(
    run: Any, api: respx.MockRouter, keyring_entries: dict[tuple[str, str], str]
) -> None:
    keyring_entries[("aitasker:staging.aitasker.co", "default")] = OTHER_TOKEN

    result = run("agents", "list")

    assert result.exit_code == 4
    assert not api.calls


def test_login_fails_closed_without_a_keyring(
    run: Any, api: respx.MockRouter, no_keyring: None, tmp_path: Path
) -> None:
    result = run("auth", "login", "--with-token", stdin=TOKEN)

    assert result.exit_code == 4
    assert "no OS keyring backend is available; nothing was stored" in result.stderr
    assert "--insecure-storage" in result.stderr
    assert not api.calls  # failed before even verifying
    assert not credentials_file(tmp_path).exists()


def test_insecure_storage_writes_a_0600_file_and_names_it(
    run: Any, api: respx.MockRouter, no_keyring: None, tmp_path: Path
) -> None:
    api.get(VERIFY_PATH).mock(return_value=httpx.Response(200, json=[]))

    login = run("auth", "login", "--with-token", "--insecure-storage", stdin=TOKEN)
    path = credentials_file(tmp_path)
    status = run("auth", "status", "-o", "json")

    assert login.exit_code == 0, login.stderr
    assert str(path) in login.stderr and "Warning" in login.stderr
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text())["tokens"] == {"default": {"api.aitasker.co": TOKEN}}
    assert status.json()["source"] == "file" and status.json()["location"] == str(path)


def test_keyring_login_removes_an_older_file_token(
    run: Any, keyring_entries: dict[tuple[str, str], str], tmp_path: Path
) -> None:
    run("auth", "login", "--with-token", "--no-verify", "--insecure-storage", stdin=OTHER_TOKEN)
    run("auth", "login", "--with-token", "--no-verify", stdin=TOKEN)

    assert not credentials_file(tmp_path).exists()
    assert keyring_entries == {(SERVICE, "default"): TOKEN}


@pytest.mark.parametrize("stdin", ["", "   \n", "two words", "tab\there", "bell\x07"])
def test_login_refuses_empty_or_malformed_tokens(
    run: Any, keyring_entries: dict[tuple[str, str], str], stdin: str
) -> None:
    result = run("auth", "login", "--with-token", "--no-verify", stdin=stdin)

    assert result.exit_code == 2
    assert keyring_entries == {}


def test_login_without_terminal_fails_fast(run: Any) -> None:
    result = run("auth", "login")

    assert result.exit_code == 2
    assert "--with-token" in result.stderr


def test_login_with_token_from_a_terminal_fails_fast(run: Any) -> None:
    class Terminal:
        def isatty(self) -> bool:
            return True

        def read(self) -> str:
            raise AssertionError("must not wait for input on a terminal")

    result = run("auth", "login", "--with-token", stdin=Terminal())

    assert result.exit_code == 2
    assert "stdin is a terminal" in result.stderr


def test_login_prompts_with_hidden_input_on_a_terminal(
    run: Any, monkeypatch: pytest.MonkeyPatch, keyring_entries: dict[tuple[str, str], str]
) -> None:
    class Terminal:
        def isatty(self) -> bool:
            return True

    prompts: list[str] = []

    def getpass(prompt: str, stream: Any = None) -> str:
        prompts.append(prompt)
        return TOKEN

    monkeypatch.setattr("getpass.getpass", getpass)

    result = run("auth", "login", "--no-verify", stdin=Terminal())

    assert result.exit_code == 0
    assert prompts == ["Paste your AITasker API token: "]
    assert keyring_entries[(SERVICE, "default")] == TOKEN


def test_login_warns_when_env_token_shadows(
    run: Any, logged_in: str, keyring_entries: dict[tuple[str, str], str]
) -> None:
    result = run("auth", "login", "--with-token", "--no-verify", stdin=OTHER_TOKEN)

    assert "AITASKER_TOKEN is set" in result.stderr


def test_logout_removes_and_is_idempotent(
    run: Any, keyring_entries: dict[tuple[str, str], str]
) -> None:
    keyring_entries[(SERVICE, "default")] = TOKEN

    first = run("auth", "logout")
    second = run("auth", "logout")

    assert (
        first.exit_code == 0
        and "removed the token from keyring (conftest MemoryKeyring)" in first.stderr
    )
    assert keyring_entries == {}
    assert second.exit_code == 0 and "nothing to remove" in second.stderr


def test_logout_removes_file_token(run: Any, tmp_path: Path) -> None:
    run("auth", "login", "--with-token", "--no-verify", "--insecure-storage", stdin=TOKEN)

    result = run("auth", "logout")

    assert result.exit_code == 0
    assert not credentials_file(tmp_path).exists()


def test_token_prints_the_resolved_token(
    run: Any, keyring_entries: dict[tuple[str, str], str]
) -> None:
    keyring_entries[(SERVICE, "default")] = TOKEN

    result = run("auth", "token")

    assert result.exit_code == 0
    assert result.stdout == f"{TOKEN}\n"


def test_env_token_wins_over_keyring(
    run: Any, logged_in: str, keyring_entries: dict[tuple[str, str], str]
) -> None:
    keyring_entries[(SERVICE, "default")] = OTHER_TOKEN

    assert run("auth", "token").stdout == f"{TOKEN}\n"


def test_keyring_wins_over_file(
    run: Any, keyring_entries: dict[tuple[str, str], str], tmp_path: Path
) -> None:
    run("auth", "login", "--with-token", "--no-verify", "--insecure-storage", stdin=OTHER_TOKEN)
    keyring_entries[(SERVICE, "default")] = TOKEN

    assert run("auth", "token").stdout == f"{TOKEN}\n"


def test_no_token_anywhere_exits_4_with_hint(run: Any, api: respx.MockRouter) -> None:
    for argv in (["auth", "token"], ["auth", "status"], ["agents", "list"]):
        result = run(*argv)
        assert result.exit_code == 4
        assert "aitasker auth login" in result.stderr and "AITASKER_TOKEN" in result.stderr
    assert not api.calls


def test_status_reports_source_kind_and_verification(
    run: Any, api: respx.MockRouter, logged_in: str
) -> None:
    api.get(VERIFY_PATH).mock(return_value=httpx.Response(200, json=[]))

    result = run("auth", "status", "-o", "json")

    assert result.exit_code == 0
    assert result.json() == {
        "profile": "default",
        "api_url": "https://api.aitasker.co",
        "source": "env",
        "location": "AITASKER_TOKEN",
        "kind": "api_key_test",
        "expires_at": None,
        "verified": True,
    }


def test_status_table_names_keyring_backend(
    run: Any, api: respx.MockRouter, keyring_entries: dict[tuple[str, str], str]
) -> None:
    keyring_entries[(SERVICE, "default")] = TOKEN

    result = run("auth", "status", "--no-verify", "-o", "table")

    assert re.search(r"^SOURCE +keyring *$", result.stdout, re.MULTILINE), result.stdout
    assert "MemoryKeyring" in result.stdout
    assert not api.calls


def test_status_shows_jwt_expiry(
    run: Any, api: respx.MockRouter, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = jwt({"sub": "user", "exp": int(time.time()) + 7200})
    monkeypatch.setenv("AITASKER_TOKEN", token)
    monkeypatch.setattr("tests.conftest.SECRETS", (TOKEN, OTHER_TOKEN, token))

    result = run("auth", "status", "--no-verify", "-o", "json")
    table = run("auth", "status", "--no-verify", "-o", "table")

    assert result.json()["kind"] == "jwt"
    assert result.json()["expires_at"].endswith("Z")
    assert "in 2 h" in table.stdout


def test_status_with_refused_token_exits_4_after_reporting(
    run: Any, api: respx.MockRouter, logged_in: str
) -> None:
    api.get(VERIFY_PATH).mock(return_value=httpx.Response(401, json={"detail": "expired"}))

    result = run("auth", "status", "-o", "json")

    assert result.exit_code == 4
    assert result.json()["verified"] is False
    assert "expired" in result.stderr


def test_status_with_unreachable_api_exits_7(
    run: Any, api: respx.MockRouter, logged_in: str
) -> None:
    api.get(VERIFY_PATH).mock(side_effect=httpx.ConnectError("refused"))

    result = run("auth", "status", "-o", "json", "--retries", "0")

    assert result.exit_code == 7
    assert result.json()["verified"] is None


def test_describe_token_kinds() -> None:
    assert tokens.describe_token("aitk_live_x").kind == "api_key_live"
    assert tokens.describe_token("aitk_test_x").kind == "api_key_test"
    assert tokens.describe_token(jwt({"exp": 0})).expires_at is not None
    assert tokens.describe_token(jwt({"exp": "soon"})).expires_at is None
    assert tokens.describe_token("not.a.jwt").kind == "unknown"
    assert tokens.describe_token("opaque").kind == "unknown"


@pytest.mark.parametrize(
    ("token", "kind"),
    [
        ("aitk_live_AbC-9_x", "api_key_live"),
        ("aitk_test_0", "api_key_test"),
        (jwt({"sub": "user"}), "jwt"),
        ("aitk_live_", "unknown"),  # nothing after the prefix: no key
        ("aitk_prod_abc", "unknown"),
        ("my_aitk_live_abc", "unknown"),
        ("abc." + jwt({"sub": "user"}).split(".", 1)[1], "unknown"),  # header not shaped like JSON
    ],
)
def test_a_token_is_called_a_key_or_jwt_only_when_the_redaction_would_hide_it_as_one(
    token: str, kind: str
) -> None:
    described = tokens.describe_token(token)

    assert described.kind == kind
    if kind != "unknown":
        assert re.match(patterns.TOKEN_SHAPE, token)


@pytest.mark.parametrize("status", [404, 405, 422])
def test_login_when_the_api_cannot_verify_stores_nothing(
    run: Any, api: respx.MockRouter, keyring_entries: dict[tuple[str, str], str], status: int
) -> None:
    api.get(VERIFY_PATH).mock(return_value=httpx.Response(status, json={"detail": "Not Found"}))

    result = run("auth", "login", "--with-token", stdin=TOKEN)

    assert result.exit_code == 7
    assert "could not verify the token" in result.stderr and "--no-verify" in result.stderr
    assert keyring_entries == {}


# --- the credentials file must be private -------------------------------------------------


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660, 0o666, 0o602])
def test_a_credentials_file_others_can_access_is_refused(
    run: Any, api: respx.MockRouter, no_keyring: None, tmp_path: Path, mode: int
) -> None:
    run("auth", "login", "--with-token", "--no-verify", "--insecure-storage", stdin=TOKEN)
    path = credentials_file(tmp_path)
    path.chmod(mode)

    token = run("auth", "token")
    status = run("auth", "status", "--no-verify")
    listed = run("agents", "list")

    for result in (token, status, listed):
        assert result.exit_code == 4
        assert f"chmod 600 {path}" in result.stderr
        assert f"{mode:04o}" in result.stderr
    assert token.stdout == ""
    assert not api.calls


def test_a_private_credentials_file_is_used_again_after_chmod_600(
    run: Any, no_keyring: None, tmp_path: Path
) -> None:
    run("auth", "login", "--with-token", "--no-verify", "--insecure-storage", stdin=TOKEN)
    path = credentials_file(tmp_path)
    path.chmod(0o644)
    refused = run("auth", "token")
    path.chmod(0o600)

    assert refused.exit_code == 4
    assert run("auth", "token").stdout == f"{TOKEN}\n"


def test_login_and_logout_still_work_on_a_too_open_file_and_leave_it_0600(
    run: Any, no_keyring: None, tmp_path: Path
) -> None:
    run("auth", "login", "--with-token", "--no-verify", "--insecure-storage", stdin=TOKEN)
    run(
        "auth",
        "login",
        *("--with-token", "--no-verify", "--insecure-storage", "--profile", "ci"),
        stdin=OTHER_TOKEN,
    )
    path = credentials_file(tmp_path)
    path.chmod(0o644)

    logout = run("auth", "logout", "--profile", "ci")

    assert logout.exit_code == 0, logout.stderr
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert run("auth", "token").stdout == f"{TOKEN}\n"


def test_doctor_fails_a_too_open_credentials_file(
    run: Any, api: respx.MockRouter, no_keyring: None, tmp_path: Path, logged_in: str
) -> None:
    api.get(VERIFY_PATH).mock(return_value=httpx.Response(200, json=[]))
    run("auth", "login", "--with-token", "--no-verify", "--insecure-storage", stdin=OTHER_TOKEN)
    path = credentials_file(tmp_path)
    healthy = run("doctor", "-o", "json")
    path.chmod(0o640)

    result = run("doctor", "-o", "json")

    assert {c["check"]: c for c in healthy.json()}["credentials"]["status"] == "ok"
    credentials = {c["check"]: c for c in result.json()}["credentials"]
    assert credentials["status"] == "fail" and credentials["fix"].startswith(f"chmod 600 {path}")
    assert result.exit_code == 4


# --- a folder that refuses the credentials file --------------------------------------------


def test_insecure_login_into_an_unwritable_folder_is_exit_10_naming_the_file(
    run: Any, no_keyring: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the config folder should be\n")
    monkeypatch.setenv("AITASKER_CONFIG_DIR", str(blocker / "aitasker"))

    result = run("auth", "login", "--with-token", "--no-verify", "--insecure-storage", stdin=TOKEN)

    assert result.exit_code == 10, result.stderr
    assert f"cannot write the credentials file {blocker / 'aitasker' / 'credentials.json'}" in (
        result.stderr
    )
    assert "bug" not in result.stderr and len(result.stderr.splitlines()) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["not-a-folder"]


# --- JWT expiry ---------------------------------------------------------------------------


def raw_jwt(payload: str) -> str:
    """A JWT whose claims are exactly `payload` (which may hold NaN, not valid JSON)."""
    encoded = base64.urlsafe_b64encode(payload.encode()).rstrip(b"=").decode()
    return f"eyJhbGciOiJIUzI1NiJ9.{encoded}.c2lnbmF0dXJl"


@pytest.mark.parametrize(
    "exp", ["1e300", "-1e300", "NaN", "Infinity", '"soon"', "253402300800", "true", "null", "[]"]
)
def test_an_invalid_jwt_expiry_is_shown_as_invalid(
    run: Any, api: respx.MockRouter, monkeypatch: pytest.MonkeyPatch, exp: str
) -> None:
    token = raw_jwt(f'{{"sub": "user", "exp": {exp}}}')
    monkeypatch.setenv("AITASKER_TOKEN", token)
    monkeypatch.setattr("tests.conftest.SECRETS", (TOKEN, OTHER_TOKEN, token))
    api.get(VERIFY_PATH).mock(return_value=httpx.Response(200, json=[]))

    unverified = run("auth", "status", "--no-verify", "-o", "json")
    verified = run("auth", "status", "-o", "json")
    table = run("auth", "status", "-o", "table")
    doctor = run("doctor", "-o", "json")

    for result in (unverified, verified, table, doctor):
        assert result.exit_code == 0, result.stderr
        assert "bug" not in result.stderr
    assert unverified.json()["expires_at"] == "invalid"
    assert verified.json()["expires_at"] == "invalid"
    assert verified.json()["verified"] is True and verified.json()["kind"] == "jwt"
    assert "invalid" in table.stdout and "not a valid time" in table.stderr
    token_check = {c["check"]: c for c in doctor.json()}["token"]
    assert token_check["status"] == "warn" and "invalid expiry" in token_check["detail"]


def test_the_last_second_of_year_9999_is_a_valid_expiry() -> None:
    kind = tokens.describe_token(raw_jwt('{"exp": 253402300799}'))

    assert kind.expires_at is not None and kind.expires_at.year == 9999
    assert not kind.invalid_expiry


def test_a_jwt_without_exp_has_no_expiry_and_is_not_invalid() -> None:
    kind = tokens.describe_token(raw_jwt('{"sub": "user"}'))

    assert kind.kind == "jwt" and kind.expires_at is None and not kind.invalid_expiry


def test_status_no_verify_marks_an_expired_jwt_as_expired(
    run: Any, api: respx.MockRouter, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = jwt({"sub": "user", "exp": int(time.time()) - 7200})
    monkeypatch.setenv("AITASKER_TOKEN", token)
    monkeypatch.setattr("tests.conftest.SECRETS", (TOKEN, OTHER_TOKEN, token))

    result = run("auth", "status", "--no-verify", "-o", "json")

    assert result.exit_code == 4
    assert result.json()["expires_at"].endswith("Z")
    assert "the token expired at" in result.stderr and "auth login" in result.stderr
    assert not api.calls


class WatchedTerminal:
    """A terminal stdin that records whether anything read from it."""

    def __init__(self, *, tty: bool) -> None:
        self.tty = tty
        self.read_from = False

    def isatty(self) -> bool:
        return self.tty

    def read(self, *_: Any) -> str:
        self.read_from = True
        return TOKEN


@pytest.mark.parametrize("with_token", [False, True])
def test_login_checks_the_keyring_before_asking_for_the_token(
    run: Any,
    api: respx.MockRouter,
    no_keyring: None,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    with_token: bool,
) -> None:
    prompts: list[str] = []
    monkeypatch.setattr("getpass.getpass", lambda prompt, stream=None: prompts.append(prompt))
    stdin = WatchedTerminal(tty=not with_token)

    result = run("auth", "login", *(["--with-token"] if with_token else []), stdin=stdin)

    assert result.exit_code == 4
    assert "nothing was stored" in result.stderr and "--insecure-storage" in result.stderr
    assert prompts == [] and not stdin.read_from  # nobody pasted a token for nothing
    assert not api.calls and not credentials_file(tmp_path).exists()


def test_insecure_storage_needs_no_keyring_before_the_prompt(
    run: Any, no_keyring: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    prompts: list[str] = []

    def getpass(prompt: str, stream: Any = None) -> str:
        prompts.append(prompt)
        return TOKEN

    monkeypatch.setattr("getpass.getpass", getpass)

    result = run(
        "auth", "login", "--insecure-storage", "--no-verify", stdin=WatchedTerminal(tty=True)
    )

    assert result.exit_code == 0, result.stderr
    assert len(prompts) == 1 and credentials_file(tmp_path).exists()


def test_the_prompt_and_the_help_say_where_a_token_comes_from(
    run: Any, monkeypatch: pytest.MonkeyPatch, keyring_entries: dict[tuple[str, str], str]
) -> None:
    monkeypatch.setattr("getpass.getpass", lambda prompt, stream=None: TOKEN)
    url = "https://docs.aitasker.co/authentication/api-keys"

    prompted = run("auth", "login", "--no-verify", stdin=WatchedTerminal(tty=True))
    helped = run("auth", "login", "--help")

    assert prompted.exit_code == 0
    assert url in prompted.stderr
    assert url in helped.stdout


@pytest.mark.parametrize("argv", [("--sandbox", "auth", "login"), ("auth", "login", "--sandbox")])
def test_the_sandbox_needs_no_login(
    run: Any,
    api: respx.MockRouter,
    keyring_entries: dict[tuple[str, str], str],
    tmp_path: Path,
    argv: tuple[str, ...],
) -> None:
    stdin = WatchedTerminal(tty=False)

    result = run(*argv, "--with-token", stdin=stdin)

    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and "sandbox needs no login" in result.stderr
    assert not stdin.read_from and not keyring_entries and not api.calls
    assert not credentials_file(tmp_path).exists()


def test_status_no_verify_marks_an_expired_jwt_as_doctor_does(
    run: Any, api: respx.MockRouter, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = jwt({"sub": "user", "exp": int(time.time()) - 7200})
    monkeypatch.setenv("AITASKER_TOKEN", token)
    monkeypatch.setattr("tests.conftest.SECRETS", (TOKEN, OTHER_TOKEN, token))
    route = api.get(VERIFY_PATH).mock(return_value=httpx.Response(401, json={}))

    status = run("auth", "status", "--no-verify", "-o", "json")
    table = run("auth", "status", "--no-verify", "-o", "table")
    assert not route.calls  # --no-verify: the expiry is read from the token itself
    checks = {c["check"]: c for c in run("doctor", "-o", "json").json()}

    assert status.exit_code == table.exit_code == checks["token"]["exit_code"] == 4
    assert status.json()["expires_at"].endswith("Z") and "2 h ago" in table.stdout
    assert "expired at" in status.stderr and "expired at" in checks["token"]["detail"]
    assert "auth login" in status.stderr and "auth login" in checks["token"]["fix"]
