"""Statuses that cannot read as advice (issue 10): to_discuss, needs_review, not_offered
in every output; the old names (suggested, not_eligible) still accepted on input."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smanav.kb import KnowledgeBase
from smanav.plan import make_plan, render_html, render_markdown
from smanav.plan.status import (
    OLD_STATUS_NAMES,
    STATUS_LABELS,
    STATUSES,
    status_name,
    upgrade_plan,
)

OLD = {"to_discuss": "suggested", "not_offered": "not_eligible"}
#: A 30-month-old: Zolgensma not offered (label ages), risdiplam to discuss.
PROFILE = {"age_months": 30, "sma_type": 2, "functional_status": "sitter"}


@pytest.fixture(scope="module")
def plan(kb: KnowledgeBase) -> dict[str, Any]:
    return make_plan(PROFILE, kb)


def _old(plan: dict[str, Any]) -> dict[str, Any]:
    """The plan as smanav wrote it before issue 10."""
    old = copy.deepcopy(plan)
    for o in old["options"]:
        o["status"] = OLD.get(o["status"], o["status"])
    for s in old["care_standards"]:
        s["status"] = OLD.get(s["status"], s["status"])
    old["summary"] = {OLD.get(k, k): v for k, v in old["summary"].items()}
    return old


def test_plan_json_uses_only_the_new_names(plan: dict[str, Any]) -> None:
    statuses = {o["status"] for o in plan["options"]}
    assert {"to_discuss", "not_offered"} <= statuses <= set(STATUSES)
    assert set(plan["summary"]) == set(STATUSES)
    assert {s["status"] for s in plan["care_standards"]} <= {"to_discuss"}
    text = json.dumps(plan)
    assert '"suggested"' not in text and '"not_eligible"' not in text


def test_every_status_has_a_plain_label() -> None:
    for s in STATUSES:
        label = STATUS_LABELS[s]
        assert "suggest" not in label and "recommend" not in label


@pytest.mark.parametrize(("old", "new"), sorted(OLD_STATUS_NAMES.items()))
def test_old_names_are_accepted(old: str, new: str) -> None:
    assert status_name(old) == new
    assert status_name(new) == new


@given(st.text(max_size=30).filter(lambda s: s not in STATUSES and s not in OLD_STATUS_NAMES))
def test_unknown_status_names_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="unknown status"):
        status_name(name)


def test_a_plan_saved_with_the_old_names_renders_as_a_new_one(plan: dict[str, Any]) -> None:
    old = _old(plan)
    assert upgrade_plan(old) == plan
    assert upgrade_plan(plan) is plan
    assert render_markdown(old) == render_markdown(plan)
    assert render_html(old) == render_html(plan)


def test_fhir_and_cds_say_the_new_names(plan: dict[str, Any], kb: KnowledgeBase) -> None:
    pytest.importorskip("fhir.resources")
    from smanav.fhir import cards_from_plan, care_plan

    cp = care_plan(plan)
    codes = {
        e["valueCode"]
        for a in cp["activity"]
        for e in a["extension"]
        if e["url"].endswith("/option-status")
    }
    assert codes == {o["status"] for o in plan["options"]}
    assert care_plan(_old(plan)) == cp  # a saved plan with the old names reads the same
    cards = cards_from_plan(plan, kb, "http://testserver")
    assert cards_from_plan(_old(plan), kb, "http://testserver") == cards
    words = json.dumps(cards).casefold()
    assert "suggested:" not in words and "### suggested" not in words
    assert "not eligible (" not in words
    assert "not offered" in cards[0]["summary"]


def test_openapi_documents_the_statuses() -> None:
    from smanav.web import create_app

    doc = create_app(None).openapi()
    status = doc["components"]["schemas"]["PlanOption"]["properties"]["status"]
    assert status["enum"] == list(STATUSES)
    assert "suggested" in status["description"]  # the old name, documented
