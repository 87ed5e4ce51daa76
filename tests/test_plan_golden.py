"""Plans stay exactly what they were: 35 golden plans, compared as JSON text.

tests/fixtures/plan_golden.json.gz holds varied profiles and the plans the engine
made for them before it reused per-knowledge-base parts between plans
(scripts/plan_golden.py). Every plan made now, in-process and through the API,
must serialise to the same JSON: same keys in the same order, same values.
"""

from __future__ import annotations

import copy
import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from smanav import __version__
from smanav.kb import KnowledgeBase
from smanav.plan import make_plan

GOLDEN = Path(__file__).resolve().parent / "fixtures" / "plan_golden.json.gz"
REGENERATE = ".venv-test/bin/python scripts/plan_golden.py"


def _text(plan: Any) -> str:
    return json.dumps(plan, ensure_ascii=False, indent=1)


@pytest.fixture(scope="module")
def golden(kb: KnowledgeBase, corpus: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(gzip.decompress(GOLDEN.read_bytes()))
    probe = make_plan({"age_months": 1}, kb)["generated_from"]
    made_from = (data["kb_version"], data["rules_version"])
    if (probe["kb_version"], probe["rules_version"]) != made_from:
        pytest.skip(
            f"the curated data or rules changed since the golden plans were made "
            f"(kb/rules {made_from}): regenerate them with `{REGENERATE}` and read the diff"
        )
    for case in data["cases"]:
        case["plan"]["generated_from"]["generator"] = f"smanav {__version__}"
    return data


def _cases() -> list[int]:
    data = json.loads(gzip.decompress(GOLDEN.read_bytes()))
    return list(range(len(data["cases"])))


def test_the_golden_set_is_varied(golden: dict[str, Any]) -> None:
    plans = [c["plan"] for c in golden["cases"]]
    assert len(plans) >= 30
    statuses = {o["status"] for p in plans for o in p["options"]}
    assert statuses == {"to_discuss", "not_offered", "needs_review"}
    rules = {c["rule"] for p in plans for o in p["options"] for c in o["cautions"]}
    assert {"already-taken", "same-class", "do-not-combine"} <= rules
    assert any(o["eligibility"] for p in plans for o in p["options"])
    assert any(p["care_standards"] for p in plans)
    assert any(e["quote"] for p in plans for o in p["options"] for e in o["evidence"])


@pytest.mark.parametrize("i", _cases())
def test_make_plan_matches_its_golden_plan(
    kb: KnowledgeBase, golden: dict[str, Any], i: int
) -> None:
    case = golden["cases"][i]
    assert _text(make_plan(case["profile"], kb)) == _text(case["plan"])


def test_plans_do_not_leak_into_each_other(kb: KnowledgeBase, golden: dict[str, Any]) -> None:
    """What a plan owns can be changed; what it shares with other plans cannot."""
    cases = golden["cases"]
    shared_parts = ("evidence", "warnings", "approvals", "eligibility", "side_effects", "codes")
    refused = 0
    for case in cases:
        plan = make_plan(case["profile"], kb)
        for option in plan["options"]:
            option["reasons"].append("changed by the caller")
            option["status"] = "changed"
            for caution in option["cautions"]:
                caution["text"] = "changed"
            for part in shared_parts:
                for entry in option[part]:
                    with pytest.raises(TypeError, match="read-only"):
                        entry.clear() if isinstance(entry, dict) else option[part].clear()
                    refused += 1
            option["evidence"].append({"changed": True})
        for source in plan["sources"]:
            with pytest.raises(TypeError, match="read-only"):
                source["title"] = "changed"
        writable = copy.deepcopy(plan)
        writable["sources"][0]["title"] = "changed"
        writable["options"][0]["brands"].append("changed")
        assert type(writable["sources"][0]) is dict
        plan["care_standards"].clear()
    assert refused > 100
    for case in reversed(cases):
        assert _text(make_plan(case["profile"], kb)) == _text(case["plan"])


@pytest.fixture(scope="module")
def client(db_path: Path) -> Iterator[TestClient]:
    from smanav.web import create_app

    with TestClient(create_app(db_path)) as c:
        yield c


def test_the_api_serves_the_golden_plans(client: TestClient, golden: dict[str, Any]) -> None:
    for case in golden["cases"]:
        r = client.post("/api/plan", json=case["profile"])
        assert r.status_code == 200, r.text[:300]
        assert r.headers["cache-control"] == "no-store"
        assert _text(r.json()) == _text(case["plan"])
