"""Config file profiles and the precedence flag > env > profile > default."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from aitasker_cli import config, paths
from tests.conftest import agent

STAGING = "https://staging.aitasker.co"


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def staging(tmp_path: Path) -> Path:
    return write_config(
        tmp_path,
        f'[profiles.default]\noutput = "json"\n\n[profiles.staging]\napi_url = "{STAGING}"\n',
    )


def test_profile_api_url_and_output_are_used(run: Any, staging: Path, logged_in: str) -> None:
    with respx.mock(base_url=STAGING) as router:
        router.get("/api/v1/workspaces/agents").mock(
            return_value=httpx.Response(200, json=[agent()])
        )
        result = run("agents", "list", "--profile", "staging", "-o", "id")
    assert result.exit_code == 0, result.stderr


def test_profile_output_is_the_default_format(
    run: Any, staging: Path, api: respx.MockRouter, logged_in: str
) -> None:
    api.get("/api/v1/workspaces/agents").mock(return_value=httpx.Response(200, json=[agent()]))

    assert run("agents", "list").json() == [agent()]


def test_precedence_flag_over_env_over_profile(
    run: Any, staging: Path, logged_in: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AITASKER_PROFILE", "staging")
    monkeypatch.setenv("AITASKER_API_URL", "https://env.aitasker.co")
    with respx.mock() as router:
        env_route = router.get("https://env.aitasker.co/api/v1/workspaces/agents").mock(
            return_value=httpx.Response(200, json=[])
        )
        flag_route = router.get("https://flag.aitasker.co/api/v1/workspaces/agents").mock(
            return_value=httpx.Response(200, json=[])
        )
        run("agents", "list")
        run("agents", "list", "--api-url", "https://flag.aitasker.co/")
    assert env_route.call_count == 1 and flag_route.call_count == 1


def test_env_output_beats_profile_output(
    run: Any, staging: Path, api: respx.MockRouter, logged_in: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AITASKER_OUTPUT", "id")
    api.get("/api/v1/workspaces/agents").mock(return_value=httpx.Response(200, json=[agent()]))

    assert run("agents", "list").stdout == f"{agent()['id']}\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[profiles.default\n", "not valid TOML"),
        ("profiles = 3\n", "'profiles' must be a table"),
        ("[profiles]\ndefault = 1\n", "[profiles.default] must be a table"),
        ('[profiles.default]\napi_ur = "x"\n', "unknown key 'api_ur'"),
        ("[profiles.default]\noutput = 5\n", "'output' in [profiles.default]"),
        ('[profiles.default]\noutput = "yaml"\n', "output = 'yaml'"),
        ('[profiles.default]\napi_url = "http://api.aitasker.co"\n', "plain http"),
    ],
)
def test_malformed_config_is_exit_2_naming_the_path(
    run: Any, api: respx.MockRouter, logged_in: str, tmp_path: Path, text: str, expected: str
) -> None:
    path = write_config(tmp_path, text)

    result = run("agents", "list")

    assert result.exit_code == 2
    assert expected in result.stderr
    if "http" not in expected:
        assert str(path) in result.stderr
    assert not api.calls


@pytest.mark.parametrize(
    "url",
    [
        "http://api.aitasker.co",
        "http://10.0.0.5:8080",
        "ftp://api.aitasker.co",
        "api.aitasker.co",
        "https://",
        "http://localhost.evil.example",
    ],
)
def test_refused_api_urls_exit_2_before_sending(run: Any, logged_in: str, url: str) -> None:
    with respx.mock() as router:
        result = run("agents", "list", "--api-url", url)
        assert not router.calls
    assert result.exit_code == 2


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8765", "http://localhost:1", "http://[::1]:8000", "http://127.4.5.6"]
)
def test_plain_http_is_allowed_to_loopback(url: str) -> None:
    assert config.check_api_url(url + "/") == url


def test_config_dir_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("AITASKER_CONFIG_DIR")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))

    assert paths.config_dir() == tmp_path / "aitasker"
