"""Scraped-text repair: glued link text split by the lexicon, odd spaces, and offsets
that always lead back to the original characters."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smanav.extract import lexicon
from smanav.extract.lexicon import hpo_terms
from smanav.kb import KnowledgeBase
from smanav.text import Edit, Mapped, WordBreaker, apply_edits, repair


@pytest.fixture(scope="module")
def breaker(kb: KnowledgeBase) -> WordBreaker:
    b = lexicon(kb).breaker
    assert b is not None
    return b


@pytest.mark.parametrize(
    ("scraped", "repaired"),
    [
        # the founding articles' defects
        ("such as baclofentizanidine, and", "such as baclofen, tizanidine, and"),
        ("AmitriptylineRobinul (glycopyrrolate)", "Amitriptyline, Robinul (glycopyrrolate)"),
        ("in the SMN1 geneSpinraza boosts", "in the SMN1 gene. Spinraza boosts"),
        # other glued pairs, none of them named in the code
        ("try diazepamclonazepam first", "try diazepam, clonazepam first"),
        ("brands such as ValiumXanax", "brands such as Valium, Xanax"),
        ("given ondansetronmetoclopramide today", "given ondansetron, metoclopramide today"),
        ("after a mealEvrysdi is made", "after a meal. Evrysdi is made"),
        ("treated withZolgensma early", "treated with Zolgensma early"),
        ("NusinersenRisdiplam", "Nusinersen, Risdiplam"),
        ("lorazepammidazolamdiazepam", "lorazepam, midazolam, diazepam"),
        ("a\u00a0wheelchair", "a wheelchair"),
        ("zero\u200bwidth", "zerowidth"),
    ],
)
def test_glued_link_text_is_split(breaker: WordBreaker, scraped: str, repaired: str) -> None:
    assert repair(scraped, breaker).text == repaired


ORDINARY = [
    "wheelchair",
    "breakthrough",
    "neuromuscular",
    "understanding",
    "physiotherapist",
    "Anticardiolipin",
    "colorblindness",
    "pseudolymphoma",
    "Valsalva",
    "sulphate",
    "RhoGTPase",
    "dihydroxyacetonephosphate",
    "papillomavirus",
    "bronchopneumonia",
    "AtroPen",
    "AveXis",
    "YouTube",
    "iPhone",
    "McDonald",
    "JavaScript",
    "intrathecally",
    "nonetheless",
    "carefully",
    "gastrostomy",
    "neurodegeneration",
    "overweight",
    "baclofen",
    "tizanidine",
    "Spinraza",
    "benzodiazepines",
    "onasemnogene",
    "abeparvovec",
    "glycopyrrolate",
    "tracheostomy",
    "Gastroesophageal",
    "spasticity",
    "everything",
    "Itvisma",
    "Evrysdi",
    "AstraZeneca",
    "GlaxoSmithKline",
    "PowerPoint",
    "anticholinergic",
]


@pytest.mark.parametrize("word", ORDINARY)
def test_ordinary_words_and_names_stay_whole(breaker: WordBreaker, word: str) -> None:
    assert breaker.split(word) is None
    assert repair(f"a {word} b", breaker).text == f"a {word} b"


def test_no_word_of_the_hpo_vocabulary_or_the_corpus_is_split(
    breaker: WordBreaker, corpus: object
) -> None:
    """Thousands of real medical and everyday words, none of them glued: none split."""
    from pathlib import Path

    words = {
        w
        for t in hpo_terms().values()
        for n in (t["name"], *t["synonyms"])
        for w in re.findall(r"[A-Za-z]{7,}", n)
    }
    for f in Path(str(corpus)).glob("*.txt"):
        words |= set(re.findall(r"[A-Za-z]{7,}", f.read_text(encoding="utf-8")))
    glued = {"baclofentizanidine", "AmitriptylineRobinul", "geneSpinraza"}
    split = sorted(w for w in words - glued if breaker.split(w))
    assert split == []
    assert all(breaker.split(w) for w in glued)


def test_offsets_of_repaired_text_point_at_the_original(breaker: WordBreaker) -> None:
    original = "muscle\u00a0relaxants such as baclofentizanidine help"
    doc = repair(original, breaker)
    i = doc.text.index("tizanidine")
    s, e = doc.span(i, i + len("tizanidine"))
    assert original[s:e] == "tizanidine"
    s, e = doc.span(0, doc.text.index(" such"))
    assert original[s:e] == "muscle\u00a0relaxants"
    comma = doc.text.index(", ")
    assert doc.span(comma, comma + 2) == (doc.text.index("baclofen") + 8,) * 2


def test_chained_maps_lead_to_the_html_source(breaker: WordBreaker) -> None:
    from smanav.documents import strip_markup

    html = "<p>Try <a href='x'>baclofen</a><a>tizanidine</a> &amp; rest</p>"
    doc = repair(strip_markup(html), breaker)
    assert "baclofen, tizanidine & rest" in doc.text
    for word in ("baclofen", "tizanidine", "&"):
        i = doc.text.index(word)
        s, e = doc.span(i, i + len(word))
        assert html[s:e] == (word if word != "&" else "&amp;")


def test_overlapping_edits_are_refused() -> None:
    with pytest.raises(ValueError, match="overlaps"):
        apply_edits("abcdef", [Edit(0, 3, "x"), Edit(2, 4, "y")])


# --- invariants -----------------------------------------------------------------------
SMALL = WordBreaker({"baclofen", "tizanidine", "spinraza", "robinul"}, {"gene", "muscle", "and"})
TOKENS = st.sampled_from(
    [
        "baclofen",
        "tizanidine",
        "Spinraza",
        "Robinul",
        "gene",
        "muscle",
        "and",
        " ",
        "\u00a0",
        "\u200b",
        ", ",
        ".",
        "\n",
        "é",
        "İ",
        "x",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(TOKENS, max_size=30).map("".join))
def test_every_repaired_character_maps_back(original: str) -> None:
    doc = repair(original, SMALL)
    inserted = [e for e in doc.edits if e.start == e.end]
    # Taking out what was inserted and restoring what was replaced gives the original.
    assert _undo(doc) == original
    pos = 0
    for i, ch in enumerate(doc.text):
        s, e = doc.span(i, i + 1)
        assert 0 <= s <= e <= len(original)
        assert s >= pos or s == e
        pos = max(pos, s)
        if e - s == 1:
            assert original[s] == ch or (ch == " " and original[s].isspace())
        else:
            assert any(ed.start == s for ed in inserted)
    if doc.text:  # the whole text covers the original but for removed invisible characters
        s, e = doc.span(0, len(doc.text))
        assert not (original[:s] + original[e:]).strip("\u200b")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40), st.data())
def test_any_span_maps_inside_the_original(original: str, data: st.DataObject) -> None:
    doc = repair(original, SMALL)
    a = data.draw(st.integers(0, len(doc.text)))
    b = data.draw(st.integers(a, len(doc.text)))
    s, e = doc.span(a, b)
    assert 0 <= s <= e <= len(original)


def _undo(doc: Mapped) -> str:
    out, o = [], 0
    text = doc.text
    n = 0
    for ed in doc.edits:
        keep = ed.start - o
        out.append(text[n : n + keep])
        n += keep
        out.append(doc.original[ed.start : ed.end])
        n += len(ed.text)
        o = ed.end
    out.append(text[n:])
    return "".join(out)
