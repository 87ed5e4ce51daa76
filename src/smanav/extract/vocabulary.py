"""The intervention vocabulary (data/lexicon/interventions.yaml) and its small grammar.

The knowledge base names what it curates; texts nobody here wrote name equipment,
therapies and procedures in many more ways ("scoliosis brace", "body jacket", "NJ
tube", "assisted coughing"). Terms with kinds and lay variants feed the lexicon's
automaton (plurals and British/American spellings generated); a head/modifier grammar
recognises combinations listed nowhere and names them in one normalised form, so
"orthopaedic surgery" and "orthopedic surgeries" are one proposed concept. The same
file says which drug-dictionary names are not drugs (enzymes, lab markers, proteins,
molecule classes) unless a treatment context says otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ..kb import data_root, read_yaml
from ..tokens import slug

__all__ = [
    "Grammar",
    "Rule",
    "context_cues",
    "drug_like",
    "functional_groups",
    "grammar",
    "not_in_relations",
    "plural_forms",
    "slug",
    "spelling_forms",
    "term_variants",
    "vocabulary",
]

#: Vocabulary kinds the knowledge base has no kind for, reported as this kind.
KIND_AS = {"vaccine": "drug"}
_WORD = re.compile(r"\S+")


@lru_cache(maxsize=1)
def vocabulary() -> dict[str, Any]:
    raw = (data_root() / "lexicon" / "interventions.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = read_yaml(raw)
    return data


def spelling_forms(text: str) -> set[str]:
    """The text with each British/American spelling pair swapped either way."""
    forms = {text}
    for british, american in vocabulary()["spellings"]:
        for f in list(forms):
            low = f.lower()
            if british in low:
                forms.add(_swap(f, british, american))
            if american in low:
                forms.add(_swap(f, american, british))
    return forms


def _swap(text: str, old: str, new: str) -> str:
    return re.sub(re.escape(old), new, text, flags=re.IGNORECASE)


def plural_forms(text: str) -> set[str]:
    """Plural of the last word (orthosis -> orthoses, therapy -> therapies, brace -> braces)."""
    if not text or text.isupper() or not text[-1].isalpha():
        return set()
    low = text.lower()
    if low.endswith("sis"):
        return {text[:-2] + "es"}
    if low.endswith("y") and len(low) > 2 and low[-2] not in "aeiou":
        return {text[:-1] + "ies"}
    if low.endswith(("s", "x", "ch", "sh")):
        return {text + "es"} if not low.endswith("s") else set()
    return {text + "s"}


def singular(word: str) -> str:
    """The singular a head is normalised to (only the regular English endings)."""
    if word.endswith(("oses", "eses", "yses")) and len(word) > 6:  # orthoses, prostheses
        return word[:-2] + "is"
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "xes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def term_variants(term: dict[str, Any]) -> set[str]:
    """Every surface of a term: name, variants, their spellings and plurals."""
    names = {term["name"], *(term.get("variants") or [])}
    out: set[str] = set()
    for n in names:
        for f in spelling_forms(n):
            out.add(f)
            out |= plural_forms(f)
    return out


def _american(word: str) -> str:
    for british, american in vocabulary()["spellings"]:
        if british in word:
            word = word.replace(british, american)
    return word


@dataclass(frozen=True)
class Rule:
    """Heads of one kind and the modifier words that may stand before them."""

    heads: frozenset[str]
    modifiers: frozenset[str]
    require: frozenset[str]
    kind: str
    domain: str | None


@dataclass(frozen=True)
class Grammar:
    rules: tuple[Rule, ...]
    #: Head word forms (singular and plural, both spellings) to the rules they head.
    by_head: dict[str, tuple[Rule, ...]]
    heads: re.Pattern[str]
    glue: frozenset[str]
    #: Every modifier any rule of a head allows: most heads stand after none of them.
    near: dict[str, frozenset[str]]

    def phrases(
        self, form: str, raw: str, hits: Iterable[tuple[int, int, str]] | None = None
    ) -> Iterator[tuple[int, int, str, Rule]]:
        """(start, end, normalised name, rule) of every modified head in a match form;
        `raw` is the text it was made from (same offsets): words joined by anything but
        spaces, hyphens and brackets ("invasive. Non-invasive") are not one phrase, while
        an acronym in brackets stays in ("nasogastric (NG) tube"). `hits` are the head
        words' (start, end, word) when the caller found them already (the lexicon's
        automaton does, in its one pass)."""
        if hits is None:
            hits = ((m.start(), m.end(), m.group(1)) for m in self.heads.finditer(form))
        for head_start, head_end, word in hits:
            prev = form[max(0, head_start - 40) : head_start].split()
            if not prev or prev[-1] not in self.near[word]:
                continue
            best: tuple[int, list[str], Rule] | None = None
            before = [
                (w.start(), w.group())
                for w in _WORD.finditer(form, max(0, head_start - 80), head_start)
            ]
            for rule in self.by_head[word]:
                taken: list[tuple[int, str]] = []
                edge = head_start
                for pos, w in reversed(before):
                    if w not in rule.modifiers or raw[pos + len(w) : edge].strip(" -\n()"):
                        break
                    taken.insert(0, (pos, w))
                    edge = pos
                while taken and taken[0][1] in self.glue:
                    taken.pop(0)
                words = [w for _pos, w in taken]
                if not words or (rule.require and not rule.require & {*words, word}):
                    continue
                if best is None or taken[0][0] < best[0]:
                    best = (taken[0][0], words, rule)
            if best is None:
                continue
            start, words, rule = best
            name = " ".join(_american(w) for w in [*words, singular(word)])
            yield start, head_end, name, rule


@lru_cache(maxsize=1)
def grammar() -> Grammar:
    g = vocabulary()["grammar"]
    groups: dict[str, list[str]] = g["modifier_groups"]
    rules: list[Rule] = []
    by_head: dict[str, list[Rule]] = {}
    for r in g["rules"]:
        mods: set[str] = set()
        for name in r["modifiers"]:
            for w in groups.get(name, [name]):
                for f in spelling_forms(w):
                    mods |= set(f.lower().replace("-", " ").split())
        rule = Rule(
            frozenset(r["heads"]),
            frozenset(mods),
            frozenset(w.lower() for w in r.get("require") or []),
            r["kind"],
            r.get("domain"),
        )
        rules.append(rule)
        for head in r["heads"]:
            for f in spelling_forms(head):
                for form in {f, *plural_forms(f)}:
                    by_head.setdefault(form.lower(), []).append(rule)
    alternatives = "|".join(sorted(map(re.escape, by_head), key=len, reverse=True))
    return Grammar(
        tuple(rules),
        {k: tuple(v) for k, v in by_head.items()},
        re.compile(rf"(?<=\s)({alternatives})(?=\s)"),
        frozenset({"of", "and", "or"}),
        {k: frozenset().union(*(r.modifiers for r in v)) for k, v in by_head.items()},
    )


@lru_cache(maxsize=1)
def _dictionary_rules() -> tuple[frozenset[str], frozenset[str], re.Pattern[str]]:
    d = vocabulary()["dictionary"]
    return (
        frozenset(d["non_drug_mesh"]),
        frozenset(n.lower() for n in d["non_drug_names"]),
        re.compile("|".join(f"(?:{p})" for p in d["non_drug_patterns"])),
    )


def drug_like(name: str, info: dict[str, Any]) -> bool:
    """Whether a drug-dictionary entry is a medicine rather than an enzyme, lab marker,
    protein, gene product, molecule class or body substance."""
    mesh_out, names, patterns = _dictionary_rules()
    if info.get("medline_plus_id") or info.get("nhs_url"):
        return True
    low = name.lower()
    if low in names or patterns.search(low):
        return False
    tree = info.get("mesh_tree") or []
    return not (tree and all(t[:3] in mesh_out for t in tree))


@lru_cache(maxsize=1)
def not_in_relations() -> frozenset[str]:
    """Concept ids of class words that never carry a relation."""
    return frozenset(slug(n) for n in vocabulary()["not_in_relations"])


@lru_cache(maxsize=1)
def functional_groups() -> tuple[frozenset[str], re.Pattern[str]]:
    """Device names that may be SMA's functional groups, and the group words."""
    g = vocabulary()["functional_groups"]
    words = "|".join(sorted(map(re.escape, g["group_words"]), key=len, reverse=True))
    return frozenset(g["names"]), re.compile(rf"\b(?:{words})\b")


@lru_cache(maxsize=1)
def context_cues() -> frozenset[str]:
    """Words that make a nearby substance name a treatment ("given oxygen")."""
    return frozenset(vocabulary()["dictionary"]["treatment_cues"])
