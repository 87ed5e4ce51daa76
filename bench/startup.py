"""Start-up time of `smanav --help` against bare `python -c pass` (the floor), one run.

.venv-test/bin/python bench/startup.py [--runs 20]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path


def timed(cmd: list[str], runs: int) -> float:
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()
    exe = str(Path(sys.executable).with_name("smanav"))
    floor = timed([sys.executable, "-c", "pass"], args.runs)
    peer = timed([sys.executable, "-c", "import typer, rich"], args.runs)
    ours = timed([exe, "--help"], args.runs)
    print(f"python -c pass          median {floor * 1000:7.1f} ms  (floor)")
    print(f"python -c 'import typer, rich' {peer * 1000:7.1f} ms  (the CLI stack alone)")
    print(
        f"smanav --help           median {ours * 1000:7.1f} ms  "
        f"ratio {ours / floor:.1f}x floor, {ours / peer:.2f}x typer+rich"
    )


if __name__ == "__main__":
    main()
