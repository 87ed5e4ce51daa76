"""Search and ask latency over the knowledge base plus 10,000 generated passages,
against the floor: a raw FTS5 MATCH on the same table, same connection type, same run.

    python bench/search.py                 # latency: p50/p99 of raw FTS5, search, ask
    python bench/search.py --quality       # recall@5 and correct answers on the question set
    python bench/search.py --dense         # both with dense retrieval (embeddings extra)

The generated passages are sentences we wrote ourselves, recombined at random (seeded),
inserted into a copy of the database as ingested passages, so the FTS5 table is the
size a real ingested corpus reaches and every query has many partial matches.
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from smanav.kb import KnowledgeBase
from smanav.search import ask, search
from smanav.search.text import fts_or, topic_words
from smanav.store import Store, build
from smanav.tables import add_passages

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"

SUBJECTS = [
    "Physiotherapy sessions",
    "A standing frame",
    "Night-time breathing support",
    "A cough assist",
    "Careful positioning",
    "A feeding plan from the dietitian",
    "A power wheelchair",
    "Stretching at home",
    "Regular clinic visits",
    "A swallow study",
    "Hydrotherapy",
    "Chest physiotherapy",
    "Splints worn overnight",
    "A lightweight brace",
    "Speech therapy",
    "Bone density scans",
    "Vitamin D checks",
    "A seating assessment",
    "Sleep studies",
    "Family training sessions",
]
VERBS = [
    "can support",
    "is often discussed for",
    "may be reviewed alongside",
    "was described for",
    "is sometimes planned around",
    "helps teams follow",
    "is recorded with",
    "can be adjusted for",
    "is usually combined with",
    "is compared in clinic with",
]
OBJECTS = [
    "weak trunk muscles",
    "tired arms after school",
    "a child who sits but does not walk",
    "adults who still walk short distances",
    "an infant who cannot lift the head",
    "stiff ankles",
    "shallow breathing during colds",
    "slow weight gain",
    "a long school day",
    "reflux after meals",
    "a recent chest infection",
    "hip problems",
    "a growing curve",
    "fatigue in the evening",
    "trouble with thick drinks",
    "travel and holidays",
]
TAILS = [
    "Families keep a diary of what changes.",
    "The therapist checks progress every few months.",
    "Plans change as the child grows.",
    "Goals are written down together with the family.",
    "Equipment is often borrowed before it is bought.",
    "Schools are told what to watch for.",
    "Nothing is started without talking it through first.",
    "Notes are shared with the GP.",
    "Some families find a support group useful.",
    "Reviews happen sooner after an illness.",
]


def generated_passages(n: int, seed: int = 5) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        sentences = [
            f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)}."
            for _ in range(rng.randint(2, 4))
        ]
        sentences.append(rng.choice(TAILS))
        rng.shuffle(sentences)
        out.append(" ".join(sentences))
    return out


def load_questions(
    name: str = "QUESTIONS",
) -> list[tuple[str, tuple[str, ...], tuple[str, ...], bool]]:
    """The question sets live in the tests, as tables; read them from there."""
    spec = importlib.util.spec_from_file_location("questions", ROOT / "tests" / "test_search.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return list(getattr(mod, name))


def make_db(tmp: Path, extra: int) -> Path:
    path = tmp / "smanav.db"
    build(path, CORPUS if CORPUS.is_dir() else None)
    copy = tmp / "bench.db"
    shutil.copy(path, copy)
    with Store(copy) as store, store.atomic() as db:
        for i, t in enumerate(generated_passages(extra)):
            add_passages(db, f"bench-{i:05d}", "ingested", [(0, len(t), t)])
    return copy


def open_copy(path: Path) -> KnowledgeBase:
    with Store(path) as store:
        return KnowledgeBase.from_store(store)


def timed(fn: Callable[[str], Any], queries: list[str], rounds: int) -> list[float]:
    samples = []
    for _ in range(rounds):
        for q in queries:
            t = time.perf_counter()
            fn(q)
            samples.append((time.perf_counter() - t) * 1000)
    return samples


def pct(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def latency(kb: KnowledgeBase, path: Path, queries: list[str], rounds: int, dense: bool) -> None:
    conn = sqlite3.connect(str(path), check_same_thread=False)
    # The floor gets the words smanav itself sends (question words and stopwords dropped).
    matches = {q: fts_or(topic_words(q)) for q in queries}

    def raw(q: str) -> Any:
        m = matches[q]
        if not m:
            return []
        return conn.execute(
            "SELECT source_id, start, end, text, bm25(passage_fts) FROM passage_fts "
            "WHERE passage_fts MATCH ? ORDER BY rank LIMIT 10",
            (m,),
        ).fetchall()

    t = time.perf_counter()
    search("warm up", kb, dense=dense)  # builds the index once (names, HPO terms, lexicon)
    warm = (time.perf_counter() - t) * 1000
    rows = [
        ("raw FTS5 MATCH (floor)", timed(raw, queries, rounds)),
        ("smanav search", timed(lambda q: search(q, kb, dense=dense), queries, rounds)),
        ("smanav ask", timed(lambda q: ask(q, kb, dense=dense), queries, rounds)),
    ]
    conn.close()
    floor = statistics.median(rows[0][1])
    print(f"index built on first use in {warm:.0f} ms; {len(queries)} queries x {rounds} rounds")
    print(f"{'':26} {'p50 ms':>8} {'p99 ms':>8} {'p50 / floor':>12}")
    for name, s in rows:
        print(f"{name:26} {pct(s, 50):8.2f} {pct(s, 99):8.2f} {pct(s, 50) / floor:11.1f}x")


def quality(kb: KnowledgeBase, dense: bool, name: str) -> None:
    qs = load_questions(name)
    found = total = correct = 0
    wrong = []
    for question, concepts, shows, answered in qs:
        top = [c["concept"] for c in search(question, kb, limit=5, dense=dense)["concepts"]]
        found += len(set(concepts) & set(top))
        total += len(concepts)
        res = ask(question, kb, dense=dense)
        ids = {c["concept"] for c in res["concepts"]}
        ok = (
            res["found"] is answered
            and set(concepts) <= ids
            and all(w.casefold() in res["answer"].casefold() for w in shows)
        )
        correct += ok
        if not ok:
            wrong.append(question)
    mode = "lexical+dense" if dense else "lexical"
    print(
        f"{name} {mode}: {len(qs)} questions; "
        f"search recall@5 {found}/{total} = {found / total:.1%}; "
        f"correct answers {correct}/{len(qs)} = {correct / len(qs):.1%}"
    )
    for q in wrong:
        print(f"  wrong: {q}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--passages", type=int, default=10_000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--quality", action="store_true", help="question-set quality, not latency")
    ap.add_argument("--dense", action="store_true", help="with dense retrieval (extra needed)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.quality:
            path = Path(tmp) / "smanav.db"
            build(path, CORPUS if CORPUS.is_dir() else None)
            kb = open_copy(path)
            for name in ("QUESTIONS", "HELD_OUT"):
                quality(kb, dense=False, name=name)
                if args.dense:
                    quality(kb, dense=True, name=name)
            return
        path = make_db(Path(tmp), args.passages)
        kb = open_copy(path)
        n = kb_passages(path)
        print(f"passages in the FTS5 table: {n:,} ({args.passages:,} generated)")
        queries = [q for q, *_ in load_questions()]
        latency(kb, path, queries, args.rounds, args.dense)
    sys.stdout.flush()


def kb_passages(path: Path) -> int:
    with Store(path) as store:
        return int(store.conn.execute("SELECT count(*) FROM passage_fts").fetchone()[0])


if __name__ == "__main__":
    main()
