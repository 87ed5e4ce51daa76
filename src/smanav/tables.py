"""The knowledge-base tables: all their DDL, numbered migrations, and the one write API.

Every table smanav keeps is created here and nowhere else, by numbered steps recorded
in a ``migrations`` table (sqlite-utils' ``Migrations`` pattern, written out because the
runner is 30 lines and sqlite-utils would bring five dependencies for it). A database
made by an older smanav gets the missing steps on open, its user rows kept; one made
by a newer smanav (a step this version does not know) is refused before anything is
written. Writers call the functions below, never a raw INSERT, so the next schema
change is one new step plus one edited function.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ._version import __version__
from .kb import norm_name, span_sha256
from .models import Assertion, Concept, Source

__all__ = [
    "MIGRATIONS",
    "Migration",
    "add_assertion",
    "add_concept",
    "add_document",
    "add_hpo_term",
    "add_ingested",
    "add_passages",
    "add_search_entry",
    "add_source",
    "add_concept_vectors",
    "add_passage_vectors",
    "applied_migrations",
    "drop_vectors",
    "migrate",
    "queue_assertions",
    "set_meta",
    "set_review_status",
    "unknown_migrations",
]

CURATED_DDL = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sources (
    id TEXT PRIMARY KEY, origin TEXT NOT NULL, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    source_id TEXT PRIMARY KEY, origin TEXT NOT NULL, sha256 TEXT NOT NULL, text TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS concepts (
    id TEXT PRIMARY KEY, origin TEXT NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL,
    domain TEXT, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS names (
    concept_id TEXT NOT NULL, name TEXT NOT NULL, norm TEXT NOT NULL, type TEXT NOT NULL,
    origin TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS names_norm ON names(norm);
CREATE TABLE IF NOT EXISTS assertions (
    id TEXT PRIMARY KEY, origin TEXT NOT NULL, subject TEXT NOT NULL, predicate TEXT NOT NULL,
    object TEXT, status TEXT NOT NULL, json TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS assertions_subject ON assertions(subject);
CREATE INDEX IF NOT EXISTS assertions_object ON assertions(object);
CREATE TABLE IF NOT EXISTS hpo_terms (id TEXT PRIMARY KEY, name TEXT NOT NULL, synonyms TEXT);
CREATE VIRTUAL TABLE IF NOT EXISTS concept_fts USING fts5(
    concept_id UNINDEXED, origin UNINDEXED, text, tokenize='porter unicode61 remove_diacritics 2');
CREATE VIRTUAL TABLE IF NOT EXISTS passage_fts USING fts5(
    source_id UNINDEXED, origin UNINDEXED, start UNINDEXED, end UNINDEXED, text,
    tokenize='porter unicode61 remove_diacritics 2');
"""

USER_DDL = """
CREATE TABLE IF NOT EXISTS ingest_documents (
    source_id TEXT PRIMARY KEY, path TEXT NOT NULL, sha256 TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL, last_updated TEXT, format TEXT NOT NULL, version INTEGER NOT NULL,
    supersedes TEXT, chars INTEGER NOT NULL, mentions INTEGER NOT NULL, ingested_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS ingest_documents_path ON ingest_documents(path);
CREATE TABLE IF NOT EXISTS review_queue (
    id TEXT PRIMARY KEY, source_id TEXT NOT NULL, status TEXT NOT NULL, subject TEXT NOT NULL,
    predicate TEXT NOT NULL, object TEXT, json TEXT NOT NULL, created_at TEXT NOT NULL,
    decided_at TEXT);
CREATE INDEX IF NOT EXISTS review_queue_source ON review_queue(source_id, status);
"""


#: Sentence-embedding vectors (float16 blobs) of passages, by passage_fts rowid, and of
#: concepts with the digest of the text they were computed from.
VECTORS_DDL = """
CREATE TABLE IF NOT EXISTS passage_vectors (rowid INTEGER PRIMARY KEY, vec BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS concept_vectors (
    concept_id TEXT PRIMARY KEY, sha TEXT NOT NULL, vec BLOB NOT NULL);
"""


def _script(ddl: str) -> Callable[[sqlite3.Connection], None]:
    def run(db: sqlite3.Connection) -> None:
        for stmt in ddl.split(";"):
            if stmt.strip():
                db.execute(stmt)

    return run


def _hpo_keys(db: sqlite3.Connection) -> None:
    """HPO names stemmed once, so no process stems 42 k names for its first search."""
    have = db.execute("SELECT 1 FROM sqlite_master WHERE name = 'hpo_keys'").fetchone()
    db.execute(
        "CREATE TABLE IF NOT EXISTS hpo_keys "
        "(id TEXT NOT NULL, name TEXT NOT NULL, key TEXT NOT NULL)"
    )
    if not have:
        fill_hpo_keys(db)


def fill_hpo_keys(db: sqlite3.Connection) -> None:
    from .phrases import hpo_key_rows

    db.executemany("INSERT INTO hpo_keys VALUES (?, ?, ?)", hpo_key_rows(db))


@dataclass(frozen=True)
class Migration:
    """One numbered step: its name is recorded once it has run, and never reused."""

    name: str
    run: Callable[[sqlite3.Connection], None]


#: In order. Every step must be safe on any database an earlier smanav made (hence the
#: IF NOT EXISTS: databases from before this table already hold some of these).
MIGRATIONS: tuple[Migration, ...] = (
    Migration("0001_curated_tables", _script(CURATED_DDL)),
    Migration("0002_user_tables", _script(USER_DDL)),
    Migration(
        "0003_documents_sha256",
        _script("CREATE INDEX IF NOT EXISTS documents_sha256 ON documents(sha256)"),
    ),
    Migration("0004_hpo_keys", _hpo_keys),
    # `review` lists and decides pending items across all documents.
    Migration(
        "0005_review_queue_status",
        _script("CREATE INDEX IF NOT EXISTS review_queue_status ON review_queue(status)"),
    ),
    # Dense vectors, once made on first use by search/dense.py (hence IF NOT EXISTS).
    Migration("0006_vectors", _script(VECTORS_DDL)),
)

#: Each step once, with the smanav that ran it. No clock: a build is byte-for-byte
#: deterministic (two builds of the same data are the same file's rows).
_LEDGER = "CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_by TEXT NOT NULL)"


def applied_migrations(db: sqlite3.Connection) -> list[str]:
    """Steps recorded in this database (none when it predates the migrations table)."""
    if not db.execute("SELECT 1 FROM sqlite_master WHERE name = 'migrations'").fetchone():
        return []
    return [str(r[0]) for r in db.execute("SELECT name FROM migrations ORDER BY name")]


def unknown_migrations(db: sqlite3.Connection) -> list[str]:
    """Steps a newer smanav recorded that this one does not know."""
    known = {m.name for m in MIGRATIONS}
    return [n for n in applied_migrations(db) if n not in known]


def migrate(db: sqlite3.Connection) -> list[str]:
    """Run the steps this database lacks, in order, recording each; return their names.

    Call inside a transaction (``Store.atomic``): all the steps land or none does. The
    caller checks ``unknown_migrations`` first (the store does, read-only)."""
    done = set(applied_migrations(db))
    pending = [m for m in MIGRATIONS if m.name not in done]
    if not pending:
        return []
    db.execute(_LEDGER)
    for m in pending:
        m.run(db)
        db.execute("INSERT INTO migrations VALUES (?, ?)", (m.name, f"smanav {__version__}"))
    return [m.name for m in pending]


# --- the write API ----------------------------------------------------------------------
# `origin` says who wrote a row: 'curated' rows are replaced by every `db build`;
# 'ingested' and 'accepted' rows are the users' and survive it.


def set_meta(db: sqlite3.Connection, items: dict[str, str]) -> None:
    db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", sorted(items.items()))


def add_source(db: sqlite3.Connection, source: Source, origin: str) -> None:
    """A source record (replacing one of the same id: a re-ingested file's new title)."""
    db.execute(
        "INSERT OR REPLACE INTO sources VALUES (?, ?, ?)",
        (source.id, origin, source.model_dump_json()),
    )


def add_document(
    db: sqlite3.Connection,
    source_id: str,
    origin: str,
    text: str,
    passages: Iterable[tuple[int, int, str]],
    sha256: str | None = None,
) -> None:
    """A source's full text and its searchable passages (offsets into `text`)."""
    db.execute(
        "INSERT INTO documents VALUES (?, ?, ?, ?)",
        (source_id, origin, sha256 or span_sha256(text), text),
    )
    add_passages(db, source_id, origin, passages)


def add_passages(
    db: sqlite3.Connection, source_id: str, origin: str, passages: Iterable[tuple[int, int, str]]
) -> None:
    """Searchable passages (start, end, text) of a source, without its full text."""
    db.executemany(
        "INSERT INTO passage_fts VALUES (?, ?, ?, ?, ?)",
        [(source_id, origin, s, e, t) for s, e, t in passages],
    )


def add_concept(
    db: sqlite3.Connection,
    concept: Concept,
    origin: str,
    names: Sequence[tuple[str, str]] | None = None,
) -> None:
    """A concept, every (name, type) it may be called by, and its search entry."""
    names = [(concept.name, "name")] if names is None else names
    domain = concept.domain.value if concept.domain else None
    db.execute(
        "INSERT INTO concepts VALUES (?, ?, ?, ?, ?, ?)",
        (concept.id, origin, concept.kind.value, concept.name, domain, concept.model_dump_json()),
    )
    db.executemany(
        "INSERT INTO names VALUES (?, ?, ?, ?, ?)",
        [(concept.id, n, norm_name(n), t, origin) for n, t in names],
    )
    add_search_entry(db, concept.id, origin, [n for n, _ in names])


def add_search_entry(
    db: sqlite3.Connection, concept_id: str, origin: str, names: list[str]
) -> None:
    """The full-text entry that finds a concept by any of its names."""
    db.execute("INSERT INTO concept_fts VALUES (?, ?, ?)", (concept_id, origin, " ; ".join(names)))


def add_assertion(db: sqlite3.Connection, a: Assertion, origin: str) -> None:
    """A statement (an accepted one replaces an earlier acceptance of the same id)."""
    db.execute(
        "INSERT OR REPLACE INTO assertions VALUES (?, ?, ?, ?, ?, ?, ?)",
        (a.id, origin, a.subject, a.predicate.value, a.object, a.status, a.model_dump_json()),
    )


def add_hpo_term(db: sqlite3.Connection, hid: str, name: str, synonyms: list[str]) -> None:
    db.execute("INSERT INTO hpo_terms VALUES (?, ?, ?)", (hid, name, json.dumps(synonyms)))


def add_ingested(db: sqlite3.Connection, row: dict[str, Any]) -> None:
    """One ingested document version (the keys are the columns of ingest_documents)."""
    cols = (
        "source_id",
        "path",
        "sha256",
        "title",
        "last_updated",
        "format",
        "version",
        "supersedes",
        "chars",
        "mentions",
        "ingested_at",
    )
    db.execute(
        f"INSERT INTO ingest_documents ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
        [row[c] for c in cols],
    )


def queue_assertions(
    db: sqlite3.Connection, source_id: str, items: Iterable[tuple[str, dict[str, Any]]], now: str
) -> None:
    """Extracted statements (id, item) waiting for an editor; an id already queued stays."""
    db.executemany(
        "INSERT OR IGNORE INTO review_queue VALUES (?, ?, 'pending', ?, ?, ?, ?, ?, NULL)",
        [
            (
                qid,
                source_id,
                item["subject"],
                item["predicate"],
                item["object"],
                json.dumps(item, ensure_ascii=False),
                now,
            )
            for qid, item in items
        ],
    )


def set_review_status(
    db: sqlite3.Connection,
    status: str,
    now: str,
    *,
    item: str | None = None,
    pending_of: str | None = None,
    json_item: dict[str, Any] | None = None,
) -> None:
    """Decide one queued item (`item`), or mark every pending item of a source (`pending_of`)."""
    if (item is None) == (pending_of is None):
        raise ValueError("give exactly one of item= or pending_of=")
    if pending_of is not None:
        db.execute(
            "UPDATE review_queue SET status = ?, decided_at = ? "
            "WHERE source_id = ? AND status = 'pending'",
            (status, now, pending_of),
        )
    elif json_item is not None:
        db.execute(
            "UPDATE review_queue SET status = ?, decided_at = ?, json = ? WHERE id = ?",
            (status, now, json.dumps(json_item, ensure_ascii=False), item),
        )
    else:
        db.execute(
            "UPDATE review_queue SET status = ?, decided_at = ? WHERE id = ?", (status, now, item)
        )


def add_passage_vectors(db: sqlite3.Connection, rows: Iterable[tuple[int, bytes]]) -> None:
    """Passage vectors by passage_fts rowid (replacing a passage's earlier vector)."""
    db.executemany("INSERT OR REPLACE INTO passage_vectors VALUES (?, ?)", rows)


def add_concept_vectors(db: sqlite3.Connection, rows: Iterable[tuple[str, str, bytes]]) -> None:
    """(concept id, digest of the text embedded, vector): replaced when the text changes."""
    db.executemany("INSERT OR REPLACE INTO concept_vectors VALUES (?, ?, ?)", rows)


def drop_vectors(db: sqlite3.Connection, which: str) -> None:
    """Vectors that no longer fit their rows. `which`: "all" (another model made them),
    "gone" (their passage was deleted) or "curated" (a rebuild replaces the curated
    passages, whose rowids new passages may take)."""
    if which == "all":
        db.execute("DELETE FROM passage_vectors")
        db.execute("DELETE FROM concept_vectors")
    elif which == "gone":
        db.execute("DELETE FROM passage_vectors WHERE rowid NOT IN (SELECT rowid FROM passage_fts)")
    elif which == "curated":
        db.execute(
            "DELETE FROM passage_vectors WHERE rowid IN "
            "(SELECT rowid FROM passage_fts WHERE origin = 'curated')"
        )
    else:
        raise ValueError(f"drop_vectors: {which!r} is not all, gone or curated")
