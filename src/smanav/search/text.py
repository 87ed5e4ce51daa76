"""Query text: validation, tokens, a light stemmer, and FTS5 queries we quote ourselves.

Users type anything (quotes, ``NEAR(``, ``" OR 1=1 --``, 10,000 characters, other
scripts). Nothing they type ever reaches FTS5 syntax: we cut the text into word
tokens and quote each one, so the worst a query can do is match nothing.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from ..errors import InvalidInput
from ..tokens import HPO_ID, STOPWORDS, fold, hpo_ids, stem, stems, words

__all__ = [
    "HPO_ID",
    "MAX_QUERY_CHARS",
    "STOPWORDS",
    "fts_terms",
    "check_limit",
    "check_query",
    "fold",
    "fts_or",
    "fts_phrase",
    "hpo_ids",
    "is_latin",
    "rank_words",
    "stem",
    "stems",
    "topic_words",
    "words",
]

#: Longer than any question a person asks; a pasted document belongs in `smanav ingest`.
MAX_QUERY_CHARS = 1000
MAX_LIMIT = 100
#: Cap on distinct tokens sent to FTS5, so a long query stays fast.
MAX_TOKENS = 48


def check_query(query: object, field: str = "query") -> str:
    """The query as text, or InvalidInput naming what is wrong with it."""
    if not isinstance(query, str):
        raise InvalidInput(field, f"must be text, not {type(query).__name__}")
    text = unicodedata.normalize("NFKC", query)
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    if not text.strip():
        raise InvalidInput(
            field,
            "is empty: type a few words, e.g. 'what helps with drooling' or 'Spinraza'",
        )
    if len(query) > MAX_QUERY_CHARS:
        raise InvalidInput(
            field,
            f"is {len(query):,} characters long; the limit is {MAX_QUERY_CHARS:,}. "
            "Ask one question at a time, in a sentence or two",
        )
    return " ".join(text.split())


def check_limit(limit: object, field: str = "limit") -> int:
    if isinstance(limit, bool) or not isinstance(limit, int):
        raise InvalidInput(field, f"must be a whole number, not {limit!r}")
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(field, f"must be between 1 and {MAX_LIMIT}, not {limit}")
    return limit


def is_latin(text: str) -> bool:
    """True when most letters are Latin script (our sources are English)."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return True
    latin = sum(1 for ch in letters if "LATIN" in unicodedata.name(ch, ""))
    return latin * 2 >= len(letters)


def _quote(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def fts_phrase(text: str) -> str | None:
    """A quoted FTS5 phrase for a name ("excessive saliva" must appear as words in order)."""
    toks = words(text)
    return _quote(" ".join(toks)) if toks else None


def fts_terms(terms: Iterable[str]) -> list[str]:
    """Quoted tokens/phrases (plain words, or already made by `fts_phrase`), each once."""
    seen: list[str] = []
    for t in terms:
        q = t if t.startswith('"') else _quote(t)
        if q not in seen:
            seen.append(q)
        if len(seen) >= MAX_TOKENS:
            break
    return seen


def fts_or(terms: Iterable[str]) -> str | None:
    """OR of quoted tokens/phrases (already made by `fts_phrase` or plain words)."""
    seen = fts_terms(terms)
    return " OR ".join(seen) if seen else None


def topic_words(text: str) -> list[str]:
    """Distinct non-stopword tokens worth matching (single characters dropped)."""
    out: list[str] = []
    for w in words(text):
        if w in STOPWORDS or len(w) < 2:
            continue
        if w not in out:
            out.append(w)
    return out


def rank_words(text: str) -> list[str]:
    """Topic words fit to rank by: no HPO ids (their "hp" matches every coded symptom).

    Stopwords, single characters and punctuation are already dropped by `topic_words`,
    so '" OR 1=1 --' ranks on nothing and finds nothing, cleanly.
    """
    return topic_words(HPO_ID.sub(" ", fold(text)))
