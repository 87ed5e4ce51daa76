"""Views the web pages need beyond ``smanav.browse``: each returns one JSON-ready dict.

Pure functions of the knowledge base (no FastAPI here), so the pages, their JSON
twins and the API share them, and tests call them directly.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..browse import (
    DOMAIN_NAMES,
    show_concept,
    sources_list,
    statement_view,
    symptoms_list,
    treatments_list,
)
from ..kb import KnowledgeBase
from ..models import Assertion, CareDomain, Concept, Predicate
from ..settings import DISCLAIMER

__all__ = [
    "ABOUT",
    "SOURCES_MAX_PAGE",
    "SOURCES_PAGE",
    "fact_date",
    "home_view",
    "show",
    "sources_view",
    "symptom_view",
]

ABOUT = (
    "smanav (SMA Navigator) collects what published sources say about treating spinal "
    "muscular atrophy: medicines that change the course of the disease, medicines for "
    "symptoms, therapy and equipment, breathing, nutrition and spine care. Every statement "
    "is written in our own words and shows the source and passage it rests on, with dates, "
    "so that families and care teams can check it and bring it to a clinic visit."
)

#: Predicates where a newer source replaces or refines an older one's statement.
#: (Side effects, cautions and the like add up; they do not go stale the same way.)
SUPERSEDABLE = frozenset(
    {
        Predicate.eligibility,
        Predicate.indicated_for,
        Predicate.approved_by,
        Predicate.route,
        Predicate.dosing,
        Predicate.evidence_in_sma,
    }
)


def show(kb: KnowledgeBase, concept: Concept) -> dict[str, Any]:
    return show_concept(kb, concept.id)


def home_view(kb: KnowledgeBase) -> dict[str, Any]:
    """What smanav is, and the ways in: by care domain and by symptom."""
    listed = treatments_list(kb)["treatments"]
    domains = []
    for d in CareDomain:
        rows = [t for t in listed if t["domain"] == d.value]
        domains.append(
            {"domain": d.value, "name": DOMAIN_NAMES[d], "count": len(rows), "treatments": rows}
        )
    symptoms = [
        {"concept": s["concept"], "name": s["name"], "lay_terms": s["lay_terms"][:2]}
        for s in symptoms_list(kb)["symptoms"]
    ]
    return {"about": ABOUT, "domains": domains, "symptoms": symptoms, "disclaimer": DISCLAIMER}


def symptom_view(kb: KnowledgeBase, cid: str) -> dict[str, Any]:
    """A symptom and what the sources say may help, grouped by care domain, with evidence."""
    result = show(kb, kb.concepts[cid])
    groups: dict[str, dict[str, Any]] = {}
    for a in kb.about(cid):
        if a.predicate != Predicate.addresses_symptom or a.object != cid:
            continue
        helper = kb.concepts[a.subject]
        dom = helper.domain.value if helper.domain else "other"
        group = groups.setdefault(
            dom,
            {
                "domain": dom,
                "name": DOMAIN_NAMES[helper.domain] if helper.domain else "Other",
                "options": {},
            },
        )
        option = group["options"].setdefault(
            helper.id,
            {
                "concept": helper.id,
                "name": helper.name,
                "kind": helper.kind.value,
                "brands": list(helper.brands),
                "statements": [],
            },
        )
        option["statements"].append(statement_view(kb, a))
    order = [d.value for d in CareDomain] + ["other"]
    result["by_domain"] = [
        {**g, "options": sorted(g["options"].values(), key=lambda o: o["name"])}
        for g in sorted(groups.values(), key=lambda g: order.index(g["domain"]))
    ]
    return result


def _parse_partial(value: str | None) -> dt.date | None:
    """'2026-11' or '2026' or '2026-11-03' → the first day it can mean."""
    if not value:
        return None
    parts = [int(p) for p in value.split("-")]
    while len(parts) < 3:
        parts.append(1)
    return dt.date(parts[0], parts[1], parts[2])


def fact_date(kb: KnowledgeBase, a: Assertion) -> dt.date | None:
    """When a statement was true according to its sources: as_of, else the source's date."""
    if a.as_of is not None:
        return a.as_of
    dates: list[dt.date] = []
    for ev in a.evidence:
        src = kb.sources.get(ev.source)
        if src is None:
            continue
        d = src.last_updated or _parse_partial(src.retrieved)
        if d is None and src.content_year:
            d = dt.date(src.content_year, 1, 1)
        if d is not None:
            dates.append(d)
    return max(dates) if dates else None


def _same_topic(a: Assertion, b: Assertion) -> bool:
    if a.subject != b.subject or a.predicate != b.predicate:
        return False
    if a.predicate == Predicate.approved_by:
        return a.object == b.object and a.qualifiers.region == b.qualifiers.region
    return True


def _differs(a: Assertion, b: Assertion) -> bool:
    return (a.object, a.value, a.qualifiers) != (b.object, b.value, b.qualifiers)


def _brief_fact(kb: KnowledgeBase, a: Assertion) -> dict[str, Any]:
    d = fact_date(kb, a)
    return {
        "id": a.id,
        "subject": a.subject,
        "subject_name": kb.name_of(a.subject),
        "subject_kind": kb.concepts[a.subject].kind.value,
        "predicate": a.predicate.value,
        "text": kb.statement(a),
        "certainty": a.certainty.value,
        "date": d.isoformat() if d else None,
        #: Ids of the label or care-standard statements that contradict this one.
        "contested_by": list(a.contested_by),
    }


#: Sources per page of /sources and /api/sources unless ``?limit=`` says otherwise.
SOURCES_PAGE = 25
#: Most sources one page may hold.
SOURCES_MAX_PAGE = 200


def _page_url(path: str, limit: int, offset: int) -> str:
    return f"{path}?limit={limit}&offset={offset}"


def sources_view(
    kb: KnowledgeBase,
    limit: int | None = None,
    offset: int = 0,
    path: str = "/api/sources",
) -> dict[str, Any]:
    """Sources with their dates, the facts resting on them, and where newer facts exist.

    One page at a time: ``limit`` sources (``SOURCES_PAGE`` unless given; ``None`` from
    Python code means every source) from ``offset``, in the order of ``sources_list``,
    with ``total``, ``next`` and ``previous`` links (to ``path``). Facts and notices are
    worked out for the page's sources only, so a page costs the same however many
    documents were ingested. ``stale_count`` counts the notices on this page.

    A notice is raised when a statement from this source has a counterpart on the
    same topic (same subject and predicate, e.g. who a therapy is for) that rests on
    other sources, is dated later and says something different. Both stay shown.
    """
    result = sources_list(kb)
    rows = result["sources"]
    total = len(rows)
    if limit is not None:
        rows = rows[offset : offset + limit]
        step = limit
        result["next"] = _page_url(path, step, offset + step) if offset + step < total else None
        result["previous"] = _page_url(path, step, max(0, offset - step)) if offset > 0 else None
    result.update(sources=rows, total=total, offset=offset, limit=limit)
    wanted = {row["source"] for row in rows}
    resting: dict[str, list[Assertion]] = {}
    for a in sorted(kb.assertions.values(), key=lambda a: (a.subject, a.predicate, a.id)):
        for sid in dict.fromkeys(ev.source for ev in a.evidence):
            if sid in wanted:
                resting.setdefault(sid, []).append(a)
    by_topic: dict[tuple[str, str], list[Assertion]] = {}
    for a in kb.assertions.values():
        if a.predicate in SUPERSEDABLE:
            by_topic.setdefault((a.subject, a.predicate.value), []).append(a)
    for row in result["sources"]:
        facts = resting.get(row["source"], [])
        row["facts"] = [_brief_fact(kb, a) for a in facts]
        stale = []
        for a in facts:
            if a.predicate not in SUPERSEDABLE:
                continue
            mine = fact_date(kb, a)
            newer = [
                b
                for b in by_topic.get((a.subject, a.predicate.value), [])
                if b.id != a.id
                and row["source"] not in {ev.source for ev in b.evidence}
                and _same_topic(a, b)
                and _differs(a, b)
                and mine is not None
                and (bd := fact_date(kb, b)) is not None
                and bd > mine
            ]
            if newer:
                stale.append(
                    {
                        **_brief_fact(kb, a),
                        "newer": [
                            {
                                **_brief_fact(kb, b),
                                "sources": [kb.cite(ev) for ev in b.evidence],
                            }
                            for b in sorted(newer, key=lambda b: b.id)
                        ],
                    }
                )
        row["stale"] = stale
    result["stale_count"] = sum(len(r["stale"]) for r in result["sources"])
    return result
