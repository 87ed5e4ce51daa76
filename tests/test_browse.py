"""What a person sees from treatments, show, symptoms and sources (terminal and JSON)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from smanav.settings import DISCLAIMER
from smanav.store import build


def test_treatments_lists_every_domain(cli) -> None:  # type: ignore[no-untyped-def]
    res = cli("treatments", "--json")
    assert res.code == 0
    data = json.loads(res.stdout)
    domains = {t["domain"] for t in data["treatments"]}
    assert domains == {
        "disease-modifying",
        "symptom-medicines",
        "rehabilitation",
        "breathing",
        "nutrition",
        "spine",
    }
    names = {t["name"].casefold() for t in data["treatments"]}
    assert {"nusinersen", "risdiplam", "baclofen", "physical therapy"} <= names
    assert data["disclaimer"] == DISCLAIMER


def test_treatments_table_in_terminal(cli) -> None:  # type: ignore[no-untyped-def]
    res = cli("treatments")
    assert res.code == 0
    assert "Spinraza" in res.stdout and "Breathing" in res.stdout
    assert "no medical advice" in res.stdout


@pytest.mark.parametrize(
    ("domain", "expected", "absent"),
    [
        ("breathing", "Non-invasive ventilation", "Baclofen"),
        ("SPINE", "Back brace", "Nusinersen"),
        ("rehabilitation", "Wheelchair", "Gastrostomy"),
    ],
)
def test_treatments_by_domain(cli, domain: str, expected: str, absent: str) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(cli("treatments", "--domain", domain, "--json").stdout)
    names = [t["name"] for t in data["treatments"]]
    assert any(expected.casefold() == n.casefold() for n in names), names
    assert absent not in names


def test_show_prints_sections_sources_and_quotes(cli, corpus: Path) -> None:  # type: ignore[no-untyped-def]
    res = cli("show", "spinraza")
    assert res.code == 0, res.stderr
    out = res.stdout
    assert "Nusinersen" in out and "Disease-modifying therapy" in out
    for heading in ("What it is", "How it works", "Approvals and dates"):
        assert heading in out
    assert "SMA News Today" in out and "updated 2020-06-16" in out
    assert "“" in out  # a quoted passage read through a locator
    assert "no medical advice" in out


def test_show_json_quotes_are_the_located_passages(cli, corpus: Path) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(cli("show", "baclofin", "--json").stdout)
    assert data["concept"] == "baclofen" and data["query"] == "baclofin"
    evidence = [
        ev
        for section in ("what_it_is", "for_whom", "cautions", "more")
        for st in data[section]
        for ev in st["evidence"]
    ]
    quoted = [ev for ev in evidence if ev["quote"]]
    assert quoted
    text = (corpus / "000_3d87942ba094d4da.txt").read_text(encoding="utf-8")
    for ev in quoted:
        if ev["source"] == "smant-treatment":
            assert text[ev["start"] : ev["end"]] == ev["quote"]


def test_show_symptom_by_lay_words_lists_what_may_help(cli) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(cli("show", "stiff muscles", "--json").stdout)
    assert data["concept"] == "spasticity"
    helpers = {h["concept"] for h in data["helped_by"]}
    assert "muscle-relaxants" in helpers


def test_both_zolgensma_age_limits_are_shown_with_dates(cli) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(cli("show", "Zolgensma", "--json").stdout)
    rows = [st for st in data["for_whom"] if st["predicate"] == "eligibility"]
    sources = {st["evidence"][0]["source"]: st for st in rows}
    assert {"smant-treatment", "ndclist-zolgensma-label"} <= set(sources)
    assert sources["smant-treatment"]["as_of"] == "2020-06-16"
    assert sources["ndclist-zolgensma-label"]["qualifiers"]["age_max_exclusive"] is True


def test_without_source_texts_statements_still_cite(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "bare.db"
    build(path)
    data = json.loads(cli("show", "nusinersen", "--json", db=path).stdout)
    ev = data["what_it_is"][0]["evidence"][0]
    assert ev["quote"] is None
    assert ev["title"] and ev["publisher"] and (ev["date"] or ev["url"])
    assert ev["start"] is not None or ev["section"]
    res = cli("show", "nusinersen", db=path)
    assert "characters" in res.stdout


def test_symptoms_json(cli) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(cli("symptoms", "--json").stdout)
    by_id = {s["concept"]: s for s in data["symptoms"]}
    assert "HP:0002307" in by_id["drooling"]["hpo"]
    assert {"amitriptyline", "glycopyrrolate", "atropine"} <= {
        h["concept"] for h in by_id["drooling"]["helped_by"]
    }


def test_sources_json_has_dates_and_counts(cli, corpus: Path) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(cli("sources", "--json").stdout)
    by_id = {s["source"]: s for s in data["sources"]}
    assert by_id["smant-treatment"]["date"] == "2020-06-16"
    assert by_id["smant-treatment"]["statements"] > 50
    assert by_id["smant-treatment"]["text_available"] is True
    assert by_id["practicalneurology-itvisma"]["grade"] == "secondary"
    assert by_id["practicalneurology-itvisma"]["retrieved"] == "2026-11"


def test_db_build_json(cli, tmp_path: Path, corpus: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "x.db"
    res = cli("db", "build", "--sources", str(corpus), "--json", db=path)
    data = json.loads(res.stdout)
    assert data["texts"] == ["smant-muscle-relaxants", "smant-treatment"]
    assert data["assertions"] > 100 and not data["warnings"]


def test_db_build_bad_sources_folder_exits_2(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    res = cli("db", "build", "--sources", str(tmp_path / "nope"), db=tmp_path / "y.db")
    assert res.code == 2
    assert "not a folder" in res.stderr


def test_ingesting_a_cited_article_supplies_its_quotes(cli, tmp_path: Path, corpus: Path) -> None:  # type: ignore[no-untyped-def]
    """Quotes come from whichever copy of the article the user gave: build or ingest."""
    path = tmp_path / "later.db"
    build(path)
    assert cli("ingest", str(corpus / "000_3d87942ba094d4da.txt"), db=path).code == 0
    data = json.loads(cli("show", "nusinersen", "--json", db=path).stdout)
    quotes = [
        ev["quote"]
        for st in data["what_it_is"]
        for ev in st["evidence"]
        if ev["source"] == "smant-treatment"
    ]
    assert quotes and all(quotes)


def test_hedged_statements_say_may_once(kb) -> None:  # type: ignore[no-untyped-def]
    for a in kb.assertions.values():
        text = kb.statement(a)
        assert text.casefold().count("may") <= max(1, (a.value or "").casefold().count("may"))
        if a.certainty == "hedged":
            assert any(w in text.casefold() for w in ("may", "might", "can", "could")), a.id
