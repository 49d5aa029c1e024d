"""Bulk changes over `--sandbox` against the same over `aitasker sandbox serve`, and one change
in a small and a huge `--sandbox` fleet.

Run by hand from the repository, after the README's install command:

    python benchmarks/sandbox_bulk.py            # 7 rounds, 1,000 agents, 300 of them paused
    python benchmarks/sandbox_bulk.py --quick    # a smoke run: 2 rounds, 10,000-agent fleet

Bulk: both sides start from the same seeded fleet of 1,000 agents; each round runs
`aitasker agents pause --stdin -o ndjson` on the same 300 active agents and `agents resume
--stdin` back, over `--sandbox` (the state in its SQLite database) and over a loopback
`aitasker sandbox serve --rate-limit 0` (state in memory), in alternating order. Every run is
checked: exit code, one `changed` result a line for every agent, and the state afterwards. The
target is the `--sandbox` medians within 1.5x of the served ones.

One change: `agents pause ID` then `agents resume ID` over `--sandbox` in a fleet of 24 agents
and in one of 100,000, interleaved: the same cost in both is the target (within 1.25x).
Wall time and CPU time (user + system, from wait4) of every process are reported.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from aitasker_cli.sandbox.database import FileStore
from aitasker_cli.sandbox.fleet import Fleet

TOKEN = "benchmark-token"
AGENTS = "/api/v1/workspaces/agents"


@dataclass
class Case:
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    def median(self) -> tuple[float, float]:
        return statistics.median(self.wall), statistics.median(self.cpu)


class Failed(SystemExit):
    pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 rounds, a 10,000-agent fleet")
    parser.add_argument("--rounds", type=int, help="rounds of each case [7; --quick: 2]")
    parser.add_argument("--agents", type=int, default=1000, help="fleet of the bulk runs")
    parser.add_argument("--bulk", type=int, default=300, help="agents paused in each bulk run")
    parser.add_argument("--huge", type=int, help="the big fleet for one change [100,000]")
    args = parser.parse_args()
    rounds = args.rounds or (2 if args.quick else 7)
    huge = args.huge or (10_000 if args.quick else 100_000)
    aitasker = str(Path(sys.executable).with_name("aitasker"))
    if not Path(aitasker).exists():
        sys.exit(f"no {aitasker}; run the README's install command first")

    started = time.monotonic()
    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AITASKER_", "_AIT"))}
        env.update(
            AITASKER_TOKEN=TOKEN,
            XDG_CONFIG_HOME=str(scratch / "config"),
            XDG_CACHE_HOME=str(scratch / "cache"),
            XDG_STATE_HOME=str(scratch / "state"),
            XDG_DATA_HOME=str(scratch / "data"),
        )
        bulk = _bulk(aitasker, env, scratch, rounds, args.agents, args.bulk)
        single = _single(aitasker, env, scratch, rounds * 2, huge)
    took = time.monotonic() - started
    print(f"{date.today().isoformat()}; {_machine()}; {took / 60:.1f} min in all")
    print(f"{rounds} interleaved rounds of bulk, {rounds * 2} of one change; medians")
    print()
    print("| case | wall | CPU | ratio (wall) | target |")
    print("| --- | --- | --- | --- | --- |")
    for verb in ("pause", "resume"):
        served, embedded = bulk[f"served {verb}"], bulk[f"sandbox {verb}"]
        ratio = embedded.median()[0] / served.median()[0]
        name = f"`agents {verb} --stdin -o ndjson`, {args.bulk} of {args.agents:,} agents"
        _row(f"{name}, `sandbox serve`", served, "", "")
        verdict = f"<= 1.5x: {'met' if ratio <= 1.5 else 'NOT met'}"
        _row(f"{name}, `--sandbox`", embedded, f"{ratio:.2f}x", verdict)
    small, big = single["24"], single[str(huge)]
    ratio = big.median()[0] / small.median()[0]
    _row("`--sandbox agents pause ID` + `resume ID`, 24 agents", small, "", "")
    verdict = f"<= 1.25x: {'met' if ratio <= 1.25 else 'NOT met'}"
    _row(f"same, {huge:,} agents", big, f"{ratio:.2f}x", verdict)


def _row(name: str, case: Case, ratio: str, verdict: str) -> None:
    wall, cpu = case.median()
    print(f"| {name} | {_ms(wall)} | {_ms(cpu)} | {ratio} | {verdict} |")


# -- bulk -----------------------------------------------------------------------------------


def _bulk(
    aitasker: str, env: dict[str, str], scratch: Path, rounds: int, agents: int, size: int
) -> dict[str, Case]:
    folder = scratch / "bulk"
    sandbox_env = {**env, "AITASKER_SANDBOX_DIR": str(folder)}
    _run([aitasker, "sandbox", "reset", "--agents", str(agents)], sandbox_env)
    serve = [aitasker, "sandbox", "serve", "--port", "0", "--rate-limit", "0"]
    cases = {f"{side} {verb}": Case() for side in ("served", "sandbox") for verb in VERBS}
    with _server([*serve, "--agents", str(agents)], env) as url:
        ids = _served(url, "active")[:size]
        _expect(len(ids) == size, f"only {len(ids)} active agents in the seed")
        _expect(_embedded(folder, "active")[:size] == ids, "the two fleets differ")
        id_file = scratch / "ids.txt"
        id_file.write_text("\n".join(ids) + "\n")
        sides: dict[str, tuple[list[str], dict[str, str], Callable[[str], list[str]]]] = {
            "served": (["--api-url", url], env, lambda status: _served(url, status)),
            "sandbox": (["--sandbox"], sandbox_env, lambda status: _embedded(folder, status)),
        }
        for number in range(rounds):
            order = list(sides) if number % 2 == 0 else list(reversed(sides))
            for side in order:
                where, side_env, listed = sides[side]
                for verb, before, after in VERBS.values():
                    _expect(set(ids) <= set(listed(before)), f"{side}: not all {before}")
                    command = [aitasker, "agents", verb, "--stdin", "-o", "ndjson", *where]
                    wall, cpu, out = _run(command, side_env, stdin=id_file)
                    _expect_changed(out, ids)
                    _expect(set(ids) <= set(listed(after)), f"{side}: not all {after}")
                    cases[f"{side} {verb}"].wall.append(wall)
                    cases[f"{side} {verb}"].cpu.append(cpu)
    return cases


VERBS = {"pause": ("pause", "active", "paused"), "resume": ("resume", "paused", "active")}


def _expect_changed(out: bytes, ids: list[str]) -> None:
    lines = out.split(b"\n")
    _expect(lines[-1] == b"", "the last line is cut short")
    items = [json.loads(line) for line in lines[:-1]]
    _expect(sorted(item["id"] for item in items) == sorted(ids), f"{len(items)} results")
    bad = [item for item in items if item.get("outcome") != "changed"]
    _expect(not bad, f"{len(bad)} results not changed, e.g. {bad[:1]}")


def _embedded(folder: Path, status: str) -> list[str]:
    """Every agent with `status` in the `--sandbox` state, read in this process."""
    store = FileStore(folder)
    try:
        with store.session(write=False) as tables:
            return [a["id"] for a in Fleet(tables).list_agents(status, slice(0, 10**9))]
    finally:
        store.close()


def _served(url: str, status: str) -> list[str]:
    found: list[str] = []
    while True:
        query = f"?limit=100&offset={len(found)}&status={status}"
        request = urllib.request.Request(
            f"{url}{AGENTS}{query}", headers={"Authorization": f"Bearer {TOKEN}"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            page = json.load(response)
        found += [agent["id"] for agent in page]
        if len(page) < 100:
            return found


# -- one change -----------------------------------------------------------------------------


def _single(
    aitasker: str, env: dict[str, str], scratch: Path, rounds: int, huge: int
) -> dict[str, Case]:
    fleets: dict[str, tuple[dict[str, str], str]] = {}
    for size in (24, huge):
        folder = scratch / f"fleet-{size}"
        fleet_env = {**env, "AITASKER_SANDBOX_DIR": str(folder)}
        began = time.monotonic()
        _run([aitasker, "sandbox", "reset", "--agents", str(size)], fleet_env)
        print(f"sandbox reset --agents {size}: {time.monotonic() - began:.1f} s", file=sys.stderr)
        fleets[str(size)] = (fleet_env, _embedded(folder, "active")[-1])
    cases = {name: Case() for name in fleets}
    for number in range(rounds):
        order = list(fleets) if number % 2 == 0 else list(reversed(fleets))
        for name in order:
            fleet_env, agent = fleets[name]
            wall = cpu = 0.0
            for verb, status in (("pause", "paused"), ("resume", "active")):
                command = [aitasker, "--sandbox", "agents", verb, agent, "-o", "json"]
                took, used, out = _run(command, fleet_env)
                _expect(json.loads(out)["status"] == status, f"{verb} left {out[:200]!r}")
                wall, cpu = wall + took, cpu + used
            cases[name].wall.append(wall)
            cases[name].cpu.append(cpu)
    return cases


# -- plumbing -------------------------------------------------------------------------------


def _run(
    command: list[str], env: dict[str, str], stdin: Path | None = None
) -> tuple[float, float, bytes]:
    """Wall and CPU seconds of the command, run to the end, and its stdout; exit code checked."""
    with (
        open(stdin or os.devnull, "rb") as source,
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
    ):
        started = time.perf_counter()
        process = subprocess.Popen(command, env=env, stdin=source, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            err.seek(0)
            raise Failed(f"{command[:6]} exited {process.returncode}:\n{err.read()[-2000:]!r}")
        out.seek(0)
        return wall, usage.ru_utime + usage.ru_stime, out.read()


@contextmanager
def _server(command: list[str], env: dict[str, str]) -> Iterator[str]:
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL
    )
    assert process.stdout is not None
    url = process.stdout.readline().decode().strip()
    try:
        if not url.startswith("http"):
            raise Failed(f"server did not start: {process.communicate()[1][-2000:]!r}")
        yield url
    finally:
        if process.poll() is None:
            process.terminate()
        process.communicate(timeout=30)


def _expect(condition: bool, message: str) -> None:
    if not condition:
        raise Failed(f"benchmark check failed: {message}")


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 10 else f"{seconds:.1f} s"


def _machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores; Python {platform.python_version()}"


if __name__ == "__main__":
    main()
