"""The OpenAPI document made true to the server: each answer's schema and its errors.

FastAPI knows only that the routes return a ``Response`` (the library's dict,
serialised once); ``describe`` writes in what each 200 holds (the pydantic models of
``schemas``), the one error shape, ``application/fhir+json`` where served, and the
profile a plan is asked for.
"""

from __future__ import annotations

from typing import Any, get_args

from pydantic.json_schema import models_json_schema

from .schemas import RESPONSE_MODELS, Domain

__all__ = ["METHODS", "describe"]

METHODS = ("get", "post", "put", "patch", "delete")
DOMAINS = list(get_args(Domain))
STRS = {"type": "array", "items": {"type": "string"}}
BOOL = {"type": "boolean"}
REF = "#/components/schemas/{model}"


def _models() -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """The 200 schema of each operation (a $ref), and the component schemas they use."""
    models = sorted(set(RESPONSE_MODELS.values()), key=lambda m: m.__name__)
    refs, top = models_json_schema([(m, "serialization") for m in models], ref_template=REF)
    by_model = {m: refs[(m, "serialization")] for m in models}
    ops = {f"{m} {p}": by_model[model] for (p, m), model in RESPONSE_MODELS.items()}
    return ops, top.get("$defs", {})


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
    answers_of, defs = _models()
    components.update(defs)
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
            body = answers_of.get(f"{method} {path}")
            if body is not None:  # a route without a model keeps FastAPI's (a test fails)
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
