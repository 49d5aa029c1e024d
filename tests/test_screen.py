"""What a person sees in a real terminal (tmux) at 60, 80 and 120 columns."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.processes import aitasker, clean_env, installed_script

DONE = "__aitasker_done__"


def screen(command: list[str], env: dict[str, str], tmp_path: Path, columns: int) -> str:
    """Run `command` in a tmux pane `columns` wide and return what the pane shows."""
    tmux = shutil.which("tmux")
    if tmux is None:
        pytest.skip("needs tmux (Debian: tmux) to look at a real terminal")
    socket = str(tmp_path / f"tmux-{columns}")
    shell = f"{shlex.join(command)}; echo {DONE}; sleep 60"
    base = [tmux, "-S", socket, "-f", "/dev/null"]
    # The terminal's own size, not a COLUMNS the test run may have set, must rule.
    terminal = {k: v for k, v in env.items() if k not in ("COLUMNS", "LINES")}
    subprocess.run(
        [*base, "new-session", "-d", "-x", str(columns), "-y", "60", shell],
        env={**terminal, "TERM": "xterm-256color"},
        check=True,
        timeout=30,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            shown = subprocess.run(
                [*base, "capture-pane", "-p"],
                capture_output=True,
                text=True,
                check=True,
                timeout=30,
            ).stdout
            if DONE in shown:
                return shown.split(DONE)[0]
            time.sleep(0.1)
        pytest.fail(f"{shlex.join(command)} did not finish in a terminal: {shown}")
    finally:
        subprocess.run([*base, "kill-server"], capture_output=True, timeout=30, check=False)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return clean_env(AITASKER_SANDBOX_DIR=str(tmp_path / "sandbox"), NO_COLOR="1")


@pytest.mark.parametrize("columns", [40, 60, 80, 120])
def test_agents_list_keeps_names_and_statuses(
    env: dict[str, str], tmp_path: Path, columns: int
) -> None:
    ids = aitasker("--sandbox", "agents", "list", "-o", "id", env=env).stdout.split()
    shown = screen([installed_script(), "--sandbox", "agents", "list"], env, tmp_path, columns)

    rows = [line for line in shown.splitlines() if line[:8] in {i[:8] for i in ids}]
    assert "STATUS" in shown and "DISPLAY NAME" in shown
    assert len(rows) == len(ids)
    assert not any(i in shown for i in ids)  # short IDs, which every command takes back
    assert all(any(s in row for s in ("active", "paused", "cancelled")) for row in rows)
    if columns >= 60:
        assert "Maya – Sales" in shown


def test_a_bulk_failure_row_names_the_agent_and_gives_the_whole_error(
    env: dict[str, str], tmp_path: Path
) -> None:
    listed = aitasker(
        "--sandbox", "agents", "list", "--status", "cancelled", "-o", "tsv", "--fields",
        "id,display_name", env=env,
    ).stdout.splitlines()[:2]  # fmt: skip
    cancelled = dict(line.split("\t") for line in listed)
    command = [installed_script(), "--sandbox", "agents", "pause", *cancelled, "-o", "table"]

    shown = screen(command, env, tmp_path, 80)

    text = " ".join(shown.split())
    assert text.count("failed") == 2 + 1  # the rows' outcomes; the summary
    assert all(name in text for name in cancelled.values())  # known from the listing
    assert "…" not in shown
    assert "cannot" in text and "cancelled" in text.lower()


def test_doctor_wraps_its_advice_instead_of_cutting_it(env: dict[str, str], tmp_path: Path) -> None:
    command = [installed_script(), "doctor", "--api-url", "http://example.com"]

    shown = screen(command, env, tmp_path, 80)

    assert "…" not in shown
    assert "https://" in " ".join(shown.split())


def test_a_short_id_from_a_table_can_be_typed_back(env: dict[str, str], tmp_path: Path) -> None:
    shown = screen([installed_script(), "--sandbox", "agents", "list"], env, tmp_path, 80)
    short = next(line.split()[0] for line in shown.splitlines() if "Maya – Sales" in line)

    paused = aitasker("--sandbox", "agents", "pause", short, "-o", "tsv", "--fields",
                      "display_name,status", env=env)  # fmt: skip

    assert len(short) == 8
    assert paused.returncode == 0, paused.stderr
    assert paused.stdout == "Maya – Sales\tpaused\n"


FLEET = ("Łukasz – Analytics", "Priyanka – Social Media", "Ōtake 2 – Social Media")


@pytest.mark.parametrize("columns", [80, 120])
def test_agents_list_gives_names_their_whole_width_first(
    env: dict[str, str], tmp_path: Path, columns: int
) -> None:
    shown = screen([installed_script(), "--sandbox", "agents", "list"], env, tmp_path, columns)

    assert all(name in shown for name in FLEET)  # whole, never cut to make room
    assert "STATUS" in shown and "…" not in shown
    if columns == 80:
        assert "UPDATED AT" not in shown
        assert "(updated_at left out to fit the terminal; see --fields)" in shown
    else:
        assert "UPDATED AT" in shown and "left out" not in shown


@pytest.mark.parametrize("columns", [80, 120])
def test_task_titles_are_whole_and_low_value_columns_go_first(
    env: dict[str, str], tmp_path: Path, columns: int
) -> None:
    titles = aitasker("--sandbox", "workspaces", "tasks", "320bf826", "-o", "tsv", "--fields",
                      "title,status", env=env).stdout.splitlines()  # fmt: skip
    command = [installed_script(), "--sandbox", "workspaces", "tasks", "320bf826"]

    shown = screen(command, env, tmp_path, columns)

    assert titles and all(line.split("\t")[0] in shown for line in titles)
    assert all(line.split("\t")[1] in shown for line in titles)  # awaiting_approval whole
    assert "…" not in shown
    if columns == 80:
        assert "PRIORITY" in shown and "SKILL SLUG" not in shown and "CREATED AT" not in shown
        text = " ".join(shown.split())
        assert (
            "(skill_slug, cost_usd, created_at, fingerprint left out to fit the terminal; "
            "see --fields)" in text
        )
    else:
        assert all(h in shown for h in ("PRIORITY", "SKILL SLUG", "COST USD", "CREATED AT"))
        # The fingerprint, last so that scripts' columns keep their place, goes first.
        text = " ".join(shown.split())
        assert "(fingerprint left out to fit the terminal; see --fields)" in text


def test_the_progress_bar_is_gone_before_the_results_table_is_drawn(
    env: dict[str, str], tmp_path: Path
) -> None:
    command = [installed_script(), "--sandbox", "agents", "pause", "--all", "--yes", "-o", "table"]

    shown = screen(command, env, tmp_path, 80)

    assert "━" not in shown and "%" not in shown  # no bar left behind, none glued to the table
    assert shown.lstrip().startswith("ID ")


def test_at_80_columns_an_empty_error_column_goes_before_status_after(
    env: dict[str, str], tmp_path: Path
) -> None:
    active = aitasker(
        "--sandbox", "agents", "list", "--status", "active", "-o", "id", env=env
    ).stdout.split()
    command = [installed_script(), "--sandbox", "agents", "pause", *active, "-o", "table"]

    shown = screen(command, env, tmp_path, 80)

    assert "STATUS AFTER" in shown and "OUTCOME" in shown and "DISPLAY NAME" in shown
    assert "ERROR" not in shown
    assert "left out" not in shown  # the empty column hid nothing
