"""Every statement points at a real passage, in our own words, with a date where known."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from smanav.kb import load_curated, norm_name, span_sha256
from smanav.models import Concept

DATA = load_curated()
TEXT_EVIDENCE = [
    (aid, i, ev)
    for aid, a in sorted(DATA.assertions.items())
    for i, ev in enumerate(a.evidence)
    if ev.start is not None
]


def _source_text(corpus: Path, source_id: str) -> str:
    src = DATA.sources[source_id]
    assert src.file
    with (corpus / src.file).open(encoding="utf-8", newline="") as fh:
        return fh.read()


def test_corpus_files_match_the_cited_versions(corpus: Path) -> None:
    for src in DATA.sources.values():
        if src.file:
            text = _source_text(corpus, src.id)
            assert len(text) == src.length, src.id
            assert span_sha256(text) == src.sha256, src.id


def _mentions(c: Concept) -> set[str]:
    words = {norm_name(n) for n in c.all_names}
    return {w for w in words if w}


def _span_mentions(span: str, concept: Concept) -> bool:
    """The span names the concept: any of its names or a stem of them (glued text allowed)."""
    flat = norm_name(span).replace(" ", "")
    for name in _mentions(concept):
        key = name.replace(" ", "")
        if key in flat or (len(key) > 6 and key[:6] in flat):
            return True
    return False


@pytest.mark.parametrize(
    ("aid", "i", "ev"), TEXT_EVIDENCE, ids=[f"{a}#{i}" for a, i, _ in TEXT_EVIDENCE]
)
def test_locator_resolves_and_mentions_its_subject(corpus: Path, aid: str, i: int, ev) -> None:  # type: ignore[no-untyped-def]
    text = _source_text(corpus, ev.source)
    span = text[ev.start : ev.end]
    assert span_sha256(span) == ev.sha256, f"{aid} evidence {i}: hash mismatch"
    a = DATA.assertions[aid]
    subject = DATA.concepts[a.subject]
    obj = DATA.concepts.get(a.object) if a.object else None
    assert _span_mentions(span, subject) or (obj is not None and _span_mentions(span, obj)), (
        f"{aid}: span {span!r} names neither {subject.name!r} nor its object"
    )


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.casefold())


def test_no_copied_sentences(corpus: Path) -> None:
    """Values are our own words: no run of 7 words copied from a source article."""
    grams: set[tuple[str, ...]] = set()
    n = 7
    for src in DATA.sources.values():
        if src.file:
            w = _words(_source_text(corpus, src.id))
            grams.update(tuple(w[i : i + n]) for i in range(len(w) - n + 1))
    for aid, a in DATA.assertions.items():
        w = _words(a.value or "")
        copied = [g for g in (tuple(w[i : i + n]) for i in range(len(w) - n + 1)) if g in grams]
        assert not copied, f"{aid} copies source words: {' '.join(copied[0])!r}"


def test_article_statements_carry_their_date() -> None:
    for aid, a in DATA.assertions.items():
        for ev in a.evidence:
            src = DATA.sources[ev.source]
            if src.last_updated is not None and ev.start is not None:
                assert a.as_of == src.last_updated, f"{aid}: as_of should be {src.last_updated}"


def test_every_regulatory_statement_has_a_date() -> None:
    """Facts from labels, regulators and news carry the date they were checked."""
    for aid, a in DATA.assertions.items():
        if all(
            DATA.sources[ev.source].url and not DATA.sources[ev.source].file for ev in a.evidence
        ):
            assert a.as_of is not None, f"{aid} has no as_of date"
