"""Every CLI command through Prism, validating against ../shared/api/openapi.yaml.

Prism runs as a proxy in front of `aitasker sandbox serve` with `--errors`, so any request the
CLI sends or response the sandbox returns that breaks the documented API becomes an error that
both fails the command and shows in Prism's log. The test fails on either.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from aitasker_cli.sandbox.seed import seed_state
from tests.conftest import TOKEN
from tests.processes import aitasker, clean_env, sandbox_server

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT.parent / "shared" / "api" / "openapi.yaml"
MISSING = "00000000-0000-4000-8000-000000000000"

STATE = seed_state()
AGENTS = list(STATE["agents"].values())
ACTIVE = [a["id"] for a in AGENTS if a["status"] == "active"]
PAUSED = [a["id"] for a in AGENTS if a["status"] == "paused"]
CANCELLED = [a["id"] for a in AGENTS if a["status"] == "cancelled"]
BUSY_WORKSPACE = max(
    STATE["workspaces"],
    key=lambda w: sum(t["workspace_id"] == w for t in STATE["tasks"].values()),
)


def find_prism() -> str | None:
    local = ROOT / "tools" / "node_modules" / ".bin" / "prism"
    return (
        os.environ.get("AITASKER_PRISM")
        or (str(local) if local.exists() else None)
        or (shutil.which("prism"))
    )


@dataclass
class Prism:
    url: str
    log: Path

    def log_size(self) -> int:
        return len(self._text())

    def problems_since(self, offset: int) -> list[str]:
        """Errors and violations Prism logged after `offset`, up to a request sent now.

        Prism writes its log asynchronously; a request to /health marks the point up to which
        everything before it has been written.
        """
        marks = self._text().count("get /health")
        httpx.get(f"{self.url}/health", timeout=30)
        deadline = time.monotonic() + 30
        while self._text().count("get /health") <= marks and time.monotonic() < deadline:
            time.sleep(0.05)
        text = self._text()[offset:]
        return [line for line in text.splitlines() if "✖" in line or "iolation" in line]

    def _text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@pytest.fixture(scope="module")
def prism(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Prism]:
    if not SPEC.exists():
        pytest.skip(f"the API description {SPEC} is not beside the project")
    binary = find_prism()
    if binary is None:
        pytest.skip("Prism is not installed: run 'npm ci --prefix tools' (needs npm)")
    log = tmp_path_factory.mktemp("prism") / "prism.log"
    with sandbox_server("--rate-limit", "0") as upstream, log.open("w") as sink:
        port = _free_port()
        process = subprocess.Popen(
            [
                binary,
                "proxy",
                str(SPEC),
                upstream,
                "--errors",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_for(log, "Prism is listening", process)
            yield Prism(f"http://127.0.0.1:{port}", log)
        finally:
            process.terminate()
            process.wait(timeout=30)


CASES = [
    ("agents list", ["agents", "list", "-o", "json"], 0),
    ("agents list --all", ["agents", "list", "--all", "-o", "ndjson"], 0),
    ("agents list --status", ["agents", "list", "--status", "paused", "--limit", "3"], 0),
    ("agents show", ["agents", "show", ACTIVE[0], "-o", "json"], 0),
    ("agents show unknown", ["agents", "show", MISSING], 3),
    ("agents pause", ["agents", "pause", ACTIVE[1], "-o", "json"], 0),
    ("agents pause again", ["agents", "pause", ACTIVE[1], "-o", "json"], 0),
    ("agents pause unknown", ["agents", "pause", MISSING], 3),
    ("agents resume", ["agents", "resume", PAUSED[0], "-o", "json"], 0),
    ("agents resume cancelled", ["agents", "resume", CANCELLED[0]], 6),
    ("agents resume unknown", ["agents", "resume", MISSING], 3),
    ("workspaces list", ["workspaces", "list", "--all", "-o", "csv"], 0),
    ("workspaces list --status", ["workspaces", "list", "--status", "active"], 0),
    ("workspaces show", ["workspaces", "show", BUSY_WORKSPACE, "-o", "json"], 0),
    ("workspaces show unknown", ["workspaces", "show", MISSING], 3),
    ("workspaces tasks", ["workspaces", "tasks", BUSY_WORKSPACE, "--all", "-o", "json"], 0),
    (
        "workspaces tasks --status",
        ["workspaces", "tasks", BUSY_WORKSPACE, "--status", "completed", "--limit", "2"],
        0,
    ),
    ("workspaces tasks unknown", ["workspaces", "tasks", MISSING], 3),
    ("auth status", ["auth", "status", "-o", "json"], 0),
    (
        "agents pause bulk --wait",
        ["agents", "pause", ACTIVE[2], ACTIVE[3], "--wait", "-o", "ndjson"],
        0,
    ),
    ("agents resume bulk", ["agents", "resume", ACTIVE[2], ACTIVE[3], CANCELLED[0]], 9),
    (
        "api GET --paginate",
        ["api", "/api/v1/workspaces/agents", "--paginate", "-f", "status=paused"],
        0,
    ),
    ("api POST", ["api", f"/api/v1/workspaces/agents/{ACTIVE[4]}/pause", "-X", "POST"], 0),
    ("doctor", ["doctor", "-o", "json"], 0),
]


@pytest.mark.parametrize(
    ("argv", "exit_code"), [case[1:] for case in CASES], ids=[case[0] for case in CASES]
)
def test_command_passes_prism(
    prism: Prism, tmp_path: Path, argv: list[str], exit_code: int
) -> None:
    env = clean_env(
        AITASKER_TOKEN=TOKEN, AITASKER_API_URL=prism.url, AITASKER_CONFIG_DIR=str(tmp_path)
    )
    before = prism.log_size()

    completed = aitasker(*argv, env=env)

    assert prism.problems_since(before) == []
    assert completed.returncode == exit_code, completed.stderr
    assert "Prism" not in completed.stderr


def test_login_verification_passes_prism(prism: Prism, tmp_path: Path) -> None:
    env = clean_env(AITASKER_API_URL=prism.url, AITASKER_CONFIG_DIR=str(tmp_path))
    before = prism.log_size()

    completed = aitasker(
        "auth", "login", "--with-token", "--insecure-storage", env=env, stdin=TOKEN
    )

    assert prism.problems_since(before) == []
    assert completed.returncode == 0, completed.stderr


def test_prism_would_catch_a_violation(prism: Prism) -> None:
    """The check can fail: a request that breaks the API description shows in Prism's log."""
    before = prism.log_size()

    response = httpx.get(
        f"{prism.url}/api/v1/workspaces/agents/not-a-uuid", headers={"Authorization": "Bearer x"}
    )

    assert response.status_code == 422
    assert prism.problems_since(before) != []


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_for(log: Path, text: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if text in log.read_text(encoding="utf-8", errors="replace"):
            return
        if process.poll() is not None:
            pytest.fail(f"Prism exited early:\n{log.read_text()}")
        time.sleep(0.2)
    pytest.fail(f"Prism did not start in 90 s:\n{log.read_text()}")


WAITING = [t for t in STATE["tasks"].values() if t["status"] == "awaiting_approval"]


def test_the_rest_of_the_hired_agent_api_passes_prism(prism: Prism) -> None:
    """The hired-agent routes the CLI does not call yet, as a user's own tool would call them."""
    before = prism.log_size()
    with httpx.Client(base_url=prism.url, headers={"Authorization": f"Bearer {TOKEN}"}) as api:
        hired = api.post(
            "/api/v1/workspaces/agents",
            json={"agent_type": "seo_specialist", "tier": "pro", "persona_name": "Ines"},
        )
        agent = f"/api/v1/workspaces/agents/{hired.json()['hired_agent_id']}"
        approvable, rejectable = (
            f"/api/v1/workspaces/{task['workspace_id']}/tasks/{task['id']}" for task in WAITING[:2]
        )
        responses = [
            hired,
            api.get(agent),
            api.patch(agent, json={"display_name": "Ines - SEO", "config": {"language": "fr"}}),
            api.post(f"{agent}/cancel"),
            api.patch(f"/api/v1/workspaces/{BUSY_WORKSPACE}", json={"name": "Renamed"}),
            api.get(approvable),
            api.post(f"{approvable}/approve", json={"reason": "Looks right"}),
            api.post(f"{rejectable}/reject"),
            httpx.get(f"{prism.url}/health"),
        ]

    assert prism.problems_since(before) == []
    assert [r.status_code for r in responses] == [200] * len(responses), [
        (r.request.url.path, r.text[:300]) for r in responses if r.status_code != 200
    ]
    assert responses[3].json()["status"] == "cancelled"
    assert responses[6].json()["status"] == "approved"
    assert responses[7].json()["status"] == "rejected"


def test_the_marketplace_is_not_served(prism: Prism) -> None:
    """The sandbox serves the hired-agent domain only: the marketplace's and teams' documented
    routes are 404 through Prism as well."""
    with httpx.Client(base_url=prism.url, headers={"Authorization": f"Bearer {TOKEN}"}) as api:
        created = api.post(
            "/api/v1/tasks", json={"category": "marketing", "task_type": "x", "budget_usd": 10}
        )
        team = api.get(f"/api/v1/teams/{AGENTS[0]['id']}")

    assert (created.status_code, team.status_code) == (404, 404)
