"""Measure the family summary (issue 10): reading grade, sentence length, A4 pages.

    .venv-test/bin/python scripts/readability.py            # writes docs/readability.md
    .venv-test/bin/python scripts/readability.py --no-pdf   # grades only (fast)

For the 35 golden profiles (tests/fixtures/plan_golden.json.gz) and the clinical
scenario table (tests/fixtures/scenarios.yaml), per profile:

- before: what a family had to read until issue 10, the whole plan (the clinician
  section now: Markdown with its rule ids, offsets and quotes), its Flesch-Kincaid
  grade and its PDF pages;
- after: the family summary's grade (textstat 0.7.4, syllables from pyphen's
  dictionaries, nothing fetched), its longest sentence in words, and its A4 pages in
  the PDF (the page where the clinician section starts, minus one).
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "fixtures" / "plan_golden.json.gz"
SCENARIOS = ROOT / "tests" / "fixtures" / "scenarios.yaml"
OUT = ROOT / "docs" / "readability.md"
_MARKUP = re.compile(r"[*#>|\\`_]+|^\s*[-\d]+[.)]?\s", re.M)


def grade(text: str) -> float:
    """Flesch-Kincaid grade of plain text (textstat 0.7.4: pyphen, no downloads)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # textstat 0.7.4 imports pkg_resources
        import textstat  # type: ignore[import-untyped]

    return float(textstat.flesch_kincaid_grade(text))


def before_text(plan: dict[str, Any]) -> str:
    """The plan as a family read it before issue 10: everything now in the clinician
    section (the Markdown after the summary), markup removed."""
    from smanav.plan.render import CLINICIAN_TITLE, render_markdown

    md = render_markdown(plan)
    return _MARKUP.sub(" ", md[md.index(CLINICIAN_TITLE) :])


def pdf_pages(plan: dict[str, Any]) -> tuple[int, int]:
    """(summary pages, all pages) of the plan's PDF."""
    from smanav.plan import render_pdf
    from smanav.plan.render import CLINICIAN_TITLE

    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(render_pdf(plan))
        f.flush()
        info = subprocess.run(["pdfinfo", f.name], capture_output=True, text=True).stdout
        total = int(re.search(r"Pages:\s+(\d+)", info).group(1))  # type: ignore[union-attr]
        for page in range(1, total + 1):
            text = subprocess.run(
                ["pdftotext", "-f", str(page), "-l", str(page), f.name, "-"],
                capture_output=True,
                text=True,
            ).stdout
            if CLINICIAN_TITLE in " ".join(text.split()):
                return page - 1, total
    return total, total


def measure(name: str, plan: dict[str, Any], pdf: bool) -> dict[str, Any]:
    from smanav.plan.family import MAX_WORDS, family_text, family_view, sentences

    view = family_view(plan)
    text = family_text(view)
    long = [s for s in sentences(text) if len(s.split()) > MAX_WORDS]
    row: dict[str, Any] = {
        "profile": name,
        "before_grade": round(grade(before_text(plan)), 1),
        "after_grade": round(grade(text), 1),
        "longest": max(len(s.split()) for s in sentences(text)),
        "over_25": len(long),
        "questions": len(view["questions"]),
    }
    if pdf:
        summary, total = pdf_pages(plan)
        row.update(summary_pages=summary, before_pages=total - summary, all_pages=total)
    return row


def rows(pdf: bool) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    import yaml

    import smanav

    golden = json.loads(gzip.decompress(GOLDEN.read_bytes()))
    g = [measure(f"golden {i + 1}", case["plan"], pdf) for i, case in enumerate(golden["cases"])]
    kb = smanav.open_kb()
    table = yaml.safe_load(SCENARIOS.read_text(encoding="utf-8"))
    s = [measure(sc["id"], smanav.make_plan(sc["profile"], kb), pdf) for sc in table]
    return g, s


def table(title: str, data: list[dict[str, Any]], pdf: bool) -> list[str]:
    head = "| Profile | Grade before → after | Longest sentence (words) | Questions |"
    rule = "|---|---|---|---|"
    if pdf:
        head += " Summary A4 pages | Clinician-section pages (the whole plan before) |"
        rule += "---|---|"
    lines = [f"## {title}", "", head, rule]
    for r in data:
        line = (
            f"| {r['profile']} | {r['before_grade']} → **{r['after_grade']}** | "
            f"{r['longest']} | {r['questions']} |"
        )
        if pdf:
            line += f" {r['summary_pages']} | {r['before_pages']} |"
        lines.append(line)
    return [*lines, ""]


def summary(data: list[dict[str, Any]], pdf: bool) -> str:
    n = len(data)
    after = [r["after_grade"] for r in data]
    before = [r["before_grade"] for r in data]
    text = (
        f"{n} profiles: grade before {min(before)}–{max(before)}, after "
        f"{min(after)}–{max(after)} ({sum(g <= 8 for g in after)} of {n} at grade 8 or "
        f"lower); {sum(r['over_25'] == 0 for r in data)} of {n} with no sentence over 25 words"
    )
    if pdf:
        pages = [r["summary_pages"] for r in data]
        text += (
            f"; summary {min(pages)}–{max(pages)} A4 pages ({sum(p <= 2 for p in pages)} of "
            f"{n} on two pages or fewer), clinician section (what the whole plan held before) "
            f"{min(r['before_pages'] for r in data)}–{max(r['before_pages'] for r in data)} pages"
        )
    return text + "."


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-pdf", action="store_true", help="grades only, no PDF page counts")
    ap.add_argument("-o", "--output", type=Path, default=OUT)
    args = ap.parse_args()
    pdf = not args.no_pdf
    g, s = rows(pdf)
    lines = [
        "# Family summary: reading level and length (issue 10)",
        "",
        "Written by `.venv-test/bin/python scripts/readability.py`. Grades are "
        "Flesch-Kincaid (textstat 0.7.4); *before* is the whole plan as a family read it "
        "until issue 10 (now the clinician section), *after* is the family summary. "
        "The summary holds every safety caution of every option still offered (HAZ-21), grouped.",
        "",
        f"- Golden profiles: {summary(g, pdf)}",
        f"- Scenario table: {summary(s, pdf)}",
        "",
        *table("Golden profiles (tests/fixtures/plan_golden.json.gz)", g, pdf),
        *table("Clinical scenario table (tests/fixtures/scenarios.yaml)", s, pdf),
    ]
    args.output.write_text("\n".join(lines), encoding="utf-8")
    print(f"- Golden profiles: {summary(g, pdf)}", file=sys.stderr)
    print(f"- Scenario table: {summary(s, pdf)}", file=sys.stderr)


if __name__ == "__main__":
    main()
