"""One function per browsing view; the CLI, the web pages and the API all call these.

Each returns a JSON-ready dict (with the disclaimer), as datasette computes a page
and its JSON twin from one function.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from .errors import InvalidInput
from .kb import KnowledgeBase
from .models import Assertion, CareDomain, Predicate
from .names import closest
from .settings import DISCLAIMER

__all__ = [
    "ABOUT",
    "DOMAIN_NAMES",
    "SAFETY_TITLES",
    "SOURCES_MAX_PAGE",
    "SOURCES_PAGE",
    "by_domain",
    "fact_date",
    "home_view",
    "classes_of",
    "region_label",
    "safety_statements",
    "show_concept",
    "sources_list",
    "sources_view",
    "statement_view",
    "symptoms_list",
    "treatments_list",
]

P = Predicate

#: The Safety section of a medicine, in the order it is shown (issue 9): what the label
#: boxes first, then who must not take it, key label warnings, interactions, pregnancy
#: and fertility, and what the sources could not confirm.
SAFETY_ORDER: tuple[Predicate, ...] = (
    P.boxed_warning,
    P.contraindication,
    P.warning,
    P.interaction,
    P.do_not_combine_with,
    P.pregnancy,
    P.not_known,
)
SAFETY_TITLES: dict[str, str] = {
    P.boxed_warning.value: "Boxed warning",
    P.contraindication.value: "Must not be used (contraindications)",
    P.warning.value: "Key warnings",
    P.interaction.value: "Interactions",
    P.do_not_combine_with.value: "Interactions",
    P.pregnancy.value: "Pregnancy, breastfeeding, contraception and fertility",
    P.not_known.value: "Not known",
}
#: What a class passes on to its members on a medicine's page (said of benzodiazepines,
#: it holds for diazepam; the page says where it comes from).
_INHERITED_SAFETY = frozenset(SAFETY_ORDER)
_REGION_NAMES = {"US": "US", "EU": "EU", "CH": "Swiss", "UK": "UK"}
_LABEL_KINDS = frozenset({"label", "regulator", "manufacturer"})

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
    values = [d.value for d in CareDomain]
    close = closest(key, values, n=len(values))
    raise InvalidInput("domain", f"{domain!r} is not a care domain", close or values)


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
    _with_safety(kb, c.id, result)
    result["query"] = name
    result["domain_name"] = DOMAIN_NAMES[c.domain] if c.domain else None
    if c.kind == "symptom":
        result["helped_by"] = helped_by(kb, c.id)
        result["by_domain"] = by_domain(kb, c.id)
    result["disclaimer"] = DISCLAIMER
    return result


# --- Safety first, and contested statements beside their corrections (issue 9) -------
def classes_of(kb: KnowledgeBase, cid: str) -> list[str]:
    """The classes a medicine belongs to, nearest first (diazepam → benzodiazepines → …)."""
    out: list[str] = []
    todo = [cid]
    while todo:
        cur = todo.pop(0)
        for a in kb.about(cur):
            is_class = a.subject == cur and a.predicate == P.member_of_class
            if is_class and a.object and a.object not in out and a.object != cid:
                out.append(a.object)
                todo.append(a.object)
    return out


def _is_label_fact(kb: KnowledgeBase, a: Assertion) -> bool:
    if a.qualifiers.region is not None:
        return True
    return any(
        (src := kb.sources.get(ev.source)) is not None and src.kind in _LABEL_KINDS
        for ev in a.evidence
    )


def region_label(kb: KnowledgeBase, a: Assertion) -> str | None:
    """Where a fact holds, in words: "US label", "EU label"; None when not region-bound."""
    region = a.qualifiers.region
    if region is None or a.predicate == P.approved_by:
        return None
    name = _REGION_NAMES.get(region, region)
    labelled = any(
        (src := kb.sources.get(ev.source)) is not None and src.kind in _LABEL_KINDS
        for ev in a.evidence
    )
    return f"{name} label" if labelled or a.predicate in SAFETY_ORDER else name


def _plain_view(kb: KnowledgeBase, a: Assertion) -> dict[str, Any]:
    st = kb.statement_dict(a)
    st["region_label"] = region_label(kb, a)
    return st


def statement_view(
    kb: KnowledgeBase, a: Assertion, inherited_from: str | None = None
) -> dict[str, Any]:
    """A statement as shown everywhere: with where it holds, the class it comes from, and
    — when a label or the care standards contradict it — the correcting statements.

    A contested statement is never shown alone as fact: ``contested`` is true and
    ``contested_by`` carries each correction with its own sources.
    """
    st = _plain_view(kb, a)
    st["inherited_from"] = inherited_from
    st["inherited_from_name"] = kb.name_of(inherited_from) if inherited_from else None
    corrections = [kb.assertions[i] for i in a.contested_by if i in kb.assertions]
    st["contested"] = bool(a.contested_by)
    st["contested_by"] = [_plain_view(kb, b) for b in corrections]
    return st


def _safety_rank(a: Assertion) -> tuple[int, str, str]:
    return (SAFETY_ORDER.index(a.predicate), a.qualifiers.region or "", a.id)


def _safety_rows(kb: KnowledgeBase, cid: str) -> list[Assertion]:
    rows = []
    for a in kb.about(cid):
        if a.subject != cid or a.predicate not in SAFETY_ORDER:
            continue
        # Warnings from an article stay with the cautions; a label's are key warnings.
        if a.predicate == P.warning and not _is_label_fact(kb, a):
            continue
        rows.append(a)
    return sorted(rows, key=_safety_rank)


def safety_statements(kb: KnowledgeBase, cid: str) -> list[dict[str, Any]]:
    """The Safety section: the medicine's own label facts, then its classes' (marked)."""
    out = [statement_view(kb, a) for a in _safety_rows(kb, cid)]
    for cls in classes_of(kb, cid):
        for a in _safety_rows(kb, cls):
            if a.predicate in _INHERITED_SAFETY:
                out.append(statement_view(kb, a, inherited_from=cls))
    order = {p.value: i for i, p in enumerate(SAFETY_ORDER)}
    for st in out:
        st["heading"] = SAFETY_TITLES[st["predicate"]]
    # Stable: own before inherited within each kind of fact.
    return sorted(out, key=lambda st: order[st["predicate"]])


def _with_safety(kb: KnowledgeBase, cid: str, result: dict[str, Any]) -> None:
    """Safety first; side effects with the classes' (marked); contested beside corrections."""
    safety = safety_statements(kb, cid)
    moved = {st["id"] for st in safety if st["inherited_from"] is None}
    views: dict[str, Any] = {}
    for key, rows in list(result.items()):
        if not isinstance(rows, list) or not rows or not isinstance(rows[0], dict):
            continue
        if "predicate" not in rows[0]:
            continue
        kept = [st for st in rows if key == "safety" or st["id"] not in moved]
        views[key] = [statement_view(kb, kb.assertions[st["id"]]) for st in kept]
    result.update(views)
    side = list(result.get("side_effects") or [])
    for cls in classes_of(kb, cid):
        for a in kb.about(cls):
            if a.subject == cls and a.predicate == P.side_effect:
                side.append(statement_view(kb, a, inherited_from=cls))
    result["side_effects"] = side
    result["safety"] = safety


# --- the home page and the sources with stale-fact notices ------------------------
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


def by_domain(kb: KnowledgeBase, cid: str) -> list[dict[str, Any]]:
    """What the sources say may help a symptom, grouped by care domain, with evidence."""
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
    return [
        {**g, "options": sorted(g["options"].values(), key=lambda o: o["name"])}
        for g in sorted(groups.values(), key=lambda g: order.index(g["domain"]))
    ]


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
