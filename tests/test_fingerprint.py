"""A task's fingerprint, as the contract's third round defines it, checked against digests
written out here."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from aitasker_cli.api.models import WorkspaceTask
from aitasker_cli.domain.fingerprint import FIELDS, fingerprint
from tests.conftest import TASK_ID, WORKSPACE_ID, task


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def test_the_fingerprint_of_a_task_is_the_digest_of_its_canonical_json() -> None:
    # Written out by hand: keys sorted, no spaces, the task's other fields left out.
    canonical = (
        '{"approval_level":"required","description":"Announce the new pricing page.",'
        f'"id":"{TASK_ID}","output_data":{{"draft":"We just shipped"}},'
        '"proposed_actions":{},"status":"awaiting_approval",'
        '"title":"Draft LinkedIn post for the June product launch",'
        f'"workspace_id":"{WORKSPACE_ID}"}}'
    )

    assert fingerprint(task()) == digest(canonical)
    assert len(fingerprint(task())) == 12


def test_text_is_hashed_as_utf8_not_escaped_and_missing_fields_as_null() -> None:
    sparse = {"id": "x", "title": "Café – ☕", "cost_usd": 1}
    canonical = (
        '{"approval_level":null,"description":null,"id":"x","output_data":null,'
        '"proposed_actions":null,"status":null,"title":"Café – ☕","workspace_id":null}'
    )

    assert fingerprint(sparse) == digest(canonical)


CHANGES: dict[str, Any] = {
    "approval_level": "optional",
    "description": None,
    "id": "11111111-2222-4333-8444-555555555555",
    "output_data": {"draft": "We just shipped!"},
    "proposed_actions": {"publish": {"channel": "linkedin"}},
    "status": "approved",
    "title": "Another title",
    "workspace_id": "11111111-2222-4333-8444-666666666666",
}


def test_the_fingerprinted_fields_are_the_contracts() -> None:
    assert sorted(FIELDS) == sorted(CHANGES)


@pytest.mark.parametrize("field", sorted(CHANGES))
def test_a_change_to_any_fingerprinted_field_changes_it(field: str) -> None:
    assert fingerprint(task(**{field: CHANGES[field]})) != fingerprint(task())


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("approved_by", "11111111-2222-4333-8444-777777777777"),
        ("approved_at", "2025-06-11T09:00:00Z"),
        ("cost_usd", 9.5),
        ("priority", "high"),
        ("completed_at", None),
        ("something_new", {"a": 1}),
    ],
)
def test_other_fields_leave_it_as_it_was(field: str, value: Any) -> None:
    assert fingerprint(task(**{field: value})) == fingerprint(task())


def test_a_key_order_or_a_missing_other_field_does_not_matter() -> None:
    reordered = dict(reversed(list(task().items())))
    only_fingerprinted = {key: task()[key] for key in FIELDS}

    assert fingerprint(reordered) == fingerprint(only_fingerprinted) == fingerprint(task())


def test_the_model_fingerprints_what_the_server_sent() -> None:
    # An upper-case ID parses to the same UUID, but a script hashing the response sees the
    # upper-case text: the model must agree with it.
    sent = task(id=TASK_ID.upper(), status="approved")
    model = WorkspaceTask.from_json(sent)

    assert model.fingerprint == fingerprint(sent)
    assert model.fingerprint != fingerprint(task(status="approved"))
