"""Hybrid search: BM25 over the query's words, BM25 over the names of the concepts it
mentions, the passages the knowledge base cites for those concepts, and (with the
``embeddings`` extra) dense similarity, fused by reciprocal rank fusion.

Why fuse ranks and not scores: BM25 scores from two different queries, and cosine
similarities, are on unrelated scales; ranks are comparable (Cormack et al., 2009).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from ..errors import InvalidInput
from ..kb import KnowledgeBase
from ..models import Predicate
from ..names import UNKNOWN_HPO, Mention, NameIndex
from ..settings import DISCLAIMER, settings
from .index import Index, Passage, index_for
from .text import check_limit, check_query, fts_or, is_latin, rank_words

__all__ = ["Hits", "dense_mode", "find", "related", "rrf", "search"]

K = TypeVar("K")

#: Reciprocal rank fusion constant (the usual 60: later ranks still count a little).
RRF_K = 60

#: Cosine similarity above which a concept is taken as what a question is about when it
#: names nothing smanav knows (all-MiniLM-L6-v2; checked on the question sets).
STRONG_SIMILARITY = 0.5
#: ... and only when it is ahead of the next concept by this much (no coin tosses).
MARGIN = 0.03

#: Neighbours worth showing for a concept, most useful relation first.
_NEIGHBOUR_ORDER: tuple[Predicate, ...] = (
    Predicate.addresses_symptom,
    Predicate.member_of_class,
    Predicate.causes,
    Predicate.has_symptom,
    Predicate.developed_by,
    Predicate.do_not_combine_with,
    Predicate.mechanism,
    Predicate.warning,
    Predicate.recommended_by,
    Predicate.treatment_note,
    Predicate.indicated_for,
    Predicate.approved_by,
)
#: Too general to count as a neighbour: nearly everything links to them.
_GENERIC = frozenset({"sma", "care-team", "fda"})


def rrf(lists: Sequence[tuple[Sequence[K], float]], k: int = RRF_K) -> list[tuple[K, float]]:
    """Reciprocal rank fusion of ranked lists, each with a weight; best first, stable."""
    score: dict[K, float] = {}
    first: dict[K, int] = {}
    n = 0
    for items, weight in lists:
        for rank, item in enumerate(items):
            score[item] = score.get(item, 0.0) + weight / (k + rank + 1)
            if item not in first:
                first[item] = n
                n += 1
    return sorted(score.items(), key=lambda kv: (-kv[1], first[kv[0]]))


def related(kb: KnowledgeBase, cid: str) -> list[str]:
    """Concepts linked to `cid` by statements, the most useful relations first.

    For a symptom, what may help comes first, then what it leads to (too much saliva
    leads to drooling) and what helps with that; for a class, its members.
    """
    order = {p: i for i, p in enumerate(_NEIGHBOUR_ORDER)}
    pairs: list[tuple[int, int, str]] = []
    for a in kb.about(cid):
        other = a.object if a.subject == cid else a.subject
        if other is None or other == cid or other in _GENERIC:
            continue
        # "what may help" is the subject side of addresses_symptom only
        rank = order.get(a.predicate, len(order))
        if a.predicate == Predicate.member_of_class and a.subject == cid:
            rank += 1  # a drug's class comes after a class's members
        pairs.append((0 if a.predicate == Predicate.addresses_symptom else 1, rank, other))
        if a.predicate == Predicate.causes and a.subject == cid:
            for b in kb.about(other):
                if b.predicate == Predicate.addresses_symptom and b.object == other:
                    pairs.append((1, rank, b.subject))
    out: list[str] = []
    for _g, _r, other in sorted(pairs, key=lambda t: (t[0], t[1])):
        if other not in out:
            out.append(other)
    return out


def dense_mode(dense: bool | None) -> bool:
    """Whether to use dense retrieval: asked for, or automatic when the extra is installed."""
    from . import dense as dense_mod

    if dense is None:
        dense = settings().embeddings
        if dense is None:
            return dense_mod.available()
    if dense and not dense_mod.available():
        raise InvalidInput(
            "dense",
            "dense retrieval needs the embeddings extra: pip install 'smanav[embeddings]'",
        )
    return dense


class Hits:
    """What retrieval found for a query; `search` and `ask` both format it."""

    def __init__(self, query: str, mentions: list[Mention], other: list[dict[str, str]]) -> None:
        self.query = query
        self.mentions = mentions
        self.other = other
        self.passages: list[tuple[Passage, float]] = []
        self.concepts: list[tuple[str, float]] = []
        self.dense = False
        #: Concepts very close in meaning to the whole query (dense retrieval only).
        self.dense_concepts: list[str] = []


def find(query: str, kb: KnowledgeBase, limit: int = 10, dense: bool | None = None) -> Hits:
    """Retrieval proper: validated query in, fused passages and concepts out."""
    idx = index_for(kb)
    mentions, other = NameIndex.for_kb(kb).find(query)
    hits = Hits(query, mentions, other)
    mentioned = [m.concept for m in mentions]
    depth = max(30, limit * 3)

    # Never rank on stopwords, an HPO id's "hp" or (for concepts) a bare number: '" OR 1=1'
    # or an HPO id no concept carries then lists nothing rather than ten random concepts.
    topic = rank_words(query)
    named = [w for w in topic if not w.isdigit()]
    lex_hits = idx.ranked(topic, depth)
    exp_hits = idx.ranked(idx.names_query(kb, mentioned), depth)
    lexical = [p.key for p, _ in lex_hits]
    expanded = [p.key for p, _ in exp_hits]
    cited = _cited_passages(kb, idx, mentioned)
    lists: list[tuple[Sequence[tuple[str, int, int]], float]] = [
        (lexical, 1.0),
        (expanded, 1.0),
        ([p.key for p in cited], 0.8),
    ]
    concept_lists: list[tuple[Sequence[str], float]] = [
        (mentioned, 4.0),
        ([c for c, _ in idx.concepts(fts_or(named), depth) if c in kb.concepts], 1.0),
        (_neighbours(kb, mentioned), 1.5),
    ]
    use_dense = dense_mode(dense)
    if use_dense and dense is None:
        from . import dense as dense_mod

        # A server loads the model and vectors in the background: until they are in
        # memory, automatic search answers lexically rather than keep anyone waiting.
        if dense_mod.WARMING.is_set() and not dense_mod.ready(kb):
            dense_mod.build_in_background(kb, idx)
            use_dense = False
    if use_dense:
        from .dense import dense_index

        di = dense_index(kb, idx)
        dense_hits = di.passages(query, depth)
        lists.append(([p.key for p in dense_hits], 1.0))
        # Weight 1, like the lexical lists: weight 2 lowered recall@5 on both question sets.
        concept_lists.append((di.concepts(query, depth), 1.0))
        hits.dense_concepts = di.clear_winner(query, STRONG_SIMILARITY, MARGIN)
        hits.dense = True
        dense_by_key = {p.key: p for p in dense_hits}
    else:
        dense_by_key = {}

    by_key = {p.key: p for p in cited}
    for p, _ in lex_hits + exp_hits:
        by_key.setdefault(p.key, p)
    fused = rrf(lists)
    for k, _ in fused[:limit]:
        if k not in by_key and k in dense_by_key:
            by_key[k] = dense_by_key[k]
    hits.passages = [(by_key[k], s) for k, s in fused if k in by_key][:limit]

    from_passages: list[str] = []
    for p, _ in hits.passages[:5]:
        for aid in idx.cited.get((p.source, p.start), []):
            a = kb.assertions[aid]
            for c in (a.subject, a.object):
                if c and c not in from_passages and c not in _GENERIC:
                    from_passages.append(c)
    concept_lists.append((from_passages, 0.7))
    hits.concepts = rrf(concept_lists)[:limit]
    return hits


def _neighbours(kb: KnowledgeBase, mentioned: list[str]) -> list[str]:
    out: list[str] = []
    lists = [related(kb, cid) for cid in mentioned]
    # Interleave, so every mentioned concept contributes its closest neighbours first.
    for depth in range(max((len(x) for x in lists), default=0)):
        for lst in lists:
            if depth < len(lst) and lst[depth] not in out and lst[depth] not in mentioned:
                out.append(lst[depth])
    return out


def _cited_passages(kb: KnowledgeBase, idx: Index, mentioned: list[str]) -> list[Passage]:
    """Passages the knowledge base cites for statements about the mentioned concepts."""
    out: list[Passage] = []
    for cid in mentioned:
        for a in kb.about(cid):
            for p in idx.passages_of.get(a.id, []):
                if p not in out:
                    out.append(p)
    return out


def passage_dict(kb: KnowledgeBase, p: Passage, score: float | None = None) -> dict[str, Any]:
    src = kb.sources.get(p.source)
    out: dict[str, Any] = {
        "source": p.source,
        "title": src.title if src else p.source,
        "publisher": src.publisher if src else None,
        "url": src.url if src else None,
        "date": src.last_updated.isoformat() if src and src.last_updated else None,
        "start": p.start,
        "end": p.end,
        "quote": p.text,
    }
    if score is not None:
        out["score"] = round(score, 5)
    return out


def concept_dict(kb: KnowledgeBase, cid: str, score: float, hits: Hits) -> dict[str, Any]:
    c = kb.concepts[cid]
    how = next((m for m in hits.mentions if m.concept == cid), None)
    return {
        "concept": c.id,
        "name": c.name,
        "kind": c.kind.value,
        "domain": c.domain.value if c.domain else None,
        "brands": list(c.brands),
        "score": round(score, 5),
        "matched": {"text": how.text, "via": how.via} if how else None,
    }


def search(
    query: str, kb: KnowledgeBase, limit: int = 10, dense: bool | None = None
) -> dict[str, Any]:
    """Ranked passages and concepts for a query in everyday words.

    Raises InvalidInput for an empty or over-long query or a bad limit; anything else a
    person can type gives a result (possibly empty, with a note saying why).
    """
    q = check_query(query)
    n = check_limit(limit)
    hits = find(q, kb, n, dense)
    notes: list[str] = []
    if not hits.passages and not hits.concepts:
        notes.append("Nothing in the knowledge base matches these words.")
    if not is_latin(q):
        notes.append("smanav's sources are in English; try the question in English.")
    for o in hits.other:
        if o["name"] == UNKNOWN_HPO:
            notes.append(
                f"'{o['text']}' is not a term in the HPO release smanav carries; "
                "smanav's sources say nothing about it."
            )
        else:
            notes.append(
                f"'{o['text']}' is the HPO term {o['name']} ({o['hpo']}); "
                "smanav's sources say nothing about it."
            )
    return {
        "query": q,
        "concepts": [concept_dict(kb, c, s, hits) for c, s in hits.concepts],
        "passages": [passage_dict(kb, p, s) for p, s in hits.passages],
        "recognised": [m.to_dict(kb) for m in hits.mentions],
        "other_terms": hits.other,
        "retrieval": "lexical+dense" if hits.dense else "lexical",
        "notes": notes,
        "disclaimer": DISCLAIMER,
    }
