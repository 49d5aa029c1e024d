"""Fixtures for talking to the sandbox app directly, in-process."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from aitasker_cli.sandbox.app import SandboxApp
from aitasker_cli.sandbox.seed import seed_state
from aitasker_cli.sandbox.store import MemoryStore

AUTH = {"Authorization": "Bearer anything"}


@pytest.fixture
def sandbox_app() -> SandboxApp:
    return SandboxApp(MemoryStore(seed_state()), max_page_size=20, rate_limit=300)


@pytest.fixture
def sandbox(sandbox_app: SandboxApp) -> Iterator[httpx.Client]:
    with httpx.Client(
        transport=httpx.WSGITransport(app=sandbox_app), base_url="http://sandbox", headers=AUTH
    ) as client:
        yield client
