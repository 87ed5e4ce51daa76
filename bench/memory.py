"""Peak memory and wall time of `extract --json`, `extract --jsonl` and `ingest` (in
process and with 2 Dask workers) as the corpus grows, against a bare parse-and-insert
floor (read each file, split paragraphs, insert documents and passages: no extraction),
each size in one run.

    python bench/memory.py                        # 1 and 10 MB
    python bench/memory.py --sizes 1,10,50 --json bench/memory.json

Peak memory is the largest sum of resident memory over the command's whole process tree
(Dask's scheduler and workers included), sampled every 0.1 s from /proc. Summed RSS
counts a page shared by forked workers once per process; `peak_pss_mb` (proportional
set size, /proc/PID/smaps_rollup) divides each shared page among its sharers, so it
is the memory the tree really holds.

    python bench/memory.py --sizes 50 --only floor,ingest_w2    # some commands only
The corpus is bench/extract.py's generator (founding-article paragraphs and sentences
naming dictionary drugs, documents of ~5 kB).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

#: What is measured against the floor: its smanav arguments.
COMMANDS = {
    "extract_json": ("extract", "{corpus}", "--json"),
    "extract_jsonl": ("extract", "{corpus}", "--jsonl"),
    "ingest": ("ingest", "{corpus}"),
    "ingest_w2": ("ingest", "{corpus}", "--workers", "2"),
}
FLOOR = """
import sqlite3, sys
from pathlib import Path
from smanav.documents import collect_files, read_document
from smanav.store import split_passages
from smanav.tables import add_document
conn = sqlite3.connect(sys.argv[1])
for i, f in enumerate(collect_files([sys.argv[2]])):
    doc = read_document(f)
    sid = f"floor-{i}"
    with conn:
        add_document(conn, sid, "ingested", doc.text, split_passages(doc.text), doc.sha256)
"""


def _tree(root: int) -> list[int]:
    kids: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat", encoding="ascii", errors="replace") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        kids.setdefault(ppid, []).append(int(d))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo += kids.get(pid, [])
    return out


def _mem_mb(pids: list[int], field: str = "Rss") -> float:
    """Summed `field` (Rss or Pss) of the processes, from /proc/PID/smaps_rollup."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as fh:
                for line in fh:
                    if line.startswith(f"{field}:"):
                        total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def measure(cmd: list[str], env: dict[str, str]) -> dict[str, float]:
    """Wall seconds, peak resident MB (RSS and PSS) of the command's process tree, and
    peak RSS of its main process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = main = pss = 0.0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak, main, pss
        while not done.is_set():
            pids = _tree(proc.pid)
            peak = max(peak, _mem_mb(pids))
            pss = max(pss, _mem_mb(pids, "Pss"))
            main = max(main, _mem_mb([proc.pid]))
            time.sleep(0.1)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    _, errs = proc.communicate()
    done.set()
    th.join()
    if proc.returncode not in (0, 2):
        raise SystemExit(f"{cmd} failed ({proc.returncode}): {errs.decode()[-2000:]}")
    return {
        "seconds": round(time.perf_counter() - t0, 2),
        "peak_mb": round(peak),
        "peak_pss_mb": round(pss),
        "main_mb": round(main),
    }


def _save(path: Path, row: dict[str, Any]) -> None:
    """Merge one size's row into the file: sizes and commands measured in other runs
    stay (each command keeps the floor and load average of the run that measured it)."""
    rows = json.loads(path.read_text(encoding="utf-8")) if path.exists() else []
    old = next((r for r in rows if r["mb"] == row["mb"]), None)
    if old is None:
        rows.append(row)
    else:
        for k, v in old.items():  # commands kept from the older run keep its floor
            if isinstance(v, dict) and k != "floor":
                v.setdefault("floor_seconds", old["floor"]["seconds"])
                v.setdefault("load", old.get("load_average"))
        for k, v in row.items():
            if isinstance(v, dict) and k != "floor":
                v = {**v, "floor_seconds": row["floor"]["seconds"], "load": row["load_average"]}
            old[k] = v
    rows.sort(key=lambda r: r["mb"])
    path.write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1,10")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--only", default=",".join(COMMANDS), help="commands to run besides the floor")
    args = ap.parse_args()
    only = [c for c in COMMANDS if c in args.only.split(",")]
    from extract import make_corpus  # bench/extract.py

    from smanav.extract import lexicon
    from smanav.store import build, open_kb

    exe = str(Path(sys.executable).with_name("smanav"))
    env = dict(os.environ, SMANAV_EMBEDDINGS="off")
    rows: list[dict[str, Any]] = []
    tmp = Path(tempfile.mkdtemp(prefix="smanav-memory-"))
    try:
        base = tmp / "base.db"
        build(base, Path(__file__).resolve().parents[2] / "shared" / "corpus")
        lex = lexicon(open_kb(base))
        for mb in (float(x) for x in args.sizes.split(",")):
            corpus = tmp / f"corpus-{mb:g}"
            n, size = make_corpus(corpus, mb, lex)
            row: dict[str, Any] = {"mb": mb, "documents": n}

            def fresh(name: str, mb: float = mb) -> Path:
                db = tmp / f"{name}-{mb:g}.db"
                src, dst = sqlite3.connect(base), sqlite3.connect(db)
                src.backup(dst)
                src.close()
                dst.close()
                return db

            row["floor"] = measure(
                [sys.executable, "-c", FLOOR, str(fresh("floor")), str(corpus)], env
            )
            for name in only:
                db = base if name.startswith("extract") else fresh(name)
                args_ = [x.format(corpus=corpus) for x in COMMANDS[name]]
                row[name] = measure([exe, "--db", str(db), *args_], env)
            row["load_average"] = round(os.getloadavg()[0], 2)
            rows.append(row)
            f = row["floor"]["seconds"]
            print(
                f"{mb:g} MB ({n} docs, load {row['load_average']}): "
                f"floor {f:.1f} s / {row['floor']['peak_mb']} MB; "
                + "; ".join(
                    f"{k} {row[k]['seconds']:.1f} s ({row[k]['seconds'] / f:.1f}x) "
                    f"{row[k]['peak_mb']} MB, PSS {row[k]['peak_pss_mb']} MB "
                    f"(main {row[k]['main_mb']} MB)"
                    for k in only
                ),
                flush=True,
            )
            shutil.rmtree(corpus, ignore_errors=True)
            if args.json:  # after each size: a long run interrupted keeps what it measured
                _save(args.json, row)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
