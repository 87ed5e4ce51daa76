"""FHIR R4 views of plans and rules: a CarePlan per plan, PlanDefinitions for the rules.

So that smanav can sit beside an electronic health record: the plan's options
become CarePlan activities (status ``proposal`` — options to discuss, never
orders) with their basis as notes and extensions, and each planning rule becomes
a PlanDefinition citing its sources. Plain dicts are returned; fhir.resources
(the ``fhir`` extra, its R4B models) validates them in the tests and in
``validate``. It does not check required code values, so ``REQUIRED_CODES``
lists them and ``check_codes`` does.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Iterator
from typing import Any

from .citations import citation_line, source_when
from .errors import SmanavError
from .kb import KnowledgeBase
from .models import ConceptKind
from .settings import DISCLAIMER

__all__ = [
    "BASE",
    "REQUIRED_CODES",
    "care_plan",
    "check_codes",
    "plan_definitions",
    "validate",
]

#: Canonical base for smanav's own definitions (an example domain: nothing is served there).
BASE = "https://smanav.example.org/fhir"
EXT = f"{BASE}/StructureDefinition"
SUBJECT_DISPLAY = "Patient (not stored)"

SYSTEMS = {
    "ATC": "http://www.whocc.no/atc",
    "RxNorm": "http://www.nlm.nih.gov/research/umls/rxnorm",
    "SNOMED CT": "http://snomed.info/sct",
    "HPO": "http://human-phenotype-ontology.org",
    "MONDO": "http://purl.obolibrary.org/obo/mondo.owl",
    "ICD-10": "http://hl7.org/fhir/sid/icd-10",
    "ICD-10-CM": "http://hl7.org/fhir/sid/icd-10-cm",
    "OMIM": "https://omim.org",
    "Orphanet": "http://www.orpha.net",
    "MeSH": "http://id.nlm.nih.gov/mesh",
    "UMLS": "http://www.nlm.nih.gov/research/umls",
}

#: Required bindings fhir.resources does not enforce (R4B value sets).
REQUIRED_CODES: dict[str, frozenset[str]] = {
    "CarePlan.status": frozenset(
        {"draft", "active", "on-hold", "revoked", "completed", "entered-in-error", "unknown"}
    ),
    "CarePlan.intent": frozenset({"proposal", "plan", "order", "option"}),
    "CarePlan.activity.detail.status": frozenset(
        {
            "not-started",
            "scheduled",
            "in-progress",
            "on-hold",
            "completed",
            "cancelled",
            "stopped",
            "unknown",
            "entered-in-error",
        }
    ),
    "CarePlan.activity.detail.kind": frozenset(
        {
            "Appointment",
            "CommunicationRequest",
            "DeviceRequest",
            "MedicationRequest",
            "NutritionOrder",
            "Task",
            "ServiceRequest",
            "VisionPrescription",
        }
    ),
    "Narrative.status": frozenset({"generated", "extensions", "additional", "empty"}),
    "PlanDefinition.status": frozenset({"draft", "active", "retired", "unknown"}),
    "PlanDefinition.action.condition.kind": frozenset({"applicability", "start", "stop"}),
    "RelatedArtifact.type": frozenset(
        {
            "documentation",
            "justification",
            "citation",
            "predecessor",
            "successor",
            "derived-from",
            "depends-on",
            "composed-of",
        }
    ),
    "Bundle.type": frozenset(
        {
            "document",
            "message",
            "transaction",
            "transaction-response",
            "batch",
            "batch-response",
            "history",
            "searchset",
            "collection",
        }
    ),
}

#: Plan status -> activity status: an option to discuss has not started; a review is on
#: hold; an option not offered is cancelled.
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


def _concept(name: str, codes: list[dict[str, Any]]) -> dict[str, Any]:
    """A CodeableConcept: verified codes only (unverified ones are never passed on as fact)."""
    coding = [
        {"system": SYSTEMS[c["system"]], "code": c["code"]}
        for c in codes
        if c.get("status") == "verified" and c["system"] in SYSTEMS
    ]
    out: dict[str, Any] = {"text": name}
    if coding:
        out["coding"] = coding
    return out


def _cite_text(ev: dict[str, Any]) -> str:
    """A citation line (as every output words it) with its quote."""
    quote = f": “{' '.join(ev['quote'].split())}”" if ev.get("quote") else ""
    return citation_line(ev) + quote


def _activity(o: dict[str, Any]) -> dict[str, Any]:
    from .plan.render import fact_region, option_view

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
        "code": _concept(name, o.get("codes", [])),
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
    from .plan.status import upgrade_plan

    plan = upgrade_plan(plan)
    g = plan["generated_from"]
    ident = hashlib.sha256(
        json.dumps([plan["profile"], g], sort_keys=True).encode("utf-8")
    ).hexdigest()[:16]
    from .plan.render import medicines_lines, region_line

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


# --- the rules as PlanDefinitions ---------------------------------------------------
def _sentence(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith((".", "?")) else ".")


def _computable(rid: str) -> str:
    parts = re.split(r"[^A-Za-z0-9]+", rid)
    return "Rule" + "".join(p[:1].upper() + p[1:].lower() for p in parts if p)


def _source_artifact(kb: KnowledgeBase, sid: str, section: str | None, kind: str) -> dict[str, Any]:
    src = kb.sources[sid]
    when = source_when(kb.source_fields(sid))
    display = f"{src.title}, {src.publisher} ({when})" + (f"; section {section}" if section else "")
    out: dict[str, Any] = {"type": kind, "display": display}
    if src.url:
        out["url"] = src.url
    return out


def _rule_title(r: Any, kb: KnowledgeBase) -> str:
    from .plan.rules import CareStandardRule, CautionRule, OptionRule

    if isinstance(r, OptionRule):
        return f"Discuss {kb.name_of(r.offers)}"
    if isinstance(r, CareStandardRule):
        return f"{r.id} (care standard, for {r.applies_to})"
    if isinstance(r, CautionRule):
        return f"Caution: {r.id}"
    return f"Questions: {r.id}"


def plan_definitions(kb: KnowledgeBase) -> dict[str, Any]:
    """Every planning rule as a PlanDefinition, in a Bundle of type collection."""
    from .plan.rules import DOMAIN_TITLES, check_rules, load_rules

    rs = load_rules()
    check_rules(rs, kb)
    sma = kb.concepts.get("sma")
    subject = _concept(sma.name, [c.model_dump() for c in sma.codes]) if sma else None
    entries = []
    for r in rs.rules:
        kind = r.kind
        title = _rule_title(r, kb)
        text = getattr(r, "because", None) or getattr(r, "text", None) or "; ".join(r.questions)
        artifacts = [
            _source_artifact(kb, ev.source, ev.section, "citation")
            for ev in getattr(r, "evidence", ())
        ]
        for aid in r.rests_on:
            a = kb.assertions[aid]
            for ev in a.evidence:
                art = _source_artifact(kb, ev.source, ev.section, "justification")
                art["label"] = aid
                art["display"] = f"{kb.statement(a)} — {art['display']}"
                artifacts.append(art)
        action: dict[str, Any] = {
            "title": title,
            "description": text,
            "condition": [
                {
                    "kind": "applicability",
                    "expression": {
                        "description": r.when.describe(kb.name_of),
                        "language": "application/json",
                        "expression": r.when.model_dump_json(exclude_defaults=True),
                    },
                }
            ],
        }
        offered = (
            [getattr(r, "offers", None)] if kind == "option" else list(getattr(r, "offers", ()))
        )
        codes = [
            _concept(kb.concepts[c].name, [x.model_dump() for x in kb.concepts[c].codes])
            for c in offered
            if c
        ]
        if codes:
            action["code"] = codes
        resource: dict[str, Any] = {
            "resourceType": "PlanDefinition",
            "id": r.id,
            "url": f"{BASE}/PlanDefinition/{r.id}",
            "identifier": [{"system": f"{BASE}/rule-id", "value": r.id}],
            "version": rs.digest[:12],
            "name": _computable(r.id),
            "title": title,
            "type": {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/plan-definition-type",
                        "code": "clinical-protocol" if kind == "care_standard" else "eca-rule",
                    }
                ]
            },
            "status": "draft",
            "publisher": "smanav",
            "description": _sentence(text)
            + (" From care-standard summaries, 2018." if kind == "care_standard" else "")
            + " "
            + DISCLAIMER,
            "topic": [{"text": DOMAIN_TITLES[rs.domain_of[r.id]]}],
            "relatedArtifact": artifacts,
            "action": [action],
        }
        if subject:
            resource["subjectCodeableConcept"] = subject
        entries.append({"fullUrl": resource["url"], "resource": resource})
    return {
        "resourceType": "Bundle",
        "id": f"smanav-rules-{rs.digest[:12]}",
        "type": "collection",
        "entry": entries,
    }


# --- checking -----------------------------------------------------------------------
def _walk(obj: Any, path: str) -> Iterator[tuple[str, Any]]:
    if isinstance(obj, dict):
        rtype = obj.get("resourceType")
        here = rtype if isinstance(rtype, str) else path
        for k, v in obj.items():
            yield from _walk(v, f"{here}.{k}")
    elif isinstance(obj, list):
        for v in obj:
            yield from _walk(v, path)
    else:
        yield path, obj


_CODE_PATHS = {
    "CarePlan.status": "CarePlan.status",
    "CarePlan.intent": "CarePlan.intent",
    "CarePlan.activity.detail.status": "CarePlan.activity.detail.status",
    "CarePlan.activity.detail.kind": "CarePlan.activity.detail.kind",
    "CarePlan.text.status": "Narrative.status",
    "PlanDefinition.status": "PlanDefinition.status",
    "PlanDefinition.action.condition.kind": "PlanDefinition.action.condition.kind",
    "PlanDefinition.relatedArtifact.type": "RelatedArtifact.type",
    "Bundle.type": "Bundle.type",
}


def check_codes(resource: dict[str, Any]) -> list[str]:
    """Problems with required codes (fhir.resources does not check them): [] when fine."""
    problems = []
    for path, value in _walk(resource, ""):
        binding = _CODE_PATHS.get(path)
        if binding and value not in REQUIRED_CODES[binding]:
            problems.append(f"{path}: {value!r} is not in the required value set")
    return problems


def validate(resource: dict[str, Any]) -> None:
    """Validate with fhir.resources' R4B models and the required codes; raise if invalid."""
    try:
        from fhir.resources.R4B import get_fhir_model_class
    except ImportError:
        raise SmanavError(
            "FHIR validation needs the fhir extra: pip install 'smanav[fhir]'"
        ) from None
    model = get_fhir_model_class(resource["resourceType"])
    model.model_validate(resource)
    problems = check_codes(resource)
    if problems:
        raise SmanavError("; ".join(problems))
