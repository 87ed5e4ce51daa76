"""The family summary (issue 10): plain words first, one list of questions, two pages.

Checked on every golden plan and every row of the clinical scenario table: no rule ids,
offsets, "(unverified)" or ISO dates in family text; every jargon term the issue names
is in the glossary and explained wherever it appears; grade 8 or lower; one numbered
list of questions; the summary fits two A4 pages; the clinician section keeps it all.
"""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from smanav.kb import KnowledgeBase
from smanav.plan import make_plan, render_html, render_markdown
from smanav.plan.family import (
    MAX_WORDS,
    caution_keys,
    family_name,
    family_text,
    family_view,
    glossary,
    plain_words,
    say_date,
    sentences,
)
from smanav.plan.render import CLINICIAN_TITLE

FIXTURES = Path(__file__).parent / "fixtures"
GOLDEN = json.loads(gzip.decompress((FIXTURES / "plan_golden.json.gz").read_bytes()))
SCENARIOS = yaml.safe_load((FIXTURES / "scenarios.yaml").read_text(encoding="utf-8"))
#: The parent of a 7-month-old in the issue.
INFANT = {
    "age_months": 7,
    "sma_type": 1,
    "functional_status": "non-sitter",
    "symptoms": ["drooling", "trouble breathing", "can't swallow"],
}
#: Every term the issue found unexplained.
ISSUE_TERMS = [
    "intrathecal",
    "anti-AAV9 antibodies",
    "titre above 1:50",
    "splicing modifier",
    "SMN2",
    "CHOP INTEND",
    "HFMSE",
    "end-tidal CO2",
    "insufflation-exsufflation",
    "RSV prophylaxis",
    "vg/kg",
    "MATE1/MATE2-K",
    "dysphagia",
    "respiratory insufficiency",
    "tracheostomy",
    "non-invasive ventilation",
]
_NOISE = re.compile(
    r"\(rule |\(care standard |\brule [a-z]+-[a-z]|characters \d|\(unverified\)|"
    r"\(event:|\(as of:|\b\d{4}-\d{2}\b|\bsuggested:",
    re.I,
)


@pytest.fixture(scope="module")
def scenario_plans(kb: KnowledgeBase) -> list[tuple[str, dict[str, Any]]]:
    return [(sc["id"], make_plan(sc["profile"], kb)) for sc in SCENARIOS]


def _all_plans(scenario_plans: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, Any]]:
    golden = [(f"golden {i + 1}", c["plan"]) for i, c in enumerate(GOLDEN["cases"])]
    return golden + scenario_plans


def _grade(text: str) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # textstat 0.7.4 imports pkg_resources
        import textstat  # type: ignore[import-untyped]
    return float(textstat.flesch_kincaid_grade(text))


def test_every_issue_term_is_in_the_glossary() -> None:
    known = {t.term.casefold() for t in glossary()}
    for term in ISSUE_TERMS:
        assert term.casefold() in known, term
    for t in glossary():
        assert t.plain and t.plain.casefold() != t.term.casefold()


def test_family_text_has_no_machine_noise(
    scenario_plans: list[tuple[str, dict[str, Any]]],
) -> None:
    for name, plan in _all_plans(scenario_plans):
        text = family_text(family_view(plan))
        found = _NOISE.search(text)
        assert found is None, f"{name}: {found.group(0)!r} in {text[found.start() - 80 :]}"


def test_jargon_is_explained_wherever_it_appears(
    scenario_plans: list[tuple[str, dict[str, Any]]],
) -> None:
    """Each glossary term in the summary has its plain words beside it the first time,
    or in the summary's "Words used here" list. Source names ("From BMJ Supportive &
    Palliative Care, ...") are names, not jargon."""
    for name, plan in _all_plans(scenario_plans):
        view = family_view(plan)
        lines = family_text(view).splitlines()
        text = "\n".join(line for line in lines if not line.startswith("From "))
        listed = {w["term"].casefold() for w in view["words"]}
        for t in glossary():
            m = t.pattern.search(text)
            if m is None or t.term.casefold() in listed:
                continue
            assert t.plain.casefold() in text.casefold(), f"{name}: {t.term} is not explained"


def test_reading_grade_is_8_or_lower(scenario_plans: list[tuple[str, dict[str, Any]]]) -> None:
    for name, plan in _all_plans(scenario_plans):
        text = family_text(family_view(plan))
        assert _grade(text) <= 8, name


def test_no_sentence_is_over_25_words(
    scenario_plans: list[tuple[str, dict[str, Any]]],
) -> None:
    for name, plan in _all_plans(scenario_plans):
        for s in sentences(family_text(family_view(plan))):
            assert len(s.split()) <= MAX_WORDS, f"{name}: {len(s.split())} words: {s}"


def test_one_numbered_list_holds_every_question(kb: KnowledgeBase) -> None:
    plan = make_plan(INFANT, kb)
    view = family_view(plan)
    assert view["questions"] and len(view["questions"]) == len(set(plan["questions"]))
    html = render_html(plan)
    summary = html[: html.index(CLINICIAN_TITLE)]
    assert summary.count("<ol") == 1 and 'class="family-questions"' in summary
    assert summary.count("<li>", summary.index("family-questions")) >= len(view["questions"])
    md = render_markdown(plan)
    part = md[: md.index(CLINICIAN_TITLE)]
    assert part.count("### Questions to ask the care team") == 1
    assert f"\n{len(view['questions'])}. " in part


def test_the_infant_summary_reads_as_the_issue_asks(kb: KnowledgeBase) -> None:
    plan = make_plan(INFANT, kb)
    view = family_view(plan)
    first = {f["name"]: f for f in view["first"]}
    # Safety first: Zolgensma's boxed warning is its own item, not item 2 of 7.
    zolgensma = first["Zolgensma (onasemnogene abeparvovec)"]["notes"][0]
    assert zolgensma["boxed"] and "liver" in zolgensma["text"]
    assert zolgensma["where"] == "Novartis, checked November 2026"
    # The parent's words beside the clinical ones.
    symptoms = next(r["value"] for r in view["about"] if r["label"] == "Symptoms")
    assert "can't swallow (trouble swallowing, dysphagia)" in symptoms
    assert "trouble breathing (weak breathing, respiratory insufficiency)" in symptoms
    # A treatment not offered gets one line, never a paragraph of warnings.
    assert not any("Itvisma" in name for name in first)
    itvisma = next(o for d in view["domains"] for o in d["options"] if "Itvisma" in o["name"])
    assert itvisma["status_words"] == "not offered" and "2 years" in itvisma["note"]
    assert "intrathecal" not in itvisma["name"]
    # Tracheostomy is never listed without saying what it means.
    trach = next(o for d in view["domains"] for o in d["options"] if o["name"] == "Tracheostomy")
    assert "opening in the neck" in trach["what"] and "decision" in trach["what"]


def test_the_clinician_section_keeps_every_reason_and_source(kb: KnowledgeBase) -> None:
    plan = make_plan(INFANT, kb)
    md = render_markdown(plan)
    clinician = md[md.index(CLINICIAN_TITLE) :]
    from smanav.plan.render import _md

    for o in plan["options"]:
        for r in o["reasons"]:
            assert _md(r) in clinician, r
        for ev in o["evidence"]:
            if ev.get("start") is not None:
                assert f"characters {ev['start']}–{ev['end']}" in clinician
    for s in plan["sources"]:
        assert _md(s["title"]) in clinician and s["dated"] in clinician


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("checked 2026-11", "checked November 2026"),
        ("updated 2020-06-16", "updated June 2020"),
        ("dated May 2022", "dated May 2022"),
        ("content 2018, checked 2026-11", "content 2018, checked November 2026"),
    ],
)
def test_dates_as_a_person_says_them(text: str, said: str) -> None:
    assert say_date(text) == said


@given(st.text(max_size=200))
def test_plain_words_never_fails_and_strips_rule_ids(text: str) -> None:
    out = plain_words(f"{text} (rule dmt-nusinersen) characters 870–1093", set())
    assert "(rule dmt-nusinersen)" not in out and "characters 870" not in out


def _summary_pages(pdf: bytes, tmp_path: Path) -> int:
    path = tmp_path / "plan.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout
    total = int(re.search(r"Pages:\s+(\d+)", info).group(1))  # type: ignore[union-attr]
    for page in range(1, total + 1):
        text = subprocess.run(
            ["pdftotext", "-f", str(page), "-l", str(page), str(path), "-"],
            capture_output=True,
            text=True,
        ).stdout
        if CLINICIAN_TITLE in " ".join(text.split()):
            return page - 1
    return total


def _longest_summaries() -> list[dict[str, Any]]:
    """The golden plans whose summaries are longest (most likely to spill to a third page);
    scripts/readability.py measures all of them."""
    ranked = sorted(GOLDEN["cases"], key=lambda c: -len(family_text(family_view(c["plan"]))))
    return [c["plan"] for c in ranked[:3]]


@pytest.mark.parametrize("n", range(3))
def test_the_pdf_summary_fits_two_a4_pages(n: int, tmp_path: Path) -> None:
    pytest.importorskip("weasyprint")
    from smanav.plan import render_pdf

    pdf = render_pdf(_longest_summaries()[n])
    assert 1 <= _summary_pages(pdf, tmp_path) <= 2


def test_the_pdf_starts_with_the_summary_and_breaks_before_the_clinician_section(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    pytest.importorskip("weasyprint")
    from smanav.plan import render_pdf

    pdf = render_pdf(make_plan(INFANT, kb))
    path = tmp_path / "p.pdf"
    path.write_bytes(pdf)
    page1 = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", str(path), "-"], capture_output=True, text=True
    ).stdout
    assert "Summary for the family" in page1 and "Talk about these first" in page1
    pages = _summary_pages(pdf, tmp_path)
    after = subprocess.run(
        ["pdftotext", "-f", str(pages + 1), "-l", str(pages + 1), str(path), "-"],
        capture_output=True,
        text=True,
    ).stdout
    assert " ".join(after.split()).startswith(CLINICIAN_TITLE)


_NO_WEASYPRINT = """
import sys
sys.modules["weasyprint"] = None  # as if the pdf extra were not installed
from fastapi.testclient import TestClient
from smanav.web import create_app
c = TestClient(create_app())
form = {"age": "8m", "sma_type": "1"}
page = c.post("/plan", data=form)
pdf = c.post("/plan.pdf", data=form)
print(page.status_code, "download-pdf" in page.text, pdf.status_code)
print("pip install" in pdf.text, "Print" in pdf.text)
"""


def test_without_weasyprint_the_page_offers_no_pdf_and_says_why_plainly(db_path: Path) -> None:
    env = {"SMANAV_DB": str(db_path), "PATH": "/usr/bin:/bin"}
    r = subprocess.run(
        [sys.executable, "-c", _NO_WEASYPRINT], capture_output=True, text=True, env=env
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["200", "False", "503", "False", "True"]


def test_the_parents_own_words_are_in_the_rendered_summary(kb: KnowledgeBase) -> None:
    plan = make_plan(INFANT, kb)
    assert plan["profile"]["symptom_words"] == {
        "dysphagia": "can't swallow",
        "respiratory-insufficiency": "trouble breathing",
    }
    md = " ".join(render_markdown(plan).split())
    assert "**Symptoms:** Drooling, can't swallow (trouble swallowing, dysphagia), trouble " in md
    html = " ".join(render_html(plan).split())
    assert "can&#39;t swallow (trouble swallowing, dysphagia)" in html
    # Typed as the clinical name: nothing is added, and the JSON has no empty map.
    named = make_plan({**INFANT, "symptoms": ["Dysphagia", "drooling"]}, kb)
    assert "symptom_words" not in named["profile"]
    assert "trouble swallowing (dysphagia)" in render_markdown(named)
    # A plan's profile given back keeps the words.
    assert make_plan(plan["profile"], kb)["profile"] == plan["profile"]


#: The profile on which the summary once dropped the alcohol and stacking cautions.
DRINKS = {
    "age_months": 180,
    "functional_status": "walker",
    "symptoms": ["spasticity"],
    "alcohol_use": True,
    "medications": ["baclofen"],
}


def test_every_safety_caution_of_an_offered_option_is_in_the_summary(
    scenario_plans: list[tuple[str, dict[str, Any]]],
) -> None:
    """HAZ-21: the summary may group and shorten a caution, never drop it. Each caution
    of an option still offered has a line naming that option, and the line is in the
    text a family reads; options not offered get no caution lines."""
    for name, plan in _all_plans(scenario_plans):
        view = family_view(plan)
        text = family_text(view)
        offered = {family_name(o) for o in plan["options"] if o["status"] != "not_offered"}
        for line in view["cautions"]:
            assert line["text"] in text and set(line["names"]) <= offered | _others(plan), name
        for o in plan["options"]:
            if o["status"] == "not_offered":
                continue
            for c in o.get("cautions") or []:
                if c["rule"] == "boxed-warning":
                    continue
                for key in caution_keys(o, c):
                    assert any(
                        list(key) in line["keys"] and family_name(o) in line["names"]
                        for line in view["cautions"]
                    ), f"{name}: {o['concept']}: {c['text']}"


def _others(plan: dict[str, Any]) -> set[str]:
    """Options named beside an offered one as an alternative (any status)."""
    return {family_name(o) for o in plan["options"]}


def test_a_family_reads_the_alcohol_and_stacking_cautions(kb: KnowledgeBase) -> None:
    """The case found in review: tizanidine's summary said only its label age, while
    the full plan said not to mix it with alcohol or with the baclofen already taken."""
    view = family_view(make_plan(DRINKS, kb))

    def line(words: str) -> dict[str, Any]:
        return next(x for x in view["cautions"] if words in x["text"])

    alcohol = line("With alcohol, which the profile says is used.")
    assert "slow breathing" in alcohol["text"]
    assert {"Zanaflex (tizanidine)", "Benzodiazepines", "Lioresal (baclofen)"} <= set(
        alcohol["names"]
    )
    baclofen = line("With Lioresal (baclofen), already taken.")
    assert "same group of medicines" in baclofen["text"]
    assert "Zanaflex (tizanidine)" in baclofen["names"]
    assert "Zanaflex (tizanidine)" in line("Do not mix muscle relaxants with alcohol.")["names"]
    assert line("It is already taken")["names"] == ["Lioresal (baclofen)"]
    assert "Zanaflex (tizanidine)" in line("not typical of SMA")["names"]
    md = render_markdown(make_plan(DRINKS, kb))
    summary = md.split(CLINICIAN_TITLE)[0]
    assert "### Safety cautions to go through" in summary
    assert "Do not mix muscle relaxants with alcohol." in summary
