"""TAB in real shells never runs server text, and never sends a terminal a control byte.

A loopback API lists agents whose names carry every shell metacharacter and terminal control;
completion is installed where the README says; then TAB is pressed in an interactive zsh and
bash in a pseudo-terminal, and asked of fish with `complete -C`. Each name tries to create a
canary file, in each shell's syntax.
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import shutil
import struct
import subprocess
import termios
import time
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from aitasker_cli.local import cache
from tests.conftest import TOKEN, agent
from tests.loopback import serve
from tests.processes import aitasker, clean_env, installed_script

PREFIX = "1888df20-5bd0-4521-be84-762000000"
"""Every listed ID starts with this, then the digit of its group of names, then two more; so
TAB after PREFIX lists them all, and after PREFIX and a group's digit, that group."""
PROMPT = b"READY> "
TERMINAL_ROWS, TERMINAL_COLUMNS = 100, 250
"""Room for the whole listing, so no shell asks whether to show it."""
SHELL_METACHARACTERS = "$`\"'\\;|&(){}<>*?!#~[]^%=:@"
"""Characters bash, zsh, fish or PowerShell give a meaning to; none may reach a shell."""


def hostile_names(canary: Path) -> list[list[str]]:
    """Names that would create `canary`, or show, if a shell or a terminal acted on them.

    In groups, each completed on its own: a name that breaks the syntax of what a shell
    evaluates must not keep the others in its group from being tried.
    """
    run = f"touch {canary}"
    reported = [f"Sales bot \\$({run})", "Sales bot, harmless"]  # zsh's _arguments ran it
    metacharacters = [
        f"$({run})",
        f"`{run}`",
        f"'; {run}; '",
        f'"; {run}; "',
        f"\\'; {run}; \\'",
        f"''$({run})''",  # Typer doubles quotes for zsh
        f'")) ; {run} ; (("',  # closes Typer's _arguments list early
        f"x:$({run})",
        f"x\\\\:$({run})",
        f"| {run} &",
        f"&& {run} ||",
        f"; {run} #",
        f"> {canary}",
        f">> {canary}",
        f"{{ {run}; }}",
        f"({run})",  # fish's command substitution
        f"<({run})",
        f"a\n{run}\n",
        f"a\t{run}",
        f"a\r{run}",
        f"@({run}); $env:HOME",  # PowerShell
        "* ? [a] ! # ~ ^ % = : , . ~root",
    ]
    controls = [
        "title \x1b]0;PWNED\x07",
        "clipboard \x1b]52;c;dG91Y2g=\x07",
        "clear \x1b[2J\x1b[H ask \x1b[6n",
        "c1 csi \x9b31m c1 osc \x9d0;PWNED\x9c",
        "bidi \u202egnp.exe isolate \u2066x\u2069",
        "zero\u200bwidth\u200d\ufeff joiners",
        "nul \x00 del \x7f bell \x07 back \x08 nel \x85",
        "lone surrogate \ud800 here",
        "x" * 300,
    ]
    return [reported, metacharacters, controls]


@dataclass
class Listed:
    """What `agents list` showed, and the environment in which TAB is pressed afterwards."""

    env: dict[str, str]
    home: Path
    canary: Path
    ids: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def listed(tmp_path_factory: pytest.TempPathFactory) -> Listed:
    base = tmp_path_factory.mktemp("hostile")
    home = base / "home"
    canary = base / "canary"
    fleet = [
        agent(id=f"{PREFIX}{group}{n:02d}", display_name=name)
        for group, names in enumerate(hostile_names(canary))
        for n, name in enumerate(names)
    ]
    env = clean_env(
        HOME=str(home),
        ZDOTDIR=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        AITASKER_CACHE_DIR=str(base / "cache"),
        AITASKER_CONFIG_DIR=str(base / "config"),
        AITASKER_TOKEN=TOKEN,
        PATH=f"{Path(installed_script()).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        LANG="C.UTF-8",
        LC_ALL="C.UTF-8",
        TERM="dumb",  # so that the shells themselves send no escape sequence at all
    )
    env.pop("COLUMNS", None)
    with serve() as api:
        api.routes[("GET", "/api/v1/workspaces/agents")] = lambda query: (
            200,
            fleet[int(query["offset"][0]) : int(query["offset"][0]) + int(query["limit"][0])],
        )
        shown = aitasker("agents", "list", "-o", "id", env={**env, "AITASKER_API_URL": api.url})
    assert shown.returncode == 0, shown.stderr
    ids = shown.stdout.split()
    assert ids == [item["id"] for item in fleet]
    home.mkdir()
    return Listed(env=env, home=home, canary=canary, ids=ids)


@pytest.fixture
def hostile(listed: Listed) -> Iterator[Listed]:
    listed.canary.unlink(missing_ok=True)
    yield listed
    assert not listed.canary.exists(), "a shell ran a command from an agent's name"


def installed(shell: str, listed: Listed, path: Path) -> None:
    """`aitasker completion SHELL > PATH`, as the README's "Shell completion" section says."""
    path.parent.mkdir(parents=True, exist_ok=True)
    printed = aitasker("completion", shell, env=listed.env)
    assert printed.returncode == 0, printed.stderr
    path.write_text(printed.stdout)


def common_start(ids: list[str]) -> str:
    """What all `ids` begin with: typed before TAB, it makes the shell list them all."""
    return os.path.commonprefix(ids)  # noqa: RUF071 (IDs, not paths)


def which(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed (the Debian package '{name}' provides it)")
    return found


def control_characters(output: bytes, allowed: str = "\r\n") -> list[str]:
    """Every character in `output` that is not text or `allowed`: C0 and C1 controls (ESC
    among them), format characters (bidi overrides, zero-width), private-use, surrogates.
    Bytes that are not UTF-8 fail the decode."""
    return [
        f"U+{ord(character):04X}"
        for character in output.decode("utf-8")
        if character not in allowed and unicodedata.category(character)[0] == "C"
    ]


class Terminal:
    """The other end of a pseudo-terminal a shell runs in: type into it, read what it shows."""

    def __init__(self, leader: int) -> None:
        self.leader = leader
        self.output = b""

    def type(self, text: str) -> None:
        os.write(self.leader, text.encode())

    def wait_for(self, expected: bytes, count: int = 1, timeout: float = 30) -> None:
        """Read until `expected` has been shown `count` times in all; fail after `timeout`."""
        deadline = time.monotonic() + timeout
        while self.output.count(expected) < count:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self.leader], [], [], max(left, 0))
            if not ready:
                pytest.fail(f"the shell never showed {expected!r}; it showed {self.output!r}")
            try:
                self.output += os.read(self.leader, 65536)
            except OSError:  # the shell is gone
                pytest.fail(f"the shell ended before showing {expected!r}: {self.output!r}")


@contextmanager
def terminal(argv: list[str], env: dict[str, str]) -> Iterator[Terminal]:
    """Run `argv` interactively in a new pseudo-terminal, wide and tall enough for listings."""
    leader, follower = pty.openpty()
    size = struct.pack("HHHH", TERMINAL_ROWS, TERMINAL_COLUMNS, 0, 0)
    fcntl.ioctl(follower, termios.TIOCSWINSZ, size)
    process = subprocess.Popen(
        argv, stdin=follower, stdout=follower, stderr=follower, env=env, start_new_session=True
    )
    os.close(follower)
    try:
        yield Terminal(leader)
    finally:
        process.kill()
        process.wait(timeout=30)
        os.close(leader)


def test_the_names_are_hostile_on_the_way_in(listed: Listed) -> None:
    names = "".join(name for group in hostile_names(listed.canary) for name in group)

    assert all(character in names for character in SHELL_METACHARACTERS)
    assert all(character in names for character in "\n\t\r\x1b\x07\x9b\u202e\ud800")


def test_zsh_tab_lists_names_and_runs_nothing(hostile: Listed) -> None:
    zsh = which("zsh")
    installed("zsh", hostile, hostile.home / "functions" / "_aitasker")
    (hostile.home / ".zshrc").write_text(
        'fpath=("$ZDOTDIR/functions" $fpath)\n'
        "autoload -Uz compinit && compinit -u\n"
        "unsetopt beep\n"  # a bell is a control byte too, and so is bracketed paste's switch
        "unset zle_bracketed_paste\n"
        "LISTMAX=0\n"  # list without asking whenever the listing fits the terminal
        f"PS1='{PROMPT.decode()}'\n"
    )
    groups = len(hostile_names(hostile.canary))

    with terminal([zsh, "-d", "-i"], hostile.env) as shell:
        shell.wait_for(PROMPT)
        for group in range(groups):
            members = [i for i in hostile.ids if i.startswith(f"{PREFIX}{group}")]
            common = common_start(members)  # so that TAB lists rather than adds
            shell.type(f"\x15aitasker agents pause {common}\t")  # ^U: start a new line
            shell.wait_for(PROMPT, count=2 + group)  # the prompt comes back under the listing

    listing = shell.output.decode("utf-8", errors="replace")
    assert all(agent_id in listing for agent_id in hostile.ids), listing
    assert "Sales bot" in listing  # names are shown, not dropped
    assert control_characters(shell.output) == []


def test_bash_tab_lists_ids_only_and_runs_nothing(hostile: Listed) -> None:
    bash = which("bash")
    script = hostile.home / ".local" / "share" / "bash-completion" / "completions" / "aitasker"
    installed("bash", hostile, script)
    (hostile.home / ".inputrc").write_text("set bell-style none\n")
    # What the bash-completion package's loader does when `aitasker` is first completed.
    rc = hostile.home / "bashrc"
    rc.write_text(f"PS1='{PROMPT.decode()}'\nsource '{script}'\n")
    common = common_start(hostile.ids)

    with terminal([bash, "--noprofile", "--rcfile", str(rc), "-i"], hostile.env) as shell:
        shell.wait_for(PROMPT)
        shell.type(f"aitasker agents pause {common}\t\t")
        shell.wait_for(PROMPT, count=2)

    shown = shell.output.decode("utf-8", errors="replace").split()
    assert set(shown) == {PROMPT.decode().strip(), "aitasker", "agents", "pause", common}.union(
        hostile.ids
    ), shown
    assert control_characters(shell.output) == []


def fish_candidates(listed: Listed, line: str, **env: str) -> list[tuple[str, ...]]:
    """What fish offers on TAB after `line`, each as (value, description)."""
    fish = which("fish")
    installed("fish", listed, listed.home / ".config" / "fish" / "completions" / "aitasker.fish")
    offered = subprocess.run(
        [fish, "-c", f"complete -C '{line}'"],
        env={**listed.env, **env},
        capture_output=True,
        timeout=60,
        check=True,
    )
    assert control_characters(offered.stdout, allowed="\t\n") == [], offered.stdout
    return [tuple(row.split("\t")) for row in offered.stdout.decode().splitlines()]


def test_fish_tab_describes_with_names_and_runs_nothing(hostile: Listed) -> None:
    common = common_start(hostile.ids)

    offered = fish_candidates(hostile, f"aitasker agents pause {common}")

    assert sorted(value for value, *_ in offered) == hostile.ids
    assert all(len(row) == 2 for row in offered)
    assert offered[0][1].startswith("Sales bot")


def test_fish_offers_no_candidate_made_of_a_name_in_a_narrow_terminal(hostile: Listed) -> None:
    offered = fish_candidates(hostile, "aitasker agents pause ", COLUMNS="30")

    assert sorted(value for value, *_ in offered) == hostile.ids


def test_powershell_protocol_offers_ids_with_harmless_help(hostile: Listed) -> None:
    common = common_start(hostile.ids)
    env = {
        **hostile.env,
        "_AITASKER_COMPLETE": "complete_powershell",
        "_TYPER_COMPLETE_ARGS": f"aitasker agents pause {common}",
        "_TYPER_COMPLETE_WORD_TO_COMPLETE": common,
    }

    answered = subprocess.run(
        [installed_script()], env=env, capture_output=True, timeout=60, check=True
    )

    rows = [line.split(":::") for line in answered.stdout.decode().splitlines()]
    assert [row[0] for row in rows] == hostile.ids
    assert control_characters(answered.stdout, allowed="\n") == []
    assert not set("".join(row[1] for row in rows)) & set(SHELL_METACHARACTERS)


def test_the_cache_holds_only_harmless_names(listed: Listed) -> None:
    lines = Path(listed.env["AITASKER_CACHE_DIR"], "completion.tsv").read_bytes().splitlines()

    assert control_characters(b"\n".join(lines), allowed="\t\n") == []
    names = [line.decode().split("\t")[2] for line in lines]
    assert not set("".join(names)) & set(SHELL_METACHARACTERS)
    assert all(len(name) <= cache.NAME_LENGTH for name in names)


TYPED_COMMANDS = [
    "'x\\$(touch {canary}),i",  # the reviewer's line: a backslash before the `$`
    "'x$(touch {canary}),i",
    "'x`touch {canary}`,i",
    "'x\\`touch {canary}\\`,i",
    "'x\\\\$(touch {canary}),i",
    '"x\\$(touch {canary}),i',
    "x\\$\\(touch\\ {canary}\\),i",
    '\'x"$(touch {canary})",i',
    "'x:$(touch {canary}),i",
    "'x)) ; touch {canary} ; ((,i",
]
"""What a user may type as a --fields value before TAB; the text before the last comma comes
back in each candidate, and so into what zsh evaluates. (A `$(…)` left unquoted, as after
`'x\\'`, zsh itself runs when it completes the word, whatever the command: not ours to stop.)"""


def test_zsh_tab_runs_no_command_typed_in_a_fields_value(tmp_path: Path) -> None:
    zsh = which("zsh")
    home = tmp_path / "home"
    canary = tmp_path / "canary"
    functions = home / "functions"
    functions.mkdir(parents=True)
    (functions / "_aitasker").write_text(
        (Path(__file__).resolve().parents[1] / "completions" / "aitasker.zsh").read_text()
    )
    (home / ".zshrc").write_text(
        'fpath=("$ZDOTDIR/functions" $fpath)\n'
        "autoload -Uz compinit && compinit -u\n"
        "unsetopt beep\n"
        "unset zle_bracketed_paste\n"
        "LISTMAX=0\n"
        f"PS1='{PROMPT.decode()}'\n"
    )
    env = clean_env(
        HOME=str(home),
        ZDOTDIR=str(home),
        PATH=f"{Path(installed_script()).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        LANG="C.UTF-8",
        LC_ALL="C.UTF-8",
        TERM="dumb",
    )
    env.pop("COLUMNS", None)

    with terminal([zsh, "-d", "-i"], env) as shell:
        shell.wait_for(PROMPT)
        for number, typed in enumerate(TYPED_COMMANDS):
            # ^U starts a new line; after TAB, a command whose output shows TAB is done.
            shell.type(f"\x15aitasker agents list --fields {typed.format(canary=canary)}\t")
            shell.type(f"\x15echo done-$(( {number} + 1000 ))\r")
            shell.wait_for(f"done-{number + 1000}".encode())
            assert not canary.exists(), f"zsh ran a command typed as {typed!r}"
