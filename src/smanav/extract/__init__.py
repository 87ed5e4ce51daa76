"""Extraction: what a document says, as mentions and assertions with evidence.

``extract_text(text, kb)`` is the real thing; ``smanav extract`` and ingest call
it and only format or store what it returns. Every offset it reports is a
code-point offset into the original text, even when the text was repaired
(glued link text, odd spaces) or stripped of HTML markup first.
"""

from __future__ import annotations

import hashlib
import weakref
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..errors import InvalidInput
from ..kb import KnowledgeBase, span_sha256
from ..settings import DISCLAIMER
from ..text import Mapped, repair
from .lexicon import Entry, Lexicon, LexiconSpec, lexicon_for
from .mentions import Mention, find_mentions
from .relations import Found, find_assertions
from .vocabulary import not_in_relations

__all__ = [
    "document_warnings",
    "extract_paths",
    "extract_text",
    "iter_extract",
    "lexicon",
    "Lexicon",
    "LexiconSpec",
]

#: One spec per knowledge base, let go with it (an id() key could be reused by another).
_SPECS: weakref.WeakKeyDictionary[KnowledgeBase, LexiconSpec] = weakref.WeakKeyDictionary()


def lexicon(kb: KnowledgeBase | Lexicon | LexiconSpec) -> Lexicon:
    """The compiled lexicon for a knowledge base (built once per process and KB)."""
    if isinstance(kb, Lexicon):
        return kb
    if isinstance(kb, LexiconSpec):
        return lexicon_for(kb)
    spec = _SPECS.get(kb)
    if spec is None:
        spec = _SPECS[kb] = LexiconSpec.from_kb(kb)
    return lexicon_for(spec)


@lru_cache(maxsize=4096)
def _codes_of(codes: tuple[tuple[str, str, str], ...]) -> tuple[dict[str, str], ...]:
    return tuple({"system": s, "code": c, "status": st} for s, c, st in codes)


def _codes(e: Entry) -> list[dict[str, str]]:
    return [dict(c) for c in _codes_of(e.codes)] if e.codes else []


def _concept(e: Entry) -> dict[str, Any]:
    out = {"id": e.concept, "name": e.name, "kind": e.kind, "codes": _codes(e)}
    if e.domain is not None:
        out["domain"] = e.domain
    return out


def _mention(m: Mention, doc: Mapped) -> dict[str, Any]:
    s, e = doc.span(m.start, m.end)
    return {
        "concept": m.entry.concept,
        "name": m.entry.name,
        "kind": m.entry.kind,
        "text": doc.root[s:e],
        "start": s,
        "end": e,
        "new": m.entry.new,
        "codes": _codes(m.entry),
    }


def _assertion(f: Found, doc: Mapped, source: str | None) -> dict[str, Any]:
    spans = [doc.span(a, b) for a, b in f.spans]
    ident = hashlib.sha256(
        repr((source, f.key, spans[0], sorted(f.qualifiers.items()))).encode()
    ).hexdigest()[:16]
    new = [_concept(e) for e in (f.subject, f.object) if e is not None and e.new]
    return {
        "id": f"x-{ident}",
        "subject": f.subject.concept,
        "subject_name": f.subject.name,
        "predicate": f.predicate,
        "object": f.object.concept if f.object else None,
        "object_name": f.object.name if f.object else None,
        "value": f.value,
        "qualifiers": dict(f.qualifiers),
        "certainty": f.certainty,
        "confidence": f.confidence,
        "evidence": [
            {"start": s, "end": e, "sha256": span_sha256(doc.root[s:e])} for s, e in spans
        ],
        "new_concepts": new,
    }


def extract_text(
    text: str | Mapped,
    kb: KnowledgeBase | Lexicon | LexiconSpec,
    source: str | None = None,
) -> dict[str, Any]:
    """Mentions and assertions of one document, in offsets of its original text."""
    lex = lexicon(kb)
    doc = repair(text, lex.breaker)
    mentions = find_mentions(lex, doc.text)
    skip = not_in_relations()
    related = [m for m in mentions if m.entry.concept not in skip]
    warnings: list[str] = []
    found = sorted(
        find_assertions(doc.text, related, warnings), key=lambda f: (f.spans[0], f.predicate, f.key)
    )
    return {
        "source": source,
        "sha256": span_sha256(doc.root),
        "mentions": [_mention(m, doc) for m in mentions],
        "assertions": [_assertion(f, doc, source) for f in found],
        "repairs": [
            {"start": e.start, "end": e.end, "text": e.text, "kind": e.reason}
            for e in doc.all_edits
            if e.reason == "glued" or e.end > e.start
        ],
        "warnings": warnings,
    }


def iter_extract(
    paths: Iterable[str | Path], kb: KnowledgeBase, max_bytes: int | None = None
) -> Iterator[tuple[str, dict[str, Any]]]:
    """("document", result) or ("error", {file, message}) per file, one file at a time.

    A caller that writes each one out as it comes holds one document in memory, not the
    corpus (`smanav extract --json` held 6.7 GB for 50 MB of text).
    """
    from ..documents import collect_files, read_document
    from ..settings import settings

    max_bytes = settings().max_bytes if max_bytes is None else max_bytes  # a bad value: exit 2
    files = collect_files(paths)
    if not files:
        raise InvalidInput(
            "PATH", "no files given (folders are searched for .txt, .md, .html, .pdf)"
        )
    for path in files:
        try:
            doc = read_document(path, max_bytes)
        except InvalidInput as exc:
            yield "error", {"file": str(path), "message": exc.message}
            continue
        except OSError as exc:
            yield "error", {"file": str(path), "message": f"cannot be read: {exc}"}
            continue
        result = extract_text(doc.mapped, kb, source=str(path))
        result["title"] = doc.title
        result["last_updated"] = doc.last_updated
        result["warnings"] = [*doc.warnings, *result["warnings"]]
        yield "document", result


def extract_paths(
    paths: Iterable[str | Path], kb: KnowledgeBase, max_bytes: int | None = None
) -> dict[str, Any]:
    """`smanav extract`: every readable document under `paths`; nothing is stored."""
    out: dict[str, list[dict[str, Any]]] = {"document": [], "error": []}
    for kind, item in iter_extract(paths, kb, max_bytes):
        out[kind].append(item)
    return {
        "documents": out["document"],
        "errors": out["error"],
        "warnings": document_warnings(out["document"]),
        "disclaimer": DISCLAIMER,
    }


def document_warnings(documents: Iterable[dict[str, Any]]) -> list[dict[str, str]]:
    """The documents' warnings, each naming its file (the output's top-level list)."""
    return [{"file": str(d["source"]), "message": w} for d in documents for w in d["warnings"]]
