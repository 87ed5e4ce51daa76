"""Kinds of question (data: ``data/lexicon/question_types.yaml``), and the names they ask about.

Finding concepts in a question is the one name index's job (`smanav.names`): this
module keeps the question types and re-exports the names API search has always used.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources.abc import Traversable
from pathlib import Path

from ..errors import DataError
from ..models import Predicate
from ..names import load_lexicon, read_list, str_list
from ..phrases import UNKNOWN_HPO, VIA_RANK, LexiconEntry, Mention, hpo_key_rows

__all__ = [
    "Intent",
    "UNKNOWN_HPO",
    "VIA_RANK",
    "LexiconEntry",
    "Mention",
    "hpo_key_rows",
    "load_lexicon",
    "load_question_types",
]

QUESTION_TYPES_FILE = "lexicon/question_types.yaml"


@dataclass(frozen=True)
class Intent:
    """A kind of question: the words that signal it and the statements that answer it."""

    name: str
    cues: tuple[str, ...]
    predicates: tuple[Predicate, ...]
    #: How "the sources do not say …" reads for this kind of question ({name}: concept).
    missing: str


def load_question_types(path: Traversable | Path | None = None) -> list[Intent]:
    """Kinds of question, as data; DataError names the file, record and field."""
    raw, label = read_list(path, QUESTION_TYPES_FILE)
    out: list[Intent] = []
    for i, rec in enumerate(raw):
        rid = f"#{i + 1}"
        if not isinstance(rec, dict) or not isinstance(rec.get("name"), str):
            raise DataError(label, rid, "name", "expected a mapping with a 'name'")
        rid = f"{rid} ({rec['name']})"
        unknown = set(rec) - {"name", "cues", "predicates", "missing"}
        if unknown:
            raise DataError(label, rid, sorted(unknown)[0], "unknown field")
        cues = str_list(rec.get("cues"), label, rid, "cues")
        preds = rec.get("predicates")
        if not isinstance(preds, list):
            raise DataError(label, rid, "predicates", "expected a list of predicates")
        try:
            predicates = tuple(Predicate(p) for p in preds)
        except ValueError as exc:
            raise DataError(label, rid, "predicates", str(exc)) from None
        missing = rec.get("missing")
        if not isinstance(missing, str) or "{name}" not in missing:
            raise DataError(label, rid, "missing", "expected a phrase containing {name}")
        if any(x.name == rec["name"] for x in out):
            raise DataError(label, rid, "name", "duplicate question type")
        out.append(Intent(rec["name"], cues, predicates, missing))
    return out
