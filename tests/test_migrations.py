"""Databases made by an earlier smanav open with their users' work intact: the missing
schema steps run in place, recorded in the `migrations` table; curated rows may be
rebuilt, ingested documents, review decisions and accepted statements never are."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from smanav._version import __version__
from smanav.ingest import ingest_paths
from smanav.review import review_decide, review_list
from smanav.store import open_kb, open_store
from smanav.tables import MIGRATIONS

FIXTURES = Path(__file__).parent / "fixtures"
#: The DDL of main before migrations existed (store.SCHEMA + ingest.SCHEMA, verbatim).
BEFORE = (FIXTURES / "schema_before_migrations.sql").read_text("utf-8")
#: Tables whose rows users make, and the condition that picks those rows.
USER_ROWS = {
    "ingest_documents": "1",
    "review_queue": "1",
    "sources": "origin != 'curated'",
    "documents": "origin != 'curated'",
    "concepts": "origin != 'curated'",
    "names": "origin != 'curated'",
    "assertions": "origin != 'curated'",
    "concept_fts": "origin != 'curated'",
    "passage_fts": "origin != 'curated'",
}


def _user_rows(conn: sqlite3.Connection) -> dict[str, list[tuple[Any, ...]]]:
    return {
        t: sorted(tuple(r) for r in conn.execute(f"SELECT * FROM {t} WHERE {w}"))
        for t, w in USER_ROWS.items()
    }


def _schema(conn: sqlite3.Connection) -> set[tuple[str, str, str]]:
    rows = conn.execute("SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL")
    return {(t, n, re.sub(r"\s+", " ", s)) for t, n, s in rows}


@pytest.fixture
def worked(fresh_db: Path, tmp_path: Path) -> Path:
    """A knowledge base someone used: two documents ingested, one item accepted, one
    rejected, the rest pending."""
    folder = tmp_path / "docs"
    folder.mkdir()
    for name in ("causes_eligibility.txt", "glued_brands.txt"):
        (folder / name).write_bytes((FIXTURES / "extract" / name).read_bytes())
    ingest_paths([folder], fresh_db)
    items = {
        (a["subject"], a["predicate"]): a["id"]
        for d in review_list(fresh_db)["documents"]
        for a in d["assertions"]
    }
    review_decide(
        fresh_db,
        accept=[items["diazepam", "evidence_in_sma"]],
        reject=[items["scoliosis", "causes"]],
    )
    return fresh_db


def _before_migrations() -> set[tuple[str, str, str]]:
    conn = sqlite3.connect(":memory:")
    conn.executescript(BEFORE)
    schema = _schema(conn)
    conn.close()
    return schema


def _assert_upgraded(path: Path, before: dict[str, list[tuple[Any, ...]]]) -> None:
    conn = sqlite3.connect(path)
    try:
        names = [r[0] for r in conn.execute("SELECT name FROM migrations ORDER BY name")]
        assert names == [m.name for m in MIGRATIONS]
        indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        assert "review_queue_status" in indexes
        assert _user_rows(conn) == before
    finally:
        conn.close()


def test_a_database_of_the_schema_before_migrations_is_upgraded_in_place(worked: Path) -> None:
    conn = sqlite3.connect(worked)
    with conn:
        conn.execute("DROP TABLE migrations")
        conn.execute("DROP INDEX review_queue_status")
        conn.execute("DROP TABLE passage_vectors")
        conn.execute("DROP TABLE concept_vectors")
    # What is left is exactly what main's code made: its checked-in DDL.
    assert _schema(conn) == _before_migrations()
    before = _user_rows(conn)
    conn.close()
    assert before["ingest_documents"] and before["review_queue"] and before["assertions"]

    kb = open_kb(worked)
    _assert_upgraded(worked, before)
    accepted = [a for a in kb.assertions.values() if a.status == "accepted"]
    assert [(a.subject, a.predicate.value) for a in accepted] == [("diazepam", "evidence_in_sma")]
    statuses = {
        a["status"] for d in review_list(worked, status="all")["documents"] for a in d["assertions"]
    }
    assert statuses == {"pending", "accepted", "rejected"}


def test_an_old_database_with_stale_curated_data_is_rebuilt_keeping_user_rows(
    worked: Path, tmp_path: Path
) -> None:
    """Made from the checked-in DDL, holding user rows only and an older data digest:
    the curated part is rebuilt, the steps run, and nothing of the user's is lost."""
    old = tmp_path / "old.db"
    conn = sqlite3.connect(old)
    conn.executescript(BEFORE)
    conn.execute("ATTACH DATABASE ? AS used", (str(worked),))
    with conn:
        for table, where in USER_ROWS.items():
            conn.execute(f"INSERT INTO main.{table} SELECT * FROM used.{table} WHERE {where}")
        conn.executemany(
            "INSERT INTO meta VALUES (?, ?)",
            [("schema", "1"), ("digest", "an-older-data-digest"), ("generation", "7")],
        )
    before = _user_rows(conn)
    conn.close()

    kb = open_kb(old)
    assert len(kb.concepts) > 50  # the curated data, rebuilt
    _assert_upgraded(old, before)
    assert any(a.status == "accepted" for a in kb.assertions.values())


def test_steps_run_once(worked: Path) -> None:
    conn = sqlite3.connect(worked)
    first = conn.execute("SELECT rowid, name, applied_by FROM migrations ORDER BY name").fetchall()
    conn.close()
    with open_store(worked):
        pass
    conn = sqlite3.connect(worked)
    assert (
        conn.execute("SELECT rowid, name, applied_by FROM migrations ORDER BY name").fetchall()
        == first
    )
    conn.close()
    assert [n for _, n, _ in first] == [m.name for m in MIGRATIONS]
    assert {by for _, _, by in first} == {f"smanav {__version__}"}


def test_step_names_are_numbered_in_order_and_unique() -> None:
    names = [m.name for m in MIGRATIONS]
    assert names == sorted(set(names))
    assert [int(n[:4]) for n in names] == list(range(1, len(names) + 1))


def test_a_review_status_names_exactly_one_target(worked: Path) -> None:
    from smanav.store import Store
    from smanav.tables import set_review_status

    with Store(worked) as store, pytest.raises(ValueError, match="exactly one"):
        set_review_status(store.conn, "rejected", "2026-01-01")
    with Store(worked) as store, pytest.raises(ValueError, match="exactly one"):
        set_review_status(store.conn, "rejected", "2026-01-01", item="x", pending_of="y")


def test_vectors_stored_before_their_migration_are_kept(worked: Path) -> None:
    """Dense search used to make its own tables: a file with 0001-0005 recorded and
    vectors in those tables gets 0006 recorded and loses no vector; one without the
    tables gets them."""
    conn = sqlite3.connect(worked)
    with conn:
        conn.execute("DELETE FROM migrations WHERE name = '0006_vectors'")
        conn.execute("INSERT INTO passage_vectors VALUES (1, x'0102')")
        conn.execute("INSERT INTO concept_vectors VALUES ('baclofen', 'abc', x'03')")
    conn.close()
    with open_store(worked):
        pass
    conn = sqlite3.connect(worked)
    try:
        assert "0006_vectors" in [r[0] for r in conn.execute("SELECT name FROM migrations")]
        assert conn.execute("SELECT * FROM passage_vectors").fetchall() == [(1, b"\x01\x02")]
        assert conn.execute("SELECT * FROM concept_vectors").fetchall() == [
            ("baclofen", "abc", b"\x03")
        ]
        with conn:
            conn.execute("DELETE FROM migrations WHERE name = '0006_vectors'")
            conn.execute("DROP TABLE passage_vectors")
            conn.execute("DROP TABLE concept_vectors")
    finally:
        conn.close()
    with open_store(worked):
        pass
    conn = sqlite3.connect(worked)
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        assert {"passage_vectors", "concept_vectors"} <= tables
    finally:
        conn.close()


def test_unknown_vector_drops_are_refused(worked: Path) -> None:
    from smanav.store import Store
    from smanav.tables import drop_vectors

    with Store(worked) as store, pytest.raises(ValueError, match="not all, gone or curated"):
        drop_vectors(store.conn, "some")
