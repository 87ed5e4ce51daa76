"""Mentions: where the repaired text names a concept, found in one automaton pass."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .lexicon import Entry, Lexicon, key_of, slug, unpack
from .vocabulary import KIND_AS, context_cues, functional_groups, grammar

__all__ = ["Mention", "find_mentions"]


@dataclass(frozen=True)
class Mention:
    """A span of the repaired text and the concept it names."""

    start: int
    end: int
    text: str
    entry: Entry

    @property
    def kind(self) -> str:
        return self.entry.kind

    @property
    def concept(self) -> str:
        return self.entry.concept


_ROMAN = {
    "0": "0",
    "1": "1",
    "2": "2",
    "3": "3",
    "4": "4",
    "i": "1",
    "ii": "2",
    "iii": "3",
    "iv": "4",
}
_TYPE = r"(0|1|2|3|4|IV|III|II|I)"
_SMA_TYPE = re.compile(
    rf"\btype\s+{_TYPE}\s+(?:SMA|spinal muscular atrophy)\b|"
    rf"\b(?:SMA|spinal muscular atrophy)\s+type\s*{_TYPE}\b",
    re.IGNORECASE,
)
_GENE = re.compile(r"\b([A-Z][A-Z0-9]{1,9})(?=\s+gene\b)")


def _pattern_mentions(text: str, lex: Lexicon) -> list[tuple[int, int, Entry]]:
    """SMA types written as "type 2 SMA" and gene symbols followed by "gene"."""
    known = lex.known_entries
    out: list[tuple[int, int, Entry]] = []
    for m in _SMA_TYPE.finditer(text):
        n = _ROMAN[(m.group(1) or m.group(2)).lower()]
        cid = f"sma-type-{n}"
        entry = known.get(cid) or Entry(cid, f"SMA type {n}", "sma_type", (), True, 5)
        out.append((m.start(), m.end(), entry))
    for m in _GENE.finditer(text):
        sym = m.group(1)
        entry = known.get(slug(sym)) or Entry(slug(sym), sym, "gene", (), True, 5)
        out.append((m.start(), m.end(), entry))
    return out


def _grammar_mentions(
    form: str, raw: str, lex: Lexicon, heads: list[tuple[int, int, str]]
) -> list[tuple[int, int, Entry]]:
    """Modified heads ("scoliosis brace"): a listed name when the phrase is one, else a
    proposed concept named by the normalised phrase. Offsets are into the text."""
    out: list[tuple[int, int, Entry]] = []
    for start, end, name, rule in grammar().phrases(form, raw, heads):
        idx = lex.keys.get(key_of(name))
        if idx is not None and not lex.entries[idx].context_only:
            entry = lex.entries[idx]
        else:
            kind = KIND_AS.get(rule.kind, rule.kind)
            entry = Entry(slug(name), name.capitalize(), kind, (), True, 2, rule.domain)
        out.append((start - 1, end - 1, entry))
    return out


#: Kinds a context-only name may lean on ("eculizumab-type monoclonal antibodies").
_TREATMENT_KINDS = frozenset(
    {"drug", "drug_class", "gene_therapy", "therapy", "device", "procedure", "diet"}
)
_SENTENCE_BREAK = re.compile(r"[.;:!?]")


def _in_context(form: str, chosen: list[Mention], i: int) -> bool:
    """A treatment cue within three words before or two after, or another intervention
    right beside it in the same clause."""
    m = chosen[i]
    cues = context_cues()
    before = form[max(0, m.start - 60) : m.start + 1].split()[-3:]
    after = form[m.end + 1 : m.end + 40].split()[:2]
    if cues.intersection(before) or cues.intersection(after):
        return True
    for j in (i - 1, i + 1):
        if 0 <= j < len(chosen):
            n = chosen[j]
            if n.entry.context_only or n.kind not in _TREATMENT_KINDS:
                continue
            gap = form[min(m.end, n.end) + 1 : max(m.start, n.start) + 1]
            if len(gap) <= 20 and not _SENTENCE_BREAK.search(gap):
                return True
    return False


def find_mentions(lex: Lexicon, text: str) -> list[Mention]:
    """Longest non-overlapping matches on word boundaries, best-ranked meaning first;
    names that are treatments only in context are kept only there."""
    from .lexicon import match_form

    form = f" {match_form(text)} "
    hits: list[tuple[int, int, Entry]] = []
    heads: list[tuple[int, int, str]] = []  # in `form` offsets, for the grammar
    for last, value in lex.automaton.iter(form):
        idx, klen = unpack(value)
        start = last - klen + 1
        end = start + klen - 2
        if idx < 0 or idx in lex.head_of:
            heads.append(
                (start + 1, end + 1, lex.pure_heads[-1 - idx] if idx < 0 else lex.head_of[idx])
            )
            if idx < 0:
                continue
        surface = lex.case_sensitive.get(idx)
        if surface is not None and text[start:end] != surface:
            continue
        hits.append((start, end, lex.entries[idx]))
    hits += _pattern_mentions(text, lex)
    low = f" {text.lower()} "
    hits += _grammar_mentions(form, low, lex, heads)
    hits.sort(key=lambda h: (-(h[1] - h[0]), h[2].rank, h[0]))
    taken = bytearray(len(text) + 1)
    chosen: list[Mention] = []
    for s, e, entry in hits:
        if 1 in taken[s:e]:
            continue
        taken[s:e] = b"\x01" * (e - s)
        chosen.append(Mention(s, e, text[s:e], entry))
    chosen.sort(key=lambda m: m.start)
    if any(m.entry.context_only for m in chosen):
        chosen = [
            m
            for i, m in enumerate(chosen)
            if not m.entry.context_only or _in_context(low, chosen, i)
        ]
    names, groups = functional_groups()
    return [m for m in chosen if not _functional_group(m, names, groups, low)]


def _functional_group(m: Mention, names: frozenset[str], groups: re.Pattern[str], low: str) -> bool:
    """ "Sitters, standers and walkers": SMA's functional groups, not devices."""
    if m.kind != "device" or m.text.lower() not in names:
        return False
    before = _SENTENCE_BREAK.split(low[max(0, m.start - 40) + 1 : m.start + 1])[-1]
    after = _SENTENCE_BREAK.split(low[m.end + 1 : m.end + 41])[0]
    return bool(groups.search(f"{before} {after}"))
