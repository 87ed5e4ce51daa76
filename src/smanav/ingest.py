"""Ingest: read documents, extract what they say, store each version once, queue for review.

``ingest_paths(paths, db_path)`` is the real thing; ``smanav ingest`` formats its
result. Each batch of documents is written in one transaction, so Ctrl-C or a crash
mid-batch leaves every document either fully stored or absent. Bad files are
reported by name and the rest of the batch goes on. With ``workers`` set,
reading and extraction run on Dask (local processes, or a cluster given by
``scheduler``), documents batched per task; all writes stay in this process.
Reading a file is ``smanav.documents`` (re-exported here for existing callers); the
rows are written through ``smanav.tables``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import logging
import os
import re
import socket
import sqlite3
import struct
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from .documents import Document, collect_files, read_document
from .errors import InvalidInput
from .settings import DISCLAIMER, MAX_BYTES, settings
from .store import Store, bump_generation, split_passages
from .tables import add_document, add_ingested, add_source, queue_assertions, set_review_status

__all__ = [
    "DEFAULT_MAX_BYTES",
    "Document",
    "collect_files",
    "ingest_paths",
    "process_batch",
    "read_document",
]

#: Larger files are refused (configurable: --max-bytes / SMANAV_MAX_BYTES).
DEFAULT_MAX_BYTES = MAX_BYTES
#: Seconds to wait for a Dask scheduler given with --scheduler (its first answer comes
#: within SCHEDULER_PROBE seconds or it is named as unreachable or not a scheduler).
SCHEDULER_TIMEOUT = 5
SCHEDULER_PROBE = 3.0
log = logging.getLogger(__name__)


# --- extraction (runs in this process or on Dask workers) -----------------------------
def process_batch(
    paths: list[str], spec: Any, max_bytes: int | None, known: frozenset[str]
) -> list[dict[str, Any]]:
    """Read and extract a batch of files; one result per file, errors included, no raise."""
    from .extract import extract_text

    out: list[dict[str, Any]] = []
    for path in paths:
        try:
            doc = read_document(path, max_bytes)
        except InvalidInput as exc:
            out.append({"file": path, "status": "error", "message": exc.message})
            continue
        except OSError as exc:
            out.append({"file": path, "status": "error", "message": f"cannot be read: {exc}"})
            continue
        if doc.sha256 in known:
            out.append({"file": path, "status": "unchanged", "sha256": doc.sha256})
            continue
        result = extract_text(doc.mapped, spec)
        passages = [
            (*doc.mapped.span(s, e), " ".join(chunk.split()))
            for s, e, chunk in split_passages(doc.mapped.text)
        ]
        out.append(
            {
                "file": path,
                "status": "read",
                "format": doc.format,
                "text": doc.text,
                "title": doc.title,
                "last_updated": doc.last_updated,
                "sha256": doc.sha256,
                "passages": passages,
                "mentions": len(result["mentions"]),
                "assertions": result["assertions"],
                "warnings": [*doc.warnings, *result["warnings"]],
            }
        )
    return out


# --- storing --------------------------------------------------------------------------
def _source_id(path: str, sha: str) -> str:
    stem = re.sub(r"[^a-z0-9]+", "-", Path(path).stem.lower()).strip("-")[:40] or "doc"
    return f"{stem}-{sha[:8]}"


class Published:
    """What storing compares each document against, read once per ingest rather than per
    document and statement: the curated sources by sha256 and the published statements
    by (subject, predicate, object). Ingest writes neither; a commit by another
    connection (a `db build`, a review decision) changes SQLite's ``data_version`` and
    empties the cache at the next transaction."""

    def __init__(self) -> None:
        self._version: int | None = None
        self._curated: dict[str, str] | None = None
        #: Published statements by (subject, predicate, object): JSON until first asked
        #: for. Keyed by what is published, not by what documents say, so it does not
        #: grow with the corpus (a cache of every extracted triple grew ~20 MB at 50 MB).
        self._statements: dict[tuple[str, str, str | None], list[Any]] | None = None

    def refresh(self, db: sqlite3.Connection) -> None:
        """Call at the start of each transaction."""
        version = int(db.execute("PRAGMA data_version").fetchone()[0])
        if version != self._version:
            self._version, self._curated, self._statements = version, None, None

    def curated_source(self, db: sqlite3.Connection, sha: str) -> str | None:
        """The curated source whose text has this sha256: the document is that source."""
        if self._curated is None:
            self._curated = {}
            for sid, digest in db.execute(
                "SELECT id, json_extract(json, '$.sha256') FROM sources WHERE origin = 'curated'"
            ):
                self._curated.setdefault(str(digest), str(sid))  # the first, as before
        return self._curated.get(sha)

    def known(self, db: sqlite3.Connection, item: dict[str, Any]) -> str | None:
        """The published statement the item restates (``review.known_statement``)."""
        from .models import Assertion
        from .review import known_statement

        if self._statements is None:
            self._statements = {}
            for subj, pred, obj, raw in db.execute(
                "SELECT subject, predicate, object, json FROM assertions "
                "WHERE status IN ('curated', 'accepted') ORDER BY status = 'accepted', id"
            ):
                self._statements.setdefault((subj, pred, obj), []).append(raw)
        rows = self._statements.get((item["subject"], item["predicate"], item["object"]))
        if not rows:
            return None
        if isinstance(rows[0], str):  # parsed once, on the first document that needs it
            rows[:] = [Assertion.model_validate_json(r) for r in rows]
        return known_statement(item, rows)


def store_batch(
    store: Store, results: list[dict[str, Any]], published: Published | None = None
) -> list[dict[str, Any]]:
    """Write a batch of read documents in one transaction (one commit, not one per
    document: the commit was a third of the storing time); errors and unchanged files
    pass through. All of the batch lands or none of it does, so each document is still
    fully stored or absent."""
    published = published or Published()
    if not any(r["status"] == "read" for r in results):
        return results
    with store.atomic() as db:
        published.refresh(db)
        return [_store_one(db, r, published) if r["status"] == "read" else r for r in results]


def _store_one(db: sqlite3.Connection, r: dict[str, Any], published: Published) -> dict[str, Any]:
    """One document, its passages and its queued assertions, inside the caller's
    transaction; a copy of a curated source is recorded as that source, and what restates
    a published statement is queued marked "already known"."""
    from .models import Source

    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    path = str(Path(r["file"]).resolve())
    if db.execute("SELECT 1 FROM ingest_documents WHERE sha256 = ?", (r["sha256"],)).fetchone():
        return {"file": r["file"], "status": "unchanged", "sha256": r["sha256"]}
    prev = db.execute(
        "SELECT source_id, version FROM ingest_documents WHERE path = ? "
        "ORDER BY version DESC LIMIT 1",
        (path,),
    ).fetchone()
    version = prev["version"] + 1 if prev else 1
    curated = published.curated_source(db, r["sha256"])
    sid = curated or _source_id(r["file"], r["sha256"])
    src = Source(
        id=sid,
        title=r["title"],
        publisher="Ingested document",
        kind="article",
        grade="secondary",
        last_updated=r["last_updated"],
        retrieved=now[:10],
        file=Path(r["file"]).name,
        length=len(r["text"]),
        sha256=r["sha256"],
    )
    if curated is None:
        add_source(db, src, "ingested")
    # The curated source's own text (same sha256) supplies its quotes; stored once.
    if not db.execute("SELECT 1 FROM documents WHERE source_id = ?", (sid,)).fetchone():
        add_document(db, sid, "ingested", r["text"], r["passages"], r["sha256"])
    add_ingested(
        db,
        {
            "source_id": sid,
            "path": path,
            "sha256": r["sha256"],
            "title": r["title"],
            "last_updated": r["last_updated"],
            "format": r["format"],
            "version": version,
            "supersedes": prev["source_id"] if prev else None,
            "chars": len(r["text"]),
            "mentions": r["mentions"],
            "ingested_at": now,
        },
    )
    if prev:
        set_review_status(db, "superseded", now, pending_of=prev["source_id"])
    items = []
    known = 0
    for a in r["assertions"]:
        item = {**a, "source": sid, "as_of": r["last_updated"]}
        same = published.known(db, item)
        if same is not None:  # restates a published statement: marked, not new
            item["known"] = same
            known += 1
        items.append((f"{a['id']}-{sid[-8:]}", item))
    queue_assertions(db, sid, items, now)
    bump_generation(db)
    return {
        "file": r["file"],
        "status": "new_version" if prev else "added",
        "source": sid,
        "version": version,
        "supersedes": prev["source_id"] if prev else None,
        "title": r["title"],
        "last_updated": r["last_updated"],
        "mentions": r["mentions"],
        "queued": len(items),
        "known": known,
        "curated_source": curated is not None,
        "warnings": r.get("warnings", []),
    }


Progress = Callable[[int, int, str], None]


def _batches(items: list[str], size: int) -> list[list[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _results(
    batches: list[list[str]],
    spec: Any,
    max_bytes: int | None,
    known: frozenset[str],
    workers: int,
    scheduler: str | None,
) -> Iterator[list[dict[str, Any]]]:
    """Batch results as they finish: in this process, or from Dask workers."""
    if workers <= 0 and scheduler is None:
        for b in batches:
            yield process_batch(b, spec, max_bytes, known)
        return
    try:
        from dask.distributed import Client
    except ImportError:
        raise InvalidInput(
            "--workers", "parallel ingest needs Dask: pip install 'smanav[dask]'"
        ) from None
    cluster = None
    if scheduler is None:
        cluster = _local_cluster(spec, workers)
        client = Client(cluster)  # type: ignore[no-untyped-call]
    else:
        check_scheduler(scheduler)
        try:
            client = Client(scheduler, timeout=SCHEDULER_TIMEOUT)  # type: ignore[no-untyped-call]
        except (OSError, TimeoutError, ValueError, MemoryError, EOFError) as exc:
            raise InvalidInput("--scheduler", f"cannot reach {scheduler}: {exc}") from None
        except Exception as exc:  # anything else distributed raises on a strange peer
            raise InvalidInput(
                "--scheduler", f"{scheduler} did not answer as a Dask scheduler ({exc})"
            ) from None
    try:
        yield from _dask_results(
            client, batches, spec, max_bytes, known, workers, cluster is not None
        )
    finally:
        client.close()  # type: ignore[no-untyped-call]
        if cluster is not None:
            cluster.close()
            gc.unfreeze()


#: Local workers are restarted (fresh forks of this process) after this many batches
#: each, between batches: a worker's memory creeps up as it works (2 workers at 200 MB
#: grew past 95 MB private each by half-way), and a fresh fork starts from the shared
#: pages again. Workers of a cluster given with --scheduler are never restarted.
RECYCLE_BATCHES = 150


def _dask_results(
    client: Any,
    batches: list[list[str]],
    spec: Any,
    max_bytes: int | None,
    known: frozenset[str],
    workers: int,
    local: bool,
) -> Iterator[list[dict[str, Any]]]:
    """Batch results in input order, a few batches a worker in flight.

    A batch that finishes early frees its worker at once and waits in `done`; in flight
    plus waiting stays under 3 batches a thread, and each result is released once
    handed on, so memory stays flat however large the corpus."""
    from dask.distributed import as_completed

    nthreads = client.nthreads()
    threads = sum(nthreads.values()) or max(workers, 1)
    order: dict[Any, int] = {}
    done: dict[int, list[dict[str, Any]]] = {}
    sent = nxt_out = 0
    while sent < len(batches):
        if sent:  # local workers have done their share: fresh forks, nothing in flight
            _restart_local_workers(client)
        spec_f = client.scatter(spec, broadcast=True)
        stop = min(len(batches), sent + RECYCLE_BATCHES * threads) if local else len(batches)

        def send(stop: int, spec_f: Any) -> Any:
            nonlocal sent
            if sent >= stop:
                return None
            fut = client.submit(process_batch, batches[sent], spec_f, max_bytes, known, pure=False)
            order[fut.key] = sent
            sent += 1
            return fut

        first = [f for f in (send(stop, spec_f) for _ in range(2 * threads)) if f is not None]
        running = as_completed(first)  # type: ignore[no-untyped-call]
        del first
        for fut in running:
            done[order.pop(fut.key)] = fut.result()
            fut.release()
            del fut
            while nxt_out in done:
                yield done.pop(nxt_out)
                nxt_out += 1
            while len(order) < 2 * threads and len(order) + len(done) < 3 * threads:
                new = send(stop, spec_f)
                if new is None:
                    break
                running.add(new)  # type: ignore[no-untyped-call]


def _restart_local_workers(client: Any) -> None:
    """Restart every local worker as a new fork of this process (see _local_cluster)."""
    with _forking():
        client.restart()


@contextlib.contextmanager
def _forking() -> Iterator[None]:
    """Dask workers started inside are forks of this process. ``gc.freeze`` keeps the
    collector from writing to the inherited objects, which would copy their pages."""
    import dask

    gc.collect()
    gc.freeze()
    with dask.config.set({"distributed.worker.multiprocessing-method": "fork"}):
        yield


def _local_cluster(spec: Any, workers: int) -> Any:
    """Local worker processes forked from this one once it holds the compiled lexicon,
    so they share its pages instead of each building its own (Dask's default, spawn,
    started fresh interpreters: 245 MB each)."""
    from dask.distributed import LocalCluster

    from .extract import lexicon

    lexicon(spec)
    with _forking():
        return LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.CRITICAL,  # shutdown chatter; task errors come back as results
        )


def check_scheduler(address: str, timeout: float | None = None) -> None:
    """Before Dask connects: the address must answer within `timeout` seconds and, over
    TCP, greet as a Dask scheduler does (a length-prefixed handshake of a few hundred
    bytes). Dask itself would wait its full timeout on a silent port and read a web
    server's first bytes as a message length (a MemoryError)."""
    from distributed.comm.addressing import parse_address, parse_host_port

    limit = SCHEDULER_PROBE if timeout is None else timeout
    try:
        scheme, loc = parse_address(address)
        if scheme not in ("tcp", "tls", "ws", "wss"):
            return  # in-process or exotic transports: Dask's own checks
        host, port = parse_host_port(loc.split("/", 1)[0])
    except (ValueError, TypeError) as exc:
        raise InvalidInput(
            "--scheduler", f"{address!r} is not a scheduler address: {exc}"
        ) from None
    if port is None:
        raise InvalidInput("--scheduler", f"{address!r} names no port (e.g. tcp://host:8786)")
    deadline = time.monotonic() + limit
    try:
        sock = socket.create_connection((host, int(port)), timeout=limit)
    except (OSError, ValueError, OverflowError) as exc:
        reason = "no answer" if isinstance(exc, TimeoutError) else str(exc)
        raise InvalidInput("--scheduler", f"cannot reach {address}: {reason}") from None
    with sock:
        if scheme != "tcp":
            return  # TLS and websockets greet differently; the port at least answers
        problem = _dask_greeting(sock, deadline)
    if problem:
        raise InvalidInput(
            "--scheduler", f"{address} answers but is not a Dask scheduler ({problem})"
        )


def _dask_greeting(sock: socket.socket, deadline: float) -> str | None:
    """None if the peer's first message is a Dask handshake, else what is wrong."""

    def read(n: int) -> bytes:
        buf = b""
        while len(buf) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            sock.settimeout(left)
            chunk = sock.recv(n - len(buf))
            if not chunk:
                raise EOFError
            buf += chunk
        return buf

    try:
        (size,) = struct.unpack("Q", read(8))
        if not 8 <= size <= 1 << 16:
            return "its first bytes are not a Dask message"
        body = read(size)
    except TimeoutError:
        return "it sent nothing within the time allowed"
    except (EOFError, OSError):
        return "it closed the connection"
    try:
        from distributed.protocol.core import loads
        from distributed.protocol.utils import unpack_frames

        info = loads(unpack_frames(body), deserialize=False)  # type: ignore[no-untyped-call]
    except Exception:
        return "its first message is not a Dask handshake"
    if not isinstance(info, dict) or "pickle-protocol" not in info:
        return "its first message is not a Dask handshake"
    return None


def max_workers() -> int:
    """Local Dask worker processes allowed: more than a few per core only add overhead."""
    return 4 * (os.cpu_count() or 1)


def ingest_paths(
    paths: Iterable[str | Path],
    db_path: str | Path | None = None,
    *,
    workers: int = 0,
    scheduler: str | None = None,
    max_bytes: int | None = None,
    batch_size: int | None = None,
    progress: Progress | None = None,
    on_document: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Ingest files and folders: store each new document version and queue its assertions.

    Documents come back in input order under "documents"; with `on_document` each is
    handed to it as soon as it is stored and none is kept, so memory does not grow
    with the corpus (the command line streams its output this way)."""
    from .extract import LexiconSpec
    from .kb import KnowledgeBase
    from .settings import default_db_path
    from .store import open_store

    if workers < 0:
        raise InvalidInput("--workers", f"must be 0 or more, not {workers}")
    if workers > max_workers():
        # Each worker is a process: thousands would exhaust the machine before any work.
        raise InvalidInput(
            "--workers", f"at most {max_workers()} on this machine (4 per CPU core), not {workers}"
        )
    if max_bytes is not None and max_bytes <= 0:
        raise InvalidInput("--max-bytes", f"must be a positive number of bytes, not {max_bytes}")
    max_bytes = settings().max_bytes if max_bytes is None else max_bytes  # for dask workers
    files = [str(p) for p in collect_files(paths)]
    if not files:
        raise InvalidInput(
            "PATH", "no files given (folders are searched for .txt, .md, .html, .pdf)"
        )
    db = Path(db_path) if db_path is not None else default_db_path()
    docs: list[dict[str, Any]] = []
    emit = on_document or docs.append
    count = dict.fromkeys(("added", "new_version", "unchanged", "error", "queued", "known"), 0)
    with open_store(db) as store:
        spec = LexiconSpec.from_kb(KnowledgeBase.from_store(store))
        known = frozenset(r[0] for r in store.conn.execute("SELECT sha256 FROM ingest_documents"))
        # Dask batches of 16: results in flight (3 batches a worker) and each worker's
        # transient memory stay small (measured at 10 MB: 64 → 369 MB PSS, 16 → 334 MB,
        # 10% slower). In this process a batch is a transaction: fewer, larger commits.
        cap = 16 if workers or scheduler else 64
        size = batch_size or max(1, min(cap, len(files) // (max(workers, 1) * 4) or 1))
        published = Published()
        n = 0
        for batch in _results(_batches(files, size), spec, max_bytes, known, workers, scheduler):
            for r in store_batch(store, batch, published):
                n += 1
                count[r["status"]] += 1
                count["queued"] += r.get("queued", 0)
                count["known"] += r.get("known", 0)
                emit(r)
                if progress is not None:
                    progress(n, len(files), r["file"])
    out: dict[str, Any] = {"db": str(db)}
    if on_document is None:
        out["documents"] = docs
    return {**out, **count, "disclaimer": DISCLAIMER}
