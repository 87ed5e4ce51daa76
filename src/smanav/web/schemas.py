"""What each API answer holds, as pydantic models: the OpenAPI document is made from them.

The routes answer with the library's dicts, serialised once (orjson), so these models
document the answers and the fuzz test (schemathesis) checks every answer against them;
they do not re-validate each response. Every model allows more keys than it lists: an
answer may gain a key, and a client must not break on it.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..plan.status import STATUS_LABELS, STATUSES

__all__ = ["RESPONSE_MODELS"]

Domain = Literal[
    "disease-modifying", "symptom-medicines", "rehabilitation", "breathing", "nutrition", "spine"
]


class Open(BaseModel):
    model_config = ConfigDict(extra="allow")


# --- the knowledge base: treatments, symptoms, sources ------------------------------
class Statement(Open):
    """A statement as ``browse.statement_view`` gives it, with its evidence."""

    id: str
    subject: str
    predicate: str
    text: str
    certainty: str
    object: str | None = None
    object_name: str | None = None
    status: str = ""
    date: str | None = None
    evidence: list[dict[str, Any]] = Field(default_factory=list)
    contested_by: list[dict[str, Any]] = Field(default_factory=list)


class Brief(Open):
    concept: str
    name: str
    kind: str
    domain: str | None = None
    brands: list[str] = Field(default_factory=list)


class Code(Open):
    system: str
    code: str


class ConceptAnswer(Open):
    """One concept (``smanav show NAME --json``) with Safety first and every section."""

    concept: str
    name: str
    kind: str
    brands: list[str]
    synonyms: list[str]
    lay_terms: list[str]
    codes: list[Code]
    disclaimer: str
    domain: str | None = None
    what_it_is: list[Statement] = Field(default_factory=list)
    for_whom: list[Statement] = Field(default_factory=list)
    side_effects: list[Statement] = Field(default_factory=list)
    safety: list[Statement] = Field(default_factory=list)
    cautions: list[Statement] = Field(default_factory=list)


class DomainGroup(Open):
    domain: str
    name: str
    options: list[Brief]


class SymptomAnswer(ConceptAnswer):
    """A symptom, and what the sources say may help it, by care domain."""

    by_domain: list[DomainGroup]


class TreatmentRow(Open):
    concept: str
    name: str
    kind: str
    domain: str | None
    brands: list[str]


class TreatmentList(Open):
    domain: Domain | None
    treatments: list[TreatmentRow]
    disclaimer: str


class SymptomRow(Open):
    concept: str
    name: str
    lay_terms: list[str]
    helped_by: list[Brief]


class SymptomList(Open):
    symptoms: list[SymptomRow]
    disclaimer: str


class Fact(Open):
    id: str
    subject: str
    text: str


class StaleFact(Open):
    """A statement of this source on which a later source says something different."""

    id: str
    newer: list[dict[str, Any]]


class SourceRow(Open):
    source: str
    title: str
    publisher: str
    kind: str
    statements: int
    facts: list[Fact]
    stale: list[StaleFact]
    url: str | None = None
    date: str | None = None
    text_available: bool = False


class SourcePage(Open):
    """One page of sources (``smanav sources --json``), with stale-source notices."""

    sources: list[SourceRow]
    total: int
    offset: int
    limit: int | None
    next: str | None
    previous: str | None
    stale_count: int
    disclaimer: str


# --- search and ask -----------------------------------------------------------------
class Hit(Open):
    concept: str
    name: str
    kind: str
    score: float


class Passage(Open):
    source: str
    start: int
    end: int
    quote: str
    score: float


class SearchAnswer(Open):
    query: str
    concepts: list[Hit]
    passages: list[Passage]
    disclaimer: str
    recognised: list[dict[str, Any]] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)


class Citation(Open):
    source: str
    start: int | None
    end: int | None
    quote: str | None


class AskAnswer(Open):
    question: str
    answer: str
    found: bool
    citations: list[Citation]
    statements: list[Statement]
    disclaimer: str
    concepts: list[dict[str, Any]] = Field(default_factory=list)
    not_covered: list[Any] = Field(default_factory=list)


# --- the plan -----------------------------------------------------------------------
class PlanOption(Open):
    concept: str
    name: str
    kind: str
    #: Never advice (issue 10; ``suggested`` and ``not_eligible`` before).
    status: str = Field(
        json_schema_extra={
            "enum": list(STATUSES),
            "description": "; ".join(f"{s}: {STATUS_LABELS[s]}" for s in STATUSES)
            + ". Names before issue 10: suggested (now to_discuss), "
            "not_eligible (now not_offered).",
        }
    )
    reasons: list[Any]
    domain: str | None = None
    cautions: list[Any] = Field(default_factory=list)
    boxed_warnings: list[Any] = Field(default_factory=list)


class PlanProfile(Open):
    age_months: float
    medications: list[str]


class PlanDomain(Open):
    domain: str
    name: str
    options: list[Any]


class PlanSummary(Open):
    to_discuss: int
    not_offered: int
    needs_review: int


class PlanMedicines(Open):
    checked: list[Any]
    not_checked: list[Any]


class Plan(Open):
    """A care-discussion plan: options to discuss with the care team, never advice."""

    profile: PlanProfile
    options: list[PlanOption]
    domains: list[PlanDomain]
    summary: PlanSummary
    medicines: PlanMedicines
    region: Literal["US", "EU"]
    sources: list[dict[str, Any]]
    disclaimer: str
    care_standards: list[dict[str, Any]] = Field(default_factory=list)
    questions: list[Any] = Field(default_factory=list)


class ApiIndex(Open):
    endpoints: list[str]
    openapi: str
    docs: str
    disclaimer: str


# --- FHIR and CDS Hooks -------------------------------------------------------------
class PlanDefinitionResource(Open):
    resourceType: Literal["PlanDefinition"]


class PlanDefinitionEntry(Open):
    resource: PlanDefinitionResource


class PlanDefinitionBundle(Open):
    resourceType: Literal["Bundle"]
    entry: list[PlanDefinitionEntry]


class Reference(Open):
    reference: str = ""


class Annotation(Open):
    text: str


class CarePlan(Open):
    resourceType: Literal["CarePlan"]
    status: Literal["draft"]
    intent: Literal["proposal"]
    subject: Reference = Field(default_factory=Reference)
    activity: list[dict[str, Any]] = Field(default_factory=list)
    note: list[Annotation] = Field(default_factory=list)


class CdsService(Open):
    hook: str
    id: str
    prefetch: dict[str, Any]


class CdsServices(Open):
    services: list[CdsService]


class CardSource(Open):
    label: str


class Card(Open):
    summary: str = Field(max_length=140)
    indicator: Literal["info", "warning", "critical"]
    source: CardSource


class CdsCards(Open):
    cards: list[Card]


#: The 200 answer of each operation, by path and method.
RESPONSE_MODELS: dict[tuple[str, str], type[BaseModel]] = {
    ("/api/", "get"): ApiIndex,
    ("/api/treatments", "get"): TreatmentList,
    ("/api/treatments/{name}", "get"): ConceptAnswer,
    ("/api/symptoms", "get"): SymptomList,
    ("/api/symptoms/{name}", "get"): SymptomAnswer,
    ("/api/sources", "get"): SourcePage,
    ("/api/search", "get"): SearchAnswer,
    ("/api/ask", "get"): AskAnswer,
    ("/api/ask", "post"): AskAnswer,
    ("/api/plan", "post"): Plan,
    ("/fhir/PlanDefinition", "get"): PlanDefinitionBundle,
    ("/fhir/CarePlan/$generate", "post"): CarePlan,
    ("/cds-services", "get"): CdsServices,
    ("/cds-services/smanav-patient-view", "post"): CdsCards,
}
