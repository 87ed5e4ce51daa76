"""Beside an electronic health record: the FHIR and CDS Hooks 2.0 routes.

The work is done by ``smanav.fhir`` (which needs no web framework): reading a Bundle
or a CDS Hooks request into a profile, and shaping the plan as a CarePlan or cards.
These routes only read the body, call it and answer. Nothing from the request is
stored: the profile lives for one request.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ...fhir import (
    DISCOVERY,
    SERVICE_ID,
    care_plan_from_fhir,
    patient_view,
)
from ...fhir.codes import PROFILE_CODES
from ...settings import settings
from ..deps import get_kb, json_object
from ..templating import json_response

__all__ = ["router"]

FHIR_JSON = "application/fhir+json"

router = APIRouter()

BUNDLE_EXAMPLE = {
    "resourceType": "Bundle",
    "type": "collection",
    "entry": [
        {"resource": {"resourceType": "Patient", "id": "p1", "birthDate": "2025-03-01"}},
        {
            "resource": {
                "resourceType": "Condition",
                "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "G12.0"}]},
                "subject": {"reference": "Patient/p1"},
            }
        },
    ],
}


def _json_body(title: str, example: dict[str, Any] | None = None) -> dict[str, Any]:
    """The OpenAPI entry FastAPI writes for a ``dict`` body (the body is read by json_object)."""
    schema: dict[str, Any] = {"additionalProperties": True, "type": "object", "title": title}
    if example is not None:
        schema["examples"] = [example]
    return {"content": {"application/json": {"schema": schema}}, "required": True}


def _private(response: Response) -> Response:
    """An answer about a patient is never cached."""
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get(
    "/fhir/PlanDefinition",
    tags=["fhir"],
    summary="The planning rules as a Bundle of FHIR R4 PlanDefinition resources",
)
async def plan_definitions(request: Request) -> Response:
    from ...fhir import plan_definitions as build

    return json_response(build(get_kb(request)), media_type=FHIR_JSON)


@router.post(
    "/fhir/CarePlan/$generate",
    tags=["fhir"],
    summary="A CarePlan from a Bundle with a Patient, Conditions, Observations, medications",
    description="Patient.birthDate gives the age; a Condition coded ICD-10 G12.0 / G12.1 / "
    "G12.9 or SNOMED CT SMA codes gives the diagnosis (and type when the code says); "
    "Observations named SMN2 give copy numbers, functional-status Observations give "
    "non-sitter / sitter / walker; body weight (LOINC 29463-7, kg, g or [lb_av]), pregnancy "
    "status (LOINC 82810-3, or a Condition SNOMED CT 77386006) and breastfeeding status "
    "(LOINC 63895-7); breathing support from Procedures or DeviceUseStatements (tracheostomy, "
    "non-invasive ventilation) or an Observation coded " + PROFILE_CODES + " 'breathing-support' "
    "(none, night-niv, continuous-niv, tracheostomy); tube feeding from a gastrostomy or "
    "feeding-tube Procedure or device; liver disease (ICD-10 K70-K77) and kidney disease "
    "(ICD-10 N17-N19) from Conditions; the region from a Parameters 'region' (US or EU) or "
    "the Patient's address country (an EU member state: EU; elsewhere: US). "
    "MedicationStatements of any medicine are taken by name: those smanav holds facts for "
    "are checked, the others are listed in the CarePlan as not checked. One request is "
    "about one patient: a second Patient, or a resource whose subject is another patient, "
    "is a 422 naming its FHIR path (Bundle.entry[3].resource), as is any element of the "
    "wrong JSON type.",
    openapi_extra={"requestBody": _json_body("Bundle", BUNDLE_EXAMPLE)},
)
async def generate_care_plan(request: Request) -> Response:
    body = await json_object(request)
    result = care_plan_from_fhir(body, get_kb(request))
    return _private(json_response(result, media_type=FHIR_JSON))


@router.get("/cds-services", tags=["cds-hooks"], summary="CDS Hooks discovery")
async def cds_discovery() -> Response:
    return json_response(DISCOVERY)


@router.post(
    f"/cds-services/{SERVICE_ID}",
    tags=["cds-hooks"],
    summary="patient-view: SMA care-discussion cards from the prefetched record",
    description="A CDS Hooks 2.0 patient-view request: context.patientId and the prefetched "
    "Patient, Conditions, Observations and MedicationStatements. One request is about one "
    "patient: a second Patient anywhere in the prefetch, a Patient whose id is not "
    "context.patientId, or a resource whose subject is another patient is a 422 naming its "
    "path (prefetch.conditions.entry[0].resource), as is any element of the wrong JSON type.",
    openapi_extra={"requestBody": _json_body("Body")},
)
async def cds_patient_view(request: Request) -> Response:
    body = await json_object(request)
    base = settings().base_url or str(request.base_url).rstrip("/")
    answer = patient_view(body, get_kb(request), base)
    return _private(json_response(answer)) if answer["cards"] else json_response(answer)
