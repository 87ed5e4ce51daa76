"""Time `smanav db build` against the floor of parsing the same data files with PyYAML.

    .venv-test/bin/python bench/build.py [--runs 5]

The floor is what any loader of these files must do (read and parse the YAML and the
compiled HPO JSON); smanav adds validation, cross-checks, hashing of every located span,
SQLite inserts and the FTS5 indexes.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import yaml

from smanav.kb import data_root
from smanav.store import build

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def parse_only() -> None:
    root = Path(str(data_root()))
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    for f in sorted(root.rglob("*.yaml")):
        yaml.load(f.read_text(encoding="utf-8"), Loader=loader)  # noqa: S506 - safe loader
    json.loads((root / "hpo.json").read_text(encoding="utf-8"))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    floor, ours = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.runs):
            t0 = time.perf_counter()
            parse_only()
            floor.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            build(Path(tmp) / f"k{i}.db", CORPUS if CORPUS.is_dir() else None)
            ours.append(time.perf_counter() - t0)
    f, o = statistics.median(floor), statistics.median(ours)
    print(f"parse data files (PyYAML + json)   median {f * 1000:7.1f} ms  (floor)")
    print(f"smanav db build (with the corpus)  median {o * 1000:7.1f} ms  ratio {o / f:.2f}x")


if __name__ == "__main__":
    main()
