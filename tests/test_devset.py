"""Extraction on texts nobody here wrote (bench/devset, issue 12): guards the README's
figures for the development set and for the founding articles, by one definition."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from smanav.extract import extract_text
from smanav.kb import KnowledgeBase

ROOT = Path(__file__).resolve().parents[1]


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "extract_devset", ROOT / "bench" / "extract_devset.py"
    )
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_the_development_set_is_real_and_documented() -> None:
    bench = _bench()
    docs = bench.load_devset()
    assert len(docs) >= 20
    import yaml

    manifest = yaml.safe_load((ROOT / "bench/devset/manifest.yaml").read_text("utf-8"))
    for item in manifest["texts"]:
        assert item["url"].startswith("http") and item["publisher"], item["file"]
    assert all(gold for _name, _text, gold in docs), "every text has gold mentions"
    kinds = {g["kind"] for _n, _t, gold in docs for g in gold}
    assert kinds == {"device", "therapy", "procedure", "drug", "diet", "vaccine"}


def test_gold_was_committed_before_any_tuning() -> None:
    """The history shows the gold file first, and the vocabulary only afterwards."""

    def first(path: str) -> int:
        out = subprocess.run(
            ["git", "-C", str(ROOT), "log", "--format=%ct", "--reverse", "--", path],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.split()
        if not out:
            pytest.skip("no git history here")
        return int(out[0])

    assert first("bench/devset/gold.yaml") <= first("src/smanav/data/lexicon/interventions.yaml")


def _scores(kb: KnowledgeBase, founding: bool, corpus: Path | None = None) -> dict[str, float]:
    bench = _bench()
    if corpus is not None:
        bench.CORPUS = corpus  # the folder conftest found, not the script's own guess
    docs = bench.load_founding() if founding else bench.load_devset()
    predicted = {name: extract_text(text, kb)["mentions"] for name, text, _g in docs}
    return dict(bench.score_set(docs, predicted)["scores"]["all"])


def test_development_set_f1_and_precision(kb: KnowledgeBase) -> None:
    s = _scores(kb, founding=False)
    assert s["f1"] >= 0.85 and s["precision"] >= 0.85, s


def test_founding_articles_lose_nothing(kb: KnowledgeBase, corpus: Path) -> None:
    s = _scores(kb, founding=True, corpus=corpus)
    assert s["f1"] >= 0.969 and s["precision"] >= 0.9, s  # 0.969 before issue 12


def test_the_bench_script_runs(tmp_path: Path) -> None:
    out = tmp_path / "scores.json"
    res = subprocess.run(
        [sys.executable, str(ROOT / "bench/extract_devset.py"), "--json", str(out)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "SMANAV_DB": str(tmp_path / "smanav.db")},
    )
    assert res.returncode == 0, res.stderr
    assert "development set" in res.stdout and out.is_file()
