"""The inputs as a plan shows them back: the profile, field by field in plain words,
and which current medicines were checked against the label facts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..kb import KnowledgeBase
from .compiled import Compiled
from .profile import Profile

__all__ = ["medicines_checked", "profile_rows"]

_BREATHING_WORDS = {
    "none": "none",
    "night-niv": "non-invasive ventilation at night",
    "continuous-niv": "non-invasive ventilation day and night",
    "tracheostomy": "ventilation through a tracheostomy",
}
_REGION_NAMES = {"US": "United States (FDA labels)", "EU": "European Union (EMA labels)"}


def profile_rows(p: Profile, labels: Mapping[str, str], age_words: str) -> list[dict[str, str]]:
    """The profile as every format shows it back: one row per field, in plain words."""

    def names(ids: tuple[str, ...]) -> str:
        return ", ".join(labels[i] for i in ids) or "none given"

    return [
        {"field": "age_months", "label": "Age", "value": age_words},
        {
            "field": "sma_type",
            "label": "SMA type",
            "value": "unknown" if p.sma_type is None else str(p.sma_type),
        },
        {
            "field": "smn2_copies",
            "label": "SMN2 copies",
            "value": "unknown" if p.smn2_copies is None else str(p.smn2_copies),
        },
        {
            "field": "functional_status",
            "label": "Functional status",
            "value": p.functional_status or "unknown",
        },
        {"field": "symptoms", "label": "Symptoms", "value": names(p.symptoms)},
        {
            "field": "medications",
            "label": "Current medicines",
            "value": ", ".join(
                [labels[i] for i in p.medications]
                + [f"{n} (not checked)" for n in p.unchecked_medications]
            )
            or "none given",
        },
        {
            "field": "alcohol_use",
            "label": "Alcohol use",
            "value": "yes" if p.alcohol_use else "no",
        },
        {
            "field": "prior_treatments",
            "label": "Received before",
            "value": names(p.prior_treatments),
        },
        {
            "field": "spinal_fusion",
            "label": "Spinal fusion",
            "value": "yes" if p.spinal_fusion else "no",
        },
        {
            "field": "weight_kg",
            "label": "Weight",
            "value": "not given" if p.weight_kg is None else f"{p.weight_kg:g} kg",
        },
        {
            "field": "breathing_support",
            "label": "Breathing support",
            "value": _BREATHING_WORDS.get(p.breathing_support or "", "not given"),
        },
        {
            "field": "feeding",
            "label": "Feeding",
            "value": {"mouth": "by mouth", "tube": "by tube"}.get(p.feeding or "", "not given"),
        },
        {
            "field": "pregnancy",
            "label": "Pregnancy or breastfeeding",
            "value": p.pregnancy or "not given",
        },
        {
            "field": "liver_disease",
            "label": "Liver disease",
            "value": "yes" if p.liver_disease else "no",
        },
        {
            "field": "kidney_disease",
            "label": "Kidney disease",
            "value": "yes" if p.kidney_disease else "no",
        },
        {
            "field": "region",
            "label": "Region (whose labels apply)",
            "value": _REGION_NAMES[p.region],
        },
    ]


def medicines_checked(
    p: Profile, c: Compiled, kb: KnowledgeBase, labels: Mapping[str, str]
) -> dict[str, Any]:
    """Which current medicines were checked against the label facts, and which not."""
    checked = [
        {
            "name": labels[cid],
            "concept": cid,
            "classes": [
                kb.concepts[k].name
                for k in c.lineage[cid][1:]
                if kb.concepts[k].kind.value == "interaction_class"
            ],
        }
        for cid in p.medications
    ]
    if p.alcohol_use:
        checked.append({"name": "Alcohol", "concept": "alcohol", "classes": []})
    not_checked = list(p.unchecked_medications)
    if not_checked:
        note = (
            "smanav holds no interaction facts for "
            + ", ".join(not_checked)
            + ": ask the care team or a pharmacist to check "
            + ("it" if len(not_checked) == 1 else "them")
            + " against every option here."
        )
    elif checked:
        note = "Every current medicine listed was checked against the label facts smanav holds."
    else:
        note = "No current medicines were given."
    return {"checked": checked, "not_checked": not_checked, "note": note}
