"""The JSON API under /api/: the library's return values, unchanged, as JSON.

Every body here is what the matching Python function (and CLI ``--json``)
returns; errors share one shape, ``{"error": {"field", "message", "suggestions"}}``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from ...browse import (
    SOURCES_MAX_PAGE,
    SOURCES_PAGE,
    show_concept,
    sources_view,
    symptoms_list,
    treatments_list,
)
from ...errors import NotFound
from ...models import INTERVENTION_KINDS
from ...settings import DISCLAIMER
from ..deps import get_kb, json_object
from ..templating import json_response

__all__ = ["ErrorBody", "router"]


class ErrorDetail(BaseModel):
    field: str | None = Field(description="What is wrong, as a path: 'query.limit', 'age'.")
    message: str = Field(description="What is wrong with it, in words.")
    suggestions: list[str] = Field(description="Names the knowledge base does know.")


class ErrorBody(BaseModel):
    """The one error shape of every endpoint (and of the CLI with --json)."""

    error: ErrorDetail


class Question(BaseModel):
    question: str = Field(min_length=1, max_length=500, examples=["What helps with drooling?"])


ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "No concept by that name (with suggestions)."},
    413: {"model": ErrorBody, "description": "The request body is larger than 1 MB."},
    422: {"model": ErrorBody, "description": "Bad input: the field and what is wrong."},
}

PROFILE_EXAMPLE = {
    "age": "8m",
    "sma_type": 1,
    "smn2_copies": 2,
    "functional_status": "non-sitter",
    "symptoms": ["too much saliva", "trouble swallowing"],
    "medications": ["Robinul", "sertraline"],
    "alcohol_use": False,
    "weight_kg": 7.5,
    "breathing_support": "night-niv",
    "feeding": "mouth",
    "region": "US",
}

#: The OpenAPI entry FastAPI writes for a ``dict`` body (the body is read by json_object).
PROFILE_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "additionalProperties": True,
                "type": "object",
                "title": "Profile",
                "examples": [PROFILE_EXAMPLE],
            }
        }
    },
}

router = APIRouter(prefix="/api", responses=ERRORS)


def _no_store(response: Response) -> Response:
    """Questions and search words can be about a person: never kept by a cache."""
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/treatments", tags=["knowledge"], summary="Every treatment and aid, by care domain")
def api_treatments(
    request: Request,
    domain: str | None = Query(
        None,
        description="Only one care domain: disease-modifying, symptom-medicines, "
        "rehabilitation, breathing, nutrition, spine.",
    ),
) -> Response:
    return json_response(treatments_list(get_kb(request), domain))


@router.get(
    "/treatments/{name}",
    tags=["knowledge"],
    summary="One treatment (or any concept) by generic, brand, synonym or everyday name",
)
def api_treatment(request: Request, name: str) -> Response:
    return json_response(show_concept(get_kb(request), name))


@router.get("/symptoms", tags=["knowledge"], summary="Symptoms, everyday words, what may help")
def api_symptoms(request: Request) -> Response:
    return json_response(symptoms_list(get_kb(request)))


@router.get(
    "/symptoms/{name}", tags=["knowledge"], summary="One symptom and what may help, by domain"
)
def api_symptom(request: Request, name: str) -> Response:
    kb = get_kb(request)
    concept = kb.resolve(name, field="name")
    if concept.kind != "symptom":
        # A drug is not a symptom: say where it is rather than answer it here.
        where = "treatments" if concept.kind in INTERVENTION_KINDS else "concepts"
        raise NotFound(
            "name",
            f"{name!r} is {concept.name} ({concept.kind.value}), not a symptom: "
            f"see /api/{where}/{concept.id}",
            [s for s in kb.suggestions(name) if s != concept.name][:5],
        )
    return json_response(show_concept(kb, name))


@router.get(
    "/sources",
    tags=["knowledge"],
    summary="Every source with its date, the facts resting on it, and stale-source notices",
)
async def api_sources(
    request: Request,
    limit: int = Query(SOURCES_PAGE, ge=1, le=SOURCES_MAX_PAGE, description="Sources per page."),
    offset: int = Query(0, ge=0, le=1_000_000, description="Sources to skip."),
) -> Response:
    data = await run_in_threadpool(sources_view, get_kb(request), limit, offset)
    return json_response(data)


@router.get("/search", tags=["ask"], summary="Concepts and passages matching words")
def api_search(
    request: Request,
    q: str = Query(min_length=1, max_length=500, description="Words to look for."),
    limit: int = Query(10, ge=1, le=50, description="At most this many results."),
) -> Response:
    from ...search import search

    return _no_store(json_response(search(q, get_kb(request), limit=limit)))


@router.get("/ask", tags=["ask"], summary="A cited answer to a question in plain words")
def api_ask(
    request: Request,
    q: str = Query(min_length=1, max_length=500, description="The question."),
) -> Response:
    from ...search import ask

    return _no_store(json_response(ask(q, get_kb(request))))


@router.post("/ask", tags=["ask"], summary="A cited answer (question in a JSON body)")
def api_ask_post(request: Request, body: Question) -> Response:
    from ...search import ask

    return json_response(ask(body.question, get_kb(request)))


@router.post(
    "/plan",
    tags=["plan"],
    summary="A care-discussion plan for a profile (nothing is stored)",
    description="The profile fields of DESIGN.md: age (months, or '8m', '3y', '2y6m'), "
    "sma_type 0–4 or 'presymptomatic' (no type yet), smn2_copies, functional_status "
    "non-sitter|sitter|walker, symptoms (everyday words or HPO ids), medications (any medicine "
    "name: those smanav holds no facts for are listed in the plan's medicines.not_checked), "
    "alcohol_use, prior_treatments, spinal_fusion, weight_kg (or weight: 7.5, '7.5 kg'), "
    "pregnancy no|pregnant|planning|breastfeeding (from 10 years), breathing_support "
    "none|night-niv|continuous-niv|tracheostomy, feeding mouth|tube, liver_disease, "
    "kidney_disease (true/false), region US (FDA labels, the default) | EU (EMA labels). "
    "A bad field is a 422 naming it.",
    openapi_extra={"requestBody": PROFILE_BODY},
)
async def api_plan(request: Request) -> Response:
    from ...plan import make_plan

    profile = await json_object(request)
    kb = get_kb(request)
    # validates every field with this kb (parse_profile); CPU work off the event loop
    plan = await run_in_threadpool(make_plan, profile, kb)
    response = json_response(plan)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/", tags=["knowledge"], summary="What this API offers")
async def api_index() -> Response:
    return json_response(
        {
            "endpoints": [
                "/api/treatments",
                "/api/treatments/{name}",
                "/api/symptoms",
                "/api/symptoms/{name}",
                "/api/sources",
                "/api/search?q=",
                "/api/ask?q=",
                "/api/plan (POST)",
                "/fhir/PlanDefinition",
                "/fhir/CarePlan/$generate (POST)",
                "/cds-services",
            ],
            "openapi": "/openapi.json",
            "docs": "/docs",
            "disclaimer": DISCLAIMER,
        }
    )
