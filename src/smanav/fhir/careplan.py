"""A plan as a FHIR R4 CarePlan: its options become activities (status ``proposal`` —
options to discuss, never orders) with their basis as notes and extensions."""

from __future__ import annotations

import hashlib
import html
import json
from typing import Any

from ..citations import citation_line
from ..models import ConceptKind
from ..settings import DISCLAIMER
from .codes import BASE, EXT, SUBJECT_DISPLAY, codeable_concept

__all__ = ["care_plan"]

ACTIVITY_STATUS = {
    "to_discuss": "not-started",
    "needs_review": "on-hold",
    "not_offered": "cancelled",
}
_KIND_REQUEST = {
    ConceptKind.drug.value: "MedicationRequest",
    ConceptKind.drug_class.value: "MedicationRequest",
    ConceptKind.gene_therapy.value: "MedicationRequest",
    ConceptKind.device.value: "DeviceRequest",
    ConceptKind.diet.value: "NutritionOrder",
}


def _narrative(title: str, lines: list[str]) -> dict[str, str]:
    items = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
    div = (
        f'<div xmlns="http://www.w3.org/1999/xhtml"><p><b>{html.escape(title)}</b></p>'
        f"<p>{html.escape(DISCLAIMER)}</p><ul>{items}</ul></div>"
    )
    return {"status": "generated", "div": div}


def _cite_text(ev: dict[str, Any]) -> str:
    """A citation line (as every output words it) with its quote."""
    quote = f": “{' '.join(ev['quote'].split())}”" if ev.get("quote") else ""
    return citation_line(ev) + quote


def _activity(o: dict[str, Any]) -> dict[str, Any]:
    from ..plan.render import fact_region, option_view

    view = option_view(o)
    name = o["name"] + (f" ({', '.join(o['brands'])})" if o["brands"] else "")
    notes = [f"Boxed warning ({c['rule']}): {c['text']}" for c in view["boxed"]]
    notes += [f"{view['why_title']}: {r}" for r in view["why_status"]]
    notes += [f"Why: {r}" for r in view["listed_reasons"]]
    notes += [f"Caution ({c['rule']}): {c['text']}" for c in view["other_cautions"]]
    for group in view["label_facts"]:
        notes += [f"{group['title']}: {f['text']}{fact_region(f)}" for f in group["rows"]]
    if o["side_effects"]:
        notes.append("Side effects to watch for: " + ", ".join(o["side_effects"]))
    notes += [f"Warning: {w['text']}" for w in o["warnings"]]
    notes += [f"Monitoring: {m['text']}" for m in o["monitoring"]]
    notes += [f"Evidence: {_cite_text(ev)}" for ev in o["evidence"]]
    rules = list(dict.fromkeys(b["rule"] for b in o["basis"]))
    detail: dict[str, Any] = {
        "kind": _KIND_REQUEST.get(o["kind"], "ServiceRequest"),
        "code": codeable_concept(name, o.get("codes", [])),
        "status": ACTIVITY_STATUS[o["status"]],
        "description": f"{name}: {o['status_text']}.",
        "instantiatesCanonical": [f"{BASE}/PlanDefinition/{r}" for r in rules],
    }
    if o["status"] != "to_discuss":
        detail["statusReason"] = {"text": f"{o['status_text']}: " + "; ".join(view["why_status"])}
    return {
        "extension": [
            {"url": f"{EXT}/option-status", "valueCode": o["status"]},
            {"url": f"{EXT}/option-concept", "valueString": o["concept"]},
            *({"url": f"{EXT}/rule", "valueString": r} for r in rules),
        ],
        "progress": [{"text": n} for n in notes],
        "detail": detail,
    }


def _standard_activity(st: dict[str, Any]) -> dict[str, Any]:
    return {
        "extension": [
            {"url": f"{EXT}/option-status", "valueCode": st["status"]},
            {"url": f"{EXT}/rule", "valueString": st["id"]},
        ],
        "progress": [{"text": f"Why: {r}"} for r in st["reasons"]]
        + [{"text": f"Evidence: {_cite_text(ev)}"} for ev in st["evidence"]],
        "detail": {
            "kind": "ServiceRequest",
            "code": {"text": f"{st['id']} ({st['label']})"},
            "status": "not-started",
            "description": f"{st['text']} (for {st['applies_to']})",
            "instantiatesCanonical": [f"{BASE}/PlanDefinition/{st['id']}"],
        },
    }


def care_plan(plan: dict[str, Any]) -> dict[str, Any]:
    """The plan as a FHIR R4 CarePlan (a dict): a proposal of options to discuss.

    A plan saved with the old status names (``suggested``, ``not_eligible``) is read
    with the current ones."""
    from ..plan.status import upgrade_plan

    plan = upgrade_plan(plan)
    g = plan["generated_from"]
    ident = hashlib.sha256(
        json.dumps([plan["profile"], g], sort_keys=True).encode("utf-8")
    ).hexdigest()[:16]
    from ..plan.render import medicines_lines, region_line

    meds = medicines_lines(plan)
    lines = [region_line(plan)]
    lines += [f"{o['name']}: {o['status_text']}" for o in plan["options"]]
    notes = [{"text": plan.get("disclaimer") or DISCLAIMER}]
    notes.append(
        {
            "text": f"{region_line(plan)}: who may receive a treatment, and its cautions, "
            "follow this region's labels."
        }
    )
    notes.append(
        {
            "text": "Current medicines checked against the label facts smanav holds: "
            + (", ".join(meds["checked"]) or "none")
            + "."
        }
    )
    if meds["not_checked"]:
        notes.append({"text": f"Not checked: {meds['note']}"})
    lines.append(meds["note"])
    notes += [{"text": f"Question for the care team: {q}"} for q in plan["questions"]]
    notes += [
        {
            "text": f"Source: {s['title']}, {s['publisher']}, {s['dated']}"
            + (f", {s['url']}" if s.get("url") else "")
        }
        for s in plan["sources"]
    ]
    notes.append(
        {
            "text": f"Generated by {g['generator']} from knowledge base {g['kb_version']} "
            f"and rules {g['rules_version']}."
        }
    )
    return {
        "resourceType": "CarePlan",
        "id": f"smanav-plan-{ident}",
        "text": _narrative("SMA care-discussion plan: options to discuss", lines),
        "extension": [
            {"url": f"{EXT}/profile", "valueString": json.dumps(plan["profile"], sort_keys=True)},
            {"url": f"{EXT}/region", "valueCode": plan.get("region") or "US"},
            *(
                {"url": f"{EXT}/medicine-not-checked", "valueString": name}
                for name in meds["not_checked"]
            ),
        ],
        "status": "draft",
        "intent": "proposal",
        "category": [{"text": "SMA care discussion (options to discuss with the care team)"}],
        "title": "SMA care-discussion plan",
        "description": plan.get("disclaimer") or DISCLAIMER,
        "subject": {"display": SUBJECT_DISPLAY},
        "activity": [_activity(o) for o in plan["options"]]
        + [_standard_activity(s) for s in plan["care_standards"]],
        "note": notes,
    }
