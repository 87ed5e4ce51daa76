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
    assert "Onasemnogene abeparvovec (Zolgensma) — Not eligible per sources" in md
    assert "rule dmt-nusinersen-spinal-fusion" in md
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
    assert "Onasemnogene abeparvovec" in flat and "Not eligible per sources" in flat
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
