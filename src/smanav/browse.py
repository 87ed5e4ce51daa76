"""One function per browsing view; the CLI, the web pages and the API all call these.

Each returns a JSON-ready dict (with the disclaimer), as datasette computes a page
and its JSON twin from one function.
"""

from __future__ import annotations

from typing import Any

from .errors import InvalidInput
from .kb import KnowledgeBase
from .models import CareDomain, Predicate
from .settings import DISCLAIMER

__all__ = ["DOMAIN_NAMES", "show_concept", "sources_list", "symptoms_list", "treatments_list"]

DOMAIN_NAMES: dict[str, str] = {
    CareDomain.disease_modifying: "Disease-modifying therapy",
    CareDomain.symptom_medicines: "Symptom medicines",
    CareDomain.rehabilitation: "Rehabilitation and equipment",
    CareDomain.breathing: "Breathing",
    CareDomain.nutrition: "Nutrition and digestion",
    CareDomain.spine: "Spine and orthopaedics",
}


def parse_domain(domain: str | None) -> CareDomain | None:
    if domain is None:
        return None
    key = domain.strip().casefold().replace("_", "-").replace(" ", "-")
    for d in CareDomain:
        if key in (d.value, d.name.replace("_", "-"), DOMAIN_NAMES[d].casefold()):
            return d
    for d in CareDomain:
        if d.value.startswith(key) and key:
            return d
    raise InvalidInput("domain", f"{domain!r} is not a care domain", [d.value for d in CareDomain])


def _brief(kb: KnowledgeBase, cid: str) -> dict[str, Any]:
    c = kb.concepts[cid]
    return {
        "concept": c.id,
        "name": c.name,
        "kind": c.kind.value,
        "domain": c.domain.value if c.domain else None,
        "domain_name": DOMAIN_NAMES[c.domain] if c.domain else None,
        "brands": list(c.brands),
        "synonyms": list(c.synonyms),
    }


def treatments_list(kb: KnowledgeBase, domain: str | None = None) -> dict[str, Any]:
    d = parse_domain(domain)
    return {
        "domain": d.value if d else None,
        "treatments": [_brief(kb, c.id) for c in kb.treatments(d)],
        "disclaimer": DISCLAIMER,
    }


def helped_by(kb: KnowledgeBase, symptom_id: str) -> list[dict[str, Any]]:
    """Interventions the sources say may help a symptom, members of a class included."""
    out: dict[str, dict[str, Any]] = {}
    for a in kb.about(symptom_id):
        if a.predicate == Predicate.addresses_symptom and a.object == symptom_id:
            out.setdefault(a.subject, _brief(kb, a.subject))
    return sorted(out.values(), key=lambda t: (t["domain"] or "", t["name"]))


def symptoms_list(kb: KnowledgeBase) -> dict[str, Any]:
    rows = []
    for c in kb.symptoms():
        rows.append(
            {
                "concept": c.id,
                "name": c.name,
                "synonyms": list(c.synonyms),
                "lay_terms": list(c.lay_terms),
                "hpo": [code.code for code in c.codes if code.system == "HPO"],
                "helped_by": helped_by(kb, c.id),
            }
        )
    return {"symptoms": rows, "disclaimer": DISCLAIMER}


def sources_list(kb: KnowledgeBase) -> dict[str, Any]:
    counts: dict[str, int] = {}
    for a in kb.assertions.values():
        for sid in {ev.source for ev in a.evidence}:
            counts[sid] = counts.get(sid, 0) + 1
    rows = []
    for s in sorted(kb.sources.values(), key=lambda s: (s.publisher, s.title)):
        rows.append(
            {
                "source": s.id,
                "title": s.title,
                "publisher": s.publisher,
                "url": s.url,
                "kind": s.kind,
                "grade": s.grade,
                "date": s.last_updated.isoformat() if s.last_updated else None,
                "content_year": s.content_year,
                "retrieved": s.retrieved,
                "text_available": s.id in kb.texts,
                "statements": counts.get(s.id, 0),
            }
        )
    return {"sources": rows, "disclaimer": DISCLAIMER}


def show_concept(kb: KnowledgeBase, name: str) -> dict[str, Any]:
    """A concept by id (pages link by id) or by any name a person may use."""
    c = kb.concepts.get(name) or kb.resolve(name)
    result = kb.describe(c.id)
    result["query"] = name
    result["domain_name"] = DOMAIN_NAMES[c.domain] if c.domain else None
    if c.kind == "symptom":
        result["helped_by"] = helped_by(kb, c.id)
    result["disclaimer"] = DISCLAIMER
    return result
