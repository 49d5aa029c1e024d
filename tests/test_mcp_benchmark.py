"""A fast self-check of benchmarks/mcp_call.py (two rounds; no timing asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.processes import clean_env
from tests.test_mcp_support import sdk

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "mcp_call.py"


def test_the_mcp_benchmark_runs_both_cases_side_by_side(tmp_path: Path) -> None:
    sdk()
    samples = tmp_path / "samples.json"
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--rounds", "2", "--json", str(samples)],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=300,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert "| `show_agent` on a warm `aitasker mcp` |" in done.stdout
    assert "ratio of medians: " in done.stdout
    measured = json.loads(samples.read_text())
    assert [len(measured["process"]), len(measured["mcp"])] == [2, 2]
