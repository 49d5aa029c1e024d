"""`aitasker doctor`: one line per check, and an exit code that names the first failure."""

from __future__ import annotations

import email.utils
import re
import time
from pathlib import Path
from typing import Any

import httpx
import keyring
import pytest
import respx
from keyring.backends import fail

from aitasker_cli.ops import doctor
from tests.conftest import TOKEN

VERIFY = "/api/v1/workspaces"


def by_check(result: Any) -> dict[str, dict[str, Any]]:
    return {check["check"]: check for check in result.json()}


def test_a_healthy_setup(run: Any, api: respx.MockRouter, logged_in: str) -> None:
    api.get(VERIFY).mock(
        return_value=httpx.Response(
            200, json=[], headers={"Date": email.utils.formatdate(time.time(), usegmt=True)}
        )
    )

    result = run("doctor", "-o", "json")

    assert result.exit_code == 0, result.stderr
    checks = by_check(result)
    assert list(checks) == ["version", "config", "api_url", "token", "keyring", "api", "clock"]
    assert {c["status"] for c in checks.values()} == {"ok"}
    assert "AITASKER_TOKEN" in checks["token"]["detail"]
    assert "MemoryKeyring" in checks["keyring"]["detail"]


def test_one_line_per_check_in_tsv(run: Any, api: respx.MockRouter, logged_in: str) -> None:
    api.get(VERIFY).mock(return_value=httpx.Response(200, json=[]))

    result = run("doctor", "-o", "tsv")

    assert [line.split("\t")[:2] for line in result.stdout.splitlines()][:3] == [
        ["version", "ok"],
        ["config", "ok"],
        ["api_url", "ok"],
    ]
    assert len(result.stdout.splitlines()) == 7


def test_no_token_and_no_keyring(run: Any, api: respx.MockRouter) -> None:
    keyring.set_keyring(fail.Keyring())

    result = run("doctor", "-o", "json")

    assert result.exit_code == 4
    checks = by_check(result)
    assert checks["token"]["status"] == "fail" and "aitasker auth login" in checks["token"]["fix"]
    assert checks["keyring"]["status"] == "fail" and "gnome-keyring" in checks["keyring"]["fix"]
    assert "api" not in checks and not api.calls
    assert "2 check(s) failed: token, keyring" in result.stderr


def test_missing_keyring_is_only_a_warning_with_an_env_token(
    run: Any, api: respx.MockRouter, logged_in: str
) -> None:
    keyring.set_keyring(fail.Keyring())
    api.get(VERIFY).mock(return_value=httpx.Response(200, json=[]))

    result = run("doctor", "-o", "json")

    assert result.exit_code == 0
    assert by_check(result)["keyring"]["status"] == "warn"


@pytest.mark.parametrize(
    ("failure", "code", "text"),
    [
        (httpx.ConnectError("refused"), 7, "cannot reach"),
        (httpx.Response(401, json={"detail": "Invalid token"}), 4, "Invalid token"),
    ],
)
def test_unreachable_api_or_refused_token(
    run: Any, api: respx.MockRouter, logged_in: str, failure: Any, code: int, text: str
) -> None:
    api.get(VERIFY).mock(side_effect=[failure])

    result = run("doctor", "-o", "json", "--retries", "0")

    assert result.exit_code == code
    assert text in by_check(result)["api"]["detail"]


def test_clock_skew(run: Any, api: respx.MockRouter, logged_in: str) -> None:
    an_hour_ahead = email.utils.formatdate(time.time() + 3600, usegmt=True)
    api.get(VERIFY).mock(return_value=httpx.Response(200, json=[], headers={"Date": an_hour_ahead}))

    result = run("doctor", "-o", "json")

    clock = by_check(result)["clock"]
    assert clock["status"] == "fail" and re.search(r"-3[56]\d\d s off", clock["detail"])
    assert "NTP" in clock["fix"]
    assert result.exit_code == 1


def test_malformed_config(run: Any, api: respx.MockRouter, logged_in: str, tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.toml").write_text("[profiles.default\n")
    api.get(VERIFY).mock(return_value=httpx.Response(200, json=[]))

    result = run("doctor", "-o", "json")

    assert result.exit_code == 2
    assert by_check(result)["config"]["status"] == "fail"


def test_doctor_on_the_sandbox(run: Any) -> None:
    result = run("--sandbox", "doctor", "-o", "json")

    assert result.exit_code == 0, result.stderr
    assert by_check(result)["api_url"]["detail"].startswith("the embedded sandbox")


@pytest.mark.parametrize("date", ["Sat, 28 Nov 2026 23:00:00 -0000", "not a date", ""])
def test_odd_date_headers_never_crash(
    run: Any, api: respx.MockRouter, logged_in: str, date: str
) -> None:
    api.get(VERIFY).mock(return_value=httpx.Response(200, json=[], headers={"Date": date}))

    result = run("doctor", "-o", "json")

    assert result.exit_code in (0, 1)
    assert "Traceback" not in result.stderr
    assert by_check(result)["clock"]["status"] in ("ok", "warn", "fail")


def test_an_unknown_profile_is_a_failed_config_check(
    run: Any, api: respx.MockRouter, logged_in: str, tmp_path: Path
) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.toml").write_text(
        '[profiles.staging]\napi_url = "https://staging.aitasker.co"\n'
    )

    result = run("doctor", "-o", "json", "--profile", "stagin")

    assert result.exit_code == 2
    config = by_check(result)["config"]
    assert config["status"] == "fail" and "no profile 'stagin'" in config["detail"]
    assert "default, staging" in config["fix"]
    assert not api.calls


@pytest.mark.parametrize(
    "content", [b"[profiles.default]\n# caf\xe9\n", b"x = " + b"[" * 1000 + b"]" * 1000]
)
def test_an_unreadable_config_is_a_failed_config_check(
    run: Any, api: respx.MockRouter, logged_in: str, tmp_path: Path, content: bytes
) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.toml").write_bytes(content)

    result = run("doctor", "-o", "json")

    assert result.exit_code == 2, result.stderr
    assert by_check(result)["config"]["status"] == "fail"
    assert "bug" not in result.stderr


def test_a_plain_http_api_url_fails_the_api_url_check_not_the_config_check(
    run: Any, api: respx.MockRouter, logged_in: str
) -> None:
    result = run("doctor", "-o", "json", "--api-url", "http://example.com")

    assert result.exit_code == 2, result.stderr
    checks = by_check(result)
    assert list(checks) == ["version", "config", "api_url"]
    assert checks["config"]["status"] == "ok"
    url = checks["api_url"]
    assert url["status"] == "fail" and url["exit_code"] == 2
    assert "plain http to example.com" in url["detail"] and "--api-url" in url["detail"]
    assert "https://" in url["fix"]
    assert "1 check(s) failed: api_url" in result.stderr
    assert not api.calls


def test_an_api_url_from_the_profile_is_named_where_it_was_written(
    run: Any, api: respx.MockRouter, logged_in: str, tmp_path: Path
) -> None:
    config = tmp_path / "config" / "config.toml"
    config.parent.mkdir()
    config.write_text('[profiles.staging]\napi_url = "https://alice:hunter2pw@staging.test"\n')

    result = run("doctor", "-o", "json", "--profile", "staging")

    assert result.exit_code == 2, result.stderr
    checks = by_check(result)
    assert checks["config"]["status"] == "ok" and "profile 'staging'" in checks["config"]["detail"]
    assert checks["api_url"]["status"] == "fail"
    assert "user name or password" in checks["api_url"]["detail"]
    assert f"[profiles.staging] of {config}" in checks["api_url"]["detail"]
    assert "hunter2pw" not in result.stdout + result.stderr


def test_an_unusable_api_url_with_a_profile_config_does_not_define_is_only_a_config_warning(
    run: Any, api: respx.MockRouter, logged_in: str
) -> None:
    result = run("doctor", "-o", "json", "--profile", "work", "--api-url", "https://exa mple.com")

    assert result.exit_code == 2, result.stderr
    checks = by_check(result)
    assert checks["config"]["status"] == "warn" and "'work' is not in" in checks["config"]["detail"]
    assert checks["api_url"]["status"] == "fail" and "space" in checks["api_url"]["detail"]


def test_a_broken_config_fails_the_config_check_even_with_a_refused_api_url(
    run: Any, api: respx.MockRouter, logged_in: str, tmp_path: Path
) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.toml").write_text("[profiles.default\n")

    result = run("doctor", "-o", "json", "--api-url", "http://example.com")

    assert result.exit_code == 2
    checks = by_check(result)
    assert list(checks) == ["version", "config"]
    assert checks["config"]["status"] == "fail" and "not valid TOML" in checks["config"]["detail"]


def test_plain_http_to_this_machine_is_a_warning(run: Any, logged_in: str) -> None:
    with respx.mock(base_url="http://127.0.0.1:9") as local:
        local.get(VERIFY).mock(return_value=httpx.Response(200, json=[]))
        result = run("doctor", "-o", "json", "--api-url", "http://127.0.0.1:9")

    assert result.exit_code == 0, result.stderr
    url = by_check(result)["api_url"]
    assert url["status"] == "warn" and "plain http, allowed for this machine" in url["detail"]


def test_a_checks_status_reaches_the_renderer_as_plain_text() -> None:
    # str() and format() of a str-mixin enum give "Status.fail", not "fail".
    shown = doctor.Check("api", doctor.Status.fail, "down").as_dict()

    assert type(shown["status"]) is str and shown["status"] == "fail"


def test_the_sandbox_api_check_claims_no_accepted_token(run: Any) -> None:
    checks = by_check(run("--sandbox", "doctor", "-o", "json"))

    assert checks["token"]["detail"] == "none needed for the sandbox"
    assert re.fullmatch(r"the sandbox answered in \d+ ms", checks["api"]["detail"])
    assert "accepted" not in checks["api"]["detail"]


def test_the_keyring_fix_offers_aitasker_token_only_when_it_is_not_set(
    run: Any, api: respx.MockRouter, monkeypatch: pytest.MonkeyPatch
) -> None:
    keyring.set_keyring(fail.Keyring())
    api.get(VERIFY).mock(return_value=httpx.Response(200, json=[]))

    without = by_check(run("doctor", "-o", "json"))["keyring"]
    monkeypatch.setenv("AITASKER_TOKEN", TOKEN)
    with_env = by_check(run("doctor", "-o", "json"))["keyring"]

    assert "or set AITASKER_TOKEN" in without["fix"]
    assert "AITASKER_TOKEN" not in with_env["fix"]
    assert "gnome-keyring" in with_env["fix"] and "--insecure-storage" in with_env["fix"]
