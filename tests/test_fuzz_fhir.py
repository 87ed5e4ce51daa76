"""FHIR and CDS Hooks bodies fuzzed from their shapes: never a 5xx, never a traceback.

Hypothesis builds `POST /fhir/CarePlan/$generate` bodies (a Bundle, or Parameters
wrapping one) and `POST /cds-services/smanav-patient-view` requests (context and
prefetch) as an EHR sends them — valid skeletons with random leaves — and then puts
a wrong JSON value at any node: a number, a huge number, NaN, a boolean, a string, a
lone surrogate, a very long string, a list, an object or null. Every answer must be
a 2xx or an error in the one shape ``{"error": {"field", "message", "suggestions"}}``;
nothing may be logged as an error with a traceback. The bodies go through the ASGI app
in-process, bounded to a few seconds a test (``SMANAV_FUZZ_EXAMPLES`` raises the count).

Then each input the issue names is a test of its own.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smanav.web import create_app

GENERATE = "/fhir/CarePlan/$generate"
CDS = "/cds-services/smanav-patient-view"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
EXAMPLES = int(os.environ.get("SMANAV_FUZZ_EXAMPLES", "0")) or None
FUZZ = settings(
    max_examples=EXAMPLES or 200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    print_blob=True,
)


@pytest.fixture(scope="module")
def client(db_path: Path) -> Iterator[TestClient]:
    # raise_server_exceptions=False: a fault must show as the 500 a client would get
    with TestClient(create_app(db_path), raise_server_exceptions=False) as c:
        yield c


def post(client: TestClient, path: str, body: Any) -> Any:
    """POST ``body`` as JSON text (lone surrogates as \\ud800 escapes, NaN as NaN)."""
    return client.post(path, content=json.dumps(body), headers={"content-type": "application/json"})


def assert_clean(response: Any, caplog: pytest.LogCaptureFixture) -> None:
    """A 2xx, or a 4xx in the one error shape; no traceback in the log."""
    assert response.status_code < 500, response.text[:500]
    body = response.json()
    if response.status_code >= 300:
        assert set(body) == {"error"}, body
        err = body["error"]
        # several profile errors at once add "errors": a list in the same shape
        assert set(err) - {"errors"} == {"field", "message", "suggestions"}, err
        for e in [err, *err.get("errors", [])]:
            assert e["field"] is None or isinstance(e["field"], str)
            assert isinstance(e["message"], str) and e["message"]
            assert isinstance(e["suggestions"], list)
        assert len(response.content) < 20_000, "an error never echoes a whole body"
        assert "{'" not in err["message"], "no Python repr in a message"
    tracebacks = [r for r in caplog.records if r.levelno >= logging.ERROR and r.exc_info]
    assert not tracebacks, tracebacks[0].getMessage()
    caplog.clear()


# --- strategies: valid skeletons with random leaves -----------------------------------
words = st.text(st.characters(codec="utf-8", categories=["L", "N", "Zs", "P"]), max_size=12)
codes = st.sampled_from(["G12.0", "G12.1", "G12.9", "5262007", "J45", "K74.6", "N18.3", "x"])
systems = st.sampled_from([ICD10, SNOMED, LOINC, "urn:oid:1.2", ""])
#: Mostly birth dates of living people; now and then any date, a partial or a wrong one.
real_dates = st.dates(dt.date(1950, 1, 1), dt.date(2025, 6, 1)).map(lambda d: d.isoformat())
dates = st.one_of(
    real_dates,
    real_dates,
    real_dates,
    st.dates().map(lambda d: d.isoformat()),
    st.sampled_from(["2024", "2023-07", "2020-02-31"]),
)
names = st.sampled_from(
    ["SMA type 2", "Evrysdi", "Robinul", "sertraline", "baclofen", "Scoliosis", "asthma", ""]
)
#: Mostly the request's Patient; now and then another one (a 422 naming the reference).
patient_ids = st.sampled_from(["p1"] * 19 + ["p2"])


def coding() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {"system": systems, "code": codes}, optional={"display": st.one_of(names, words)}
    )


def concept() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {}, optional={"coding": st.lists(coding(), max_size=3), "text": st.one_of(names, words)}
    )


def reference() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {"reference": patient_ids.map(lambda p: f"Patient/{p}")}, optional={"display": words}
    )


def patient() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {"resourceType": st.just("Patient"), "id": st.just("p1"), "birthDate": dates},
        optional={
            "address": st.lists(
                st.fixed_dictionaries({}, optional={"country": words, "use": words}), max_size=2
            )
        },
    )


def condition() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {"resourceType": st.just("Condition"), "code": concept()},
        optional={"subject": reference(), "clinicalStatus": concept(), "recordedDate": dates},
    )


def observation() -> st.SearchStrategy[dict[str, Any]]:
    value = st.one_of(
        st.fixed_dictionaries({"valueInteger": st.integers(1, 8) | st.integers(-5, 12)}),
        st.fixed_dictionaries({"valueString": st.one_of(names, words)}),
        st.fixed_dictionaries({"valueCodeableConcept": concept()}),
        st.fixed_dictionaries(
            {
                "valueQuantity": st.fixed_dictionaries(
                    {"value": st.floats(0, 200)},
                    optional={"unit": st.sampled_from(["kg", "g", "[lb_av]", "m"])},
                )
            }
        ),
    )
    code = st.one_of(
        concept(),
        st.sampled_from(
            [
                {"text": "SMN2 copy number"},
                {"text": "Motor functional status"},
                {"coding": [{"system": LOINC, "code": "29463-7"}]},
                {"coding": [{"system": LOINC, "code": "82810-3"}]},
            ]
        ),
    )
    base = st.fixed_dictionaries(
        {"resourceType": st.just("Observation"), "status": st.just("final"), "code": code},
        optional={"subject": reference(), "effectiveDateTime": dates},
    )
    return st.tuples(base, value).map(lambda bv: {**bv[0], **bv[1]})


def medication() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "resourceType": st.sampled_from(["MedicationStatement", "MedicationRequest"]),
            "status": st.sampled_from(["active", "completed", "stopped"]),
            "medicationCodeableConcept": concept(),
        },
        optional={"subject": reference()},
    )


def procedure() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "resourceType": st.sampled_from(["Procedure", "DeviceUseStatement"]),
            "code": concept(),
        },
        optional={"subject": reference(), "status": st.sampled_from(["completed", "in-progress"])},
    )


def resources() -> st.SearchStrategy[list[dict[str, Any]]]:
    others = st.lists(st.one_of(condition(), observation(), medication(), procedure()), max_size=6)
    sma = st.just(
        {
            "resourceType": "Condition",
            "code": {"coding": [{"system": ICD10, "code": "G12.1"}]},
            "subject": {"reference": "Patient/p1"},
        }
    )
    return st.tuples(patient(), sma, others).map(lambda t: [t[0], t[1], *t[2]])


def bundle(rs: list[dict[str, Any]], kind: str = "collection") -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": kind, "entry": [{"resource": r} for r in rs]}


def generate_bodies() -> st.SearchStrategy[dict[str, Any]]:
    bundles = resources().map(bundle)
    params = st.tuples(bundles, st.sampled_from(["US", "EU"])).map(
        lambda t: {
            "resourceType": "Parameters",
            "parameter": [
                {"name": "bundle", "resource": t[0]},
                {"name": "region", "valueCode": t[1]},
            ],
        }
    )
    return st.one_of(bundles, params)


def cds_bodies() -> st.SearchStrategy[dict[str, Any]]:
    def build(rs: list[dict[str, Any]]) -> dict[str, Any]:
        by: dict[str, list[dict[str, Any]]] = {}
        for r in rs[1:]:
            key = {"Condition": "conditions", "Observation": "observations"}.get(
                r["resourceType"], "medications"
            )
            by.setdefault(key, []).append(r)
        prefetch: dict[str, Any] = {"patient": rs[0]}
        prefetch |= {k: bundle(v, "searchset") for k, v in by.items()}
        return {
            "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
            "fhirServer": "https://ehr.example.org/fhir",
            "hook": "patient-view",
            "context": {"userId": "Practitioner/example", "patientId": "p1"},
            "prefetch": prefetch,
        }

    return resources().map(build)


# --- wrong JSON types at any node -----------------------------------------------------
junk = st.one_of(
    st.integers(),
    st.integers(min_value=10**20, max_value=10**300),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([6.2e127, -1e308, 0.0, True, False, None, "", "\ud800", "a\udfffb"]),
    st.text(max_size=8),
    st.text(st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), min_size=1, max_size=3),
    st.integers(1_000, 200_000).map(lambda n: "x" * n),
    st.lists(st.one_of(st.integers(), st.text(max_size=3), st.none()), max_size=3),
    st.dictionaries(st.text(max_size=5), st.one_of(st.integers(), st.none()), max_size=3),
    st.just({"resourceType": "Patient", "id": "p9", "birthDate": "1990-01-01"}),
)


def nodes(doc: Any) -> list[tuple[Any, Any]]:
    """(container, key) of every node below ``doc``, keys of objects and indices of arrays."""
    out: list[tuple[Any, Any]] = []
    stack = [doc]
    while stack:
        here = stack.pop()
        items = here.items() if isinstance(here, dict) else enumerate(here)
        for k, v in items:
            out.append((here, k))
            if isinstance(v, dict | list) and v:
                stack.append(v)
    return out


@st.composite
def mutated(draw: st.DrawFn, bodies: st.SearchStrategy[dict[str, Any]]) -> dict[str, Any]:
    body = copy.deepcopy(draw(bodies))  # st.just values are shared between examples
    for _ in range(draw(st.integers(1, 3))):
        spots = nodes(body)
        if not spots:
            break
        container, key = draw(st.sampled_from(spots))
        container[key] = copy.deepcopy(draw(junk))
    return body


# --- the fuzz tests -------------------------------------------------------------------
@FUZZ
@given(body=generate_bodies())
def test_fuzz_generate_valid_skeletons(
    client: TestClient, caplog: pytest.LogCaptureFixture, body: dict[str, Any]
) -> None:
    assert_clean(post(client, GENERATE, body), caplog)


@FUZZ
@given(body=mutated(generate_bodies()))
def test_fuzz_generate_wrong_types_anywhere(
    client: TestClient, caplog: pytest.LogCaptureFixture, body: dict[str, Any]
) -> None:
    assert_clean(post(client, GENERATE, body), caplog)


@FUZZ
@given(body=cds_bodies())
def test_fuzz_cds_valid_skeletons(
    client: TestClient, caplog: pytest.LogCaptureFixture, body: dict[str, Any]
) -> None:
    assert_clean(post(client, CDS, body), caplog)


@FUZZ
@given(body=mutated(cds_bodies()))
def test_fuzz_cds_wrong_types_anywhere(
    client: TestClient, caplog: pytest.LogCaptureFixture, body: dict[str, Any]
) -> None:
    assert_clean(post(client, CDS, body), caplog)


# --- one patient per request, as properties -------------------------------------------
def _entries(body: dict[str, Any]) -> tuple[list[dict[str, Any]], str]:
    """The Bundle entries of a $generate body and their FHIR path."""
    if body["resourceType"] == "Parameters":
        return body["parameter"][0]["resource"]["entry"], "Parameters.parameter[0].resource.entry"
    return body["entry"], "Bundle.entry"


def _same_patient(body: dict[str, Any]) -> dict[str, Any]:
    """Every subject made the request's Patient (the skeletons now and then name another)."""
    for container, key in nodes(body):
        if key == "subject":
            container[key] = {"reference": "Patient/p1"}
    return body


@settings(FUZZ, max_examples=EXAMPLES or 40)
@given(body=generate_bodies(), data=st.data())
def test_fuzz_a_second_patient_anywhere_is_a_422_naming_it(
    client: TestClient, caplog: pytest.LogCaptureFixture, body: dict[str, Any], data: st.DataObject
) -> None:
    body = _same_patient(copy.deepcopy(body))
    entries, where = _entries(body)
    at = data.draw(st.integers(1, len(entries)))
    same_id = data.draw(st.sampled_from(["p1", "p2"]))  # even the same id: two records
    entries.insert(
        at, {"resource": {"resourceType": "Patient", "id": same_id, "birthDate": "1990-01-01"}}
    )
    r = post(client, GENERATE, body)
    assert_clean(r, caplog)
    assert r.status_code == 422
    assert r.json()["error"]["field"] == f"{where}[{at}].resource"


@settings(FUZZ, max_examples=EXAMPLES or 40)
@given(body=generate_bodies(), data=st.data())
def test_fuzz_a_resource_about_another_patient_is_a_422_naming_it(
    client: TestClient, caplog: pytest.LogCaptureFixture, body: dict[str, Any], data: st.DataObject
) -> None:
    body = _same_patient(copy.deepcopy(body))
    entries, where = _entries(body)
    at = data.draw(st.integers(1, len(entries) - 1))
    other = data.draw(
        st.sampled_from(["Patient/p2", "Group/g1", "https://ehr.example.org/fhir/Patient/p10"])
    )
    entries[at]["resource"]["subject"] = {"reference": other}
    r = post(client, GENERATE, body)
    assert_clean(r, caplog)
    assert r.status_code == 422
    assert r.json()["error"]["field"] == f"{where}[{at}].resource.subject.reference"


# --- each input the issue names -------------------------------------------------------
def person(pid: Any = "p1", born: str = "2024-03-10") -> dict[str, Any]:
    return {"resourceType": "Patient", "id": pid, "birthDate": born}


def sma(pid: str = "p1", **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "Condition",
        "code": {"coding": [{"system": ICD10, "code": "G12.1"}], "text": "SMA type 2"},
        "subject": {"reference": f"Patient/{pid}"},
        **extra,
    }


def hook(prefetch: dict[str, Any], patient_id: Any = "p1") -> dict[str, Any]:
    return {
        "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
        "hook": "patient-view",
        "context": {"userId": "Practitioner/example", "patientId": patient_id},
        "prefetch": prefetch,
    }


def error_of(client: TestClient, path: str, body: Any) -> dict[str, Any]:
    r = post(client, path, body)
    assert r.status_code == 422, r.text[:300]
    assert set(r.json()) == {"error"}
    err: dict[str, Any] = r.json()["error"]
    assert set(err) == {"field", "message", "suggestions"}, err
    assert len(r.content) < 2_000, "the error is short: it never repeats the value whole"
    return err


def test_two_patients_in_a_bundle_are_a_422_not_a_silent_choice(client: TestClient) -> None:
    """The issue's case: the child named as subject, the adult's age used for the plan."""
    child, adult = person("child", "2025-05-01"), person("adult", "1990-01-01")
    body = bundle([child, sma("child"), adult])
    err = error_of(client, GENERATE, body)
    assert err["field"] == "Bundle.entry[2].resource"
    assert "second Patient" in err["message"] and "Bundle.entry[0].resource" in err["message"]


def test_two_patients_in_parameters_are_a_422(client: TestClient) -> None:
    body = {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "bundle", "resource": bundle([person(), sma()])},
            {"name": "patient", "resource": person("p1", "1990-01-01")},
        ],
    }
    assert error_of(client, GENERATE, body)["field"] == "Parameters.parameter[1].resource"


def test_a_condition_about_another_patient_is_a_422(client: TestClient) -> None:
    err = error_of(client, GENERATE, bundle([person(), sma(), sma("p2")]))
    assert err["field"] == "Bundle.entry[2].resource.subject.reference"
    assert "Patient/p2" in err["message"] and "Patient/p1" in err["message"]


def test_references_by_full_url_and_absolute_url_are_the_patient(client: TestClient) -> None:
    body = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"fullUrl": "urn:uuid:5a1e", "resource": {**person(), "id": None}},
            {"resource": {**sma(), "subject": {"reference": "urn:uuid:5a1e"}}},
        ],
    }
    assert post(client, GENERATE, body).status_code == 200
    body = bundle([person(), {**sma(), "subject": {"reference": "https://ehr.example/Patient/p1"}}])
    r = post(client, GENERATE, body)
    assert r.status_code == 200, r.text
    assert r.json()["subject"]["reference"] == "Patient/p1"


def test_cds_prefetch_patient_other_than_context_patient_id_is_a_422(client: TestClient) -> None:
    body = hook({"patient": person("p2"), "conditions": bundle([sma("p2")], "searchset")})
    err = error_of(client, CDS, body)
    assert err["field"] == "prefetch.patient.id"
    assert '"p2"' in err["message"] and '"p1"' in err["message"]


def test_cds_patient_inside_the_conditions_bundle_is_a_422(client: TestClient) -> None:
    """It used to replace the prefetched Patient that was checked against the context."""
    conditions = bundle([sma(), person("p1", "1990-01-01")], "searchset")
    body = hook({"patient": person(born="2025-05-01"), "conditions": conditions})
    err = error_of(client, CDS, body)
    assert err["field"] == "prefetch.conditions.entry[1].resource"


def test_cds_a_medication_about_another_patient_is_a_422(client: TestClient) -> None:
    meds = bundle(
        [
            {
                "resourceType": "MedicationStatement",
                "status": "active",
                "medicationCodeableConcept": {"text": "baclofen"},
                "subject": {"reference": "Patient/p7"},
            }
        ],
        "searchset",
    )
    body = hook({"patient": person(), "conditions": bundle([sma()]), "medications": meds})
    err = error_of(client, CDS, body)
    assert err["field"] == "prefetch.medications.entry[0].resource.subject.reference"


def test_entry_that_is_a_number_is_a_422(client: TestClient) -> None:
    err = error_of(client, GENERATE, {"resourceType": "Bundle", "entry": 5})
    assert err["field"] == "Bundle.entry" and "not an array" in err["message"]


def test_coding_that_is_true_is_a_422(client: TestClient) -> None:
    body = bundle([person(), sma(), {**sma(), "code": {"coding": True}}])
    err = error_of(client, GENERATE, body)
    assert err["field"] == "Bundle.entry[2].resource.code.coding"


def test_parameter_that_is_a_huge_number_is_a_422(client: TestClient) -> None:
    err = error_of(client, GENERATE, {"resourceType": "Parameters", "parameter": 6.2e127})
    assert err["field"] == "Parameters.parameter"


def test_status_code_that_is_a_list_is_a_422(client: TestClient) -> None:
    status = {"coding": [{"code": ["active"]}]}
    body = bundle([person(), sma(clinicalStatus=status)])
    err = error_of(client, GENERATE, body)
    assert err["field"] == "Bundle.entry[1].resource.clinicalStatus.coding[0].code"


@pytest.mark.parametrize("pid", [{"a": 1}, ["p1"], 7, True])
def test_a_patient_id_that_is_not_a_string_is_a_422_never_a_repr(
    client: TestClient, pid: Any
) -> None:
    err = error_of(client, GENERATE, bundle([person(pid), sma()]))
    assert err["field"] == "Bundle.entry[0].resource.id"
    assert "{'a'" not in err["message"] and "Patient/" not in err["message"]
    err = error_of(client, CDS, hook({"patient": person("p1"), "conditions": None}, pid))
    assert err["field"] == "context.patientId"


def test_a_500_kb_patient_id_is_a_422_that_does_not_repeat_it(client: TestClient) -> None:
    body = bundle([person("x" * 500_000), {**sma(), "subject": {"display": "the same child"}}])
    err = error_of(client, GENERATE, body)
    assert err["field"] == "Bundle.entry[0].resource.id"
    assert "500000 characters" in err["message"] and "xxxxx" not in err["message"]


@pytest.mark.parametrize("where", ["code.text", "subject.reference", "code.coding[0].code"])
def test_a_lone_surrogate_is_a_422(client: TestClient, where: str) -> None:
    body = bundle([person(), sma()])
    node: Any = body["entry"][1]["resource"]
    *parents, last = where.replace("[0]", ".0").split(".")
    for p in parents:
        node = node[int(p)] if p.isdigit() else node[p]
    node[last] = "SMA \ud800 type 2"
    err = error_of(client, GENERATE, body)
    # the body check (web/app.py) or the reader names it: the path of the string either way
    assert err["field"].endswith(f"entry[1].resource.{where}"), err
    assert "surrogate" in err["message"]
    err = error_of(
        client, CDS, hook({"patient": person(), "conditions": bundle([sma()]), "x": "\udfff"})
    )
    assert err["field"].endswith("x") and "surrogate" in err["message"]
