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
    data = json.loads(cli("sources", "--json", "--limit", "200").stdout)
    by_id = {s["source"]: s for s in data["sources"]}
    assert data["total"] == len(data["sources"]) and data["next"] is None
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


# --- Safety first, inherited class facts, contested statements (issue 9) ------------
def _flat(text: str) -> str:
    """Terminal text with rich's line wrapping undone."""
    return " ".join(text.split())


def test_show_puts_boxed_warning_first(cli) -> None:  # type: ignore[no-untyped-def]
    res = cli("show", "Zolgensma")
    assert res.code == 0, res.stderr
    out = _flat(res.stdout)
    assert out.index("Safety") < out.index("What it is") < out.index("Side effects")
    safety = out[out.index("Safety") : out.index("What it is")]
    assert safety.index("Boxed warning") < safety.index("liver")
    assert "[US label]" in safety
    data = json.loads(cli("show", "Zolgensma", "--json").stdout)
    first = data["safety"][0]
    assert first["predicate"] == "boxed_warning" and first["region_label"] == "US label"
    assert first["inherited_from"] is None and first["evidence"][0]["title"]


def test_show_json_keeps_every_key_and_adds_safety(cli) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(cli("show", "baclofen", "--json").stdout)
    for key in (
        "concept", "name", "kind", "domain", "domain_name", "brands", "synonyms", "lay_terms",
        "codes", "what_it_is", "for_whom", "how_it_works", "side_effects", "cautions",
        "dates", "more", "related", "query", "disclaimer", "safety",
    ):  # fmt: skip
        assert key in data, key
    for st in data["safety"]:
        assert {"inherited_from", "contested_by", "region_label", "evidence"} <= set(st)
    # Stopping suddenly: the label's withdrawal warnings are in the Safety section.
    texts = " ".join(st["text"] for st in data["safety"]).casefold()
    assert "stopping" in texts or "suddenly" in texts


def test_show_diazepam_inherits_the_benzodiazepine_boxed_warning(cli) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(cli("show", "diazepam", "--json").stdout)
    boxed = [st for st in data["safety"] if st["predicate"] == "boxed_warning"]
    assert any(st["inherited_from"] == "benzodiazepines" for st in boxed)
    alcohol = [st for st in data["safety"] if st["object"] == "alcohol"]
    assert any(st["inherited_from"] == "muscle-relaxants" for st in alcohol)
    out = _flat(cli("show", "diazepam").stdout)
    assert "said of the class Benzodiazepines" in out
    assert "said of the class Muscle relaxants" in out


def test_show_side_effects_include_class_ones_marked(cli) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(cli("show", "baclofen", "--json").stdout)
    own = [st for st in data["side_effects"] if st["inherited_from"] is None]
    inherited = [st for st in data["side_effects"] if st["inherited_from"] == "muscle-relaxants"]
    assert own and inherited
    assert any(st["region_label"] == "US label" for st in own)


def test_show_itvisma_boxed_warning_is_not_known_never_a_fact(cli) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(cli("show", "Itvisma", "--json").stdout)
    assert data["concept"] == "onasemnogene-abeparvovec-it"
    assert not [st for st in data["safety"] if st["predicate"] == "boxed_warning"]
    unknown = [st for st in data["safety"] if st["predicate"] == "not_known"]
    assert any("boxed warning" in st["text"].casefold() for st in unknown)
    out = _flat(cli("show", "Itvisma").stdout)
    assert "NOT KNOWN: Whether Itvisma carries a boxed warning" in out


def test_show_contested_statement_beside_its_correction(cli, kb) -> None:  # type: ignore[no-untyped-def]
    a = kb.assertions["sma-has-symptom-spasticity"]
    assert a.contested_by
    data = json.loads(cli("show", "sma", "--json").stdout)
    (st,) = [s for sec in ("more", "related") for s in data[sec] if s["id"] == a.id]
    assert st["contested"] is True
    assert [fix["id"] for fix in st["contested_by"]] == list(a.contested_by)
    assert all(fix["evidence"][0]["title"] for fix in st["contested_by"])
    out = _flat(cli("show", "sma").stdout)
    line = out[out.index("CONTESTED: " + kb.statement(a)[:30]) :]
    fix = kb.statement(kb.assertions[a.contested_by[0]])
    assert "Contradicted by:" in line[:600] and fix[:30] in line


def test_every_contested_statement_shows_its_correction(kb) -> None:  # type: ignore[no-untyped-def]
    from smanav.browse import show_concept

    contested = [a for a in kb.assertions.values() if a.contested_by]
    assert contested
    for a in contested:
        data = show_concept(kb, a.subject)
        rows = [
            st for v in data.values() if isinstance(v, list) for st in v
            if isinstance(st, dict) and st.get("id") == a.id
        ]  # fmt: skip
        assert rows, a.id
        for st in rows:
            assert st["contested"] and st["contested_by"], a.id
