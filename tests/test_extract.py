"""Extraction: mentions linked to concepts (known or proposed), assertions with evidence,
hedged and negated statements marked, offsets into the original file text."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smanav.documents import read_document
from smanav.extract import extract_paths, extract_text
from smanav.extract.score import merge, reproduction, score
from smanav.kb import KnowledgeBase, span_sha256

FIXTURES = Path(__file__).parent / "fixtures" / "extract"
GOLD = Path(__file__).parent / "gold"
DOCS = sorted(p for p in FIXTURES.iterdir() if not p.name.endswith(".json"))


def _ids(doc: dict[str, Any], cid: str | None) -> set[str | None]:
    """A concept id and the codes it carries (expected files may name an HPO id)."""
    codes = {c["code"] for m in doc["mentions"] if m["concept"] == cid for c in m["codes"]}
    return {cid, *codes}


def _has(doc: dict[str, Any], subj: str, pred: str, obj: str) -> list[dict[str, Any]]:
    return [
        a
        for a in doc["assertions"]
        if a["predicate"] == pred
        and subj in _ids(doc, a["subject"])
        and (obj in _ids(doc, a["object"]) or obj == a["value"])
    ]


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.name)
def test_fixture_documents(path: Path, kb: KnowledgeBase) -> None:
    expected = json.loads((path.parent / f"{path.name}.expected.json").read_text("utf-8"))
    doc = read_document(path)
    result = extract_text(doc.mapped, kb, source=path.name)
    assert doc.title == expected["title"]
    assert doc.last_updated == expected["last_updated"]
    glued = [r["text"] for r in result["repairs"] if r["kind"] == "glued"]
    assert glued == expected["repairs"]
    found = {(m["text"], c) for m in result["mentions"] for c in _ids(result, m["concept"])}
    for text, concept in expected["mentions"]:
        assert (text, concept) in found, f"{text!r} → {concept} not found"
    for subj, pred, obj, certainty in expected["assertions"]:
        hits = _has(result, subj, pred, obj)
        assert hits, f"{subj} {pred} {obj} not extracted"
        if certainty is not None:
            assert hits[0]["certainty"] == certainty, (subj, pred, obj)
    for subj, pred, obj in expected["absent"]:
        assert not _has(result, subj, pred, obj), f"{subj} {pred} {obj} wrongly extracted"
    named = {m["concept"] for m in result["mentions"]}
    assert not named & set(expected.get("absent_mentions", []))


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.name)
def test_offsets_point_into_the_original_file(path: Path, kb: KnowledgeBase) -> None:
    original = path.read_text(encoding="utf-8")
    result = extract_text(read_document(path).mapped, kb)
    for m in result["mentions"]:
        assert original[m["start"] : m["end"]] == m["text"]
    for a in result["assertions"]:
        for ev in a["evidence"]:
            assert span_sha256(original[ev["start"] : ev["end"]]) == ev["sha256"]


def test_drugs_the_curated_lexicon_never_saw_are_proposed_with_codes(kb: KnowledgeBase) -> None:
    result = extract_text("Ondansetron may ease nausea; Zofran is its brand.", kb)
    by_text = {m["text"]: m for m in result["mentions"]}
    assert "ondansetron" not in kb.concepts
    for text in ("Ondansetron", "Zofran"):
        m = by_text[text]
        assert (m["concept"], m["kind"], m["new"]) == ("ondansetron", "drug", True)
        assert {"system": "DrugBank", "code": "DB00904", "status": "unverified"} in m["codes"]
    assert by_text["nausea"]["codes"][0]["code"] == "HP:0002018"
    (a,) = result["assertions"]
    assert (a["subject"], a["object"], a["certainty"]) == ("ondansetron", "nausea", "hedged")
    assert [c["id"] for c in a["new_concepts"]] == ["ondansetron", "nausea"]


@pytest.mark.parametrize(
    ("sentence", "certainty"),
    [
        ("Tizanidine has not been tested in SMA.", "negated"),
        ("Tizanidine was tested in SMA.", "asserted"),
        ("Baclofen may ease spasticity.", "hedged"),
        ("Baclofen eases spasticity.", "asserted"),
        ("Baclofen does not ease spasticity.", "negated"),
        (
            "Ventilation can help if they cannot breathe. Difficulty breathing is common.",
            None,
        ),
    ],
)
def test_hedged_and_negated_statements_are_marked_not_dropped(
    kb: KnowledgeBase, sentence: str, certainty: str | None
) -> None:
    result = extract_text(sentence, kb)
    if certainty is None:
        assert all(a["certainty"] != "negated" for a in result["assertions"])
        return
    assert [a["certainty"] for a in result["assertions"]] == [certainty]


def test_lay_terms_and_hpo_synonyms_link_to_concepts(kb: KnowledgeBase) -> None:
    result = extract_text("Hypersalivation and sialorrhea; a floppy baby; GERD.", kb)
    assert [m["concept"] for m in result["mentions"]] == [
        "excess-saliva",
        "drooling",
        "hypotonia",
        "gastroesophageal-reflux",
    ]


def test_gold_scores_and_curated_reproduction(kb: KnowledgeBase, corpus: Path) -> None:
    """Guards the README figures: F1 on the hand-written gold, share of curated
    treatment assertions reproduced from the founding articles."""
    scores, results = [], {}
    for gold_file in sorted(GOLD.glob("*.json")):
        gold = json.loads(gold_file.read_text("utf-8"))
        src = next(s for s in kb.sources.values() if s.file == gold["file"])
        text = (corpus / gold["file"]).read_text(encoding="utf-8")
        assert span_sha256(text) == gold["sha256"]
        results[src.id] = extract_text(text, kb, source=src.id)
        scores.append(score(results[src.id], gold))
    total = merge(scores)
    assert total["mentions"]["all"]["f1"] >= 0.95
    assert total["assertions"]["all"]["f1"] >= 0.85
    assert total["assertions"]["all"]["precision"] >= 0.9
    rep = reproduction(results, kb)
    assert rep["curated"] >= 40
    assert rep["share"] >= 0.75


def test_extract_command_json_and_bad_files(
    cli: Callable[..., Any], tmp_path: Path, kb: KnowledgeBase
) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n", encoding="utf-8")
    res = cli("extract", str(FIXTURES / "glued_brands.txt"), str(empty), "--json")
    assert res.code == 2
    body = json.loads(res.stdout)
    assert set(body) == {"documents", "errors", "warnings", "disclaimer"}
    assert body["warnings"] == []
    (doc,) = body["documents"]
    assert {"source", "sha256", "mentions", "assertions"} <= set(doc)
    assert {"concept", "name", "kind", "text", "start", "end"} <= set(doc["mentions"][0])
    assert {"subject", "predicate", "object", "evidence"} <= set(doc["assertions"][0])
    assert body["errors"] == [{"file": str(empty), "message": "is empty"}]
    assert extract_paths([FIXTURES / "glued_brands.txt"], kb)["documents"][0]["mentions"]
    res = cli("extract", str(tmp_path / "nothing-here"))
    assert res.code == 2 and "no such file" in res.stderr
    (tmp_path / "nothing-here").mkdir()
    res = cli("extract", str(tmp_path / "nothing-here"))
    assert res.code == 2 and "no files given" in res.stderr
    res = cli("extract", str(FIXTURES / "hedged_links.md"))
    assert res.code == 0
    assert "Glycopyrrolate may help with Drooling [hedged]" in res.stdout
    assert "no medical advice" in res.stdout


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=30), max_size=8))
def test_match_forms_keep_offsets_and_agree_with_the_reference(names: list[str]) -> None:
    """Lexicon keys and the text they are matched in come from one blanking rule; the
    fast paths (ASCII translate, one pass over many names) must not change a single key,
    or a name would silently stop being found."""
    import re

    from smanav.extract.lexicon import key_of, keys_of, match_form

    def reference(text: str) -> str:
        low = text.lower()
        if len(low) != len(text):
            low = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
        return re.sub(r"[\W_]", " ", low)

    for name in names:
        assert match_form(name) == reference(name)
        assert len(match_form(name)) == len(name)
    assert keys_of(names) == [" ".join(reference(n).split()) for n in names]
    assert keys_of(names) == [key_of(n) for n in names]
