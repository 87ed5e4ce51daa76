"""The planning rules as FHIR R4 PlanDefinitions, each citing its sources."""

from __future__ import annotations

import re
from typing import Any

from ..citations import source_when
from ..kb import KnowledgeBase
from ..settings import DISCLAIMER
from .codes import BASE, codeable_concept

__all__ = ["plan_definitions"]


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
    from ..plan.rules import CareStandardRule, CautionRule, OptionRule

    if isinstance(r, OptionRule):
        return f"Discuss {kb.name_of(r.offers)}"
    if isinstance(r, CareStandardRule):
        return f"{r.id} (care standard, for {r.applies_to})"
    if isinstance(r, CautionRule):
        return f"Caution: {r.id}"
    return f"Questions: {r.id}"


def plan_definitions(kb: KnowledgeBase) -> dict[str, Any]:
    """Every planning rule as a PlanDefinition, in a Bundle of type collection."""
    from ..plan.rules import DOMAIN_TITLES, check_rules, load_rules

    rs = load_rules()
    check_rules(rs, kb)
    sma = kb.concepts.get("sma")
    subject = codeable_concept(sma.name, [c.model_dump() for c in sma.codes]) if sma else None
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
            codeable_concept(kb.concepts[c].name, [x.model_dump() for x in kb.concepts[c].codes])
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
