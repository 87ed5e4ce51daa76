"""The clinical scenario table (tests/fixtures/scenarios.yaml): what each plan must show.

Each row is a profile a pharmacist or a neuromuscular nurse tried, with the statuses,
cautions and reasons its plan must (and must not) show. The hazard log
(docs/hazards.md) cites these rows by id.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

import smanav
from smanav.kb import KnowledgeBase
from smanav.plan.status import status_name

TABLE = Path(__file__).parent / "fixtures" / "scenarios.yaml"
SCENARIOS: list[dict[str, Any]] = yaml.safe_load(TABLE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return smanav.open_kb()


def test_the_table_has_at_least_30_scenarios() -> None:
    assert len(SCENARIOS) >= 30
    assert len({s["id"] for s in SCENARIOS}) == len(SCENARIOS)


def _options(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {o["concept"]: o for o in plan["options"]}


@pytest.mark.parametrize("sc", SCENARIOS, ids=[s["id"] for s in SCENARIOS])
def test_scenario(sc: dict[str, Any], kb: KnowledgeBase) -> None:
    plan = smanav.make_plan(sc["profile"], kb)
    opts = _options(plan)
    sid = sc["id"]
    for cid, status in sc.get("status", {}).items():
        assert cid in opts, f"{sid}: {cid} is not in the plan"
        status = status_name(status)  # the old names (suggested, not_eligible) still read
        assert opts[cid]["status"] == status, (
            f"{sid}: {cid} is {opts[cid]['status']}, expected {status}; "
            f"reasons: {opts[cid]['reasons']}"
        )
    for cid, rules in sc.get("cautions", {}).items():
        fired = {c["rule"] for c in opts[cid]["cautions"]}
        for rule in rules:
            assert rule in fired, f"{sid}: {cid} lacks caution {rule} (has {sorted(fired)})"
    for cid, rules in sc.get("no_cautions", {}).items():
        fired = {c["rule"] for c in opts[cid]["cautions"]}
        assert not fired & set(rules), f"{sid}: {cid} shows {sorted(fired & set(rules))}"
    for cid, words in sc.get("reasons", {}).items():
        text = " ".join(opts[cid]["reasons"])
        for w in words:
            assert w in text, f"{sid}: {cid}'s reasons do not say {w!r}: {text}"
    for cid, words in sc.get("reason_words_not", {}).items():
        text = " ".join(opts[cid]["reasons"]).casefold()
        for w in words:
            assert w.casefold() not in text, f"{sid}: {cid}'s reasons say {w!r}"
    for cid, names in sc.get("names_not", {}).items():
        shown = [opts[cid]["name"], *opts[cid]["brands"]]
        for n in names:
            assert n not in shown, f"{sid}: {cid} is shown as {shown}"
    for cid in sc.get("absent", []):
        assert cid not in opts, f"{sid}: {cid} should not be in the plan"
        assert cid not in plan["profile"]["medications"]
    if "unchecked" in sc:
        not_checked = plan["medicines"]["not_checked"]
        for name in sc["unchecked"]:
            assert any(n.casefold().startswith(name.casefold()) for n in not_checked), (
                f"{sid}: {name} is not listed as not checked ({not_checked})"
            )
            assert name.casefold() in plan["medicines"]["note"].casefold()
    if sc.get("no_symptoms"):
        assert plan["profile"]["symptoms"] == []
    for sid_std in sc.get("care_standards", []):
        assert sid_std in {s["id"] for s in plan["care_standards"]}, f"{sid}: {sid_std} missing"
    for words in sc.get("questions", []):
        assert any(words in q for q in plan["questions"]), f"{sid}: no question on {words!r}"
    # Whatever the row checks, a plan never suggests what its label rules out.
    for o in plan["options"]:
        if any("(rule label-contraindication)" in r for r in o["reasons"]):
            assert o["status"] == "not_offered", f"{sid}: {o['concept']}"
        assert o["status"] in ("to_discuss", "needs_review", "not_offered")
