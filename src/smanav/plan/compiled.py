"""What every plan reuses: the parts derived from the knowledge base and rules alone.

A plan is mostly evidence: citations with quotes, dated facts, source lists. None of
that depends on the profile, so it is built once per knowledge base (a republished
one is a new object and gets its own) and rule set, and every plan refers to the
same read-only objects. Nothing about a profile is computed or kept here.

The shared parts are :class:`ReadOnlyDict` and :class:`ReadOnlyList`: real dicts and
lists (JSON, templates and ``==`` see no difference), but writing to one raises
``TypeError`` instead of silently changing every later plan. ``copy.deepcopy(plan)``
gives plain, writable containers.
"""

from __future__ import annotations

import datetime as dt
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..citations import age_range, fact_date, format_date, limit_words, short_cite, source_when
from ..kb import KnowledgeBase
from ..models import Assertion, Certainty, ConceptKind, Evidence, Predicate
from .readonly import ReadOnlyDict, ReadOnlyList
from .rules import (
    CareStandardRule,
    CautionRule,
    ClassCautionRule,
    OptionRule,
    QuestionRule,
    RuleSet,
    SectionCitation,
    check_rules,
    load_rules,
)

__all__ = ["Compiled", "ReadOnlyDict", "ReadOnlyList", "compiled"]

CARE_STANDARD_LABEL = "from care-standard summaries, 2018"
ELIGIBILITY = "eligibility"


# --- words shared by the parts ------------------------------------------------------
def source_fields(kb: KnowledgeBase, sid: str) -> dict[str, Any]:
    return kb.source_fields(sid)


def _short_cite(kb: KnowledgeBase, evidence: Iterable[Evidence]) -> str:
    return short_cite(kb.source_fields(ev.source) for ev in evidence)


def range_words(a: Assertion) -> str:
    q = a.qualifiers
    return age_range(q.age_min_months, q.age_max_months, q.age_max_exclusive)


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
    return fact_date(a.qualifiers)


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


# --- the parts ----------------------------------------------------------------------
@dataclass(frozen=True)
class AgeLimit:
    """One current eligibility fact of a concept: its range, region, grade and words."""

    id: str
    min_months: float | None
    max_months: float | None
    max_exclusive: bool
    range: str
    #: The reason's tail after "age X is within/outside".
    tail: str
    #: The eligibility entry for inside (True) and outside (False) the range.
    entry: dict[bool, ReadOnlyDict]
    #: "US", "EU", … or None (not region-specific: an article, a news report).
    region: str | None = None
    #: True when a primary source (a label, a regulator) states it.
    primary: bool = False
    #: Genetic and size limits the label states beside the age.
    sma_types: tuple[int, ...] = ()
    smn2_max: int | None = None
    weight_min_kg: float | None = None
    weight_max_kg: float | None = None

    def inside(self, age: float) -> bool:
        if self.min_months is not None and age < self.min_months:
            return False
        if self.max_months is not None:
            if self.max_exclusive and age >= self.max_months:
                return False
            if age > self.max_months:
                return False
        return True

    def covers(
        self,
        age: float,
        sma_type: int | str | None,
        smn2: int | None,
        weight: float | None,
    ) -> bool | None:
        """True/False for the person, None when a limit needs a value the profile lacks."""
        if not self.inside(age):
            return False
        unknown = False
        if self.sma_types or self.smn2_max is not None:
            by_type = isinstance(sma_type, int) and sma_type in self.sma_types
            by_copies = self.smn2_max is not None and smn2 is not None and smn2 <= self.smn2_max
            if not (by_type or by_copies):
                if smn2 is None and self.smn2_max is not None:
                    unknown = True
                else:
                    return False
        if self.weight_min_kg is not None or self.weight_max_kg is not None:
            if weight is None:
                # An upper weight limit (EU Zolgensma's dosing table, to 21 kg) is not in
                # doubt for a child under 2 years; above that, or for a lower limit, the
                # weight is needed to decide.
                if self.weight_min_kg is not None or age >= 24:
                    unknown = True
            elif (self.weight_min_kg is not None and weight < self.weight_min_kg) or (
                self.weight_max_kg is not None and weight > self.weight_max_kg
            ):
                return False
        return None if unknown else True


@dataclass(frozen=True)
class Eligibility:
    """A concept's dated age limits: the current ones, and words for the replaced ones."""

    current: tuple[AgeLimit, ...]
    replaced_reasons: tuple[str, ...]
    #: Every eligibility fact (current and replaced), for the option's basis.
    ids: tuple[str, ...]
    #: region -> (which limits decide, whether a label decides, each limit's tail and
    #: entries for inside/outside): the same for every plan of that region, built once.
    views: dict[str, RegionView] = field(default_factory=dict, compare=False, repr=False)

    def view(self, region: str) -> RegionView:
        v = self.views.get(region)
        if v is None:
            v = self.views[region] = _region_view(self, region)
        return v


@dataclass(frozen=True)
class RegionView:
    deciding: tuple[bool, ...]
    by_label: bool
    tails: tuple[str, ...]
    #: per limit: {covers (True/False/None) -> the eligibility entry with "decides"}
    entries: tuple[dict[bool, ReadOnlyDict], ...]


def _region_view(el: Eligibility, region: str) -> RegionView:
    cur = el.current
    deciding = [lim.primary and lim.region == region for lim in cur]
    if not any(deciding):
        deciding = [lim.primary and lim.region is None for lim in cur]
    by_label = any(deciding)
    if not by_label:
        deciding = [lim.region in (None, region) for lim in cur]
    tails = []
    for lim, dec in zip(cur, deciding, strict=True):
        tail = lim.tail
        if not dec:
            if lim.region not in (None, region):
                tail += f" — another region's label, shown for information ({region} plan)"
            else:
                tail += " — older, secondary wording, shown beside the label; the label decides"
        tails.append(tail)
    entries = tuple(
        {k: ReadOnlyDict({**e, "decides": dec}) for k, e in lim.entry.items()}
        for lim, dec in zip(cur, deciding, strict=True)
    )
    return RegionView(tuple(deciding), by_label, tuple(tails), entries)


@dataclass(frozen=True)
class ConceptParts:
    """An option's parts that depend on the concept alone (keys as the plan shows them)."""

    head: ReadOnlyDict
    side_effects: ReadOnlyList
    warnings: ReadOnlyList
    monitoring: ReadOnlyList
    approvals: ReadOnlyList
    studied_in_sma: ReadOnlyList
    members: ReadOnlyList
    codes: ReadOnlyList
    #: Sources the four fact lists cite.
    fact_sources: frozenset[str]
    eligibility: Eligibility | None
    #: (object, assertion id, statement) of do_not_combine_with along the lineage.
    do_not_combine: tuple[tuple[str | None, str, str], ...]
    #: A current medicine's basis: what the knowledge base says it is and is for.
    medication_basis: tuple[str, ...]
    #: Label safety facts along the lineage (the class's boxed warning covers diazepam),
    #: as the plan shows them.
    boxed_warnings: ReadOnlyList = field(default_factory=ReadOnlyList)
    contraindications: ReadOnlyList = field(default_factory=ReadOnlyList)
    interactions: ReadOnlyList = field(default_factory=ReadOnlyList)
    pregnancy: ReadOnlyList = field(default_factory=ReadOnlyList)
    not_known: ReadOnlyList = field(default_factory=ReadOnlyList)
    #: The same facts as assertions, for the safety rules to match against a profile.
    #: (pregnancy_facts also holds the not-known facts that carry a pregnancy topic.)
    contra_facts: tuple[Assertion, ...] = ()
    interaction_facts: tuple[Assertion, ...] = ()
    pregnancy_facts: tuple[Assertion, ...] = ()


@dataclass(frozen=True)
class StandardParts:
    """A care-standard row's evidence, sources and label."""

    evidence: ReadOnlyList
    sources: frozenset[str]
    label: str


@dataclass
class Compiled:
    rules: RuleSet
    option_rules: list[OptionRule]
    standards: list[CareStandardRule]
    cautions: list[CautionRule]
    class_cautions: list[ClassCautionRule]
    questions: list[QuestionRule]
    #: concept -> itself then its classes, nearest first (member_of_class, transitive).
    lineage: dict[str, tuple[str, ...]]
    #: (concept, predicate) -> assertions with that subject, in id order.
    by_pred: dict[tuple[str, str], list[Assertion]]
    #: (concept, predicate) -> assertions with that object, in id order.
    by_pred_object: dict[tuple[str, str], list[Assertion]]
    kb_version: str
    #: concept -> "Name (Brand)".
    labels: dict[str, str]
    drug_classes: frozenset[str]
    #: assertion id -> own-words statement.
    statements: dict[str, str]
    #: assertion id -> its evidence entries, as many as it has evidence (cautions, facts).
    cites: dict[str, ReadOnlyList]
    #: assertion id -> its evidence entries, repeats dropped (an option's evidence).
    unique_cites: dict[str, ReadOnlyList]
    cite_sources: dict[str, frozenset[str]]
    concepts: dict[str, ConceptParts]
    standard_parts: dict[str, StandardParts]
    #: source id -> its entry in a plan's source list, and that list's sort key.
    source_entries: dict[str, ReadOnlyDict]
    source_order: dict[str, tuple[str, str]]
    #: assertion id -> where it comes from, short ("Biogen, checked 2026-11").
    short_cites: dict[str, str]


_CACHE: weakref.WeakKeyDictionary[KnowledgeBase, dict[str, Compiled]] = weakref.WeakKeyDictionary()


def compiled(kb: KnowledgeBase, rules: RuleSet | None = None) -> Compiled:
    """The parts for this knowledge base and rule set, built on first use."""
    key = rules.digest if rules is not None else ""
    per_kb = _CACHE.setdefault(kb, {})
    if key not in per_kb:
        rs = rules if rules is not None else load_rules()
        check_rules(rs, kb)
        per_kb[key] = _build(kb, rs)
    return per_kb[key]


def _cite_entry(kb: KnowledgeBase, a: Assertion, ev: Evidence, statement: str) -> ReadOnlyDict:
    entry = kb.cite(ev)  # the source's fields, then where and what it says
    entry["assertion"] = a.id
    entry["statement"] = statement
    return ReadOnlyDict(entry)


def _section_entry(kb: KnowledgeBase, ev: SectionCitation, statement: str) -> ReadOnlyDict:
    entry: dict[str, Any] = {
        "source": ev.source,
        "start": None,
        "end": None,
        "section": ev.section,
        "quote": None,
    }
    entry.update(source_fields(kb, ev.source))
    entry["assertion"] = None
    entry["statement"] = statement
    return ReadOnlyDict(entry)


def _build(kb: KnowledgeBase, rs: RuleSet) -> Compiled:
    by_pred: dict[tuple[str, str], list[Assertion]] = {}
    by_object: dict[tuple[str, str], list[Assertion]] = {}
    for a in sorted(kb.assertions.values(), key=lambda a: a.id):
        by_pred.setdefault((a.subject, a.predicate.value), []).append(a)
        if a.object:
            by_object.setdefault((a.object, a.predicate.value), []).append(a)
    statements = {aid: kb.statement(a) for aid, a in kb.assertions.items()}
    cites: dict[str, ReadOnlyList] = {}
    unique: dict[str, ReadOnlyList] = {}
    for aid, a in kb.assertions.items():
        entries = [_cite_entry(kb, a, ev, statements[aid]) for ev in a.evidence]
        cites[aid] = ReadOnlyList(entries)
        seen: set[tuple[Any, ...]] = set()
        kept = []
        for e in entries:
            key = (e["source"], e["start"], e["end"], e["section"])
            if key not in seen:
                seen.add(key)
                kept.append(e)
        unique[aid] = ReadOnlyList(kept)
    c = Compiled(
        rules=rs,
        option_rules=[r for r in rs.rules if isinstance(r, OptionRule)],
        standards=[r for r in rs.rules if isinstance(r, CareStandardRule)],
        cautions=[r for r in rs.rules if isinstance(r, CautionRule)],
        class_cautions=[r for r in rs.rules if isinstance(r, ClassCautionRule)],
        questions=[r for r in rs.rules if isinstance(r, QuestionRule)],
        lineage={cid: _lineage(kb, cid) for cid in kb.concepts},
        by_pred=by_pred,
        by_pred_object=by_object,
        kb_version=getattr(kb, "version", "") or "",
        labels={
            cid: f"{con.name} ({con.brands[0]})" if con.brands else con.name
            for cid, con in kb.concepts.items()
        },
        drug_classes=frozenset(
            cid for cid, con in kb.concepts.items() if con.kind == ConceptKind.drug_class
        ),
        statements=statements,
        cites=cites,
        unique_cites=unique,
        cite_sources={
            aid: frozenset(ev.source for ev in a.evidence) for aid, a in kb.assertions.items()
        },
        concepts={},
        standard_parts={},
        source_entries={},
        source_order={},
        short_cites={aid: _short_cite(kb, a.evidence) for aid, a in kb.assertions.items()},
    )
    c.concepts = {cid: _concept_parts(kb, c, cid) for cid in kb.concepts}
    for s in c.standards:
        year = sorted({kb.sources[ev.source].content_year or 2018 for ev in s.evidence})
        c.standard_parts[s.id] = StandardParts(
            evidence=ReadOnlyList(_section_entry(kb, ev, s.text) for ev in s.evidence),
            sources=frozenset(ev.source for ev in s.evidence),
            label=CARE_STANDARD_LABEL
            if year == [2018]
            else f"from care-standard summaries, {year}",
        )
    for sid, src in kb.sources.items():
        fields = source_fields(kb, sid)
        c.source_entries[sid] = ReadOnlyDict(
            {"source": sid, **fields, "kind": src.kind, "dated": source_when(fields)}
        )
        c.source_order[sid] = (src.title.casefold(), sid)
    return c


def _statements(c: Compiled, cid: str, predicate: str) -> list[Assertion]:
    """A concept's statements and its classes' (a relaxant's warning covers baclofen)."""
    seen: dict[str, Assertion] = {}
    for k in c.lineage[cid]:
        for a in c.by_pred.get((k, predicate), []):
            seen.setdefault(a.id, a)
    return list(seen.values())


def _facts(c: Compiled, cid: str, predicate: str, sources: set[str]) -> ReadOnlyList:
    out = []
    said: set[tuple[Any, ...]] = set()
    for a in _statements(c, cid, predicate):
        # A class's fact that the drug's own statement already says, on the same passage.
        key = (
            c.statements[a.id],
            a.certainty,
            tuple((e.source, e.start, e.end, e.section) for e in a.evidence),
        )
        if key in said:
            continue
        said.add(key)
        q = a.qualifiers
        sources.update(c.cite_sources[a.id])
        out.append(
            ReadOnlyDict(
                {
                    "text": c.statements[a.id],
                    "date": format_date(q.date, q.date_precision),
                    "certainty": a.certainty.value,
                    "region": q.region,
                    "assertion": a.id,
                    "evidence": c.cites[a.id],
                }
            )
        )
    return ReadOnlyList(out)


def _is_primary_fact(a: Assertion, kb: KnowledgeBase) -> bool:
    return any(kb.sources[ev.source].grade == "primary" for ev in a.evidence)


def _eligibility(kb: KnowledgeBase, c: Compiled, cid: str) -> Eligibility | None:
    facts = [a for a in c.by_pred.get((cid, "eligibility"), []) if a.certainty != Certainty.negated]
    if not facts:
        return None
    old = _superseded(facts)
    current = []
    for a in facts:
        if a.id in old:
            continue
        q = a.qualifiers
        words = limit_words(q)
        when = _fact_date(a)
        cite_words = _short_cite(kb, a.evidence) + (f"; {when}" if when else "")
        primary = _is_primary_fact(a, kb)
        entry = {
            "assertion": a.id,
            "range": words,
            "eligible": True,
            "date": when,
            "sources": [ev.source for ev in a.evidence],
            "secondary": not primary,
            "region": q.region,
        }
        current.append(
            AgeLimit(
                id=a.id,
                min_months=q.age_min_months,
                max_months=q.age_max_months,
                max_exclusive=q.age_max_exclusive,
                range=words,
                tail=f"“{words}”: {c.statements[a.id]} ({cite_words}) (rule {ELIGIBILITY})",
                entry={
                    True: ReadOnlyDict(entry),
                    False: ReadOnlyDict({**entry, "eligible": False}),
                },
                region=q.region,
                primary=primary,
                sma_types=q.sma_types,
                smn2_max=q.smn2_max,
                weight_min_kg=q.weight_min_kg,
                weight_max_kg=q.weight_max_kg,
            )
        )
    replaced = tuple(
        f"earlier limit “{range_words(kb.assertions[a_id])}” ({_fact_date(kb.assertions[a_id])}) "
        f"was replaced by “{range_words(newer)}” ({_fact_date(newer)}) (rule {ELIGIBILITY})"
        for a_id, newer in old.items()
    )
    return Eligibility(tuple(current), replaced, tuple(a.id for a in facts))


def _concept_parts(kb: KnowledgeBase, c: Compiled, cid: str) -> ConceptParts:
    con = kb.concepts[cid]
    sources: set[str] = set()
    members = [
        a.subject
        for a in kb.about(cid)
        if a.predicate == Predicate.member_of_class and a.object == cid
    ]
    basis = [
        a.id
        for pred in ("definition", "member_of_class", "addresses_symptom", "indicated_for")
        for a in c.by_pred.get((cid, pred), [])
    ]
    if not basis:
        basis = [a.id for a in kb.about(cid) if a.subject == cid][:1]
    safety = {
        p: _facts(c, cid, p, sources)
        for p in ("boxed_warning", "contraindication", "interaction", "pregnancy", "not_known")
    }
    return ConceptParts(
        head=ReadOnlyDict(
            {
                "concept": cid,
                "name": con.name,
                "kind": con.kind.value,
                "domain": con.domain.value if con.domain else "general",
                "brands": ReadOnlyList(con.brands),
                "synonyms": ReadOnlyList(con.synonyms),
            }
        ),
        side_effects=ReadOnlyList(
            (a.value or kb.name_of(a.object))
            + (f" ({a.qualifiers.region} label)" if a.qualifiers.region else "")
            for a in _statements(c, cid, "side_effect")
        ),
        warnings=_facts(c, cid, "warning", sources),
        monitoring=_facts(c, cid, "monitoring", sources),
        approvals=_facts(c, cid, "approved_by", sources),
        studied_in_sma=_facts(c, cid, "evidence_in_sma", sources),
        members=ReadOnlyList(c.labels[m] for m in sorted(members)),
        codes=ReadOnlyList(ReadOnlyDict(code.model_dump()) for code in con.codes),
        fact_sources=frozenset(sources),
        eligibility=_eligibility(kb, c, cid),
        do_not_combine=tuple(
            (a.object, a.id, c.statements[a.id])
            for k in c.lineage[cid]
            for a in c.by_pred.get((k, "do_not_combine_with"), [])
        ),
        medication_basis=tuple(basis),
        boxed_warnings=safety["boxed_warning"],
        contraindications=safety["contraindication"],
        interactions=safety["interaction"],
        pregnancy=safety["pregnancy"],
        not_known=safety["not_known"],
        contra_facts=tuple(_statements(c, cid, "contraindication")),
        interaction_facts=tuple(_statements(c, cid, "interaction")),
        pregnancy_facts=tuple(
            [
                *_statements(c, cid, "pregnancy"),
                *(a for a in _statements(c, cid, "not_known") if a.qualifiers.topic),
            ]
        ),
    )
