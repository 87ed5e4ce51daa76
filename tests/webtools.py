"""Driving the site in a real browser: a server in a thread, Debian's chromium, axe-core.

Shared by the browser tests, ``scripts/screenshots.py`` and ``bench/`` so all use the
same tooling (test tooling: it lives here, not in the installed package). Playwright
never downloads a browser here: it drives ``/usr/bin/chromium`` ($SMANAV_CHROMIUM).
"""

from __future__ import annotations

import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from smanav.settings import environment, settings

__all__ = [
    "CHROMIUM",
    "CHROMIUM_ARGS",
    "axe_path",
    "free_port",
    "launch_chromium",
    "run_axe",
    "serve",
]

CHROMIUM = settings().chromium
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(db_path: str | Path | None = None) -> Iterator[str]:
    """Run the app with uvicorn in a thread on a free loopback port; yield its base URL."""
    import uvicorn

    from smanav.web import create_app

    port = free_port()
    config = uvicorn.Config(
        create_app(db_path), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def launch_chromium() -> Iterator[Any]:
    """One headless chromium, with HOME in a temporary folder (it writes ~/.config)."""
    from playwright.sync_api import sync_playwright

    with (
        tempfile.TemporaryDirectory(prefix="smanav-chromium-") as home,
        environment(HOME=home),
        sync_playwright() as pw,
    ):
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def axe_path(start: Path | None = None) -> Path | None:
    """node_modules/axe-core/axe.min.js from the project (``npm install`` puts it there)."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "node_modules" / "axe-core" / "axe.min.js"
        if candidate.is_file():
            return candidate
    return None


def run_axe(page: Any, axe_js: Path) -> list[dict[str, Any]]:
    """axe-core's violations for the page, WCAG 2.2 A/AA rules and best practices."""
    # evaluate() is not subject to the page's CSP; a <script> tag would be (rightly) blocked.
    page.evaluate(axe_js.read_text(encoding="utf-8"))
    result: dict[str, Any] = page.evaluate(
        """async () => await axe.run(document, {
            runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa',
                                              'wcag22aa', 'best-practice']},
            resultTypes: ['violations']
        })"""
    )
    return list(result["violations"])
