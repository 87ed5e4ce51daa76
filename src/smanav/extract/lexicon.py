"""The recognition lexicon: knowledge-base names, a broad drug dictionary and HPO terms.

Recognition must find what the curated lexicon has never seen, so three sources
feed one Aho-Corasick automaton (pyahocorasick): every name of every concept in
the knowledge base; drug-named-entity-recognition's dictionary of generic and
brand names (DrugBank, MeSH, NHS, Wikipedia, ~100 k variants); and HPO terms
with their synonyms (symptoms). Keys are wrapped in spaces and the text is
matched in a 1:1 lower-cased form with punctuation blanked, so every hit sits on
word boundaries and offsets need no translation.

Loading drug-NER's pickle takes ~3 s, so a compact copy is cached per package
version in the user's cache folder; the automaton itself is built per process.
"""

from __future__ import annotations

import bz2
import hashlib
import importlib.util
import json
import os
import pickle
import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..kb import KnowledgeBase, data_root, read_yaml
from ..names import NameIndex
from ..text import WordBreaker
from ..tokens import slug
from .vocabulary import KIND_AS, grammar, term_variants, vocabulary

__all__ = ["Entry", "Lexicon", "LexiconSpec", "english_words", "match_form", "rules", "slug"]

#: Kinds never reported as mentions: headings name care domains, not things.
SKIPPED_KINDS = frozenset({"care_domain"})


_NOT_WORD = re.compile(r"[\W_]")
#: ASCII fast path of `_NOT_WORD`: every ASCII character that is not a letter or digit.
_ASCII_BLANK = str.maketrans({chr(i): " " for i in range(128) if not chr(i).isalnum()})


def match_form(text: str) -> str:
    """Lower case, punctuation blanked, same length as `text` (offsets carry over)."""
    if text.isascii():  # most text: translate is ~5x faster than the regex
        return text.lower().translate(_ASCII_BLANK)
    low = text.lower()
    if len(low) != len(text):  # a few characters (İ) grow when lower-cased
        low = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    return _NOT_WORD.sub(" ", low)


def key_of(name: str) -> str:
    return " ".join(match_form(name).split())


def keys_of(names: list[str]) -> list[str]:
    """`key_of` of many names in one pass: match_form keeps lengths, so one call on the
    joined text slices back into each name's form (~4x faster for the drug dictionary)."""
    form = match_form("\n".join(names))
    out: list[str] = []
    start = 0
    for name in names:
        end = start + len(name)
        out.append(" ".join(form[start:end].split()))
        start = end + 1
    return out


@lru_cache(maxsize=1)
def rules() -> dict[str, Any]:
    raw = (data_root() / "extract_rules.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = read_yaml(raw)
    return data


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    data = json.loads((data_root() / "english_words.json").read_text(encoding="utf-8"))
    return frozenset(data["words"].split())


@lru_cache(maxsize=1)
def hpo_terms() -> dict[str, dict[str, Any]]:
    terms: dict[str, dict[str, Any]] = json.loads(
        (data_root() / "hpo.json").read_text(encoding="utf-8")
    )["terms"]
    return terms


def _cache_dir() -> Path:
    from ..settings import settings

    return settings().cache_home / "smanav"


@lru_cache(maxsize=1)
def drug_dictionary() -> dict[str, tuple[str, bool, str | None, bool]]:
    """variant → (display name of the generic, is a brand, DrugBank id, is drug-like);
    {} if absent. Drug-like: see vocabulary.drug_like (enzymes, markers, proteins are not)."""
    from .vocabulary import drug_like

    # Locate the file without importing the package: its import unpickles everything (~3 s).
    spec = importlib.util.find_spec("drug_named_entity_recognition")
    if spec is None or not spec.submodule_search_locations:
        return {}
    source = Path(list(spec.submodule_search_locations)[0]) / "drug_ner_dictionary.pkl.bz2"
    try:
        raw = source.read_bytes()
    except OSError:
        return {}
    tag = hashlib.sha256(raw).hexdigest()[:16]
    cached = _cache_dir() / f"drugs-v2-{tag}.pickle"
    try:
        with cached.open("rb") as fh:
            out: dict[str, tuple[str, bool, str | None, bool]] = pickle.load(fh)
            return out
    except (OSError, pickle.UnpicklingError, EOFError):
        pass
    d = pickle.loads(bz2.decompress(raw))
    canon = d["drug_canonical_to_data"]
    vdata = d["drug_variant_to_variant_data"]
    out = {}
    for variant, canonicals in d["drug_variant_to_canonical"].items():
        c = canonicals[0]
        info = canon.get(c, {})
        name = str(info.get("name") or c)
        out[variant] = (
            name,
            bool(vdata.get(variant, {}).get("is_brand", False)),
            info.get("drugbank_id"),
            drug_like(name, info) and drug_like(variant, {}),
        )
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(f".{os.getpid()}.tmp")
        with tmp.open("wb") as fh:
            pickle.dump(out, fh, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(cached)
    except OSError:
        pass  # a read-only home still works, only slower
    return out


#: Automaton values pack an entry index and the matched key's length in one 32-bit int.
KEY_LEN_BITS = 10
KEY_LEN_LIMIT = 1 << KEY_LEN_BITS  # no name is 1,022 characters long


def pack(idx: int, klen: int) -> int:
    return (idx << KEY_LEN_BITS) | klen


def unpack(value: int) -> tuple[int, int]:
    """(entry index, key length with its two spaces); the index is negative for a
    grammar head that is no lexicon key."""
    return value >> KEY_LEN_BITS, value & (KEY_LEN_LIMIT - 1)


@dataclass(frozen=True)
class Entry:
    """What a lexicon key means: a concept (known or proposed) with its codes."""

    concept: str
    name: str
    kind: str
    codes: tuple[tuple[str, str, str], ...] = ()
    new: bool = False
    rank: int = 0
    #: Care domain of a proposed intervention (accepting it needs one).
    domain: str | None = None
    #: A name that is a treatment only in a treatment context ("given oxygen").
    context_only: bool = False


@dataclass(frozen=True)
class LexiconSpec:
    """The knowledge-base part of the lexicon: small and picklable, sent to Dask workers."""

    entries: tuple[tuple[str, Entry], ...]
    #: Concept ids by normalised name, to link dictionary drugs to known concepts.
    known: tuple[tuple[str, str], ...]
    digest: str = ""

    @classmethod
    def from_kb(cls, kb: KnowledgeBase) -> LexiconSpec:
        """Every name of every concept, from the one name index (HPO names included):
        generic names, synonyms and brands rank first, lay terms and HPO names next."""
        entries: list[tuple[str, Entry]] = []
        known: list[tuple[str, str]] = []
        by_concept: dict[str, list[tuple[str, str]]] = {}
        for cid, name, via in NameIndex.for_kb(kb).rows:
            if via != "code":  # "HP:0002650" is a code, not words an article uses
                by_concept.setdefault(cid, []).append((name, via))
        for cid in sorted(kb.concepts):
            c = kb.concepts[cid]
            if c.kind.value in SKIPPED_KINDS:
                continue
            codes = tuple((code.system, code.code, code.status) for code in c.codes)
            for n, via in by_concept.get(cid, []):
                rank = 0 if via in ("name", "synonym", "brand") else 1
                entries.append((n, Entry(cid, c.name, c.kind.value, codes, False, rank)))
                known.append((key_of(n), cid))
        blob = json.dumps([(n, e.concept, e.kind) for n, e in entries]).encode()
        return cls(tuple(entries), tuple(known), hashlib.sha256(blob).hexdigest()[:16])


@dataclass
class Lexicon:
    """The compiled automaton plus what each key means."""

    spec: LexiconSpec
    automaton: Any = None
    entries: list[Entry] = field(default_factory=list)
    case_sensitive: dict[int, str] = field(default_factory=dict)
    breaker: WordBreaker | None = None
    #: Knowledge-base concepts by id (pattern matches link to them).
    known_entries: dict[str, Entry] = field(default_factory=dict)
    #: Each key's surface form as first written (bench/ hands these to peers).
    surfaces: dict[str, str] = field(default_factory=dict)
    #: Lexicon key → index of its entry.
    keys: dict[str, int] = field(default_factory=dict)
    #: Entries whose key is also a grammar head ("braces"), and heads that are no key.
    head_of: dict[int, str] = field(default_factory=dict)
    pure_heads: list[str] = field(default_factory=list)

    @classmethod
    def build(cls, spec: LexiconSpec, drugs: bool = True, hpo: bool = True) -> Lexicon:
        import ahocorasick

        r = rules()
        words = english_words()
        ambiguous = {key_of(t) for t in r["ambiguous_terms"]}
        cs_max = int(r["case_sensitive_min"])
        known = dict(spec.known)
        generic_key = lru_cache(maxsize=None)(key_of)
        new_slug = lru_cache(maxsize=None)(slug)
        lex = cls(spec)
        best: dict[str, int] = {}

        def add(surface: str, entry: Entry, key: str | None = None) -> None:
            key = key_of(surface) if key is None else key
            if len(key) < 2:
                return
            prev = best.get(key)
            if prev is not None and lex.entries[prev].rank <= entry.rank:
                return
            best[key] = len(lex.entries)
            lex.entries.append(entry)
            lex.surfaces.setdefault(key, surface)
            if surface.isupper() and len(surface) <= cs_max:
                lex.case_sensitive[best[key]] = surface

        by_id: dict[str, Entry] = {}
        for surface, entry in spec.entries:
            add(surface, entry)
            by_id.setdefault(entry.concept, entry)
        for surface, entry in spec.entries:  # plurals the curated names leave out
            if surface[-1:].isalpha() and surface[-1] not in "sS" and not surface.isupper():
                add(surface + "s", replace(entry, rank=entry.rank + 1))
        for surface, entry in vocabulary_entries(by_id):
            add(surface, entry)
        if drugs:
            dictionary = drug_dictionary()
            variants = list(dictionary)
            # Entries repeat across a generic's variants: make each once.
            known_as: dict[str, Entry] = {}
            new_as: dict[tuple[str, str | None, bool], Entry] = {}
            for variant, key in zip(variants, keys_of(variants), strict=True):
                if len(key) < 4 or key in words or key in ambiguous or not key[0].isalpha():
                    continue
                generic, _brand, dbid, medicine = dictionary[variant]
                cid = known.get(key) or known.get(generic_key(generic))
                if cid is not None and cid in by_id:  # more names for a known concept
                    e = known_as.get(cid)
                    if e is None:
                        kb_entry = by_id[cid]
                        e = Entry(cid, kb_entry.name, kb_entry.kind, kb_entry.codes, False, 3)
                        known_as[cid] = e
                    add(variant, e, key)
                    continue
                e = new_as.get((generic, dbid, medicine))
                if e is None:
                    codes = (("DrugBank", dbid, "unverified"),) if dbid else ()
                    kind = "drug_class" if "agents" in generic.lower() else "drug"
                    e = Entry(new_slug(generic), generic.capitalize(), kind, codes, True, 3)
                    e = new_as[(generic, dbid, medicine)] = (
                        e if medicine else replace(e, context_only=True)
                    )
                add(variant, e, key)
        if hpo:
            extra = r.get("extra_names") or {}
            hpo_known = {code[1]: e for _s, e in spec.entries for code in e.codes}
            per_term: list[tuple[Entry, list[str]]] = []
            for hid, term in hpo_terms().items():
                linked = hpo_known.get(hid)
                codes = (("HPO", hid, "verified"),)
                entry = (
                    Entry(linked.concept, linked.name, linked.kind, linked.codes, False, 2)
                    if linked
                    else Entry(slug(term["name"]), term["name"], "symptom", codes, True, 4)
                )
                term_names = {term["name"], *term["synonyms"], *extra.get(hid, [])}
                per_term.append((entry, list(term_names)))
            hpo_keys = iter(keys_of([n for _e, names in per_term for n in names]))
            for entry, names in per_term:
                for n, key in zip(names, hpo_keys, strict=False):  # names first: stops there
                    if len(key) > 3 and key not in ambiguous:
                        add(n, entry, key)
        for name in vocabulary()["context_only"]:
            idx = best.get(key_of(name))
            if idx is not None:
                lex.entries[idx] = replace(lex.entries[idx], context_only=True)
        # Values are C integers, not Python objects: matching then never writes to the
        # automaton's memory (no reference counts), so forked Dask workers keep sharing it.
        auto = ahocorasick.Automaton(ahocorasick.STORE_INTS)
        for key, idx in best.items():
            if len(key) + 2 < KEY_LEN_LIMIT:
                auto.add_word(f" {key} ", pack(idx, len(key) + 2))
        # Grammar heads ride on the same pass: a lexicon key that is a head is marked,
        # any other head is a key of its own with a negative index (no entry).
        for head in grammar().by_head:
            idx = best.get(head)
            if idx is not None:
                lex.head_of[idx] = head
            elif " " not in head:
                lex.pure_heads.append(head)
                auto.add_word(f" {head} ", pack(-len(lex.pure_heads), len(head) + 2))
        auto.make_automaton()
        lex.automaton = auto
        lex.known_entries = by_id
        lex.keys = best
        terms = {k for k in best if " " not in k}
        lex.breaker = WordBreaker(terms, words)
        return lex


def vocabulary_entries(by_id: dict[str, Entry]) -> list[tuple[str, Entry]]:
    """Surfaces of the intervention vocabulary: a term naming a knowledge-base concept
    adds names to it; any other is a proposed concept with its kind and care domain."""
    out: list[tuple[str, Entry]] = []
    for term in vocabulary()["terms"]:
        known = by_id.get(term.get("concept") or "")
        if known is not None:
            entry = replace(known, rank=1)
        else:
            kind = KIND_AS.get(term["kind"], term["kind"])
            entry = Entry(slug(term["name"]), term["name"], kind, (), True, 1, term.get("domain"))
        out += [(v, entry) for v in sorted(term_variants(term))]
    return out


_LEXICONS: dict[str, Lexicon] = {}


def lexicon_for(spec: LexiconSpec) -> Lexicon:
    """One compiled lexicon per process and knowledge-base version (Dask workers reuse it)."""
    lex = _LEXICONS.get(spec.digest)
    if lex is None:
        _LEXICONS.clear()
        lex = _LEXICONS[spec.digest] = Lexicon.build(spec)
    return lex
