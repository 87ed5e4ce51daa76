"""One wording for where a statement comes from and when (smanav.citations): the same
source reads the same in every output, and no output ever says "None"."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markupsafe import escape

from smanav.citations import (
    UNDATED,
    age_range,
    citation_line,
    escape_markdown,
    format_date,
    months_words,
    say_date,
    short_cite,
    source_when,
)
from smanav.fhir import cards_from_plan, care_plan, plan_definitions
from smanav.kb import KnowledgeBase
from smanav.plan import make_plan, render_html, render_markdown

_ISO_DAY = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2100, 12, 31)).map(
    dt.date.isoformat
)
_RETRIEVED = st.one_of(
    st.none(),
    st.just(""),
    st.builds(lambda y, m: f"{y}-{m:02d}", st.integers(1990, 2100), st.integers(1, 12)),
)
_FIELDS = st.fixed_dictionaries(
    {
        "date": st.one_of(st.none(), st.just(""), _ISO_DAY),
        "retrieved": _RETRIEVED,
        "content_year": st.one_of(st.none(), st.integers(1990, 2100)),
    }
)


@pytest.mark.parametrize(
    ("fields", "said"),
    [
        ({"date": "2020-06-16", "retrieved": None, "content_year": None}, "updated 2020-06-16"),
        ({"retrieved": "2026-11", "content_year": 2018}, "content 2018, checked 2026-11"),
        ({"date": None, "retrieved": "2026-11", "content_year": None}, "checked 2026-11"),
        ({"date": None, "retrieved": None, "content_year": 2018}, "content 2018"),
        ({"date": None, "retrieved": None, "content_year": None}, "date not stated"),
        ({}, "date not stated"),
    ],
)  # fmt: skip
def test_source_when_words_each_kind_of_date(fields: dict[str, Any], said: str) -> None:
    assert source_when(fields) == said


@given(_FIELDS)
def test_source_when_never_says_none_and_names_what_it_knows(fields: dict[str, Any]) -> None:
    said = source_when(fields)
    assert "None" not in said and said.strip() == said and said
    if fields["date"]:
        assert said == f"updated {fields['date']}"
    elif fields["retrieved"]:
        assert said.endswith(f"checked {fields['retrieved']}")
    elif not fields["content_year"]:
        assert said == UNDATED


@given(_FIELDS, st.sampled_from(["primary", "secondary"]))
def test_a_citation_line_and_a_short_cite_carry_the_same_date_words(
    fields: dict[str, Any], grade: str
) -> None:
    ev = {**fields, "title": "T", "publisher": "P", "grade": grade, "start": 3, "end": 9}
    line = citation_line(ev)
    assert line.startswith(f"T · P · {source_when(fields)}")
    assert "characters 3–9" in line and "None" not in line
    assert ("secondary source" in line) == (grade == "secondary")
    assert short_cite([ev, ev]) == f"P, {source_when(fields)}" + (
        ", secondary source" if grade == "secondary" else ""
    )


def test_a_citation_line_shows_the_address_unless_a_page_links_it() -> None:
    ev = {"title": "T", "publisher": "P", "retrieved": "2026-11", "url": "https://x.org/a"}
    assert "https://x.org/a" in citation_line(ev)
    assert "https://x.org/a" not in citation_line(ev, url=False)
    assert citation_line({**ev, "section": "Dosing"}).endswith("section “Dosing”")


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("checked 2026-11", "checked November 2026"),
        ("updated 2020-06-16", "updated June 2020"),
        ("content 2018, checked 2026-01", "content 2018, checked January 2026"),
        ("date not stated", "date not stated"),
        ("2026-13", "2026-13"),
    ],
)
def test_say_date_gives_month_words(text: str, said: str) -> None:
    assert say_date(text) == said


def test_format_date_keeps_the_precision_the_source_gives() -> None:
    d = dt.date(2019, 5, 24)
    assert format_date(d, "year") == "2019"
    assert format_date(d, "month") == "May 2019"
    assert format_date(d) == "2019-05-24"
    assert format_date(None) is None


@pytest.mark.parametrize(
    ("lo", "hi", "exclusive", "said"),
    [
        (0, 24, True, "from birth, under 2 years"),
        (24, None, False, "2 years and older"),
        (None, 7, False, "up to and including 7 months"),
        (1.5, 12, False, "1.5 months and older, up to and including 1 year"),
        (None, None, False, "no age limit stated"),
    ],
)
def test_age_ranges_in_words(
    lo: float | None, hi: float | None, exclusive: bool, said: str
) -> None:
    assert age_range(lo, hi, exclusive) == said
    assert months_words(0) == "birth"


@given(st.text())
def test_markdown_escaping_leaves_no_link_image_emphasis_or_html(text: str) -> None:
    out = escape_markdown(text)
    assert "<" not in out and ">" not in out
    for mark in ("*", "_", "`", "[", "]", "#", "|"):
        assert out.count(mark) == out.count("\\" + mark), mark
    assert "](" not in out


def test_markdown_escaping_keeps_the_words() -> None:
    hostile = "[open](javascript:alert(1)) <img src=x> **loud**"
    out = escape_markdown(hostile)
    assert "](javascript:" not in out and "<img" not in out and "**loud**" not in out
    assert out.replace("\\", "").replace("&lt;", "<").replace("&gt;", ">") == hostile


def test_every_source_in_the_knowledge_base_is_worded_without_none(kb: KnowledgeBase) -> None:
    for sid in kb.sources:
        said = source_when(kb.source_fields(sid))
        assert "None" not in said, sid
    relaxants = kb.source_fields("smant-muscle-relaxants")
    assert source_when(relaxants) == UNDATED, "the Muscle Relaxants article states no date"


# --- the same source, worded the same in every output -----------------------------------
PROFILE = {"age_months": "3y", "sma_type": 2, "symptoms": ["stiff muscles"]}
_NONE = re.compile(r"\b(?:checked|updated|content|dated|date)\s+None\b|\(None\)|,\s*None\b")


def _html(text: str) -> str:
    """Text as the autoescaping templates write it."""
    return str(escape(text))


def _near(text: str, first: str, then: str, within: int = 400) -> bool:
    """``then`` follows some occurrence of ``first`` closely (the same citation)."""
    start = text.find(first)
    while start != -1:
        if then in text[start : start + len(first) + within]:
            return True
        start = text.find(first, start + 1)
    return False


def test_every_output_words_a_sources_date_the_same_and_never_none(
    kb: KnowledgeBase, cli: Any, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = make_plan(PROFILE, kb)
    when = {s["source"]: source_when(kb.source_fields(s["source"])) for s in plan["sources"]}
    kinds = {w.split()[0] for w in when.values()}
    assert {"date", "content", "checked"} <= kinds, "undated, content-year and checked sources"
    assert when["smant-muscle-relaxants"] == UNDATED

    markdown = render_markdown(plan)
    page = render_html(plan)
    care = care_plan(plan)
    care_notes = [n["text"] for n in care["note"]]
    for sid, said in when.items():
        src = kb.sources[sid]
        assert plan["sources"][[s["source"] for s in plan["sources"]].index(sid)]["dated"] == said
        line = f"{escape_markdown(src.title)} — {escape_markdown(src.publisher)} — {said}"
        assert line in markdown, line
        assert _near(page, _html(src.title), _html(said)), (sid, said)
        assert (
            f"Source: {src.title}, {src.publisher}, {said}" + (f", {src.url}" if src.url else "")
            in care_notes
        ), sid

    # FHIR PlanDefinitions and CDS cards: each source named with its date in the same words.
    definitions = plan_definitions(kb)
    displays = [
        a["display"] for e in definitions["entry"] for a in e["resource"]["relatedArtifact"]
    ]
    relaxants = kb.sources["smant-muscle-relaxants"]
    assert any(f"{relaxants.title}, {relaxants.publisher} ({UNDATED})" in d for d in displays)
    for sid, src in kb.sources.items():
        for d in displays:
            if f"{src.title}, {src.publisher} (" in d:
                assert f"{src.title}, {src.publisher} ({source_when(kb.source_fields(sid))})" in d
    by_label = {
        f"{s.title} ({s.publisher}, {source_when(kb.source_fields(s.id))})"
        for s in kb.sources.values()
    }
    cards = cards_from_plan(
        make_plan({"age_months": "30y", "medications": ["Valium"]}, kb), kb, "https://x.org"
    )
    labels = {c["source"]["label"] for c in cards} - {"smanav (SMA Navigator)"}
    assert labels and labels <= by_label

    # The terminal (`smanav show`, `smanav plan`) and the web page of the same symptom.
    shown = " ".join(cli("show", "spasticity").stdout.split())
    assert f"{relaxants.title} · {relaxants.publisher} · {UNDATED}" in shown
    terminal_plan = cli("plan", "--age", "3y", "--type", "2", "--symptom", "stiff muscles")
    assert terminal_plan.code == 0 and terminal_plan.stdout == markdown

    from fastapi.testclient import TestClient

    from smanav.web import create_app

    monkeypatch.setenv("SMANAV_DB", str(db_path))
    symptom_page = TestClient(create_app()).get("/symptoms/spasticity").text
    assert _near(symptom_page, _html(relaxants.title), f"{relaxants.publisher}, {UNDATED}")

    outputs = {
        "markdown": markdown,
        "html": page,
        "careplan": json.dumps(care, ensure_ascii=False),
        "plandefinitions": json.dumps(definitions, ensure_ascii=False),
        "cds": json.dumps(cards, ensure_ascii=False),
        "terminal": shown,
        "page": symptom_page,
    }
    for name, text in outputs.items():
        assert not _NONE.search(text), (name, _NONE.search(text))
