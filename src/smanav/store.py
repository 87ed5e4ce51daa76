"""The SQLite knowledge base: one file, WAL, FTS5; built from the curated data.

Curated rows are replaced as a whole on every build (inside one transaction);
rows that users created (ingested documents, reviews) are kept, so a rebuild or
an upgrade never loses someone's work.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from .errors import DataError, InvalidInput, StoreError
from .kb import CuratedData, KnowledgeBase, data_digest, load_curated, norm_name, span_sha256
from .settings import busy_timeout, default_db_path, settings, xdg_db_path
from .tables import (
    add_assertion,
    add_concept,
    add_document,
    add_hpo_term,
    add_source,
    drop_vectors,
    fill_hpo_keys,
    migrate,
    set_meta,
    unknown_migrations,
)

__all__ = [
    "BuildReport",
    "Store",
    "bump_generation",
    "build",
    "check_path",
    "open_kb",
    "open_store",
    "split_passages",
    "store_error",
    "verify",
]

SCHEMA_VERSION = "1"

CURATED_TABLES = (
    "sources",
    "documents",
    "concepts",
    "names",
    "assertions",
    "concept_fts",
    "passage_fts",
)


# --- The file named by --db: checked before SQLite touches it ------------------------
#
# Issue 11: a folder, a non-SQLite file, a damaged file, another application's database,
# a path under a regular file each gave a Python traceback, and a missing parent folder
# was created silently. Each is now one sentence naming --db / SMANAV_DB (StoreError:
# exit 2 on the CLI, 500 without the path on the API).

SQLITE_HEADER = b"SQLite format 3\x00"

#: Files up to this size get PRAGMA quick_check on their first open in a process (and
#: again when their size or mtime changes). Measured: 10-16 ms for the 2.9 MB built
#: knowledge base, 60 ms for a 45 MB one holding 23k review items; larger files are
#: checked by SQLite page by page as they are read (errors are still one sentence).
QUICK_CHECK_MAX_BYTES = 64 * 1024 * 1024

_VERIFIED: dict[str, tuple[int, int]] = {}


def _label(path: Path) -> str:
    if settings().db is None and path == xdg_db_path():
        return f"The knowledge base {path}"
    return f"--db (or SMANAV_DB) {path}"


def _fault(
    path: Path, what: str, detail: str | None = None, public: str | None = None
) -> StoreError:
    return StoreError(
        f"{_label(path)} {what}",
        # What an API user may be told: no paths, no file names.
        public=public or "The knowledge base cannot be opened; the server log says why.",
        detail=f"{path}: {detail or what}",
    )


def check_path(path: Path) -> None:
    """Refuse a path that cannot hold a knowledge base, before SQLite creates anything.

    The per-user default location (``~/.local/share/smanav``) has its folders created;
    for --db one missing folder inside an existing one is created and said; deeper
    (``/nonexistent/dir/x.db``) is a typo more often than a wish, and refused.
    """
    if path.is_dir():
        raise _fault(path, "is a folder, not a database file: give a file name such as smanav.db")
    if path.exists() and not path.is_file():
        raise _fault(path, "is not a regular file (a device or pipe): give a database file")
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise _fault(path, f"is under {parent}, which is a file, not a folder")
            break
    folder = path.parent
    if not folder.exists():
        default = path.expanduser().absolute() == xdg_db_path().absolute()
        if not default and not folder.parent.is_dir():
            raise _fault(path, f"cannot be created: the folder {folder.parent} does not exist")
        try:
            folder.mkdir(parents=default, exist_ok=True)
        except OSError as exc:
            raise _fault(path, f"cannot be created: {exc.strerror}") from None
        if not default and sys.stderr is not None:
            # One new folder in one that exists (`--db new/smanav.db`), and said.
            sys.stderr.write(f"smanav: created the folder {folder} for the knowledge base\n")
    if path.is_file():
        try:
            with path.open("rb") as fh:
                head = fh.read(100)
        except OSError as exc:
            raise _fault(path, f"cannot be read: {exc.strerror}") from None
        if head and not head.startswith(SQLITE_HEADER):
            raise _fault(path, "is not a SQLite database (another kind of file?)")
        if head and len(head) < 100:
            raise _fault(path, "is damaged (truncated): rebuild it with `smanav db build`")


def store_error(exc: sqlite3.Error, path: Path) -> StoreError | None:
    """SQLite's own error as one sentence, or None when it is not about the file."""
    msg = str(exc).lower()
    if "locked" in msg or "busy" in msg:
        return _fault(
            path,
            "is busy: another smanav process is writing to it and did not finish within "
            f"{busy_timeout():g} s (SMANAV_BUSY_TIMEOUT); try again when it has finished",
            str(exc),
            "The knowledge base is busy with another writer; try again shortly.",
        )
    if "malformed" in msg or "not a database" in msg or "disk image" in msg:
        return _fault(
            path,
            "is damaged or not a smanav database: move it away (or delete it) and run "
            "`smanav db build`",
            str(exc),
        )
    if "readonly" in msg or "read-only" in msg:
        return _fault(path, "cannot be written (read-only file or folder)", str(exc))
    if "unable to open" in msg or "disk i/o" in msg:
        return _fault(path, "cannot be opened (permissions, or a disk error)", str(exc))
    if "full" in msg:
        return _fault(path, "cannot be written: the disk is full", str(exc))
    return None


@contextmanager
def _translated(path: Path) -> Iterator[None]:
    try:
        yield
    except sqlite3.Error as exc:
        fault = store_error(exc, path)
        if fault is None:
            raise
        raise fault from None


def verify(path: Path) -> None:
    """A smanav database, undamaged (quick_check when cheap), or a StoreError.

    Read through a read-only connection before anything is written: another
    application's database must not even get its journal mode changed.
    """
    if not path.is_file() or path.stat().st_size == 0:
        return
    with _translated(path):
        conn = sqlite3.connect(
            f"{path.absolute().as_uri()}?mode=ro", uri=True, timeout=busy_timeout()
        )
        try:
            tables = {
                r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
            schema = None
            if "meta" in tables:
                row = conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
                schema = row[0] if row else None
            if tables and schema is None:
                raise _fault(
                    path,
                    "is another application's database (it has no smanav tables): give "
                    "another --db path",
                )
            newer = unknown_migrations(conn)
            if newer:
                raise _fault(
                    path,
                    f"was written by a newer smanav (schema step {', '.join(newer)} is unknown "
                    "to this version): upgrade smanav, or give another --db path",
                    public="The knowledge base was written by a newer smanav; upgrade smanav.",
                )
            st = path.stat()
            stamp = (st.st_size, st.st_mtime_ns)
            key = str(path.resolve())
            if _VERIFIED.get(key) == stamp or st.st_size > QUICK_CHECK_MAX_BYTES:
                return
            rows = conn.execute("PRAGMA quick_check(5)").fetchall()
            if [tuple(r) for r in rows] != [("ok",)]:
                raise _fault(
                    path,
                    "is damaged: move it away (or delete it) and run `smanav db build`",
                    "quick_check: " + "; ".join(str(r[0]) for r in rows),
                )
            _VERIFIED[key] = stamp
        finally:
            conn.close()


class Store:
    """An open knowledge-base file. Use as a context manager; it closes what it opens."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with _translated(path):
            # A writer waits for another one (SMANAV_BUSY_TIMEOUT), then says so.
            self.conn = sqlite3.connect(
                str(path), isolation_level=None, check_same_thread=False, timeout=busy_timeout()
            )
            try:
                self.conn.row_factory = sqlite3.Row
                self.conn.execute("PRAGMA journal_mode=WAL")
                self.conn.execute("PRAGMA synchronous=NORMAL")
                self.conn.execute("PRAGMA foreign_keys=ON")
            except BaseException:
                self.conn.close()
                raise

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @contextmanager
    def atomic(self) -> Iterator[sqlite3.Connection]:
        """One transaction: all of it lands or none of it does (Ctrl-C included).

        BEGIN IMMEDIATE takes the write lock first, so what is read inside is what is
        written over; a busy database waits SMANAV_BUSY_TIMEOUT, then is a StoreError.
        """
        with _translated(self.path):
            self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        else:
            with _translated(self.path):
                self.conn.execute("COMMIT")

    def meta(self, key: str) -> str | None:
        try:
            row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        except sqlite3.OperationalError:
            return None
        return None if row is None else str(row[0])

    def text_of(self, source_id: str) -> str | None:
        row = self.conn.execute(
            "SELECT text FROM documents WHERE source_id = ?", (source_id,)
        ).fetchone()
        return None if row is None else str(row[0])


@dataclass
class BuildReport:
    path: Path
    sources: int = 0
    concepts: int = 0
    assertions: int = 0
    texts: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    digest: str = ""


_PARA = re.compile(r"[^\n]+(?:\n(?!\n)[^\n]*)*")


def split_passages(text: str) -> Iterator[tuple[int, int, str]]:
    """Paragraph spans (start, end, text) in original code-point offsets."""
    for m in _PARA.finditer(text):
        chunk = m.group(0)
        if chunk.strip():
            yield m.start(), m.end(), chunk


def _read_texts(data: CuratedData, sources_dir: Path | None, report: BuildReport) -> dict[str, str]:
    texts: dict[str, str] = {}
    if sources_dir is None:
        return texts
    if not sources_dir.is_dir():
        raise InvalidInput("--sources", f"{sources_dir} is not a folder")
    for src in sorted(data.sources.values(), key=lambda s: s.id):
        if not src.file:
            continue
        path = sources_dir / src.file
        if not path.is_file():
            report.warnings.append(f"{src.file} not found in {sources_dir}: citations only")
            continue
        try:
            with path.open(encoding="utf-8", newline="") as fh:
                text = fh.read()
        except UnicodeDecodeError:
            report.warnings.append(f"{path} is not UTF-8 text: citations only")
            continue
        if span_sha256(text) != src.sha256:
            report.warnings.append(
                f"{path} differs from the version the knowledge base cites "
                f"(sha256 mismatch): citations only, no quotes"
            )
            continue
        texts[src.id] = text
        report.texts.append(src.id)
    # With the text in hand, every locator into it must match its span hash.
    for aid, a in sorted(data.assertions.items()):
        for i, ev in enumerate(a.evidence):
            doc = texts.get(ev.source)
            if doc is None or ev.start is None:
                continue
            if span_sha256(doc[ev.start : ev.end]) != ev.sha256:
                raise DataError(
                    data.origin[aid],
                    aid,
                    f"evidence.{i}.sha256",
                    f"span {ev.start}-{ev.end} of {ev.source!r} does not match its sha256",
                )
    return texts


def build(
    path: Path, sources_dir: Path | None = None, data: CuratedData | None = None
) -> BuildReport:
    """Compile the curated data (and supplied source texts) into the SQLite file at `path`."""
    check_path(path)
    # Loaded before the file is touched: an incomplete installation (InstallError) or a
    # bad data file (DataError) leaves the database as it was.
    data = load_curated() if data is None else data
    report = BuildReport(path=path, digest=data.digest)
    if sources_dir is None:
        sources_dir = settings().sources
    texts = _read_texts(data, sources_dir, report)
    if path.exists():
        # Texts given at an earlier build that this one did not get stay (a wrong folder
        # must not throw the quotes away).
        for sid, text in _kept_texts(path, data).items():
            if sid in texts:
                continue
            texts[sid] = text
            report.texts.append(sid)
            where = f"{data.sources[sid].file} not found in {sources_dir}"
            report.warnings = [
                f"{where}: the text stored earlier is kept"
                if w == f"{where}: citations only"
                else w
                for w in report.warnings
            ]
    with Store(path) as store, store.atomic() as db, _translated(path):
        migrate(db)
        drop_vectors(db, "curated")  # rebuilt passages may take the same rowids
        for table in CURATED_TABLES:
            db.execute(f"DELETE FROM {table} WHERE origin = 'curated'")
        db.execute("DELETE FROM hpo_terms")
        db.execute("DELETE FROM hpo_keys")
        _insert(db, data, texts)
        fill_hpo_keys(db)
        set_meta(
            db, {"schema": SCHEMA_VERSION, "digest": data.digest, "texts": ",".join(sorted(texts))}
        )
        bump_generation(db)
    report.sources, report.concepts = len(data.sources), len(data.concepts)
    report.assertions = len(data.assertions)
    return report


def bump_generation(db: sqlite3.Connection) -> None:
    """Call inside any write that changes published knowledge: in-memory copies reload."""
    row = db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
    set_meta(db, {"generation": str(int(row[0]) + 1 if row else 1)})


def _kept_texts(path: Path, data: CuratedData) -> dict[str, str]:
    """Texts supplied at an earlier build that still match: a rebuild must not drop them."""
    kept: dict[str, str] = {}
    if path.stat().st_size == 0:
        return kept
    verify(path)
    with Store(path) as old:
        try:
            rows = old.conn.execute(
                "SELECT source_id, sha256, text FROM documents WHERE origin = 'curated'"
            ).fetchall()
        except sqlite3.OperationalError:
            return kept
    for sid, sha, text in rows:
        src = data.sources.get(sid)
        if src is not None and src.sha256 == sha:
            kept[sid] = text
    return kept


def _insert(db: sqlite3.Connection, data: CuratedData, texts: dict[str, str]) -> None:
    for sid in sorted(data.sources):
        add_source(db, data.sources[sid], "curated")
    for sid in sorted(texts):
        add_document(db, sid, "curated", texts[sid], split_passages(texts[sid]))
    for hid in sorted(data.hpo):
        add_hpo_term(db, hid, data.hpo[hid]["name"], data.hpo[hid]["synonyms"])
    for cid in sorted(data.concepts):
        add_concept(db, data.concepts[cid], "curated", _names_of(data.concepts[cid], data))
    for aid in sorted(data.assertions):
        add_assertion(db, data.assertions[aid], "curated")


def _names_of(c: object, data: CuratedData) -> list[tuple[str, str]]:
    """Every name a person may use for a concept, HPO labels and synonyms included."""
    from .models import Concept

    assert isinstance(c, Concept)
    out: list[tuple[str, str]] = [(c.name, "name")]
    out += [(s, "synonym") for s in c.synonyms]
    out += [(b, "brand") for b in c.brands]
    out += [(lay, "lay") for lay in c.lay_terms]
    for code in c.codes:
        if code.system == "HPO" and code.code in data.hpo:
            term = data.hpo[code.code]
            out.append((term["name"], "hpo"))
            out += [(s, "hpo") for s in term["synonyms"]]
            out.append((code.code, "code"))
    seen: set[str] = set()
    unique = []
    for n, t in out:
        key = norm_name(n)
        if key and key not in seen:
            seen.add(key)
            unique.append((n, t))
    return unique


def open_store(path: Path, sources_dir: Path | None = None) -> Store:
    """Open the knowledge base, building it first if it is missing or out of date."""
    check_path(path)
    if path.exists():
        verify(path)
        store = Store(path)
        try:
            if store.meta("schema") == SCHEMA_VERSION and store.meta("digest") == load_digest():
                _upgrade(store)
                return store
        except BaseException:
            store.close()
            raise
        store.close()
    build(path, sources_dir)
    return Store(path)


def _upgrade(store: Store) -> None:
    """The migrations a file's smanav did not have, run in place (user rows untouched)."""
    from .tables import MIGRATIONS, applied_migrations

    if {m.name for m in MIGRATIONS} <= set(applied_migrations(store.conn)):
        return
    # A file we may not write still answers, only a little slower: no error for that.
    with contextlib.suppress(StoreError, sqlite3.Error), store.atomic() as db:
        migrate(db)


def load_digest() -> str:
    return data_digest()


_KB_CACHE: dict[tuple[str, str], KnowledgeBase] = {}


def open_kb(db: str | Path | None = None, sources_dir: Path | None = None) -> KnowledgeBase:
    """The knowledge base in memory, loaded once per process and file version."""
    path = Path(db) if db is not None else default_db_path()
    with open_store(path, sources_dir) as store, _translated(path):
        key = (str(path.resolve()), store.meta("generation") or "")
        kb = _KB_CACHE.get(key)
        if kb is None:
            kb = KnowledgeBase.from_store(store)
            _KB_CACHE.clear()
            _KB_CACHE[key] = kb
    return kb
