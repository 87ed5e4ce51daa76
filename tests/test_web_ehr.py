"""FHIR and CDS Hooks as an electronic health record would call them."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from smanav.errors import InvalidInput
from smanav.web import create_app
from smanav.web.ehr import profile_from_fhir

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
) -> dict[str, Any]:
    concept: dict[str, Any] = {}
    if code:
        concept["coding"] = [{"system": system, "code": code}]
    if text:
        concept["text"] = text
    res: dict[str, Any] = {
        "resourceType": "Condition",
        "subject": {"reference": "Patient/p1"},
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


def medication(name: str, status: str = "active") -> dict[str, Any]:
    return {
        "resourceType": "MedicationStatement",
        "status": status,
        "medicationCodeableConcept": {"text": name},
        "subject": {"reference": "Patient/p1"},
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
    assert profile == {
        "age_months": 35,
        "symptoms": ["scoliosis"],
        "smn2_copies": 3,
        "functional_status": "sitter",
        "medications": ["baclofen"],
        "prior_treatments": ["onasemnogene-abeparvovec"],
    }
    assert any("Vitamin D" in n for n in notes), "what was not used is said, not dropped"


def test_conflicting_types_are_not_chosen_silently(kb: Any) -> None:
    doc = bundle(patient(), condition("G12.0"), condition(text="SMA type 3"))
    profile, notes = profile_from_fhir(doc, kb, TODAY)
    assert profile is not None and "sma_type" not in profile
    assert any("different SMA types" in n for n in notes)


@pytest.mark.parametrize(
    ("doc", "field"),
    [
        (bundle(condition("G12.0")), "Patient"),
        (bundle(patient(None), condition("G12.0")), "Patient.birthDate"),
        (bundle(patient("10/03/2024"), condition("G12.0")), "Patient.birthDate"),
        (bundle(patient("2027-01-01"), condition("G12.0")), "Patient.birthDate"),
    ],
)
def test_unusable_patients_raise_naming_the_element(
    kb: Any, doc: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidInput) as info:
        profile_from_fhir(doc, kb, TODAY)
    assert info.value.field == field


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
        condition("G12.0"),
        observation("SMN2 copies", valueQuantity={"value": 2}),
        observation("Functional status", valueString="non-sitter"),
        medication("Robinul"),
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
        (bundle(patient("2024-02-31"), condition("G12.0")), "Patient.birthDate"),
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
    assert metformin[0]["source"]["url"] == (
        "https://fda.report/DailyMed/eceb9a99-7191-4be5-87c3-0102707cf98e"
    ), "a caution card names the source the caution rests on"


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
        ({"patient": patient(pid="p2"), "conditions": SMA_TYPE_2}, None, "prefetch.patient"),
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
