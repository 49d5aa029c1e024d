"""Write aitasker_cli/command_table.json, what TAB knows of every command, from the commands.

    python tools/command_table.py

tests/cli/test_completion.py fails when the committed file no longer matches.
"""

from __future__ import annotations

from pathlib import Path

import aitasker_cli
from aitasker_cli.cli.completion import table_text
from aitasker_cli.tab_completion import TABLE_FILE

if __name__ == "__main__":
    Path(aitasker_cli.__file__).with_name(TABLE_FILE).write_text(table_text(), encoding="utf-8")
