"""The OpenAPI document made true to the server: each answer's schema and its errors.

FastAPI knows only that the routes return a ``Response``; ``describe`` writes in what
each 200 holds (as JSON Schema), the one error shape, and ``application/fhir+json``.
"""

from __future__ import annotations

from typing import Any

from ..plan.status import STATUS_LABELS, STATUSES

__all__ = ["OPTION", "RESPONSES", "describe"]

METHODS = ("get", "post", "put", "patch", "delete")


def _obj(required: dict[str, Any], **optional: Any) -> dict[str, Any]:
    """An object schema: these keys always present with these schemas; others allowed."""
    return {
        "type": "object",
        "required": sorted(required),
        "properties": {**required, **optional},
    }


def _list(item: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": item}


STR = {"type": "string"}
STR_N = {"type": ["string", "null"]}
INT = {"type": "integer"}
INT_N = {"type": ["integer", "null"]}
NUM = {"type": "number"}
BOOL = {"type": "boolean"}
OBJ = {"type": "object"}
STRS = _list(STR)

DOMAINS = [
    "disease-modifying",
    "symptom-medicines",
    "rehabilitation",
    "breathing",
    "nutrition",
    "spine",
]

#: A statement as ``browse.statement_view`` gives it (treatment pages, answers).
STATEMENT = _obj(
    {"id": STR, "subject": STR, "predicate": STR, "text": STR, "certainty": STR},
    object=STR_N,
    object_name=STR_N,
    status=STR,
    date=STR_N,
    evidence=_list(OBJ),
    contested_by=_list(OBJ),
)
BRIEF = _obj({"concept": STR, "name": STR, "kind": STR}, domain=STR_N, brands=STRS)
CONCEPT = _obj(
    {
        "concept": STR,
        "name": STR,
        "kind": STR,
        "brands": STRS,
        "synonyms": STRS,
        "lay_terms": STRS,
        "codes": _list(_obj({"system": STR, "code": STR})),
        "disclaimer": STR,
    },
    domain=STR_N,
    what_it_is=_list(STATEMENT),
    for_whom=_list(STATEMENT),
    side_effects=_list(STATEMENT),
    safety=_list(STATEMENT),
    cautions=_list(STATEMENT),
)
SYMPTOM = {
    **CONCEPT,
    "required": sorted([*CONCEPT["required"], "by_domain"]),
    "properties": {
        **CONCEPT["properties"],
        "by_domain": _list(_obj({"domain": STR, "name": STR, "options": _list(BRIEF)})),
    },
}
SOURCE_ROW = _obj(
    {
        "source": STR,
        "title": STR,
        "publisher": STR,
        "kind": STR,
        "statements": INT,
        "facts": _list(_obj({"id": STR, "subject": STR, "text": STR})),
        "stale": _list(_obj({"id": STR, "newer": _list(OBJ)})),
    },
    url=STR_N,
    date=STR_N,
    text_available=BOOL,
)
#: An option's status: never advice (issue 10; ``suggested`` and ``not_eligible`` before).
STATUS = {
    "enum": list(STATUSES),
    "description": "; ".join(f"{s}: {STATUS_LABELS[s]}" for s in STATUSES)
    + ". Names before issue 10: suggested (now to_discuss), not_eligible (now not_offered).",
}
OPTION = _obj(
    {"concept": STR, "name": STR, "kind": STR, "status": STATUS, "reasons": _list({})},
    domain=STR_N,
    cautions=_list({}),
    boxed_warnings=_list({}),
)

#: The 200 answer of each operation (by path and method), as JSON Schema.
RESPONSES: dict[tuple[str, str], dict[str, Any]] = {
    ("/api/", "get"): _obj({"endpoints": STRS, "openapi": STR, "docs": STR, "disclaimer": STR}),
    ("/api/treatments", "get"): _obj(
        {
            "domain": {"type": ["string", "null"], "enum": [*DOMAINS, None]},
            "treatments": _list(
                _obj({"concept": STR, "name": STR, "kind": STR, "domain": STR_N, "brands": STRS})
            ),
            "disclaimer": STR,
        }
    ),
    ("/api/treatments/{name}", "get"): CONCEPT,
    ("/api/symptoms", "get"): _obj(
        {
            "symptoms": _list(
                _obj({"concept": STR, "name": STR, "lay_terms": STRS, "helped_by": _list(BRIEF)})
            ),
            "disclaimer": STR,
        }
    ),
    ("/api/symptoms/{name}", "get"): SYMPTOM,
    ("/api/sources", "get"): _obj(
        {
            "sources": _list(SOURCE_ROW),
            "total": INT,
            "offset": INT,
            "limit": INT_N,
            "next": STR_N,
            "previous": STR_N,
            "stale_count": INT,
            "disclaimer": STR,
        }
    ),
    ("/api/search", "get"): _obj(
        {
            "query": STR,
            "concepts": _list(_obj({"concept": STR, "name": STR, "kind": STR, "score": NUM})),
            "passages": _list(
                _obj({"source": STR, "start": INT, "end": INT, "quote": STR, "score": NUM})
            ),
            "disclaimer": STR,
        },
        recognised=_list(OBJ),
        notes=STRS,
    ),
    ("/api/ask", "get"): _obj(
        {
            "question": STR,
            "answer": STR,
            "found": BOOL,
            "citations": _list(_obj({"source": STR, "start": INT_N, "end": INT_N, "quote": STR_N})),
            "statements": _list(STATEMENT),
            "disclaimer": STR,
        },
        concepts=_list(OBJ),
        not_covered=_list({}),
    ),
    ("/api/plan", "post"): _obj(
        {
            "profile": _obj({"age_months": NUM, "medications": STRS}),
            "options": _list(OPTION),
            "domains": _list(_obj({"domain": STR, "name": STR, "options": _list({})})),
            "summary": _obj({"to_discuss": INT, "not_offered": INT, "needs_review": INT}),
            "medicines": _obj({"checked": _list({}), "not_checked": _list({})}),
            "region": {"enum": ["US", "EU"]},
            "sources": _list(OBJ),
            "disclaimer": STR,
        },
        care_standards=_list(OBJ),
        questions=_list({}),
    ),
    ("/fhir/PlanDefinition", "get"): _obj(
        {
            "resourceType": {"const": "Bundle"},
            "entry": _list(_obj({"resource": _obj({"resourceType": {"const": "PlanDefinition"}})})),
        }
    ),
    ("/fhir/CarePlan/$generate", "post"): _obj(
        {
            "resourceType": {"const": "CarePlan"},
            "status": {"const": "draft"},
            "intent": {"const": "proposal"},
        },
        subject=_obj({}, reference=STR),
        activity=_list(OBJ),
        note=_list(_obj({"text": STR})),
    ),
    ("/cds-services", "get"): _obj(
        {"services": _list(_obj({"hook": STR, "id": STR, "prefetch": OBJ}))}
    ),
    ("/cds-services/smanav-patient-view", "post"): _obj(
        {
            "cards": _list(
                _obj(
                    {
                        "summary": {"type": "string", "maxLength": 140},
                        "indicator": {"enum": ["info", "warning", "critical"]},
                        "source": _obj({"label": STR}),
                    }
                )
            )
        }
    ),
}

#: The plan's body: the profile, ``age`` (or ``age_months``) required.
PROFILE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "Profile",
    "anyOf": [{"required": ["age"]}, {"required": ["age_months"]}],
    "properties": {
        "age": {
            "type": ["string", "number"],
            "description": "Months (30) or an age: '8m', '3y', '2y6m'.",
        },
        "age_months": {"type": "number", "minimum": 0},
        "sma_type": {"enum": [0, 1, 2, 3, 4, "presymptomatic", None]},
        "smn2_copies": {"type": ["integer", "null"], "minimum": 0},
        "functional_status": {"enum": ["non-sitter", "sitter", "walker", None]},
        "symptoms": STRS,
        "symptom_words": {
            "type": "object",
            "additionalProperties": {"type": "string", "minLength": 1, "maxLength": 200},
            "description": "The words typed for a symptom, by symptom (a plan's profile gives "
            "them back); filled from 'symptoms' when everyday words are typed.",
        },
        "medications": STRS,
        "prior_treatments": STRS,
        "alcohol_use": BOOL,
        "spinal_fusion": BOOL,
        "liver_disease": BOOL,
        "kidney_disease": BOOL,
        "weight_kg": {"type": ["number", "null"], "exclusiveMinimum": 0},
        "weight": {"type": ["number", "string", "null"]},
        "pregnancy": {"enum": ["no", "pregnant", "planning", "breastfeeding", None]},
        "breathing_support": {
            "enum": ["none", "night-niv", "continuous-niv", "tracheostomy", None]
        },
        "feeding": {"enum": ["mouth", "tube", None]},
        "region": {"enum": ["US", "EU"]},
    },
    "additionalProperties": True,
}

ERROR_REF = {"$ref": "#/components/schemas/ErrorBody"}
FHIR_JSON = "application/fhir+json"
ERROR_TEXT = {
    "400": "The body is not UTF-8 text.",
    "404": "No such name (with 'did you mean' suggestions) or no such page.",
    "408": "The body did not arrive in time.",
    "413": "The request body is larger than 1 MB.",
    "422": "Bad input: the field (a path such as 'symptoms[0]', or 'body') and what is wrong.",
    "500": "A fault on the server's side (logged with the request id, also in X-Request-ID).",
}
ERROR_SCHEMA = {
    "type": "object",
    "title": "ErrorBody",
    "description": "The one error shape of every endpoint (and of the CLI with --json).",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["field", "message", "suggestions"],
            "properties": {
                "field": {"type": ["string", "null"]},
                "message": {"type": "string"},
                "suggestions": {"type": "array", "items": {"type": "string"}},
            },
        }
    },
}


def describe(schema: dict[str, Any]) -> dict[str, Any]:
    """FastAPI's document made true to the server: every 200 with its schema, the
    errors it answers (400, 404, 408, 413, 422, 500) in the one error shape (never
    FastAPI's ``{detail}``), ``application/fhir+json`` where served, enums and the
    required profile fields."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["ErrorBody"] = ERROR_SCHEMA
    for name in ("HTTPValidationError", "ValidationError", "ErrorDetail"):
        components.pop(name, None)
    for path, item in schema.get("paths", {}).items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            fhir = path.startswith("/fhir/")
            media = FHIR_JSON if fhir else "application/json"
            answers = op.setdefault("responses", {})
            ok = answers.setdefault("200", {"description": "Successful Response"})
            body = RESPONSES.get((path, method)) or RESPONSES.get((path, "get"), {})
            ok["content"] = {media: {"schema": body}}
            codes = ["422", "500"]
            if "{" in path:
                codes.append("404")
            if "requestBody" in op:
                codes += ["400", "408", "413"]
                content = op["requestBody"].get("content", {})
                if fhir and "application/json" in content:
                    content.setdefault(FHIR_JSON, content["application/json"])
            if "requestBody" not in op:
                answers.pop("413", None)
            for code in codes:
                answers[code] = {
                    "description": ERROR_TEXT[code],
                    "content": {"application/json": {"schema": ERROR_REF}},
                }
            for param in op.get("parameters", []):
                if path == "/api/treatments" and param["name"] == "domain":
                    param["schema"] = {
                        "anyOf": [{"type": "string", "enum": DOMAINS}, {"type": "null"}],
                        "title": "Domain",
                    }
            if (path, method) == ("/api/plan", "post"):
                op["requestBody"]["content"]["application/json"]["schema"] = {
                    **PROFILE_SCHEMA,
                    "examples": op["requestBody"]["content"]["application/json"]["schema"].get(
                        "examples", []
                    ),
                }
    return schema
