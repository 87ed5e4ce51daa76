"""Search as the corpus grows: first search in a new process, its memory, and search p50
against the raw FTS5 floor, at several corpus sizes, each in one run.

    python bench/scale.py                          # 10k, 100k passages
    python bench/scale.py --sizes 10000,100000,1000000 --json bench/scale.json
    python bench/scale.py --before /tmp/smanav-main/src   # the same runs on older code

The passages are sentences of the two founding articles (../shared/corpus), recombined
at random (seeded) into documents of about 14 paragraphs, written as `smanav ingest`
writes them (`documents` and `passage_fts`), so common words ("sma", "muscles",
"treatment") occur in most passages, as they do in real ingested SMA text, and every
question shares vocabulary with them. The floor is one raw FTS5 MATCH of the question's
words (the OR smanav sent before), ranked, on the same file in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
QUESTIONS = [
    "what helps with drooling in sma",
    "side effects of nusinersen",
    "can risdiplam be taken with food",
    "breathing support at night for sma type 1",
    "muscle relaxant for stiff muscles",
    "spinraza injection how often",
    "scoliosis surgery and spinal muscular atrophy",
    "feeding tube weight gain",
    "what is smn2",
    "gene therapy zolgensma liver",
    "physiotherapy for weak muscles",
    "sma treatment",
]

#: What a new process runs: open the knowledge base, answer one question, report.
CHILD = """
import json, resource, sys, time
t0 = time.perf_counter()
from smanav.store import open_kb
from smanav.search import search
kb = open_kb(sys.argv[1])
t1 = time.perf_counter()
search(sys.argv[2], kb, dense=False)
t2 = time.perf_counter()
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"open_s": t1 - t0, "first_search_s": t2 - t1, "total_s": t2 - t0,
                  "rss_mb": rss}))
"""


def sentences() -> list[str]:
    out: list[str] = []
    for f in sorted(CORPUS.glob("*.txt")):
        text = f.read_text(encoding="utf-8")
        out += [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if len(s.split()) >= 5]
    return [" ".join(s.split()) for s in out]


def generate(path: Path, passages: int, seed: int = 14) -> None:
    """Add `passages` ingested paragraphs (documents of ~14) to the database at `path`."""
    from smanav.tables import add_document

    rng = random.Random(seed)
    pool = sentences()
    conn = sqlite3.connect(str(path))
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("BEGIN")
    made = doc = 0
    while made < passages:
        paras = [
            " ".join(rng.choice(pool) for _ in range(rng.randint(1, 3)))
            for _ in range(min(14, passages - made))
        ]
        text = "\n\n".join(paras)
        sid = f"bench-{doc:07d}"
        sha = f"{doc:064x}"
        rows, at = [], 0
        for p in paras:
            rows.append((at, at + len(p), p))
            at += len(p) + 2
        add_document(conn, sid, "ingested", text, rows, sha)
        made += len(paras)
        doc += 1
    conn.execute("COMMIT")
    conn.execute("INSERT INTO passage_fts(passage_fts) VALUES ('optimize')")
    conn.close()


def first_search(db: Path, python: str, src: str | None) -> dict[str, float]:
    env = dict(os.environ, SMANAV_EMBEDDINGS="off")
    if src:
        env["PYTHONPATH"] = src
    runs = []
    for q in ("nusinersen for stiff muscels", "what helps with drooling in sma"):
        out = subprocess.run(
            [python, "-c", CHILD, str(db), q], env=env, check=True, capture_output=True, text=True
        )
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return {k: max(r[k] for r in runs) for k in runs[0]}


def latency(db: Path, python: str, src: str | None, rounds: int) -> dict[str, float]:
    """p50 of `search` and of the floor, in one child process (the code under test)."""
    code = f"""
import json, sqlite3, statistics, sys, time
from smanav.store import open_kb
from smanav.search import search
from smanav.search.text import fts_or, topic_words
kb = open_kb(sys.argv[1])
qs = json.loads(sys.argv[2])
conn = sqlite3.connect(sys.argv[1])
def floor(q):
    m = fts_or(topic_words(q))
    return conn.execute("SELECT source_id, start, end, text, bm25(passage_fts) FROM passage_fts "
                        "WHERE passage_fts MATCH ? ORDER BY rank LIMIT 30", (m,)).fetchall()
search("warm up", kb, dense=False)
f, s = [], []
for _ in range({rounds}):
    for q in qs:
        t = time.perf_counter()
        floor(q)
        f.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        search(q, kb, dense=False)
        s.append((time.perf_counter() - t) * 1000)
print(json.dumps({{"floor_p50_ms": statistics.median(f), "search_p50_ms": statistics.median(s),
                  "search_rps": 1000 / statistics.mean(s)}}))
"""
    env = dict(os.environ, SMANAV_EMBEDDINGS="off")
    if src:
        env["PYTHONPATH"] = src
    out = subprocess.run(
        [python, "-c", code, str(db), json.dumps(QUESTIONS)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--before", help="a src/ folder of older code to run on the same files")
    ap.add_argument("--after", help="a src/ folder of the code under test (default: installed)")
    ap.add_argument("--json", type=Path, help="write the results here too")
    ap.add_argument("--keep", type=Path, help="keep the generated databases in this folder")
    args = ap.parse_args()
    from smanav.store import build

    python = sys.executable
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "base.db"
        build(base, CORPUS if CORPUS.is_dir() else None)
        for n in (int(x) for x in args.sizes.split(",")):
            folder = args.keep or Path(tmp)
            folder.mkdir(parents=True, exist_ok=True)
            db = folder / f"scale-{n}.db"
            if not db.exists():
                shutil.copy(base, db)
                t = time.perf_counter()
                generate(db, n)
                print(f"{n:,} passages generated in {time.perf_counter() - t:.0f} s", flush=True)
            mb = db.stat().st_size / 1e6
            for label, src in (("after", args.after), ("before", args.before)):
                if label == "before" and not src:
                    continue
                row: dict[str, Any] = {"passages": n, "db_mb": round(mb, 1), "code": label}
                row.update(first_search(db, python, src))
                row.update(latency(db, python, src, args.rounds))
                results.append(row)
                print(
                    f"{label:6} {n:>9,} passages ({mb:,.0f} MB): first search "
                    f"{row['first_search_s']:.2f} s (open {row['open_s']:.2f} s), "
                    f"RSS {row['rss_mb']:.0f} MB; search p50 {row['search_p50_ms']:.1f} ms, "
                    f"floor {row['floor_p50_ms']:.1f} ms "
                    f"({row['search_p50_ms'] / row['floor_p50_ms']:.2f}x), "
                    f"{row['search_rps']:.0f} req/s",
                    flush=True,
                )
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    print(
        f"peak RSS of this driver: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MB"
    )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
