"""Write the golden plans: ~30 varied profiles and the plans ``make_plan`` makes for them.

    .venv-test/bin/python scripts/plan_golden.py

tests/test_plan_golden.py compares every plan the engine makes now with these,
byte for byte as JSON, so a change made for speed cannot change a plan. The set
was first written before the engine's per-knowledge-base precomputation; rerun
this (or `pytest tests/test_plan_golden.py --update-golden`, which keeps the
profiles) only when a change is meant to change plans; the test fails with a
readable diff (profile, option, old → new) until then, and never skips.
"""

from __future__ import annotations

import gzip
import json
import random
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
OUT = ROOT / "tests" / "fixtures" / "plan_golden.json.gz"

#: Hand-picked: aliases, text ages, lay words, brands, HPO ids, classes, boundaries.
PROFILES: list[dict[str, Any]] = [
    {"age_months": 0},
    {"age": "8m", "sma_type": 1, "functional_status": "non-sitter"},
    {"age": "8m", "type": 1, "status": "non-sitter", "symptoms": ["drooling"]},
    {"age_months": "2y", "sma_type": 1, "functional_status": "non-sitter"},
    {"age_months": 24.0, "sma_type": "type 2", "smn2_copies": 3, "functional_status": "sitter"},
    {
        "age_months": "2y6m",
        "sma_type": 2,
        "functional_status": "sitter",
        "symptoms": ["curved back"],
    },
    {
        "age_months": "3y",
        "sma_type": 2,
        "symptoms": ["too much saliva", "trouble swallowing"],
        "medications": ["Evrysdi", "metformin"],
        "alcohol_use": False,
    },
    {
        "age_months": "12y",
        "sma_type": 3,
        "functional_status": "walker",
        "medications": ["baclofen"],
    },
    {
        "age_months": "15y",
        "sma_type": 3,
        "functional_status": "walker",
        "symptoms": ["stiff muscles"],
        "alcohol_use": True,
    },
    {
        "age_months": "15y",
        "sma_type": 3,
        "functional_status": "walker",
        "medications": ["baclofen", "diazepam"],
        "alcohol_use": "yes",
    },
    {
        "age_months": "40y",
        "sma_type": 4,
        "functional_status": "walker",
        "medications": ["alprazolam", "clonazepam"],
        "symptoms": ["muscle spasm"],
    },
    {
        "age_months": "6 weeks",
        "sma_type": 0,
        "smn2_copies": 1,
        "functional_status": "non-sitter",
        "symptoms": ["trouble breathing", "floppy", "weak muscles"],
    },
    {
        "age_months": 30,
        "sma_type": 2,
        "functional_status": "sitter",
        "prior_treatments": ["Zolgensma"],
        "spinal_fusion": True,
    },
    {
        "age_months": 96,
        "sma_type": 2,
        "functional_status": "sitter",
        "prior_treatments": ["Spinraza"],
        "medications": ["Spinraza"],
        "spinal_fusion": True,
        "symptoms": ["scoliosis", "reflux"],
    },
    {
        "age_months": "5y",
        "sma_type": "unknown",
        "smn2_copies": "unknown",
        "functional_status": "unknown",
        "symptoms": ["HP:0002015"],
    },
    {
        "age_months": "18m",
        "sma_type": 1,
        "functional_status": "sitter",
        "medications": ["Robinul", "AtroPen"],
        "symptoms": ["drooling", "jaw spasm"],
    },
    {
        "age_months": "7y",
        "sma_type": 3,
        "functional_status": "sitter",
        "symptoms": ["weight loss", "failure to thrive", "poor nutrition"],
        "medications": ["amitriptyline"],
    },
    {
        "age_months": "20y",
        "sma_type": 3,
        "functional_status": "walker",
        "medications": ["muscle relaxants", "benzodiazepines"],
        "alcohol_use": True,
        "prior_treatments": ["Evrysdi"],
    },
    {
        "age_months": "1y",
        "sma_type": 1,
        "functional_status": "non-sitter",
        "symptoms": ["lung infection", "aspiration", "chewing difficulty"],
        "prior_treatments": ["Itvisma"],
    },
]


def random_profiles(kb: Any, n: int, seed: int) -> list[dict[str, Any]]:
    """Random valid profiles over every symptom and medicine name (as bench/plan.py)."""
    rnd = random.Random(seed)
    symptoms = sorted(x for c in kb.symptoms() for x in (c.name, *c.lay_terms))
    medicines = sorted(
        x
        for c in kb.concepts.values()
        if c.kind.value in ("drug", "drug_class") or c.id == "metformin"
        for x in (c.name, *c.brands)
    )
    prior = ["Zolgensma", "Spinraza", "Evrysdi", "Itvisma"]
    out = []
    for _ in range(n):
        out.append(
            {
                "age_months": round(rnd.uniform(0, 600), 1),
                "sma_type": rnd.choice([None, 0, 1, 2, 3, 4]),
                "smn2_copies": rnd.choice([None, 1, 2, 3, 4]),
                "functional_status": rnd.choice([None, "non-sitter", "sitter", "walker"]),
                "symptoms": rnd.sample(symptoms, rnd.randint(0, 5)),
                "medications": rnd.sample(medicines, rnd.randint(0, 3)),
                "alcohol_use": rnd.random() < 0.3,
                "prior_treatments": rnd.sample(prior, rnd.randint(0, 2)),
                "spinal_fusion": rnd.random() < 0.2,
            }
        )
    return out


def golden_data(kb: Any, profiles: list[dict[str, Any]]) -> dict[str, Any]:
    """The golden file's content: the plans made now for these profiles."""
    from smanav.plan import make_plan

    plans = [make_plan(p, kb) for p in profiles]
    return {
        "kb_version": plans[0]["generated_from"]["kb_version"],
        "rules_version": plans[0]["generated_from"]["rules_version"],
        "with_corpus": bool(kb.texts),
        "cases": [{"profile": p, "plan": plan} for p, plan in zip(profiles, plans, strict=True)],
    }


def write(golden: dict[str, Any]) -> None:
    """Write the file deterministically (gzip without a timestamp), so diffs are real."""
    text = json.dumps(golden, ensure_ascii=False, indent=1)
    OUT.write_bytes(gzip.compress(text.encode("utf-8"), mtime=0))
    print(
        f"{len(golden['cases'])} plans, {len(text):,} characters → {OUT.relative_to(ROOT)}",
        file=sys.stderr,
    )


def main() -> None:
    from smanav.store import build, open_kb

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "smanav.db"
        build(db, CORPUS if CORPUS.is_dir() else None)
        kb = open_kb(db)
        write(golden_data(kb, PROFILES + random_profiles(kb, 16, seed=6)))


if __name__ == "__main__":
    main()
