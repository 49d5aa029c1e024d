"""`aitasker tasks inbox` over 200 workspaces against `aitasker sandbox serve`: time and requests.

Run by hand from the repository, after the README's install command:

    python benchmarks/tasks_inbox.py            # 7 rounds, 200 workspaces
    python benchmarks/tasks_inbox.py --quick    # a smoke run: 2 rounds

Against `sandbox serve --agents 200 --rate-limit 0` (one workspace per agent), each round runs
`tasks inbox` in three formats, `--count`, and the inbox with 1, 2, 4 and 8 workspaces listed
at once (the default is aitasker_cli/ops/task_listing.py's CONCURRENCY), in turn. Every run is
checked: exit code, and the inbox equal to the awaiting tasks of the seed, oldest first. The
requests of each kind are counted once, from `--debug`, and compared with the contract's cost:
⌈(W+1)/page⌉ workspace requests, per workspace ⌈(n+1)/page⌉ (one more when its first page is
short but not empty), ⌈(A+1)/page⌉ agent requests when names are shown.

The same inbox with 1, 2, 4 and 8 at once runs again through a proxy that delays every answer
by 50 ms, as a distant API would: there the concurrency pays (against loopback it cannot).

Then once against a fresh `sandbox serve --agents 200` with its default rate limit (300 a
minute per client): the inbox must finish with no 429 among its requests.
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
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from aitasker_cli.sandbox.seed import seed_state

TOKEN = "benchmark-token"
LATENCY = 0.05
"""Seconds the slow proxy holds each answer back."""
PAGE = 50
WORKSPACES = 200
RUN_WITH = (
    "import sys, aitasker_cli.ops.task_listing as listing; "
    "listing.CONCURRENCY = int(sys.argv.pop(1)); "
    "from aitasker_cli.entry import main; main()"
)
"""`aitasker` with the number of workspaces listed at once set for this run."""


class Failed(SystemExit):
    pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 rounds")
    parser.add_argument("--rounds", type=int, help="rounds of each case [7; --quick: 2]")
    args = parser.parse_args()
    rounds = args.rounds or (2 if args.quick else 7)
    aitasker = str(Path(sys.executable).with_name("aitasker"))
    if not Path(aitasker).exists():
        sys.exit(f"no {aitasker}; run the README's install command first")

    seed = seed_state(WORKSPACES)
    awaiting = sorted(
        (t for t in seed["tasks"].values() if t["status"] == "awaiting_approval"),
        key=lambda t: (t["created_at"], t["id"]),
    )
    per_workspace = Counter(t["workspace_id"] for t in awaiting)
    expected_requests = _listing(len(seed["workspaces"])) + sum(
        _listing(per_workspace[w]) for w in seed["workspaces"]
    )
    named_requests = expected_requests + _listing(len(seed["agents"]))
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as scratch_name:
        env = _env(Path(scratch_name))
        serve = [aitasker, "sandbox", "serve", "--port", "0", "--agents", str(WORKSPACES)]
        cases: dict[str, list[tuple[float, float]]] = {}
        with _server([*serve, "--rate-limit", "0"], env) as url:
            env["AITASKER_API_URL"] = url
            requests = {
                "-o tsv": _requests([aitasker, "tasks", "inbox", "-o", "tsv"], env),
                "-o json": _requests([aitasker, "tasks", "inbox", "-o", "json"], env),
                "--count": _requests([aitasker, "tasks", "inbox", "--count"], env),
            }
            _expect(requests["-o tsv"] == named_requests, f"tsv: {requests['-o tsv']} requests")
            _expect(requests["-o json"] == expected_requests, f"{requests['-o json']} requests")
            commands = {
                "`tasks inbox -o table`": [aitasker, "tasks", "inbox", "-o", "table"],
                "`tasks inbox -o tsv`": [aitasker, "tasks", "inbox", "-o", "tsv"],
                "`tasks inbox -o json`": [aitasker, "tasks", "inbox", "-o", "json"],
                "`tasks inbox --count`": [aitasker, "tasks", "inbox", "--count"],
                **{
                    f"`tasks inbox -o json`, {n} at once": [
                        sys.executable, "-c", RUN_WITH, str(n), "tasks", "inbox", "-o", "json",
                    ]
                    for n in (1, 2, 4, 8)
                },
            }  # fmt: skip
            for _round in range(rounds):
                for name, command in commands.items():
                    wall, cpu, out = _run(command, env)
                    _check(name, out, awaiting)
                    cases.setdefault(name, []).append((wall, cpu))
            with _slow_proxy(url, LATENCY) as slow:
                env["AITASKER_API_URL"] = slow
                for _round in range(rounds):
                    for n in (1, 2, 4, 8):
                        name = (
                            f"`tasks inbox -o json`, {n} at once, {LATENCY * 1000:.0f} ms a request"
                        )
                        command = [
                            sys.executable,
                            "-c",
                            RUN_WITH,
                            str(n),
                            "tasks",
                            "inbox",
                            "-o",
                            "json",
                        ]
                        wall, cpu, out = _run(command, env)
                        _check(name, out, awaiting)
                        cases.setdefault(name, []).append((wall, cpu))
        env.pop("AITASKER_API_URL")
        with _server(serve, env) as url:  # the default rate limit: 300 a minute
            env["AITASKER_API_URL"] = url
            began = time.perf_counter()
            debug = _run([aitasker, "tasks", "inbox", "-o", "tsv", "--debug"], env, err=True)
            limited = time.perf_counter() - began
    log = debug[2].decode()
    sent = sum(1 for line in log.splitlines() if line.startswith("debug: GET "))
    refused = log.count("-> 429")
    print(f"{date.today().isoformat()}; {_machine()}; {(time.monotonic() - started):.0f} s in all")
    print(
        f"{WORKSPACES} workspaces, {len(seed['agents'])} agents, {len(awaiting)} awaiting tasks "
        f"in {len(per_workspace)} workspaces; {rounds} rounds; medians"
    )
    print()
    print("| case | requests | wall | CPU |")
    print("| --- | --- | --- | --- |")
    for name, runs in cases.items():
        made = requests["-o tsv"] if "table" in name or "tsv" in name else requests["-o json"]
        made = requests["--count"] if "count" in name else made
        wall = statistics.median(run[0] for run in runs)
        cpu = statistics.median(run[1] for run in runs)
        print(f"| {name} | {made} | {_ms(wall)} | {_ms(cpu)} |")
    print(
        f"| `tasks inbox -o tsv`, default rate limit (300/min) | {sent}, {refused} refused "
        f"(429) | {_ms(limited)} | {_ms(debug[1])} |"
    )
    _expect(refused == 0, f"{refused} requests were refused with 429")


def _listing(n: int) -> int:
    return n // PAGE + 1 + (1 if 0 < n < PAGE else 0)


def _check(name: str, out: bytes, awaiting: list[dict[str, object]]) -> None:
    text = out.decode()
    if "--count" in name:
        _expect(text == f"{len(awaiting)}\n", f"{name}: {text!r}")
    elif "json" in name:
        shown = [task["id"] for task in json.loads(text)]
        _expect(shown == [t["id"] for t in awaiting], f"{name}: not the inbox, oldest first")
    elif "tsv" in name:
        shown = [line.split("\t")[0] for line in text.splitlines()]
        _expect(shown == [t["id"] for t in awaiting], f"{name}: not the inbox, oldest first")
    else:
        _expect(all(str(t["id"])[:8] in text for t in awaiting), f"{name}: a task is missing")


def _requests(command: list[str], env: dict[str, str]) -> int:
    _wall, _cpu, err = _run([*command, "--debug"], env, err=True)
    return sum(1 for line in err.decode().splitlines() if line.startswith("debug: GET "))


def _env(scratch: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AITASKER_", "_AIT"))}
    env.update(
        AITASKER_TOKEN=TOKEN,
        AITASKER_CONFIG_DIR=str(scratch / "config"),
        AITASKER_CACHE_DIR=str(scratch / "cache"),
        AITASKER_STATE_DIR=str(scratch / "state"),
        AITASKER_SANDBOX_DIR=str(scratch / "sandbox"),
        COLUMNS="200",
    )
    return env


def _run(
    command: list[str], env: dict[str, str], *, err: bool = False
) -> tuple[float, float, bytes]:
    """Wall and CPU seconds of the command, run to the end, and its stdout (or stderr)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as errors:
        started = time.perf_counter()
        process = subprocess.Popen(
            command, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=errors
        )
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        code = os.waitstatus_to_exitcode(status)
        errors.seek(0)
        if code != 0:
            raise Failed(f"{command[:6]} exited {code}:\n{errors.read()[-2000:]!r}")
        out.seek(0)
        return wall, usage.ru_utime + usage.ru_stime, (errors if err else out).read()


@contextmanager
def _slow_proxy(upstream: str, latency: float) -> Iterator[str]:
    """A loopback proxy to `upstream` that answers every GET `latency` seconds late."""
    import socket
    import threading
    import urllib.error
    import urllib.request
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handle(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_args: object) -> None:
            pass

        def setup(self) -> None:
            super().setup()
            # Headers and body go out in two writes: without this, the second waits for
            # the client's delayed ACK (40 ms), which would be measured as latency.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def do_GET(self) -> None:
            time.sleep(latency)
            request = urllib.request.Request(
                upstream + self.path, headers={"Authorization": self.headers["Authorization"]}
            )
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    status, headers, body = response.status, response.headers, response.read()
            except urllib.error.HTTPError as refused:
                status, headers, body = refused.code, refused.headers, refused.read()
            self.send_response(status)
            for name in ("Content-Type", "X-RateLimit-Limit", "X-RateLimit-Remaining"):
                if headers.get(name):
                    self.send_header(name, headers[name])
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handle)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


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
    return (
        f"{cpu}, {os.cpu_count()} cores; Python {platform.python_version()}; "
        f"{platform.system()} {platform.release()}"
    )


if __name__ == "__main__":
    main()
