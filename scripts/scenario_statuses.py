"""Statuses of every option across the clinical scenario table, and what changed.

    python scripts/scenario_statuses.py -o after.json
    python scripts/scenario_statuses.py --compare before.json after.json

The first form runs tests/fixtures/scenarios.yaml through ``make_plan`` (a profile the
engine refuses is recorded as refused, with its error); the second counts the options
whose status differs between two runs (an option missing on one side counts too).
Used for the issue-9 figure in the README. docs/scenario-statuses-before.json is the
first form run on commit cfd91b6 (the engine before the safety rules):

    git worktree add /tmp/before cfd91b6
    SMANAV_DB=/tmp/before.db PYTHONPATH=/tmp/before/src python scripts/scenario_statuses.py \
        -o docs/scenario-statuses-before.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import yaml

from smanav.plan.status import OLD_STATUS_NAMES

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
            # What a family gets after deleting what the engine refused (as they had to).
            try:
                plan = smanav.make_plan(_stripped(sc["profile"], exc), kb)
            except InvalidInput:
                out[sc["id"]] = {"refused": str(exc)}
                continue
            out[sc["id"]] = {"_stripped": str(exc)}
        entry = out.setdefault(sc["id"], {})
        assert isinstance(entry, dict)
        entry.update({o["concept"]: o["status"] for o in plan["options"]})
    return out


def _stripped(profile: dict[str, object], exc: Exception) -> dict[str, object]:
    """The profile without the fields and list entries an engine refused."""
    errors = getattr(exc, "errors", [exc])
    out = dict(profile)
    drop: dict[str, set[int]] = {}
    for e in errors:
        field = str(getattr(e, "field", ""))
        name, _, index = field.partition("[")
        if index:
            drop.setdefault(name, set()).add(int(index.rstrip("]")))
        else:
            out.pop(name, None)
    for name, idx in drop.items():
        values = out.get(name)
        if isinstance(values, list):
            out[name] = [v for i, v in enumerate(values) if i not in idx]
    return out


def compare(before: dict[str, dict[str, str]], after: dict[str, dict[str, str]]) -> None:
    changed = total = stripped = refused = 0
    rows = []
    after = {sid: now for sid, now in after.items() if sid in before}  # rows added later
    for sid, now in after.items():
        was = dict(before.get(sid, {}))
        if "refused" in was:
            refused += 1
            was = {}
        if was.pop("_stripped", None):
            stripped += 1
        concepts = sorted((set(was) | set(now)) - {"_stripped"})
        for cid in concepts:
            total += 1
            # Files written before issue 10 hold the old status names.
            a = OLD_STATUS_NAMES.get(was.get(cid, "—"), was.get(cid, "—"))
            b = OLD_STATUS_NAMES.get(now.get(cid, "—"), now.get(cid, "—"))
            if a != b:
                changed += 1
                rows.append(f"  {sid}: {cid}: {a} → {b}")
    print("\n".join(rows))
    print(
        f"{changed} of {total} options changed status (— = not in the plan) across "
        f"{len(after)} scenarios; before, {stripped} profiles were refused until the "
        f"fields and medicines it rejected were deleted, {refused} could not be planned"
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
