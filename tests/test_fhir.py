"""FHIR R4: plans as CarePlans, rules as PlanDefinitions; validated with fhir.resources'
R4B models, and required codes checked here (fhir.resources does not)."""

from __future__ import annotations

from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.careplan import CarePlan

from smanav.fhir import care_plan, check_codes, plan_definitions, validate
from smanav.kb import KnowledgeBase
from smanav.plan import load_rules, make_plan
from smanav.settings import DISCLAIMER

# The R4 value sets of the required bindings, written out here so that the test does not
# trust the module it checks (hl7.org/fhir/R4B: care-plan-status, care-plan-intent,
# care-plan-activity-status, care-plan-activity-kind, publication-status, bundle-type).
CAREPLAN_STATUS = {"draft", "active", "on-hold", "revoked", "completed", "entered-in-error",
                   "unknown"}  # fmt: skip
CAREPLAN_INTENT = {"proposal", "plan", "order", "option"}
ACTIVITY_STATUS = {"not-started", "scheduled", "in-progress", "on-hold", "completed",
                   "cancelled", "stopped", "unknown", "entered-in-error"}  # fmt: skip
ACTIVITY_KIND = {"Appointment", "CommunicationRequest", "DeviceRequest", "MedicationRequest",
                 "NutritionOrder", "Task", "ServiceRequest", "VisionPrescription"}  # fmt: skip
PUBLICATION_STATUS = {"draft", "active", "retired", "unknown"}
ARTIFACT_TYPE = {"documentation", "justification", "citation", "predecessor", "successor",
                 "derived-from", "depends-on", "composed-of"}  # fmt: skip

PROFILES = [
    {"age_months": 30, "symptoms": ["drooling", "curved back"], "medications": ["metformin"]},
    {"age_months": 24, "functional_status": "non-sitter", "prior_treatments": ["Zolgensma"]},
    {"age_months": "40y", "functional_status": "walker", "symptoms": ["stiff muscles"],
     "alcohol_use": True},
]  # fmt: skip


@pytest.fixture(scope="module")
def bundle(kb: KnowledgeBase) -> dict[str, Any]:
    return plan_definitions(kb)


@pytest.mark.parametrize("profile", PROFILES)
def test_care_plan_validates_with_required_codes(
    kb: KnowledgeBase, profile: dict[str, Any]
) -> None:
    plan = make_plan(profile, kb)
    cp = care_plan(plan)
    CarePlan.model_validate(cp)
    validate(cp)
    assert cp["status"] in CAREPLAN_STATUS and cp["status"] == "draft"
    assert cp["intent"] in CAREPLAN_INTENT and cp["intent"] == "proposal"
    assert cp["subject"] == {"display": "Patient (not stored)"}
    assert cp["description"] == DISCLAIMER
    assert cp["text"]["status"] == "generated"
    assert len(cp["activity"]) == len(plan["options"]) + len(plan["care_standards"])
    for act, o in zip(cp["activity"], plan["options"], strict=False):
        d = act["detail"]
        assert d["status"] in ACTIVITY_STATUS and d["kind"] in ACTIVITY_KIND
        assert {"url": f"{_ext('option-status')}", "valueCode": o["status"]} in act["extension"]
        notes = [n["text"] for n in act["progress"]]
        for r in o["reasons"]:  # each reason once: as why it is listed, or why its status
            said = [n for n in notes if n.endswith(f": {r}") and n.startswith("Why")]
            assert len(said) == 1, r
        assert any(n.startswith("Evidence: ") for n in notes)
        for c in o["cautions"]:
            kind = "Boxed warning" if c["rule"] == "boxed-warning" else "Caution"
            assert f"{kind} ({c['rule']}): {c['text']}" in notes
        if o["status"] != "to_discuss":
            assert d["statusReason"]["text"].startswith(o["status_text"] + ": ")
            why = [n for n in notes if n.startswith(("Why it is not offered", "Why it needs"))]
            assert why, "a CarePlan says why an option is not eligible or needs review"
    questions = [n["text"] for n in cp["note"] if n["text"].startswith("Question")]
    assert len(questions) == len(plan["questions"])


def _ext(name: str) -> str:
    from smanav.fhir import EXT

    return f"{EXT}/{name}"


def test_statuses_map_to_activity_statuses(kb: KnowledgeBase) -> None:
    expected = {"to_discuss": "not-started", "needs_review": "on-hold", "not_offered": "cancelled"}
    seen: set[str] = set()
    for profile in (
        {"age_months": 24, "prior_treatments": ["Zolgensma"]},
        {"age_months": 30},
        {"age_months": "30y", "sma_type": 3, "pregnancy": "planning", "region": "EU"},
        {"age_months": 8, "sma_type": 1, "functional_status": "non-sitter"},
    ):
        plan = make_plan(profile, kb)
        cp = care_plan(plan)
        for act, o in zip(cp["activity"], plan["options"], strict=False):
            assert act["detail"]["status"] == expected[o["status"]]
            seen.add(o["status"])
    cp = care_plan(make_plan({"age_months": 30}, kb))
    by_code = {a["detail"]["code"]["text"]: a["detail"]["status"] for a in cp["activity"]}
    assert by_code["Onasemnogene abeparvovec (Zolgensma)"] == "cancelled"  # not eligible
    assert by_code["Risdiplam (Evrysdi)"] == "not-started"
    assert {"to_discuss", "not_offered"} <= seen


def test_only_verified_codes_are_passed_on(kb: KnowledgeBase) -> None:
    cp = care_plan(make_plan({"age_months": 30, "symptoms": ["spasticity"]}, kb))
    codings = {
        a["detail"]["code"]["text"]: a["detail"]["code"].get("coding", []) for a in cp["activity"]
    }
    assert {"system": "http://www.whocc.no/atc", "code": "M03BX01"} in codings[
        "Baclofen (Lioresal, Gablofen)"
    ]
    verified = {
        (c.code) for con in kb.concepts.values() for c in con.codes if c.status == "verified"
    }
    assert all(x["code"] in verified for cs in codings.values() for x in cs)


def test_care_plan_is_deterministic(kb: KnowledgeBase) -> None:
    a = care_plan(make_plan(PROFILES[0], kb))
    b = care_plan(make_plan(dict(reversed(list(PROFILES[0].items()))), kb))
    assert a == b


def test_plan_definitions_bundle(kb: KnowledgeBase, bundle: dict[str, Any]) -> None:
    Bundle.model_validate(bundle)
    validate(bundle)
    assert bundle["type"] == "collection"
    rules = load_rules().rules
    assert [e["resource"]["id"] for e in bundle["entry"]] == [r.id for r in rules]
    for e in bundle["entry"]:
        pd = e["resource"]
        assert pd["status"] in PUBLICATION_STATUS
        assert e["fullUrl"] == pd["url"]
        assert pd["relatedArtifact"], pd["id"]
        assert all(a["type"] in ARTIFACT_TYPE for a in pd["relatedArtifact"])
        (action,) = pd["action"]
        assert action["condition"][0]["kind"] == "applicability"
        assert action["condition"][0]["expression"]["description"]


def test_care_standard_definitions_keep_id_source_and_date(bundle: dict[str, Any]) -> None:
    pd = next(e["resource"] for e in bundle["entry"] if e["resource"]["id"] == "REH-NS-1")
    assert pd["identifier"] == [{"system": pd["identifier"][0]["system"], "value": "REH-NS-1"}]
    assert "From care-standard summaries, 2018." in pd["description"]
    (art,) = pd["relatedArtifact"]
    assert art["url"] == "https://smacare.guide/physiotherapy-and-rehabilitation/non-sitters/"
    assert "content 2018" in art["display"]


def test_option_definitions_cite_their_assertions(bundle: dict[str, Any]) -> None:
    pd = next(e["resource"] for e in bundle["entry"] if e["resource"]["id"] == "dmt-itvisma")
    labels = {a.get("label") for a in pd["relatedArtifact"]}
    assert {"itvisma-definition", "itvisma-approved-by-fda"} <= labels
    assert pd["action"][0]["code"][0]["text"] == "Onasemnogene abeparvovec intrathecal"


def test_check_codes_catches_what_fhir_resources_lets_through(kb: KnowledgeBase) -> None:
    cp = care_plan(make_plan({"age_months": 30}, kb))
    cp["intent"] = "suggestion"
    cp["activity"][0]["detail"]["status"] = "maybe"
    CarePlan.model_validate(cp)  # the library accepts it...
    problems = check_codes(cp)  # ...so smanav checks the required codes itself
    assert any("CarePlan.intent" in p for p in problems)
    assert any("CarePlan.activity.detail.status" in p for p in problems)


# --- medicines checked and not checked, the region -------------------------------------
def test_fhir_unknown_medication_not_checked_note(kb: KnowledgeBase) -> None:
    plan = make_plan({"age_months": "30y", "medications": ["sertraline", "Valium"]}, kb)
    cp = care_plan(plan)
    validate(cp)
    notes = [n["text"] for n in cp["note"]]
    assert any("smanav holds no interaction facts for sertraline" in n for n in notes)
    assert any(n.startswith("Current medicines checked") and "Diazepam" in n for n in notes)
    assert {"url": _ext("medicine-not-checked"), "valueString": "sertraline"} in cp["extension"]
    assert "smanav holds no interaction facts for sertraline" in cp["text"]["div"]


def test_care_plan_names_the_region(kb: KnowledgeBase) -> None:
    for region, words in (("US", "United States (FDA)"), ("EU", "European Union (EMA)")):
        cp = care_plan(make_plan({"age_months": "3y", "sma_type": 2, "region": region}, kb))
        validate(cp)
        assert {"url": _ext("region"), "valueCode": region} in cp["extension"]
        assert any(n["text"].startswith(f"Labels: {words}") for n in cp["note"])
        assert f"Labels: {words}" in cp["text"]["div"]


def test_care_plan_puts_boxed_warnings_first(kb: KnowledgeBase) -> None:
    plan = make_plan({"age_months": "30y", "medications": ["Valium"]}, kb)
    boxed = [o for o in plan["options"] if any(c["rule"] == "boxed-warning" for c in o["cautions"])]
    assert boxed, "the label data gives diazepam (Valium) a boxed warning"
    cp = care_plan(plan)
    act = next(
        a for a in cp["activity"] if a["detail"]["code"]["text"].startswith(boxed[0]["name"])
    )
    assert act["progress"][0]["text"].startswith("Boxed warning (boxed-warning): ")
