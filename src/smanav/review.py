"""Review: queued assertions from ingested documents, accepted or rejected by an editor.

An accepted assertion joins the knowledge base with status "accepted" (origin
'accepted', so `db build` keeps it), and the store generation is bumped so
in-memory knowledge bases reload. When it disagrees with what the knowledge
base already says (another age limit, another approval date, asserted vs
negated), both are shown with their sources and dates; neither is dropped.

An item that restates a curated or accepted statement (same subject, predicate,
object and certainty, and the same age limits, route or approval year) is "already
known": it is listed with the existing id, and accepting it adds its evidence to that
statement (kept in the queue, merged when the knowledge base loads, so `db build`
never loses it) instead of publishing a duplicate.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from .errors import InvalidInput
from .kb import KnowledgeBase
from .models import Assertion, Concept, Qualifiers
from .settings import DISCLAIMER, default_db_path
from .store import Store, bump_generation, open_store
from .tables import add_assertion, add_concept, set_review_status

__all__ = [
    "ConflictIndex",
    "conflicts_for",
    "known_in_store",
    "known_statement",
    "review_decide",
    "review_list",
]

_AGE = ("age_min_months", "age_max_months", "age_max_exclusive")


def _open(db_path: str | Path | None) -> Store:
    """The store, its review tables there (a migration step of every smanav database)."""
    return open_store(Path(db_path) if db_path is not None else default_db_path())


#: A listing shows at most this many disagreeing statements per item (with the total):
#: 23k accepted items on one subject copied every other one into each item (issue 11:
#: 99 s, 4.7 GB). `smanav show SUBJECT` lists them all.
MAX_CONFLICTS = 10

#: Items per page of `review` unless --limit says otherwise.
DEFAULT_LIMIT = 200


class ConflictIndex:
    """Published statements by (subject, predicate), built once per listing or decision,
    with each statement's dictionary made at most once."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        Group = tuple[tuple[Any, ...], list[Assertion]]
        self.groups: dict[tuple[str, str], list[Group]] = {}
        self.approval_years: dict[tuple[str, str | None], set[str]] = {}
        where: dict[tuple[Any, ...], list[Assertion]] = {}
        self.group_of: dict[str, int] = {}
        # Curated (and label) statements first: they are what an editor checks against.
        for a in sorted(kb.assertions.values(), key=lambda a: (a.status == "accepted", a.id)):
            q = a.qualifiers
            year = str(q.date.year) if q.date is not None else None
            key = (a.subject, a.predicate.value)
            group = (
                (q.age_min_months, q.age_max_months, q.age_max_exclusive),
                a.object,
                a.certainty.value,
                year,
            )
            members = where.get((*key, *group))
            if members is None:
                members = where[(*key, *group)] = []
                self.groups.setdefault(key, []).append((group, members))
            members.append(a)
            self.group_of[a.id] = id(members)
            if a.predicate.value == "approved_by" and year is not None:
                self.approval_years.setdefault((a.subject, a.object), set()).add(year)
        #: Published statements by (subject, predicate, object), curated ones first.
        self.by_triple: dict[tuple[str, str, str | None], list[Assertion]] = {}
        for a in sorted(kb.assertions.values(), key=lambda a: (a.status == "accepted", a.id)):
            self.by_triple.setdefault((a.subject, a.predicate.value, a.object), []).append(a)
        self._dicts: dict[str, dict[str, Any]] = {}
        #: Items that say the same thing disagree with the same groups: computed once.
        self.matching: dict[tuple[Any, ...], list[tuple[str, list[Assertion]]]] = {}

    def known(self, item: dict[str, Any]) -> str | None:
        """The id of the published statement this item restates, if any."""
        key = (item["subject"], item["predicate"], item["object"])
        return known_statement(item, self.by_triple.get(key, []))

    def statement(self, a: Assertion) -> dict[str, Any]:
        d = self._dicts.get(a.id)
        if d is None:
            d = self._dicts[a.id] = self.kb.statement_dict(a)
        return d


def _same_qualifiers(item: dict[str, Any], a: Assertion) -> bool:
    """Whether the qualifiers that make a statement what it is agree (ages, route, year)."""
    q = item.get("qualifiers") or {}
    theirs = a.qualifiers
    predicate = item["predicate"]
    if predicate == "eligibility":
        return all(
            q.get(k, False if k == "age_max_exclusive" else None) == getattr(theirs, k)
            for k in _AGE
        )
    if predicate == "route":
        return bool((q.get("route") or item.get("value")) == (theirs.route or a.value))
    if predicate == "approved_by":
        year = str(q.get("date") or "")[:4]
        return not year or theirs.date is None or str(theirs.date.year) == year
    return True


#: Certainties that say the same fact more or less firmly (negated is a conflict).
_AFFIRMED = frozenset({"asserted", "hedged"})


def known_statement(item: dict[str, Any], candidates: list[Assertion]) -> str | None:
    """The candidate (curated before accepted) the extracted item restates: same
    subject, predicate, object and defining qualifiers, and the same certainty; failing
    that, one that only words it more or less firmly ("can" vs "may": asserted vs
    hedged), which the review shows beside it."""
    same = [
        a
        for a in candidates
        if a.subject == item["subject"]
        and a.predicate.value == item["predicate"]
        and a.object == item["object"]
        and _same_qualifiers(item, a)
    ]
    for a in same:
        if a.certainty.value == item["certainty"]:
            return a.id
    for a in same:
        if {a.certainty.value, item["certainty"]} <= _AFFIRMED:
            return a.id
    return None


def known_in_store(conn: Any, item: dict[str, Any]) -> str | None:
    """`known_statement` against the published statements of a store (used at ingest)."""
    rows = conn.execute(
        "SELECT json FROM assertions WHERE subject = ? AND predicate = ? AND object IS ? "
        "AND status IN ('curated', 'accepted') ORDER BY status = 'accepted', id",
        (item["subject"], item["predicate"], item["object"]),
    ).fetchall()
    return known_statement(item, [Assertion.model_validate_json(r[0]) for r in rows])


def conflicts_for(
    item: dict[str, Any],
    kb: KnowledgeBase,
    index: ConflictIndex | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Existing assertions that say something different about the same subject (the first
    `limit` of them; `conflict_count` gives how many there are)."""
    return _conflicts(item, index or ConflictIndex(kb), limit)[0]


def _conflicts(
    item: dict[str, Any], index: ConflictIndex, limit: int | None
) -> tuple[list[dict[str, Any]], int]:
    """Disagreement depends only on a statement's age limits, object, certainty and
    approval year, so statements are grouped by those once and each item looks at the
    groups of its subject and predicate, not at every statement (linear listing)."""
    q = item.get("qualifiers") or {}
    mine_age = tuple(q.get(k, False if k == "age_max_exclusive" else None) for k in _AGE)
    mine_date = q.get("date")
    subject, predicate, obj = item["subject"], item["predicate"], item["object"]
    signature = (subject, predicate, obj, item["certainty"], mine_age, mine_date)
    matching = index.matching.get(signature)
    if matching is None:
        matching = index.matching[signature] = _matching(item, index, mine_age, mine_date)
    total = sum(len(members) for _, members in matching)
    own = index.group_of.get(item["id"])
    if own is not None and any(id(members) == own for _, members in matching):
        total -= 1  # an accepted item is in the knowledge base: not a conflict with itself
    out: list[dict[str, Any]] = []
    for reason, members in matching:
        for a in members:
            if limit is not None and len(out) >= limit:
                break
            if a.id == item["id"]:
                continue
            out.append(
                {
                    "reason": reason,
                    "source": item.get("source"),
                    "date": item.get("as_of"),
                    "existing": index.statement(a),
                }
            )
    return out, total


def _matching(
    item: dict[str, Any], index: ConflictIndex, mine_age: tuple[Any, ...], mine_date: Any
) -> list[tuple[str, list[Assertion]]]:
    """The groups of statements the item disagrees with, each with the reason."""
    subject, predicate, obj = item["subject"], item["predicate"], item["object"]
    years = index.approval_years.get((subject, obj), set())
    agrees = bool(mine_date) and str(mine_date)[:4] in years
    matching: list[tuple[str, list[Assertion]]] = []
    for (age, their_obj, certainty, year), members in index.groups.get((subject, predicate), []):
        reason = None
        if predicate == "eligibility":
            if mine_age != age and (mine_age[0], mine_age[1]) != (None, None):
                reason = "a different age limit"
        elif (
            predicate == "approved_by"
            and their_obj == obj
            and mine_date
            and year
            and str(mine_date)[:4] != year
            and not agrees
        ):
            reason = "a different approval date"
        negated = {certainty, item["certainty"]} == {"negated", "asserted"}
        if reason is None and their_obj == obj and obj is not None and negated:
            reason = "asserted in one source and negated in the other"
        if reason is not None:
            matching.append((reason, members))
    return matching


def _item_view(row: Any, index: ConflictIndex, text: str) -> dict[str, Any]:
    item = json.loads(row["json"])
    passages = [
        {"start": e["start"], "end": e["end"], "text": text[e["start"] : e["end"]]}
        for e in item["evidence"]
    ]
    conflicts, total = _conflicts(item, index, MAX_CONFLICTS)
    known = item.get("known") if row["status"] == "accepted" else index.known(item)
    existing = index.kb.assertions.get(known) if known else None
    return {
        "id": row["id"],
        "status": row["status"],
        "subject": item["subject"],
        "subject_name": item["subject_name"],
        "predicate": item["predicate"],
        "object": item["object"],
        "object_name": item["object_name"],
        "value": item["value"],
        "qualifiers": item["qualifiers"],
        "certainty": item["certainty"],
        "confidence": item["confidence"],
        "new_concepts": item["new_concepts"],
        "passage": passages[0],
        "passages": passages,
        "known": known,
        "known_certainty": existing.certainty.value if existing else None,
        "conflicts": conflicts,
        "conflict_count": total,
    }


_STATUSES = ("pending", "accepted", "rejected", "superseded", "all")


def review_list(
    db_path: str | Path | None = None,
    document: str | None = None,
    status: str = "pending",
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
) -> dict[str, Any]:
    """Queued assertions grouped by document, each with its passage and any conflict;
    one page of `limit` items from `offset` (in document, then passage order)."""
    if status not in _STATUSES:
        raise InvalidInput(
            "--status", f"{status!r} is not pending, accepted, rejected, superseded or all"
        )
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise InvalidInput("--limit", f"must be 1 or more, not {limit!r}")
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise InvalidInput("--offset", f"must be 0 or more, not {offset!r}")
    with _open(db_path) as store:
        docs = store.conn.execute(
            "SELECT * FROM ingest_documents ORDER BY ingested_at, source_id"
        ).fetchall()
        if document is not None:
            docs = [d for d in docs if _matches(d, document)]
            if not docs:
                raise InvalidInput("--document", f"no ingested document {document!r}")
        by_id = {d["source_id"]: d for d in docs}
        where = "q.source_id IN (SELECT value FROM json_each(?))"
        args: list[Any] = [json.dumps(list(by_id))]
        if status != "all":
            where += " AND q.status = ?"
            args.append(status)
        base = (
            "FROM review_queue q JOIN ingest_documents d ON d.source_id = q.source_id "
            f"WHERE {where}"
        )
        total = store.conn.execute(f"SELECT COUNT(*) {base}", args).fetchone()[0]
        rows = store.conn.execute(
            f"SELECT q.* {base} ORDER BY d.ingested_at, d.source_id, "
            "json_extract(q.json, '$.evidence[0].start'), q.predicate, q.id LIMIT ? OFFSET ?",
            [*args, limit, offset],
        ).fetchall()
        out: list[dict[str, Any]] = []
        if rows:
            index = ConflictIndex(KnowledgeBase.from_store(store))
            for r in rows:
                sid = r["source_id"]
                if not out or out[-1]["source"] != sid:
                    d = by_id[sid]
                    out.append(
                        {
                            "source": sid,
                            "title": d["title"],
                            "path": d["path"],
                            "version": d["version"],
                            "last_updated": d["last_updated"],
                            "assertions": [],
                            "_text": store.text_of(sid) or "",
                        }
                    )
                out[-1]["assertions"].append(_item_view(r, index, out[-1]["_text"]))
            for d in out:
                del d["_text"]
    count = sum(len(d["assertions"]) for d in out)
    return {
        "documents": out,
        "count": count,
        "total": total,
        "limit": limit,
        "offset": offset,
        "next_offset": offset + count if offset + count < total else None,
        "disclaimer": DISCLAIMER,
    }


def _matches(d: Any, document: str) -> bool:
    return document in (d["source_id"], d["path"], Path(d["path"]).name, d["title"])


def _concept_id(new: dict[str, Any], kb: KnowledgeBase) -> str:
    """A proposed concept's id once accepted: an existing concept of that name, or x-<slug>."""
    found = kb.lookup(new["name"])
    if found is not None:
        return found.id
    return new["id"] if new["id"].startswith("x-") else f"x-{new['id']}"


_DEFAULT_DOMAIN = {"drug": "symptom-medicines", "drug_class": "symptom-medicines"}


def _accept(
    store: Store, row: Any, kb: KnowledgeBase, index: ConflictIndex, now: str
) -> dict[str, Any]:
    item = json.loads(row["json"])
    db = store.conn
    known = index.known(item)
    if known is not None:  # evidence for the existing statement, not a duplicate
        set_review_status(db, "accepted", now, item=row["id"], json_item={**item, "known": known})
        return {"id": row["id"], "known": known, "conflicts": [], "conflict_count": 0}
    ids = {c["id"]: _concept_id(c, kb) for c in item["new_concepts"]}
    for c in item["new_concepts"]:
        cid = ids[c["id"]]
        if (
            cid in kb.concepts
            or db.execute("SELECT 1 FROM concepts WHERE id = ?", (cid,)).fetchone()
        ):
            continue
        concept = Concept.model_validate(
            {
                "id": cid,
                "kind": c["kind"],
                "name": c["name"],
                "codes": c["codes"],
                "domain": c.get("domain") or _DEFAULT_DOMAIN.get(c["kind"]),
            }
        )
        add_concept(db, concept, "accepted")
    q = {k: v for k, v in (item.get("qualifiers") or {}).items() if k in Qualifiers.model_fields}
    a = Assertion.model_validate(
        {
            "id": row["id"],
            "subject": ids.get(item["subject"], item["subject"]),
            "predicate": item["predicate"],
            "object": ids.get(item["object"], item["object"]) if item["object"] else None,
            "value": item["value"],
            "qualifiers": q,
            "certainty": item["certainty"],
            "evidence": [
                {
                    "source": row["source_id"],
                    "start": e["start"],
                    "end": e["end"],
                    "sha256": e["sha256"],
                }
                for e in item["evidence"]
            ],
            "status": "accepted",
            "confidence": item["confidence"],
            "as_of": item.get("as_of"),
        }
    )
    add_assertion(db, a, "accepted")
    index.by_triple.setdefault((a.subject, a.predicate.value, a.object), []).append(a)
    set_review_status(db, "accepted", now, item=row["id"])
    conflicts, total = _conflicts({**item, "id": a.id}, index, MAX_CONFLICTS)
    return {"id": a.id, "conflicts": conflicts, "conflict_count": total}


def review_decide(
    db_path: str | Path | None = None,
    accept: list[str] | None = None,
    reject: list[str] | None = None,
    accept_all: bool = False,
    reject_all: bool = False,
    document: str | None = None,
) -> dict[str, Any]:
    """Accept or reject queued assertions, singly or all of one document (or all)."""
    accept, reject = list(accept or []), list(reject or [])
    if accept_all and reject_all:
        raise InvalidInput("--accept-all", "cannot be combined with --reject-all")
    if set(accept) & set(reject):
        both = sorted(set(accept) & set(reject))
        raise InvalidInput("--accept", f"{', '.join(both)} is both accepted and rejected")
    if not (accept or reject or accept_all or reject_all):
        raise InvalidInput(
            "--accept", "nothing to decide: give --accept ID, --reject ID or --accept-all"
        )
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    accepted: list[dict[str, Any]] = []
    rejected: list[str] = []
    with _open(db_path) as store, store.atomic() as db:
        # Read and written under one write lock (BEGIN IMMEDIATE): a concurrent ingest's
        # `superseded` mark cannot be read as pending here and then overwritten.
        pending = {
            r["id"]: r for r in db.execute("SELECT * FROM review_queue WHERE status = 'pending'")
        }
        if document is not None:
            docs = db.execute("SELECT * FROM ingest_documents").fetchall()
            keep = {d["source_id"] for d in docs if _matches(d, document)}
            if not keep:
                raise InvalidInput("--document", f"no ingested document {document!r}")
            pending = {k: r for k, r in pending.items() if r["source_id"] in keep}
        for field, ids in (("--accept", accept), ("--reject", reject)):
            for i in ids:
                if i not in pending:
                    close = [k for k in pending if k.startswith(i[:6])][:5]
                    raise InvalidInput(field, f"{i!r} is not a pending assertion", close)
        if accept_all:
            accept = sorted(set(pending) - set(reject))
        if reject_all:
            reject = sorted(set(pending) - set(accept))
        kb = KnowledgeBase.from_store(store)
        index = ConflictIndex(kb)
        for i in accept:
            accepted.append(_accept(store, pending[i], kb, index, now))
        for i in reject:
            set_review_status(db, "rejected", now, item=i)
            rejected.append(i)
        if accepted:
            bump_generation(db)
    return {
        "accepted": [a["id"] for a in accepted],
        "merged": {a["id"]: a["known"] for a in accepted if a.get("known")},
        "rejected": rejected,
        "conflicts": [{"id": a["id"], **c} for a in accepted for c in a["conflicts"]],
        "conflict_count": sum(a["conflict_count"] for a in accepted),
        "disclaimer": DISCLAIMER,
    }
