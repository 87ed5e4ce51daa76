"""Plans stay exactly what they were: 35 golden plans, compared as JSON text.

tests/fixtures/plan_golden.json.gz holds varied profiles and the plans the engine
made for them before it reused per-knowledge-base parts between plans
(scripts/plan_golden.py). Every plan made now, in-process and through the API,
must serialise to the same JSON: same keys in the same order, same values.

A difference fails with a readable diff (which profile, which option, old → new),
never a skip; when a change is meant to change plans, regenerate with
`pytest tests/test_plan_golden.py --update-golden` and name the change in the commit.
The version stamps (generator, knowledge base, rules) are not compared: a data change
that leaves every plan as it was is not a failure.
"""

from __future__ import annotations

import copy
import gzip
import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from smanav.kb import KnowledgeBase
from smanav.plan import make_plan

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "fixtures" / "plan_golden.json.gz"
REGENERATE = "pytest tests/test_plan_golden.py --update-golden"
#: Lines of diff shown per plan before "… N more".
SHOWN = 30


def _script() -> Any:
    spec = importlib.util.spec_from_file_location("plan_golden", ROOT / "scripts/plan_golden.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _text(plan: Any) -> str:
    return json.dumps(plan, ensure_ascii=False, indent=1)


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 100 else text[:97] + "…"


def _key(item: Any, i: int) -> str:
    if isinstance(item, dict):
        for field in ("concept", "id", "source", "rule"):
            if isinstance(item.get(field), str):
                return item[field]
    return str(i)


def plan_diff(old: Any, new: Any, path: str = "") -> list[str]:
    """Where two plans differ, as `options[nusinersen].status: "suggested" → "needs_review"`."""
    if isinstance(old, dict) and isinstance(new, dict):
        out = [f"{path}.{k}: removed (was {_short(old[k])})" for k in old if k not in new]
        out += [f"{path}.{k}: added {_short(new[k])}" for k in new if k not in old]
        for k in old:
            if k in new:
                out += plan_diff(old[k], new[k], f"{path}.{k}")
        if not out and list(old) != list(new):
            out.append(f"{path}: key order {list(old)} → {list(new)}")
        return out
    if isinstance(old, list) and isinstance(new, list):
        olds = {_key(x, i): x for i, x in enumerate(old)}
        news = {_key(x, i): x for i, x in enumerate(new)}
        if len(olds) != len(old) or len(news) != len(new):  # keys not unique: by position
            olds, news = dict(enumerate(old)), dict(enumerate(new))  # type: ignore[arg-type]
        out = [f"{path}[{k}]: removed (was {_short(v)})" for k, v in olds.items() if k not in news]
        out += [f"{path}[{k}]: added {_short(v)}" for k, v in news.items() if k not in olds]
        for k, v in olds.items():
            if k in news:
                out += plan_diff(v, news[k], f"{path}[{k}]")
        if not out and [_key(x, i) for i, x in enumerate(old)] != [
            _key(x, i) for i, x in enumerate(new)
        ]:
            out.append(f"{path}: order {list(olds)} → {list(news)}")
        return out
    if old != new or type(old) is not type(new):
        return [f"{path}: {_short(old)} → {_short(new)}"]
    return []


def assert_same_plan(case: dict[str, Any], plan: Any, how: str) -> None:
    """Equal as JSON text, or fail naming the profile and every difference."""
    if _text(plan) == _text(case["plan"]):
        return
    lines = plan_diff(case["plan"], plan) or ["(same values; the JSON text differs)"]
    more = f"\n  … {len(lines) - SHOWN} more" if len(lines) > SHOWN else ""
    pytest.fail(
        f"{how}: the plan for profile {_short(case['profile'])} changed (golden → now):\n  "
        + "\n  ".join(lines[:SHOWN])
        + more
        + f"\nIf the change is meant, regenerate: {REGENERATE}",
        pytrace=False,
    )


@pytest.fixture(scope="module")
def golden(kb: KnowledgeBase, corpus: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(gzip.decompress(GOLDEN.read_bytes()))
    if request.config.getoption("--update-golden"):
        script = _script()
        data = script.golden_data(kb, [c["profile"] for c in data["cases"]])
        script.write(data)
    stamp = make_plan({"age_months": 1}, kb)["generated_from"]
    for case in data["cases"]:
        case["plan"]["generated_from"] = dict(stamp)
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
    assert_same_plan(case, make_plan(case["profile"], kb), "make_plan")


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
        assert_same_plan(case, make_plan(case["profile"], kb), "after callers changed plans")


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
        assert_same_plan(case, r.json(), "POST /api/plan")


def test_a_changed_plan_fails_with_a_readable_diff(golden: dict[str, Any]) -> None:
    case = golden["cases"][2]
    plan = copy.deepcopy(case["plan"])
    option = plan["options"][0]
    old_status = option["status"]
    option["status"] = "not_eligible"
    option["reasons"].append("a new reason")
    del plan["options"][-1]
    with pytest.raises(pytest.fail.Exception) as info:
        assert_same_plan(case, plan, "make_plan")
    said = str(info.value)
    assert json.dumps(case["profile"]["symptoms"]) in said
    assert f'options[{option["concept"]}].status: "{old_status}" → "not_eligible"' in said
    assert f"options[{option['concept']}].reasons[" in said and '"a new reason"' in said
    assert f"options[{case['plan']['options'][-1]['concept']}]: removed" in said
    assert REGENERATE in said


def test_key_order_counts(golden: dict[str, Any]) -> None:
    case = golden["cases"][0]
    plan = dict(reversed(list(case["plan"].items())))
    with pytest.raises(pytest.fail.Exception, match="key order"):
        assert_same_plan(case, plan, "make_plan")
