"""Config file profiles and the precedence flag > env > profile > default."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import keyring
import pytest
import respx
from hypothesis import given, settings
from hypothesis import strategies as st
from keyring.backends import fail

from aitasker_cli.core import paths
from aitasker_cli.core.errors import UsageError
from aitasker_cli.domain.formats import FORMAT_NAMES
from aitasker_cli.local import config, keyring_store
from tests.conftest import AGENT_ID, TOKEN, MemoryKeyring, agent

AGENT_PATH = f"/api/v1/workspaces/agents/{AGENT_ID}"

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


@pytest.mark.parametrize("name", FORMAT_NAMES)
def test_every_output_format_may_be_a_profile_default(
    run: Any, tmp_path: Path, api: respx.MockRouter, logged_in: str, name: str
) -> None:
    write_config(tmp_path, f'[profiles.default]\noutput = "{name}"\n')
    api.get("/api/v1/workspaces/agents").mock(return_value=httpx.Response(200, json=[agent()]))

    result = run("agents", "list")

    assert result.exit_code == 0, result.stderr
    assert agent()["id"][: 8 if name == "table" else 36] in result.stdout  # tables: short IDs
    if name == "markdown":
        assert result.stdout.startswith("|")


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


# --- API URLs: no credentials in them, nothing the HTTP client cannot send to ----------------

USER, PASSWORD = "alice", "hunter2pw"


@pytest.mark.parametrize(
    "url",
    [
        f"http://{USER}:{PASSWORD}@127.0.0.1:8765",
        f"https://{USER}:{PASSWORD}@api.aitasker.co/",
        f"https://{USER}@api.aitasker.co",
        f"{USER}:{PASSWORD}@api.aitasker.co",
        f"http://{USER}:{PASSWORD}@[::1",
        f"ftp://{USER}:{PASSWORD}@api.aitasker.co",
    ],
)
@pytest.mark.parametrize("given_by", ["flag", "env", "profile"])
def test_credentials_in_the_api_url_are_refused_and_never_echoed(
    run: Any,
    logged_in: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    url: str,
    given_by: str,
) -> None:
    argv = ["agents", "list"]
    if given_by == "flag":
        argv += ["--api-url", url]
    elif given_by == "env":
        monkeypatch.setenv("AITASKER_API_URL", url)
    else:
        write_config(tmp_path, f'[profiles.default]\napi_url = "{url}"\n')

    with respx.mock() as router:
        result = run(*argv)
        assert not router.calls
    assert result.exit_code == 2
    assert "user name or password" in result.stderr
    assert USER not in result.stderr and PASSWORD not in result.stderr


@pytest.mark.parametrize(
    "url",
    [
        "http://[::1",
        "http://127.0.0.1:abc",
        "http://127.0.0.1:99999",
        "http://127.0.0.1:0",
        "http://[zzz]:80",
        "https://ａｐｉ.aitasker.co",
        "https://api.\u0430itasker.co",  # a Cyrillic a
        "https://api .aitasker.co",
        "https://api\x01.aitasker.co",
        "https://api.aitasker.co\n/v1",
        "https://api.aitasker.co\u202e",
        "https://999.1.1.1",
        "https://api..aitasker.co",
        "https://-api.aitasker.co",
        "https://api.aitasker.co\\.evil.example",
        "https://" + "a" * 64 + ".example",
        "https://xn--bcher-kvaxn--bcher-kva",  # an xn-- name that is no valid Unicode name
        "https://xn--bcher-kva.my_host.example",  # decoded whole, '_' is not allowed
        "https://XN--bcher-kva.ab--cd.example",
    ],
)
def test_unusable_api_urls_exit_2_with_one_line(run: Any, logged_in: str, url: str) -> None:
    with respx.mock() as router:
        result = run("agents", "list", "--api-url", url)
        assert not router.calls

    assert result.exit_code == 2, result.stderr
    lines = result.stderr.splitlines()
    assert lines[0].startswith("Error: ") and "bug" not in result.stderr
    assert len(lines) <= 2 and all(line.startswith(("Error: ", "Hint: ")) for line in lines)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://xn--bcher-kva.example", "https://xn--bcher-kva.example"),
        ("https://API.XN--BCHER-KVA.example", "https://API.XN--BCHER-KVA.example"),
        ("https://xn--bcher-kva.example.", "https://xn--bcher-kva.example."),
        # Only a host that starts with xn-- is decoded by the HTTP client; this one (a real
        # name whose parent is an emoji domain, invalid in IDNA 2008) it sends to as it is.
        ("https://www.xn--ls8h.la", "https://www.xn--ls8h.la"),
    ],
)
def test_an_internationalised_name_in_its_xn_form_is_kept(url: str, expected: str) -> None:
    assert config.check_api_url(url) == expected


@pytest.mark.parametrize("host", ["ａｐｉ.aitasker.co", "api.\u0430itasker.co", "bücher.example"])
def test_a_host_that_is_not_ascii_is_refused_saying_why(
    run: Any, logged_in: str, host: str
) -> None:
    result = run("auth", "status", "--api-url", f"https://{host}")

    assert result.exit_code == 2
    assert "non-ASCII" in result.stderr and "xn--" in result.stderr


@pytest.mark.parametrize(
    "url",
    ["http://[::1]http://", "http://127.0.0.1[::1]", "http://[::1]..", "http://.\u00a1[::1]",
     "https://[::1]]"],
)  # fmt: skip
def test_text_around_a_bracketed_ipv6_host_is_refused(url: str) -> None:
    with pytest.raises(UsageError, match="must be the whole host"):
        config.check_api_url(url)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://xn--bcher-kva.example/", "https://xn--bcher-kva.example"),
        ("https://api.aitasker.co:8443/prefix/", "https://api.aitasker.co:8443/prefix"),
        ("  https://API.aitasker.co  ", "https://API.aitasker.co"),
        ("https://api.aitasker.co.", "https://api.aitasker.co."),
        ("https://internal_host.example", "https://internal_host.example"),
        ("https://10.1.2.3", "https://10.1.2.3"),
        ("https://[2001:db8::1]:443", "https://[2001:db8::1]:443"),
        ("http://127.0.0.1:65535", "http://127.0.0.1:65535"),
    ],
)
def test_usable_api_urls_are_kept(url: str, expected: str) -> None:
    assert config.check_api_url(url) == expected


URL_PIECES = st.sampled_from(
    ["http://", "https://", "//", "127.0.0.1", "localhost", "api.aitasker.co", "[::1]", "[",
     "]", ":", ":80", ":99999", "@", "user:pw@", "/", "/v1", "?q=1", "#x", ".", "..", "-",
     "%41", " ", "\t", "\n", "\x00", "é", "ａ", "\u202e", "\\", "xn--bcher-kva"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(pieces=st.lists(URL_PIECES | st.text(max_size=4), max_size=8))
def test_every_accepted_url_is_one_the_http_client_can_send_to(pieces: list[str]) -> None:
    url = "".join(pieces)
    try:
        accepted = config.check_api_url(url)
    except UsageError as exc:
        assert "\n" not in exc.message and "user:pw" not in exc.message
        return
    parsed = httpx.URL(accepted)  # raises InvalidURL for what it cannot send
    assert parsed.scheme in ("http", "https") and parsed.host
    assert not parsed.userinfo
    if parsed.scheme == "http":
        assert config.is_loopback(parsed.host)


# --- config.toml that cannot be read -------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b'[profiles.default]\noutput = "json\xff"\n', "not UTF-8"),
        (b"\xfe\xff\x00[", "not UTF-8"),
        (b"x = " + b"[" * 1000 + b"]" * 1000 + b"\n", "too deeply"),
        (b"x = " + b"{a=" * 1000 + b"1" + b"}" * 1000 + b"\n", "too deeply"),
    ],
)
def test_config_that_is_not_utf8_or_nests_too_deeply_is_exit_2(
    run: Any, api: respx.MockRouter, logged_in: str, tmp_path: Path, content: bytes, expected: str
) -> None:
    path = write_config(tmp_path, "")
    path.write_bytes(content)

    result = run("agents", "list")

    assert result.exit_code == 2, result.stderr
    assert expected in result.stderr and str(path) in result.stderr
    assert "bug" not in result.stderr
    assert not api.calls


def test_config_with_a_byte_order_mark_is_read(
    run: Any, api: respx.MockRouter, logged_in: str, tmp_path: Path
) -> None:
    write_config(tmp_path, "").write_bytes(b'\xef\xbb\xbf[profiles.default]\noutput = "id"\n')
    api.get("/api/v1/workspaces/agents").mock(return_value=httpx.Response(200, json=[agent()]))

    assert run("agents", "list").stdout == f"{agent()['id']}\n"


def test_a_config_file_that_cannot_be_read_is_exit_10_naming_it(
    run: Any, api: respx.MockRouter, logged_in: str, tmp_path: Path
) -> None:
    path = tmp_path / "config" / "config.toml"
    path.mkdir(parents=True)  # a folder where the file should be: EISDIR on reading

    result = run("agents", "list")

    assert result.exit_code == 10
    assert str(path) in result.stderr and "bug" not in result.stderr
    assert not api.calls


# --- profiles must exist -------------------------------------------------------------------


def test_a_mistyped_profile_is_exit_2_naming_the_known_ones(
    run: Any, staging: Path, api: respx.MockRouter, logged_in: str
) -> None:
    result = run("agents", "list", "--profile", "stagin")

    assert result.exit_code == 2
    assert "no profile 'stagin'" in result.stderr
    assert "Known profiles: default, staging." in result.stderr
    assert not api.calls


def test_a_mistyped_profile_from_the_env_is_exit_2(
    run: Any, staging: Path, api: respx.MockRouter, logged_in: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AITASKER_PROFILE", "prod")

    result = run("auth", "status")

    assert result.exit_code == 2 and "no profile 'prod'" in result.stderr
    assert not api.calls


def test_a_profile_from_config_never_asks_the_keyring(
    run: Any, staging: Path, logged_in: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(_operation: Any) -> Any:
        raise AssertionError("the keyring was asked although config.toml defines the profile")

    monkeypatch.setattr(keyring_store, "ask", explode)
    with respx.mock(base_url=STAGING) as router:
        router.get("/api/v1/workspaces").mock(return_value=httpx.Response(200, json=[]))
        result = run("auth", "status", "--profile", "staging", "-o", "json")

    assert result.exit_code == 0, result.stderr
    assert result.json()["api_url"] == STAGING


def test_a_profile_with_a_keyring_token_exists(
    run: Any, api: respx.MockRouter, keyring_entries: dict[tuple[str, str], str]
) -> None:
    keyring_entries[("aitasker:api.aitasker.co", "work")] = TOKEN
    api.get(AGENT_PATH).mock(return_value=httpx.Response(200, json=agent()))

    result = run("agents", "show", AGENT_ID, "--profile", "work", "-o", "id")

    assert result.exit_code == 0, result.stderr
    assert api.calls[0].request.headers["authorization"] == f"Bearer {TOKEN}"


def test_a_keyring_token_for_another_host_does_not_make_the_profile(
    run: Any, api: respx.MockRouter, keyring_entries: dict[tuple[str, str], str]
) -> None:
    keyring_entries[("aitasker:staging.aitasker.co", "work")] = TOKEN

    result = run("agents", "list", "--profile", "work")

    assert result.exit_code == 2 and "no profile 'work'" in result.stderr
    assert not api.calls


def test_login_creates_a_profile_that_later_commands_accept(
    run: Any, api: respx.MockRouter, keyring_entries: dict[tuple[str, str], str]
) -> None:
    api.get(AGENT_PATH).mock(return_value=httpx.Response(200, json=agent()))

    before = run("agents", "list", "--profile", "work")
    login = run("auth", "login", "--profile", "work", "--with-token", "--no-verify", stdin=TOKEN)
    after = run("agents", "show", AGENT_ID, "--profile", "work", "-o", "id")

    assert before.exit_code == 2
    assert login.exit_code == 0, login.stderr
    assert after.exit_code == 0, after.stderr


def test_a_profile_with_a_file_token_exists(
    run: Any, api: respx.MockRouter, tmp_path: Path
) -> None:
    keyring.set_keyring(fail.Keyring())
    api.get(AGENT_PATH).mock(return_value=httpx.Response(200, json=agent()))
    login = [
        "auth",
        "login",
        "--profile",
        "ci",
        "--with-token",
        "--no-verify",
        "--insecure-storage",
    ]
    run(*login, stdin=TOKEN)

    result = run("agents", "show", AGENT_ID, "--profile", "ci", "-o", "id")
    other = run("agents", "show", AGENT_ID, "--profile", "cj", "-o", "id")

    assert result.exit_code == 0, result.stderr
    assert other.exit_code == 2 and "Known profiles: default, ci." in other.stderr


def test_an_unknown_profile_with_a_hanging_keyring_says_so_within_seconds(
    run: Any, api: respx.MockRouter, logged_in: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(keyring_store, "KEYRING_TIMEOUT_SECONDS", 0.2)
    release = threading.Event()

    class Hanging(MemoryKeyring):
        def get_password(self, service: str, username: str) -> str | None:
            release.wait(30)
            return None

    keyring.set_keyring(Hanging())
    try:
        started = time.monotonic()
        result = run("agents", "list", "--profile", "work")
        elapsed = time.monotonic() - started
    finally:
        release.set()

    assert result.exit_code == 4
    assert "cannot tell whether profile 'work' exists" in result.stderr
    assert "did not answer" in result.stderr
    assert elapsed < 5
    assert not api.calls


def test_the_sandbox_refuses_an_unknown_profile_too(run: Any, staging: Path) -> None:
    known = run("--sandbox", "agents", "list", "--profile", "staging", "-o", "id")
    mistyped = run("--sandbox", "agents", "list", "--profile", "stagin", "-o", "id")

    assert known.exit_code == 0, known.stderr
    assert mistyped.exit_code == 2 and "no profile 'stagin'" in mistyped.stderr


def test_the_sandbox_accepts_a_profile_with_a_stored_token(
    run: Any, keyring_entries: dict[tuple[str, str], str]
) -> None:
    keyring_entries[("aitasker:api.aitasker.co", "work")] = TOKEN

    result = run("--sandbox", "agents", "list", "--profile", "work", "-o", "id")

    assert result.exit_code == 0, result.stderr


@pytest.mark.parametrize("kind", ["fifo", "/dev/zero", "too large"])
def test_a_config_that_is_not_a_small_file_is_exit_2_at_once(
    run: Any, api: respx.MockRouter, logged_in: str, tmp_path: Path, kind: str
) -> None:
    path = tmp_path / "config" / "config.toml"
    path.parent.mkdir(parents=True)
    if kind == "fifo":
        os.mkfifo(path)  # opening it for reading would wait for a writer
    elif kind == "too large":
        path.write_bytes(b"# " + b"x" * config.CONFIG_SIZE_LIMIT + b"\n")
    else:
        path.symlink_to(kind)  # endless zeros

    result = run("agents", "list")

    assert result.exit_code == 2, result.stderr
    assert str(path) in result.stderr and "bug" not in result.stderr
    assert ("larger than 1 MiB" if kind == "too large" else "not a regular file") in result.stderr
    assert not api.calls
    assert config.profile_names() == []


def test_a_config_of_exactly_the_limit_is_read(tmp_path: Path) -> None:
    path = write_config(tmp_path, "")
    head = b"[profiles.big]\n"
    path.write_bytes(head + b"#" * (config.CONFIG_SIZE_LIMIT - len(head) - 1) + b"\n")

    assert config.profile_names() == ["big"]
