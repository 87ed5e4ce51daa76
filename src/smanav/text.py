"""Scraped-text repair that never loses track of where a character came from.

Web articles lose the separators around link text ("baclofentizanidine" was
"baclofen, tizanidine") and carry non-breaking spaces. Extraction reads the
repaired text; everything it reports is mapped back through :class:`Mapped` to
code-point offsets in the original, so evidence locators point at the source as
the user has it (STYLE.md: offsets are sacred).

The word breaker is lexicon-driven, not a list of known defects: a run of
letters that is not itself a word is split where both halves are known words
and at least one is a domain term (a drug, a brand, a concept name), with
casing cues deciding the separator (``geneSpinraza`` → ``gene. Spinraza``).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

__all__ = ["Edit", "Mapped", "WordBreaker", "apply_edits", "repair", "space_edits"]


@dataclass(frozen=True, order=True)
class Edit:
    """Replace original[start:end] by `text` (an insertion when start == end)."""

    start: int
    end: int
    text: str
    reason: str = field(default="", compare=False)


@dataclass(frozen=True)
class Mapped:
    """Text derived from `original` by edits, with a map back to original offsets.

    The map is piecewise: segments of equal length map character by character;
    a segment whose length changed (an insertion, a deletion, an entity) maps
    as a whole onto its original span. `base` chains maps (HTML → text → repair).
    """

    original: str
    text: str
    #: Segment starts in `text`, their starts in `original`, and whether each maps 1:1.
    n_starts: tuple[int, ...]
    o_starts: tuple[int, ...]
    o_ends: tuple[int, ...]
    exact: tuple[bool, ...]
    edits: tuple[Edit, ...] = ()
    base: Mapped | None = None

    @classmethod
    def identity(cls, text: str) -> Mapped:
        return cls(text, text, (0,), (0,), (len(text),), (True,))

    def _segment(self, pos: int) -> int:
        return max(0, bisect_right(self.n_starts, pos) - 1)

    def _local_span(self, start: int, end: int) -> tuple[int, int]:
        if not 0 <= start <= end <= len(self.text):
            raise ValueError(f"span {start}-{end} is outside the text ({len(self.text)})")
        if start == end:
            pos = self._point(start)
            return pos, pos
        i = self._segment(start)
        s = self.o_starts[i] + (start - self.n_starts[i]) if self.exact[i] else self.o_starts[i]
        j = self._segment(end - 1)
        e = self.o_starts[j] + (end - self.n_starts[j]) if self.exact[j] else self.o_ends[j]
        return s, e

    def _point(self, pos: int) -> int:
        if pos >= len(self.text):
            return len(self.original)
        i = self._segment(pos)
        return self.o_starts[i] + (pos - self.n_starts[i]) if self.exact[i] else self.o_starts[i]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Offsets of text[start:end] in the first original of the chain."""
        s, e = self._local_span(start, end)
        return self.base.span(s, e) if self.base is not None else (s, e)

    @property
    def root(self) -> str:
        """The text the user gave (the start of the chain)."""
        return self.base.root if self.base is not None else self.original

    @property
    def all_edits(self) -> tuple[Edit, ...]:
        """Every edit of the chain, in root offsets."""
        own = tuple(
            Edit(*self.base.span(e.start, e.end), e.text, e.reason) if self.base else e
            for e in self.edits
        )
        return (self.base.all_edits if self.base else ()) + own


def apply_edits(original: str, edits: Iterable[Edit], base: Mapped | None = None) -> Mapped:
    """Apply non-overlapping edits; equal-length edits keep a 1:1 map."""
    ordered = sorted(edits)
    chunks: list[str] = []
    n_starts: list[int] = []
    o_starts: list[int] = []
    o_ends: list[int] = []
    exact: list[bool] = []
    n = o = 0

    def segment(ns: int, os_: int, oe: int, is_exact: bool) -> None:
        if is_exact and exact and exact[-1] and o_ends[-1] == os_:
            o_ends[-1] = oe  # extend the running 1:1 segment
            return
        n_starts.append(ns)
        o_starts.append(os_)
        o_ends.append(oe)
        exact.append(is_exact)

    for ed in ordered:
        if ed.start < o or ed.end > len(original) or ed.end < ed.start:
            raise ValueError(f"edit {ed.start}-{ed.end} overlaps another or leaves the text")
        if ed.start > o:
            chunks.append(original[o : ed.start])
            segment(n, o, ed.start, True)
            n += ed.start - o
        if ed.text:
            chunks.append(ed.text)
            segment(n, ed.start, ed.end, len(ed.text) == ed.end - ed.start)
            n += len(ed.text)
        o = ed.end
    if o < len(original) or not chunks:
        chunks.append(original[o:])
        segment(n, o, len(original), True)
    return Mapped(
        original,
        "".join(chunks),
        tuple(n_starts),
        tuple(o_starts),
        tuple(o_ends),
        tuple(exact),
        tuple(ordered),
        base,
    )


# --- Spaces ---------------------------------------------------------------------------
#: Spaces that look like spaces but are not U+0020; replaced one for one.
_ODD_SPACES = re.compile("[\u00a0\u2007\u202f\u2000-\u2006\u2008-\u200a\u205f\u3000]")
#: Invisible characters that split words for a matcher; removed.
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")


def space_edits(text: str) -> list[Edit]:
    """Non-breaking and other odd spaces become spaces; invisible characters go."""
    edits = [Edit(m.start(), m.end(), " ", "space") for m in _ODD_SPACES.finditer(text)]
    edits += [Edit(m.start(), m.end(), "", "invisible") for m in _INVISIBLE.finditer(text)]
    return edits


# --- Glued words ----------------------------------------------------------------------
#: Words after which a capitalised name continues the sentence rather than starting one.
_FUNCTION_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "as",
        "at",
        "by",
        "for",
        "from",
        "in",
        "into",
        "is",
        "like",
        "of",
        "on",
        "or",
        "than",
        "the",
        "to",
        "via",
        "with",
        "without",
        "including",
        "such",
        "include",
        "includes",
        "called",
        "named",
        "brand",
    ]
)
_LETTERS = re.compile(r"[A-Za-z]{8,}")
MIN_PIECE = 4
MIN_TERM = 5
#: Words that end chemical names written as one word ("dihydroxyacetonephosphate").
_BOUND_TAILS = (
    "phosphate",
    "sulfate",
    "sulphate",
    "chloride",
    "bromide",
    "acetate",
    "citrate",
    "hydrochloride",
    "tartrate",
    "maleate",
    "succinate",
    "glutarate",
    "lactate",
    "nitrate",
    "oxide",
    "sodium",
    "potassium",
    "calcium",
)


class WordBreaker:
    """Splits letter runs that are not words into known words, at least one a domain term.

    `terms` are domain names (drugs, brands, concept names) and `words` ordinary
    English words; both lower-case. A token that is itself known is never split,
    so ordinary words and names such as "AtroPen" stay whole.
    """

    def __init__(self, terms: Iterable[str], words: Iterable[str]) -> None:
        self.terms = frozenset(t for t in terms if len(t) >= MIN_PIECE and t.isalpha())
        self.words = frozenset(words)
        #: No known piece is longer: splits are tried only this far into a token, so a
        #: long run of glued letters costs time linear in its length, not quadratic.
        self.longest = max(map(len, self.terms | self.words), default=0)
        self.longest_term = max(map(len, self.terms), default=0)

    def known(self, piece: str) -> bool:
        if len(piece) > self.longest:
            return False
        low = piece.lower()
        return low in self.terms or low in self.words

    def split(self, token: str, depth: int = 3) -> list[str] | None:
        """Pieces of a glued token, or None when it should stay whole.

        With a casing cue ("geneSpinraza") both pieces must be known words, one
        a domain term. Without one ("baclofentizanidine") every piece must be a
        domain term of five letters or more: compounds such as
        "colorblindness" or "pseudolymphoma" are not two names.
        """
        if self.known(token) or depth == 0 or len(token) < 2 * MIN_PIECE:
            return None
        cues = [i for i in range(1, len(token)) if token[i - 1].islower() and token[i].isupper()]
        for i in cues:  # casing cue: "AmitriptylineRobinul", "geneSpinraza"
            if i > self.longest:
                break  # the left piece would be longer than any known word
            left, right = token[:i], token[i:]
            if len(left) < MIN_PIECE or len(right) < MIN_PIECE or not self.known(left):
                continue
            rest = [right] if self.known(right) else self.split(right, depth - 1)
            if rest and self._has_term([left, *rest]):
                return [left, *rest]
        if cues:
            return None
        for i in range(MIN_TERM, min(len(token) - MIN_TERM, self.longest_term) + 1):
            left, right = token[:i], token[i:]
            if not self._term(left) or right.lower().startswith(_BOUND_TAILS):
                continue
            rest = [right] if self._term(right) else self.split(right, depth - 1)
            if rest and all(self._term(p) for p in rest):
                return [left, *rest]
        return None

    def _term(self, piece: str) -> bool:
        return MIN_TERM <= len(piece) <= self.longest_term and piece.lower() in self.terms

    def _has_term(self, pieces: Sequence[str]) -> bool:
        return any(p.lower() in self.terms for p in pieces)

    def separator(self, left: str, right: str) -> str:
        """What the link text lost: a list comma, a full stop, or a space."""
        if left[0].islower() and right[0].isupper():
            return " " if left.lower() in _FUNCTION_WORDS else ". "
        if left.lower() in self.terms and right.lower() in self.terms:
            return ", "
        return " "

    def edits(self, text: str) -> list[Edit]:
        out: list[Edit] = []
        for m in _LETTERS.finditer(text):
            pieces = self.split(m.group(0))
            if not pieces:
                continue
            pos = m.start()
            for left, right in zip(pieces, pieces[1:], strict=False):
                pos += len(left)
                out.append(Edit(pos, pos, self.separator(left, right), "glued"))
        return out


def repair(text: str | Mapped, breaker: WordBreaker | None = None) -> Mapped:
    """Repaired text with its map back to the original (or to the chain's root)."""
    base = text if isinstance(text, Mapped) else None
    source = text.text if isinstance(text, Mapped) else text
    if base is not None and not base.edits and base.base is None:
        base = None  # an identity map adds nothing but a step per lookup
    edits = space_edits(source)
    if breaker is not None:
        edits += breaker.edits(source)
    return apply_edits(source, edits, base)
