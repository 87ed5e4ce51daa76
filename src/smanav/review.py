"""Review: queued assertions from ingested documents, accepted or rejected by an editor.

An accepted assertion joins the knowledge base with status "accepted" (origin
'accepted', so `db build` keeps it), and the store generation is bumped so
in-memory knowledge bases reload. When it disagrees with what the knowledge
base already says (another age limit, another approval date, asserted vs
negated), both are shown with their sources and dates; neither is dropped.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from .errors import InvalidInput
from .kb import KnowledgeBase, norm_name
from .models import Assertion, Concept, Qualifiers
from .settings import DISCLAIMER, default_db_path
from .store import Store, bump_generation, open_store

__all__ = ["conflicts_for", "review_decide", "review_list"]

_AGE = ("age_min_months", "age_max_months", "age_max_exclusive")


def _open(db_path: str | Path | None) -> Store:
    from .ingest import ensure_schema

    store = open_store(Path(db_path) if db_path is not None else default_db_path())
    ensure_schema(store.conn)
    return store


def conflicts_for(item: dict[str, Any], kb: KnowledgeBase) -> list[dict[str, Any]]:
    """Existing assertions that say something different about the same subject."""
    out = []
    q = item.get("qualifiers") or {}
    # An approval year the knowledge base already has agrees with it; its other approvals
    # (a new form, a new dose) are other events, not disagreements.
    approval_years = {
        a.qualifiers.date.year
        for a in kb.about(item["subject"])
        if a.subject == item["subject"]
        and a.predicate.value == "approved_by"
        and a.object == item["object"]
        and a.qualifiers.date is not None
    }
    for a in kb.about(item["subject"]):
        if a.subject != item["subject"] or a.predicate.value != item["predicate"]:
            continue
        if a.id == item["id"]:
            continue
        old = a.qualifiers.model_dump(mode="json")
        reason = None
        if item["predicate"] == "eligibility":
            mine = tuple(q.get(k, False if k == "age_max_exclusive" else None) for k in _AGE)
            theirs = tuple(old[k] for k in _AGE)
            if mine != theirs and (mine[0], mine[1]) != (None, None):
                reason = "a different age limit"
        elif item["predicate"] == "approved_by" and a.object == item["object"]:
            mine_date, their_date = q.get("date"), old.get("date")
            agrees = bool(mine_date) and int(str(mine_date)[:4]) in approval_years
            if mine_date and their_date and mine_date[:4] != their_date[:4] and not agrees:
                reason = "a different approval date"
        if reason is None and a.object == item["object"] and a.object is not None:
            negs = {a.certainty.value, item["certainty"]}
            if "negated" in negs and "asserted" in negs:
                reason = "asserted in one source and negated in the other"
        if reason:
            out.append(
                {
                    "reason": reason,
                    "source": item.get("source"),
                    "date": item.get("as_of"),
                    "existing": kb.statement_dict(a),
                }
            )
    return out


def _item_view(row: Any, kb: KnowledgeBase, texts: dict[str, str]) -> dict[str, Any]:
    item = json.loads(row["json"])
    ev = item["evidence"][0]
    text = texts.get(row["source_id"], "")
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
        "passage": {"start": ev["start"], "end": ev["end"], "text": text[ev["start"] : ev["end"]]},
        "conflicts": conflicts_for(item, kb),
    }


def review_list(
    db_path: str | Path | None = None, document: str | None = None, status: str = "pending"
) -> dict[str, Any]:
    """Queued assertions grouped by document, each with its passage and any conflict."""
    if status not in ("pending", "accepted", "rejected", "superseded", "all"):
        raise InvalidInput("--status", f"{status!r} is not pending, accepted, rejected or all")
    with _open(db_path) as store:
        kb = KnowledgeBase.from_store(store)
        docs = store.conn.execute(
            "SELECT * FROM ingest_documents ORDER BY ingested_at, source_id"
        ).fetchall()
        if document is not None:
            docs = [d for d in docs if _matches(d, document)]
            if not docs:
                raise InvalidInput("--document", f"no ingested document {document!r}")
        out = []
        for d in docs:
            sql = "SELECT * FROM review_queue WHERE source_id = ?"
            args: list[Any] = [d["source_id"]]
            if status != "all":
                sql += " AND status = ?"
                args.append(status)
            rows = store.conn.execute(sql + " ORDER BY id", args).fetchall()
            if not rows:
                continue
            texts = {d["source_id"]: store.text_of(d["source_id"]) or ""}
            items = [_item_view(r, kb, texts) for r in rows]
            items.sort(key=lambda i: (i["passage"]["start"], i["predicate"], i["id"]))
            out.append(
                {
                    "source": d["source_id"],
                    "title": d["title"],
                    "path": d["path"],
                    "version": d["version"],
                    "last_updated": d["last_updated"],
                    "assertions": items,
                }
            )
    return {
        "documents": out,
        "count": sum(len(d["assertions"]) for d in out),
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


def _accept(store: Store, row: Any, kb: KnowledgeBase, now: str) -> dict[str, Any]:
    item = json.loads(row["json"])
    ids = {c["id"]: _concept_id(c, kb) for c in item["new_concepts"]}
    db = store.conn
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
                "domain": _DEFAULT_DOMAIN.get(c["kind"]),
            }
        )
        db.execute(
            "INSERT INTO concepts VALUES (?, 'accepted', ?, ?, ?, ?)",
            (
                cid,
                concept.kind.value,
                concept.name,
                concept.domain.value if concept.domain else None,
                concept.model_dump_json(),
            ),
        )
        db.execute(
            "INSERT INTO names VALUES (?, ?, ?, 'name', 'accepted')",
            (cid, concept.name, norm_name(concept.name)),
        )
        db.execute("INSERT INTO concept_fts VALUES (?, 'accepted', ?)", (cid, concept.name))
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
    db.execute(
        "INSERT OR REPLACE INTO assertions VALUES (?, 'accepted', ?, ?, ?, 'accepted', ?)",
        (a.id, a.subject, a.predicate.value, a.object, a.model_dump_json()),
    )
    db.execute(
        "UPDATE review_queue SET status = 'accepted', decided_at = ? WHERE id = ?", (now, row["id"])
    )
    return {"id": a.id, "conflicts": conflicts_for({**item, "id": a.id}, kb)}


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
    with _open(db_path) as store:
        pending = {
            r["id"]: r
            for r in store.conn.execute("SELECT * FROM review_queue WHERE status = 'pending'")
        }
        if document is not None:
            docs = store.conn.execute("SELECT * FROM ingest_documents").fetchall()
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
        with store.atomic() as db:
            for i in accept:
                accepted.append(_accept(store, pending[i], kb, now))
            for i in reject:
                db.execute(
                    "UPDATE review_queue SET status = 'rejected', decided_at = ? WHERE id = ?",
                    (now, i),
                )
                rejected.append(i)
            if accepted:
                bump_generation(db)
    return {
        "accepted": [a["id"] for a in accepted],
        "rejected": rejected,
        "conflicts": [{"id": a["id"], **c} for a in accepted for c in a["conflicts"]],
        "disclaimer": DISCLAIMER,
    }
