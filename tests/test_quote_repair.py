"""Quotes a person can read: words the scraped source ran together ("AmitriptylineRobinul")
are shown separated and marked "[repaired]", while the exact quote, its offsets and hash
stay in the JSON and the clinician section shows the exact text too."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from smanav.kb import KnowledgeBase
from smanav.plan import make_plan, render_html, render_markdown
from smanav.web import create_app

NOTE = "words that were run together in the source are separated"
NAMES = ["amitriptyline", "robinul", "baclofen", "tizanidine", "glycopyrrolate", "AtroPen"]


def _tiny_kb(names: list[str]) -> KnowledgeBase:
    """A knowledge base holding only these names: the splitter needs nothing else."""
    rows = [(n.lower(), n, n.lower(), "name") for n in names]
    return KnowledgeBase({}, {}, {}, rows, {})


def _evidence(x: Any) -> Iterator[dict[str, Any]]:
    if isinstance(x, dict):
        if "quote" in x and "start" in x:
            yield x
        for v in x.values():
            yield from _evidence(v)
    elif isinstance(x, list):
        for v in x:
            yield from _evidence(v)


def _flat(text: str) -> str:
    return " ".join(text.split())


# --- a small fixture of our own ---------------------------------------------------------
def test_glued_names_are_split_with_the_separator_the_link_lost() -> None:
    kb = _tiny_kb(NAMES)
    assert kb.repaired_quote("such as baclofentizanidine, and") == (
        "such as baclofen, tizanidine, and"
    )
    assert kb.repaired_quote("patients. AmitriptylineRobinul (glycopyrrolate), or AtroPen") == (
        "patients. Amitriptyline, Robinul (glycopyrrolate), or AtroPen"
    )


def test_a_quote_without_glued_words_has_no_repaired_form() -> None:
    kb = _tiny_kb(NAMES)
    assert kb.repaired_quote("AtroPen (atropine) may address these issues.") is None
    assert kb.repaired_quote("colorblindness and pseudolymphoma are words") is None


@given(
    st.lists(st.sampled_from(NAMES[:5]), min_size=2, max_size=3),
    st.sampled_from(["such as ", "include ", "", "The "]),
)
def test_any_glued_run_of_known_names_comes_back_as_a_list(names: list[str], lead: str) -> None:
    kb = _tiny_kb(NAMES)
    glued = "".join(names)
    repaired = kb.repaired_quote(f"{lead}{glued}.")
    if all(a != b for a, b in zip(names, names[1:], strict=False)):
        assert repaired == f"{lead}{', '.join(names)}."
    if repaired is not None:  # only separators were added: the letters are the source's
        assert repaired.replace(", ", "") == f"{lead}{glued}."


# --- the founding article ---------------------------------------------------------------
@pytest.fixture(scope="module")
def drooling_plan(kb: KnowledgeBase) -> dict[str, Any]:
    return make_plan({"age_months": 30, "sma_type": 2, "symptoms": ["too much saliva"]}, kb)


def _glued(plan: dict[str, Any]) -> dict[str, Any]:
    return next(e for e in _evidence(plan) if e["quote"] and "AmitriptylineRobinul" in e["quote"])


def test_json_keeps_the_exact_quote_offsets_and_hash(
    drooling_plan: dict[str, Any], corpus: Path, kb: KnowledgeBase
) -> None:
    ev = _glued(drooling_plan)
    article = (corpus / "000_3d87942ba094d4da.txt").read_text(encoding="utf-8")
    assert article[ev["start"] : ev["end"]] == ev["quote"]
    stored = next(
        x
        for x in kb.assertions[ev["assertion"]].evidence
        if (x.start, x.end) == (ev["start"], ev["end"])
    )
    assert hashlib.sha256(ev["quote"].encode("utf-8")).hexdigest() == stored.sha256
    assert "Amitriptyline, Robinul" in ev["quote_repaired"]
    undone = ev["quote_repaired"].replace("Amitriptyline, Robinul", "AmitriptylineRobinul")
    assert undone.replace("baclofen, tizanidine", "baclofentizanidine") == ev["quote"]
    for e in _evidence(drooling_plan):  # added only where it differs
        assert "quote_repaired" not in e or e["quote_repaired"] != e["quote"]
    assert any(e["quote"] and "quote_repaired" not in e for e in _evidence(drooling_plan))


def test_page_shows_the_repaired_quote_marked_and_the_exact_one(
    drooling_plan: dict[str, Any],
) -> None:
    html = render_html(drooling_plan)
    assert "Amitriptyline, Robinul" in html
    assert f'[<abbr title="{NOTE}">repaired</abbr>' in html
    assert "Exact text in the source:" in html
    assert "AmitriptylineRobinul" in html  # the exact quote, in the clinician section only
    family, clinician = html.split('id="plan-clinician-h"', 1)
    assert "AmitriptylineRobinul" not in family and "AmitriptylineRobinul" in clinician


def test_printed_sheet_and_markdown_mark_the_repair(drooling_plan: dict[str, Any]) -> None:
    sheet = _flat(render_html(drooling_plan, print_css=True))
    assert "Amitriptyline, Robinul" in sheet and ">repaired</abbr>" in sheet
    assert "exact text in the source: “" in sheet and "AmitriptylineRobinul" in sheet
    md = _flat(render_markdown(drooling_plan))
    assert (
        "Amitriptyline, Robinul (glycopyrrolate), or AtroPen (atropine) may address these "
        f"issues.” \\[repaired: {NOTE}\\]" in md
    )
    assert "Exact text in the source: “" in md and "AmitriptylineRobinul" in md


def test_muscle_relaxants_article_quote_is_repaired(kb: KnowledgeBase) -> None:
    plan = make_plan({"age_months": 30, "sma_type": 2, "symptoms": ["stiff muscles"]}, kb)
    quotes = [e for e in _evidence(plan) if e["quote"] and "baclofentizanidine" in e["quote"]]
    assert quotes and all("baclofen, tizanidine" in e["quote_repaired"] for e in quotes)
    assert "baclofen, tizanidine" in render_markdown(plan)


def test_treatment_page_shows_the_repaired_quote(db_path: Path) -> None:
    with TestClient(create_app(db_path)) as client:
        page = client.get("/treatments/glycopyrrolate")
        twin = client.get("/treatments/glycopyrrolate.json").json()
    assert page.status_code == 200
    text = _flat(page.text)
    assert "Amitriptyline, Robinul" in text and f'title="{NOTE}">repaired</abbr>' in text
    assert "Exact text in the source: “" in text and "AmitriptylineRobinul" in text
    quotes = [e for e in _evidence(twin) if e["quote"] and "AmitriptylineRobinul" in e["quote"]]
    assert quotes and all("Amitriptyline, Robinul" in e["quote_repaired"] for e in quotes)
