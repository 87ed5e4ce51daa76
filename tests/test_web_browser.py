"""The site in a real browser (Debian's chromium via Playwright): accessibility, keyboard, print.

One browser and one server for the whole module. axe-core comes from npm
(``package.json``; ``scripts/test`` runs ``npm install``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from webtools import CHROMIUM, axe_path, launch_chromium, run_axe, serve

ROOT = Path(__file__).resolve().parents[1]
AXE = axe_path(ROOT)

pytestmark = [
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="chromium is not installed"),
    pytest.mark.skipif(AXE is None, reason="axe-core is not installed (npm install)"),
]

PROFILE = {"age": "8m", "sma_type": "1", "symptoms": ["drooling"], "medications": "baclofen"}


@pytest.fixture(scope="module")
def base_url(db_path: Path) -> Iterator[str]:
    with serve(db_path) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with launch_chromium() as b:
        yield b


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1024, "height": 800})
    pg = context.new_page()
    problems: list[str] = []
    pg.on(
        "console",
        lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None,
    )
    pg.csp_problems = problems
    yield pg
    context.close()


def submit_plan(page: Any, base_url: str, values: dict[str, Any]) -> None:
    page.goto(f"{base_url}/plan")
    page.fill("#field-age", values["age"])
    if "sma_type" in values:
        page.select_option("#field-sma_type", values["sma_type"])
    for s in values.get("symptoms", []):
        page.check(f"#sym-{s}")
    if "medications" in values:
        page.fill("#field-medications", values["medications"])
    if "weight_kg" in values:
        page.fill("#field-weight_kg", values["weight_kg"])
    for name in ("breathing_support", "feeding", "pregnancy", "region"):
        if name in values:
            page.check(f'input[name="{name}"][value="{values[name]}"]')
    page.click("button.primary")
    page.wait_for_load_state()


# Every page type: (name, how to get there).
PAGE_TYPES = [
    ("home", "/"),
    ("treatments", "/treatments"),
    ("treatment", "/treatments/onasemnogene-abeparvovec"),
    ("symptoms", "/symptoms"),
    ("symptom", "/symptoms/drooling"),
    ("concept", "/concepts/sma"),
    ("sources", "/sources"),
    ("search", "/search?q=stiff+muscles"),
    ("ask", "/ask?q=what+helps+with+drooling"),
    ("plan-form", "/plan"),
    ("docs", "/docs"),
    ("not-found", "/treatments/nusinersennn-xx"),
    ("plan", None),
    ("plan-errors", None),
]


def open_page_type(page: Any, base_url: str, name: str, path: str | None) -> None:
    if path is not None:
        page.goto(base_url + path)
    elif name == "plan":
        submit_plan(page, base_url, PROFILE)
    else:
        submit_plan(page, base_url, {"age": "-3"})
    page.wait_for_load_state("load")


@pytest.mark.parametrize(("name", "path"), PAGE_TYPES, ids=[n for n, _ in PAGE_TYPES])
def test_axe_finds_no_serious_violations_and_headings_are_in_order(
    page: Any, base_url: str, name: str, path: str | None
) -> None:
    open_page_type(page, base_url, name, path)
    if name == "docs":
        page.wait_for_selector("#swagger-ui .opblock-tag", timeout=10_000)
    assert AXE is not None
    bad = [v for v in run_axe(page, AXE) if v["impact"] in ("serious", "critical")]
    detail = [(v["id"], v["help"], [n["target"] for n in v["nodes"][:3]]) for v in bad]
    assert not bad, detail
    assert not page.csp_problems, page.csp_problems
    # Headings as a screen reader lists them: one h1, no skipped levels.
    levels = page.evaluate(
        "() => [...document.querySelectorAll('h1,h2,h3,h4,h5,h6')]"
        ".filter(h => h.getClientRects().length).map(h => +h.tagName[1])"
    )
    assert levels[0] == 1 and levels.count(1) == 1, levels
    skips = [(a, b) for a, b in zip(levels, levels[1:], strict=False) if b > a + 1]
    assert not skips, levels


@pytest.mark.parametrize(
    ("name", "path"),
    [t for t in PAGE_TYPES if t[0] in ("home", "treatment", "plan-form", "sources", "plan")],
)
def test_pages_reflow_at_400_percent_zoom(
    browser: Any, base_url: str, name: str, path: str | None
) -> None:
    """1280 CSS px at 400% zoom is a 320 px viewport: nothing may need sideways scrolling."""
    context = browser.new_context(viewport={"width": 320, "height": 640})
    page = context.new_page()
    try:
        open_page_type(page, base_url, name, path)
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{name} is {overflow}px wider than the 320px viewport"
    finally:
        context.close()


def focused(page: Any) -> dict[str, Any]:
    result: dict[str, Any] = page.evaluate(
        """() => {
            const el = document.activeElement;
            const s = getComputedStyle(el);
            return {id: el.id, name: el.name || '', tag: el.tagName.toLowerCase(),
                    text: (el.textContent || '').trim(),
                    outline: s.outlineStyle, shadow: s.boxShadow};
        }"""
    )
    return result


def tab_to(page: Any, element_id: str = "", name: str = "", limit: int = 120) -> None:
    """Press Tab until the element (by id, or a control by name) has focus.

    Every stop on the way must show a focus indicator.
    """
    for _ in range(limit):
        page.keyboard.press("Tab")
        now = focused(page)
        if now["tag"] not in ("body", "main"):
            assert now["outline"] != "none" or now["shadow"] != "none", f"no focus ring: {now}"
        if (element_id and now["id"] == element_id) or (name and now["name"] == name):
            return
    raise AssertionError(f"#{element_id or name} was never reached with Tab")


def test_plan_wizard_with_the_keyboard_alone(page: Any, base_url: str) -> None:
    page.goto(f"{base_url}/plan")
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "Skip to main content"
    page.keyboard.press("Enter")
    assert page.url.endswith("#main")
    tab_to(page, "field-age")
    page.keyboard.type("8m")
    tab_to(page, "field-sma_type")
    page.keyboard.press("ArrowDown")  # Not known → Type 0
    page.keyboard.press("ArrowDown")  # → Type 1
    tab_to(page, name="functional_status")  # a radio group is one Tab stop
    for _ in range(4):  # arrows move the choice round the group, to non-sitter
        if page.locator("#fs-1").is_checked():
            break
        page.keyboard.press("ArrowDown")
    assert page.locator("#fs-1").is_checked()
    tab_to(page, "sym-drooling")
    page.keyboard.press("Space")
    tab_to(page, "field-medications")
    page.keyboard.type("Robinul")
    tab_to(page, "field-weight_kg")
    page.keyboard.type("7.5")
    tab_to(page, "field-alcohol_use")
    page.keyboard.press("Space")
    tab_to(page, name="region")  # the last radio group, one Tab stop
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "Make the plan"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("h1").inner_text() == "SMA care-discussion plan"
    body = page.locator("main").inner_text()
    assert "8 months" in body and "Robinul (glycopyrrolate)" in body and "7.5 kg" in body
    with page.expect_download() as download:
        tab_to(page, "download-pdf")
        page.keyboard.press("Enter")
    pdf = Path(download.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF")


def test_keyboard_is_never_trapped(page: Any, base_url: str) -> None:
    """Tabbing forward from the top goes through every control and leaves the page."""
    page.goto(f"{base_url}/plan")
    seen: list[str] = []
    for _ in range(200):
        page.keyboard.press("Tab")
        now = focused(page)
        if now["tag"] == "body":
            break
        seen.append(now["id"] or now["text"])
    else:
        raise AssertionError("focus never left the page")
    assert "field-age" in seen and "Make the plan" in seen


def test_wizard_errors_are_announced_next_to_the_field(page: Any, base_url: str) -> None:
    submit_plan(page, base_url, {"age": "-3"})
    age = page.locator("#field-age")
    assert age.get_attribute("aria-invalid") == "true"
    described = age.get_attribute("aria-describedby") or ""
    message = page.locator("#age-error").inner_text()
    assert "age-error" in described and "negative" in message
    assert page.locator("[role=alert]").count() == 1


def test_controls_are_at_least_24_pixels(page: Any, base_url: str) -> None:
    page.goto(f"{base_url}/plan")
    small = page.evaluate(
        """() => [...document.querySelectorAll('main input, main select, main button, nav a, '
                                           + 'header button, header input')]
              .map(el => {const r = el.getBoundingClientRect();
                          return {id: el.id || el.textContent.trim(), w: r.width, h: r.height};})
              .filter(b => b.w < 24 || b.h < 24)"""
    )
    assert not small, small


def test_printed_plan_hides_navigation_and_keeps_the_plan(page: Any, base_url: str) -> None:
    submit_plan(page, base_url, PROFILE)
    page.emulate_media(media="print")
    assert page.locator(".site-header").is_hidden()
    assert page.locator(".plan-actions").is_hidden()
    assert page.locator("h1").is_visible()
    assert page.locator(".disclaimer").is_visible()
    # Printing gives the family summary alone (issue 10) ...
    assert page.locator(".family-questions").is_visible()
    assert page.locator("details.clinician").is_hidden()
    summary_pdf = page.pdf(format="A4")
    # ... unless the reader asks for the full plan, which then prints open.
    page.emulate_media(media="screen")
    with page.expect_navigation():
        page.locator("#show-full").click()
    page.emulate_media(media="print")
    assert page.locator("details.clinician").is_visible()
    # Folded "All sources for ..." lists are printed unfolded: paper cannot open them.
    basis = page.locator("details.basis .evidence figcaption").first
    assert basis.count() == 1 and basis.is_visible()
    shot = page.screenshot(full_page=True)
    assert shot[:8] == b"\x89PNG\r\n\x1a\n" and len(shot) > 10_000
    pdf = page.pdf(format="A4")  # chromium's own print of the page
    assert pdf.startswith(b"%PDF")
    assert _pages(summary_pdf) <= 3 < _pages(pdf)


def _pages(pdf: bytes) -> int:
    """Pages in a PDF (pypdf, from the pdf extra)."""
    import io

    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


def test_wizard_errors_take_focus_to_the_summary_then_to_the_field(
    page: Any, base_url: str
) -> None:
    """A screen reader hears the summary at once; its link shows the field with its message."""
    submit_plan(page, base_url, {"age": "-3", "medications": "nonsense-medicine"})
    assert page.evaluate("() => document.activeElement.className") == "error-summary"
    summary = page.evaluate("() => document.activeElement.innerText")
    assert "Age" in summary and "negative" in summary
    page.locator(".error-summary a").first.click()
    assert focused(page)["id"] == "field-age"
    for selector in ("label[for=field-age]", "#age-error", "#field-age"):
        box = page.locator(selector).bounding_box()
        assert box is not None and box["y"] >= 0, f"{selector} is scrolled out of view"


def test_wizard_errors_are_announced_without_javascript(browser: Any, base_url: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        submit_plan(page, base_url, {"age": "-3"})
        assert page.title().startswith("Error: ")
        # autofocus is HTML, not script: the summary has focus with JavaScript off too
        assert page.evaluate("() => document.activeElement.className") == "error-summary"
    finally:
        context.close()


def test_wizard_new_fields_by_label_and_kept_on_change(page: Any, base_url: str) -> None:
    """Weight, breathing support, feeding, region and any medicine, chosen by their labels."""
    page.goto(f"{base_url}/plan")
    page.fill("#field-age", "30y")
    page.get_by_label("Weight in kilograms (optional)").fill("61.5")
    page.get_by_label("Non-invasive ventilation (a mask, e.g. BiPAP) at night").check()
    page.get_by_label("Fed through a tube", exact=False).check()
    page.get_by_label("European Union: EMA labels").check()
    page.get_by_label("Has liver disease").check()
    page.fill("#field-medications", "sertraline, Robinul")
    page.click("button.primary")
    page.wait_for_load_state()
    body = page.locator("main").inner_text()
    assert "Labels: European Union (EMA)" in body
    assert "smanav holds no interaction facts for sertraline" in body
    page.get_by_role("button", name="Change the answers").click()
    page.wait_for_load_state()
    assert page.locator("#field-weight_kg").input_value() == "61.5"
    assert page.get_by_label("Non-invasive ventilation (a mask, e.g. BiPAP) at night").is_checked()
    assert page.get_by_label("European Union: EMA labels").is_checked()
    assert page.locator("#field-liver_disease").is_checked()
    assert page.locator("#field-medications").input_value() == "sertraline, Robinul"


def test_wizard_pregnancy_error_is_next_to_its_group(page: Any, base_url: str) -> None:
    submit_plan(page, base_url, {"age": "5y", "pregnancy": "pregnant"})
    group = page.locator("#field-pregnancy")
    assert group.get_attribute("aria-invalid") == "true"
    assert "pregnancy-error" in (group.get_attribute("aria-describedby") or "")
    assert "does not fit the age" in page.locator("#pregnancy-error").inner_text()
