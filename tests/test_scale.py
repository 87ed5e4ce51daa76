"""Scale (issue 14): what search needs lives in the database, not in each process.

The typo guard asks the FTS5 index whether a source uses a word (an ingested document
counts at once); common words never make every query rank every passage; HPO names are
stemmed at `db build` and a database from before that is upgraded in place, user data
kept; source texts are read when a quote needs them.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smanav.ingest import ingest_paths
from smanav.search import search
from smanav.search.index import COMMON, Index
from smanav.store import Store, open_kb
from smanav.tables import add_passages


def _recognised(query: str, db: Path) -> list[tuple[str, str]]:
    res = search(query, open_kb(db), dense=False)
    return [(m["concept"], m["via"]) for m in res["recognised"]]


def test_a_word_an_ingested_document_uses_is_never_read_as_a_typo(
    fresh_db: Path, tmp_path: Path
) -> None:
    assert ("risdiplam", "typo") in _recognised("is risdiplan given often", fresh_db)
    doc = tmp_path / "village.txt"
    doc.write_text("Risdiplan is a village by the sea; the ferry runs twice a day.\n", "utf-8")
    assert ingest_paths([doc], fresh_db)["added"] == 1
    # The same process, the same cached index: the new word is a word a source uses now.
    assert ("risdiplam", "typo") not in _recognised("is risdiplan given often", fresh_db)


def _add_passages(db: Path, texts: list[str]) -> None:
    with Store(db) as store, store.atomic() as conn:
        for i, t in enumerate(texts):
            add_passages(conn, f"gen-{i:05d}", "ingested", [(0, len(t), t)])


@pytest.fixture(scope="module")
def crowded_db(tmp_path_factory: pytest.TempPathFactory, db_path: Path) -> Path:
    """Built knowledge base + one rare passage first + more than COMMON common ones."""
    path = tmp_path_factory.mktemp("crowded") / "smanav.db"
    path.write_bytes(db_path.read_bytes())
    _add_passages(path, ["Zebrafish studies of drooling in SMA were small."])
    words = ["muscles", "breathing", "children", "weakness", "therapy", "clinic"]
    _add_passages(
        path,
        [
            f"SMA affects {words[i % 6]} and {words[(i + 1) % 6]} in care."
            for i in range(COMMON + 500)
        ],
    )
    return path


def test_a_rare_word_ranks_even_when_every_passage_says_sma(crowded_db: Path) -> None:
    res = search("zebrafish sma", open_kb(crowded_db), limit=5, dense=False)
    # Beside the passages the knowledge base cites for SMA, not lost among 2,500 others.
    assert any(p["quote"].startswith("Zebrafish studies") for p in res["passages"])
    assert not any(p["quote"].startswith("SMA affects") for p in res["passages"])


def test_only_common_words_still_find_passages_holding_them(crowded_db: Path) -> None:
    kb = open_kb(crowded_db)
    res = search("sma muscles breathing", kb, limit=5, dense=False)
    assert "sma affects muscles and breathing in care." in [
        p["quote"].casefold() for p in res["passages"]
    ]
    idx = Index(kb)
    try:
        found = [p.text.casefold() for p, _ in idx.ranked(["sma", "muscles", "breathing"], 5)]
    finally:
        idx.close()
    assert len(found) == 5 and all("muscles" in q and "breathing" in q for q in found)


VOCAB = ["sma", "muscles", "breathing", "zebrafish", "drooling", "therapy", "clinic", "ferry"]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.sampled_from(VOCAB), min_size=1, max_size=4, unique=True))
def test_every_ranked_passage_holds_a_query_word_and_rare_words_come_first(
    crowded_db: Path, words: list[str]
) -> None:
    idx = Index(open_kb(crowded_db))
    try:
        found = idx.ranked(words, 10)
        for p, _ in found:
            # (FTS5 stems words: "muscles" finds "Muscle"; the first letters always agree)
            assert any(w[:5] in p.text.casefold() for w in words), (words, p.text)
        rare = [w for w in words if 0 < idx.count(f'"{w}"') <= COMMON]
        if rare and found:
            assert any(w[:5] in found[0][0].text.casefold() for w in rare)
        # Exactly as many as exist, up to the limit: nothing lost when words are rare.
        if not [w for w in words if idx.count(f'"{w}"') > COMMON]:
            assert len(found) == min(
                10, len(idx.passages(" OR ".join(f'"{w}"' for w in words), 50))
            )
    finally:
        idx.close()


def test_a_database_from_before_is_upgraded_in_place_with_user_data_kept(
    fresh_db: Path, tmp_path: Path
) -> None:
    doc = tmp_path / "note.txt"
    doc.write_text("Baclofen may ease stiff muscles; the dose is built up slowly.\n", "utf-8")
    ingest_paths([doc], fresh_db)
    want = _recognised("excessive salivation and stif muscels", fresh_db)
    conn = sqlite3.connect(fresh_db)
    keys = conn.execute("SELECT * FROM hpo_keys ORDER BY rowid").fetchall()
    # What an older smanav wrote: no migrations table (steps are recorded since issue 13),
    # no hpo_keys table, no documents_sha256 index.
    conn.execute("DROP TABLE migrations")
    conn.execute("DROP TABLE hpo_keys")
    conn.execute("DROP INDEX documents_sha256")
    conn.commit()
    conn.close()
    import smanav.store

    smanav.store._KB_CACHE.clear()
    assert _recognised("excessive salivation and stif muscels", fresh_db) == want
    conn = sqlite3.connect(fresh_db)
    assert conn.execute("SELECT * FROM hpo_keys ORDER BY rowid").fetchall() == keys
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    docs = conn.execute("SELECT count(*) FROM documents WHERE origin = 'ingested'").fetchone()
    conn.close()
    assert "documents_sha256" in names and docs == (1,)


def test_texts_are_read_when_quoted_not_when_opened(fresh_db: Path, corpus: Path) -> None:
    kb = open_kb(fresh_db)
    cited = next(a for a in kb.assertions.values() if a.evidence and a.evidence[0].start)
    ev = cited.evidence[0]
    assert ev.source in kb.texts and len(kb.texts) >= 2
    quote = kb.quote(ev)
    assert quote is not None and len(quote) == ev.end - ev.start


def test_the_server_warms_the_search_index_at_start_up(fresh_db: Path) -> None:
    """No request builds the index: it is built in the background when the server starts."""
    from fastapi.testclient import TestClient

    from smanav.search.index import _INDEXES
    from smanav.web.app import create_app

    app = create_app(fresh_db)
    with TestClient(app) as client:
        assert app.state.warm.wait(120)
        kb = app.state.kb.get()
        assert kb in _INDEXES  # built before any search request arrived
        res = client.get("/api/search", params={"q": "drooling"})
        assert res.status_code == 200 and res.json()["recognised"]


def test_cpu_bound_endpoints_never_run_on_the_event_loop() -> None:
    """Search, ask and the lookups are plain functions (FastAPI runs them in its thread
    pool), so a slow search never holds up /api/treatments."""
    import inspect

    from fastapi.routing import APIRoute

    from smanav.web.routers import api, pages

    paths = {"/api/search", "/api/ask", "/api/treatments", "/api/symptoms", "/search", "/ask"}
    every = [*api.router.routes, *pages.router.routes]
    routes = [r for r in every if isinstance(r, APIRoute) and r.path in paths]
    assert {r.path for r in routes} == paths
    assert not [r.path for r in routes if inspect.iscoroutinefunction(r.endpoint)]


FIXTURES = Path(__file__).parent / "fixtures" / "extract"


def _docs(tmp: Path, names: list[str]) -> Path:
    folder = tmp / "docs"
    folder.mkdir()
    for n in names:
        (folder / n).write_bytes((FIXTURES / n).read_bytes())
    return folder


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    names=st.lists(
        st.sampled_from(sorted(p.name for p in FIXTURES.glob("*.txt"))), max_size=3, unique=True
    ),
    bad=st.booleans(),
)
def test_extract_json_written_as_it_goes_is_the_document_it_always_was(
    cli: Any, db_path: Path, tmp_path_factory: pytest.TempPathFactory, names: list[str], bad: bool
) -> None:
    import json

    from smanav.extract import extract_paths

    folder = _docs(tmp_path_factory.mktemp("x"), names)
    if bad or not names:
        (folder / "zz-binary.txt").write_bytes(b"nul\x00byte")
    res = cli("extract", str(folder), "--json")
    want = extract_paths([folder], open_kb(db_path))
    assert res.stdout == json.dumps(want, ensure_ascii=False, indent=2, default=str) + "\n"
    assert res.code == (2 if want["errors"] else 0)

    lines = cli("extract", str(folder), "--jsonl").stdout.splitlines()
    rows = [json.loads(line) for line in lines]
    errors = [{"file": e["file"], "error": e["message"]} for e in want["errors"]]
    # One line per file, in the order the files are read (errors where they occur).
    assert sorted(map(json.dumps, rows[:-1])) == sorted(
        map(json.dumps, [*want["documents"], *errors])
    )
    assert rows[-1]["documents"] == len(want["documents"]) and rows[-1]["disclaimer"]


def test_extract_json_and_jsonl_together_exit_2_naming_both(cli: Any, tmp_path: Path) -> None:
    res = cli("extract", str(FIXTURES / "side_effects.txt"), "--json", "--jsonl")
    assert res.code == 2 and "--jsonl" in res.stderr and "Traceback" not in res.stderr


def test_dask_ingest_with_more_batches_than_in_flight_stores_every_document(
    fresh_db: Path, tmp_path: Path
) -> None:
    """Two batches per worker are in flight; the rest are sent as results come back."""
    names = sorted(p.name for p in FIXTURES.glob("*") if p.suffix in (".txt", ".md", ".html"))
    assert len(names) > 4
    folder = _docs(tmp_path, names)
    serial_db = tmp_path / "serial.db"
    serial_db.write_bytes(fresh_db.read_bytes())
    parallel = ingest_paths([folder], fresh_db, workers=1, batch_size=1)
    serial = ingest_paths([folder], serial_db)

    def shape(r: dict[str, Any]) -> list[tuple[Any, ...]]:
        return [(d["file"], d["status"], d.get("source"), d.get("queued")) for d in r["documents"]]

    assert shape(parallel) == shape(serial)
    assert len(parallel["documents"]) == len(names)
    again = ingest_paths([folder], fresh_db, workers=1, batch_size=1)  # resumes: nothing twice
    assert again["added"] == 0 and again["queued"] == 0


def test_db_embed_without_the_extra_exits_2_naming_it(cli: Any) -> None:
    from smanav.search.dense import available

    if available():
        pytest.skip("the embeddings extra is installed here: `db embed` works")
    res = cli("db", "embed")
    assert res.code == 2 and "smanav[embeddings]" in res.stderr and "Traceback" not in res.stderr


def _dense_or_skip() -> None:
    from smanav.search.dense import available

    if not available():
        pytest.skip("the embeddings extra is not installed (pip install 'smanav[embeddings]')")


def test_passage_vectors_are_stored_once_and_survive_a_new_process(
    fresh_db: Path, tmp_path: Path, cli: Any
) -> None:
    import json
    import subprocess
    import sys

    _dense_or_skip()
    first = json.loads(cli("db", "embed", "--json", db=fresh_db).stdout)
    conn = sqlite3.connect(fresh_db)
    n = conn.execute("SELECT count(*) FROM passage_fts").fetchone()[0]
    conn.close()
    assert first["added"] == n == first["stored"] and n > 0
    assert json.loads(cli("db", "embed", "--json", db=fresh_db).stdout)["added"] == 0
    # A new process searches densely without embedding a single passage again.
    code = (
        "import sys, smanav.search.dense as d; from smanav.store import open_kb; "
        "from smanav.search import search; "
        "d._encode = lambda *a, **k: sys.exit('re-embedding'); "
        "print(search(sys.argv[2], open_kb(sys.argv[1]), dense=True)['retrieval'])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(fresh_db), "the oral SMA drug"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0 and out.stdout.strip() == "lexical+dense", out.stderr[-500:]
    # An ingested document's passages get theirs when it is ingested.
    doc = tmp_path / "note.txt"
    doc.write_text("Baclofen may ease stiff muscles.\n\nThe dose is built up slowly.\n", "utf-8")
    res = json.loads(cli("ingest", str(doc), "--json", db=fresh_db).stdout)
    assert res["embedded"] == 2


def test_db_copy_makes_a_read_replica_that_answers_alike(
    cli: Any, fresh_db: Path, tmp_path: Path
) -> None:
    import json

    doc = tmp_path / "note.txt"
    doc.write_text("Zebrafish work on drooling in SMA was small.\n", "utf-8")
    ingest_paths([doc], fresh_db)
    replica = tmp_path / "replica.db"
    res = cli("db", "copy", str(replica), "--json", db=fresh_db)
    assert res.code == 0 and json.loads(res.stdout)["copy"] == str(replica)
    want = search("zebrafish drooling", open_kb(fresh_db), dense=False)
    got = search("zebrafish drooling", open_kb(replica), dense=False)
    assert got["passages"] == want["passages"] and got["concepts"] == want["concepts"]
    assert any("Zebrafish" in p["quote"] for p in got["passages"])


@pytest.mark.parametrize(
    ("dest", "message"), [("exists", "exists"), ("no/such/folder/x.db", "does not exist")]
)
def test_db_copy_bad_destination_exits_2(
    cli: Any, fresh_db: Path, tmp_path: Path, dest: str, message: str
) -> None:
    target = tmp_path / dest
    if dest == "exists":
        target.write_text("mine", "utf-8")
    res = cli("db", "copy", str(target), db=fresh_db)
    assert res.code == 2 and message in res.stderr and "Traceback" not in res.stderr
    if dest == "exists":
        assert target.read_text("utf-8") == "mine"


def test_published_statements_read_once_per_ingest_follow_another_writer(fresh_db: Path) -> None:
    """Ingest reads the published statements once, not per item; a commit by another
    connection (a review decision, a rebuild) is seen by the next batch."""
    from smanav.ingest import Published

    a = next(iter(open_kb(fresh_db).assertions.values()))
    item = a.model_dump(mode="json")
    with Store(fresh_db) as store:
        pub = Published()
        with store.atomic() as db:
            pub.refresh(db)
            assert pub.known(db, item) == a.id
        with sqlite3.connect(fresh_db) as other:
            other.execute("DELETE FROM assertions WHERE id = ?", (a.id,))
        with store.atomic() as db:
            pub.refresh(db)
            assert pub.known(db, item) is None
