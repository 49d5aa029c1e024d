"""Bulk and streaming benchmarks of the installed `aitasker`, against `aitasker sandbox serve`.

Run by hand from the repository, after the README's install command:

    python benchmarks/run.py            # the full run (about 6 minutes on 2 cores)
    python benchmarks/run.py --quick    # 100 separate processes instead of 1,000

Wall time and peak memory (max RSS) of every command come from GNU time
(`/usr/bin/time -f "%e %M"`); the time to the first line of a listing is measured here. Every
case runs against its own fresh sandbox server on loopback, with rate limiting off, so the
cases compare the clients and not the server's state. It prints one table, with the targets
from the issue beside the figures.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

GNU_TIME = "/usr/bin/time"
MIB = 1024


@dataclass
class Measure:
    seconds: float
    peak_kib: int


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 separate processes, not 1,000")
    args = parser.parse_args()
    aitasker = _installed("aitasker")
    curl = _installed("curl")
    if not Path(GNU_TIME).exists():
        sys.exit("GNU time is needed at /usr/bin/time (Debian package 'time')")
    separate = 100 if args.quick else 1000
    env = {k: v for k, v in os.environ.items() if not k.startswith("AITASKER_")}
    env["AITASKER_TOKEN"] = "benchmark-token"

    with tempfile.TemporaryDirectory() as scratch:
        rows = []
        with _server(aitasker, 1200) as url:
            ids = _pausable_ids(aitasker, url, env, 1000)
        id_file = Path(scratch) / "ids.txt"
        id_file.write_text("\n".join(ids) + "\n")

        with _server(aitasker, 1200) as url:
            loop = " ".join(
                [
                    f"while read -r id; do '{curl}' -sf -o /dev/null -X POST",
                    "-H 'Authorization: Bearer benchmark-token'",
                    f"'{url}/api/v1/workspaces/agents/'\"$id\"/pause; done < '{id_file}'",
                ]
            )
            curl_loop = _timed(["bash", "-c", loop], env)
        with _server(aitasker, 1200) as url:
            bulk = _timed(
                [aitasker, "agents", "pause", "--stdin", "-o", "ndjson", "--api-url", url],
                env,
                stdin=id_file,
            )
        rows.append(
            (
                "pause 1,000 from stdin: wall time",
                f"{bulk.seconds:.2f} s",
                f"curl loop {curl_loop.seconds:.2f} s; "
                f"ratio {bulk.seconds / curl_loop.seconds:.3f}",
                "<= 0.25x",
                bulk.seconds <= 0.25 * curl_loop.seconds,
            )
        )
        rows.append(
            (
                "pause 1,000 from stdin: peak memory",
                f"{bulk.peak_kib / MIB:.1f} MiB",
                "",
                "<= 150 MiB",
                bulk.peak_kib <= 150 * MIB,
            )
        )

        with _server(aitasker, 10_000) as url:
            first_line, listing, lines = _listing(aitasker, url, env)
        rows.append(
            (
                "list --all -o ndjson, 10,000 agents: wall time",
                f"{listing.seconds:.2f} s",
                f"{lines} lines; first after {first_line:.2f} s",
                "first line before the end",
                lines == 10_000 and first_line < listing.seconds / 2,
            )
        )
        rows.append(
            (
                "list --all -o ndjson, 10,000 agents: peak memory",
                f"{listing.peak_kib / MIB:.1f} MiB",
                "",
                "<= 150 MiB",
                listing.peak_kib <= 150 * MIB,
            )
        )

        with _server(aitasker, 1200) as url:
            some = ids[:separate]
            started = time.monotonic()
            for agent_id in some:
                subprocess.run(
                    [aitasker, "agents", "pause", agent_id, "-o", "id", "--api-url", url],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    check=True,
                )
            processes = time.monotonic() - started
        per_process = processes / separate
        rows.append(
            (
                f"{separate:,} separate processes vs one bulk call",
                f"{processes:.1f} s ({per_process * 1000:.0f} ms each)",
                f"bulk call {bulk.seconds:.2f} s for 1,000; "
                f"ratio {per_process * 1000 / bulk.seconds:.0f}x per 1,000",
                "report",
                None,
            )
        )

    _print(rows)


def _installed(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        sys.exit(f"{name} is not on PATH; run the README's install command first")
    return found


@contextmanager
def _server(aitasker: str, agents: int) -> Iterator[str]:
    process = subprocess.Popen(
        [aitasker, "sandbox", "serve", "--port", "0", "--agents", str(agents), "--rate-limit", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    try:
        yield process.stdout.readline().strip()
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)


def _pausable_ids(aitasker: str, url: str, env: dict[str, str], count: int) -> list[str]:
    listed = subprocess.run(
        [
            aitasker,
            "agents",
            "list",
            "--all",
            "-o",
            "tsv",
            "--fields",
            "id,status",
            "--api-url",
            url,
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    rows = [line.split("\t") for line in listed.stdout.splitlines()]
    return [agent_id for agent_id, status in rows if status != "cancelled"][:count]


def _timed(command: list[str], env: dict[str, str], stdin: Path | None = None) -> Measure:
    with open(stdin or os.devnull, "rb") as source:
        completed = subprocess.run(
            [GNU_TIME, "-f", "TIMED %e %M", *command],
            env=env,
            stdin=source,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    return _parse_time(completed.stderr)


def _listing(aitasker: str, url: str, env: dict[str, str]) -> tuple[float, Measure, int]:
    started = time.monotonic()
    process = subprocess.Popen(
        [
            GNU_TIME,
            "-f",
            "TIMED %e %M",
            aitasker,
            "agents",
            "list",
            "--all",
            "-o",
            "ndjson",
            "--api-url",
            url,
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    process.stdout.readline()
    first_line = time.monotonic() - started
    rest, err = process.communicate()
    return first_line, _parse_time(err), 1 + len(rest.splitlines())


def _parse_time(stderr: str) -> Measure:
    for line in stderr.splitlines():
        if line.startswith("TIMED "):
            _, seconds, kib = line.split()
            return Measure(float(seconds), int(kib))
    raise SystemExit(f"no timing in: {stderr[-500:]}")


def _print(rows: list[tuple[str, str, str, str, bool | None]]) -> None:
    cpu = _cpu_model()
    print(
        f"machine: {cpu}, {os.cpu_count()} cores; Python {platform.python_version()}; "
        f"{platform.system()} {platform.release()}"
    )
    print(f"{'case':50} {'figure':26} {'compared with':52} {'target':26} ok")
    for case, figure, compared, target, ok in rows:
        verdict = "-" if ok is None else ("yes" if ok else "NO")
        print(f"{case:50} {figure:26} {compared:52} {target:26} {verdict}")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


if __name__ == "__main__":
    main()
