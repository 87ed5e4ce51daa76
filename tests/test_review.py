"""Review: queued assertions by document with passages; accepted ones join the knowledge
base (and survive a rebuild), rejected ones do not; conflicts show both sides."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from smanav.ingest import ingest_paths
from smanav.kb import KnowledgeBase
from smanav.review import conflicts_for, review_decide, review_list
from smanav.store import Store, build, open_kb

FIXTURES = Path(__file__).parent / "fixtures" / "extract"


@pytest.fixture
def queued(fresh_db: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    for name in ("causes_eligibility.txt", "glued_brands.txt"):
        (folder / name).write_bytes((FIXTURES / name).read_bytes())
    ingest_paths([folder], fresh_db)
    return fresh_db


def _find(listing: dict[str, Any], subject: str, predicate: str) -> dict[str, Any]:
    return next(
        a
        for d in listing["documents"]
        for a in d["assertions"]
        if a["subject"] == subject and a["predicate"] == predicate
    )


def test_listing_groups_by_document_with_passages(queued: Path) -> None:
    listing = review_list(queued)
    titles = [d["title"] for d in listing["documents"]]
    assert titles == ["Gene therapy given into the spine", "Medicines for drooling"]
    text = (FIXTURES / "causes_eligibility.txt").read_text("utf-8")
    for a in listing["documents"][0]["assertions"]:
        p = a["passage"]
        assert text[p["start"] : p["end"]] == p["text"]
        assert a["status"] == "pending"
    assert listing["count"] == sum(len(d["assertions"]) for d in listing["documents"])
    assert "no medical advice" in listing["disclaimer"]


def test_accepted_assertions_join_the_kb_and_survive_a_rebuild(queued: Path) -> None:
    listing = review_list(queued)
    route = _find(listing, "onasemnogene-abeparvovec-it", "route")
    scoliosis = _find(listing, "scoliosis", "causes")
    result = review_decide(queued, accept=[route["id"]], reject=[scoliosis["id"]])
    assert (result["accepted"], result["rejected"]) == ([route["id"]], [scoliosis["id"]])

    kb = open_kb(queued)  # the generation changed: a fresh in-memory copy
    a = kb.assertions[route["id"]]
    assert (a.status, a.qualifiers.route) == ("accepted", "intrathecal")
    assert kb.quote(a.evidence[0]) == route["passage"]["text"]
    assert scoliosis["id"] not in kb.assertions
    assert route["id"] in {x.id for x in kb.about("onasemnogene-abeparvovec-it")}

    build(queued)  # `smanav db build` keeps what editors accepted
    with Store(queued) as store:
        again = KnowledgeBase.from_store(store)
    assert again.assertions[route["id"]].status == "accepted"
    assert review_list(queued, status="accepted")["count"] == 1
    assert review_list(queued, status="rejected")["count"] == 1


def test_accepting_a_proposed_drug_adds_the_concept(queued: Path) -> None:
    listing = review_list(queued, document="glued_brands.txt")
    item = _find(listing, "ondansetron", "addresses_symptom")
    assert {c["id"] for c in item["new_concepts"]} == {"ondansetron", "nausea"}
    review_decide(queued, accept=[item["id"]])
    kb = open_kb(queued)
    a = kb.assertions[item["id"]]
    assert (a.subject, a.object) == ("x-ondansetron", "x-nausea")
    drug = kb.concepts["x-ondansetron"]
    assert drug.kind == "drug" and drug.codes[0].system == "DrugBank"
    assert kb.lookup("ondansetron") == drug
    assert kb.concepts["x-nausea"].codes[0].code == "HP:0002018"


def test_conflicting_age_limits_are_flagged_with_both_sources(queued: Path) -> None:
    listing = review_list(queued)
    item = _find(listing, "onasemnogene-abeparvovec", "eligibility")
    assert item["qualifiers"] == {"age_max_months": 24.0, "age_max_exclusive": True}
    kb = open_kb(queued)
    curated = [
        a
        for a in kb.about("onasemnogene-abeparvovec")
        if a.predicate == "eligibility" and not a.qualifiers.age_max_exclusive
    ]
    assert curated, "the 2020 article's 'up to age 2' is curated"
    flagged = {c["existing"]["id"] for c in item["conflicts"]}
    assert {a.id for a in curated} <= flagged
    c = next(c for c in item["conflicts"] if c["existing"]["id"] == curated[0].id)
    assert c["reason"] == "a different age limit"
    assert c["source"] == item["conflicts"][0]["source"]
    assert c["existing"]["evidence"][0]["title"]
    result = review_decide(queued, accept=[item["id"]])
    assert {c["existing"]["id"] for c in result["conflicts"]} == flagged  # both are kept
    kb = open_kb(queued)
    assert item["id"] in kb.assertions and curated[0].id in kb.assertions


def _approval(year: str) -> dict[str, Any]:
    return {
        "id": "x-test",
        "subject": "risdiplam",
        "predicate": "approved_by",
        "object": "fda",
        "qualifiers": {"date": f"{year}-08-07", "date_precision": "year"},
        "certainty": "asserted",
        "source": "news",
        "as_of": "2025-02-10",
    }


def test_an_approval_year_the_kb_already_has_is_no_conflict(kb: KnowledgeBase) -> None:
    """Risdiplam's 2020 approval agrees with the first approval; the 2025 tablet approval
    is another event, not a disagreement."""
    assert conflicts_for(_approval("2020"), kb) == []
    assert {c["reason"] for c in conflicts_for(_approval("2018"), kb)} == {
        "a different approval date"
    }


def test_review_conflicts_show_when_a_source_was_checked(
    cli: Callable[..., Any], fresh_db: Path, tmp_path: Path
) -> None:
    """The Zolgensma label has no update date but was checked: not 'undated'."""
    doc = tmp_path / "older.txt"
    doc.write_text("Zolgensma is for children under 3 years of age.\n", "utf-8")
    ingest_paths([doc], fresh_db)
    out = " ".join(cli("review", db=fresh_db).stdout.split())
    assert "NDC 71894-120 (checked 20" in out
    assert "(undated) disagrees" in out  # the new document itself has no date
    assert "NDC 71894-120 (undated)" not in out


def test_review_command(cli: Callable[..., Any], queued: Path) -> None:
    res = cli("review", db=queued)
    assert res.code == 0
    assert "Gene therapy given into the spine" in res.stdout
    assert "conflict" in res.stdout and "no medical advice" in res.stdout
    res = cli("review", "--accept-all", "--document", "glued_brands.txt", "--json", db=queued)
    body = json.loads(res.stdout)
    assert res.code == 0 and len(body["accepted"]) >= 5
    left = json.loads(cli("review", "--json", db=queued).stdout)
    assert [d["title"] for d in left["documents"]] == ["Gene therapy given into the spine"]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("--accept", "x-nope"), "'x-nope' is not a pending assertion"),
        (("--accept-all", "--reject-all"), "cannot be combined"),
        (("--accept-all", "--document", "nope.txt"), "no ingested document 'nope.txt'"),
        (("--status", "maybe"), "is not pending, accepted, rejected or all"),
    ],
)
def test_review_bad_input(
    cli: Callable[..., Any], queued: Path, args: tuple[str, ...], needle: str
) -> None:
    res = cli("review", *args, db=queued)
    assert res.code == 2
    assert needle in res.stderr
