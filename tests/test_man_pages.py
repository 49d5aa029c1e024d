"""The manual pages: one per command and group, generated from the help (tools/regen.py checks
that they are current), rendered by groff without a single warning, and saying what `--help`
says."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from aitasker_cli import __version__
from aitasker_cli.cli.main import command_paths

ROOT = Path(__file__).resolve().parents[1]
FOLDER = ROOT / "docs" / "man"
HELP = json.loads((ROOT / "aitasker_cli" / "fast" / "help_table.json").read_text("utf-8"))
PAGES = sorted(FOLDER.glob("*.1"))


def page_of(words: tuple[str, ...]) -> Path:
    return FOLDER / f"{'-'.join(('aitasker', *words))}.1"


def render(page: Path, *options: str) -> subprocess.CompletedProcess[str]:
    groff = shutil.which("groff")
    if groff is None:
        pytest.skip("groff is not installed (apt-get install groff)")
    return subprocess.run(
        [groff, "-man", "-Tutf8", *options, str(page)],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8"},
        timeout=60,
        check=False,
    )


def test_one_page_per_command_and_group_and_no_other() -> None:
    assert {page.name for page in PAGES} == {page_of(words).name for words in command_paths()}


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_each_page_renders_without_a_warning(page: Path) -> None:
    # -ww: every warning; -z: no output, only the diagnostics.
    rendered = render(page, "-ww", "-z")

    assert (rendered.returncode, rendered.stderr) == (0, "")


@pytest.mark.parametrize("words", command_paths(), ids=lambda words: " ".join(words) or "-")
def test_each_page_says_what_the_help_says(words: tuple[str, ...]) -> None:
    help_page = HELP["pages"][" ".join(words)]
    rendered = render(page_of(words), "-P", "-cbou")  # plain text: no bold, no underlines
    text = " ".join(rendered.stdout.split())

    assert rendered.returncode == 0, rendered.stderr
    assert f"aitasker {__version__}" in text
    assert " ".join(help_page["usage"]) in text
    assert " ".join(help_page["help"].split()) in text
    for section in help_page["sections"]:
        assert section["title"].upper() in text
        for name, _help in section["rows"]:
            assert name in text
    for line in help_page["examples"]:
        assert line.strip() in text


def test_options_and_examples_are_typed_as_they_read() -> None:
    """Hyphens are minus signs and quotes straight, so what is copied from a page runs."""
    rendered = render(page_of(("api",)), "-P", "-cbou").stdout

    assert "--paginate | jq '.[].status'" in rendered
    assert not re.search("[\u2010\u2018\u2019\u2212]", rendered)
