"""Finding names in a question: the phrase tables behind `NameIndex.find`.

Matching compares lightly stemmed word sequences, longest first, so "too much spit" wins
over "spit" and "spitting" matches "spit". HPO terms that no concept carries are still
recognised and reported, so a person learns that smanav's sources do not cover them
rather than getting a guess. Built from a knowledge base's concepts, the lay-term
lexicon and the store's HPO tables; `smanav.names` owns one per knowledge base.
"""

from __future__ import annotations

import difflib
import sqlite3
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from .errors import DataError
from .models import Concept
from .tokens import STOPWORDS, hpo_ids, one_edit, stem, words

__all__ = [
    "LEXICON_FILE",
    "UNKNOWN_HPO",
    "VIA_RANK",
    "Finder",
    "LexiconEntry",
    "Mention",
    "hpo_key_rows",
    "spans",
]

T = TypeVar("T")

LEXICON_FILE = "lexicon/lay_terms.yaml"
_MAX_PHRASE = 8
#: Shortest word (stemmed) a typo is forgiven in, inside a name of several words.
_FUZZY_MIN = 4
#: The name an HPO id outside smanav's copy of the ontology gets in `other_terms`.
UNKNOWN_HPO = "not in smanav's copy of HPO"
#: How a name was matched, best first (a brand is as sure as a name; the curated concepts'
#: own lay terms before the lexicon's phrases; a typo least).
VIA_RANK = {"name": 0, "brand": 0, "synonym": 1, "code": 1, "lay": 2, "lexicon": 3, "hpo": 3}


@dataclass(frozen=True)
class LexiconEntry:
    concept: str
    phrases: tuple[str, ...]
    all_words: tuple[tuple[str, ...], ...]


class _Named(Protocol):
    def name_of(self, cid: str | None) -> str: ...


@dataclass(frozen=True)
class Mention:
    """A concept found in the query: which words, where (word positions), and how."""

    concept: str
    text: str
    via: str
    start: int
    end: int

    def to_dict(self, kb: _Named) -> dict[str, Any]:
        return {
            "concept": self.concept,
            "name": kb.name_of(self.concept),
            "text": self.text,
            "via": self.via,
        }


def _key(text: str) -> tuple[str, ...]:
    return tuple(stem(w) for w in words(text))


def hpo_key_rows(conn: sqlite3.Connection) -> list[tuple[str, str, str]]:
    """(HPO id, name or synonym, stemmed words) for every HPO name worth recognising.

    Stemming 42 k names took most of a new process's first search; `db build` stores
    these rows (table hpo_keys), so a process reads them instead.
    """
    import json

    try:
        rows = conn.execute("SELECT id, name, synonyms FROM hpo_terms ORDER BY rowid").fetchall()
    except sqlite3.Error:
        return []
    out: list[tuple[str, str, str]] = []
    for hid, name, syn in rows:
        for n in [name, *json.loads(syn or "[]")]:
            key = _key(n)
            if not key or len(key) > _MAX_PHRASE or all(w in STOPWORDS for w in key):
                continue
            if len(key) == 1 and len(key[0]) < 4:
                continue
            out.append((hid, n, " ".join(key)))
    return out


class Finder:
    """Phrase index over every name smanav knows, built once per knowledge base."""

    def __init__(
        self,
        concepts: Mapping[str, Concept],
        lexicon: list[LexiconEntry],
        conn: sqlite3.Connection | None,
        uses_word: Callable[[str], bool],
    ) -> None:
        #: stemmed word tuple -> [(concept id, via)]
        self.phrases: dict[tuple[str, ...], list[tuple[str, str]]] = {}
        #: stemmed word tuple -> (HPO id, label) for HPO terms no concept carries
        self.hpo_only: dict[tuple[str, ...], tuple[str, str]] = {}
        #: HPO id -> label, every term of smanav's copy of the ontology
        self.hpo_names: dict[str, str] = {}
        self.all_words: list[tuple[frozenset[str], str]] = []
        #: content-word tuple (stopwords dropped) -> [(concept id, via)]
        self.loose: dict[tuple[str, ...], list[tuple[str, str]]] = {}
        linked: dict[str, str] = {}
        for c in concepts.values():
            self._add(c.name, c.id, "name")
            for s in c.synonyms:
                self._add(s, c.id, "synonym")
            for b in c.brands:
                self._add(b, c.id, "brand")
            for lay in c.lay_terms:
                self._add(lay, c.id, "lay")
            for code in c.codes:
                if code.system == "HPO":
                    linked[code.code] = c.id
                    self._add(code.code, c.id, "code")
        for i, e in enumerate(lexicon):
            if e.concept not in concepts:
                rid = f"#{i + 1} ({e.concept})"
                raise DataError(LEXICON_FILE, rid, "concept", f"unknown concept id {e.concept!r}")
            for p in e.phrases:
                self._add(p, e.concept, "lexicon")
            for group in e.all_words:
                self.all_words.append((frozenset(stem(w) for w in group), e.concept))
        if conn is not None:
            self._load_hpo(conn, linked)
        self.linked_hpo = linked
        self.single = sorted({k[0] for k in self.phrases if len(k) == 1 and len(k[0]) >= 5})
        # Words the sources or names use are real words, never typos. The names' words are
        # held here; the sources' are asked of the FTS5 index (once per word), never read
        # into memory.
        self.name_words = frozenset(k for key in self.phrases for k in key)
        self._uses_word = uses_word
        #: word -> names of two or more words that use it, for forgiving typos inside them
        self.multi: dict[str, list[tuple[str, ...]]] = {}
        for key in self.phrases:
            if len(key) >= 2:
                for w in set(key):
                    if len(w) >= _FUZZY_MIN and not any(ch.isdigit() for ch in w):
                        self.multi.setdefault(w, []).append(key)

    def _add(self, text: str, cid: str, via: str, key: tuple[str, ...] | None = None) -> None:
        key = _key(text) if key is None else key
        if not key or len(key) > _MAX_PHRASE or all(w in STOPWORDS for w in key):
            return
        if len(key) == 1 and len(key[0]) < 2:
            return
        hits = self.phrases.setdefault(key, [])
        if all(h[0] != cid for h in hits):
            hits.append((cid, via))
        # Also by content words alone, for "braces for arms and legs" against "braces for
        # the arms and legs"; used only where the exact pass found nothing, and only for
        # names with two or more content words (so "too much spit" never shrinks to "spit").
        content = tuple(w for w in key if w not in STOPWORDS)
        if len(content) >= 2 and content != key:
            loose = self.loose.setdefault(content, [])
            if all(h[0] != cid for h in loose):
                loose.append((cid, via))

    def _load_hpo(self, conn: sqlite3.Connection, linked: dict[str, str]) -> None:
        try:
            self.hpo_names = dict(conn.execute("SELECT id, name FROM hpo_terms").fetchall())
            keyed = conn.execute("SELECT id, name, key FROM hpo_keys ORDER BY rowid").fetchall()
        except sqlite3.Error:
            keyed = []
        if not keyed:  # a file from before hpo_keys, or built in memory: stem them now
            keyed = hpo_key_rows(conn)
        for hid, name, key in keyed:
            k = tuple(key.split(" "))
            if hid in linked:
                self._add(name, linked[hid], "hpo", k)
            elif k not in self.phrases:
                self.hpo_only.setdefault(k, (hid, self.hpo_names[hid]))

    def find(self, text: str) -> tuple[list[Mention], list[dict[str, str]]]:
        """Concepts mentioned in `text`, and HPO terms mentioned that no concept covers."""
        toks = words(text)
        keys = [stem(w) for w in toks]
        mentions = [
            Mention(cid, " ".join(toks[a:b]), via, a, b)
            for a, b, hits in spans(keys, self.phrases)
            for cid, via in hits
        ]
        idx = [i for i, k in enumerate(keys) if k not in STOPWORDS]
        for a, b, hits in spans([keys[i] for i in idx], self.loose):
            lo, hi = idx[a], idx[b - 1] + 1
            inside = [m for m in mentions if m.start < hi and lo < m.end]
            # A longer name read past its small words beats the shorter names inside it.
            if all(lo <= m.start and m.end <= hi and m.end - m.start < b - a for m in inside):
                mentions = [m for m in mentions if m not in inside]
                mentions += [Mention(cid, " ".join(toks[lo:hi]), via, lo, hi) for cid, via in hits]
        # HPO terms no concept carries, only where no concept was found: the curated
        # words come first ("twitching" is a spasm to a family, not fasciculations).
        covered = {p for m in mentions for p in range(m.start, m.end)}
        other: list[dict[str, str]] = []
        for a, b, (hid, label) in spans(keys, self.hpo_only):
            if covered.isdisjoint(range(a, b)) and all(o["hpo"] != hid for o in other):
                other.append({"hpo": hid, "name": label, "text": " ".join(toks[a:b])})
        # An HPO id no concept carries is named as such, never matched on its "hp".
        for hid in hpo_ids(text):
            digits = hid[3:]
            at = next(i for i, t in enumerate(toks) if t.endswith(digits) or t == "hp")
            cid = self.linked_hpo.get(hid)
            if cid is not None:  # "HP0002650", glued, is still the code a concept carries
                if all(m.concept != cid for m in mentions):
                    mentions.append(Mention(cid, hid, "code", at, at + 1))
            elif all(o["hpo"] != hid for o in other):
                label = self.hpo_names.get(hid, UNKNOWN_HPO)
                other.append({"hpo": hid, "name": label, "text": hid})
        present = set(keys)
        for group, cid in self.all_words:
            if group <= present and all(m.concept != cid for m in mentions):
                pos = min(keys.index(w) for w in group)
                mentions.append(Mention(cid, " … ".join(sorted(group)), "lexicon", pos, pos + 1))
        taken = covered | {p for a, b, _h in spans(keys, self.hpo_only) for p in range(a, b)}
        mentions += self._fuzzy(toks, keys, mentions, taken)
        mentions += self._typos(toks, keys, mentions)
        return _dedupe(mentions), other

    def known(self, token: str, key: str) -> bool:
        """A word some name or some source uses (stemmed `key`, as typed `token`)."""
        return key in self.name_words or self._uses_word(token)

    def _fuzzy(
        self, toks: list[str], keys: list[str], found: list[Mention], taken: set[int]
    ) -> list[Mention]:
        """Names of several words with a typo or two ("stif muscels" → stiff muscles).

        Conservative: each differing word is one edit away (a swap of two letters counts
        as one), at least four letters long, has no digits, and is a word no source or
        name uses (so "cure" never reads as "cause"); the other words match exactly; and
        the words must all point to one concept.
        """
        covered = taken | {p for m in found for p in range(m.start, m.end)}
        odd = [
            i
            for i, (tok, key) in enumerate(zip(toks, keys, strict=True))
            if i not in covered
            and len(key) >= _FUZZY_MIN
            and tok not in STOPWORDS
            and not self.known(tok, key)
            and not any(ch.isdigit() for ch in key)
        ]
        if not odd:
            return []
        hits: dict[tuple[int, int], set[tuple[str, str]]] = {}
        for i in odd:
            for word, names in self.multi.items():
                if not one_edit(keys[i], word):
                    continue
                for name in names:
                    for j, w in enumerate(name):
                        a, b = i - j, i - j + len(name)
                        if w != word or a < 0 or b > len(keys):
                            continue
                        if covered & set(range(a, b)):
                            continue
                        if all(_word_fits(keys[k], name[k - a], k in odd) for k in range(a, b)):
                            hits.setdefault((a, b), set()).update(self.phrases[name])
        out: list[Mention] = []
        used: set[int] = set()
        for (a, b), found_here in sorted(hits.items(), key=lambda t: (t[0][0] - t[0][1], t[0])):
            cids = {cid for cid, _via in found_here}
            if len(cids) == 1 and used.isdisjoint(range(a, b)):
                used.update(range(a, b))
                out.append(Mention(cids.pop(), " ".join(toks[a:b]), "typo", a, b))
        return out

    def _typos(self, toks: list[str], keys: list[str], found: Iterable[Mention]) -> list[Mention]:
        """A misspelt drug or symptom name ("spinrasa"): only for words no passage uses."""
        covered = {p for m in found for p in range(m.start, m.end)}
        out: list[Mention] = []
        for i, (tok, key) in enumerate(zip(toks, keys, strict=True)):
            if i in covered or len(key) < 5 or tok in STOPWORDS or self.known(tok, key):
                continue
            close = difflib.get_close_matches(key, self.single, n=1, cutoff=0.8)
            if close:
                cid, _via = self.phrases[(close[0],)][0]
                out.append(Mention(cid, tok, "typo", i, i + 1))
        return out


def _word_fits(typed: str, name_word: str, may_differ: bool) -> bool:
    """A query word matches a name's word exactly, or (when it may be a typo) nearly."""
    if typed == name_word:
        return True
    return may_differ and len(name_word) >= _FUZZY_MIN and one_edit(typed, name_word)


def spans(keys: list[str], table: dict[tuple[str, ...], T]) -> list[tuple[int, int, T]]:
    """Non-overlapping matches, longer ones first wherever they start.

    "the gene therapy infusion" is one treatment, not "the gene" plus leftovers.
    """
    found: list[tuple[int, int, T]] = []
    for i in range(len(keys)):
        for n in range(min(_MAX_PHRASE, len(keys) - i), 0, -1):
            hit = table.get(tuple(keys[i : i + n]))
            if hit is not None:
                found.append((i, i + n, hit))
                break
    taken: set[int] = set()
    out: list[tuple[int, int, T]] = []
    for a, b, hit in sorted(found, key=lambda t: (t[0] - t[1], t[0])):
        if taken.isdisjoint(range(a, b)):
            taken.update(range(a, b))
            out.append((a, b, hit))
    return sorted(out, key=lambda t: t[0])


def _dedupe(mentions: list[Mention]) -> list[Mention]:
    """One mention per concept (its first, best-ranked way of being named)."""
    best: dict[str, Mention] = {}
    for m in mentions:
        old = best.get(m.concept)
        if old is None or (m.start, VIA_RANK.get(m.via, 9)) < (old.start, VIA_RANK.get(old.via, 9)):
            best[m.concept] = m
    return sorted(best.values(), key=lambda m: (m.start, VIA_RANK.get(m.via, 9), m.concept))
