"""A fast self-check of the benchmark harness's pieces (no timings asserted)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"
AGENTS = "/api/v1/workspaces/agents"


def test_floors_against_the_benchmark_server(tmp_path: Path) -> None:
    env = {**os.environ, "AITASKER_TOKEN": "t"}
    log = tmp_path / "pages.log"
    server = subprocess.Popen(
        [sys.executable, str(BENCH / "serve.py"), "--agents", "16", "--page-log", str(log)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        request = urllib.request.Request(
            f"{url}{AGENTS}?status=active", headers={"Authorization": "Bearer t"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            active = [agent["id"] for agent in json.load(response)]
        assert len(active) == 10
        assert log.read_text().count("\n") == 1
        single = subprocess.run(
            [sys.executable, str(BENCH / "floor_single.py"), "GET", f"{url}{AGENTS}/{active[0]}"],
            env=env,
            capture_output=True,
            check=True,
        )
        assert json.loads(single.stdout)["id"] == active[0]
        bulk = subprocess.run(
            [sys.executable, str(BENCH / "floor_bulk.py"), url],
            env=env,
            input="\n".join(active[1:]).encode(),
            capture_output=True,
            check=True,
        )
        lines = [json.loads(line) for line in bulk.stdout.splitlines()]
        assert [line["id"] for line in lines] == active[1:]
        assert {line["status"] for line in lines} == {"paused"}
        missing = subprocess.run(
            [sys.executable, str(BENCH / "floor_bulk.py"), url],
            env=env,
            input=b"00000000-0000-0000-0000-000000000000\n",
            capture_output=True,
        )
        assert missing.returncode == 1
    finally:
        server.terminate()
        server.communicate(timeout=10)
