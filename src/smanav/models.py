"""The knowledge model of DESIGN.md as typed, validating records.

Records are frozen pydantic models so that a bad data file fails on load, and
so that the CLI, the API and the Python API all hand out one shape.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "Assertion",
    "CareDomain",
    "Certainty",
    "Code",
    "Concept",
    "ConceptKind",
    "Evidence",
    "Predicate",
    "Qualifiers",
    "Source",
]

SLUG = r"^[a-z0-9][a-z0-9-]*$"


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CareDomain(StrEnum):
    disease_modifying = "disease-modifying"
    symptom_medicines = "symptom-medicines"
    rehabilitation = "rehabilitation"
    breathing = "breathing"
    nutrition = "nutrition"
    spine = "spine"


class ConceptKind(StrEnum):
    condition = "condition"
    sma_type = "sma_type"
    symptom = "symptom"
    drug = "drug"
    drug_class = "drug_class"
    gene_therapy = "gene_therapy"
    therapy = "therapy"
    device = "device"
    procedure = "procedure"
    diet = "diet"
    care_domain = "care_domain"
    organisation = "organisation"
    gene = "gene"
    protein = "protein"
    #: Alcohol, or a medicine outside SMA care that a caution names.
    substance = "substance"
    #: A group of medicines that act alike on safety (CNS depressants, anticholinergics,
    #: strong CYP1A2 inhibitors …): the interaction checker counts members, not names.
    interaction_class = "interaction_class"


#: Kinds a care plan can offer as an option.
INTERVENTION_KINDS = frozenset(
    {
        ConceptKind.drug,
        ConceptKind.drug_class,
        ConceptKind.gene_therapy,
        ConceptKind.therapy,
        ConceptKind.device,
        ConceptKind.procedure,
        ConceptKind.diet,
    }
)


class Predicate(StrEnum):
    definition = "definition"
    causes = "causes"
    has_symptom = "has_symptom"
    addresses_symptom = "addresses_symptom"
    member_of_class = "member_of_class"
    mechanism = "mechanism"
    indicated_for = "indicated_for"
    eligibility = "eligibility"
    approved_by = "approved_by"
    developed_by = "developed_by"
    route = "route"
    dosing = "dosing"
    side_effect = "side_effect"
    warning = "warning"
    do_not_combine_with = "do_not_combine_with"
    monitoring = "monitoring"
    evidence_in_sma = "evidence_in_sma"
    recommended_by = "recommended_by"
    treatment_note = "treatment_note"
    # Label safety facts (issue 9): each carries its region in the qualifiers.
    boxed_warning = "boxed_warning"
    #: Who or what must not receive it: a condition (qualifiers.condition), an age
    #: (qualifiers.age_*), or a medicine or interaction class (object).
    contraindication = "contraindication"
    #: A label interaction with a medicine or interaction class (object), and what the
    #: label says to do (qualifiers.effect).
    interaction = "interaction"
    #: Pregnancy, breastfeeding, contraception or fertility (qualifiers.topic).
    pregnancy = "pregnancy"
    #: What the sources could not confirm: shown as not known, never as fact.
    not_known = "not_known"


class Certainty(StrEnum):
    asserted = "asserted"
    hedged = "hedged"  # the source says "may", "can help"
    negated = "negated"  # the source says it is not so / was not tested


class Code(_Record):
    system: Literal[
        "HPO",
        "RxNorm",
        "ATC",
        "SNOMED CT",
        "MONDO",
        "Orphanet",
        "ICD-10",
        "ICD-10-CM",
        "ICD-11",
        "OMIM",
        "MeSH",
        "UMLS",
        "DrugBank",  # codes of drugs that ingest proposes (drug-named-entity-recognition)
    ]
    code: str = Field(min_length=1)
    status: Literal["verified", "unverified"]


class Source(_Record):
    """A document statements rest on: a corpus article (with text) or a cited URL."""

    id: str = Field(pattern=SLUG)
    title: str = Field(min_length=1)
    publisher: str = Field(min_length=1)
    url: str | None = None
    kind: Literal["article", "label", "regulator", "manufacturer", "news", "journal", "guideline"]
    grade: Literal["primary", "secondary"]
    last_updated: dt.date | None = None
    #: When we read it: "2026-11" (month precision is all the facts give).
    retrieved: str | None = Field(default=None, pattern=r"^\d{4}(-\d{2}(-\d{2})?)?$")
    #: A date the content refers to (e.g. the 2018 care standards it summarises).
    content_year: int | None = None
    #: For sources whose text a user may supply: its file name, length in code
    #: points and sha256, so locators are checked even when the text is absent.
    file: str | None = None
    length: int | None = Field(default=None, ge=1)
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")

    @model_validator(mode="after")
    def _text_fields_together(self) -> Source:
        given = [self.file is not None, self.length is not None, self.sha256 is not None]
        if any(given) and not all(given):
            raise ValueError("file, length and sha256 go together")
        if not self.file and not self.url:
            raise ValueError("a source needs a url or a file")
        return self

    @property
    def has_text(self) -> bool:
        return self.file is not None


class Evidence(_Record):
    """An evidence locator: code-point offsets plus the span's sha256, or a URL section."""

    source: str = Field(pattern=SLUG)
    start: int | None = Field(default=None, ge=0)
    end: int | None = Field(default=None, ge=1)
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    section: str | None = None

    @model_validator(mode="after")
    def _offsets_or_section(self) -> Evidence:
        offsets = [self.start is not None, self.end is not None, self.sha256 is not None]
        if any(offsets):
            if not all(offsets):
                raise ValueError("start, end and sha256 go together")
            assert self.start is not None and self.end is not None
            if self.end <= self.start:
                raise ValueError(f"end ({self.end}) must be after start ({self.start})")
        elif not self.section:
            raise ValueError("a locator needs offsets (start, end, sha256) or a section")
        return self


class Qualifiers(_Record):
    age_min_months: float | None = Field(default=None, ge=0)
    age_max_months: float | None = Field(default=None, ge=0)
    #: True when the upper bound itself is excluded ("under 2 years").
    age_max_exclusive: bool = False
    route: str | None = None
    agency: str | None = None
    date: dt.date | None = None
    #: Precision of `date`: sources often give only a year or month.
    date_precision: Literal["day", "month", "year"] = "day"
    #: Where a label fact holds: "US" (FDA), "EU" (EMA/EC), "CH", "UK"; None = not
    #: region-specific (an article, a care standard).
    region: Literal["US", "EU", "CH", "UK"] | None = None
    severity: str | None = None
    #: A profile condition a contraindication or caution is about.
    condition: (
        Literal[
            "liver_disease",
            "kidney_disease",
            "pregnant",
            "breastfeeding",
            "weak_breathing",
            "sleep_apnea",
        ]
        | None
    ) = None
    #: What a label says to do about an interaction or a pregnancy fact.
    effect: Literal["contraindicated", "avoid", "caution"] | None = None
    #: Which pregnancy-related topic a `pregnancy` fact is about.
    topic: Literal["pregnancy", "breastfeeding", "contraception", "fertility"] | None = None
    #: Genetic or size limits a label states beside the age (EU Zolgensma: type 1 or at
    #: most 3 SMN2 copies; the risdiplam tablet: 20 kg or more).
    sma_types: tuple[int, ...] = ()
    smn2_max: int | None = Field(default=None, ge=1, le=8)
    weight_min_kg: float | None = Field(default=None, gt=0)
    weight_max_kg: float | None = Field(default=None, gt=0)


class Concept(_Record):
    id: str = Field(pattern=SLUG)
    kind: ConceptKind
    name: str = Field(min_length=1)
    synonyms: tuple[str, ...] = ()
    brands: tuple[str, ...] = ()
    lay_terms: tuple[str, ...] = ()
    codes: tuple[Code, ...] = ()
    #: Care domain, for interventions (every intervention sits in one).
    domain: CareDomain | None = None

    @model_validator(mode="after")
    def _interventions_have_domain(self) -> Concept:
        if self.kind in INTERVENTION_KINDS and self.domain is None:
            raise ValueError(f"a {self.kind.value} needs a care domain")
        return self

    @property
    def all_names(self) -> tuple[str, ...]:
        return (self.name, *self.synonyms, *self.brands, *self.lay_terms)


class Assertion(_Record):
    id: str = Field(pattern=SLUG)
    subject: str = Field(pattern=SLUG)
    predicate: Predicate
    object: str | None = Field(default=None, pattern=SLUG)
    #: Our own words (never a copied sentence); the quote comes from the locator.
    value: str | None = None
    qualifiers: Qualifiers = Qualifiers()
    certainty: Certainty = Certainty.asserted
    evidence: tuple[Evidence, ...] = Field(min_length=1)
    status: Literal["curated", "extracted", "accepted", "rejected"] = "curated"
    confidence: float = Field(default=1.0, ge=0, le=1)
    #: When the statement was true according to its source (the source's date).
    as_of: dt.date | None = None
    #: Statements (ids) from a label or the care standards that contradict this one.
    #: A contested statement is shown beside its correction and no rule may use it.
    contested_by: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _object_or_value(self) -> Assertion:
        if self.object is None and not self.value:
            raise ValueError("an assertion needs an object concept or a value")
        return self
