"""Screenshots of the home, treatment, plan and printed-plan pages for the README, and
pages 1-2 of the plan's PDF (the family summary, issue 10).

Uses the browser tests' tooling (tests/webtools.py: the app in a thread, Debian's
chromium through Playwright). Images are 800 px wide and reduced to a 64-colour
palette so they stay small in the repository.

    .venv-test/bin/python scripts/screenshots.py            # writes docs/screenshots/*.png
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
from pathlib import Path
from typing import Any

from smanav.store import build

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the browser tests' tooling is test code

from webtools import launch_chromium, serve  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"
WIDTH, HEIGHT = 800, 1000
PROFILE: dict[str, Any] = {
    "age": "8m",
    "sma_type": "1",
    "functional_status": "non-sitter",
    "symptoms": ["drooling", "dysphagia"],
    "medications": "baclofen",
}


def save_small(png: bytes, path: Path) -> int:
    """A 64-colour optimised PNG: text and flat colours survive, size drops about 4x."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    small = image.quantize(colors=64, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)
    return path.stat().st_size


def fill_plan(page: Any, base: str) -> None:
    page.goto(f"{base}/plan")
    page.fill("#field-age", PROFILE["age"])
    page.select_option("#field-sma_type", PROFILE["sma_type"])
    page.check("#fs-1")
    for s in PROFILE["symptoms"]:
        page.check(f"#sym-{s}")
    page.fill("#field-medications", PROFILE["medications"])
    page.click("button.primary")
    page.wait_for_load_state()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--db", type=Path, help="knowledge base (default: a fresh build)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db
        if db is None:
            db = Path(tmp) / "smanav.db"
            build(db, CORPUS if CORPUS.is_dir() else None)
        with serve(db) as base, launch_chromium() as browser:
            page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
            shots = {
                "home": lambda: page.goto(f"{base}/"),
                "treatment": lambda: page.goto(f"{base}/treatments/onasemnogene-abeparvovec"),
                "plan": lambda: fill_plan(page, base),
            }
            for name, go in shots.items():
                go()
                size = save_small(page.screenshot(), args.out / f"{name}.png")
                print(f"{name}.png {size // 1024} KiB")
            page.emulate_media(media="print")
            size = save_small(page.screenshot(), args.out / "plan-print.png")
            print(f"plan-print.png {size // 1024} KiB")
        pdf_pages(db, args.out)


def pdf_pages(db: Path, out: Path) -> None:
    """Pages 1 and 2 of the same plan's PDF (the family summary), 800 px wide."""
    import subprocess

    from smanav.plan import make_plan, render_pdf
    from smanav.store import open_kb

    profile = {**PROFILE, "medications": [PROFILE["medications"]]}
    pdf = render_pdf(make_plan(profile, open_kb(db)))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "plan.pdf"
        path.write_bytes(pdf)
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-f",
                "1",
                "-l",
                "2",
                "-scale-to-x",
                str(WIDTH),
                "-scale-to-y",
                "-1",
                str(path),
                str(Path(tmp) / "page"),
            ],
            check=True,
        )
        # pdftoppm pads page numbers to the page count's width (page-01.png).
        for n, png in enumerate(sorted(Path(tmp).glob("page-*.png")), 1):
            size = save_small(png.read_bytes(), out / f"plan-pdf-{n}.png")
            print(f"plan-pdf-{n}.png {size // 1024} KiB")


if __name__ == "__main__":
    main()
