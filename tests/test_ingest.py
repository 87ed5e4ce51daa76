"""Ingest: each document version stored once, bad files named and skipped, one transaction
per document, passages searchable, Dask workers giving the same result."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import smanav.ingest
from smanav.documents import read_document
from smanav.errors import InvalidInput
from smanav.ingest import ingest_paths

FIXTURES = Path(__file__).parent / "fixtures" / "extract"


def _copy(tmp: Path, *names: str) -> Path:
    folder = tmp / "docs"
    folder.mkdir(exist_ok=True)
    for n in names:
        (folder / n).write_bytes((FIXTURES / n).read_bytes())
    return folder


def _count(db: Path, sql: str) -> int:
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute(sql).fetchone()[0])
    finally:
        conn.close()


def test_ingest_stores_once_and_versions_changes(fresh_db: Path, tmp_path: Path) -> None:
    folder = _copy(tmp_path, "nbsp_negation.txt", "approval.html", "hedged_links.md")
    ticks: list[tuple[int, int]] = []
    first = ingest_paths([folder], fresh_db, progress=lambda d, t, f: ticks.append((d, t)))
    assert (first["added"], first["error"]) == (3, 0)
    assert ticks == [(1, 3), (2, 3), (3, 3)]  # what the progress bar shows
    assert first["queued"] > 5
    by_name = {Path(d["file"]).name: d for d in first["documents"]}
    assert by_name["nbsp_negation.txt"]["last_updated"] == "2024-03-03"
    assert by_name["approval.html"]["title"] == "Risdiplam & its approval"
    tables = ["documents", "sources", "review_queue", "passage_fts", "ingest_documents"]
    before = {t: _count(fresh_db, f"SELECT count(*) FROM {t}") for t in tables}

    again = ingest_paths([folder], fresh_db)
    assert again["unchanged"] == 3 and again["queued"] == 0
    assert {t: _count(fresh_db, f"SELECT count(*) FROM {t}") for t in tables} == before

    doc = folder / "nbsp_negation.txt"
    doc.write_text(doc.read_text("utf-8") + "\nClonazepam may ease spasticity.\n", "utf-8")
    changed = ingest_paths([doc], fresh_db)
    (d,) = changed["documents"]
    assert (d["status"], d["version"]) == ("new_version", 2)
    assert d["supersedes"] == by_name["nbsp_negation.txt"]["source"]
    old = _count(
        fresh_db,
        f"SELECT count(*) FROM review_queue WHERE source_id = '{d['supersedes']}' "
        "AND status = 'superseded'",
    )
    assert old == by_name["nbsp_negation.txt"]["queued"]


def test_ingested_passages_are_searchable_and_cite_the_original(
    fresh_db: Path, tmp_path: Path
) -> None:
    folder = _copy(tmp_path, "approval.html")
    (d,) = ingest_paths([folder], fresh_db)["documents"]
    conn = sqlite3.connect(fresh_db)
    rows = conn.execute(
        "SELECT source_id, origin, start, end, text FROM passage_fts WHERE passage_fts MATCH "
        "'metformin'"
    ).fetchall()
    original = conn.execute(
        "SELECT text FROM documents WHERE source_id = ?", (d["source"],)
    ).fetchone()[0]
    conn.close()
    assert [(r[0], r[1]) for r in rows] == [(d["source"], "ingested")]
    assert "metformin" in original[rows[0][2] : rows[0][3]]
    assert "<script>" in original  # the stored text is the file as given


BAD: list[tuple[str, bytes, str]] = [
    ("empty.txt", b"", "is empty"),
    ("blank.md", b"   \n\n", "is empty"),
    ("binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00", "looks binary"),
    ("latin1.txt", "Caf\u00e9 baclofen".encode("latin-1"), "is not UTF-8 text"),
    ("notes.docx", b"PK\x03\x04", "unsupported file type .docx"),
    ("broken.pdf", b"%PDF-1.4 not really", "is not a readable PDF"),
    ("big.txt", b"baclofen " * 200, "over the 1,000-byte limit"),
]


@pytest.mark.parametrize(("name", "content", "message"), BAD, ids=[b[0] for b in BAD])
def test_bad_files_are_named_and_the_batch_goes_on(
    cli: Callable[..., Any],
    fresh_db: Path,
    tmp_path: Path,
    name: str,
    content: bytes,
    message: str,
) -> None:
    folder = _copy(tmp_path, "side_effects.txt")
    bad = folder / name
    bad.write_bytes(content)
    res = cli(
        "ingest",
        str(bad),
        str(folder / "side_effects.txt"),
        "--max-bytes",
        "1000",
        "--json",
        db=fresh_db,
    )
    assert res.code == 2
    body = json.loads(res.stdout)
    assert (body["added"], body["error"]) == (1, 1)
    (err,) = [d for d in body["documents"] if d["status"] == "error"]
    assert err["file"] == str(bad)
    assert message in err["message"]
    assert "Traceback" not in res.stderr
    text = cli("ingest", str(bad), "--max-bytes", "1000", db=fresh_db)
    assert text.code == 2
    assert name in text.stderr and message in " ".join(text.stderr.split())


def test_bad_arguments_exit_2(cli: Callable[..., Any], fresh_db: Path, tmp_path: Path) -> None:
    for args, needle in (
        (("ingest", str(tmp_path / "missing.txt")), "no such file"),
        (("ingest", str(tmp_path), "--workers", "-1"), "must be 0 or more"),
        (("ingest", str(tmp_path), "--workers", "99999"), "at most"),
        (("ingest", str(FIXTURES / "side_effects.txt"), "--scheduler", "no-port"), "no-port"),
        (("ingest", str(tmp_path)), "no files given"),
    ):
        res = cli(*args, db=fresh_db)
        assert res.code == 2, args
        assert needle in res.stderr and "Traceback" not in res.stderr


def test_a_crash_mid_batch_keeps_whole_documents_only(
    fresh_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _copy(tmp_path, "glued_brands.txt", "side_effects.txt")
    real = smanav.ingest.bump_generation
    calls = []

    def interrupted(db: sqlite3.Connection) -> None:
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt  # Ctrl-C while the second document is being written
        real(db)

    monkeypatch.setattr(smanav.ingest, "bump_generation", interrupted)
    with pytest.raises(KeyboardInterrupt):
        ingest_paths([folder], fresh_db, batch_size=1)
    assert _count(fresh_db, "SELECT count(*) FROM ingest_documents") == 1
    conn = sqlite3.connect(fresh_db)
    (sid,) = [r[0] for r in conn.execute("SELECT source_id FROM ingest_documents")]
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    for table in ("documents", "sources"):
        assert _count(fresh_db, f"SELECT count(*) FROM {table} WHERE origin = 'ingested'") == 1
    assert _count(fresh_db, f"SELECT count(*) FROM review_queue WHERE source_id != '{sid}'") == 0
    assert (
        _count(
            fresh_db,
            f"SELECT count(*) FROM passage_fts WHERE origin = 'ingested' AND source_id != '{sid}'",
        )
        == 0
    )
    monkeypatch.setattr(smanav.ingest, "bump_generation", real)
    resumed = ingest_paths([folder], fresh_db)
    assert sorted(d["status"] for d in resumed["documents"]) == ["added", "unchanged"]


def test_pdf_text_is_read(tmp_path: Path, fresh_db: Path) -> None:
    pdf = tmp_path / "leaflet.pdf"
    pdf.write_bytes(_pdf("Baclofen may ease spasticity in SMA."))
    doc = read_document(pdf)
    assert "Baclofen may ease spasticity" in doc.text
    (d,) = ingest_paths([pdf], fresh_db)["documents"]
    assert d["status"] == "added" and d["queued"] >= 1


def test_dask_workers_give_the_same_result(fresh_db: Path, tmp_path: Path) -> None:
    """One small LocalCluster (2 worker processes, one document per task)."""
    folder = _copy(tmp_path, "glued_brands.txt", "side_effects.txt", "causes_eligibility.txt")
    serial_db = tmp_path / "serial.db"
    serial_db.write_bytes(fresh_db.read_bytes())
    parallel = ingest_paths([folder], fresh_db, workers=2, batch_size=1)
    serial = ingest_paths([folder], serial_db)

    def shape(r: dict[str, Any]) -> list[tuple[Any, ...]]:
        return [(d["file"], d["status"], d["source"], d["queued"]) for d in r["documents"]]

    assert shape(parallel) == shape(serial)
    assert parallel["added"] == 3

    def queued(db: Path) -> list[tuple[Any, ...]]:
        with sqlite3.connect(db) as conn:
            return conn.execute(
                "SELECT id, source_id, status, subject, predicate, object, json "
                "FROM review_queue ORDER BY id"
            ).fetchall()

    assert queued(fresh_db) == queued(serial_db) and queued(serial_db)


def _pdf(text: str) -> bytes:
    """A one-page PDF with one line of Helvetica text, written by hand."""
    content = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = b"%PDF-1.4\n", []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return out


def test_an_existing_dask_cluster_by_address(fresh_db: Path, tmp_path: Path) -> None:
    from dask.distributed import LocalCluster

    folder = _copy(tmp_path, "hedged_links.md", "approval.html")
    with LocalCluster(
        n_workers=1, processes=False, protocol="tcp", dashboard_address=None
    ) as cluster:
        result = ingest_paths([folder], fresh_db, scheduler=cluster.scheduler_address)
    assert result["added"] == 2 and result["queued"] > 0


def test_an_unreachable_scheduler_is_named(
    cli: Callable[..., Any], fresh_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(smanav.ingest, "SCHEDULER_TIMEOUT", 1)
    res = cli(
        "ingest",
        str(FIXTURES / "side_effects.txt"),
        "--scheduler",
        "tcp://127.0.0.1:9",
        db=fresh_db,
    )
    assert res.code == 2
    assert "--scheduler" in res.stderr and "tcp://127.0.0.1:9" in res.stderr


def test_nul_bytes_anywhere_make_a_file_binary(tmp_path: Path) -> None:
    """A NUL after the first 8 kB is caught too: the same per-file error."""
    late = tmp_path / "late.txt"
    late.write_bytes(b"Baclofen may ease spasticity.\n" * 1000 + b"\x00tail")
    with pytest.raises(InvalidInput) as exc:
        read_document(late)
    assert str(late) in str(exc.value) and "NUL" in exc.value.message


def test_pypdf_warnings_stay_off_the_terminal(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    """A fake or damaged PDF: the per-file error only; pypdf's own complaints are
    logged at debug level, never printed."""
    import pypdf  # noqa: F401  a test dependency (pdf extra): fail, never skip

    fake = tmp_path / "fake.pdf"
    fake.write_bytes(b"%PDF-1.4\nstartxref\n5\n%%EOF\n")
    damaged = tmp_path / "damaged.pdf"
    damaged.write_bytes(
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
        b"trailer << /Root 1 0 R >>\nstartxref\n999\n%%EOF\n"
    )
    with caplog.at_level("DEBUG", logger="smanav.documents"):
        for path in (fake, damaged):
            with pytest.raises(InvalidInput) as exc:
                read_document(path)
            assert str(path) in str(exc.value)
    out, err = capfd.readouterr()
    assert out == "" and err == ""
    assert any("pypdf" in r.getMessage() for r in caplog.records)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_closed_scheduler_port_is_named_at_once(cli: Callable[..., Any], fresh_db: Path) -> None:
    import time

    address = f"tcp://127.0.0.1:{_free_port()}"
    t0 = time.monotonic()
    res = cli("ingest", str(FIXTURES / "side_effects.txt"), "--scheduler", address, db=fresh_db)
    assert time.monotonic() - t0 < 5
    assert res.code == 2
    assert "--scheduler" in res.stderr and address in res.stderr
    assert "Traceback" not in res.stderr + res.stdout


@pytest.mark.parametrize(
    "reply",
    [b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n", b"\x05" * 8 + b"junk", b""],
    ids=["http", "junk", "silent"],
)
def test_a_scheduler_that_is_not_dask_is_named(
    cli: Callable[..., Any], fresh_db: Path, reply: bytes
) -> None:
    """A TCP service that is not Dask (a web server, junk, silence) is named within 5 s:
    never a MemoryError from reading its first bytes as a message length."""
    import socket
    import threading
    import time

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            with conn:
                if reply:
                    conn.sendall(reply)
                stop.wait(6)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    address = f"tcp://127.0.0.1:{server.getsockname()[1]}"
    try:
        t0 = time.monotonic()
        res = cli("ingest", str(FIXTURES / "side_effects.txt"), "--scheduler", address, db=fresh_db)
        assert time.monotonic() - t0 < 5
    finally:
        stop.set()
        thread.join()
        server.close()
    assert res.code == 2
    assert "--scheduler" in res.stderr and address in res.stderr
    assert "not a Dask scheduler" in res.stderr
    assert "Traceback" not in res.stderr + res.stdout and "MemoryError" not in res.stderr


def test_json_output_is_streamed_in_the_one_document_format(
    cli: Callable[..., Any], fresh_db: Path, tmp_path: Path
) -> None:
    """--json writes each document as it is stored; what arrives is still the one JSON
    document, formatted exactly as before, in input order, with the bad file named."""
    folder = _copy(tmp_path, "approval.html", "hedged_links.md", "side_effects.txt")
    (folder / "b_empty.txt").write_bytes(b"")
    res = cli("ingest", str(folder), "--json", db=fresh_db)
    assert res.code == 2  # one file refused
    body = json.loads(res.stdout)
    assert res.stdout == json.dumps(body, ensure_ascii=False, indent=2, default=str) + "\n"
    assert list(body) == [
        "db", "documents", "added", "new_version", "unchanged", "error", "queued", "known",
        "disclaimer",
    ]  # fmt: skip
    names = [Path(d["file"]).name for d in body["documents"]]
    assert names == sorted(names) == ["approval.html", "b_empty.txt", "hedged_links.md",
                                      "side_effects.txt"]  # fmt: skip
    assert (body["added"], body["error"]) == (3, 1)
    assert body["queued"] == sum(d.get("queued", 0) for d in body["documents"]) > 0
    again = json.loads(cli("ingest", str(folder / "approval.html"), "--json", db=fresh_db).stdout)
    assert [d["status"] for d in again["documents"]] == ["unchanged"]


def test_on_document_hands_over_each_document_and_keeps_none(
    fresh_db: Path, tmp_path: Path
) -> None:
    folder = _copy(tmp_path, "approval.html", "glued_brands.txt", "hedged_links.md")
    seen: list[dict[str, Any]] = []
    result = ingest_paths([folder], fresh_db, on_document=seen.append, batch_size=1)
    assert "documents" not in result
    assert [Path(d["file"]).name for d in seen] == [
        "approval.html", "glued_brands.txt", "hedged_links.md"
    ]  # fmt: skip
    assert result["added"] == 3 and result["queued"] == sum(d["queued"] for d in seen)


_PROCESS_BATCH = smanav.ingest.process_batch


def _first_batch_slow(batch: list[str], *args: Any) -> list[dict[str, Any]]:
    import time

    if Path(batch[0]).name.startswith("a_"):
        time.sleep(2)  # the other worker finishes every later batch first
    return _PROCESS_BATCH(batch, *args)


def test_dask_results_come_back_in_input_order_when_a_batch_is_slow(
    fresh_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _copy(tmp_path, "glued_brands.txt", "side_effects.txt", "hedged_links.md")
    (folder / "a_first.txt").write_text("Baclofen may ease spasticity.\n", encoding="utf-8")
    monkeypatch.setattr(smanav.ingest, "process_batch", _first_batch_slow)
    seen: list[str] = []
    result = ingest_paths(
        [folder], fresh_db, workers=2, batch_size=1, on_document=lambda d: seen.append(d["file"])
    )
    assert [Path(f).name for f in seen] == [
        "a_first.txt", "glued_brands.txt", "hedged_links.md", "side_effects.txt"
    ]  # fmt: skip
    assert result["added"] == 4


def _batch_noting_pid(batch: list[str], *args: Any) -> list[dict[str, Any]]:
    import os

    with open(os.environ["SMANAV_TEST_PIDS"], "a", encoding="utf-8") as fh:
        fh.write(f"{os.getpid()}\n")
    return _PROCESS_BATCH(batch, *args)


def test_local_workers_are_renewed_between_batches_without_losing_any(
    fresh_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Workers are restarted (fresh forks, flat memory) after their share of batches:
    every document is still stored once, in input order, as without restarts."""
    folder = _copy(
        tmp_path, "glued_brands.txt", "side_effects.txt", "hedged_links.md", "approval.html"
    )
    (folder / "a_first.txt").write_text("Baclofen may ease spasticity.\n", encoding="utf-8")
    pids = tmp_path / "pids.txt"
    monkeypatch.setenv("SMANAV_TEST_PIDS", str(pids))
    monkeypatch.setattr(smanav.ingest, "process_batch", _batch_noting_pid)
    monkeypatch.setattr(smanav.ingest, "RECYCLE_BATCHES", 1)
    seen: list[str] = []
    result = ingest_paths(
        [folder], fresh_db, workers=2, batch_size=1, on_document=lambda d: seen.append(d["file"])
    )
    assert [Path(f).name for f in seen] == sorted(p.name for p in folder.iterdir())
    assert result["added"] == 5 and result["error"] == 0
    ran_in = pids.read_text(encoding="utf-8").split()
    assert len(ran_in) == 5  # no batch ran twice
    assert len(set(ran_in)) >= 3  # 5 batches, 2 a round: the workers were renewed
    assert _count(fresh_db, "SELECT count(*) FROM ingest_documents") == 5
