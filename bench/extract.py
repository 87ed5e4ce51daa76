"""Extraction speed and quality against named peers, in one run, on the same text; then
ingest throughput on a generated 10 MB corpus with 1 and 2 Dask workers.

    python bench/extract.py                       # everything (peers where installed)
    python bench/extract.py --skip-ingest         # extraction only
    python bench/extract.py --corpus-mb 2         # a smaller generated corpus
    python bench/extract.py --linear 1,4,16       # one document of 1, 4, 16 MB: seconds each

Peers, each with the same lexicon smanav compiles (knowledge-base names, the drug
dictionary, HPO terms and synonyms, ~130 k surface forms):
- medspaCy 1.3.1 TargetMatcher in its fastest configuration (no PyRuSH, no ConText; see
  ../shared/dependencies.md). medspaCy pins spaCy 3.7.5, so it runs in its own venv,
  ../venv-peer (`python3 -m venv ../venv-peer && ../venv-peer/bin/pip install
  medspacy==1.3.1`), through bench/peer_medspacy.py. Skipped with a note when absent.
- drug-named-entity-recognition 2.0.9 `find_drugs`, exact mode (its own dictionary;
  drugs only, so it is scored on drug, drug-class and gene-therapy mentions).

Throughput is characters of input per second of wall time, lexicon loading excluded
(reported as set-up). F1 is on the hand-written gold for the two founding articles
(tests/gold), scored by smanav.extract.score for every system alike.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from smanav.extract import extract_text, lexicon
from smanav.extract.lexicon import Lexicon, key_of
from smanav.extract.mentions import find_mentions
from smanav.extract.score import merge, score
from smanav.ingest import ingest_paths
from smanav.store import build, open_kb
from smanav.text import repair

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
GOLD = ROOT / "tests" / "gold"
PEER = ROOT.parent / "venv-peer" / "bin" / "python"
DRUG_KINDS = {"drug", "drug_class", "gene_therapy"}


def _mention(lex: Lexicon, idx: int, start: int, end: int, text: str) -> dict[str, Any]:
    e = lex.entries[idx]
    codes = [{"system": s, "code": c, "status": st} for s, c, st in e.codes]
    return {
        "concept": e.concept,
        "kind": e.kind,
        "codes": codes,
        "start": start,
        "end": end,
        "text": text[start:end],
    }


def _f1(
    results: list[dict[str, Any]], golds: list[dict[str, Any]], kinds: set[str] | None
) -> float:
    scored = []
    for r, g in zip(results, golds, strict=True):
        if kinds is not None:
            r = {**r, "mentions": [m for m in r["mentions"] if m["kind"] in kinds]}
            g = {**g, "mentions": [m for m in g["mentions"] if m["kind"] in kinds]}
        scored.append(score({**r, "assertions": []}, {**g, "assertions": []}))
    return float(merge(scored)["mentions"]["all"]["f1"])


def _timed(fn: Any, texts: list[str], rounds: int) -> float:
    t0 = time.perf_counter()
    for _ in range(rounds):
        for t in texts:
            fn(t)
    return time.perf_counter() - t0


def bench_extract(rounds: int) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="smanav-bench-"))
    db = tmp / "kb.db"
    build(db, CORPUS)
    kb = open_kb(db)
    t0 = time.perf_counter()
    lex = lexicon(kb)
    setup = time.perf_counter() - t0
    golds = [json.loads(p.read_text("utf-8")) for p in sorted(GOLD.glob("*.json"))]
    texts = [(CORPUS / g["file"]).read_text(encoding="utf-8") for g in golds]
    chars = sum(map(len, texts)) * rounds
    rows: list[dict[str, Any]] = []

    full = [extract_text(t, lex) for t in texts]
    quality = merge([score(r, g) for r, g in zip(full, golds, strict=True)])
    secs = _timed(lambda t: extract_text(t, lex), texts, rounds)
    rows.append(
        {
            "system": "smanav (repair + mentions + assertions)",
            "setup_s": setup,
            "chars_per_s": chars / secs,
            "f1": _f1(full, golds, None),
            "drug_f1": _f1(full, golds, DRUG_KINDS),
        }
    )
    secs = _timed(lambda t: find_mentions(lex, repair(t, lex.breaker).text), texts, rounds)
    rows.append(
        {
            "system": "smanav mentions only (repair + mentions)",
            "setup_s": setup,
            "chars_per_s": chars / secs,
            "f1": _f1(full, golds, None),
            "drug_f1": _f1(full, golds, DRUG_KINDS),
        }
    )

    if PEER.exists():
        job = {
            "rules": [[lex.surfaces[k], str(i)] for k, i in lex.keys.items()],
            "texts": texts,
            "rounds": rounds,
        }
        proc = subprocess.run(
            [str(PEER), str(ROOT / "bench" / "peer_medspacy.py")],
            input=json.dumps(job),
            capture_output=True,
            text=True,
            check=True,
        )
        peer = json.loads(proc.stdout)
        results: list[dict[str, Any]] = [{"mentions": []} for _ in texts]
        for i, s, e, label in peer["mentions"]:
            results[i]["mentions"].append(_mention(lex, int(label), s, e, texts[i]))
        rows.append(
            {
                "system": "medSpaCy 1.3.1 TargetMatcher (same lexicon)",
                "setup_s": peer["setup_s"],
                "chars_per_s": peer["chars"] / peer["seconds"],
                "f1": _f1(results, golds, None),
                "drug_f1": _f1(results, golds, DRUG_KINDS),
            }
        )
    else:
        print(f"(medSpaCy peer skipped: {PEER} not found; see the docstring)", file=sys.stderr)

    rows.append(_drug_ner(lex, texts, golds, rounds, chars))
    shutil.rmtree(tmp, ignore_errors=True)
    return {"rounds": rounds, "chars_per_round": chars // rounds, "rows": rows, "quality": quality}


_TOKEN = re.compile(r"\w+(?:[-']\w+)*")


def _drug_ner(
    lex: Lexicon, texts: list[str], golds: list[dict[str, Any]], rounds: int, chars: int
) -> dict[str, Any]:
    t0 = time.perf_counter()
    from drug_named_entity_recognition import find_drugs

    setup = time.perf_counter() - t0

    def run(text: str) -> list[tuple[dict[str, Any], int, int]]:
        tokens = [(m.group(0), m.start(), m.end()) for m in _TOKEN.finditer(text)]
        hits = find_drugs([t for t, _, _ in tokens])
        return [(d, tokens[a][1], tokens[b - 1][2]) for d, a, b in hits]

    results = []
    for text in texts:
        ms = []
        for d, s, e in run(text):
            idx = lex.keys.get(key_of(str(d.get("name", ""))))
            if idx is not None:
                ms.append(_mention(lex, idx, s, e, text))
        results.append({"mentions": ms})
    secs = _timed(run, texts, rounds)
    return {
        "system": "drug-named-entity-recognition 2.0.9 (exact)",
        "setup_s": setup,
        "chars_per_s": chars / secs,
        "f1": None,
        "drug_f1": _f1(results, golds, DRUG_KINDS),
    }


# --- ingest ---------------------------------------------------------------------------
TEMPLATES = [
    "{Drug} may ease {symptom} in some patients.",
    "{Drug} should not be combined with {drug}.",
    "Common side effects of {drug} include {symptom} and {symptom2}.",
    "Researchers have not tested {drug} in SMA.",
    "Clinics sometimes suggest {drug}{drug2} for {symptom}.",
    "{Drug}\u00a0is one option; {symptom} can cause {symptom2}.",
    "Physical therapy may help with {symptom}, and a wheelchair may help later.",
]
SYMPTOMS = [
    "spasticity",
    "drooling",
    "muscle spasms",
    "nausea",
    "fatigue",
    "scoliosis",
    "difficulty breathing",
    "weight loss",
    "headache",
    "constipation",
    "dizziness",
]


def make_corpus(folder: Path, megabytes: float, lex: Lexicon, seed: int = 7) -> tuple[int, int]:
    """Documents of ~5 kB: the founding articles' paragraphs and generated sentences
    naming drugs from the dictionary, with glued pairs and non-breaking spaces."""
    rnd = random.Random(seed)
    drugs = sorted(
        k
        for k, i in lex.keys.items()
        if lex.entries[i].kind == "drug" and " " not in k and len(k) > 5
    )
    paras = [
        p
        for f in sorted(CORPUS.glob("*.txt"))
        for p in f.read_text("utf-8").split("\n\n")
        if len(p) > 80
    ]
    folder.mkdir(parents=True, exist_ok=True)
    total, n = 0, 0
    while total < megabytes * 1_000_000:
        parts = [f"Generated article {n}", ""]
        size = 0
        while size < 5000:
            if rnd.random() < 0.3:
                s = rnd.choice(paras)
            else:
                d1, d2 = rnd.sample(drugs, 2)
                s1, s2 = rnd.sample(SYMPTOMS, 2)
                s = rnd.choice(TEMPLATES).format(
                    Drug=d1.capitalize(), drug=d1, drug2=d2, symptom=s1, symptom2=s2
                )
            parts.append(s)
            size += len(s) + 1
        parts.append("\nLast updated: May 4, 2026\n")
        text = "\n".join(parts)
        (folder / f"doc{n:05d}.txt").write_text(text, encoding="utf-8")
        total += len(text.encode("utf-8"))
        n += 1
    return n, total


def bench_ingest(megabytes: float, workers: list[int]) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="smanav-ingest-"))
    base = tmp / "base.db"
    build(base, CORPUS)
    lex = lexicon(open_kb(base))
    n, size = make_corpus(tmp / "corpus", megabytes, lex)
    runs = []
    for w in workers:
        db = tmp / f"w{w}.db"
        src, dst = sqlite3.connect(base), sqlite3.connect(db)
        src.backup(dst)
        src.close()
        dst.close()
        t0 = time.perf_counter()
        result = ingest_paths([tmp / "corpus"], db, workers=w)
        secs = time.perf_counter() - t0
        assert result["added"] == n, result["error"]
        runs.append(
            {
                "workers": w,
                "seconds": secs,
                "docs_per_s": n / secs,
                "mb_per_s": size / 1e6 / secs,
                "queued": result["queued"],
            }
        )
    shutil.rmtree(tmp, ignore_errors=True)
    return {"documents": n, "bytes": size, "runs": runs}


def one_document(megabytes: float, lex: Lexicon, seed: int = 7) -> str:
    """One large document: the generated corpus's articles, one after another."""
    tmp = Path(tempfile.mkdtemp(prefix="smanav-linear-"))
    try:
        make_corpus(tmp, megabytes, lex, seed)
        return "\n\n".join(f.read_text("utf-8") for f in sorted(tmp.glob("*.txt")))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def bench_linear(sizes: list[float]) -> list[dict[str, Any]]:
    """Extraction time of one document of each size: linear means seconds per MB stay flat."""
    tmp = Path(tempfile.mkdtemp(prefix="smanav-linear-db-"))
    try:
        build(tmp / "base.db", CORPUS)
        kb = open_kb(tmp / "base.db")
        lex = lexicon(kb)
        extract_text("warm-up: baclofen may ease spasticity.", lex)
        rows = []
        for mb in sizes:
            text = one_document(mb, lex)
            t0 = time.perf_counter()
            result = extract_text(text, lex)
            secs = time.perf_counter() - t0
            rows.append(
                {
                    "mb": len(text.encode("utf-8")) / 1e6,
                    "seconds": secs,
                    "s_per_mb": secs / (len(text.encode("utf-8")) / 1e6),
                    "mentions": len(result["mentions"]),
                    "assertions": len(result["assertions"]),
                }
            )
            r = rows[-1]
            print(
                f"  {r['mb']:6.1f} MB  {secs:8.1f} s  {r['s_per_mb']:6.2f} s/MB  "
                f"{r['mentions']} mentions  {r['assertions']} assertions",
                flush=True,
            )
        return rows
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=30)
    ap.add_argument("--corpus-mb", type=float, default=10.0)
    ap.add_argument("--skip-ingest", action="store_true")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--linear", help="sizes in MB of single documents, e.g. 1,4,16")
    args = ap.parse_args()
    if args.linear:
        print("Extraction of one large document (generated articles, one after another)")
        rows = bench_linear([float(x) for x in args.linear.split(",")])
        if args.json:
            print(json.dumps(rows, indent=1))
        return
    out: dict[str, Any] = {"extract": bench_extract(args.rounds)}
    ex = out["extract"]
    print(
        f"Extraction on the two founding articles ({ex['chars_per_round']:,} chars, "
        f"{ex['rounds']} rounds)"
    )
    print(f"{'system':48} {'set-up s':>9} {'chars/s':>12} {'F1 all':>7} {'F1 drugs':>8}")
    for r in ex["rows"]:
        f1 = f"{r['f1']:.3f}" if r["f1"] is not None else "  -"
        print(
            f"{r['system']:48} {r['setup_s']:9.2f} {r['chars_per_s']:12,.0f} {f1:>7} "
            f"{r['drug_f1']:8.3f}"
        )
    ours = ex["rows"][0]
    for r in ex["rows"][2:]:
        print(
            f"ratio smanav full / {r['system'].split(' ')[0]}: "
            f"{ours['chars_per_s'] / r['chars_per_s']:.1f}x throughput"
            f"; mentions-only {ex['rows'][1]['chars_per_s'] / r['chars_per_s']:.1f}x"
        )
    for part, table in ex["quality"].items():
        print(f"\nsmanav {part} on the gold: P / R / F1 (gold count)")
        for k, v in table.items():
            n = int(v["tp"]) + int(v["fn"])
            print(f"  {k:20} {v['precision']:.2f} / {v['recall']:.2f} / {v['f1']:.2f} ({n})")
    if not args.skip_ingest:
        out["ingest"] = bench_ingest(args.corpus_mb, [0, 1, 2])
        ing = out["ingest"]
        print(
            f"\nIngest of a generated corpus: {ing['documents']} documents, "
            f"{ing['bytes'] / 1e6:.1f} MB"
        )
        for r in ing["runs"]:
            label = "in-process" if r["workers"] == 0 else f"{r['workers']} Dask worker(s)"
            print(
                f"  {label:18} {r['seconds']:6.1f} s  {r['docs_per_s']:7.0f} docs/s  "
                f"{r['mb_per_s']:5.2f} MB/s  {r['queued']} assertions queued"
            )
        one = next(r for r in ing["runs"] if r["workers"] == 1)
        two = next(r for r in ing["runs"] if r["workers"] == 2)
        print(f"  ratio 2 workers / 1 worker: {one['seconds'] / two['seconds']:.2f}x")
    if args.json:
        print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
