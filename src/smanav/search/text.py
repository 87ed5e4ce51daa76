"""Query text: validation, tokens, a light stemmer, and FTS5 queries we quote ourselves.

Users type anything (quotes, ``NEAR(``, ``" OR 1=1 --``, 10,000 characters, other
scripts). Nothing they type ever reaches FTS5 syntax: we cut the text into word
tokens and quote each one, so the worst a query can do is match nothing.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable

from ..errors import InvalidInput

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

_WORD = re.compile(r"\w+", re.UNICODE)
#: An HPO id as people type it: "HP:0002650", "hp 0002650", "HP_0002650".
HPO_ID = re.compile(r"\bhp[\s:_-]*(\d{7})\b", re.IGNORECASE)

#: Words that carry no topic: question scaffolding and function words.
_STOP_TEXT = """
    a about above after again all also am an and any anything are as at be because been
    before being below between both but by can cannot could did do does doing done down
    during each else even ever every few for from further get gets getting give given go
    going got had has have having he her here hers him his how i if in into is it its
    just know let like lot lots make many may me might more most much must my no nor not
    now of off on once one only or other our out over own please really same say says
    she should so some such tell than that the their them then there these they thing
    things this those through to too under until up us very was we were what whats when
    where which while who whom whose why will with would you your yours son daughter
    child children kid kids baby boy girl he she person patient patients someone anyone
    people mum mom dad parent help helps helped helping
"""
STOPWORDS = frozenset(_STOP_TEXT.split())

#: Suffixes the light stemmer strips, longest first.
_SUFFIXES = ("ations", "ation", "ings", "ing", "edly", "ed", "ies", "es", "s", "ly", "e", "y")


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


def fold(text: str) -> str:
    """Case and accents folded, as the FTS5 tokenizer does (remove_diacritics 2)."""
    if text.isascii():  # nothing to decompose: most names and questions, 10x faster
        return text.casefold()
    folded = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in folded if not unicodedata.combining(ch))


def words(text: str) -> list[str]:
    """Folded word tokens in order ("can't" gives "can", "t"; "G-tube" gives "g", "tube")."""
    return _WORD.findall(fold(text).replace("_", " "))


@functools.lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A deliberately crude suffix stripper: only used to compare two texts stemmed alike."""
    if len(word) <= 3 or word.isdigit():
        return word
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def stems(text: str) -> list[str]:
    return [stem(w) for w in words(text)]


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


def hpo_ids(text: str) -> list[str]:
    """HPO ids in the text, as "HP:0002650", in order, each once."""
    out: list[str] = []
    for m in HPO_ID.finditer(fold(text)):
        hid = f"HP:{m.group(1)}"
        if hid not in out:
            out.append(hid)
    return out


def rank_words(text: str) -> list[str]:
    """Topic words fit to rank by: no HPO ids (their "hp" matches every coded symptom).

    Stopwords, single characters and punctuation are already dropped by `topic_words`,
    so '" OR 1=1 --' ranks on nothing and finds nothing, cleanly.
    """
    return topic_words(HPO_ID.sub(" ", fold(text)))
