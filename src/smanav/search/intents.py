"""Kinds of question (what is it, side effects, pregnancy, can I take it with …), read
from the question types data and found in a question by their cue words."""

from __future__ import annotations

from .lexicon import Intent, load_question_types
from .text import stem, words

__all__ = ["INTENTS", "Intent", "detect_intents"]

INTENTS: tuple[Intent, ...] = tuple(load_question_types())


_BY_NAME = {i.name: i for i in INTENTS}


def _cue_keys() -> list[tuple[str, tuple[str, ...]]]:
    return [(i.name, tuple(stem(w) for w in words(c))) for i in INTENTS for c in i.cues]


_CUES = _cue_keys()


def detect_intents(question: str) -> list[str]:
    """Kinds of question asked, in the order of INTENTS (a question can be several)."""
    keys = [stem(w) for w in words(question)]
    found: set[str] = set()
    for name, cue in _CUES:
        n = len(cue)
        if any(tuple(keys[i : i + n]) == cue for i in range(len(keys) - n + 1)):
            found.add(name)
    return [i.name for i in INTENTS if i.name in found]
