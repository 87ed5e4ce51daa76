"""The plan engine: a profile and the rules in, a care-discussion plan out.

Deterministic (no clock, no randomness, ordered output) and explained: every
option says which inputs and which rule brought it in, what rules it out or
needs a second look, which caution fired and why, and the evidence behind it.
Options are things to discuss with the care team, never instructions.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .._version import __version__
from ..kb import KnowledgeBase
from ..models import Assertion, Concept
from ..settings import DISCLAIMER
from . import safety
from .compiled import CARE_STANDARD_LABEL, Compiled, ReadOnlyList, compiled
from .inputs import medicines_checked, profile_rows
from .profile import MIN_PREGNANCY_AGE_MONTHS, Profile, format_age, parse_profile
from .rules import (
    DOMAIN_TITLES,
    DOMAINS,
    CareStandardRule,
    CautionRule,
    ClassCautionRule,
    RuleSet,
)
from .status import STATUS_LABELS, STATUSES, TO_DISCUSS

__all__ = ["CARE_STANDARD_LABEL", "STATUS_LABELS", "make_plan"]

#: Engine-level rule ids, documented beside the data rules (README, plan section).
CURRENT_MEDICATION = "current-medication"
SAME_CLASS = "same-class"
ALREADY_TAKEN = "already-taken"
DO_NOT_COMBINE = "do-not-combine"

_INPUT_FIELDS = {
    "functional_status": "functional status",
    "symptoms": "symptom",
    "age_months": "age",
    "sma_type": "SMA type",
    "spinal_fusion": "spinal fusion",
    "alcohol_use": "alcohol use",
    "medications": "current medicine",
    "prior_treatments": "received before",
    "pregnancy": "pregnancy",
    "breathing_support": "breathing support",
    "liver_disease": "liver disease",
    "kidney_disease": "kidney disease",
    "region": "region",
    "feeding": "feeding",
    "weight_kg": "weight (kg)",
}


_NONE = ReadOnlyList()


# --- one plan -----------------------------------------------------------------------
_RANK = {s: i for i, s in enumerate(STATUSES)}
_DOMAIN_ORDER = {d: i for i, d in enumerate(DOMAINS)}


@dataclass(slots=True)
class _Option:
    concept: Concept
    order: int
    status: str = TO_DISCUSS
    reasons: list[str] = field(default_factory=list)
    basis: list[dict[str, Any]] = field(default_factory=list)
    assertions: list[str] = field(default_factory=list)
    sections: list[dict[str, Any]] = field(default_factory=list)
    cautions: list[dict[str, Any]] = field(default_factory=list)
    eligibility: list[dict[str, Any]] = field(default_factory=list)
    care_standards: list[str] = field(default_factory=list)

    def flag(self, status: str) -> None:
        """Statuses only get more careful: not_offered > needs_review > to_discuss."""
        if _RANK[status] > _RANK[self.status]:
            self.status = status


class _Planner:
    """One plan's state; everything it reads from the knowledge base comes from ``c``."""

    def __init__(self, p: Profile, kb: KnowledgeBase, c: Compiled) -> None:
        self.p, self.kb, self.c = p, kb, c
        self.labels = c.labels
        self.age_words = format_age(p.age_months)
        self.options: dict[str, _Option] = {}
        self.questions: dict[str, list[str]] = {d: [] for d in DOMAINS}
        self.standards: list[dict[str, Any]] = []
        #: Sources cited anywhere in the plan, for its source list.
        self.used: set[str] = set()
        #: The label conditions the profile presents (weak breathing, liver disease …).
        self.conditions = safety.profile_conditions(p)

    def cite(self, aid: str) -> list[dict[str, Any]]:
        self.used.update(self.c.cite_sources[aid])
        return self.c.cites[aid]

    # -- words --------------------------------------------------------------------
    def input_words(self, hits: list[tuple[str, str]]) -> str:
        if not hits:
            return "always discussed (everyone with SMA)"
        words = []
        for f, v in hits:
            if f == "age_months":
                v = self.age_words
            elif f in ("symptoms", "medications", "prior_treatments"):
                v = self.labels[v]
            words.append(f"{_INPUT_FIELDS[f]}: {v}")
        return "; ".join(words)

    def ask(self, domain: str, questions: tuple[str, ...]) -> None:
        if not questions:
            return
        bucket = self.questions[domain]
        for q in questions:
            if q not in bucket:
                bucket.append(q)

    def option(self, cid: str) -> _Option:
        opt = self.options.get(cid)
        if opt is None:
            opt = _Option(self.kb.concepts[cid], len(self.options))
            self.options[cid] = opt
        return opt

    def add_basis(
        self, opt: _Option, rule: str, hits: list[tuple[str, str]], text: str, aids: Iterable[str]
    ) -> None:
        aids = list(aids)
        opt.reasons.append(f"{self.input_words(hits)} → {text} (rule {rule})")
        opt.basis.append(
            {
                "rule": rule,
                "inputs": [{"field": f, "value": v} for f, v in hits],
                "assertions": aids,
            }
        )
        opt.assertions.extend(a for a in aids if a not in opt.assertions)

    # -- steps --------------------------------------------------------------------
    def run(self) -> None:
        domain_of = self.c.rules.domain_of
        for r in self.c.option_rules:
            hits = r.when.matches(self.p)
            if hits is not None:
                self.add_basis(self.option(r.offers), r.id, hits, r.because, r.rests_on)
                self.ask(domain_of[r.id], r.questions)
        self.current_medications()
        for s in self.c.standards:
            hits = s.when.matches(self.p)
            if hits is not None:
                self.care_standard(s, hits)
                self.ask(domain_of[s.id], s.questions)
        for q in self.c.questions:
            if q.when.matches(self.p) is not None:
                self.ask(domain_of[q.id], q.questions)
        for opt in list(self.options.values()):
            safety.eligibility(self, opt)
            safety.apply_safety(self, opt)
            safety.member_limits(self, opt)
            self.interactions(opt)
        for ccr in self.c.class_cautions:
            hits = ccr.when.matches(self.p)
            if hits is not None:
                self.class_caution(ccr, hits)
                self.ask(domain_of[ccr.id], ccr.questions)
        for cr in self.c.cautions:
            hits = cr.when.matches(self.p)
            if hits is None:
                continue
            for cid in cr.options:
                if cid in self.options:
                    self.rule_caution(self.options[cid], cr, hits)
            self.ask(domain_of[cr.id], cr.questions)

    def current_medications(self) -> None:
        """Medicines already taken are listed, so the team reviews them with the rest."""
        for cid in self.p.medications:
            if self.kb.concepts[cid].domain is None:
                continue
            self.add_basis(
                self.option(cid),
                CURRENT_MEDICATION,
                [("medications", cid)],
                "already taken: listed so the care team can review it with this plan",
                self.c.concepts[cid].medication_basis,
            )

    def care_standard(self, s: CareStandardRule, hits: list[tuple[str, str]]) -> None:
        parts = self.c.standard_parts[s.id]
        self.used.update(parts.sources)
        label, words = parts.label, self.input_words(hits)
        inputs = [{"field": f, "value": v} for f, v in hits]
        for cid in s.offers:
            offered = self.option(cid)
            offered.reasons.append(f"{words} → {s.text} (care standard {s.id}, {label})")
            offered.basis.append({"rule": s.id, "inputs": inputs, "assertions": []})
        related: list[str] = []
        for cid in (*s.offers, *s.related):
            opt = self.options.get(cid)
            if opt is None:
                continue
            if s.id not in opt.care_standards:
                opt.care_standards.append(s.id)
                opt.sections.extend(parts.evidence)
            related.append(cid)
        self.standards.append(
            {
                "id": s.id,
                "domain": self.c.rules.domain_of[s.id],
                "text": s.text,
                "applies_to": s.applies_to,
                "status": "to_discuss",
                "label": label,
                "secondary": s.secondary,
                "reasons": [f"{words} → care standard {s.id} ({label})"],
                "related": related,
                "evidence": parts.evidence,
            }
        )

    def caution(
        self, opt: _Option, text: str, with_: str, concept: str | None, rule: str, aids: list[str]
    ) -> None:
        evidence = [e for aid in aids for e in self.cite(aid)]
        if any(c["text"] == text for c in opt.cautions):
            return
        opt.cautions.append(
            {"text": text, "with": with_, "concept": concept, "rule": rule, "evidence": evidence}
        )

    def interactions(self, opt: _Option) -> None:
        """Cautions the knowledge base implies: combinations, same class, already taken."""
        cid = opt.concept.id
        p, lineage, labels, c = self.p, self.c.lineage, self.labels, self.c
        if cid in p.medications:
            self.caution(
                opt,
                f"{labels[cid]} is already taken (listed as a current medicine).",
                labels[cid],
                cid,
                ALREADY_TAKEN,
                [],
            )
        if cid in p.prior_treatments:
            self.caution(
                opt,
                f"{labels[cid]} has been received before (listed as a prior treatment).",
                labels[cid],
                cid,
                ALREADY_TAKEN,
                [],
            )
        mine = lineage[cid]
        my_combinations = c.concepts[cid].do_not_combine
        for other in p.medications:
            theirs = lineage[other]
            if other != cid:
                shared = next((k for k in mine if k in theirs and k in c.drug_classes), None)
                if shared is not None:
                    links = self.class_links(cid, shared) + self.class_links(other, shared)
                    cls = self.kb.concepts[shared].name.lower()
                    if shared == cid:
                        text = f"{labels[other]}, already taken, is one of the {cls}."
                    else:
                        text = (
                            f"{labels[other]}, already taken, is also one of the {cls}: "
                            "two medicines from the same class."
                        )
                    self.caution(opt, text, labels[other], other, SAME_CLASS, links)
            # Combinations the sources warn about, in either direction.
            for combinations, y in (
                (my_combinations, theirs),
                (c.concepts[other].do_not_combine, mine),
            ):
                for obj, aid, statement in combinations:
                    if obj in y:
                        self.caution(
                            opt,
                            f"{statement} (current medicine: {labels[other]})",
                            labels[other],
                            other,
                            DO_NOT_COMBINE,
                            [aid],
                        )
        if p.alcohol_use:
            for obj, aid, statement in my_combinations:
                if obj == "alcohol":
                    self.caution(
                        opt,
                        f"{statement} (the profile says alcohol is used)",
                        "Alcohol",
                        "alcohol",
                        DO_NOT_COMBINE,
                        [aid],
                    )

    def source_words(self, a: Assertion) -> str:
        """Where a fact comes from, short: "Biogen, checked 2026-11; US label"."""
        return self.c.short_cites[a.id]

    def class_caution(self, r: ClassCautionRule, hits: list[tuple[str, str]]) -> None:
        """A class's caution on every option in the class (sedatives and weak breathing),
        or, for stacking rules, on every option that would add to a current medicine."""
        lineage, labels, p = self.c.lineage, self.labels, self.p
        members = [cid for cid in self.options if set(lineage[cid]) & set(r.classes)]
        if not members:
            return
        for cid in members:
            opt = self.options[cid]
            inputs = list(hits)
            if r.stacking:
                current = [
                    m for m in p.medications if m != cid and set(lineage[m]) & set(r.classes)
                ]
                if p.alcohol_use and set(lineage.get("alcohol", ())) & set(r.classes):
                    current.append("alcohol")
                offered = [
                    m for m in members if m != cid and m not in p.medications and m not in current
                ]
                if offered and cid not in p.medications:
                    names = ", ".join(labels[m] for m in offered)
                    self.caution(
                        opt,
                        f"{labels[cid]} is listed beside {names}: they are alternatives, not "
                        f"to be taken together — {r.text}",
                        names,
                        None,
                        r.id,
                        list(r.rests_on),
                    )
                if not current:
                    continue
                names = ", ".join(labels[m] for m in current)
                text = f"{labels[cid]} would add to {names} (already taken): {r.text}"
                inputs += [("medications", m) for m in current]
            else:
                text = r.text
            with_ = r.with_
            self.caution(opt, text, with_, None, r.id, list(r.rests_on))
            if r.effect == "needs_review":
                opt.flag("needs_review")
                opt.reasons.append(f"{self.input_words(inputs)} → {text} (rule {r.id})")
                opt.basis.append(
                    {
                        "rule": r.id,
                        "inputs": [{"field": f, "value": v} for f, v in inputs],
                        "assertions": list(r.rests_on),
                    }
                )

    def class_links(self, cid: str, cls: str) -> list[str]:
        """member_of_class assertions on the path from a concept up to a class."""
        out = []
        for k in self.c.lineage[cid]:
            if k == cls:
                break
            out += [
                a.id
                for a in self.c.by_pred.get((k, "member_of_class"), [])
                if a.object in self.c.lineage[cid]
            ]
        return out

    def rule_caution(self, opt: _Option, cr: CautionRule, hits: list[tuple[str, str]]) -> None:
        with_ = self.labels[cr.with_] if cr.with_ in self.kb.concepts else cr.with_
        concept = cr.with_ if cr.with_ in self.kb.concepts else None
        # A rule's caution says more than the generic "already taken" one: keep one.
        opt.cautions = [
            c for c in opt.cautions if not (c["rule"] == ALREADY_TAKEN and c["concept"] == concept)
        ]
        self.caution(opt, cr.text, with_, concept, cr.id, list(cr.rests_on))
        if cr.effect == "needs_review":
            opt.flag("needs_review")
            why = (
                self.input_words(hits)
                if hits
                else f"whenever {self.labels[opt.concept.id]} is listed"
            )
            opt.reasons.append(f"{why} → {cr.text} (rule {cr.id})")
            opt.basis.append(
                {
                    "rule": cr.id,
                    "inputs": [{"field": f, "value": v} for f, v in hits],
                    "assertions": list(cr.rests_on),
                }
            )

    # -- output -------------------------------------------------------------------
    def option_dict(self, opt: _Option) -> dict[str, Any]:
        c = self.c
        parts = c.concepts[opt.concept.id]
        self.used.update(parts.fact_sources)
        evidence: list[dict[str, Any]] = []
        for aid in opt.assertions:
            self.used.update(c.cite_sources[aid])
            evidence += c.unique_cites[aid]
        evidence += opt.sections
        return {
            **parts.head,
            "status": opt.status,
            "status_text": STATUS_LABELS[opt.status],
            "reasons": opt.reasons,
            "cautions": opt.cautions,
            "boxed_warnings": parts.boxed_warnings,
            "contraindications": parts.contraindications,
            "interactions": parts.interactions,
            # Pregnancy, contraception and fertility facts are for the person the plan is
            # for: not shown in a child's plan (the profile refuses pregnancy under 10).
            "pregnancy": parts.pregnancy
            if self.p.age_months >= MIN_PREGNANCY_AGE_MONTHS
            else _NONE,
            "not_known": parts.not_known,
            "side_effects": parts.side_effects,
            "warnings": parts.warnings,
            "monitoring": parts.monitoring,
            "approvals": parts.approvals,
            "studied_in_sma": parts.studied_in_sma,
            "eligibility": opt.eligibility,
            "members": parts.members,
            "care_standards": opt.care_standards,
            "codes": parts.codes,
            "basis": opt.basis,
            "evidence": evidence,
        }

    def plan(self) -> dict[str, Any]:
        ordered = sorted(
            self.options.values(),
            key=lambda o: (
                _DOMAIN_ORDER[o.concept.domain.value if o.concept.domain else "general"],
                o.order,
            ),
        )
        options = [self.option_dict(o) for o in ordered]
        domains: dict[str, dict[str, Any]] = {
            d: {
                "domain": d,
                "name": DOMAIN_TITLES[d],
                "options": [],
                "care_standards": [],
                "questions": list(self.questions[d]),
            }
            for d in DOMAINS
        }
        for o in options:
            domains[o["domain"]]["options"].append(o["concept"])
        for s in self.standards:
            domains[s["domain"]]["care_standards"].append(s["id"])
        c = self.c
        return {
            "profile": self.p.model_dump(
                mode="json", exclude=None if self.p.symptom_words else {"symptom_words"}
            ),
            "profile_display": profile_rows(self.p, self.labels, self.age_words),
            "options": options,
            "care_standards": self.standards,
            "domains": list(domains.values()),
            "questions": [q for d in DOMAINS for q in self.questions[d]],
            "summary": {s: sum(1 for o in options if o["status"] == s) for s in STATUS_LABELS},
            "medicines": medicines_checked(self.p, self.c, self.kb, self.labels),
            "region": self.p.region,
            # Every source the plan cites, with its dates (collected while citing).
            "sources": [
                c.source_entries[s] for s in sorted(self.used, key=c.source_order.__getitem__)
            ],
            "disclaimer": DISCLAIMER,
            "generated_from": {
                "generator": f"smanav {__version__}",
                "kb_version": c.kb_version[:12],
                "rules_version": c.rules.digest[:12],
            },
        }


def make_plan(
    profile: dict[str, Any] | Profile, kb: KnowledgeBase | None = None, rules: RuleSet | None = None
) -> dict[str, Any]:
    """A care-discussion plan (DESIGN.md plan JSON) for a profile; InvalidInput if it is bad.

    Parts that come from the knowledge base alone (evidence entries, facts, side
    effects, codes, eligibility entries, source entries) are shared, read-only
    objects (``smanav.plan.compiled``); ``copy.deepcopy(plan)`` gives a writable copy.
    """
    if kb is None:
        from ..store import open_kb

        kb = open_kb()
    p = parse_profile(profile, kb)
    planner = _Planner(p, kb, compiled(kb, rules))
    planner.run()
    return planner.plan()
