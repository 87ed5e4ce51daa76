"""FHIR and CDS Hooks as an electronic health record would call them."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smanav.errors import InvalidInput
from smanav.fhir import profile_from_fhir
from smanav.web import create_app

ICD10 = "http://hl7.org/fhir/sid/icd-10"
SNOMED = "http://snomed.info/sct"
TODAY = dt.date(2026, 11, 15)


@pytest.fixture(scope="module")
def client(db_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(db_path)) as c:
        yield c


def born_months_ago(months: int, today: dt.date | None = None) -> str:
    today = today or dt.date.today()
    y, m = divmod(today.year * 12 + today.month - 1 - months, 12)
    return dt.date(y, m + 1, 1).isoformat()


def patient(birth: str | None = "2024-03-10", pid: str = "p1") -> dict[str, Any]:
    res: dict[str, Any] = {"resourceType": "Patient", "id": pid}
    if birth is not None:
        res["birthDate"] = birth
    return res


def condition(
    code: str | None = None,
    system: str = ICD10,
    text: str | None = None,
    verification: str | None = None,
    pid: str = "p1",
) -> dict[str, Any]:
    concept: dict[str, Any] = {}
    if code:
        concept["coding"] = [{"system": system, "code": code}]
    if text:
        concept["text"] = text
    res: dict[str, Any] = {
        "resourceType": "Condition",
        "subject": {"reference": f"Patient/{pid}"},
        "code": concept,
    }
    if verification:
        res["verificationStatus"] = {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                    "code": verification,
                }
            ]
        }
    return res


def observation(label: str, **value: Any) -> dict[str, Any]:
    return {"resourceType": "Observation", "status": "final", "code": {"text": label}, **value}


def medication(name: str, status: str = "active", pid: str = "p1") -> dict[str, Any]:
    return {
        "resourceType": "MedicationStatement",
        "status": status,
        "medicationCodeableConcept": {"text": name},
        "subject": {"reference": f"Patient/{pid}"},
    }


def bundle(*resources: dict[str, Any], kind: str = "collection") -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": kind, "entry": [{"resource": r} for r in resources]}


# --- FHIR resources → profile -------------------------------------------------------
@pytest.mark.parametrize(
    ("cond", "expected_type"),
    [
        (condition("G12.0"), 1),
        (condition("G12.1"), None),  # types 2-4 share this code: the type stays unknown
        (condition("5262007", SNOMED), None),
        (condition(text="SMA type 2"), 2),
        (condition(text="Kugelberg-Welander disease"), 3),
    ],
)
def test_sma_conditions_give_the_type_only_when_the_code_says(
    kb: Any, cond: dict[str, Any], expected_type: int | None
) -> None:
    profile, _ = profile_from_fhir(bundle(patient("2024-03-10"), cond), kb, TODAY)
    assert profile is not None
    assert profile.get("sma_type") == expected_type
    assert profile["age_months"] == 32


@pytest.mark.parametrize(
    "cond",
    [condition("J45"), condition("G12.0", verification="refuted"), condition(text="asthma")],
)
def test_no_current_sma_condition_means_no_profile(kb: Any, cond: dict[str, Any]) -> None:
    profile, _ = profile_from_fhir(bundle(patient(), cond), kb, TODAY)
    assert profile is None


def test_observations_medications_and_other_conditions_fill_the_profile(kb: Any) -> None:
    doc = bundle(
        patient("2023-11-20"),
        condition("G12.1"),
        condition(text="Scoliosis"),
        observation("SMN2 copy number", valueInteger=3),
        observation(
            "Motor functional status", valueCodeableConcept={"text": "Sitter (sits unsupported)"}
        ),
        medication("Baclofen"),
        medication("Zolgensma", status="completed"),
        medication("Vitamin D"),
        medication("diazepam", status="stopped"),
    )
    profile, notes = profile_from_fhir(doc, kb, TODAY)
    assert profile is not None
    medications = profile.pop("medications")
    assert profile == {
        "age_months": 35,
        "symptoms": ["scoliosis"],
        "smn2_copies": 3,
        "functional_status": "sitter",
        "prior_treatments": ["onasemnogene-abeparvovec"],
    }
    assert medications[0] == "baclofen"
    assert "Vitamin D" in medications, "any medicine is taken by name, never dropped"
    assert "diazepam" not in medications  # stopped


def test_conflicting_types_are_not_chosen_silently(kb: Any) -> None:
    doc = bundle(patient(), condition("G12.0"), condition(text="SMA type 3"))
    profile, notes = profile_from_fhir(doc, kb, TODAY)
    assert profile is not None and "sma_type" not in profile
    assert any("different SMA types" in n for n in notes)


@pytest.mark.parametrize(
    ("doc", "field"),
    [
        (bundle(condition("G12.0")), "Patient"),
        (bundle(patient(None), condition("G12.0")), "Bundle.entry[0].resource.birthDate"),
        (bundle(patient("10/03/2024"), condition("G12.0")), "Bundle.entry[0].resource.birthDate"),
        (bundle(patient("2027-01-01"), condition("G12.0")), "Bundle.entry[0].resource.birthDate"),
        (patient("2027-01-01"), "Patient.birthDate"),
    ],
)
def test_unusable_patients_raise_naming_the_element(
    kb: Any, doc: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidInput) as info:
        profile_from_fhir(doc, kb, TODAY)
    assert info.value.field == field


def _nested(depth: int) -> Any:
    value: Any = "deep"
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    ("doc", "field"),
    [
        ({"resourceType": "Bundle", "entry": 5}, "Bundle.entry"),
        ({"resourceType": "Bundle", "entry": [7]}, "Bundle.entry[0]"),
        (
            {"resourceType": "Bundle", "entry": [{"resource": {"id": "x"}}]},
            "Bundle.entry[0].resource.resourceType",
        ),
        ({"resourceType": "Parameters", "parameter": 6.2e127}, "Parameters.parameter"),
        (
            bundle(patient(), {**condition("G12.0"), "code": {"coding": True}}),
            "Bundle.entry[1].resource.code.coding",
        ),
        (
            bundle(patient(), {**condition("G12.0"), "code": {"coding": {"code": "G12.0"}}}),
            "Bundle.entry[1].resource.code.coding",
        ),
        (
            bundle(patient(), condition("G12.0"), observation("SMN2", valueInteger=2**40)),
            "Bundle.entry[2].resource.valueInteger",
        ),
        (
            bundle(patient(), observation("weight", valueQuantity={"value": "7"})),
            "Bundle.entry[1].resource.valueQuantity.value",
        ),
        (bundle(patient(), condition(text="SMA \ud800")), "Bundle.entry[1].resource.code.text"),
        (
            bundle(patient(), {**condition("G12.0"), "onsetAge": float("nan")}),
            "Bundle.entry[1].resource.onsetAge",
        ),
        (
            bundle(patient(), {**condition("G12.0"), "note": _nested(100)}),
            "Bundle.entry[1].resource.note" + "[0]" * 60,
        ),
        (
            bundle({**patient(), "address": {"country": "FR"}}, condition("G12.0")),
            "Bundle.entry[0].resource.address",
        ),
        (
            bundle(patient(), {**condition("G12.0"), "subject": "Patient/p1"}),
            "Bundle.entry[1].resource.subject",
        ),
        (bundle(patient(), patient()), "Bundle.entry[1].resource"),
        (bundle(patient(pid="p 1"), condition("G12.0")), "Bundle.entry[0].resource.id"),
        (
            bundle(patient(), condition("G12.0", pid="p2")),
            "Bundle.entry[1].resource.subject.reference",
        ),
    ],
)
def test_readers_check_types_and_name_the_fhir_path(
    kb: Any, doc: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidInput) as info:
        profile_from_fhir(doc, kb, TODAY)
    assert info.value.field == field
    assert "{'" not in info.value.message and "[7]" not in info.value.message


def test_fhir_request_bodies_stay_documented(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/fhir/CarePlan/$generate", "/cds-services/smanav-patient-view"):
        body = paths[path]["post"]["requestBody"]
        assert body["required"] is True
        assert body["content"]["application/json"]["schema"]["type"] == "object"
    example = paths["/fhir/CarePlan/$generate"]["post"]["requestBody"]["content"]
    assert example["application/json"]["schema"]["examples"][0]["resourceType"] == "Bundle"


# --- FHIR endpoints -----------------------------------------------------------------
def test_plan_definitions_are_a_valid_r4_bundle(client: TestClient) -> None:
    from fhir.resources.R4B.bundle import Bundle

    r = client.get("/fhir/PlanDefinition")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/fhir+json")
    doc = r.json()
    Bundle.model_validate(doc)
    kinds = {e["resource"]["resourceType"] for e in doc["entry"]}
    assert kinds == {"PlanDefinition"}


def test_generate_care_plan_from_a_bundle(client: TestClient) -> None:
    from fhir.resources.R4B.careplan import CarePlan

    doc = bundle(
        patient(born_months_ago(8), pid="baby-1"),
        condition("G12.0", pid="baby-1"),
        observation("SMN2 copies", valueQuantity={"value": 2}),
        observation("Functional status", valueString="non-sitter"),
        medication("Robinul", pid="baby-1"),
    )
    r = client.post("/fhir/CarePlan/$generate", json=doc)
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store"
    plan = r.json()
    CarePlan.model_validate(plan)
    assert plan["resourceType"] == "CarePlan"
    assert plan["subject"]["reference"] == "Patient/baby-1"
    assert plan["status"] == "draft" and plan["intent"] == "proposal"
    assert plan["activity"]


@pytest.mark.parametrize(
    ("doc", "field"),
    [
        (bundle(patient(), condition("J45")), "Condition"),
        (bundle(condition("G12.0")), "Patient"),
        (bundle(patient("2024-02-31"), condition("G12.0")), "Bundle.entry[0].resource.birthDate"),
    ],
)
def test_generate_rejects_bundles_it_cannot_use(
    client: TestClient, doc: dict[str, Any], field: str
) -> None:
    r = client.post("/fhir/CarePlan/$generate", json=doc)
    assert r.status_code == 422
    assert r.json()["error"]["field"] == field


# --- CDS Hooks 2.0 ------------------------------------------------------------------
def test_discovery_lists_the_patient_view_service(client: TestClient) -> None:
    services = client.get("/cds-services").json()["services"]
    assert len(services) == 1
    s = services[0]
    assert s["hook"] == "patient-view"
    assert s["id"] == "smanav-patient-view"
    assert s["title"] and s["description"]
    assert {"patient", "conditions", "medications"} <= set(s["prefetch"])
    assert s["prefetch"]["patient"] == "Patient/{{context.patientId}}"


def hook_request(prefetch: dict[str, Any]) -> dict[str, Any]:
    """A patient-view request as an EHR sends it (CDS Hooks 2.0)."""
    return {
        "hookInstance": str(uuid.uuid4()),
        "fhirServer": "https://ehr.example.org/fhir",
        "hook": "patient-view",
        "context": {"userId": "Practitioner/example", "patientId": "p1"},
        "prefetch": prefetch,
    }


def test_patient_view_returns_cited_info_cards(client: TestClient) -> None:
    prefetch = {
        "patient": patient(born_months_ago(40)),
        "conditions": bundle(condition("G12.1", text="SMA type 2"), kind="searchset"),
        "medications": bundle(medication("Evrysdi"), medication("metformin"), kind="searchset"),
    }
    r = client.post("/cds-services/smanav-patient-view", json=hook_request(prefetch))
    assert r.status_code == 200, r.text
    cards = r.json()["cards"]
    assert len(cards) >= 2
    for card in cards:
        assert 0 < len(card["summary"]) < 140
        assert card["indicator"] == "info"
        assert card["source"]["label"] and card["source"]["url"].startswith("http")
        assert card["detail"]
        uuid.UUID(card["uuid"])
        for link in card.get("links", []):
            assert link["type"] == "absolute" and link["url"].startswith("http")
    overview = cards[0]
    assert "smanav" in overview["source"]["label"]
    assert any(link["url"].endswith("/treatments/nusinersen") for link in overview["links"])
    metformin = [c for c in cards if "metformin" in c["summary"].lower()]
    assert metformin, "the risdiplam + metformin caution gets its own card"
    plan = client.post(
        "/api/plan", json={"age": 40, "sma_type": 2, "medications": ["Evrysdi", "metformin"]}
    ).json()
    rests_on = {
        ev["url"]
        for o in plan["options"]
        for c in o["cautions"]
        if "metformin" in c["text"].lower()
        for ev in c["evidence"]
    }
    assert metformin[0]["source"]["url"] in rests_on, (
        "a caution card names the source the caution rests on"
    )


def test_patient_view_without_sma_returns_no_cards(client: TestClient) -> None:
    prefetch = {"patient": patient(), "conditions": bundle(condition("J45"), kind="searchset")}
    r = client.post("/cds-services/smanav-patient-view", json=hook_request(prefetch))
    assert r.status_code == 200
    assert r.json() == {"cards": []}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**hook_request({}), "prefetch": None}, "prefetch.patient"),
        ({**hook_request({"patient": patient()}), "hook": "order-select"}, "hook"),
    ],
)
def test_patient_view_bad_requests_name_the_field(
    client: TestClient, body: dict[str, Any], field: str
) -> None:
    r = client.post("/cds-services/smanav-patient-view", json=body)
    assert r.status_code == 422
    assert r.json()["error"]["field"] == field


SMA_TYPE_2 = bundle(condition("G12.1", text="SMA type 2"), kind="searchset")


@pytest.mark.parametrize(
    ("prefetch", "context", "field"),
    [
        # a prefetch value that is neither a resource, a Bundle nor null (CDS Hooks allows null)
        ({"patient": patient(), "conditions": "Condition?patient=p1"}, None, "prefetch.conditions"),
        (
            {"patient": patient(), "conditions": SMA_TYPE_2, "medications": 7},
            None,
            "prefetch.medications",
        ),
        # prefetch.patient that is not a Patient
        (
            {"patient": {"resourceType": "Observation"}, "conditions": SMA_TYPE_2},
            None,
            "prefetch.patient",
        ),
        # the prefetched Patient is not the one in context: cards would be about someone else
        ({"patient": patient(pid="p2"), "conditions": SMA_TYPE_2}, None, "prefetch.patient.id"),
        ({"patient": patient(), "conditions": SMA_TYPE_2}, {"patientId": 3}, "context.patientId"),
    ],
)
def test_patient_view_wrong_prefetch_is_422_in_the_error_shape(
    client: TestClient,
    prefetch: dict[str, Any],
    context: dict[str, Any] | None,
    field: str,
) -> None:
    body = hook_request(prefetch)
    if context is not None:
        body["context"] = context
    r = client.post("/cds-services/smanav-patient-view", json=body)
    assert r.status_code == 422, r.text
    assert set(r.json()) == {"error"}
    assert r.json()["error"]["field"] == field
    assert r.json()["error"]["message"]


def test_patient_view_null_prefetch_values_are_allowed(client: TestClient) -> None:
    """CDS Hooks sends null for a prefetch the EHR could not fill."""
    prefetch = {
        "patient": patient(born_months_ago(40)),
        "conditions": SMA_TYPE_2,
        "medications": None,
    }
    r = client.post("/cds-services/smanav-patient-view", json=hook_request(prefetch))
    assert r.status_code == 200, r.text
    assert r.json()["cards"]


def test_patient_view_card_markdown_shows_record_text_as_text(client: TestClient) -> None:
    """Card details are Markdown an EHR renders: free text from the record must stay text."""
    hostile = "[open](javascript:alert(1)) <img src=x onerror=alert(2)> **loud**"
    prefetch = {
        "patient": patient(born_months_ago(40)),
        "conditions": SMA_TYPE_2,
        "medications": bundle(medication(hostile), kind="searchset"),
    }
    r = client.post("/cds-services/smanav-patient-view", json=hook_request(prefetch))
    assert r.status_code == 200, r.text
    detail = r.json()["cards"][0]["detail"]
    assert "<img" not in detail and "](javascript:" not in detail
    assert "**loud**" not in detail
    assert "open" in detail and "loud" in detail, "the words are still shown"


def test_card_links_use_the_configured_public_address(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Behind a proxy, a client's Host header must not choose where cards link."""
    monkeypatch.setenv("SMANAV_BASE_URL", "https://smanav.example.org/")
    prefetch = {
        "patient": patient(born_months_ago(40)),
        "conditions": bundle(condition("G12.1", text="SMA type 2"), kind="searchset"),
    }
    r = client.post(
        "/cds-services/smanav-patient-view",
        json=hook_request(prefetch),
        headers={"Host": "evil.example.com"},
    )
    assert r.status_code == 200, r.text
    links = [link["url"] for card in r.json()["cards"] for link in card.get("links", [])]
    assert links and all(u.startswith("https://smanav.example.org/") for u in links)


# --- the new profile fields from FHIR ------------------------------------------------
LOINC = "http://loinc.org"


def coded_observation(code: str, **value: Any) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": code}]},
        **value,
    }


def test_fhir_reads_weight_pregnancy_breathing_feeding_and_organs(kb: Any) -> None:
    doc = bundle(
        patient("1995-05-01"),
        condition("G12.1"),
        coded_observation(
            "29463-7",
            effectiveDateTime="2025-01-01",
            valueQuantity={"value": 50, "unit": "kg", "code": "kg"},
        ),
        coded_observation(
            "29463-7",
            effectiveDateTime="2026-10-01",
            valueQuantity={"value": 52500, "unit": "g", "code": "g"},
        ),
        coded_observation(
            "82810-3",
            valueCodeableConcept={"coding": [{"system": SNOMED, "code": "77386006"}]},
        ),
        {
            "resourceType": "Procedure",
            "status": "completed",
            "code": {"coding": [{"system": SNOMED, "code": "48387007"}], "text": "Tracheostomy"},
        },
        {
            "resourceType": "DeviceUseStatement",
            "status": "active",
            "device": {"display": "Gastrostomy tube (PEG)"},
        },
        condition("K74.6", text="Cirrhosis of liver"),
        condition("N18.3"),
    )
    profile, notes = profile_from_fhir(doc, kb, TODAY)
    assert profile is not None
    assert profile["weight_kg"] == 52.5, "the latest weight, converted from grams"
    assert profile["pregnancy"] == "pregnant"
    assert profile["breathing_support"] == "tracheostomy"
    assert profile["feeding"] == "tube"
    assert profile["liver_disease"] is True and profile["kidney_disease"] is True
    assert "symptoms" not in profile, "liver and kidney conditions are not symptoms"


def test_fhir_breathing_support_from_smanav_observation_and_niv(kb: Any) -> None:
    own = {
        "resourceType": "Observation",
        "status": "final",
        "code": {
            "coding": [
                {"system": "https://smanav.example.org/fhir/CodeSystem/profile",
                 "code": "breathing-support"}
            ]
        },
        "valueCode": "continuous-niv",
    }  # fmt: skip
    profile, _ = profile_from_fhir(bundle(patient(), condition("G12.0"), own), kb, TODAY)
    assert profile is not None and profile["breathing_support"] == "continuous-niv"
    niv = {"resourceType": "Procedure", "status": "in-progress", "code": {"text": "BiPAP at night"}}
    profile, _ = profile_from_fhir(bundle(patient(), condition("G12.0"), niv), kb, TODAY)
    assert profile is not None and profile["breathing_support"] == "night-niv"


def test_fhir_pregnancy_of_a_child_is_not_used(kb: Any) -> None:
    preg = coded_observation(
        "82810-3", valueCodeableConcept={"coding": [{"system": SNOMED, "code": "77386006"}]}
    )
    profile, notes = profile_from_fhir(bundle(patient(), condition("G12.0"), preg), kb, TODAY)
    assert profile is not None and "pregnancy" not in profile
    assert any("under 10 years" in n for n in notes)


@pytest.mark.parametrize(
    ("country", "region"),
    [("DE", "EU"), ("FRA", "EU"), ("Italy", "EU"), ("US", "US"), ("Japan", "US"), (None, None)],
)
def test_fhir_region_from_the_patient_address(
    kb: Any, country: str | None, region: str | None
) -> None:
    person = patient()
    if country:
        person["address"] = [{"city": "X", "country": country}]
    profile, notes = profile_from_fhir(bundle(person, condition("G12.0")), kb, TODAY)
    assert profile is not None and profile.get("region") == region
    if country == "Japan":
        assert any("Japan" in n and "US (FDA)" in n for n in notes)


def parameters(region: Any, *resources: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "Parameters",
        "parameter": [{"name": "region", "valueCode": region}]
        + [{"name": "resource", "resource": r} for r in resources],
    }


def test_fhir_region_parameter_wins_and_a_bad_one_is_422(client: TestClient) -> None:
    person = {**patient(born_months_ago(40)), "address": [{"country": "US"}]}
    r = client.post("/fhir/CarePlan/$generate", json=parameters("EU", person, condition("G12.1")))
    assert r.status_code == 200, r.text
    assert any(n["text"].startswith("Labels: European Union (EMA)") for n in r.json()["note"])
    r = client.post("/fhir/CarePlan/$generate", json=parameters("JP", person, condition("G12.1")))
    assert r.status_code == 422
    assert r.json()["error"]["field"] == "region"


def test_fhir_unknown_medication_not_checked_note(client: TestClient) -> None:
    doc = bundle(
        patient(born_months_ago(40), pid="p9"),
        condition("G12.1", pid="p9"),
        medication("sertraline 50 mg tablet", pid="p9"),
        medication("Robinul", pid="p9"),
        {
            "resourceType": "MedicationStatement",
            "status": "active",
            "medicationCodeableConcept": {"coding": [{"display": "Zzyzx-olol"}]},
        },
    )
    r = client.post("/fhir/CarePlan/$generate", json=doc)
    assert r.status_code == 200, r.text
    notes = [n["text"] for n in r.json()["note"]]
    not_checked = next(n for n in notes if n.startswith("Not checked"))
    assert "smanav holds no interaction facts for" in not_checked
    assert "sertraline 50 mg tablet" in not_checked and "Zzyzx-olol" in not_checked
    checked = next(n for n in notes if n.startswith("Current medicines checked"))
    assert "Glycopyrrolate" in checked


def test_fhir_many_medicines_are_never_rejected(client: TestClient) -> None:
    meds = [medication(f"Remedy number {i}") for i in range(60)]
    r = client.post(
        "/fhir/CarePlan/$generate",
        json=bundle(patient(born_months_ago(40)), condition("G12.1"), *meds),
    )
    assert r.status_code == 200, r.text
    notes = " ".join(n["text"] for n in r.json()["note"])
    assert "Remedy number 59" in notes, "one over the limit is still named"


def test_cds_card_names_unchecked_medicine(client: TestClient) -> None:
    prefetch = {
        "patient": patient(born_months_ago(40)),
        "conditions": SMA_TYPE_2,
        "medications": bundle(medication("sertraline"), medication("Evrysdi"), kind="searchset"),
    }
    r = client.post("/cds-services/smanav-patient-view", json=hook_request(prefetch))
    assert r.status_code == 200, r.text
    cards = r.json()["cards"]
    overview = cards[0]["detail"].replace("\\", "")  # Markdown escapes, as the EHR shows it
    assert "Labels: United States (FDA)" in overview
    assert "### Current medicines" in overview and "sertraline" in overview
    warning = [c for c in cards if c["indicator"] == "warning"]
    assert len(warning) == 1
    assert warning[0]["summary"] == "Not checked by smanav: sertraline"
    assert "smanav holds no interaction facts for sertraline" in warning[0]["detail"]
    assert len(warning[0]["summary"]) < 140


def test_cds_cards_all_info_when_every_medicine_is_checked(client: TestClient) -> None:
    prefetch = {
        "patient": patient(born_months_ago(40)),
        "conditions": SMA_TYPE_2,
        "medications": bundle(medication("Evrysdi"), kind="searchset"),
    }
    cards = client.post("/cds-services/smanav-patient-view", json=hook_request(prefetch)).json()
    assert {c["indicator"] for c in cards["cards"]} == {"info"}
    assert (
        "Not checked** (smanav holds no interaction facts for them): none"
        in cards["cards"][0]["detail"]
    )


# --- the same fields through the JSON API and the wizard ------------------------------
def test_api_plan_takes_the_new_fields(client: TestClient) -> None:
    body = {
        "age": "31y",
        "sma_type": 3,
        "weight": "61 kg",
        "pregnancy": "breastfeeding",
        "breathing_support": "night-niv",
        "feeding": "mouth",
        "liver_disease": True,
        "kidney_disease": False,
        "region": "EU",
        "medications": ["sertraline", "Cipro"],
    }
    r = client.post("/api/plan", json=body)
    assert r.status_code == 200, r.text
    plan = r.json()
    assert plan["profile"]["weight_kg"] == 61 and plan["region"] == "EU"
    assert plan["medicines"]["not_checked"] == ["sertraline"]
    assert [m["concept"] for m in plan["medicines"]["checked"]] == ["ciprofloxacin"]
    presymptomatic = client.post(
        "/api/plan", json={"age": "2w", "sma_type": "presymptomatic", "smn2_copies": 2}
    )
    assert presymptomatic.status_code == 200
    assert presymptomatic.json()["profile"]["sma_type"] == "presymptomatic"


@pytest.mark.parametrize(
    ("profile", "field"),
    [
        ({"age": "30y", "pregnancy": "maybe"}, "pregnancy"),
        ({"age": "30y", "weight_kg": -3}, "weight_kg"),
        ({"age": "30y", "weight": "heavy"}, "weight_kg"),
        ({"age": "30y", "region": "JP"}, "region"),
        ({"age": "30y", "breathing_support": "sometimes"}, "breathing_support"),
        ({"age": "30y", "feeding": "iv"}, "feeding"),
        ({"age": "30y", "liver_disease": "perhaps"}, "liver_disease"),
        ({"age": "5y", "pregnancy": "pregnant"}, "pregnancy"),
        ({"age": "30y", "medications": [""]}, "medications[0]"),
        ({"age": "30y", "medications": ["x" * 201]}, "medications[0]"),
    ],
)
def test_api_plan_rejects_bad_new_fields_naming_them(
    client: TestClient, profile: dict[str, Any], field: str
) -> None:
    r = client.post("/api/plan", json=profile)
    assert r.status_code == 422
    assert r.json()["error"]["field"] == field
    assert r.json()["error"]["message"]


def test_api_plan_documents_the_new_fields(client: TestClient) -> None:
    op = client.get("/openapi.json").json()["paths"]["/api/plan"]["post"]
    for word in ("weight_kg", "pregnancy", "breathing_support", "feeding", "liver_disease",
                 "kidney_disease", "region", "presymptomatic", "not_checked"):  # fmt: skip
        assert word in op["description"], word
    example = op["requestBody"]["content"]["application/json"]["schema"]["examples"][0]
    assert r_ok(client.post("/api/plan", json=example))


def r_ok(r: Any) -> bool:
    return bool(r.status_code == 200)


def test_wizard_accepts_any_medicine(client: TestClient) -> None:
    form = {"age": "30y", "sma_type": "3", "medications": "sertraline, Robinul"}
    r = client.post("/plan", data=form)
    assert r.status_code == 200, r.text
    text = " ".join(re.sub(r"<[^>]+>", " ", r.text).split())
    assert "Not checked (smanav holds no interaction facts for them) sertraline" in text
    assert "smanav holds no interaction facts for sertraline" in text
    assert "Labels: United States (FDA)" in text


def test_wizard_has_labelled_controls_for_the_new_fields(client: TestClient) -> None:
    html = client.get("/plan").text
    assert '<option value="presymptomatic"' in html and "no type yet" in html
    assert '<label for="field-weight_kg">' in html
    for name in ("breathing_support", "feeding", "pregnancy", "region"):
        fieldset = re.search(rf'<fieldset[^>]*id="field-{name}"[^>]*>\s*<legend>', html)
        assert fieldset, name
        for i in re.findall(rf'<input type="radio" id="({name}-\d+)"', html):
            assert f'<label for="{i}">' in html
    for name in ("liver_disease", "kidney_disease"):
        assert f'<label for="field-{name}">' in html
    assert re.search(r'id="region-1"[^>]*value="US"[^>]*checked', html), "US by default"


def test_wizard_new_field_errors_appear_next_to_the_field(client: TestClient) -> None:
    r = client.post("/plan", data={"age": "5y", "pregnancy": "pregnant", "weight_kg": "-3"})
    assert r.status_code == 422
    html = r.text
    preg = re.search(r'<p id="pregnancy-error"[^>]*>(.*?)</p>', html, re.S)
    assert preg and "does not fit the age" in preg.group(1)
    weight = re.search(r'<p id="weight_kg-error"[^>]*>(.*?)</p>', html, re.S)
    assert weight and "-3" in weight.group(1)
    assert 'href="#field-pregnancy"' in html and 'href="#field-weight_kg"' in html
    assert re.search(r'id="field-weight_kg"[^>]*aria-invalid="true"', html)
    assert re.search(r'id="field-pregnancy"[^>]*aria-describedby="[^"]*pregnancy-error', html)


def test_wizard_change_answers_keeps_the_new_fields(client: TestClient) -> None:
    form = {
        "age": "30y",
        "sma_type": "presymptomatic",
        "weight_kg": "61.5",
        "breathing_support": "night-niv",
        "feeding": "tube",
        "pregnancy": "planning",
        "region": "EU",
        "liver_disease": "yes",
        "kidney_disease": "yes",
        "medications": "sertraline",
    }
    page = client.post("/plan", data=form)
    assert page.status_code == 200, page.text
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
    for key, value in form.items():
        assert hidden.get(key) == value, key
    edit = client.post("/plan/edit", data=form).text
    assert re.search(r'<option value="presymptomatic" selected', edit)
    assert 'value="61.5"' in edit and 'value="sertraline"' in edit
    for name, value in (("breathing_support", "night-niv"), ("feeding", "tube"),
                        ("pregnancy", "planning"), ("region", "EU")):  # fmt: skip
        assert re.search(rf'name="{name}" value="{value}" checked', edit), name
    assert re.search(r'id="field-liver_disease"[^>]*checked', edit)
    assert re.search(r'id="field-kidney_disease"[^>]*checked', edit)


# --- any text as a medicine name ----------------------------------------------------
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.text(min_size=1, max_size=200))
def test_any_medicine_name_never_fails_the_api_or_the_parser(
    client: TestClient, kb: Any, name: str
) -> None:
    from smanav.plan import parse_profile

    if not name.strip():
        with pytest.raises(InvalidInput):
            parse_profile({"age_months": 30, "medications": [name]}, kb)
        return
    profile = parse_profile({"age_months": 30, "medications": [name]}, kb)
    assert len(profile.medications) + len(profile.unchecked_medications) <= 1
    r = client.post("/api/plan", json={"age": 30, "medications": [name]})
    assert r.status_code == 200, r.text
    meds = r.json()["medicines"]
    assert len(meds["checked"]) + len(meds["not_checked"]) <= 1 or profile.alcohol_use
