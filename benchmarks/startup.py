"""Start-up cost of `aitasker --help` and of a completion request, against the Typer floor.

    python benchmarks/startup.py [--runs 40]

The floor is `benchmarks/minimal_app.py --help`, a two-command Typer app, run by the same
Python. The three commands are run in turn, round after round, so that the machine's noise
falls on all of them alike; the table gives each one's median and fastest wall time, each
with its ratio to the floor's (targets: --help <= 1.0x, TAB <= 0.5x).
`benchmarks/run.py` runs the same three among its cases.
"""

from __future__ import annotations

import argparse
import compileall
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    runs = parser.parse_args().runs
    aitasker = shutil.which("aitasker")
    if aitasker is None:
        sys.exit("aitasker is not on PATH; run the README's install command first")
    # A wheel install byte-compiles the package, as pip did for Typer; an editable one under
    # PYTHONDONTWRITEBYTECODE would compile it from source on every run, which users never pay.
    import aitasker_cli

    compileall.compile_dir(Path(aitasker_cli.__file__).parent, quiet=1)
    quiet = {k: v for k, v in os.environ.items() if not k.startswith(("AITASKER_", "_AITASKER"))}
    completion = {
        **quiet,
        "_AITASKER_COMPLETE": "complete_bash",
        "COMP_WORDS": "aitasker agents pause 18",
        "COMP_CWORD": "3",
    }
    cases = {
        "minimal Typer app --help (floor)": (
            [sys.executable, str(HERE / "minimal_app.py"), "--help"],
            quiet,
        ),
        "aitasker --help": ([aitasker, "--help"], quiet),
        "aitasker completion request (TAB)": ([aitasker], completion),
    }
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(runs):
        for name, (command, env) in cases.items():
            started = time.perf_counter()
            subprocess.run(command, env=env, stdout=subprocess.DEVNULL, check=True)
            times[name].append(time.perf_counter() - started)
    floor_samples = next(iter(times.values()))
    floor, floor_best = statistics.median(floor_samples), min(floor_samples)
    print(f"machine: {os.cpu_count()} cores; Python {platform.python_version()}; {runs} runs each")
    for name, samples in times.items():
        median, best = statistics.median(samples), min(samples)
        print(
            f"{name:38} median {median * 1000:6.1f} ms {median / floor:5.2f}x the floor"
            f"   fastest {best * 1000:6.1f} ms {best / floor_best:5.2f}x"
        )


if __name__ == "__main__":
    main()
