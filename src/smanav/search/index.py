"""The search index of one knowledge base: its SQLite FTS5 tables, names, and evidence map.

One read-only connection per knowledge base, opened on first search and closed when
the knowledge base object goes away (no leaked connections). A knowledge base that
has no file (built in memory) gets an in-memory FTS5 copy of its texts and names.

Nothing here grows with the corpus: the FTS5 index in the file answers "does any source
use this word" (the typo guard) and ranks passages; only the passages the curated
statements cite are held in memory. Words found in most passages ("sma") would make
BM25 rank nearly the whole table on every query, so passages are ranked by the query's
rarer words and common words only narrow a bounded window (`Index.ranked`).
"""

from __future__ import annotations

import sqlite3
import threading
import weakref
from dataclasses import dataclass
from typing import Any

from ..kb import KnowledgeBase
from ..store import split_passages
from ..tables import add_passages, add_search_entry, migrate
from .text import fts_terms

__all__ = ["COMMON", "WINDOW", "Index", "Passage", "index_for"]

#: A word or phrase in more passages than this is common: it narrows, it does not rank
#: (BM25 gives such words little weight, and ranking them costs time in corpus size).
COMMON = 2000
#: Passages holding only common words that are looked at (the newest), per query.
WINDOW = 500


@dataclass(frozen=True)
class Passage:
    """A paragraph of a source, in original code-point offsets."""

    source: str
    start: int
    end: int
    text: str

    @property
    def key(self) -> tuple[str, int, int]:
        return (self.source, self.start, self.end)


def _connect(kb: KnowledgeBase) -> sqlite3.Connection:
    if kb.path is not None and kb.path.exists():
        conn = sqlite3.connect(str(kb.path), check_same_thread=False)
        conn.execute("PRAGMA query_only = ON")
        return conn
    # A knowledge base without a file (made in memory): the same tables, in memory.
    conn = sqlite3.connect(":memory:", check_same_thread=False)
    migrate(conn)
    for sid, text in sorted(kb.texts.items()):
        add_passages(conn, sid, "curated", split_passages(text))
    for c in kb.concepts.values():
        add_search_entry(conn, c.id, "curated", list(c.all_names))
    return conn


class Index:
    """FTS5 queries and in-memory lookups for one knowledge base."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.conn = _connect(kb)
        self.lock = threading.Lock()
        #: capped passage counts of words and phrases, valid for one `PRAGMA data_version`
        self._counts: dict[str, int] = {}
        self._version = -1
        #: (source, passage start) -> ids of assertions whose evidence lies in it
        self.cited: dict[tuple[str, int], list[str]] = {}
        #: assertion id -> passages its evidence lies in
        self.passages_of: dict[str, list[Passage]] = {}
        self._map_evidence(kb)
        self.dense: Any = None

    def _map_evidence(self, kb: KnowledgeBase) -> None:
        """Passages the statements cite: only their sources' texts are read."""
        cited = sorted({ev.source for a in kb.assertions.values() for ev in a.evidence})
        bounds: dict[str, list[tuple[int, int, str]]] = {}
        for sid in cited:
            text = kb.texts.get(sid)
            if text is not None:
                bounds[sid] = list(split_passages(text))
        for a in sorted(kb.assertions.values(), key=lambda a: a.id):
            for ev in a.evidence:
                if ev.start is None or ev.end is None:
                    continue
                for s, e, t in bounds.get(ev.source, []):
                    if s <= ev.start < e:
                        self.cited.setdefault((ev.source, s), []).append(a.id)
                        p = Passage(ev.source, s, e, t)
                        if p not in self.passages_of.setdefault(a.id, []):
                            self.passages_of[a.id].append(p)

    def _fresh(self) -> None:
        """Forget counts when another connection has written (an ingest): call locked."""
        version = int(self.conn.execute("PRAGMA data_version").fetchone()[0])
        if version != self._version:
            self._counts.clear()
            self._version = version

    def count(self, term: str) -> int:
        """Passages using a quoted word or phrase, counted up to COMMON + 1 (bounded work)."""
        with self.lock:
            self._fresh()
            n = self._counts.get(term)
            if n is None:
                n = int(
                    self.conn.execute(
                        "SELECT count(*) FROM (SELECT 1 FROM passage_fts "
                        "WHERE passage_fts MATCH ? LIMIT ?)",
                        (term, COMMON + 1),
                    ).fetchone()[0]
                )
                if len(self._counts) > 100_000:
                    self._counts.clear()
                self._counts[term] = n
        return n

    def close(self) -> None:
        self.conn.close()

    def passages(self, match: str | None, limit: int) -> list[tuple[Passage, float]]:
        """Passages matching an FTS5 expression we built, best BM25 first."""
        if not match:
            return []
        with self.lock:
            rows = self.conn.execute(
                "SELECT source_id, start, end, text, bm25(passage_fts) FROM passage_fts "
                "WHERE passage_fts MATCH ? ORDER BY rank LIMIT ?",
                (match, limit),
            ).fetchall()
        return [(Passage(r[0], int(r[1]), int(r[2]), r[3]), -float(r[4])) for r in rows]

    def ranked(self, terms: list[str], limit: int) -> list[tuple[Passage, float]]:
        """The best passages for any of the words or phrases, in time that does not grow
        with the corpus.

        All terms rare (every small corpus): BM25 over their OR, exactly as before. Else
        the rare terms alone rank (each matches at most COMMON passages; a common term's
        BM25 weight is small, and even computing it reads its whole posting list). Only
        common terms: the newest WINDOW passages holding all of them (or, failing that,
        any), shortest first, which is BM25's order for words of equal weight used once.
        """
        quoted = fts_terms(terms)
        if not quoted:
            return []
        common = [t for t in quoted if self.count(t) > COMMON]
        rare = [t for t in quoted if t not in common]
        if rare:
            return self.passages(" OR ".join(rare), limit)
        for match in dict.fromkeys([" AND ".join(common), " OR ".join(common)]):
            with self.lock:
                rows = self.conn.execute(
                    "SELECT source_id, start, end, text FROM (SELECT * FROM passage_fts "
                    "WHERE passage_fts MATCH ? ORDER BY rowid DESC LIMIT ?) "
                    "ORDER BY end - start, rowid DESC LIMIT ?",
                    (match, WINDOW, limit),
                ).fetchall()
            if rows:
                n = len(rows)
                return [
                    (Passage(r[0], int(r[1]), int(r[2]), r[3]), float(n - i))
                    for i, r in enumerate(rows)
                ]
        return []

    def concepts(self, match: str | None, limit: int) -> list[tuple[str, float]]:
        if not match:
            return []
        with self.lock:
            rows = self.conn.execute(
                "SELECT concept_id, bm25(concept_fts) FROM concept_fts "
                "WHERE concept_fts MATCH ? ORDER BY rank LIMIT ?",
                (match, limit),
            ).fetchall()
        return [(r[0], -float(r[1])) for r in rows]

    def by_rowid(self, rowids: list[int]) -> dict[int, Passage]:
        """Passages by their FTS5 rowid (how stored vectors name them)."""
        out: dict[int, Passage] = {}
        with self.lock:
            for rid in rowids:
                row = self.conn.execute(
                    "SELECT source_id, start, end, text FROM passage_fts WHERE rowid = ?", (rid,)
                ).fetchone()
                if row is not None:
                    out[rid] = Passage(row[0], int(row[1]), int(row[2]), row[3])
        return out

    def all_passages(self) -> list[Passage]:
        with self.lock:
            rows = self.conn.execute(
                "SELECT source_id, start, end, text FROM passage_fts ORDER BY rowid"
            ).fetchall()
        return [Passage(r[0], int(r[1]), int(r[2]), r[3]) for r in rows]

    def names_query(self, kb: KnowledgeBase, cids: list[str]) -> list[str]:
        """Every name of the concepts as FTS5 phrases: the query expanded by what it means."""
        from .text import fts_phrase

        terms: list[str] = []
        for cid in cids:
            c = kb.concepts[cid]
            for n in (c.name, *c.synonyms, *c.brands):
                q = fts_phrase(n)
                if q:
                    terms.append(q)
        return terms


_INDEXES: weakref.WeakKeyDictionary[KnowledgeBase, Index] = weakref.WeakKeyDictionary()
_BUILD = threading.Lock()


def index_for(kb: KnowledgeBase) -> Index:
    """The index of this knowledge base, built once; its connection closes with the kb."""
    idx = _INDEXES.get(kb)
    if idx is None:
        with _BUILD:
            idx = _INDEXES.get(kb)
            if idx is None:
                idx = Index(kb)
                _INDEXES[kb] = idx
                weakref.finalize(kb, idx.close)
    return idx
