"""Statuses of every option across the clinical scenario table, and what changed.

    python scripts/scenario_statuses.py -o after.json
    python scripts/scenario_statuses.py --compare before.json after.json

The first form runs tests/fixtures/scenarios.yaml through ``make_plan`` (a profile the
engine refuses is recorded as refused, with its error); the second counts the options
whose status differs between two runs (an option missing on one side counts too).
Used for the issue-9 figure in the README (before: the engine without the safety
rules, run from a checkout of that commit with PYTHONPATH=that/src).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import yaml

SCENARIOS = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "scenarios.yaml"


def run() -> dict[str, object]:
    import smanav
    from smanav.errors import InvalidInput

    kb = smanav.open_kb()
    out: dict[str, object] = {}
    for sc in yaml.safe_load(SCENARIOS.read_text(encoding="utf-8")):
        try:
            plan = smanav.make_plan(sc["profile"], kb)
        except InvalidInput as exc:
            out[sc["id"]] = {"refused": str(exc)}
            continue
        out[sc["id"]] = {o["concept"]: o["status"] for o in plan["options"]}
    return out


def compare(before: dict[str, dict[str, str]], after: dict[str, dict[str, str]]) -> None:
    changed = total = refused_before = 0
    rows = []
    for sid, now in after.items():
        was = before.get(sid, {})
        if "refused" in was:
            refused_before += 1
            was = {}
        concepts = sorted(set(was) | set(now))
        for cid in concepts:
            total += 1
            a, b = was.get(cid, "—"), now.get(cid, "—")
            if a != b:
                changed += 1
                rows.append(f"  {sid}: {cid}: {a} → {b}")
    print("\n".join(rows))
    print(
        f"{changed} of {total} options changed status across {len(after)} scenarios; "
        f"{refused_before} profiles were refused before (no plan at all)"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--output", type=Path)
    ap.add_argument("--compare", nargs=2, type=Path, metavar=("BEFORE", "AFTER"))
    args = ap.parse_args()
    if args.compare:
        before, after = (json.loads(p.read_text()) for p in args.compare)
        compare(before, after)
        return
    result = json.dumps(run(), indent=1, sort_keys=True)
    if args.output:
        args.output.write_text(result + "\n")
    else:
        sys.stdout.write(result + "\n")


if __name__ == "__main__":
    main()
