"""One name index per knowledge base: every name a person may use, read one way.

`show`, `plan`, `ask`, `search`, the plan wizard, the FHIR reader and the extraction
lexicon all read names through here, so what one front door understands the others
understand too ("too much spit" is excess saliva everywhere). The index holds concept
names, brands, synonyms, lay terms and codes, HPO names (read from the store) and the
lay-term lexicon (``data/lexicon/lay_terms.yaml``), and offers exact lookup, resolution
of a typed name (optionally of given kinds), phrase finding in a question, and
"did you mean" suggestions ranked by closeness.

Typos are forgiven conservatively: one edit per word of four or more letters, never in a
word with digits (SMA type 9 is no typo of type 2) and never in a word some source or
name uses ("cure" never reads as "cause"); the sources are asked through their FTS5
index, never scanned.
"""

from __future__ import annotations

import difflib
import sqlite3
import threading
import weakref
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, Protocol

import yaml

from .errors import DataError, NotFound
from .models import Concept
from .phrases import LEXICON_FILE, UNKNOWN_HPO, VIA_RANK, Finder, LexiconEntry, Mention
from .tokens import STOPWORDS, closest, fold, hpo_ids, norm_name, stem, stems, words

__all__ = [
    "STOPWORDS",
    "UNKNOWN_HPO",
    "LexiconEntry",
    "Mention",
    "NameIndex",
    "closest",
    "fold",
    "hpo_ids",
    "load_lexicon",
    "norm_name",
    "read_list",
    "stem",
    "stems",
    "str_list",
    "whole_name",
    "words",
]

# --- the lay-term lexicon and HPO keys, as data --------------------------------------
_YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_list(path: Traversable | Path | None, default: str) -> tuple[list[Any], str]:
    """A YAML list from package data (or `path`); DataError names the file."""
    file = path if path is not None else resources.files("smanav") / "data" / default
    label = default if path is None else str(path)
    try:
        raw = yaml.load(file.read_text(encoding="utf-8"), Loader=_YAML_LOADER)  # noqa: S506
    except yaml.YAMLError as exc:
        raise DataError(label, None, None, f"not valid YAML: {exc}") from None
    except OSError as exc:
        raise DataError(label, None, None, f"cannot be read: {exc}") from None
    if not isinstance(raw, list):
        raise DataError(label, None, None, "expected a list of records")
    return raw, label


def str_list(value: object, label: str, rid: str, fld: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise DataError(label, rid, fld, "expected a non-empty list of words or phrases")
    out = []
    for i, item in enumerate(value):
        if not isinstance(item, str) or not words(item):
            raise DataError(label, rid, f"{fld}.{i}", f"expected a phrase, got {item!r}")
        out.append(item)
    return tuple(out)


def load_lexicon(path: Traversable | Path | None = None) -> list[LexiconEntry]:
    """Read and validate the lexicon; DataError names the file, record and field."""
    raw, label = read_list(path, LEXICON_FILE)
    entries: list[LexiconEntry] = []
    for i, rec in enumerate(raw):
        rid = f"#{i + 1}"
        if not isinstance(rec, dict):
            raise DataError(label, rid, None, "expected a mapping with 'concept' and 'phrases'")
        concept = rec.get("concept")
        if not isinstance(concept, str) or not concept:
            raise DataError(label, rid, "concept", "expected a concept id")
        rid = f"{rid} ({concept})"
        unknown = set(rec) - {"concept", "phrases", "all_words"}
        if unknown:
            raise DataError(label, rid, sorted(unknown)[0], "unknown field")
        phrases = str_list(rec.get("phrases"), label, rid, "phrases")
        groups: list[tuple[str, ...]] = []
        for j, group in enumerate(rec.get("all_words") or []):
            groups.append(str_list(group, label, rid, f"all_words.{j}"))
        entries.append(LexiconEntry(concept, phrases, tuple(groups)))
    return entries


# --- what a knowledge base must offer -------------------------------------------------
class _KB(Protocol):
    """The parts of a KnowledgeBase the index reads (kb.py imports this module)."""

    concepts: dict[str, Concept]
    name_rows: list[tuple[str, str, str, str]]
    path: Path | None
    texts: Mapping[str, str]


class _SourceWords:
    """Whether any stored passage uses a word, asked of the FTS5 index (never a scan).

    Answers are kept until another connection writes (an ingest adds words).
    """

    def __init__(self, kb: _KB) -> None:
        if kb.path is not None and Path(kb.path).exists():
            uri = f"{Path(kb.path).absolute().as_uri()}?mode=ro"
            self.conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
        else:  # a knowledge base built in memory: its texts, indexed alike
            self.conn = sqlite3.connect(":memory:", check_same_thread=False)
            self.conn.execute(
                "CREATE VIRTUAL TABLE passage_fts USING fts5(text, "
                "tokenize='porter unicode61 remove_diacritics 2')"
            )
            self.conn.executemany(
                "INSERT INTO passage_fts VALUES (?)", [(t,) for t in kb.texts.values()]
            )
        self.lock = threading.Lock()
        self._seen: dict[str, bool] = {}
        self._version = -1

    def version(self) -> int:
        """Changes when another connection writes to the store."""
        with self.lock:
            return int(self.conn.execute("PRAGMA data_version").fetchone()[0])

    def __call__(self, word: str) -> bool:
        quoted = '"' + word.replace('"', '""') + '"'
        version = self.version()
        with self.lock:
            if version != self._version:
                self._seen.clear()
                self._version = version
            hit = self._seen.get(word)
            if hit is None:
                try:
                    row = self.conn.execute(
                        "SELECT 1 FROM passage_fts WHERE passage_fts MATCH ? LIMIT 1", (quoted,)
                    ).fetchone()
                except sqlite3.Error:
                    row = None
                hit = self._seen[word] = row is not None
        return hit


_INDEXES: weakref.WeakKeyDictionary[Any, NameIndex] = weakref.WeakKeyDictionary()
_BUILD = threading.Lock()


class NameIndex:
    """Every name of one knowledge base: exact lookup, resolution, phrases, suggestions.

    Built once per knowledge base (`for_kb`); the phrase tables, with HPO's 42 k names,
    are built on the first question or the first name not known exactly. What a text
    names is kept (up to KEEP texts) until the store's sources change.
    """

    KEEP = 4096

    def __init__(
        self,
        concepts: Mapping[str, Concept],
        rows: Iterable[tuple[str, str, str]],
        lexicon: list[LexiconEntry],
        conn: sqlite3.Connection | None = None,
        uses_word: Callable[[str], bool] = lambda _w: False,
        version: Callable[[], int] = lambda: 0,
    ) -> None:
        self.concepts = concepts
        #: normalised name -> [(concept id, how it names it)], from the store's names
        self.exact: dict[str, list[tuple[str, str]]] = {}
        #: (concept id, name, how it names it), as the store lists them
        self.rows = list(rows)
        for cid, name, via in self.rows:
            hits = self.exact.setdefault(norm_name(name), [])
            if (cid, via) not in hits:
                hits.append((cid, via))
        self._lexicon = lexicon
        self._conn = conn
        self._uses_word = uses_word
        self._phrases: Finder | None = None
        self._lock = threading.Lock()
        self._version = version
        self._seen: dict[str, tuple[list[Mention], list[dict[str, str]]]] = {}
        self._seen_version = -1
        self._suggested: dict[tuple[str, frozenset[str] | None, int, str], list[str]] = {}
        self._pools: dict[tuple[frozenset[str] | None, str], _Pool] = {}

    @classmethod
    def for_kb(cls, kb: _KB) -> NameIndex:
        """The index of this knowledge base, built once and let go with it."""
        idx = _INDEXES.get(kb)
        if idx is None:
            with _BUILD:
                idx = _INDEXES.get(kb)
                if idx is None:
                    words_of = _SourceWords(kb)
                    rows = [(cid, name, via) for cid, name, _norm, via in kb.name_rows]
                    idx = cls(
                        kb.concepts, rows, load_lexicon(), words_of.conn, words_of, words_of.version
                    )
                    _INDEXES[kb] = idx
                    weakref.finalize(kb, words_of.conn.close)
        return idx

    @property
    def phrases(self) -> Finder:
        """The phrase finder, built on first use (HPO's 42 k names take a moment)."""
        if self._phrases is None:
            with self._lock:
                if self._phrases is None:
                    self._phrases = Finder(
                        self.concepts, self._lexicon, self._conn, self._uses_word
                    )
        return self._phrases

    # -- exact -------------------------------------------------------------------------
    def lookup(self, name: str) -> Concept | None:
        """Exact lookup (any case, spacing or punctuation); None when nothing matches."""
        hits = self.exact.get(norm_name(name))
        if not hits:
            return None
        return self.concepts[_ranked(hits)[0][0]]

    # -- questions ---------------------------------------------------------------------
    def find(self, text: str) -> tuple[list[Mention], list[dict[str, str]]]:
        """Concepts mentioned in `text`, and HPO terms mentioned that no concept covers.

        A text that is exactly a name too long for the phrase tables (nine words or more)
        is that name."""
        self._fresh()
        with self._lock:
            seen = self._seen.get(text)
        if seen is None:
            mentions, other = self.phrases.find(text)
            exact = self.exact.get(norm_name(text))
            if exact and not whole_name(text, mentions):
                n = len(words(text))
                mentions = [Mention(cid, text, via, 0, n) for cid, via in _ranked(exact)]
            seen = (mentions, other)
            with self._lock:
                if len(self._seen) >= self.KEEP:
                    self._seen.clear()
                self._seen[text] = seen
        return list(seen[0]), [dict(o) for o in seen[1]]

    # -- one typed name ----------------------------------------------------------------
    def candidates(self, text: str) -> list[Concept]:
        """What a typed name may mean, best first: an id, an exact name, or the one
        thing the whole text names (lay phrases and forgiven typos included)."""
        if text.strip() in self.concepts:  # pages link by id; a profile given back
            return [self.concepts[text.strip()]]
        hits = self.exact.get(norm_name(text))
        if hits:
            return [self.concepts[cid] for cid in dict.fromkeys(c for c, _ in _ranked(hits))]
        return [self.concepts[m.concept] for m in self.whole(text)]

    def whole(self, text: str) -> list[Mention]:
        """The mentions when together they name the whole text as one thing, else none."""
        return whole_name(text, self.find(text)[0])

    def resolve(
        self, text: object, kinds: Collection[str] | None = None, field: str = "name"
    ) -> Concept:
        """The concept a typed name means, of one of `kinds` when given; NotFound with
        suggestions of those kinds otherwise."""
        if not isinstance(text, str) or not text.strip():
            raise NotFound(field, "is empty: give a treatment, symptom or other name")
        found = self.candidates(text)
        fit = [c for c in found if kinds is None or c.kind in kinds]
        if fit:
            return fit[0]
        if found:
            c = found[0]
            kind = c.kind.value.replace("_", " ")
            raise NotFound(
                field, f"{text!r} is {c.name}, a {kind}", self.suggest(text, kinds, but=c.id)
            )
        raise NotFound(field, f"{text!r} is not in the knowledge base", self.suggest(text, kinds))

    def suggest(
        self, text: str, kinds: Collection[str] | None = None, limit: int = 5, but: str = ""
    ) -> list[str]:
        """Names close to what was typed, of `kinds` when given, closest first, one per
        concept: concepts some words name (or nearly name) first, then whole-name matches."""
        kinds = frozenset(kinds) if kinds is not None else None
        asked = (text, kinds, limit, but)
        self._fresh()
        with self._lock:
            known = self._suggested.get(asked)
        if known is not None:
            return list(known)
        pool = self._pool(kinds, but)
        out: dict[str, str] = {}
        for m in self.find(text)[0] if text.strip() else []:
            if m.concept in pool.allowed:
                c = self.concepts[m.concept]
                out.setdefault(m.concept, (closest(m.text, c.all_names, 1, 0) or [c.name])[0])
        for key in difflib.get_close_matches(norm_name(text), pool.keys, n=limit * 3, cutoff=0.6):
            cid, label = pool.labels[key]
            out.setdefault(cid, label)
        found = list(out.values())[:limit]
        with self._lock:
            if len(self._suggested) >= self.KEEP:
                self._suggested.clear()
            self._suggested[asked] = found
        return list(found)

    def _fresh(self) -> None:
        """Forget what texts named when an ingest added words (typos are read anew)."""
        version = self._version()
        with self._lock:
            if version != self._seen_version:
                self._seen.clear()
                self._suggested.clear()
                self._seen_version = version

    def _pool(self, kinds: frozenset[str] | None, but: str) -> _Pool:
        """The names suggestions are drawn from, per kinds asked (a handful of sets)."""
        pool = self._pools.get((kinds, but))
        if pool is None:
            allowed = {
                c.id
                for c in self.concepts.values()
                if (kinds is None or c.kind in kinds) and c.id != but
            }
            labels: dict[str, tuple[str, str]] = {}
            for cid, name, via in self.rows:
                if cid in allowed:  # a lay or HPO name is shown as the concept's name
                    shown = name if via in ("name", "brand", "synonym") else ""
                    labels.setdefault(norm_name(name), (cid, shown or self.concepts[cid].name))
            pool = self._pools[(kinds, but)] = _Pool(frozenset(allowed), labels, list(labels))
        return pool


@dataclass(frozen=True)
class _Pool:
    allowed: frozenset[str]
    labels: dict[str, tuple[str, str]]
    keys: list[str]


def whole_name(text: str, mentions: list[Mention]) -> list[Mention]:
    """The mentions when together they name the whole text as one thing, else none."""
    toks = words(text)
    keys = [stem(w) for w in toks]
    content = {i for i, t in enumerate(toks) if t not in STOPWORDS}
    covered: set[int] = set()
    for m in mentions:
        covered.update(range(m.start, m.end))
        if " … " in m.text:  # all the words of a lexicon group, anywhere
            group = set(m.text.split(" … "))
            covered.update(i for i, k in enumerate(keys) if k in group)
    spans = {(m.start, m.end) for m in mentions if " … " not in m.text}
    if not mentions or not content <= covered or len(spans) > 1:
        return []
    return mentions


def _ranked(hits: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """(concept id, via) best first: by how the name names it, then by id."""
    return sorted(hits, key=lambda h: (VIA_RANK.get(h[1], 9), h[0]))
