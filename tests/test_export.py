"""Exports carry every statement with its locator, and never source text."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from smanav.export import export
from smanav.kb import KnowledgeBase


def test_jsonld_has_every_concept_and_statement(kb: KnowledgeBase) -> None:
    doc = json.loads(export(kb, "jsonld"))
    ids = {n["@id"] for n in doc["@graph"]}
    for cid in kb.concepts:
        assert f"smanav:concept/{cid}" in ids
    statements = [n for n in doc["@graph"] if n["@type"] == "smanav:Assertion"]
    assert len(statements) == len(kb.assertions)
    for n in statements:  # every reference points at a node in the graph
        assert n["smanav:subject"]["@id"] in ids
        if "smanav:object" in n:
            assert n["smanav:object"]["@id"] in ids
        assert n["smanav:evidence"]
    drooling = next(n for n in doc["@graph"] if n["@id"] == "smanav:concept/drooling")
    assert "http://purl.obolibrary.org/obo/HP_0002307" in drooling["schema:sameAs"]


def test_csv_round_trips_locators(kb: KnowledgeBase, corpus: Path) -> None:
    rows = list(csv.DictReader(io.StringIO(export(kb, "csv"))))
    assert len({r["assertion"] for r in rows}) == len(kb.assertions)
    text = (corpus / "000_3d87942ba094d4da.txt").read_text(encoding="utf-8")
    from smanav.kb import span_sha256

    located = [r for r in rows if r["source"] == "smant-treatment"]
    assert located
    for r in located:
        assert span_sha256(text[int(r["start"]) : int(r["end"])]) == r["sha256"]


def test_exports_contain_no_source_sentences(kb: KnowledgeBase, corpus: Path) -> None:
    sentence = "Muscle relaxants should not be combined with alcohol"
    assert sentence in (corpus / "004_743a69fea790bed5.txt").read_text(encoding="utf-8")
    for fmt in ("jsonld", "csv"):
        assert sentence not in export(kb, fmt)


def test_fhir_export_is_a_bundle(kb: KnowledgeBase) -> None:
    doc = json.loads(export(kb, "fhir"))
    assert doc["resourceType"] == "Bundle"
    assert doc["entry"] and doc["entry"][0]["resource"]["resourceType"] == "PlanDefinition"


def test_cli_export_to_file_and_bad_format(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "kg.csv"
    res = cli("export", "--format", "csv", "-o", str(out))
    assert res.code == 0 and out.read_text(encoding="utf-8").startswith("assertion,")
    bad = cli("export", "--format", "rdfxml")
    assert bad.code == 2 and "not an export format" in bad.stderr
    nowhere = cli("export", "-o", str(tmp_path / "missing" / "dir" / "x.json"))
    assert nowhere.code == 2 and "cannot write" in nowhere.stderr


def test_cli_json_with_another_format_is_an_error(cli) -> None:  # type: ignore[no-untyped-def]
    """`--json --format csv` asks for two formats: say so instead of silently picking one."""
    res = cli("export", "--json", "--format", "csv")
    assert res.code == 2 and "different formats" in res.stderr
    assert cli("export", "--json", "--format", "jsonld").code == 0


@pytest.mark.parametrize("fmt", ["jsonld", "csv", "fhir"])
def test_export_is_deterministic(kb: KnowledgeBase, fmt: str) -> None:
    assert export(kb, fmt) == export(kb, fmt)
