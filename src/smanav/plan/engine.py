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

from .. import __version__
from ..kb import KnowledgeBase
from ..models import Concept
from ..settings import DISCLAIMER
from .compiled import CARE_STANDARD_LABEL, ELIGIBILITY, Compiled, compiled
from .profile import Profile, format_age, parse_profile
from .rules import DOMAIN_TITLES, DOMAINS, CareStandardRule, CautionRule, RuleSet

__all__ = ["CARE_STANDARD_LABEL", "STATUS_LABELS", "make_plan"]

STATUS_LABELS = {
    "suggested": "to discuss with the care team",
    "not_eligible": "not eligible according to the sources shown",
    "needs_review": "needs review by the care team (sources disagree or a caution applies)",
}
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
}


# --- one plan -----------------------------------------------------------------------
_RANK = {"suggested": 0, "needs_review": 1, "not_eligible": 2}
_DOMAIN_ORDER = {d: i for i, d in enumerate(DOMAINS)}


@dataclass(slots=True)
class _Option:
    concept: Concept
    order: int
    status: str = "suggested"
    reasons: list[str] = field(default_factory=list)
    basis: list[dict[str, Any]] = field(default_factory=list)
    assertions: list[str] = field(default_factory=list)
    sections: list[dict[str, Any]] = field(default_factory=list)
    cautions: list[dict[str, Any]] = field(default_factory=list)
    eligibility: list[dict[str, Any]] = field(default_factory=list)
    care_standards: list[str] = field(default_factory=list)

    def flag(self, status: str) -> None:
        """Statuses only get more careful: not_eligible > needs_review > suggested."""
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
        for opt in self.options.values():
            self.eligibility(opt)
            self.interactions(opt)
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
                "status": "suggested",
                "label": label,
                "secondary": s.secondary,
                "reasons": [f"{words} → care standard {s.id} ({label})"],
                "related": related,
                "evidence": parts.evidence,
            }
        )

    def eligibility(self, opt: _Option) -> None:
        """Age against each current dated limit; both shown when the sources disagree."""
        el = self.c.concepts[opt.concept.id].eligibility
        if el is None:
            return
        age, words = self.p.age_months, self.age_words
        verdicts = [(limit, limit.inside(age)) for limit in el.current]
        for limit, inside in verdicts:
            opt.reasons.append(f"age {words} is {'within' if inside else 'outside'} {limit.tail}")
            opt.eligibility.append(limit.entry[inside])
        opt.reasons.extend(el.replaced_reasons)
        opt.basis.append(
            {
                "rule": ELIGIBILITY,
                "inputs": [{"field": "age_months", "value": f"{age:g}"}],
                "assertions": list(el.ids),
            }
        )
        opt.assertions.extend(a for a in el.ids if a not in opt.assertions)
        results = {inside for _, inside in verdicts}
        if results == {False}:
            opt.flag("not_eligible")
        elif results == {True, False}:
            opt.flag("needs_review")
            yes = [limit.range for limit, inside in verdicts if inside]
            no = [limit.range for limit, inside in verdicts if not inside]
            opt.reasons.append(
                f"the sources disagree at age {words}: “{'”, “'.join(yes)}” includes it, "
                f"“{'”, “'.join(no)}” does not; both are shown and the care team decides "
                f"(rule {ELIGIBILITY})"
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
            opt.reasons.append(f"{self.input_words(hits)} → {cr.text} (rule {cr.id})")
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

    def profile_rows(self) -> list[dict[str, str]]:
        p = self.p

        def names(ids: tuple[str, ...]) -> str:
            return ", ".join(self.labels[i] for i in ids) or "none given"

        return [
            {"field": "age_months", "label": "Age", "value": self.age_words},
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
            {"field": "medications", "label": "Current medicines", "value": names(p.medications)},
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
        ]

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
            "profile": self.p.model_dump(mode="json"),
            "profile_display": self.profile_rows(),
            "options": options,
            "care_standards": self.standards,
            "domains": list(domains.values()),
            "questions": [q for d in DOMAINS for q in self.questions[d]],
            "summary": {s: sum(1 for o in options if o["status"] == s) for s in STATUS_LABELS},
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
