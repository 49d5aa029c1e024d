"""Write aitasker_cli/command_table.json (what TAB knows of every command) and
aitasker_cli/help_table.json (what `--help` shows of them), from the commands.

    python tools/command_table.py

tests/test_tab_completion.py and tests/test_help_text.py fail when a committed file no longer
matches.
"""

from __future__ import annotations

from pathlib import Path

import aitasker_cli
from aitasker_cli.cli.completion import help_table_text, table_text
from aitasker_cli.help_text import HELP_FILE
from aitasker_cli.tab_completion import TABLE_FILE

if __name__ == "__main__":
    package = Path(aitasker_cli.__file__)
    package.with_name(TABLE_FILE).write_text(table_text(), encoding="utf-8")
    package.with_name(HELP_FILE).write_text(help_table_text(), encoding="utf-8")
