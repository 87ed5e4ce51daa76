"""The hazard log (docs/hazards.md): every hazard is complete and its tests exist and pass.

A hazard's mitigation only counts when a test shows it holds, so this file runs the
tests each hazard names, in a separate pytest process, and fails if any of them is
missing, fails or is skipped.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LOG = ROOT / "docs" / "hazards.md"
FIELDS = ("Cause", "Effect", "Severity", "Likelihood", "Mitigation", "Tests", "Residual risk")
_NESTED = "SMANAV_HAZARD_TESTS"


def hazards() -> dict[str, dict[str, str]]:
    """HAZ-nn → {field: text}, read from the log's '### HAZ-nn title' sections."""
    out: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    for line in LOG.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^### (HAZ-\d+)\s+(.+)$", line)
        if m:
            current = out.setdefault(m.group(1), {"title": m.group(2)})
            continue
        f = re.match(r"^- \*\*([A-Za-z ]+):\*\*\s*(.*)$", line)
        if f and current is not None:
            current[f.group(1)] = f.group(2)
    return out


def cited_tests(h: dict[str, str]) -> list[str]:
    return re.findall(r"`(tests/[\w/]+\.py::[^`]+)`", h.get("Tests", ""))


HAZARDS = hazards()


def test_the_log_has_every_hazard_of_issue_9() -> None:
    assert len(HAZARDS) >= 18
    assert sorted(HAZARDS) == [f"HAZ-{i:02d}" for i in range(1, len(HAZARDS) + 1)]


@pytest.mark.parametrize("hid", sorted(HAZARDS))
def test_each_hazard_is_complete(hid: str) -> None:
    h = HAZARDS[hid]
    for field in FIELDS:
        assert h.get(field), f"{hid} has no {field}"
    assert re.search(r"\b[1-5]\b", h["Severity"]), f"{hid}: severity needs a 1-5 grade"
    assert re.search(r"\b[1-5]\b", h["Likelihood"]), f"{hid}: likelihood needs a 1-5 grade"
    assert cited_tests(h), f"{hid} names no test"


@pytest.mark.skipif(os.environ.get(_NESTED) == "1", reason="already inside the hazard run")
def test_every_cited_test_exists_and_passes() -> None:
    nodes = sorted({t for h in HAZARDS.values() for t in cited_tests(h)})
    env = {**os.environ, _NESTED: "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs", *nodes],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    out = proc.stdout + proc.stderr
    assert "not found" not in out and "ERROR" not in out, out[-4000:]
    assert proc.returncode == 0, out[-4000:]
    summary = out.strip().splitlines()[-1]
    assert "skipped" not in summary, f"a hazard's test was skipped: {summary}"
    m = re.search(r"(\d+) passed", summary)
    # A test named without its parameters runs every case: at least one per name.
    assert m and int(m.group(1)) >= len(nodes), f"{summary} for {len(nodes)} cited tests"
