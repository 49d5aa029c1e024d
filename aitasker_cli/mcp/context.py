"""What every tool call works with: the API client the server keeps warm, the settings that
chose it (for the journal), and what the person allowed when they started the server."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aitasker_cli.api.client import ApiClient
    from aitasker_cli.local.config import Settings

ORIGIN = "mcp"
"""Who made a change, as the journal (and `aitasker history`) records it."""


@dataclass(frozen=True)
class Context:
    client: ApiClient
    settings: Settings
    allow_changes: bool = False
    """--allow-changes: pause, resume and undo."""
    allow_final: bool = False
    """--allow-final: approve, reject and cancel too (it implies --allow-changes)."""

    def allows(self, *, final: bool) -> bool:
        """Whether a change (a final one, if `final`) may be made."""
        return self.allow_final if final else self.allow_changes or self.allow_final
