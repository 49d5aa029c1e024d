"""Shell completion: committed scripts stay current, and TAB completes commands and cached IDs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aitasker_cli.local import cache
from tests.conftest import TOKEN, agent
from tests.loopback import serve
from tests.processes import aitasker, clean_env, installed_script
from tests.test_completion_shells import SHELL_METACHARACTERS

ROOT = Path(__file__).resolve().parents[2]
AGENT = "1888df20-5bd0-4521-be84-762b3b9be05d"
OTHER = "1888df20-5bd0-4521-be84-762b3b9be05e"


def test_unknown_shell_is_a_usage_error(run: Any) -> None:
    assert run("completion", "tcsh").exit_code == 2


@pytest.fixture
def shell_env(tmp_path: Path) -> dict[str, str]:
    """An environment where `aitasker` is on PATH and the completion cache knows one agent."""
    env = clean_env(
        AITASKER_CACHE_DIR=str(tmp_path / "cache"), AITASKER_SANDBOX_DIR=str(tmp_path / "sandbox")
    )
    env["PATH"] = f"{Path(installed_script()).parent}{os.pathsep}{env.get('PATH', '')}"
    listed = subprocess.run(
        [installed_script(), "--sandbox", "agents", "list", "-o", "id"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert AGENT in listed.stdout
    return env


def _shell(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed (the Debian package '{name}' provides it)")
    return found


def test_bash_tab_completes_commands_and_cached_ids(shell_env: dict[str, str]) -> None:
    bash = _shell("bash")
    script = ROOT / "completions" / "aitasker.bash"

    def tab(*words: str) -> list[str]:
        line = " ".join(["aitasker", *words])
        program = (
            f"source '{script}'; COMP_WORDS=({line}); COMP_CWORD={len(words)}; "
            "_aitasker_completion aitasker; printf '%s\\n' \"${COMPREPLY[@]}\""
        )
        done = subprocess.run(
            [bash, "-c", program],
            env=shell_env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return done.stdout.split()

    assert tab("ag") == ["agents"]
    assert {"pause", "resume"} <= set(tab("agents", ""))
    assert tab("agents", "pause", "1888") == [AGENT]


def test_fish_tab_completes_with_agent_names(shell_env: dict[str, str]) -> None:
    fish = _shell("fish")
    script = ROOT / "completions" / "aitasker.fish"

    done = subprocess.run(
        [fish, "--no-config", "-c", f"source '{script}'; complete -C 'aitasker agents show 1888'"],
        env=shell_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    assert done.stdout.strip() == f"{AGENT}\tMaya – Sales"


def test_zsh_protocol_completes_with_agent_names(shell_env: dict[str, str]) -> None:
    _shell("zsh")
    env = {
        **shell_env,
        "_AITASKER_COMPLETE": "complete_zsh",
        "_TYPER_COMPLETE_ARGS": "aitasker agents pause 1888",  # Maya is active
    }

    done = subprocess.run(
        [installed_script()], env=env, capture_output=True, text=True, timeout=60, check=True
    )

    assert AGENT in done.stdout and "Maya" in done.stdout


def test_zsh_script_loads(shell_env: dict[str, str]) -> None:
    zsh = _shell("zsh")
    script = ROOT / "completions" / "aitasker.zsh"

    done = subprocess.run(
        [
            zsh,
            "-f",
            "-c",
            f"autoload -Uz compinit && compinit -u; source '{script}'; "
            "print -r -- ${_comps[aitasker]}",
        ],
        env=shell_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.stdout.strip() == "_aitasker_completion", done.stderr


def test_listing_fills_the_cache_and_completion_reads_it_offline(
    run: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cache.candidates("agents", "") == []

    run("--sandbox", "agents", "list", "-o", "id")
    run("--sandbox", "workspaces", "list", "-o", "id")

    assert (AGENT, "Maya – Sales") in cache.candidates("agents", "18")
    assert cache.candidates("agents", "ffff") == []
    assert cache.candidates("workspaces", "")


def test_a_broken_cache_means_no_candidates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AITASKER_CACHE_DIR", str(tmp_path))
    (tmp_path / "completion.tsv").write_bytes(b"\xff\xfe broken\tline")

    assert cache.candidates("agents", "") == []


HOSTILE = {
    "Sales bot \\$(id>/tmp/x)": "Sales bot ＼＄（id＞/tmp/x）",
    "a;b|c&d`e`'f'\"g\"": "a；b｜c＆d｀e｀＇f＇＂g＂",
    "{x} <y> *?!#~ [z] ^%=:@": "｛x｝ ＜y＞ ＊？！＃～ ［z］ ＾％＝：＠",
    "line\none\ttab\r\v\f  spaces\u00a0nbsp": "line one tab spaces nbsp",
    "\x1b]0;title\x07 \x9b31m \u202egnp \u200bzw \ud800": "�］0；title� �31m �gnp �zw �",
    "Maya – Sales": "Maya – Sales",
    "Маша, 東京 café ½ €5 (ok)": "Маша, 東京 café ½ €5 （ok）",
    "“quoted” «guillemets»": "�quoted� �guillemets�",
}


@pytest.mark.parametrize(("raw", "cleaned"), HOSTILE.items())
def test_names_keep_letters_and_lose_what_shells_and_terminals_act_on(
    raw: str, cleaned: str
) -> None:
    assert cache.safe_name(raw) == cleaned


def test_long_names_are_cut_to_one_listing_line() -> None:
    name = cache.safe_name("word " * 40)

    assert len(name) == cache.NAME_LENGTH and name.endswith("…")


@given(st.text())
def test_any_name_comes_out_harmless_and_stays_so(raw: str) -> None:
    name = cache.safe_name(raw)

    assert not set(name) & set(SHELL_METACHARACTERS)
    assert all(unicodedata.category(c)[0] not in "CZ" or c == " " for c in name)
    assert name == name.strip() and "  " not in name
    assert len(name) <= cache.NAME_LENGTH
    assert cache.safe_name(name) == name


def test_names_and_ids_are_cleaned_when_cached(tmp_path: Path) -> None:
    items = [
        {"id": AGENT, "display_name": "Sales bot \\$(id)\x1b]0;x\x07"},
        {"id": "1888df20-$(id)", "display_name": "not an ID"},
        {"id": OTHER.upper(), "display_name": "upper case"},
        {"id": 7, "display_name": "not a string"},
        ["not", "a", "mapping"],
    ]

    passed = list(cache.remembering("agents", items))

    assert passed == items
    written = cache.cache_path().read_text(encoding="utf-8")
    assert written == (
        f"agents\t{AGENT}\tSales bot ＼＄（id）�］0；x�\t\nagents\t{OTHER}\tupper case\t\n"
    )


def test_names_and_ids_are_cleaned_when_read_back() -> None:
    cache.cache_path().parent.mkdir(parents=True)
    cache.cache_path().write_bytes(
        f"agents\t{AGENT}\tSales bot \\$(id)\x1b]0;x\x07\x9b\n"
        f"agents\t1888df20-$(id>/tmp/x)\tbad ID\n"
        f"agents\t{AGENT[:-1]}\tshort ID\n"
        f"agents\t{AGENT} ; id\tID with more\n".encode()
        + b"agents\t"
        + AGENT.encode()
        + b"\tnot UTF-8 \xff\n"
    )

    assert cache.candidates("agents", "1888") == [
        (AGENT, "Sales bot ＼＄（id）�］0；x��"),
        (AGENT, "not UTF-8 �"),
    ]


def test_a_lone_surrogate_in_a_name_is_cached_as_a_stand_in() -> None:
    list(cache.remembering("agents", [{"id": AGENT, "display_name": "bad \ud800 name"}]))

    assert cache.candidates("agents", "") == [(AGENT, "bad � name")]


@pytest.mark.parametrize("obstacle", ["file above", "folder in place"])
def test_a_cache_that_cannot_be_written_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, obstacle: str
) -> None:
    if obstacle == "file above":
        (tmp_path / "file").write_text("")
        monkeypatch.setenv("AITASKER_CACHE_DIR", str(tmp_path / "file" / "cache"))
    else:
        monkeypatch.setenv("AITASKER_CACHE_DIR", str(tmp_path / "cache"))
        cache.cache_path().mkdir(parents=True)  # os.replace cannot put a file there

    items = [{"id": AGENT, "display_name": "Maya"}]

    assert list(cache.remembering("agents", items)) == items
    assert cache.candidates("agents", "") == []
    assert list(tmp_path.rglob("*.tmp")) == []


def test_listing_names_with_a_lone_surrogate_exits_0(tmp_path: Path) -> None:
    with serve() as api:
        api.routes[("GET", "/api/v1/workspaces/agents")] = lambda query: (
            200,
            [agent(id=AGENT, display_name="bad \ud800 name")][int(query["offset"][0]) :],
        )
        env = clean_env(AITASKER_API_URL=api.url, AITASKER_TOKEN=TOKEN)
        listed = aitasker("agents", "list", "-o", "json", env=env)

    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout)[0]["display_name"] == "bad \ud800 name"
    cached = Path(env["AITASKER_CACHE_DIR"], "completion.tsv").read_text(encoding="utf-8")
    assert cached == f"agents\t{AGENT}\tbad � name\tactive\n"


def test_listings_add_up_and_keep_each_items_status(tmp_path: Path) -> None:
    """Listing only the cancelled agents must not make TAB forget the active ones."""
    list(cache.remembering("agents", [{"id": AGENT, "display_name": "A", "status": "active"}]))
    list(cache.remembering("agents", [{"id": OTHER, "display_name": "B", "status": "cancelled"}]))

    assert cache.candidates("agents", "") == [(OTHER, "B"), (AGENT, "A")]
    assert cache.candidates("agents", "", statuses=("active",)) == [(AGENT, "A")]
    assert cache.candidates("agents", "", statuses=("paused",)) == []


def test_the_newest_listing_wins_and_the_cache_stays_bounded(tmp_path: Path) -> None:
    many = [{"id": f"00000000-0000-4000-8000-{n:012d}", "status": "active"} for n in range(600)]
    list(cache.remembering("agents", many))
    list(cache.remembering("agents", [{"id": AGENT, "display_name": "A", "status": "paused"}]))

    kept = cache.candidates("agents", "")
    assert len(kept) == cache.KEEP
    assert kept[0] == (AGENT, "A")


def test_an_older_cache_without_statuses_still_completes(tmp_path: Path) -> None:
    path = cache.cache_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"agents\t{AGENT}\told line\n", encoding="utf-8")

    assert cache.candidates("agents", "", statuses=("active",)) == [(AGENT, "old line")]


@pytest.mark.parametrize(("verb", "status"), [("pause", "active"), ("resume", "paused")])
def test_tab_offers_each_action_the_agents_it_acts_on(
    shell_env: dict[str, str], verb: str, status: str
) -> None:
    listed = subprocess.run(
        [installed_script(), "--sandbox", "agents", "list", "-o", "tsv", "--fields", "id,status"],
        env=shell_env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    wanted = sorted(line.split("\t")[0] for line in listed.splitlines() if line.endswith(status))
    env = {
        **shell_env,
        "_AITASKER_COMPLETE": "complete_bash",
        "COMP_WORDS": f"aitasker agents {verb} ",
        "COMP_CWORD": "3",
    }

    offered = subprocess.run(
        [installed_script()], env=env, capture_output=True, text=True, timeout=60, check=True
    ).stdout.split()

    assert wanted and sorted(offered) == wanted


def _tab(env: dict[str, str], words: str, *, timeout: float) -> subprocess.CompletedProcess[str]:
    """What the installed script answers bash's TAB after `words`, within `timeout` seconds."""
    cword = len(words.split()) - (0 if words.endswith(" ") else 1)
    return subprocess.run(
        [installed_script()],
        env={**env, "_AITASKER_COMPLETE": "complete_bash", "COMP_WORDS": words,
             "COMP_CWORD": str(cword)},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )  # fmt: skip


def _complete(env: dict[str, str], words: str) -> list[str]:
    completed = _tab(env, words, timeout=60)
    assert completed.returncode == 0, completed.stderr
    return completed.stdout.split()


def test_profile_values_complete_from_the_config(shell_env: dict[str, str], tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.mkdir()
    (config / "config.toml").write_text("[profiles.staging]\n[profiles.prod]\n", encoding="utf-8")
    env = {**shell_env, "AITASKER_CONFIG_DIR": str(config)}

    assert _complete(env, "aitasker agents list --profile ") == ["default", "staging", "prod"]
    assert _complete(env, "aitasker agents list --profile st") == ["staging"]


def test_field_names_complete_for_the_commands_resource(shell_env: dict[str, str]) -> None:
    agents = _complete(shell_env, "aitasker agents list --fields display_name,st")
    tasks = _complete(shell_env, "aitasker workspaces tasks x --fields cost")

    assert agents == ["display_name,status", "display_name,stripe_subscription_id"]
    assert tasks == ["cost_usd"]


def test_output_formats_complete(shell_env: dict[str, str]) -> None:
    assert "markdown" in _complete(shell_env, "aitasker agents list -o ")


def test_after_a_pause_tab_offers_that_agent_for_resume_not_pause(
    shell_env: dict[str, str],
) -> None:
    subprocess.run(
        [installed_script(), "--sandbox", "agents", "pause", AGENT, "-o", "id"],
        env=shell_env,
        capture_output=True,
        check=True,
    )

    assert AGENT not in _complete(shell_env, "aitasker agents pause ")
    assert AGENT in _complete(shell_env, "aitasker agents resume ")


def test_fish_completes_a_value_joined_to_its_option(shell_env: dict[str, str]) -> None:
    fish = _shell("fish")
    script = ROOT / "completions" / "aitasker.fish"
    lines = "; ".join(
        f"complete -C '{line}'"
        for line in ("aitasker agents list --status=", "aitasker agents list --fields=id,st")
    )

    done = subprocess.run(
        [fish, "--no-config", "-c", f"source '{script}'; {lines}"],
        env=shell_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    assert done.stdout.split() == [
        "--status=active",
        "--status=cancelled",
        "--status=paused",
        "--fields=id,status",
        "--fields=id,stripe_subscription_id",
    ]


@pytest.mark.parametrize("shell", ["zsh", "powershell"])
def test_other_shells_get_the_option_with_a_joined_value(
    shell_env: dict[str, str], shell: str
) -> None:
    env = {
        **shell_env,
        "_AITASKER_COMPLETE": f"complete_{shell}",
        "_TYPER_COMPLETE_ARGS": "aitasker agents list --status=pa",
        "_TYPER_COMPLETE_WORD_TO_COMPLETE": "--status=pa",
    }

    done = subprocess.run(
        [installed_script()], env=env, capture_output=True, text=True, timeout=60, check=True
    )

    assert "--status=paused" in done.stdout and "active" not in done.stdout


def test_bash_gets_the_bare_value_after_its_split_at_equals(shell_env: dict[str, str]) -> None:
    # COMP_WORDBREAKS splits `--status=` into `--status` and `=`: bash replaces the `=`.
    assert _complete(shell_env, "aitasker agents list --status =") == [
        "active",
        "paused",
        "cancelled",
    ]


def test_a_fifo_in_the_caches_place_gives_no_candidates_at_once(tmp_path: Path) -> None:
    env = clean_env(AITASKER_CACHE_DIR=str(tmp_path))
    os.mkfifo(tmp_path / "completion.tsv")

    done = _tab(env, "aitasker agents pause ", timeout=20)  # a hang fails with TimeoutExpired

    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_a_line_cut_by_the_read_limit_is_left_out(monkeypatch: pytest.MonkeyPatch) -> None:
    path = cache.cache_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    first = f"agents\t{AGENT}\tA\tactive\n"
    second = f"agents\t{OTHER}\tB\tpaused\n"
    path.write_text(first + second, encoding="utf-8")
    # The limit falls just before the second line's status: read whole, it is "old format".
    monkeypatch.setattr(cache, "READ_LIMIT", len(first) + second.index("\tpaused"))

    assert cache.candidates("agents", "", statuses=("active",)) == [(AGENT, "A")]
    assert cache.candidates("agents", "") == [(AGENT, "A")]


def test_a_byte_order_mark_does_not_lose_the_first_entry() -> None:
    path = cache.cache_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\xef\xbb\xbf" + f"agents\t{AGENT}\tA\tactive\n".encode())

    assert cache.candidates("agents", "") == [(AGENT, "A")]


@pytest.mark.parametrize("kind", ["fifo", "/dev/zero"])
def test_a_config_that_is_not_a_file_gives_no_profiles_at_once(
    shell_env: dict[str, str], tmp_path: Path, kind: str
) -> None:
    config = tmp_path / "config"
    config.mkdir()
    if kind == "fifo":
        os.mkfifo(config / "config.toml")
    else:
        (config / "config.toml").symlink_to(kind)
    env = {**shell_env, "AITASKER_CONFIG_DIR": str(config)}

    done = _tab(env, "aitasker agents list --profile ", timeout=20)

    assert (done.returncode, done.stdout.split(), done.stderr) == (0, ["default"], "")


def test_the_table_takes_each_value_source_from_the_parameters_metadata() -> None:
    """Where TAB finds values is read from each parameter's `completes(...)`, under any Typer."""
    from aitasker_cli.cli.completion import table
    from aitasker_cli.domain.statuses import AgentStatus, names

    commands = table()["commands"]
    listing = {
        name: option["value"]
        for option in commands["agents list"]["options"]
        for name in option["names"]
    }

    assert listing["-o"] == "values:table,json,ndjson,csv,tsv,id,markdown"
    assert listing["--status"] == "values:" + ",".join(names(AgentStatus))
    assert (listing["--fields"], listing["--profile"], listing["--all"]) == (
        "fields",
        "profiles",
        None,
    )
    assert listing["--limit"] == ""  # a number: nothing to offer
    assert commands["agents show"]["arguments"] == [{"nargs": 1, "value": "ids:agents"}]
    assert commands["completion"]["arguments"] == [
        {"nargs": 1, "value": "values:bash,zsh,fish,powershell"}
    ]
