"""Planning rules as data: one YAML file per care domain, validated on load.

Rules are kept apart from the engine (as medspaCy keeps its rules) so that a
clinician can read and check them, and so that an editor can point smanav at
another folder of rules. A rule is one of:

- ``option``: offer an intervention (a concept) when its condition holds, resting
  on knowledge-base assertions (the evidence is read through them);
- ``care_standard``: a row of the 2018 care-standard summaries, kept with its id
  (REH-NS-1 …) and cited by source and section;
- ``caution``: a caution (or a needs-review flag) on an option when the profile
  shows something that matters for it (spinal fusion, an earlier gene therapy);
- ``question``: only questions for the care team, when the profile leaves
  something open (functional status unknown).

Every problem is a DataError naming the file, the rule id and the field.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from ..browse import DOMAIN_NAMES
from ..errors import DataError
from ..kb import KnowledgeBase, read_yaml
from ..models import SLUG, CareDomain, ConceptKind
from .profile import BreathingSupport, FunctionalStatus, Pregnancy, Profile, Region

__all__ = [
    "DOMAINS",
    "DOMAIN_TITLES",
    "CareStandardRule",
    "CautionRule",
    "ClassCautionRule",
    "Condition",
    "breathing_risk",
    "OptionRule",
    "QuestionRule",
    "Rule",
    "RuleSet",
    "SectionCitation",
    "check_rules",
    "load_rules",
    "rules_root",
]

#: Plan sections, in the order a plan shows them: the care domains, then what
#: concerns every domain (acute care, immunisations, goals of care).
DOMAINS: tuple[str, ...] = (*(d.value for d in CareDomain), "general")
DOMAIN_TITLES: dict[str, str] = {
    **{str(d): name for d, name in DOMAIN_NAMES.items()},
    "general": "Acute care, immunisations and goals of care",
}
RuleDomain = Literal[
    "disease-modifying",
    "symptom-medicines",
    "rehabilitation",
    "breathing",
    "nutrition",
    "spine",
    "general",
]
RULE_ID = r"^[A-Za-z0-9][A-Za-z0-9-]*$"
Slug = Annotated[str, Field(pattern=SLUG)]
StatusOrUnknown = Literal["non-sitter", "sitter", "walker", "unknown"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Condition(_Model):
    """When a rule applies: every key given must hold; within a list, any entry."""

    always: bool = False
    functional_status: tuple[StatusOrUnknown, ...] = ()
    symptoms_any: tuple[Slug, ...] = ()
    age_min_months: float | None = Field(default=None, ge=0)
    age_max_months: float | None = Field(default=None, ge=0)
    sma_types: tuple[int | Literal["unknown", "presymptomatic"], ...] = ()
    spinal_fusion: bool | None = None
    alcohol_use: bool | None = None
    medications_any: tuple[Slug, ...] = ()
    prior_any: tuple[Slug, ...] = ()
    #: True: the person has symptoms or a type (not a presymptomatic newborn).
    symptomatic: bool | None = None
    #: True: weak breathing, breathing support, a non-sitter, or SMA type 0 or 1 —
    #: whoever a medicine that slows breathing could harm.
    breathing_at_risk: bool | None = None
    breathing_support: tuple[BreathingSupport, ...] = ()
    pregnancy: tuple[Pregnancy, ...] = ()
    region: tuple[Region, ...] = ()
    liver_disease: bool | None = None
    kidney_disease: bool | None = None

    @model_validator(mode="after")
    def _says_something(self) -> Condition:
        given = self.model_dump(exclude_defaults=True)
        if self.always and len(given) > 1:
            raise ValueError("'always: true' cannot be combined with other conditions")
        if not given:
            raise ValueError("an empty condition: say 'always: true' or name what must hold")
        return self

    def concept_ids(self) -> Iterator[tuple[str, str]]:
        """(field, concept id) pairs, for checking them against the knowledge base."""
        for name in ("symptoms_any", "medications_any", "prior_any"):
            for i, cid in enumerate(getattr(self, name)):
                yield f"{name}.{i}", cid

    def describe(self, name_of: Callable[[str], str] = str) -> str:
        """The condition in words, e.g. "functional status is non-sitter; symptom: Drooling"."""
        if self.always:
            return "always (everyone with SMA)"
        parts = []
        if self.functional_status:
            parts.append("functional status is " + " or ".join(self.functional_status))
        if self.symptoms_any:
            parts.append("symptom: " + " or ".join(name_of(s) for s in self.symptoms_any))
        if self.age_min_months is not None:
            parts.append(f"age at least {self.age_min_months:g} months")
        if self.age_max_months is not None:
            parts.append(f"age at most {self.age_max_months:g} months")
        if self.sma_types:
            parts.append("SMA type " + " or ".join(str(t) for t in self.sma_types))
        for flag, words in (("spinal_fusion", "spinal fusion"), ("alcohol_use", "alcohol use")):
            want = getattr(self, flag)
            if want is not None:
                parts.append(f"{words}: {'yes' if want else 'no'}")
        if self.medications_any:
            parts.append("takes " + " or ".join(name_of(c) for c in self.medications_any))
        if self.prior_any:
            parts.append("has received " + " or ".join(name_of(c) for c in self.prior_any))
        if self.symptomatic is not None:
            parts.append("has symptoms" if self.symptomatic else "presymptomatic")
        if self.breathing_at_risk is not None:
            parts.append(
                "breathing at risk (weak breathing, breathing support, non-sitter or type 0–1)"
                if self.breathing_at_risk
                else "breathing not at risk"
            )
        for name, words in (
            ("breathing_support", "breathing support"),
            ("pregnancy", "pregnancy"),
            ("region", "region"),
        ):
            if getattr(self, name):
                parts.append(f"{words} is " + " or ".join(getattr(self, name)))
        organs = (("liver_disease", "liver disease"), ("kidney_disease", "kidney disease"))
        for flag, words in organs:
            want = getattr(self, flag)
            if want is not None:
                parts.append(f"{words}: {'yes' if want else 'no'}")
        return "; ".join(parts)

    def matches(self, p: Profile) -> list[tuple[str, str]] | None:
        """The inputs that made the condition hold, as (field, value) pairs; None if not."""
        if self.always:
            return []
        hits: list[tuple[str, str]] = []
        status: FunctionalStatus | Literal["unknown"] = p.functional_status or "unknown"
        if self.functional_status:
            if status not in self.functional_status:
                return None
            hits.append(("functional_status", status))
        if self.symptoms_any:
            found = [s for s in self.symptoms_any if s in p.symptoms]
            if not found:
                return None
            hits += [("symptoms", s) for s in found]
        if self.age_min_months is not None or self.age_max_months is not None:
            lo, hi = self.age_min_months, self.age_max_months
            if (lo is not None and p.age_months < lo) or (hi is not None and p.age_months > hi):
                return None
            hits.append(("age_months", f"{p.age_months:g}"))
        if self.sma_types:
            t: int | Literal["unknown", "presymptomatic"] = (
                "unknown" if p.sma_type is None else p.sma_type
            )
            if t not in self.sma_types:
                return None
            hits.append(("sma_type", str(t)))
        if self.symptomatic is not None:
            if (p.sma_type != "presymptomatic") != self.symptomatic:
                return None
            if self.symptomatic is False:
                hits.append(("sma_type", "presymptomatic"))
        if self.breathing_at_risk is not None:
            why = breathing_risk(p)
            if bool(why) != self.breathing_at_risk:
                return None
            hits += why
        for name in ("breathing_support", "pregnancy", "region"):
            wanted_values = getattr(self, name)
            if wanted_values:
                value = getattr(p, name) or "none"
                if value not in wanted_values:
                    return None
                hits.append((name, value))
        for flag in ("spinal_fusion", "alcohol_use", "liver_disease", "kidney_disease"):
            want = getattr(self, flag)
            if want is not None:
                if getattr(p, flag) != want:
                    return None
                hits.append((flag, "yes" if want else "no"))
        lists = (
            ("medications", p.medications, self.medications_any),
            ("prior_treatments", p.prior_treatments, self.prior_any),
        )
        for name, given, wanted in lists:
            if wanted:
                found = [c for c in wanted if c in given]
                if not found:
                    return None
                hits += [(name, c) for c in found]
        return hits


#: Symptoms that mean weak breathing.
BREATHING_SYMPTOMS = ("respiratory-insufficiency",)


def breathing_risk(p: Profile) -> list[tuple[str, str]]:
    """Why a medicine that slows breathing needs a second look; [] when nothing says so."""
    why: list[tuple[str, str]] = []
    if p.breathing_support not in (None, "none"):
        why.append(("breathing_support", str(p.breathing_support)))
    why += [("symptoms", s) for s in BREATHING_SYMPTOMS if s in p.symptoms]
    if p.functional_status == "non-sitter":
        why.append(("functional_status", "non-sitter"))
    if p.sma_type in (0, 1):
        why.append(("sma_type", str(p.sma_type)))
    return why


class SectionCitation(_Model):
    """A citation by source and section heading (for sources smanav has no text of)."""

    source: Slug
    section: str = Field(min_length=1)


class _RuleBase(_Model):
    id: str = Field(pattern=RULE_ID)
    when: Condition
    questions: tuple[str, ...] = ()
    #: Assertions of the knowledge base the rule rests on.
    rests_on: tuple[Slug, ...] = ()


class OptionRule(_RuleBase):
    kind: Literal["option"]
    offers: Slug
    #: Our own words: why the option is discussed when the condition holds.
    because: str = Field(min_length=1)
    rests_on: tuple[Slug, ...] = Field(min_length=1)


class CareStandardRule(_RuleBase):
    kind: Literal["care_standard"]
    #: Our own words, summarising the care-standard row.
    text: str = Field(min_length=1)
    #: Who the row is for, as the summaries say (e.g. "sitters with a curve over 20°").
    applies_to: str = Field(min_length=1)
    evidence: tuple[SectionCitation, ...] = Field(min_length=1)
    #: True when the row rests on a secondary source only ([S]).
    secondary: bool = False
    #: Options the row brings into the plan (e.g. NIV for non-sitters).
    offers: tuple[Slug, ...] = ()
    #: Options the row speaks about: its id and citation are added to them when present.
    related: tuple[Slug, ...] = ()


class CautionRule(_RuleBase):
    kind: Literal["caution"]
    #: The options the caution is about ("on:" would read as a YAML boolean).
    options: tuple[Slug, ...] = Field(min_length=1)
    text: str = Field(min_length=1)
    #: What the option meets: a concept id, or an input (e.g. "spinal fusion").
    with_: str = Field(alias="with", min_length=1)
    effect: Literal["caution", "needs_review"] = "caution"
    rests_on: tuple[Slug, ...] = Field(min_length=1)

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class ClassCautionRule(_RuleBase):
    """A caution on every option in a class (CNS depressants, anticholinergics).

    With ``stacking: true`` it fires only when another member is already taken (or
    alcohol is used), naming what the option would add to; options of the class that
    are offered side by side get an "alternatives, not together" caution.
    """

    kind: Literal["class_caution"]
    classes: tuple[Slug, ...] = Field(min_length=1)
    text: str = Field(min_length=1)
    with_: str = Field(alias="with", min_length=1)
    effect: Literal["caution", "needs_review"] = "caution"
    stacking: bool = False
    rests_on: tuple[Slug, ...] = Field(min_length=1)

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class QuestionRule(_RuleBase):
    kind: Literal["question"]
    questions: tuple[str, ...] = Field(min_length=1)
    evidence: tuple[SectionCitation, ...] = ()

    @model_validator(mode="after")
    def _has_basis(self) -> QuestionRule:
        if not self.rests_on and not self.evidence:
            raise ValueError("a question rule needs rests_on or evidence")
        return self


AnyRule = OptionRule | CareStandardRule | CautionRule | ClassCautionRule | QuestionRule
Rule = Annotated[AnyRule, Field(discriminator="kind")]
_RULE: TypeAdapter[AnyRule] = TypeAdapter(Rule)


@dataclass
class RuleSet:
    """All rules, in file order within the plan's domain order."""

    rules: list[AnyRule] = field(default_factory=list)
    domain_of: dict[str, str] = field(default_factory=dict)
    origin: dict[str, str] = field(default_factory=dict)
    #: sha256 over the rule files: which rules made a plan.
    digest: str = ""

    def by_id(self, rid: str) -> AnyRule:
        for r in self.rules:
            if r.id == rid:
                return r
        raise KeyError(rid)


def rules_root() -> Traversable:
    return resources.files("smanav") / "data" / "rules"


def _load_file(file: Traversable, label: str) -> tuple[str, list[AnyRule]]:
    try:
        raw = read_yaml(file.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise DataError(label, None, None, f"not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise DataError(label, None, None, "expected a mapping with 'domain' and 'rules'")
    extra = set(raw) - {"domain", "rules"}
    if extra:
        raise DataError(label, None, sorted(extra)[0], "unknown key (expected domain, rules)")
    domain = raw.get("domain")
    if domain not in DOMAINS:
        raise DataError(label, None, "domain", f"{domain!r} is not one of {', '.join(DOMAINS)}")
    if label != f"rules/{domain}.yaml":
        raise DataError(label, None, "domain", f"a {domain} rule file is named {domain}.yaml")
    records = raw.get("rules")
    if not isinstance(records, list) or not records:
        raise DataError(label, None, "rules", "expected a non-empty list of rules")
    out = []
    for i, rec in enumerate(records):
        rid = str(rec.get("id") or f"#{i + 1}") if isinstance(rec, dict) else f"#{i + 1}"
        if not isinstance(rec, dict):
            raise DataError(label, rid, None, "expected a mapping")
        try:
            out.append(_RULE.validate_python(rec))
        except ValidationError as exc:
            err = exc.errors()[0]
            if err["type"] in ("union_tag_invalid", "union_tag_not_found"):
                kinds = "option, care_standard, caution, class_caution, question"
                raise DataError(
                    label, rid, "kind", f"{rec.get('kind')!r} is not a rule kind ({kinds})"
                ) from None
            loc = [str(p) for p in err["loc"]]
            # Drop the union tag pydantic puts first ("option", "care_standard", …).
            if loc and loc[0] == rec.get("kind"):
                loc = loc[1:]
            raise DataError(label, rid, ".".join(loc) or None, err["msg"]) from None
    return domain, out


def load_rules(root: Traversable | Path | None = None) -> RuleSet:
    """Read and validate every rule file (structure only; see check_rules for the KB)."""
    root = rules_root() if root is None else root
    files = sorted((f for f in root.iterdir() if f.name.endswith(".yaml")), key=lambda f: f.name)
    if not files:
        raise DataError(str(root), None, None, "no rule files (*.yaml) found")
    digest = hashlib.sha256()
    per_domain: dict[str, list[Any]] = {}
    rs = RuleSet()
    for f in files:
        label = f"rules/{f.name}"
        digest.update(f.name.encode() + b"\0" + f.read_bytes())
        domain, rules = _load_file(f, label)
        per_domain[domain] = rules
        for r in rules:
            if r.id in rs.origin:
                raise DataError(label, r.id, "id", f"duplicate rule id (also in {rs.origin[r.id]})")
            rs.origin[r.id] = label
            rs.domain_of[r.id] = domain
    rs.rules = [r for d in DOMAINS for r in per_domain.get(d, [])]
    rs.digest = digest.hexdigest()
    return rs


_KINDS_FOR = {
    "symptoms_any": {ConceptKind.symptom},
    "medications_any": {
        ConceptKind.drug,
        ConceptKind.drug_class,
        ConceptKind.gene_therapy,
        ConceptKind.substance,
        ConceptKind.interaction_class,
    },
}


def check_rules(rs: RuleSet, kb: KnowledgeBase) -> None:
    """Cross-check rules against the knowledge base: every id they name must exist."""
    for r in rs.rules:
        label = rs.origin[r.id]

        def fail(where: str, message: str, rid: str = r.id, label: str = label) -> None:
            raise DataError(label, rid, where, message)

        for i, aid in enumerate(r.rests_on):
            if aid not in kb.assertions:
                fail(f"rests_on.{i}", f"unknown assertion {aid!r}")
            elif kb.assertions[aid].contested_by:
                by = ", ".join(kb.assertions[aid].contested_by)
                fail(
                    f"rests_on.{i}",
                    f"{aid!r} is contested (by {by}): a rule may not rest on it",
                )
        for where, cid in r.when.concept_ids():
            c = kb.concepts.get(cid)
            if c is None:
                fail(f"when.{where}", f"unknown concept {cid!r}")
            elif c.kind not in _KINDS_FOR.get(where.split(".")[0], {c.kind}):
                fail(f"when.{where}", f"{cid!r} is a {c.kind.value}, not what this condition takes")
        if isinstance(r, OptionRule):
            c = kb.concepts.get(r.offers)
            if c is None:
                fail("offers", f"unknown concept {r.offers!r}")
            elif c.domain is None or c.domain.value != rs.domain_of[r.id]:
                fail("offers", f"{r.offers!r} is not in the {rs.domain_of[r.id]} care domain")
        if isinstance(r, CautionRule):
            for i, cid in enumerate(r.options):
                if cid not in kb.concepts:
                    fail(f"options.{i}", f"unknown concept {cid!r}")
        if isinstance(r, ClassCautionRule):
            for i, cid in enumerate(r.classes):
                if cid not in kb.concepts:
                    fail(f"classes.{i}", f"unknown concept {cid!r}")
        if isinstance(r, CareStandardRule):
            for name in ("offers", "related"):
                for i, cid in enumerate(getattr(r, name)):
                    con = kb.concepts.get(cid)
                    if con is None:
                        fail(f"{name}.{i}", f"unknown concept {cid!r}")
                    elif con.domain is None:
                        fail(f"{name}.{i}", f"{cid!r} is not a treatment or aid in a care domain")
        if isinstance(r, CareStandardRule | QuestionRule):
            for i, ev in enumerate(r.evidence):
                src = kb.sources.get(ev.source)
                if src is None:
                    fail(f"evidence.{i}.source", f"unknown source {ev.source!r}")
                elif isinstance(r, CareStandardRule) and src.content_year is None:
                    fail(
                        f"evidence.{i}.source",
                        f"{ev.source!r} has no content_year: care-standard rows are dated",
                    )
