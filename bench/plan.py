"""Plans per second, in-process, over random valid profiles, against a bare lookup floor.

    .venv-test/bin/python bench/plan.py [--profiles 10000] [--seed 0]

Both are timed in the same run on the same profiles:
- smanav: ``make_plan(profile, kb)`` (validation, name resolution, rules, evidence);
- floor: the bare knowledge-base work any planner must do per profile — ``kb.lookup``
  of every name in it, plus one dict lookup of the assertions about each concept.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from smanav.kb import KnowledgeBase
from smanav.plan import make_plan
from smanav.store import build, open_kb

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
STATUSES = [None, "non-sitter", "sitter", "walker"]


def random_profiles(kb: KnowledgeBase, n: int, seed: int) -> list[dict[str, Any]]:
    rnd = random.Random(seed)
    symptoms = sorted(n for c in kb.symptoms() for n in (c.name, *c.lay_terms))
    medicines = sorted(
        n
        for c in kb.concepts.values()
        if c.kind.value in ("drug", "drug_class") or c.id == "metformin"
        for n in (c.name, *c.brands)
    )
    prior = ["Zolgensma", "Spinraza", "Evrysdi", "Itvisma"]
    out = []
    for _ in range(n):
        age: float | str = (
            round(rnd.uniform(0, 600), 1) if rnd.random() < 0.7 else f"{rnd.randint(0, 40)}y"
        )
        out.append(
            {
                "age_months": age,
                "sma_type": rnd.choice([None, 0, 1, 2, 3, 4]),
                "smn2_copies": rnd.choice([None, 1, 2, 3, 4]),
                "functional_status": rnd.choice(STATUSES),
                "symptoms": rnd.sample(symptoms, rnd.randint(0, 4)),
                "medications": rnd.sample(medicines, rnd.randint(0, 2)),
                "alcohol_use": rnd.random() < 0.3,
                "prior_treatments": rnd.sample(prior, rnd.randint(0, 1)),
                "spinal_fusion": rnd.random() < 0.1,
            }
        )
    return out


def floor(kb: KnowledgeBase, profile: dict[str, Any]) -> int:
    found = 0
    for key in ("symptoms", "medications", "prior_treatments"):
        for name in profile[key]:
            c = kb.lookup(name)
            if c is not None:
                found += len(kb.about(c.id))
    return found


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--profiles", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "smanav.db"
        build(db, CORPUS if CORPUS.is_dir() else None)
        kb = open_kb(db)
        profiles = random_profiles(kb, args.profiles, args.seed)
        make_plan(profiles[0], kb)  # rules loaded and checked once, as in a server

        t0 = time.perf_counter()
        for p in profiles:
            floor(kb, p)
        t_floor = time.perf_counter() - t0

        t0 = time.perf_counter()
        options = 0
        for p in profiles:
            options += len(make_plan(p, kb)["options"])
        t_plan = time.perf_counter() - t0

    n = len(profiles)
    print(f"profiles: {n} random valid profiles (seed {args.seed}), {options / n:.1f} options each")
    print(f"floor  kb.lookup + kb.about per name   {n / t_floor:10.0f} profiles/s")
    print(
        f"smanav make_plan                       {n / t_plan:10.0f} plans/s "
        f"({t_plan / n * 1000:.2f} ms each)"
    )
    print(f"ratio  time per profile, make_plan / floor {t_plan / t_floor:6.1f}x")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
