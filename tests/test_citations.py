"""One wording for where a statement comes from and when (smanav.citations): the same
source reads the same in every output, and no output ever says "None"."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

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
from smanav.kb import KnowledgeBase

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
