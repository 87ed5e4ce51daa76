"""The plan wizard's form: its choices, form fields → profile, and errors → the field.

The profile is validated by ``smanav.plan.parse_profile`` (one set of rules for the
CLI, the API and this form); this module only maps its field names onto the
form's controls so that each message appears next to what the person typed.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from ..browse import DOMAIN_NAMES
from ..errors import InvalidInput
from ..kb import KnowledgeBase
from ..models import CareDomain
from ..settings import DISCLAIMER

__all__ = ["CONTROLS", "blank_form", "form_to_profile", "plan_from_form"]

#: Form controls, in page order; an error on a profile field lands on its control.
CONTROLS = (
    "age",
    "sma_type",
    "smn2_copies",
    "functional_status",
    "symptoms",
    "other_symptoms",
    "medications",
    "prior_treatments",
    "weight_kg",
    "breathing_support",
    "feeding",
    "pregnancy",
    "region",
    "alcohol_use",
    "spinal_fusion",
    "liver_disease",
    "kidney_disease",
)

#: Yes/no boxes: ticked is True, unticked False.
FLAGS = ("alcohol_use", "spinal_fusion", "liver_disease", "kidney_disease")
#: One-line text and single-choice controls, kept as typed or chosen.
TEXTS = (
    "age",
    "sma_type",
    "smn2_copies",
    "functional_status",
    "other_symptoms",
    "medications",
    "weight_kg",
    "breathing_support",
    "feeding",
    "pregnancy",
    "region",
)


@lru_cache(maxsize=1)
def _fixed_choices() -> dict[str, list[dict[str, str]]]:
    """The single-choice controls (``data/wizard_choices.yaml``): value and label."""
    text = resources.files("smanav").joinpath("data/wizard_choices.yaml").read_text("utf-8")
    data: dict[str, list[dict[str, str]]] = yaml.safe_load(text)
    return data


def _choices(kb: KnowledgeBase) -> dict[str, Any]:
    symptoms = [
        {
            "value": c.id,
            "label": c.name,
            "hint": ", ".join(c.lay_terms[:2]),
        }
        for c in kb.symptoms()
    ]
    prior = [
        {"value": c.id, "label": c.name + (f" ({', '.join(c.brands)})" if c.brands else "")}
        for c in kb.treatments(CareDomain.disease_modifying)
    ]
    return {
        **{k: [dict(c) for c in v] for k, v in _fixed_choices().items()},
        "symptoms": symptoms,
        "prior_treatments": prior,
        "domain_names": {str(d): n for d, n in DOMAIN_NAMES.items()},
    }


def blank_form(kb: KnowledgeBase) -> dict[str, Any]:
    return {
        "choices": _choices(kb),
        "values": {},
        "errors": {},
        "suggestions": {},
        "error": None,
        "problems": [],
        "disclaimer": DISCLAIMER,
    }


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]


def form_values(form: Mapping[str, Any]) -> dict[str, Any]:
    """What the person entered, kept as typed so the form shows it again."""
    getlist = getattr(form, "getlist", None)

    def many(name: str) -> list[str]:
        if getlist is not None:
            return [str(v) for v in getlist(name)]
        value = form.get(name)
        return [str(v) for v in value] if isinstance(value, list) else [str(value or "")]

    values: dict[str, Any] = {name: str(form.get(name) or "").strip() for name in TEXTS}
    values["symptoms"] = [v for v in many("symptoms") if v]
    values["prior_treatments"] = [v for v in many("prior_treatments") if v]
    for name in FLAGS:
        values[name] = str(form.get(name) or "") in ("yes", "on", "true", "1")
    return values


def form_to_profile(values: Mapping[str, Any]) -> dict[str, Any]:
    """The profile dict ``parse_profile`` reads (DESIGN.md's field names)."""
    if not values["age"]:
        raise InvalidInput("age", "is required: give the age in months (8) or as 8m, 3y, 2y6m")
    profile: dict[str, Any] = {"age": values["age"]}
    if values["sma_type"]:
        profile["sma_type"] = values["sma_type"]
    if values["smn2_copies"]:
        profile["smn2_copies"] = values["smn2_copies"]
    for name in (
        "functional_status",
        "weight_kg",
        "breathing_support",
        "feeding",
        "pregnancy",
        "region",
    ):
        if values.get(name):
            profile[name] = values[name]
    symptoms = list(values["symptoms"]) + _split(values["other_symptoms"])
    if symptoms:
        profile["symptoms"] = symptoms
    medications = _split(values["medications"])
    if medications:
        profile["medications"] = medications
    if values["prior_treatments"]:
        profile["prior_treatments"] = list(values["prior_treatments"])
    for name in FLAGS:
        profile[name] = bool(values.get(name))
    return profile


def control_of(field: str, values: Mapping[str, Any]) -> str:
    """Which form control a profile field error belongs to."""
    head = field.replace("[", ".").split(".")[0]
    if head in ("age", "age_months"):
        return "age"
    if head == "weight":
        return "weight_kg"
    if head == "symptoms":
        # Ticked boxes are ids the knowledge base knows; a bad one was typed.
        rest = field[len(head) :].strip(".[]")
        if rest.isdigit() and int(rest) < len(values["symptoms"]):
            return "symptoms"
        return "other_symptoms" if values["other_symptoms"] else "symptoms"
    return head if head in CONTROLS else "age"


def plan_from_form(
    kb: KnowledgeBase, form: Mapping[str, Any]
) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """(plan, form state); plan is None when a field is wrong, and the state says which."""
    state = blank_form(kb)
    values = form_values(form)
    state["values"] = values
    try:
        from ..plan import make_plan

        plan: dict[str, Any] = make_plan(form_to_profile(values), kb)
    except InvalidInput as exc:
        problems = []
        for err in getattr(exc, "errors", None) or [exc]:
            control = control_of(err.field, values)
            earlier = state["errors"].get(control)
            state["errors"][control] = f"{earlier} {err.message}." if earlier else f"{err.message}."
            if err.suggestions:
                state["suggestions"].setdefault(control, list(err.suggestions))
            problems.append({**err.to_dict(), "control": control})
        state["error"] = problems[0]
        state["problems"] = problems
        return None, state
    return plan, state
