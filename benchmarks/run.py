"""Benchmarks of the installed `aitasker` against its floors, on loopback sandbox servers.

Run by hand from the repository, after the README's install command:

    python benchmarks/run.py            # the full run (about 10 minutes on 2 cores)
    python benchmarks/run.py --quick    # a smoke run: 2 rounds, 100 agents in bulk

Every case is run in rounds, the peers of a case one after another within each round, so the
machine's noise falls on all of them alike; the table gives each one's median, min and max
wall time and its median peak memory (max RSS, from GNU time), and the ratio of
medians against the case's floor. Every run is checked: its exit code, its output (every
line counted from a binary pipe or file, every result parsed) and, for changes, the server's
state afterwards (the agents it was given are paused, and were all active before).

Floors, kept in this folder so that anyone can check they are not slowed down:
  minimal_app.py    a two-command Typer app's --help (start-up and TAB);
  floor_single.py   typer + httpx + pydantic, one model, one request with httpx.Client();
  floor_bulk.py     the same stack, one httpx.Client, a 4-thread pool, one JSON line a result.
Servers: `aitasker sandbox serve --rate-limit 0` for http (listen backlog 128), and
serve.py (the same app and server class) for https, with a throwaway CA made by openssl and
SSL_CERT_FILE pointing at it, and for the listing, where it notes when each page is asked for.
Bulk runs each get a fresh server, so every run pauses the same active agents.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import platform
import shutil
import signal
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

from aitasker_cli.cli.agents import DEFAULT_CONCURRENCY

HERE = Path(__file__).resolve().parent
TOKEN = "benchmark-token"
AGENTS = "/api/v1/workspaces/agents"
PYTHON = sys.executable
"""The Python that runs the floors and serve.py: this one, or that of --alone's fresh venv."""
SEED_FOR_ACTIVE = 1700
"""The seed cycles 5 active agents in 8: 1,700 hold 1,000 active ones and some to spare."""


@dataclass
class Run:
    seconds: float
    peak_kib: int
    stdout: bytes


@dataclass
class Case:
    samples: list[float] = field(default_factory=list)
    peaks: list[int] = field(default_factory=list)

    def add(self, run: Run) -> None:
        self.samples.append(run.seconds)
        self.peaks.append(run.peak_kib)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)


@dataclass
class Row:
    name: str
    case: Case
    floor: str | None = None
    target: float | None = None
    memory_target_mib: float | None = None
    note: str = ""


class Failed(SystemExit):
    pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run: 2 rounds, small bulk")
    parser.add_argument("--rounds", type=int, help="rounds of each case [10; --help: 2x]")
    parser.add_argument("--json", type=Path, help="also write every sample to this file")
    parser.add_argument(
        "--alone",
        action="store_true",
        help="measure an install of aitasker alone (a fresh venv, `pip install .`: no test "
        "tools, so no click, whose presence makes httpx load its own command line)",
    )
    args = parser.parse_args()
    rounds = args.rounds or (2 if args.quick else 10)
    bulk_size = 100 if args.quick else 1000
    aitasker = _installed("aitasker")
    curl = _installed("curl")
    _installed("openssl")
    if not Path(GNU_TIME).exists():
        sys.exit("GNU time is needed at /usr/bin/time (Debian package 'time')")
    # A wheel install byte-compiles the package; an editable one under PYTHONDONTWRITEBYTECODE
    # would compile it from source on every run, a cost no user pays.
    import aitasker_cli

    compileall.compile_dir(Path(aitasker_cli.__file__).parent, quiet=1)

    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        if args.alone:
            aitasker = _install_alone(scratch / "alone")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AITASKER_", "_AIT"))}
        env.update(
            AITASKER_TOKEN=TOKEN,
            XDG_CONFIG_HOME=str(scratch / "config"),
            XDG_CACHE_HOME=str(scratch / "cache"),
            XDG_STATE_HOME=str(scratch / "state"),
            XDG_DATA_HOME=str(scratch / "data"),
        )
        # Only the https cases trust the throwaway CA: over http the floor's default client
        # still loads the machine's usual trust store, as it would for any user.
        tls_env = {**env, "SSL_CERT_FILE": _make_ca(scratch)}
        rows: list[Row] = []
        started = time.monotonic()
        rows += _startup(aitasker, env, rounds * 2)
        rows += _single(aitasker, {"http": env, "https": tls_env}, scratch, rounds)
        rows += _bulk(aitasker, curl, env, scratch, rounds, bulk_size, quick=args.quick)
        rows += _listing(aitasker, env, scratch, rounds, 1000 if args.quick else 10_000)
        took = time.monotonic() - started
    _print(rows, rounds, took, "aitasker alone" if args.alone else "this environment")
    if args.json:
        args.json.write_text(
            json.dumps({r.name: {"s": r.case.samples, "kib": r.case.peaks} for r in rows})
        )


# -- start-up -------------------------------------------------------------------------------


def _startup(aitasker: str, env: dict[str, str], rounds: int) -> list[Row]:
    completion = {
        **env,
        "_AITASKER_COMPLETE": "complete_bash",
        "COMP_WORDS": "aitasker agents pause 18",
        "COMP_CWORD": "3",
    }
    floor, helped, tab = Case(), Case(), Case()
    for _ in range(rounds):
        floor.add(_run([PYTHON, str(HERE / "minimal_app.py"), "--help"], env))
        run = _run([aitasker, "--help"], env)
        _expect(b"agents" in run.stdout, "aitasker --help printed no command list")
        helped.add(run)
        tab.add(_run([aitasker], completion))
    name = "minimal Typer app --help (Typer floor)"
    return [
        Row(name, floor),
        Row("aitasker --help", helped, name, 1.0),
        Row("completion request (TAB)", tab, name, 0.5),
    ]


# -- one call -------------------------------------------------------------------------------


def _single(
    aitasker: str, envs: dict[str, dict[str, str]], scratch: Path, rounds: int
) -> list[Row]:
    cert, key = str(scratch / "server.pem"), str(scratch / "server.key")
    rows: list[Row] = []
    cases = {
        name: Case()
        for name in (
            "floor GET http",
            "show http",
            "floor POST http",
            "pause http",
            "floor GET https",
            "show https",
            "floor POST https",
            "pause https",
        )
    }
    with (
        _server([aitasker, "sandbox", "serve", "--port", "0", "--rate-limit", "0"], 200) as http,
        _server([PYTHON, str(HERE / "serve.py"), "--cert", cert, "--key", key], 200) as https,
    ):
        for scheme, url in (("http", http), ("https", https)):
            env = envs[scheme]
            active = iter(_agents(url, env, "active"))
            paused: list[str] = []
            shown = _agents(url, env, None)[0]
            for _ in range(rounds):
                run = _run([PYTHON, str(HERE / "floor_single.py"), "GET",
                            f"{url}{AGENTS}/{shown}"], env)  # fmt: skip
                _expect(json.loads(run.stdout)["id"] == shown, "the floor showed another agent")
                cases[f"floor GET {scheme}"].add(run)
                run = _run([aitasker, "agents", "show", shown, "-o", "json", "--api-url", url], env)
                _expect(json.loads(run.stdout)["id"] == shown, "show printed another agent")
                cases[f"show {scheme}"].add(run)
                one = next(active)
                run = _run([PYTHON, str(HERE / "floor_single.py"), "POST",
                            f"{url}{AGENTS}/{one}/pause"], env)  # fmt: skip
                _expect(json.loads(run.stdout)["status"] == "paused", "the floor did not pause")
                cases[f"floor POST {scheme}"].add(run)
                paused.append(one)
                one = next(active)
                run = _run([aitasker, "agents", "pause", one, "-o", "id", "--api-url", url], env)
                _expect(run.stdout.decode().strip() == one, f"pause printed {run.stdout[:200]!r}")
                cases[f"pause {scheme}"].add(run)
                paused.append(one)
            _expect_status(url, env, paused, "paused")
            rows += [
                Row(f"floor_single.py GET ({scheme}, stack floor)", cases[f"floor GET {scheme}"]),
                Row(
                    f"agents show ID -o json ({scheme})",
                    cases[f"show {scheme}"],
                    f"floor_single.py GET ({scheme}, stack floor)",
                    1.0,
                ),
                Row(
                    f"floor_single.py POST pause ({scheme}, stack floor)",
                    cases[f"floor POST {scheme}"],
                ),
                Row(
                    f"agents pause ID -o id ({scheme}; GET + POST)",
                    cases[f"pause {scheme}"],
                    f"floor_single.py POST pause ({scheme}, stack floor)",
                    1.0,
                ),
            ]
    return rows


# -- bulk -----------------------------------------------------------------------------------


def _bulk(
    aitasker: str,
    curl: str,
    env: dict[str, str],
    scratch: Path,
    rounds: int,
    size: int,
    *,
    quick: bool,
) -> list[Row]:
    serve = [aitasker, "sandbox", "serve", "--port", "0", "--rate-limit", "0"]
    serve += ["--agents", str(SEED_FOR_ACTIVE)]
    with _server(serve, SEED_FOR_ACTIVE) as url:
        ids = _agents(url, env, "active")[:size]
    _expect(len(ids) == size, f"only {len(ids)} active agents in the seed")
    id_file = scratch / "ids.txt"
    id_file.write_text("\n".join(ids) + "\n")
    config = scratch / "curl.cfg"

    def curl_config(url: str) -> None:
        lines = [f'url = "{url}{AGENTS}/{i}/pause"\noutput = "/dev/null"' for i in ids]
        config.write_text("\n".join(lines) + "\n")

    floor_name = f"floor_bulk.py, 4 threads (bulk stack floor), {size:,} POSTs"
    peers: dict[str, tuple[Callable[[str], list[str]], Callable[[Run], None]]] = {
        floor_name: (
            lambda url: [PYTHON, str(HERE / "floor_bulk.py"), url],
            lambda run: _expect_lines(run, size, lambda o: o["status"] == "paused"),
        ),
        f"aitasker agents pause --stdin -o ndjson (default -j {DEFAULT_CONCURRENCY})": (
            lambda url: [aitasker, "agents", "pause", "--stdin", "-o", "ndjson", "--api-url", url],
            lambda run: _expect_lines(run, size, lambda o: o.get("outcome") == "changed"),
        ),
        "curl --parallel --parallel-max 8": (
            lambda url: (
                curl_config(url),
                [
                    curl,
                    "-sS",
                    "--fail",
                    "--parallel",
                    "--parallel-max",
                    "8",
                    "-X",
                    "POST",
                    "-H",
                    f"Authorization: Bearer {TOKEN}",
                    "-w",
                    "%{http_code}\\n",
                    "--config",
                    str(config),
                ],
            )[1],
            lambda run: _expect(
                run.stdout.split() == [b"200"] * size, "curl --parallel: not all 200"
            ),
        ),
    }
    for jobs in sorted({1, 2, 4, 8} - {DEFAULT_CONCURRENCY}):
        peers[f"aitasker agents pause --stdin -o ndjson -j {jobs}"] = (
            lambda url, jobs=jobs: (
                [
                    aitasker,
                    "agents",
                    "pause",
                    "--stdin",
                    "-o",
                    "ndjson",
                    "-j",
                    str(jobs),
                    "--api-url",
                    url,
                ]
            ),
            lambda run: _expect_lines(run, size, lambda o: o.get("outcome") == "changed"),
        )
    cases = {name: Case() for name in peers}
    for _ in range(rounds):
        for name, (command, check) in peers.items():
            with _server(serve, SEED_FOR_ACTIVE) as url:
                _expect_status(url, env, ids, "active")
                run = _run(command(url), env, stdin=id_file)
                check(run)
                _expect_status(url, env, ids, "paused")
            cases[name].add(run)
    rows = [Row(floor_name, cases.pop(floor_name))]
    for name, case in cases.items():
        target = None if "curl" in name else 1.1
        memory = None if "curl" in name else 64.0
        if "-j" in name and "default" not in name:
            target = None
        rows.append(Row(name, case, floor_name, target, memory))
    if not quick:  # the old comparison, once: 1,000 curl processes one after another
        with _server(serve, SEED_FOR_ACTIVE) as url:
            loop = (
                f"while read -r id; do '{curl}' -sSf -o /dev/null -X POST "
                f"-H 'Authorization: Bearer {TOKEN}' '{url}{AGENTS}/'\"$id\"/pause || exit 1; "
                f"done < '{id_file}'"
            )
            case = Case()
            case.add(_run(["bash", "-c", loop], env))
            _expect_status(url, env, ids, "paused")
        rows.append(Row("sequential curl loop (1 run)", case, floor_name))
    return rows


# -- listing --------------------------------------------------------------------------------


def _listing(
    aitasker: str, env: dict[str, str], scratch: Path, rounds: int, count: int
) -> list[Row]:
    log = scratch / "pages.log"
    serve = [PYTHON, str(HERE / "serve.py"), "--agents", str(count)]
    case = Case()
    leads: list[float] = []
    with _server([*serve, "--page-log", str(log)], count) as url:
        for _ in range(rounds):
            log.write_text("")
            command = [aitasker, "agents", "list", "--all", "-o", "ndjson", "--api-url", url]
            started = time.perf_counter()
            first_at = None
            lines = 0
            tail = b""
            process = subprocess.Popen(_timed(command), env=env, stdout=subprocess.PIPE)
            assert process.stdout is not None
            fd = process.stdout.fileno()
            seen: set[str] = set()
            while chunk := os.read(fd, 1 << 16):
                if first_at is None and b"\n" in chunk:
                    first_at = time.monotonic()
                data = tail + chunk
                *complete, tail = data.split(b"\n")
                for line in complete:
                    seen.add(json.loads(line)["id"])
                lines += len(complete)
            run = _reap(process, started, b"")
            _expect(tail == b"", "the listing's last line is cut short")
            _expect(lines == count and len(seen) == count, f"{lines} lines, {len(seen)} IDs")
            pages = [float(line.split()[0]) for line in log.read_text().splitlines()]
            _expect(first_at is not None and len(pages) > 1, "no pages")
            assert first_at is not None
            leads.append(max(pages) - first_at)
            case.add(run)
    early = sum(lead > 0 for lead in leads)
    note = (
        f"first line before the last page is asked for: {'met' if early == rounds else 'NOT met'}"
        f" ({early} of {rounds} runs; by {min(leads):.2f} s at least)"
    )
    return [
        Row(f"agents list --all -o ndjson, {count:,} agents", case, None, None, 64.0, note),
    ]


# -- plumbing -------------------------------------------------------------------------------


GNU_TIME = "/usr/bin/time"
MEMORY = Path(tempfile.gettempdir()) / f"aitasker-bench-{os.getpid()}.kib"


def _timed(command: list[str]) -> list[str]:
    """The command under GNU time, which notes its peak RSS in MEMORY. Not wait4's ru_maxrss:
    Linux keeps the high-water mark of the process that forked it (here, this script's
    Python) across exec, so every small command would read as big as this script."""
    return [GNU_TIME, "-f", "%M", "-o", str(MEMORY), *command]


def _run(command: list[str], env: dict[str, str], stdin: Path | None = None) -> Run:
    """Run to the end, its stdout to a file (no pipe to drain), its exit code checked."""
    command = _timed(command)
    with (
        open(stdin or os.devnull, "rb") as source,
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
    ):
        started = time.perf_counter()
        process = subprocess.Popen(command, env=env, stdin=source, stdout=out, stderr=err)
        run = _reap(process, started, b"")
        err.seek(0)
        if run.peak_kib < 0:
            raise Failed(f"{command[:6]} failed:\n{err.read()[-2000:].decode(errors='replace')}")
        out.seek(0)
        run.stdout = out.read()
    return run


def _reap(process: subprocess.Popen[bytes], started: float, stdout: bytes) -> Run:
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        if process.stdout is None:
            return Run(seconds, -1, stdout)
        raise Failed(f"{process.args!r} exited {process.returncode}")
    del usage
    return Run(seconds, int(MEMORY.read_text().split()[-1]), stdout)


def _expect(condition: bool, message: str) -> None:
    if not condition:
        raise Failed(f"benchmark check failed: {message}")


def _expect_lines(run: Run, count: int, good: Callable[[dict[str, object]], bool]) -> None:
    lines = run.stdout.split(b"\n")
    _expect(lines[-1] == b"", "the last line is cut short")
    items = [json.loads(line) for line in lines[:-1]]
    _expect(len(items) == count, f"{len(items)} lines, not {count}")
    bad = [item for item in items if not good(item)]
    _expect(not bad, f"{len(bad)} results not as expected, e.g. {bad[:1]}")


def _get(url: str, env: dict[str, str]) -> object:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {TOKEN}"})
    context = None
    if url.startswith("https:"):
        import ssl

        context = ssl.create_default_context(cafile=env["SSL_CERT_FILE"])
    with urllib.request.urlopen(request, timeout=30, context=context) as response:
        return json.load(response)


def _agents(url: str, env: dict[str, str], status: str | None) -> list[str]:
    """Every agent's ID on the server, or those with one status, in the server's order."""
    found: list[str] = []
    while True:
        query = f"?limit=100&offset={len(found)}" + (f"&status={status}" if status else "")
        page = _get(f"{url}{AGENTS}{query}", env)
        assert isinstance(page, list)
        found += [agent["id"] for agent in page]
        if len(page) < 100:
            return found


def _expect_status(url: str, env: dict[str, str], ids: list[str], status: str) -> None:
    have = set(_agents(url, env, status))
    missing = [i for i in ids if i not in have]
    _expect(not missing, f"{len(missing)} of {len(ids)} agents are not {status}")


@contextmanager
def _server(command: list[str], agents: int) -> Iterator[str]:
    if "--agents" not in command:
        command = [*command, "--agents", str(agents)]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL
    )
    assert process.stdout is not None
    url = process.stdout.readline().decode().strip()
    try:
        if not url.startswith("http"):
            raise Failed(f"server did not start: {process.communicate()[1][-2000:]!r}")
        yield url
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)


def _make_ca(scratch: Path) -> str:
    """A throwaway CA and a certificate for 127.0.0.1 signed by it; the CA's path."""

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=scratch, check=True, capture_output=True)

    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
            "-subj", "/CN=aitasker benchmark CA")  # fmt: skip
    openssl("req", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1")
    (scratch / "ext.cnf").write_text(
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
        "keyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n"
        "authorityKeyIdentifier=keyid,issuer\n"
    )
    signing = ["-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-extfile", "ext.cnf"]
    openssl("x509", "-req", "-in", "server.csr", *signing, "-out", "server.pem", "-days", "2")
    return str(scratch / "ca.pem")


def _install_alone(venv: Path) -> str:
    """A fresh venv holding aitasker and its dependencies only; its `aitasker`. Its Python
    runs the floors too (PYTHON), so both sides import the same libraries."""
    global PYTHON
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    PYTHON = str(venv / "bin" / "python")
    subprocess.run([PYTHON, "-m", "pip", "install", "--quiet", str(HERE.parent)], check=True)
    return str(venv / "bin" / "aitasker")


def _installed(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        sys.exit(f"{name} is not on PATH; run the README's install command first")
    return found


def _print(rows: list[Row], rounds: int, took: float, install: str) -> None:
    by_name = {row.name: row for row in rows}
    print(f"{date.today().isoformat()}; {_machine()}; {took / 60:.1f} min in all; {install}")
    print(f"{rounds} interleaved rounds (start-up: {2 * rounds}); ratio = median / floor median")
    print()
    print("| case | median | min | max | peak memory | ratio to floor | target |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for row in rows:
        case = row.case
        ratio, verdicts = "", []
        if row.floor:
            value = case.median / by_name[row.floor].case.median
            ratio = f"{value:.2f}x"
            if row.target is not None:
                verdicts.append(f"<= {row.target}x: {'met' if value <= row.target else 'NOT met'}")
        peak = statistics.median(case.peaks) / 1024
        if row.memory_target_mib is not None:
            ok = max(case.peaks) / 1024 <= row.memory_target_mib
            verdicts.append(f"<= {row.memory_target_mib:.0f} MiB: {'met' if ok else 'NOT met'}")
        if row.note:
            verdicts.append(row.note)
        print(
            f"| {row.name} | {_ms(case.median)} | {_ms(min(case.samples))} | "
            f"{_ms(max(case.samples))} | {peak:.1f} MiB | {ratio} | {'; '.join(verdicts)} |"
        )


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
