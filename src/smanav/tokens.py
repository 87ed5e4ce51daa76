"""The one normaliser: how every name and question is cut into comparable words.

Names are compared folded (case and accents, as FTS5's ``remove_diacritics 2``),
as word tokens (punctuation and spacing do not matter) and, for phrases, lightly
stemmed ("spitting" is "spit"). Closeness for typos and "did you mean" is here too,
so every front door forgives the same slips.
"""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata
from collections.abc import Iterable

__all__ = [
    "HPO_ID",
    "STOPWORDS",
    "closest",
    "fold",
    "hpo_ids",
    "norm_name",
    "one_edit",
    "slug",
    "stem",
    "stems",
    "words",
]

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


def fold(text: str) -> str:
    """Case and accents folded, as the FTS5 tokenizer does (remove_diacritics 2)."""
    if text.isascii():  # nothing to decompose: most names and questions, 10x faster
        return text.casefold()
    folded = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in folded if not unicodedata.combining(ch))


def words(text: str) -> list[str]:
    """Folded word tokens in order ("can't" gives "can", "t"; "G-tube" gives "g", "tube")."""
    return _WORD.findall(fold(text).replace("_", " "))


def norm_name(name: str) -> str:
    """Key for exact lookups: case, accents, punctuation and spacing do not matter."""
    return " ".join(words(name))


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


def hpo_ids(text: str) -> list[str]:
    """HPO ids in the text, as "HP:0002650", in order, each once."""
    out: list[str] = []
    for m in HPO_ID.finditer(fold(text)):
        hid = f"HP:{m.group(1)}"
        if hid not in out:
            out.append(hid)
    return out


# --- closeness ----------------------------------------------------------------------
def one_edit(a: str, b: str) -> bool:
    """One insertion, deletion, substitution or swap of neighbours apart (not equal)."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        i = diff[0]
        return len(diff) == 2 and diff[1] == i + 1 and a[i] == b[i + 1] and a[i + 1] == b[i]
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    i = next((k for k in range(len(short)) if short[k] != long_[k]), len(short))
    return short[i:] == long_[i + 1 :]


def closest(typed: str, options: Iterable[str], n: int = 5, cutoff: float = 0.6) -> list[str]:
    """Options close to what was typed, closest first (case, accents, spacing ignored)."""
    by_key: dict[str, str] = {}
    for o in options:
        by_key.setdefault(norm_name(o), o)
    keys = difflib.get_close_matches(norm_name(typed), list(by_key), n=n, cutoff=cutoff)
    return [by_key[k] for k in keys]


_SLUG = re.compile(r"[^a-z0-9]+")


def slug(name: str) -> str:
    """An id made of a name ("Vitamin D" → vitamin-d), for concepts extraction proposes."""
    return _SLUG.sub("-", norm_name(name)).strip("-") or "x"
