"""The search index of one knowledge base: its SQLite FTS5 tables, names, and evidence map.

One read-only connection per knowledge base, opened on first search and closed when
the knowledge base object goes away (no leaked connections). A knowledge base that
has no file (built in memory) gets an in-memory FTS5 copy of its texts and names.
"""

from __future__ import annotations

import sqlite3
import threading
import weakref
from dataclasses import dataclass
from typing import Any

from ..kb import KnowledgeBase
from ..store import split_passages
from .lexicon import Recognizer, load_lexicon
from .text import fts_or

__all__ = ["Index", "Passage", "index_for"]

_FTS_SCHEMA = """
CREATE VIRTUAL TABLE concept_fts USING fts5(
    concept_id UNINDEXED, origin UNINDEXED, text, tokenize='porter unicode61 remove_diacritics 2');
CREATE VIRTUAL TABLE passage_fts USING fts5(
    source_id UNINDEXED, origin UNINDEXED, start UNINDEXED, end UNINDEXED, text,
    tokenize='porter unicode61 remove_diacritics 2');
CREATE TABLE hpo_terms (id TEXT PRIMARY KEY, name TEXT NOT NULL, synonyms TEXT);
"""


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
    conn = sqlite3.connect(":memory:", check_same_thread=False)
    conn.executescript(_FTS_SCHEMA)
    for sid, text in sorted(kb.texts.items()):
        conn.executemany(
            "INSERT INTO passage_fts VALUES (?, 'curated', ?, ?, ?)",
            [(sid, s, e, t) for s, e, t in split_passages(text)],
        )
    for c in kb.concepts.values():
        conn.execute(
            "INSERT INTO concept_fts VALUES (?, 'curated', ?)", (c.id, " ; ".join(c.all_names))
        )
    return conn


class Index:
    """FTS5 queries and in-memory lookups for one knowledge base."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.conn = _connect(kb)
        self.lock = threading.Lock()
        self.recognizer = Recognizer(kb, self.conn, load_lexicon())
        #: (source, passage start) -> ids of assertions whose evidence lies in it
        self.cited: dict[tuple[str, int], list[str]] = {}
        #: assertion id -> passages its evidence lies in
        self.passages_of: dict[str, list[Passage]] = {}
        self._map_evidence(kb)
        self.dense: Any = None

    def _map_evidence(self, kb: KnowledgeBase) -> None:
        bounds = {sid: list(split_passages(text)) for sid, text in kb.texts.items()}
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

    def all_passages(self) -> list[Passage]:
        with self.lock:
            rows = self.conn.execute(
                "SELECT source_id, start, end, text FROM passage_fts ORDER BY rowid"
            ).fetchall()
        return [Passage(r[0], int(r[1]), int(r[2]), r[3]) for r in rows]

    def names_query(self, kb: KnowledgeBase, cids: list[str]) -> str | None:
        """FTS5 OR of every name of the concepts: the query expanded by what it means."""
        from .text import fts_phrase

        terms: list[str] = []
        for cid in cids:
            c = kb.concepts[cid]
            for n in (c.name, *c.synonyms, *c.brands):
                q = fts_phrase(n)
                if q:
                    terms.append(q)
        return fts_or(terms)


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
