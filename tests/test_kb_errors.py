"""A bad data file fails on load with its file name, record id and field."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from smanav.errors import DataError
from smanav.kb import data_root, load_curated


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A writable copy of the shipped data to break in one place."""
    root = Path(str(data_root()))
    dest = tmp_path / "data"
    shutil.copytree(root, dest)
    return dest


def _add(path: Path, record: dict[str, object]) -> None:
    records = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else []
    records = list(records or []) + [record]
    path.write_text(yaml.safe_dump(records, sort_keys=False), encoding="utf-8")


EVIDENCE = {"source": "smant-treatment", "start": 0, "end": 10, "sha256": "0" * 64}


def _breakers() -> dict[str, tuple[Callable[[Path], None], str, str, str]]:
    return {
        "duplicate id": (
            lambda d: _add(
                d / "concepts" / "zz.yaml",
                {"id": "sma", "kind": "condition", "name": "Another SMA"},
            ),
            "concepts/zz.yaml",
            "sma",
            "id",
        ),
        "missing concept": (
            lambda d: _add(
                d / "assertions" / "zz.yaml",
                {
                    "id": "zz-1",
                    "subject": "no-such-concept",
                    "predicate": "definition",
                    "value": "x",
                    "evidence": [EVIDENCE],
                },
            ),
            "assertions/zz.yaml",
            "zz-1",
            "subject",
        ),
        "locator out of range": (
            lambda d: _add(
                d / "assertions" / "zz.yaml",
                {
                    "id": "zz-2",
                    "subject": "sma",
                    "predicate": "definition",
                    "value": "x",
                    "evidence": [{**EVIDENCE, "start": 9000, "end": 9999}],
                },
            ),
            "assertions/zz.yaml",
            "zz-2",
            "evidence.0.end",
        ),
        "unknown HPO id": (
            lambda d: _add(
                d / "concepts" / "zz.yaml",
                {
                    "id": "zz-symptom",
                    "kind": "symptom",
                    "name": "Made-up symptom",
                    "codes": [{"system": "HPO", "code": "HP:9999999", "status": "verified"}],
                },
            ),
            "concepts/zz.yaml",
            "zz-symptom",
            "codes.0.code",
        ),
        "wrong field type": (
            lambda d: _add(
                d / "assertions" / "zz.yaml",
                {
                    "id": "zz-3",
                    "subject": "sma",
                    "predicate": "cures",
                    "value": "x",
                    "evidence": [EVIDENCE],
                },
            ),
            "assertions/zz.yaml",
            "zz-3",
            "predicate",
        ),
        "locator with no offsets or section": (
            lambda d: _add(
                d / "assertions" / "zz.yaml",
                {
                    "id": "zz-4",
                    "subject": "sma",
                    "predicate": "definition",
                    "value": "x",
                    "evidence": [{"source": "smant-treatment"}],
                },
            ),
            "assertions/zz.yaml",
            "zz-4",
            "evidence.0",
        ),
        "unknown source": (
            lambda d: _add(
                d / "assertions" / "zz.yaml",
                {
                    "id": "zz-5",
                    "subject": "sma",
                    "predicate": "definition",
                    "value": "x",
                    "evidence": [{"source": "nowhere", "section": "x"}],
                },
            ),
            "assertions/zz.yaml",
            "zz-5",
            "evidence.0.source",
        ),
        "intervention without a care domain": (
            lambda d: _add(
                d / "concepts" / "zz.yaml", {"id": "zz-drug", "kind": "drug", "name": "Zz drug"}
            ),
            "concepts/zz.yaml",
            "zz-drug",
            "",
        ),
    }


@pytest.mark.parametrize("case", list(_breakers()))
def test_bad_data_names_file_record_and_field(data_copy: Path, case: str) -> None:
    breaker, file, record, field = _breakers()[case]
    breaker(data_copy)
    with pytest.raises(DataError) as info:
        load_curated(data_copy)
    err = info.value
    assert err.file == file
    assert err.record == record
    if field:
        assert err.field is not None and err.field.startswith(field)
    assert file in str(err) and record in str(err)


def test_shipped_data_loads() -> None:
    data = load_curated()
    assert data.concepts and data.assertions and data.sources


def test_mismatched_span_hash_is_caught_when_text_is_supplied(
    data_copy: Path, tmp_path: Path, corpus: Path
) -> None:
    from smanav.store import build

    _add(
        data_copy / "assertions" / "zz.yaml",
        {
            "id": "zz-6",
            "subject": "sma",
            "predicate": "definition",
            "value": "x",
            "evidence": [EVIDENCE],
        },
    )
    with pytest.raises(DataError) as info:
        build(tmp_path / "k.db", corpus, data=load_curated(data_copy))
    assert info.value.record == "zz-6"
    assert info.value.field == "evidence.0.sha256"
