"""Write aitasker_cli/fast/command_table.json (what TAB knows of every command) and
aitasker_cli/fast/help_table.json (what `--help` shows of them), from the commands.

    python tools/command_table.py

tests/test_tab_completion.py and tests/test_help_text.py fail when a committed file no longer
matches.
"""

from __future__ import annotations

from pathlib import Path

import aitasker_cli.fast
from aitasker_cli.cli.completion import help_table_text, table_text
from aitasker_cli.fast.help_text import HELP_FILE
from aitasker_cli.fast.tab_completion import TABLE_FILE

if __name__ == "__main__":
    fast = Path(aitasker_cli.fast.__file__)
    fast.with_name(TABLE_FILE).write_text(table_text(), encoding="utf-8")
    fast.with_name(HELP_FILE).write_text(help_table_text(), encoding="utf-8")
