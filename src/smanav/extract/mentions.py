"""Mentions: where the repaired text names a concept, found in one automaton pass."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .lexicon import Entry, Lexicon, slug

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


def find_mentions(lex: Lexicon, text: str) -> list[Mention]:
    """Longest non-overlapping matches on word boundaries, best-ranked meaning first."""
    from .lexicon import match_form

    form = f" {match_form(text)} "
    hits: list[tuple[int, int, Entry]] = []
    for last, (klen, idx) in lex.automaton.iter(form):
        start = last - klen + 1
        end = start + klen - 2
        surface = lex.case_sensitive.get(idx)
        if surface is not None and text[start:end] != surface:
            continue
        hits.append((start, end, lex.entries[idx]))
    hits += _pattern_mentions(text, lex)
    hits.sort(key=lambda h: (-(h[1] - h[0]), h[2].rank, h[0]))
    taken = bytearray(len(text) + 1)
    chosen: list[Mention] = []
    for s, e, entry in hits:
        if 1 in taken[s:e]:
            continue
        taken[s:e] = b"\x01" * (e - s)
        chosen.append(Mention(s, e, text[s:e], entry))
    chosen.sort(key=lambda m: m.start)
    return chosen
