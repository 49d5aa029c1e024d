"""Compressed responses: the body cap counts decoded bytes as they are made (issue 18, item 1).

The end-to-end tests run the installed `aitasker` against tests/hostile.py's gzip bombs over
real HTTP on 127.0.0.1. Each runs under a small Python wrapper that reports the child's peak
memory from getrusage(RUSAGE_CHILDREN): exact however short the peak (sampling /proc could miss
it), and not inflated by the forked copy of the big pytest process, as the wrapper is small.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import tracemalloc
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from aitasker_cli.api import responses
from aitasker_cli.core.errors import UnavailableError
from tests import hostile
from tests.conftest import AGENT_ID, SECRETS, TOKEN, agent
from tests.processes import clean_env, installed_script

MIB = 1024 * 1024
AGENT_PATH = f"/api/v1/workspaces/agents/{AGENT_ID}"

WRAPPER = """
import json, resource, subprocess, sys, time
report, *argv = sys.argv[1:]
started = time.monotonic()
try:
    code = subprocess.run(argv, timeout=60).returncode
except subprocess.TimeoutExpired:
    code = -9
seconds = time.monotonic() - started
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
with open(report, "w") as out:
    json.dump({"code": code, "seconds": seconds, "peak": peak}, out)
"""
"""Runs ARGV, then writes its exit code, seconds and peak RSS (bytes) to the report file."""


@dataclass
class Measured:
    code: int
    stdout: str
    stderr: str
    seconds: float
    peak_rss: int


def show_agent(server: hostile.HostileServer, tmp_path: Path, **extra_env: str) -> Measured:
    """`aitasker agents show AGENT_ID -o json` against `server`, measured by WRAPPER."""
    report = tmp_path / "report.json"
    env = clean_env(AITASKER_TOKEN=TOKEN, **extra_env)
    argv = ["agents", "show", AGENT_ID, "-o", "json", "--api-url", server.url, "--retries", "0"]
    completed = subprocess.run(
        [sys.executable, "-c", WRAPPER, str(report), installed_script(), *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=90,
        check=False,
    )
    facts = json.loads(report.read_text())
    ran = Measured(
        facts["code"], completed.stdout, completed.stderr, facts["seconds"], facts["peak"]
    )
    for secret in SECRETS:
        assert secret not in ran.stdout + ran.stderr
    assert "Traceback" not in ran.stderr, ran.stderr
    return ran


def test_a_legit_gzipped_body_under_a_lowered_cap_is_read(tmp_path: Path) -> None:
    # Random hex barely compresses: the body comes in many network chunks, each decoded.
    notes = os.urandom(300 * 1024).hex()
    with hostile.serve(hostile.gzipped_agent(config={"notes": notes})) as server:
        ran = show_agent(server, tmp_path, AITASKER_MAX_BODY_BYTES=str(MIB))

    assert ran.code == 0, ran.stderr
    assert json.loads(ran.stdout)["config"]["notes"] == notes


def test_a_corrupt_gzip_body_is_exit_7(tmp_path: Path) -> None:
    body = hostile.gzipped(json.dumps(agent()).encode())
    corrupt = body[:20] + bytes(len(body) - 20)
    with hostile.serve(
        lambda exchange: exchange.answer(200, corrupt, [("Content-Encoding", "gzip")])
    ) as server:
        ran = show_agent(server, tmp_path)

    assert ran.code == 7, ran.stderr
    assert "could not be decoded" in ran.stderr
    assert ran.stdout == ""


def test_two_gzip_layers_are_refused_at_once(tmp_path: Path) -> None:
    with hostile.serve(hostile.gzip_bomb(layers=2)) as server:
        ran = show_agent(server, tmp_path)

    assert ran.code == 7, ran.stderr
    assert "unsupported response encoding" in ran.stderr
    assert ran.stdout == ""
    assert ran.seconds < 10


SLACK = 8 * MIB
"""What a run's peak memory may vary by besides the body (measured: well under 1 MiB)."""


@pytest.mark.parametrize(
    ("cap", "said"),
    [(MIB, "1 MiB"), (responses.MAX_BODY_BYTES, "16 MiB")],
    ids=["cap-lowered-to-1MiB", "default-cap"],
)
def test_a_gzip_bomb_stops_at_the_cap_in_flat_memory(cap: int, said: str, tmp_path: Path) -> None:
    """64 MiB of zeros in 64 KiB of gzip: memory grows by the cap at most, not by twice it
    (as one big zlib call would), nor by the body (as inflating each chunk whole does)."""
    lowered = {"AITASKER_MAX_BODY_BYTES": str(cap)}
    with hostile.serve(hostile.gzipped_agent()) as server:
        baseline = show_agent(server, tmp_path, **lowered)
    with hostile.serve(hostile.gzip_bomb(layers=1)) as server:
        ran = show_agent(server, tmp_path, **lowered)

    assert baseline.code == 0, baseline.stderr
    assert ran.code == 7, ran.stderr
    assert f"larger than {said}" in ran.stderr
    assert ran.seconds < 10
    grown = ran.peak_rss - baseline.peak_rss
    assert grown < cap + SLACK, f"peak RSS {ran.peak_rss / MIB:.0f} MiB, {grown / MIB:.0f} MiB more"


# --- the decoding itself, in-process --------------------------------------------------------


class Chunks(httpx.SyncByteStream):
    """`data` in network-sized chunks, as the transport hands them over."""

    def __init__(self, data: bytes, size: int = 64 * 1024) -> None:
        self._data = data
        self._size = size

    def __iter__(self) -> Iterator[bytes]:
        for offset in range(0, len(self._data), self._size):
            yield self._data[offset : offset + self._size]


def raw_response(data: bytes, encoding: str | None) -> httpx.Response:
    headers = {"Content-Encoding": encoding} if encoding is not None else {}
    return httpx.Response(200, headers=headers, stream=Chunks(data))


def test_no_decoding_step_makes_more_than_the_cap() -> None:
    bomb = hostile.gzipped(hostile.zeros(hostile.BOMB_SIZE))
    tracemalloc.start()
    try:
        with pytest.raises(UnavailableError, match="larger than 1 MiB"):
            responses.read_capped(raw_response(bomb, "gzip"), MIB)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert peak < 3 * MIB, f"{peak / MIB:.1f} MiB allocated to refuse a 64 MiB body"


PLAIN = json.dumps([agent()] * 200).encode()


@pytest.mark.parametrize(
    ("encoding", "data"),
    [
        (None, PLAIN),
        ("identity", PLAIN),
        ("gzip", gzip.compress(PLAIN)),
        ("GZip", gzip.compress(PLAIN)),
        ("x-gzip", gzip.compress(PLAIN)),
        ("identity, gzip", gzip.compress(PLAIN)),
        ("deflate", zlib.compress(PLAIN)),
        ("deflate", zlib.compress(PLAIN)[2:-4]),  # raw deflate, without the zlib wrapper
    ],
    ids=["none", "identity", "gzip", "GZip", "x-gzip", "identity-gzip", "deflate", "raw-deflate"],
)
def test_each_supported_encoding_is_decoded(encoding: str | None, data: bytes) -> None:
    assert responses.read_capped(raw_response(data, encoding)) == PLAIN


def test_a_body_exactly_at_the_cap_is_read() -> None:
    data = bytes(MIB)

    assert responses.read_capped(raw_response(gzip.compress(data), "gzip"), MIB) == data
    with pytest.raises(UnavailableError, match="larger than 1 MiB"):
        responses.read_capped(raw_response(gzip.compress(data + b"x"), "gzip"), MIB)


@pytest.mark.parametrize(
    "encoding", ["gzip, gzip", "deflate, gzip", "br", "zstd", "compress", "gzip, br"]
)
def test_encodings_not_read_are_exit_7_unsupported(encoding: str) -> None:
    with pytest.raises(UnavailableError, match="unsupported response encoding") as raised:
        responses.read_capped(raw_response(gzip.compress(PLAIN), encoding))

    assert raised.value.exit_code == 7


def test_an_empty_body_needs_no_decoder() -> None:
    assert responses.read_capped(raw_response(b"", "br")) == b""


@pytest.mark.parametrize(
    ("value", "cap"),
    [
        ("1048576", MIB),
        ("1", 1),
        (" 2048 ", 2048),
        (str(64 * MIB), responses.MAX_BODY_BYTES),
        ("0", responses.MAX_BODY_BYTES),
        ("-5", responses.MAX_BODY_BYTES),
        ("1e6", responses.MAX_BODY_BYTES),
        ("lots", responses.MAX_BODY_BYTES),
        ("9" * 40, responses.MAX_BODY_BYTES),
        ("", responses.MAX_BODY_BYTES),
    ],
)
def test_the_cap_variable_can_only_lower_the_cap(value: str, cap: int) -> None:
    assert responses.body_cap({"AITASKER_MAX_BODY_BYTES": value}) == cap


# --- through the CLI, in-process --------------------------------------------------------------


def test_the_cap_variable_lowers_the_cap_of_the_cli(
    run: Any, api: respx.MockRouter, logged_in: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AITASKER_MAX_BODY_BYTES", "100")
    api.get(AGENT_PATH).mock(return_value=httpx.Response(200, json=agent()))

    result = run("agents", "show", AGENT_ID, "-o", "json")

    assert result.exit_code == 7
    assert "larger than 100 bytes" in result.stderr


def test_a_deflate_body_is_read_through_the_cli(
    run: Any, api: respx.MockRouter, logged_in: str
) -> None:
    body = zlib.compress(json.dumps(agent(display_name="Deflated")).encode())
    api.get(AGENT_PATH).mock(
        return_value=httpx.Response(200, content=body, headers={"Content-Encoding": "deflate"})
    )

    result = run("agents", "show", AGENT_ID, "-o", "json")

    assert result.exit_code == 0, result.stderr
    assert result.json()["display_name"] == "Deflated"
