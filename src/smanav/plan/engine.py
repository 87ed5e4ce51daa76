"""The plan engine: a profile and the rules in, a care-discussion plan out.

Deterministic (no clock, no randomness, ordered output) and explained: every
option says which inputs and which rule brought it in, what rules it out or
needs a second look, which caution fired and why, and the evidence behind it.
Options are things to discuss with the care team, never instructions.
"""

from __future__ import annotations

import datetime as dt
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .. import __version__
from ..kb import KnowledgeBase, format_date
from ..models import Assertion, Certainty, Concept, ConceptKind, Evidence, Predicate
from ..settings import DISCLAIMER
from .profile import Profile, format_age, parse_profile
from .rules import (
    DOMAIN_TITLES,
    DOMAINS,
    CareStandardRule,
    CautionRule,
    OptionRule,
    QuestionRule,
    RuleSet,
    SectionCitation,
    check_rules,
    load_rules,
)

__all__ = ["CARE_STANDARD_LABEL", "STATUS_LABELS", "make_plan"]

STATUS_LABELS = {
    "suggested": "to discuss with the care team",
    "not_eligible": "not eligible according to the sources shown",
    "needs_review": "needs review by the care team (sources disagree or a caution applies)",
}
CARE_STANDARD_LABEL = "from care-standard summaries, 2018"
#: Engine-level rule ids, documented beside the data rules (README, plan section).
CURRENT_MEDICATION = "current-medication"
SAME_CLASS = "same-class"
ALREADY_TAKEN = "already-taken"
DO_NOT_COMBINE = "do-not-combine"
ELIGIBILITY = "eligibility"

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


# --- what is computed once per knowledge base -----------------------------------------
@dataclass
class _Compiled:
    rules: RuleSet
    option_rules: list[OptionRule]
    standards: list[CareStandardRule]
    cautions: list[CautionRule]
    questions: list[QuestionRule]
    #: concept -> itself then its classes, nearest first (member_of_class, transitive).
    lineage: dict[str, tuple[str, ...]]
    #: (concept, predicate) -> assertions with that subject, in id order.
    by_pred: dict[tuple[str, str], list[Assertion]]
    #: assertion id -> evidence entries (citations with quotes), computed once.
    cites: dict[str, list[dict[str, Any]]]
    kb_version: str


_CACHE: weakref.WeakKeyDictionary[KnowledgeBase, dict[str, _Compiled]] = weakref.WeakKeyDictionary()


def _lineage(kb: KnowledgeBase, cid: str) -> tuple[str, ...]:
    out = [cid]
    i = 0
    while i < len(out):
        for a in kb.about(out[i]):
            if (
                a.subject == out[i]
                and a.predicate == Predicate.member_of_class
                and a.object
                and a.object not in out
            ):
                out.append(a.object)
        i += 1
    return tuple(out)


def _compile(kb: KnowledgeBase, rules: RuleSet | None) -> _Compiled:
    key = rules.digest if rules is not None else ""
    per_kb = _CACHE.setdefault(kb, {})
    if key in per_kb:
        return per_kb[key]
    rs = rules if rules is not None else load_rules()
    check_rules(rs, kb)
    by_pred: dict[tuple[str, str], list[Assertion]] = {}
    for a in sorted(kb.assertions.values(), key=lambda a: a.id):
        by_pred.setdefault((a.subject, a.predicate.value), []).append(a)
    compiled = _Compiled(
        rules=rs,
        option_rules=[r for r in rs.rules if isinstance(r, OptionRule)],
        standards=[r for r in rs.rules if isinstance(r, CareStandardRule)],
        cautions=[r for r in rs.rules if isinstance(r, CautionRule)],
        questions=[r for r in rs.rules if isinstance(r, QuestionRule)],
        lineage={cid: _lineage(kb, cid) for cid in kb.concepts},
        by_pred=by_pred,
        cites={},
        kb_version=getattr(kb, "version", "") or "",
    )
    per_kb[key] = compiled
    return compiled


# --- citations ----------------------------------------------------------------------
def _source_fields(kb: KnowledgeBase, sid: str) -> dict[str, Any]:
    src = kb.sources[sid]
    return {
        "title": src.title,
        "publisher": src.publisher,
        "url": src.url,
        "date": src.last_updated.isoformat() if src.last_updated else None,
        "retrieved": src.retrieved,
        "content_year": src.content_year,
        "grade": src.grade,
    }


def _cite_assertion(kb: KnowledgeBase, c: _Compiled, a: Assertion) -> list[dict[str, Any]]:
    cached = c.cites.get(a.id)
    if cached is None:
        cached = []
        for ev in a.evidence:
            entry = kb.cite(ev)
            entry.update(_source_fields(kb, ev.source))
            entry["assertion"] = a.id
            entry["statement"] = kb.statement(a)
            cached.append(entry)
        c.cites[a.id] = cached
    return [dict(e) for e in cached]


def _cite_section(kb: KnowledgeBase, ev: SectionCitation, statement: str) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "source": ev.source,
        "start": None,
        "end": None,
        "section": ev.section,
        "quote": None,
    }
    entry.update(_source_fields(kb, ev.source))
    entry["assertion"] = None
    entry["statement"] = statement
    return entry


def _short_cite(kb: KnowledgeBase, evidence: Iterable[Evidence]) -> str:
    parts = []
    for ev in evidence:
        src = kb.sources[ev.source]
        when = (
            f"updated {src.last_updated.isoformat()}"
            if src.last_updated
            else f"checked {src.retrieved}"
            if src.retrieved
            else "undated"
        )
        grade = ", secondary source" if src.grade == "secondary" else ""
        parts.append(f"{src.publisher}, {when}{grade}")
    return "; ".join(dict.fromkeys(parts))


# --- eligibility from dated facts ---------------------------------------------------
def _months_words(m: float) -> str:
    if m == 0:
        return "birth"
    if m % 12 == 0:
        years = int(m // 12)
        return f"{years} year{'s' * (years != 1)}"
    return f"{m:g} month{'s' * (m != 1)}"


def _range_words(a: Assertion) -> str:
    q = a.qualifiers
    lo = q.age_min_months
    hi = q.age_max_months
    parts = []
    if lo is not None:
        parts.append("from birth" if lo == 0 else f"{_months_words(lo)} and older")
    if hi is not None:
        parts.append(
            f"under {_months_words(hi)}"
            if q.age_max_exclusive
            else f"up to and including {_months_words(hi)}"
        )
    return ", ".join(parts) or "no age limit stated"


def _inside(a: Assertion, age: float) -> bool:
    q = a.qualifiers
    if q.age_min_months is not None and age < q.age_min_months:
        return False
    if q.age_max_months is not None:
        if q.age_max_exclusive and age >= q.age_max_months:
            return False
        if age > q.age_max_months:
            return False
    return True


_PRECISION_RANK = {"year": 0, "month": 1, "day": 2}


def _date_key(d: dt.date, precision: str) -> tuple[int, ...]:
    return (d.year, d.month, d.day)[: 1 + _PRECISION_RANK[precision]]


def _later(b: Assertion, a: Assertion) -> bool:
    """b is dated strictly later than a, compared at the coarser of their precisions."""
    qa, qb = a.qualifiers, b.qualifiers
    if qa.date is None or qb.date is None:
        return False
    coarser = min(qa.date_precision, qb.date_precision, key=_PRECISION_RANK.__getitem__)
    return _date_key(qb.date, coarser) > _date_key(qa.date, coarser)


def _superseded(facts: list[Assertion]) -> dict[str, Assertion]:
    """Dated limits from the same authority and region replaced by a later one."""
    out: dict[str, Assertion] = {}
    for a in facts:
        ka = (a.qualifiers.agency, a.qualifiers.region, a.qualifiers.route)
        for b in facts:
            kb_ = (b.qualifiers.agency, b.qualifiers.region, b.qualifiers.route)
            if b.id != a.id and ka == kb_ and any(ka) and _later(b, a):
                newest = out.get(a.id)
                if newest is None or _later(b, newest):
                    out[a.id] = b
    return out


def _fact_date(a: Assertion) -> str | None:
    q = a.qualifiers
    return f"dated {format_date(q.date, q.date_precision)}" if q.date is not None else None


def _cite_words(kb: KnowledgeBase, a: Assertion) -> str:
    """Sources, their dates and grade, and the event date when the fact has one."""
    when = _fact_date(a)
    return _short_cite(kb, a.evidence) + (f"; {when}" if when else "")


# --- one plan -----------------------------------------------------------------------
@dataclass
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
        rank = {"suggested": 0, "needs_review": 1, "not_eligible": 2}
        if rank[status] > rank[self.status]:
            self.status = status


class _Planner:
    def __init__(self, p: Profile, kb: KnowledgeBase, c: _Compiled) -> None:
        self.p, self.kb, self.c = p, kb, c
        self.options: dict[str, _Option] = {}
        self.questions: dict[str, list[str]] = {d: [] for d in DOMAINS}
        self.standards: list[dict[str, Any]] = []
        #: Sources cited anywhere in the plan, for its source list.
        self.used: set[str] = set()

    def cite(self, a: Assertion) -> list[dict[str, Any]]:
        self.used.update(ev.source for ev in a.evidence)
        return _cite_assertion(self.kb, self.c, a)

    # -- words --------------------------------------------------------------------
    def label(self, cid: str) -> str:
        con = self.kb.concepts[cid]
        return f"{con.name} ({con.brands[0]})" if con.brands else con.name

    def input_words(self, hits: list[tuple[str, str]]) -> str:
        if not hits:
            return "always discussed (everyone with SMA)"
        words = []
        for f, v in hits:
            if f == "age_months":
                v = format_age(self.p.age_months)
            elif f in ("symptoms", "medications", "prior_treatments"):
                v = self.label(v)
            words.append(f"{_INPUT_FIELDS[f]}: {v}")
        return "; ".join(words)

    def ask(self, domain: str, questions: Iterable[str]) -> None:
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
            con = self.kb.concepts[cid]
            if con.domain is None:
                continue
            opt = self.option(cid)
            basis = [
                a.id
                for pred in ("definition", "member_of_class", "addresses_symptom", "indicated_for")
                for a in self.c.by_pred.get((cid, pred), [])
            ]
            if not basis:
                basis = [a.id for a in self.kb.about(cid) if a.subject == cid][:1]
            self.add_basis(
                opt,
                CURRENT_MEDICATION,
                [("medications", cid)],
                "already taken: listed so the care team can review it with this plan",
                basis,
            )

    def care_standard(self, s: CareStandardRule, hits: list[tuple[str, str]]) -> None:
        cites = [_cite_section(self.kb, ev, s.text) for ev in s.evidence]
        self.used.update(ev.source for ev in s.evidence)
        year = sorted({self.kb.sources[ev.source].content_year or 2018 for ev in s.evidence})
        label = CARE_STANDARD_LABEL if year == [2018] else f"from care-standard summaries, {year}"
        entry = {
            "id": s.id,
            "domain": self.c.rules.domain_of[s.id],
            "text": s.text,
            "applies_to": s.applies_to,
            "status": "suggested",
            "label": label,
            "secondary": s.secondary,
            "reasons": [f"{self.input_words(hits)} → care standard {s.id} ({label})"],
            "related": [],
            "evidence": cites,
        }
        inputs = [{"field": f, "value": v} for f, v in hits]
        for cid in s.offers:
            offered = self.option(cid)
            offered.reasons.append(
                f"{self.input_words(hits)} → {s.text} (care standard {s.id}, {label})"
            )
            offered.basis.append({"rule": s.id, "inputs": inputs, "assertions": []})
        related: list[str] = []
        for cid in (*s.offers, *s.related):
            opt = self.options.get(cid)
            if opt is None:
                continue
            if s.id not in opt.care_standards:
                opt.care_standards.append(s.id)
                opt.sections.extend(dict(e) for e in cites)
            related.append(cid)
        entry["related"] = related
        self.standards.append(entry)

    def eligibility(self, opt: _Option) -> None:
        facts = [
            a
            for a in self.c.by_pred.get((opt.concept.id, "eligibility"), [])
            if a.certainty != Certainty.negated
        ]
        if not facts:
            return
        age = self.p.age_months
        old = _superseded(facts)
        current = [a for a in facts if a.id not in old]
        verdicts = [(a, _inside(a, age)) for a in current]
        words = format_age(age)
        for a, inside in verdicts:
            verdict = "within" if inside else "outside"
            opt.reasons.append(
                f"age {words} is {verdict} “{_range_words(a)}”: {self.kb.statement(a)} "
                f"({_cite_words(self.kb, a)}) (rule {ELIGIBILITY})"
            )
            opt.eligibility.append(
                {
                    "assertion": a.id,
                    "range": _range_words(a),
                    "eligible": inside,
                    "date": _fact_date(a),
                    "sources": [ev.source for ev in a.evidence],
                    "secondary": all(
                        self.kb.sources[ev.source].grade == "secondary" for ev in a.evidence
                    ),
                }
            )
        for a_id, newer in old.items():
            a = self.kb.assertions[a_id]
            opt.reasons.append(
                f"earlier limit “{_range_words(a)}” ({_fact_date(a)}) was replaced by "
                f"“{_range_words(newer)}” ({_fact_date(newer)}) (rule {ELIGIBILITY})"
            )
        opt.basis.append(
            {
                "rule": ELIGIBILITY,
                "inputs": [{"field": "age_months", "value": f"{age:g}"}],
                "assertions": [a.id for a in facts],
            }
        )
        opt.assertions.extend(a.id for a in facts if a.id not in opt.assertions)
        results = {inside for _, inside in verdicts}
        if results == {False}:
            opt.flag("not_eligible")
        elif results == {True, False}:
            opt.flag("needs_review")
            yes = [_range_words(a) for a, inside in verdicts if inside]
            no = [_range_words(a) for a, inside in verdicts if not inside]
            opt.reasons.append(
                f"the sources disagree at age {words}: “{'”, “'.join(yes)}” includes it, "
                f"“{'”, “'.join(no)}” does not; both are shown and the care team decides "
                f"(rule {ELIGIBILITY})"
            )

    def caution(
        self, opt: _Option, text: str, with_: str, concept: str | None, rule: str, aids: list[str]
    ) -> None:
        evidence = [
            e for aid in aids for e in self.cite(self.kb.assertions[aid])
        ]
        if any(c["text"] == text for c in opt.cautions):
            return
        opt.cautions.append(
            {"text": text, "with": with_, "concept": concept, "rule": rule, "evidence": evidence}
        )

    def interactions(self, opt: _Option) -> None:
        """Cautions the knowledge base implies: combinations, same class, already taken."""
        cid = opt.concept.id
        p, lineage = self.p, self.c.lineage
        if cid in p.medications:
            self.caution(
                opt,
                f"{self.label(cid)} is already taken (listed as a current medicine).",
                self.label(cid),
                cid,
                ALREADY_TAKEN,
                [],
            )
        if cid in p.prior_treatments:
            self.caution(
                opt,
                f"{self.label(cid)} has been received before (listed as a prior treatment).",
                self.label(cid),
                cid,
                ALREADY_TAKEN,
                [],
            )
        mine = lineage[cid]
        for other in p.medications:
            theirs = lineage[other]
            if other != cid:
                shared = next(
                    (
                        k
                        for k in mine
                        if k in theirs and self.kb.concepts[k].kind == ConceptKind.drug_class
                    ),
                    None,
                )
                if shared is not None:
                    links = self.class_links(cid, shared) + self.class_links(other, shared)
                    cls = self.kb.concepts[shared].name.lower()
                    if shared == cid:
                        text = f"{self.label(other)}, already taken, is one of the {cls}."
                    else:
                        text = (
                            f"{self.label(other)}, already taken, is also one of the {cls}: "
                            "two medicines from the same class."
                        )
                    self.caution(opt, text, self.label(other), other, SAME_CLASS, links)
            # Combinations the sources warn about, in either direction.
            for x, y in ((mine, theirs), (theirs, mine)):
                for k in x:
                    for a in self.c.by_pred.get((k, "do_not_combine_with"), []):
                        if a.object in y:
                            self.caution(
                                opt,
                                f"{self.kb.statement(a)} (current medicine: {self.label(other)})",
                                self.label(other),
                                other,
                                DO_NOT_COMBINE,
                                [a.id],
                            )
        if p.alcohol_use:
            for k in mine:
                for a in self.c.by_pred.get((k, "do_not_combine_with"), []):
                    if a.object == "alcohol":
                        self.caution(
                            opt,
                            f"{self.kb.statement(a)} (the profile says alcohol is used)",
                            "Alcohol",
                            "alcohol",
                            DO_NOT_COMBINE,
                            [a.id],
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
        with_ = self.label(cr.with_) if cr.with_ in self.kb.concepts else cr.with_
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
    def statements(self, cid: str, predicate: str) -> list[Assertion]:
        seen: dict[str, Assertion] = {}
        for k in self.c.lineage[cid]:
            for a in self.c.by_pred.get((k, predicate), []):
                seen.setdefault(a.id, a)
        return list(seen.values())

    def facts(self, cid: str, predicate: str) -> list[dict[str, Any]]:
        out = []
        for a in self.statements(cid, predicate):
            q = a.qualifiers
            out.append(
                {
                    "text": self.kb.statement(a),
                    "date": format_date(q.date, q.date_precision),
                    "certainty": a.certainty.value,
                    "assertion": a.id,
                    "evidence": self.cite(a),
                }
            )
        return out

    def option_dict(self, opt: _Option) -> dict[str, Any]:
        con, cid = opt.concept, opt.concept.id
        evidence: list[dict[str, Any]] = []
        seen: set[tuple[Any, ...]] = set()
        for aid in opt.assertions:
            for e in self.cite(self.kb.assertions[aid]):
                key = (e["assertion"], e["source"], e["start"], e["end"], e["section"])
                if key not in seen:
                    seen.add(key)
                    evidence.append(e)
        evidence.extend(opt.sections)
        members = [
            a.subject
            for a in self.kb.about(cid)
            if a.predicate == Predicate.member_of_class and a.object == cid
        ]
        return {
            "concept": cid,
            "name": con.name,
            "kind": con.kind.value,
            "domain": con.domain.value if con.domain else "general",
            "brands": list(con.brands),
            "synonyms": list(con.synonyms),
            "status": opt.status,
            "status_text": STATUS_LABELS[opt.status],
            "reasons": list(opt.reasons),
            "cautions": opt.cautions,
            "side_effects": [
                a.value or self.kb.name_of(a.object) for a in self.statements(cid, "side_effect")
            ],
            "warnings": self.facts(cid, "warning"),
            "monitoring": self.facts(cid, "monitoring"),
            "approvals": self.facts(cid, "approved_by"),
            "studied_in_sma": self.facts(cid, "evidence_in_sma"),
            "eligibility": opt.eligibility,
            "members": [self.label(m) for m in sorted(members)],
            "care_standards": list(opt.care_standards),
            "codes": [code.model_dump() for code in con.codes],
            "basis": opt.basis,
            "evidence": evidence,
        }

    def profile_rows(self) -> list[dict[str, str]]:
        p = self.p

        def names(ids: tuple[str, ...]) -> str:
            return ", ".join(self.label(i) for i in ids) or "none given"

        return [
            {"field": "age_months", "label": "Age", "value": format_age(p.age_months)},
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
        order = {d: i for i, d in enumerate(DOMAINS)}
        ordered = sorted(
            self.options.values(),
            key=lambda o: (
                order[o.concept.domain.value if o.concept.domain else "general"],
                o.order,
            ),
        )
        options = [self.option_dict(o) for o in ordered]
        domains = []
        for d in DOMAINS:
            domains.append(
                {
                    "domain": d,
                    "name": DOMAIN_TITLES[d],
                    "options": [o["concept"] for o in options if o["domain"] == d],
                    "care_standards": [s["id"] for s in self.standards if s["domain"] == d],
                    "questions": list(self.questions[d]),
                }
            )
        return {
            "profile": self.p.model_dump(mode="json"),
            "profile_display": self.profile_rows(),
            "options": options,
            "care_standards": self.standards,
            "domains": domains,
            "questions": [q for d in DOMAINS for q in self.questions[d]],
            "summary": {s: sum(1 for o in options if o["status"] == s) for s in STATUS_LABELS},
            "sources": self.sources(),
            "disclaimer": DISCLAIMER,
            "generated_from": {
                "generator": f"smanav {__version__}",
                "kb_version": self.c.kb_version[:12],
                "rules_version": self.c.rules.digest[:12],
            },
        }

    def sources(self) -> list[dict[str, Any]]:
        """Every source the plan cites, with its dates (collected while citing)."""
        used = self.used
        out = []
        for sid in sorted(used, key=lambda s: (self.kb.sources[s].title.casefold(), s)):
            src = self.kb.sources[sid]
            if src.last_updated:
                dated = f"updated {src.last_updated.isoformat()}"
            elif src.content_year:
                dated = f"content {src.content_year}; checked {src.retrieved}"
            else:
                dated = f"checked {src.retrieved}" if src.retrieved else "date not stated"
            out.append(
                {"source": sid, **_source_fields(self.kb, sid), "kind": src.kind, "dated": dated}
            )
        return out


def make_plan(
    profile: dict[str, Any] | Profile, kb: KnowledgeBase | None = None, rules: RuleSet | None = None
) -> dict[str, Any]:
    """A care-discussion plan (DESIGN.md plan JSON) for a profile; InvalidInput if it is bad."""
    if kb is None:
        from ..store import open_kb

        kb = open_kb()
    p = parse_profile(profile, kb)
    planner = _Planner(p, kb, _compile(kb, rules))
    planner.run()
    return planner.plan()
