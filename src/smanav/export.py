"""Export the published knowledge graph for developers and researchers.

JSON-LD (schema.org types, ontology IRIs for codes), CSV (one row per statement and
evidence locator) and FHIR (the plan rules as PlanDefinition resources). Exports
carry locators and our own words, never source text.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from .errors import InvalidInput
from .kb import KnowledgeBase
from .models import ConceptKind
from .settings import DISCLAIMER

__all__ = ["FORMATS", "export"]

FORMATS = ("jsonld", "csv", "fhir")

SCHEMA_TYPES: dict[ConceptKind, str] = {
    ConceptKind.condition: "schema:MedicalCondition",
    ConceptKind.sma_type: "schema:MedicalCondition",
    ConceptKind.symptom: "schema:MedicalSignOrSymptom",
    ConceptKind.drug: "schema:Drug",
    ConceptKind.drug_class: "schema:DrugClass",
    ConceptKind.gene_therapy: "schema:Drug",
    ConceptKind.therapy: "schema:MedicalTherapy",
    ConceptKind.device: "schema:MedicalDevice",
    ConceptKind.procedure: "schema:MedicalProcedure",
    ConceptKind.diet: "schema:Diet",
    ConceptKind.care_domain: "schema:MedicalSpecialty",
    ConceptKind.organisation: "schema:Organization",
    ConceptKind.gene: "schema:Gene",
    ConceptKind.protein: "schema:Protein",
    ConceptKind.substance: "schema:ChemicalSubstance",
    ConceptKind.interaction_class: "schema:DrugClass",
}

#: Codes become IRIs where the system has a standard one.
CODE_IRIS: dict[str, str] = {
    "HPO": "http://purl.obolibrary.org/obo/HP_{}",
    "MONDO": "http://purl.obolibrary.org/obo/MONDO_{}",
    "OMIM": "https://omim.org/entry/{}",
    "Orphanet": "http://www.orpha.net/ORDO/Orphanet_{}",
    "RxNorm": "http://purl.bioontology.org/ontology/RXNORM/{}",
    "ATC": "http://purl.bioontology.org/ontology/ATC/{}",
    "SNOMED CT": "http://snomed.info/id/{}",
}

CSV_COLUMNS = (
    "assertion",
    "subject",
    "subject_name",
    "predicate",
    "object",
    "object_name",
    "text",
    "certainty",
    "status",
    "as_of",
    "event_date",
    "source",
    "source_title",
    "publisher",
    "source_date",
    "url",
    "start",
    "end",
    "sha256",
    "section",
)


def _code_iri(system: str, code: str) -> str | None:
    pattern = CODE_IRIS.get(system)
    if pattern is None:
        return None
    return pattern.format(code.split(":", 1)[-1])


def to_jsonld(kb: KnowledgeBase) -> dict[str, Any]:
    graph: list[dict[str, Any]] = []
    for c in sorted(kb.concepts.values(), key=lambda c: c.id):
        node: dict[str, Any] = {
            "@id": f"smanav:concept/{c.id}",
            "@type": SCHEMA_TYPES[c.kind],
            "smanav:kind": c.kind.value,
            "schema:name": c.name,
        }
        alternates = [*c.synonyms, *c.brands, *c.lay_terms]
        if alternates:
            node["schema:alternateName"] = alternates
        if c.domain:
            node["smanav:careDomain"] = c.domain.value
        if c.codes:
            node["schema:code"] = [
                {
                    "@type": "schema:MedicalCode",
                    "schema:codingSystem": code.system,
                    "schema:codeValue": code.code,
                    "smanav:verification": code.status,
                }
                for code in c.codes
            ]
            same = [iri for code in c.codes if (iri := _code_iri(code.system, code.code))]
            if same:
                node["schema:sameAs"] = same
        graph.append(node)
    for a in sorted(kb.assertions.values(), key=lambda a: a.id):
        st = kb.statement_dict(a)
        node = {
            "@id": f"smanav:assertion/{a.id}",
            "@type": "smanav:Assertion",
            "smanav:subject": {"@id": f"smanav:concept/{a.subject}"},
            "smanav:predicate": a.predicate.value,
            "schema:description": st["text"],
            "smanav:certainty": a.certainty.value,
            "smanav:status": a.status,
            "smanav:evidence": [
                {k: v for k, v in ev.model_dump(mode="json").items() if v is not None}
                for ev in a.evidence
            ],
        }
        if a.object:
            node["smanav:object"] = {"@id": f"smanav:concept/{a.object}"}
        if a.as_of:
            node["smanav:asOf"] = a.as_of.isoformat()
        if st["qualifiers"]:
            node["smanav:qualifiers"] = st["qualifiers"]
        graph.append(node)
    for s in sorted(kb.sources.values(), key=lambda s: s.id):
        node = {
            "@id": f"smanav:source/{s.id}",
            "@type": "schema:CreativeWork",
            "schema:name": s.title,
            "schema:publisher": s.publisher,
        }
        if s.url:
            node["schema:url"] = s.url
        if s.last_updated:
            node["schema:dateModified"] = s.last_updated.isoformat()
        if s.sha256:
            node["smanav:sha256"] = s.sha256
        graph.append(node)
    return {
        "@context": {"schema": "https://schema.org/", "smanav": "urn:smanav:"},
        "smanav:version": kb.version,
        "schema:disambiguatingDescription": DISCLAIMER,
        "@graph": graph,
    }


def to_csv(kb: KnowledgeBase) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for a in sorted(kb.assertions.values(), key=lambda a: a.id):
        st = kb.statement_dict(a)
        for ev in a.evidence:
            src = kb.sources[ev.source]
            writer.writerow(
                [
                    a.id,
                    a.subject,
                    kb.name_of(a.subject),
                    a.predicate.value,
                    a.object or "",
                    kb.name_of(a.object) if a.object else "",
                    st["text"],
                    a.certainty.value,
                    a.status,
                    st["as_of"] or "",
                    st["date"] or "",
                    src.id,
                    src.title,
                    src.publisher,
                    src.last_updated.isoformat() if src.last_updated else "",
                    src.url or "",
                    "" if ev.start is None else ev.start,
                    "" if ev.end is None else ev.end,
                    ev.sha256 or "",
                    ev.section or "",
                ]
            )
    return buf.getvalue()


def export(kb: KnowledgeBase, fmt: str) -> str:
    """The knowledge graph as text in one of FORMATS."""
    key = fmt.strip().casefold().replace("-", "")
    if key in ("jsonld", "json"):
        return json.dumps(to_jsonld(kb), ensure_ascii=False, indent=2) + "\n"
    if key == "csv":
        return to_csv(kb)
    if key == "fhir":
        from .fhir import plan_definitions

        return json.dumps(plan_definitions(kb), ensure_ascii=False, indent=2) + "\n"
    raise InvalidInput(
        "--format", f"{fmt!r} is not an export format: use {', '.join(FORMATS)}", list(FORMATS)
    )
