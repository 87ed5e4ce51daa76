"""Review that knows what is known (issue 12): restatements of curated facts are marked
with the existing id and add evidence when accepted; a copy of a curated article is
that source; every evidence span is shown; impossible dates never crash."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smanav.extract import extract_text
from smanav.ingest import ingest_paths, read_document
from smanav.kb import KnowledgeBase
from smanav.review import review_decide, review_list
from smanav.store import open_kb


def _items(listing: dict[str, Any]) -> list[dict[str, Any]]:
    return [a for d in listing["documents"] for a in d["assertions"]]


def test_the_founding_corpus_queues_no_restatement_as_new(fresh_db: Path, corpus: Path) -> None:
    kb = open_kb(fresh_db)
    sources_before = len(kb.sources)
    result = ingest_paths([corpus], fresh_db)
    docs = [d for d in result["documents"] if d["status"] == "added"]
    assert len(docs) == 2 and all(d["curated_source"] for d in docs)
    assert {d["source"] for d in docs} <= set(kb.sources)  # recognised, not a second source
    assert len(open_kb(fresh_db).sources) == sources_before
    items = _items(review_list(fresh_db, limit=1000))
    assert result["known"] == sum(1 for a in items if a["known"]) > 0
    for a in items:
        same = [
            x
            for x in kb.assertions.values()
            if (x.subject, x.predicate.value, x.object)
            == (a["subject"], a["predicate"], a["object"])
            and {x.certainty.value, a["certainty"]} <= {"asserted", "hedged"}
        ]
        if same and a["predicate"] not in {"eligibility", "route", "approved_by"}:
            assert a["known"] in {x.id for x in same}, a


def test_accepting_a_known_statement_adds_evidence_not_a_duplicate(
    fresh_db: Path, tmp_path: Path
) -> None:
    leaflet = tmp_path / "leaflet.txt"
    leaflet.write_text("Leaflet\n\nBaclofen may reduce muscle spasms in people with SMA.\n")
    ingest_paths([leaflet], fresh_db)
    item = _items(review_list(fresh_db, document="leaflet.txt"))[0]
    assert item["known"] == "baclofen-may-reduce-muscle-spasm"
    before = open_kb(fresh_db)
    n, about = len(before.assertions), len(before.about("baclofen"))
    result = review_decide(fresh_db, accept=[item["id"]])
    assert result["merged"] == {item["id"]: item["known"]}
    after = open_kb(fresh_db)
    assert len(after.assertions) == n and len(after.about("baclofen")) == about
    ev = after.assertions[item["known"]].evidence
    assert (ev[-1].start, ev[-1].end) == (item["passage"]["start"], item["passage"]["end"])
    assert after.quote(ev[-1]) == item["passage"]["text"]
    listed = _items(review_list(fresh_db, status="accepted"))
    assert listed[0]["known"] == item["known"]


def test_accepting_twice_the_same_known_span_adds_it_once(fresh_db: Path, tmp_path: Path) -> None:
    for name in ("a.txt", "b.md"):
        (tmp_path / name).write_text("Leaflet\n\nBaclofen may reduce muscle spasms.\n")
    ingest_paths([tmp_path], fresh_db)
    review_decide(fresh_db, accept_all=True)
    ev = open_kb(fresh_db).assertions["baclofen-may-reduce-muscle-spasm"].evidence
    assert len({(e.source, e.start) for e in ev}) == len(ev)


def test_the_review_shows_every_evidence_span(fresh_db: Path, corpus: Path) -> None:
    ingest_paths([corpus], fresh_db)
    listing = review_list(fresh_db, limit=1000)
    multi = 0
    for d in listing["documents"]:
        text = Path(d["path"]).read_text("utf-8")
        for a in d["assertions"]:
            multi += len(a["passages"]) > 1
            assert a["passage"] == a["passages"][0]
            for p in a["passages"]:
                assert text[p["start"] : p["end"]] == p["text"]
    assert multi


def test_the_review_command_prints_every_span_and_known(
    cli: Callable[..., Any], fresh_db: Path, corpus: Path
) -> None:
    ingest_paths([corpus], fresh_db)
    res = cli("review", "--document", "004_743a69fea790bed5.txt", db=fresh_db)
    assert res.code == 0
    assert "already known as" in res.stdout
    assert res.stdout.count("“Muscle relaxants are medications") >= 2  # one span per line


BAD = (
    "Spinraza news\n\nLast updated: February 30, 2019\n\n"
    "Spinraza (nusinersen) was approved by the FDA on February 30, 2019.\n"
)


def test_a_bad_date_never_crashes_extract(cli: Callable[..., Any], tmp_path: Path) -> None:
    doc = tmp_path / "bad.txt"
    doc.write_text(BAD)
    res = cli("extract", str(doc), "--json")
    assert res.code == 0
    out = json.loads(res.stdout)
    assert out["documents"][0]["last_updated"] is None
    approved = [a for a in out["documents"][0]["assertions"] if a["predicate"] == "approved_by"]
    assert approved and "date" not in approved[0]["qualifiers"]
    assert {w["file"] for w in out["warnings"]} == {str(doc)}
    assert any("February 30, 2019" in w["message"] for w in out["warnings"])
    text = cli("extract", str(doc))
    assert text.code == 0 and "Warning:" in text.stderr and "bad.txt" in text.stderr


def test_a_bad_date_never_crashes_ingest(
    cli: Callable[..., Any], fresh_db: Path, tmp_path: Path
) -> None:
    doc = tmp_path / "bad.txt"
    doc.write_text(BAD)
    res = cli("ingest", str(doc), db=fresh_db)
    assert res.code == 0, res.stderr
    assert "Warning:" in res.stderr and "bad.txt" in res.stderr and "February 30" in res.stderr
    with sqlite3.connect(fresh_db) as conn:
        row = conn.execute("SELECT last_updated FROM ingest_documents").fetchone()
    assert row == (None,)


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(["January", "February", "April", "June", "September", "November"]),
    st.integers(min_value=0, max_value=99),
    st.integers(min_value=1900, max_value=2099),
)
def test_any_written_date_is_read_or_left_out(
    kb: KnowledgeBase, month: str, day: int, year: int
) -> None:
    when = f"{month} {day}, {year}"
    text = f"Last updated: {when}\n\nRisdiplam was approved by the FDA on {when}."
    result = extract_text(text, kb)
    for a in result["assertions"]:
        date = a["qualifiers"].get("date")
        assert date is None or date.startswith(str(year))
    if result["warnings"]:
        assert all(str(year) in w for w in result["warnings"])


def test_read_document_keeps_the_warning(tmp_path: Path) -> None:
    doc = tmp_path / "x.md"
    doc.write_text("# T\n\nLast updated: 2019-02-30\n")
    d = read_document(doc)
    assert d.last_updated is None and d.warnings and "2019-02-30" in d.warnings[0]


def test_known_needs_the_same_qualifiers(kb: KnowledgeBase) -> None:
    from smanav.review import ConflictIndex

    index = ConflictIndex(kb)
    base = {"subject": "onasemnogene-abeparvovec", "predicate": "eligibility", "object": None}
    same = {
        **base,
        "certainty": "asserted",
        "qualifiers": {"age_max_months": 24.0, "age_max_exclusive": True},
    }
    other = {**base, "certainty": "asserted", "qualifiers": {"age_min_months": 300.0}}
    negated = {**same, "certainty": "negated"}
    assert index.known(same) is not None
    assert index.known(other) is None and index.known(negated) is None
    with pytest.raises(KeyError):
        index.known({"subject": "x"})


def test_accepting_the_founding_corpus_never_doubles_a_caution(
    fresh_db: Path, corpus: Path
) -> None:
    """The issue's symptom: the alcohol caution showed twice per muscle relaxant after the
    ingested copies of the founding articles were accepted."""
    from smanav.plan import make_plan

    profile = {"age_months": 200, "symptoms": ["spasticity"], "alcohol_use": True}

    def cautions(kb: KnowledgeBase) -> list[str]:
        plan = make_plan(profile, kb)
        options = {o["concept"]: o for o in plan["options"]}
        return [c["text"] for c in options["baclofen"]["cautions"] if c["concept"] == "alcohol"]

    before = cautions(open_kb(fresh_db))
    n = len(open_kb(fresh_db).assertions)
    ingest_paths([corpus], fresh_db)
    review_decide(fresh_db, accept_all=True)
    after = open_kb(fresh_db)
    assert before and cautions(after) == before and len(set(before)) == len(before)
    assert len(after.assertions) == n + 7  # only the seven facts the KB did not hold
