"""Shared fixtures: one built knowledge base per session, a CLI runner, the corpus."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from smanav.kb import KnowledgeBase
from smanav.store import build, open_store

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def corpus_or_skip() -> Path:
    if not (CORPUS / "manifest.json").is_file():
        pytest.skip("../shared/corpus is absent (it is present in CI): no source texts to check")
    return CORPUS


@pytest.fixture(scope="session")
def corpus() -> Path:
    return corpus_or_skip()


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
