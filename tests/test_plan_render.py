"""Plans as Markdown, HTML and PDF: the same content, the disclaimer, sources with dates,
and nothing from the data interpreted as markup."""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from smanav.kb import KnowledgeBase
from smanav.plan import make_plan, render_html, render_markdown, render_pdf
from smanav.settings import DISCLAIMER

PROFILE = {
    "age_months": "2y6m",
    "sma_type": 2,
    "functional_status": "sitter",
    "symptoms": ["too much saliva", "curved back", "stiff muscles"],
    "medications": ["Valium", "Glucophage"],
    "alcohol_use": True,
    "spinal_fusion": True,
}


@pytest.fixture(scope="module")
def plan(kb: KnowledgeBase) -> dict[str, Any]:
    return make_plan(PROFILE, kb)


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_markdown_shows_every_option_with_status_and_basis(plan: dict[str, Any]) -> None:
    md = render_markdown(plan)
    assert md.startswith("# SMA care-discussion plan")
    assert md.count(DISCLAIMER) == 2
    for o in plan["options"]:
        assert f"### {o['name']}" in md
    assert "Onasemnogene abeparvovec (Zolgensma) — Not offered" in md
    assert "rule dmt-intrathecal-spinal-fusion" in md
    assert "REH-S-1" in md and "from care-standard summaries, 2018" in md
    assert "Has a physical therapist reviewed the exercise plan?" in md
    assert "updated 2020-06-16" in md and "content 2018" in md


def test_markdown_makes_data_inert(plan: dict[str, Any]) -> None:
    evil = copy.deepcopy(plan)
    evil["options"][0]["name"] = "<img src=x onerror=alert(1)> *bold* [link](http://x)"
    evil["sources"][0]["url"] = "javascript:alert(1)"
    md = render_markdown(evil)
    assert "<javascript:" not in md
    assert "<img" not in md and "&lt;img" in md
    assert r"\*bold\*" in md and r"\[link\]" in md


def test_html_page_and_fragment(plan: dict[str, Any]) -> None:
    page = render_html(plan)
    fragment = render_html(plan, standalone=False)
    assert page.startswith("<!doctype html>") and '<html lang="en">' in page
    assert fragment.lstrip().startswith("<article") and "<html" not in fragment
    assert fragment in page
    text = _flat(re.sub(r"<[^>]+>", " ", page))
    assert _flat(DISCLAIMER) in text
    for o in plan["options"]:
        assert f'id="plan-o-{o["concept"]}"' in page
    # Headings in order: h1, then h2 per section, h3 per option, h4 inside.
    levels = [int(n) for n in re.findall(r"<h([1-6])", page)]
    assert levels[0] == 1 and all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False))


def test_html_escapes_everything(plan: dict[str, Any]) -> None:
    evil = copy.deepcopy(plan)
    payload = '<script>alert("x")</script>'
    evil["options"][0]["name"] = payload
    evil["options"][0]["reasons"].append(payload)
    evil["options"][0]["evidence"][0]["quote"] = payload
    evil["sources"][0]["url"] = 'javascript:alert(1)" onmouseover="x'
    evil["questions"].append(payload)
    for d in evil["domains"]:
        d["questions"].append(payload)
    for html in (render_html(evil), render_html(evil, print_css=True)):
        assert "<script>" not in html
        assert "&lt;script&gt;" in html
        assert 'onmouseover="x' not in html
        assert 'href="javascript:' not in html


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils is not installed")
def test_pdf_is_a_printable_sheet_with_disclaimer_sources_and_dates(
    plan: dict[str, Any], tmp_path: Path
) -> None:
    pdf = render_pdf(plan)
    assert pdf.startswith(b"%PDF-") and len(pdf) > 10_000
    path = tmp_path / "plan.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = _flat(text)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout
    assert re.search(r"^Tagged:\s+yes$", info, re.M)  # screen readers get its structure
    assert _flat(DISCLAIMER) in flat
    assert "no medical advice" in flat
    assert "Sources and their dates" in flat and "updated 2020-06-16" in flat
    assert "Onasemnogene abeparvovec" in flat and "Not offered" in flat
    pages = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout
    assert int(re.search(r"Pages:\s+(\d+)", pages).group(1)) >= 2  # type: ignore[union-attr]


def test_templates_are_package_data() -> None:
    """A template the wheel leaves out would break every installed HTML and PDF plan."""
    import fnmatch
    import tomllib

    root = Path(__file__).resolve().parents[1]
    globs = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
        "setuptools"
    ]["package-data"]["smanav"]
    templates = sorted((root / "src" / "smanav" / "templates" / "plan").iterdir())
    assert templates
    for path in templates:
        rel = path.relative_to(root / "src" / "smanav").as_posix()
        assert any(fnmatch.fnmatch(rel, g) for g in globs), f"{rel} is not package data"


# --- medicines checked and not checked, the region, boxed warnings, why a status ----------
MEDS_PROFILE = {
    "age_months": "30y",
    "sma_type": 3,
    "medications": ["sertraline", "Valium"],
    "weight_kg": 60,
    "breathing_support": "night-niv",
    "feeding": "mouth",
    "pregnancy": "no",
    "liver_disease": True,
}


@pytest.fixture(scope="module")
def meds_plan(kb: KnowledgeBase) -> dict[str, Any]:
    return make_plan(MEDS_PROFILE, kb)


def _text(html: str) -> str:
    return _flat(re.sub(r"<[^>]+>", " ", html))


def test_markdown_lists_unchecked_medicines(meds_plan: dict[str, Any]) -> None:
    md = _flat(render_markdown(meds_plan))
    assert "## Current medicines" in md
    assert "Checked against the label facts smanav holds: Diazepam (Valium)" in md
    assert "**Not checked** (smanav holds no interaction facts for them): sertraline" in md
    assert "smanav holds no interaction facts for sertraline: ask the care team" in md
    assert "| Current medicines | Diazepam (Valium), sertraline (not checked) |" in md


def test_html_and_printed_sheet_list_unchecked_medicines(meds_plan: dict[str, Any]) -> None:
    for html in (render_html(meds_plan), render_html(meds_plan, print_css=True)):
        text = _text(html)
        assert "Not checked" in text and "sertraline" in text
        assert "smanav holds no interaction facts for sertraline" in text
        assert "Diazepam (Valium)" in text


def test_no_medicines_says_so(plan: dict[str, Any], kb: KnowledgeBase) -> None:
    bare = make_plan({"age_months": 30}, kb)
    assert "No current medicines were given." in render_markdown(bare)
    assert "No current medicines were given." in _text(render_html(bare))


@pytest.mark.parametrize(
    ("region", "words"),
    [("US", "Labels: United States (FDA)"), ("EU", "Labels: European Union (EMA)")],
)
def test_every_format_names_the_region(kb: KnowledgeBase, region: str, words: str) -> None:
    p = make_plan({"age_months": "3y", "sma_type": 2, "region": region}, kb)
    assert words in render_markdown(p)
    assert words in _text(render_html(p))
    assert words in _text(render_html(p, print_css=True))


def test_new_profile_rows_are_shown(meds_plan: dict[str, Any]) -> None:
    md = _flat(render_markdown(meds_plan))
    for row in (
        "| Weight | 60 kg |",
        "| Breathing support | non-invasive ventilation at night |",
        "| Feeding | by mouth |",
        "| Pregnancy or breastfeeding | no |",
        "| Liver disease | yes |",
        "| Kidney disease | no |",
        "| Region (whose labels apply) | United States (FDA labels) |",
    ):
        assert row in md, row
    text = _text(render_html(meds_plan))
    assert "Breathing support" in text and "non-invasive ventilation at night" in text


def _with_late_boxed_warning(plan: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """A copy whose first option has an ordinary caution, then a boxed warning last."""
    p = copy.deepcopy(plan)
    o = p["options"][0]
    o["cautions"] = [
        {
            "text": "An ordinary caution.",
            "with": "x",
            "concept": None,
            "rule": "r1",
            "evidence": [],
        },
        {
            "text": "Boxed warning (US): a test boxed warning.",
            "with": "boxed warning",
            "concept": None,
            "rule": "boxed-warning",
            "evidence": [],
        },
    ]
    return p, o["name"]


def test_boxed_warning_comes_before_the_other_cautions(plan: dict[str, Any]) -> None:
    p, name = _with_late_boxed_warning(plan)
    md = render_markdown(p)
    section = md[md.index(f"### {name}") :]
    assert section.index("**⚠ Boxed warning**") < section.index("a test boxed warning")
    assert section.index("a test boxed warning") < section.index("An ordinary caution.")
    assert section.index("a test boxed warning") < section.index("**Why it is listed**")
    for html in (render_html(p), render_html(p, print_css=True)):
        text = _text(html)
        start = text.index(name)
        assert "Boxed warning" in text[start:]
        assert text.index("a test boxed warning", start) < text.index("An ordinary caution.", start)


def test_real_boxed_warnings_are_shown(meds_plan: dict[str, Any]) -> None:
    boxed = [c for o in meds_plan["options"] for c in o["cautions"] if c["rule"] == "boxed-warning"]
    assert boxed, "the label data gives this plan's medicines boxed warnings"
    md = render_markdown(meds_plan)
    assert "**⚠ Boxed warning**" in md
    assert _flat(boxed[0]["text"]) in _flat(md.replace("\\", ""))


def test_not_eligible_reason_is_visible(plan: dict[str, Any]) -> None:
    zolgensma = next(o for o in plan["options"] if o["concept"] == "onasemnogene-abeparvovec")
    assert zolgensma["status"] == "not_offered"
    md = render_markdown(plan)
    section = md[md.index("### Onasemnogene abeparvovec (Zolgensma)") :]
    section = section[: section.index("**Why it is listed**")]
    assert "**Why it is not offered**" in section
    assert "rule label-age" in section or "is outside" in section
    html = render_html(plan)
    start = html.index('id="plan-o-onasemnogene-abeparvovec"')
    assert "Why it is not offered" in html[start : html.index("Why it is listed", start)]


def test_needs_review_reason_is_visible(plan: dict[str, Any]) -> None:
    p = copy.deepcopy(plan)
    o = next(o for o in p["options"] if o["status"] == "to_discuss")
    o["status"], o["status_text"] = "needs_review", "needs review by the care team"
    o["reasons"].append("needs review: a test label says to avoid it (rule label-pregnancy)")
    md = render_markdown(p)
    section = md[md.index(f"### {_md_name(o)}") :]
    head = section[: section.index("**Why it is listed**")]
    assert "**Why it needs review**" in head and "a test label says to avoid it" in head
    text = _text(render_html(p))
    start = text.index("Why it needs review")
    assert "a test label says to avoid it" in text[start : start + 300]


def test_every_real_review_or_ineligible_option_says_why(kb: KnowledgeBase) -> None:
    profiles = [
        PROFILE,
        MEDS_PROFILE,
        {"age_months": "30y", "sma_type": 3, "pregnancy": "planning", "region": "EU"},
    ]
    for profile in profiles:
        p = make_plan(profile, kb)
        md = render_markdown(p)
        for o in p["options"]:
            if o["status"] == "to_discuss":
                continue
            section = md[md.index(f"### {_md_name(o)}") :]
            title = "Why it needs review" if o["status"] == "needs_review" else "Why it is not"
            assert f"**{title}" in section[: section.index("**Why it is listed**")], o["name"]


def _md_name(o: dict[str, Any]) -> str:
    return str(o["name"]) + (f" ({', '.join(o['brands'])})" if o["brands"] else "")


def test_label_facts_are_shown_with_their_region(kb: KnowledgeBase) -> None:
    p = make_plan({"age_months": "30y", "sma_type": 3}, kb)
    with_facts = [o for o in p["options"] if o["contraindications"]]
    assert with_facts, "the label data holds contraindications for this plan's options"
    md = _flat(render_markdown(p).replace("\\", ""))
    assert "Label: who must not receive it (contraindications)" in md
    fact = with_facts[0]["contraindications"][0]
    assert _flat(fact["text"]) in md


def test_plans_without_the_new_keys_still_render(plan: dict[str, Any]) -> None:
    """A plan JSON saved before the label facts and medicines existed renders as before."""
    old = copy.deepcopy(plan)
    del old["medicines"], old["region"]
    for o in old["options"]:
        for key in (
            "boxed_warnings",
            "contraindications",
            "interactions",
            "pregnancy",
            "not_known",
        ):
            o.pop(key, None)
    assert "Labels: United States (FDA)" in render_markdown(old)
    assert "No current medicines were given." in _text(render_html(old))


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils is not installed")
def test_pdf_names_unchecked_medicines_and_region(
    meds_plan: dict[str, Any], tmp_path: Path
) -> None:
    path = tmp_path / "plan.pdf"
    path.write_bytes(render_pdf(meds_plan))
    text = _flat(
        subprocess.run(
            ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout
    )
    assert "Labels: United States (FDA)" in text
    assert "Not checked: sertraline" in text
    assert "smanav holds no interaction facts for sertraline" in text
