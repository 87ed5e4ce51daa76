"""Sentences of a document's text, with the mentions each holds: lines first, then
sentence stops (abbreviations kept whole), over-long runs cut at a space."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from .mentions import Mention

__all__ = ["MAX_SENTENCE", "Sentence", "sentences"]


@dataclass
class Sentence:
    start: int
    end: int
    mentions: list[Mention]
    heading: bool = False
    section: int = 0


# --- sentences ------------------------------------------------------------------------
#: A sentence end. The look-behind starts a try only at the first of a run of stops
#: ("....."): a later stop of the run ends at the same place, so it would fail alike,
#: and trying each one would be quadratic in the run's length.
_BREAK = re.compile(r"(?<![.!?])[.!?]+[\"'”’)]*\s+(?=[A-Z0-9\"“(])")


_ABBREV = re.compile(r"(?:\b[A-Za-z]|\bU\.S|\be\.g|\bi\.e|\bvs|\bDr|\bMr|\bMrs|\bMs|\bNo|\bSt)$")


#: Its longest form ("U.S", "Mrs" and a word boundary) ends within this many characters.
_ABBREV_REACH = 8


#: A longer "sentence" (a page without full stops) is cut at a space near this length:
#: the rules relate every pair of mentions in a sentence, so an uncut one would make
#: extraction quadratic in its length. The founding articles' longest is 224 characters.
MAX_SENTENCE = 1000


def sentences(text: str, mentions: list[Mention]) -> list[Sentence]:
    """Lines, then sentences within lines; short lines without a full stop are headings."""
    out: list[Sentence] = []
    section = 0
    for line in re.finditer(r"[^\n]+", text):
        body = line.group(0)
        if not body.strip():
            continue
        stripped = body.strip()
        heading = len(stripped) < 80 and not stripped.endswith((".", "?", "!", ":", ";", ","))
        if heading:
            section += 1
        cuts = [0]
        for m in _BREAK.finditer(body):
            # The abbreviation must end where the stop starts: search only the few
            # characters before it (pos/endpos keep \b and $ as on the whole prefix).
            p = m.start()
            if body[p] == "." and _ABBREV.search(body, max(0, p - _ABBREV_REACH), p):
                continue
            cuts.append(m.end())
        cuts.append(len(body))
        for a, b in zip(cuts, cuts[1:], strict=False):
            for c, d in _pieces(body, a, b):
                if body[c:d].strip():
                    out.append(Sentence(line.start() + c, line.start() + d, [], heading, section))
    i = 0
    for s in out:  # mentions are sorted; so are sentences
        while i < len(mentions) and mentions[i].start < s.end:
            if mentions[i].start >= s.start:
                s.mentions.append(mentions[i])
            i += 1
    return out


def _pieces(body: str, a: int, b: int) -> Iterator[tuple[int, int]]:
    """body[a:b] whole, or cut after the last space within MAX_SENTENCE characters."""
    while b - a > MAX_SENTENCE:
        cut = body.rfind(" ", a + MAX_SENTENCE // 2, a + MAX_SENTENCE)
        cut = a + MAX_SENTENCE if cut < 0 else cut + 1
        yield a, cut
        a = cut
    yield a, b
