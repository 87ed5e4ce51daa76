"""Shared fixtures: one built knowledge base per session, a CLI runner, the corpus.

The founding articles and the facts files live in ../shared, not in this repository
(they are third-party texts). A test that reads them never skips when they are absent:
it fails, saying where they are looked for (SMANAV_SHARED=DIR points elsewhere) and how
to leave such tests out on purpose (-m "not shared"; every one carries that marker).
A clone made from a local checkout (`git clone . /tmp/fresh`) finds ../shared beside
the checkout it was cloned from, so the pre-push check runs every test too.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from smanav.kb import KnowledgeBase
from smanav.store import build, open_store

ROOT = Path(__file__).resolve().parents[1]


def _find_shared() -> Path:
    """SMANAV_SHARED, else ../shared, else ../shared of the local checkout cloned from."""
    if os.environ.get("SMANAV_SHARED"):
        return Path(os.environ["SMANAV_SHARED"])
    beside = ROOT.parent / "shared"
    if beside.is_dir():
        return beside
    try:
        origin = subprocess.run(
            ["git", "-C", str(ROOT), "config", "--get", "remote.origin.url"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return beside
    if origin and "://" not in origin and ":" not in origin.split("/")[0]:
        candidate = Path(origin.removeprefix("file:")).resolve().parent / "shared"
        if candidate.is_dir():
            return candidate
    return beside


SHARED = _find_shared()
CORPUS = SHARED / "corpus"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
#: Fixtures that need ../shared; tests using them are marked `shared`.
SHARED_FIXTURES = {"corpus", "golden", "labels_md", "standards_md", "shared_facts"}


def need_shared(part: str) -> Path:
    """SHARED/part, or a failure that says what is missing and what to do about it."""
    path = SHARED / part
    if not path.exists():
        pytest.fail(
            f"{path} is absent. This test reads ../shared (the founding articles and facts "
            "files, third-party texts kept out of the repository). Point SMANAV_SHARED at a "
            "copy of it, or leave these tests out on purpose with -m 'not shared'.",
            pytrace=False,
        )
    return path


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite tests/fixtures/plan_golden.json.gz from the plans made now",
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if SHARED_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.shared)


@pytest.fixture(scope="session")
def corpus() -> Path:
    need_shared("corpus/manifest.json")
    return CORPUS


@pytest.fixture(scope="session")
def db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A knowledge base built with the founding corpus when it is present."""
    path = tmp_path_factory.mktemp("kb") / "smanav.db"
    build(path, CORPUS if CORPUS.is_dir() else None)
    return path


@pytest.fixture(scope="session")
def kb(db_path: Path) -> Iterator[KnowledgeBase]:
    with open_store(db_path) as store:
        yield KnowledgeBase.from_store(store)


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(
    db_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Result]:
    """Run `smanav ARGS` in-process against the session knowledge base."""
    from smanav.cli import main

    monkeypatch.setenv("COLUMNS", "200")

    def run(*args: str, db: Path | None = None) -> Result:
        monkeypatch.setattr(sys, "argv", ["smanav", "--db", str(db or db_path), *args])
        capsys.readouterr()
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


@pytest.fixture
def fresh_db(db_path: Path, tmp_path: Path) -> Path:
    """A private copy of the session knowledge base, for tests that write to it."""
    import sqlite3

    target = tmp_path / "fresh.db"
    src, dst = sqlite3.connect(db_path), sqlite3.connect(target)
    with dst:
        src.backup(dst)
    src.close()
    dst.close()
    return target
