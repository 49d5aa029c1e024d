"""A task's fingerprint: a short digest of what a person approves or rejects (standard library).

`--if-match` compares it, so a decision goes through only if the task is still the one that
was read; the contract's third round fixes the fields and the encoding, so scripts and other
tools can compute the same value.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

FIELDS = (
    "approval_level",
    "description",
    "id",
    "output_data",
    "proposed_actions",
    "status",
    "title",
    "workspace_id",
)
"""The fields that make up a fingerprint; a change to any other field leaves it as it was."""
LENGTH = 12
"""Hex characters kept from the SHA-256 digest."""


def fingerprint(task: Mapping[str, Any]) -> str:
    """The first 12 hex characters of the SHA-256 of the task's FIELDS as canonical JSON."""
    chosen = {key: task.get(key) for key in FIELDS}
    text = json.dumps(chosen, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:LENGTH]
