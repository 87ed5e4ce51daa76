"""Ingest: read documents, extract what they say, store each version once, queue for review.

``ingest_paths(paths, db_path)`` is the real thing; ``smanav ingest`` formats its
result. Each document is written in its own transaction, so Ctrl-C or a crash
mid-batch leaves every document either fully stored or absent. Bad files are
reported by name and the rest of the batch goes on. With ``workers`` set,
reading and extraction run on Dask (local processes, or a cluster given by
``scheduler``), documents batched per task; all writes stay in this process.
"""

from __future__ import annotations

import datetime as dt
import html
import itertools
import json
import logging
import os
import re
import socket
import sqlite3
import struct
import time
import warnings
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import InvalidInput
from .kb import span_sha256
from .settings import DISCLAIMER, MAX_BYTES, settings
from .store import Store, bump_generation
from .text import Edit, Mapped, apply_edits

__all__ = [
    "DEFAULT_MAX_BYTES",
    "Document",
    "collect_files",
    "ensure_schema",
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
SUFFIXES = {
    ".txt": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
}

SCHEMA = """
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


@dataclass(frozen=True)
class Document:
    """A file as read: its original text, the text extraction reads, and what it states."""

    path: str
    format: str
    text: str
    mapped: Mapped
    title: str
    last_updated: str | None
    sha256: str
    #: What was left out while reading (an impossible "last updated" date).
    warnings: tuple[str, ...] = ()


# --- reading --------------------------------------------------------------------------
def collect_files(paths: Iterable[str | Path]) -> list[Path]:
    """Files named, and supported files under folders named (sorted, each once)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in SUFFIXES)
        else:
            out.append(p)
    unique: dict[Path, Path] = {}
    for p in out:
        unique.setdefault(p.resolve(), p)
    return list(unique.values())


def read_document(path: str | Path, max_bytes: int | None = None) -> Document:
    """Read and check one file; raise InvalidInput naming the file when it is unusable."""
    p = Path(path)
    name = str(p)
    limit = settings().max_bytes if max_bytes is None else max_bytes
    fmt = SUFFIXES.get(p.suffix.lower())
    if not p.is_file():
        raise InvalidInput(name, "no such file")
    if fmt is None:
        raise InvalidInput(
            name, f"unsupported file type {p.suffix or '(none)'}: use .txt, .md, .html or .pdf"
        )
    size = p.stat().st_size
    if size > limit:
        raise InvalidInput(
            name, f"is {size:,} bytes, over the {limit:,}-byte limit (raise it with --max-bytes)"
        )
    raw = p.read_bytes()
    if fmt == "pdf":
        text = _pdf_text(name, raw)
    else:
        if b"\x00" in raw:  # anywhere: a text file never holds one
            raise InvalidInput(name, "looks binary (contains NUL bytes), not a text document")
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InvalidInput(
                name, f"is not UTF-8 text (byte {exc.start}): convert it to UTF-8 first"
            ) from None
    if not text.strip():
        raise InvalidInput(name, "is empty")
    mapped = (
        strip_markup(text)
        if fmt == "html"
        else (strip_markdown(text) if fmt == "markdown" else Mapped.identity(text))
    )
    if len(mapped.text.strip()) < 1:
        raise InvalidInput(name, "has no text once markup is removed")
    title = " ".join((_title(text, mapped.text, fmt) or p.stem).split())
    updated, warnings = _last_updated(mapped.text)
    return Document(name, fmt, text, mapped, title, updated, span_sha256(text), warnings)


def _pdf_text(name: str, raw: bytes) -> str:
    try:
        from pypdf import PdfReader
        from pypdf.errors import PyPdfError
    except ImportError:
        raise InvalidInput(
            name, "reading PDF needs the pdf extra: pip install 'smanav[pdf]'"
        ) from None
    import io

    # pypdf reports damage it works around through its logger and `warnings`, which
    # would reach the user's terminal; they go to this module's log at debug level.
    pypdf_log = logging.getLogger("pypdf")
    relay = _Relay(name)
    saved = pypdf_log.propagate
    pypdf_log.addHandler(relay)
    pypdf_log.propagate = False
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                reader = PdfReader(io.BytesIO(raw))
                pages = [page.extract_text() or "" for page in reader.pages]
            except (PyPdfError, ValueError, KeyError, OSError) as exc:
                raise InvalidInput(name, f"is not a readable PDF ({exc})") from None
            except RecursionError:
                raise InvalidInput(name, "is not a readable PDF (nested too deeply)") from None
        for w in caught:
            log.debug("pypdf, %s: %s", name, w.message)
    finally:
        pypdf_log.removeHandler(relay)
        pypdf_log.propagate = saved
    return "\n\n".join(pages)


class _Relay(logging.Handler):
    """pypdf's log records, re-logged here at debug level with the file's name."""

    def __init__(self, name: str) -> None:
        super().__init__(logging.DEBUG)
        self.file = name

    def emit(self, record: logging.LogRecord) -> None:
        with suppress(Exception):  # a malformed record is not worth a traceback
            log.debug("pypdf, %s: %s", self.file, record.getMessage())


# Markup is found by scanners linear in the text: what the regular expressions
#   <(script|style|…)\b.*?</\1\s*>|<!--.*?-->|<!\[CDATA\[.*?\]\]>|<!DOCTYPE[^>]*>|<\?.*?\?>
#   </?([A-Za-z][A-Za-z0-9-]*)\b(?:[^>"']|"[^"]*"|'[^']*')*>
# would find, without retrying from every "<" of a page full of unclosed ones (each
# such try ran to the end of the text: quadratic). A closer not found after one
# opening is not found after a later one either; a tag body that runs off the end from
# one boundary does so from every later boundary on the same path.
_DROP_OPEN = re.compile(
    r"<(?:(script|style|noscript|template|svg|iframe|object)\b|(!--)|(!\[CDATA\[)|(!DOCTYPE)|(\?))",
    re.IGNORECASE,
)
_DROP_CLOSE = {
    2: re.compile(r"-->"),
    3: re.compile(r"\]\]>"),
    4: re.compile(r">"),
    5: re.compile(r"\?>"),
}
_TAG_OPEN = re.compile(r"</?([A-Za-z][A-Za-z0-9-]*)\b")
_TAG_SPECIAL = re.compile(r"[>\"']")
_ENTITY = re.compile(r"&(?:#\d{1,7}|#[xX][0-9A-Fa-f]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_BLOCK = frozenset(
    [
        "p",
        "div",
        "br",
        "li",
        "ul",
        "ol",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "tr",
        "td",
        "th",
        "table",
        "section",
        "article",
        "header",
        "footer",
        "nav",
        "aside",
        "main",
        "blockquote",
        "pre",
        "title",
        "figure",
        "figcaption",
        "dt",
        "dd",
        "hr",
    ]
)


def _dropped(source: str) -> Iterator[tuple[int, int]]:
    """Spans of scripts, styles, comments, CDATA, DOCTYPE and processing instructions."""
    dead: set[str] = set()  # closers known to be absent from here on
    closers: dict[str, re.Pattern[str]] = {}
    pos = 0
    while (m := _DROP_OPEN.search(source, pos)) is not None:
        kind = next(i for i in range(1, 6) if m.group(i) is not None)
        key = m.group(1).lower() if kind == 1 else str(kind)
        close = None
        if key not in dead:
            if kind == 1:
                rx = closers.get(key)
                if rx is None:
                    rx = closers[key] = re.compile(rf"</{key}\s*>", re.IGNORECASE)
            else:
                rx = _DROP_CLOSE[kind]
            close = rx.search(source, m.end())
            if close is None:
                dead.add(key)
        if close is None:
            pos = m.start() + 1
            continue
        yield m.start(), close.end()
        pos = close.end()


class _TagBodies:
    """Where a tag body starting at a position ends (its ">"), or that it never does.

    A body is a run of characters other than > " ' and of quoted strings; from a given
    boundary its path is fixed, so paths that ran off the end are remembered by the
    quote or > positions they passed (each passed at most once in all)."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.special = [m.start() for m in _TAG_SPECIAL.finditer(source)]
        self.dead: set[int] = set()

    def end(self, pos: int) -> int:
        src, special, dead = self.source, self.special, self.dead
        seen: list[int] = []
        result = -1
        while True:
            i = bisect_left(special, pos)
            if i == len(special) or special[i] in dead:
                break
            at = special[i]
            if src[at] == ">":
                result = at
                break
            seen.append(at)
            close = src.find(src[at], at + 1)
            if close < 0:
                break
            pos = close + 1
        if result < 0:
            dead.update(seen)
        return result


def _tags(source: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, name) of each tag, as a left-to-right regular-expression scan."""
    bodies: _TagBodies | None = None
    pos = 0
    while (m := _TAG_OPEN.search(source, pos)) is not None:
        if bodies is None:
            bodies = _TagBodies(source)
        end = bodies.end(m.end())
        if end < 0:
            pos = m.start() + 1
            continue
        yield m.start(), end + 1, m.group(1)
        pos = end + 1


def strip_markup(source: str) -> Mapped:
    """HTML to text, never executing anything: scripts, styles and comments dropped,
    block tags become line breaks, entities decoded; offsets map to the HTML source."""
    edits: list[Edit] = []
    taken = bytearray(len(source) + 1)
    for s, e in _dropped(source):
        edits.append(Edit(s, e, "", "markup"))
        taken[s:e] = b"\x01" * (e - s)
    for s, e, tag in _tags(source):
        if 1 in taken[s:e]:
            continue
        block = tag.lower() in _BLOCK
        edits.append(Edit(s, e, "\n\n" if block else "", "markup"))
        taken[s:e] = b"\x01" * (e - s)
    for m in _ENTITY.finditer(source):
        if 1 in taken[m.start() : m.end()]:
            continue
        edits.append(Edit(m.start(), m.end(), html.unescape(m.group(0)), "entity"))
    return apply_edits(source, edits)


# Markdown is read as the regular expressions
#   links  !?\[([^\]\n]*)\]\([^)\n]*\)
#   marks  ^(?:#{1,6}\s+|>\s?|\s*[-*+]\s+)|\*\*|__|`      (multi-line)
# would read it, by scans linear in the text: tried from every "[" of a line of
# unbalanced ones, or from every line start of a run of blank lines, those
# expressions ran to the end of the run each time (quadratic).
_MD_MARK = re.compile(r"^(?:#{1,6}\s+|>\s?|(?P<bullet>[^\S\n]*[-*+]\s+))|\*\*|__|`", re.MULTILINE)


class _NextOf:
    """The first position at or after `pos` holding one of `chars` (len(text) if none),
    remembered so that a run of queries into one gap costs one search."""

    def __init__(self, text: str, chars: str) -> None:
        self.text = text
        self.rx = re.compile(f"[{re.escape(chars)}]")
        self.lo, self.hit = 0, -1

    def __call__(self, pos: int) -> int:
        if not self.lo <= pos <= self.hit:
            m = self.rx.search(self.text, pos)
            self.lo, self.hit = pos, (m.start() if m else len(self.text))
        return self.hit


def _md_links(source: str) -> Iterator[tuple[int, int, int, int]]:
    """(start, text start, text end, end) of each [text](target) or ![text](target)."""
    n = len(source)
    bracket, paren = _NextOf(source, "]\n"), _NextOf(source, ")\n")
    pos = 0
    while (b := source.find("[", pos)) >= 0:
        close = bracket(b + 1)
        if close < n and source[close] == "]" and source.startswith("(", close + 1):
            end = paren(close + 2)
            if end < n and source[end] == ")":
                start = b - 1 if b > pos and source[b - 1] == "!" else b
                yield start, b + 1, close, end + 1
                pos = end + 1
                continue
        pos = close + 1  # every "[" before this "]" or line end fails alike


def _md_marks(source: str) -> Iterator[tuple[int, int]]:
    """Heading, quote and list marks, bold and code marks. A list mark's leading
    white space may span blank lines: it starts at the first line start of that run."""
    pos = 0
    for m in _MD_MARK.finditer(source):
        start = m.start()
        if m.group("bullet") is not None:
            k = start
            while k > pos and source[k - 1].isspace():
                k -= 1
            if k < start and not (k == 0 or source[k - 1] == "\n"):
                nl = source.find("\n", k, start)
                k = start if nl < 0 else nl + 1
            start = k
        yield start, m.end()
        pos = m.end()


def strip_markdown(source: str) -> Mapped:
    """Markdown to text: link targets, heading marks and emphasis go; the words stay."""
    edits: list[Edit] = []
    for start, s1, e1, end in _md_links(source):
        edits.append(Edit(start, s1, "", "markup"))
        edits.append(Edit(e1, end, "", "markup"))
    starts = [e.start for e in edits]  # in order, not overlapping
    for s, e in _md_marks(source):
        i = bisect_right(starts, s) - 1
        if i < 0 or not s < edits[i].end:
            edits.append(Edit(s, e, "", "markup"))
    return apply_edits(source, edits)


_LAST_UPDATED = re.compile(
    r"(?:last\s+updated|updated\s+on|last\s+modified|last\s+reviewed)\s*(?::\s*)?"
    r"(?P<date>[A-Z][a-z]+\.?\s+\d{1,2},?\s+\d{4}|\d{1,2}\s+[A-Z][a-z]+\.?\s+\d{4}|\d{4}-\d{2}-\d{2})",
    re.IGNORECASE,
)


def _last_updated(text: str) -> tuple[str | None, tuple[str, ...]]:
    """The "last updated" date, or None with a warning when it names no real day."""
    m = _LAST_UPDATED.search(text)
    if not m:
        return None, ()
    raw = re.sub(r"\s+", " ", m.group("date").replace(",", "").replace(".", ""))
    for fmt in ("%B %d %Y", "%b %d %Y", "%d %B %Y", "%d %b %Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(raw, fmt).date().isoformat(), ()
        except ValueError:
            continue
    return None, (f"the last-updated date {m.group('date')!r} is no calendar date: left out",)


_TITLE_OPEN = re.compile(r"<(title|h1)", re.IGNORECASE)


def _html_title(source: str) -> str | None:
    """What <title[^>]*>(.*?)</title>|<h1[^>]*>(.*?)</h1> (ignoring case) captures,
    linear: a missing closer is not looked for again after a later opening."""
    dead: set[str] = set()
    pos = 0
    while (m := _TITLE_OPEN.search(source, pos)) is not None:
        name = m.group(1).lower()
        pos = m.start() + 1
        if name in dead:
            continue
        gt = source.find(">", m.end())
        if gt < 0:
            return None  # no later opening has a ">" either
        close = re.compile(f"</{name}>", re.IGNORECASE).search(source, gt + 1)
        if close is None:
            dead.add(name)
            continue
        return source[gt + 1 : close.start()]
    return None


def _drop_angles(text: str) -> str:
    """re.sub(r"<[^>]+>", "", text), linear on a run of unclosed "<"."""
    out: list[str] = []
    keep = i = 0
    while (p := text.find("<", i)) >= 0:
        if p + 1 < len(text) and text[p + 1] != ">":
            q = text.find(">", p + 2)
            if q < 0:
                break  # no "<" from here on is closed
            out.append(text[keep:p])
            keep = i = q + 1
        else:
            i = p + 1
    out.append(text[keep:])
    return "".join(out)


def _title(source: str, text: str, fmt: str) -> str | None:
    if fmt == "html":
        inner = _html_title(source)
        if inner is not None:
            title = " ".join(html.unescape(_drop_angles(inner)).split())
            return title or None
    if fmt == "markdown":
        m = re.search(r"^#\s+(.+)$", source, re.M)
        if m:
            return m.group(1).strip()
    first = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    if first and len(first) <= 100 and not first.endswith((".", "!", "?", ":", ",")):
        return first
    return None


# --- extraction (runs in this process or on Dask workers) -----------------------------
def process_batch(
    paths: list[str], spec: Any, max_bytes: int | None, known: frozenset[str]
) -> list[dict[str, Any]]:
    """Read and extract a batch of files; one result per file, errors included, no raise."""
    from .extract import extract_text
    from .store import split_passages

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
def ensure_schema(conn: sqlite3.Connection) -> None:
    """The ingest and review tables: user data, never touched by `db build`."""
    for stmt in SCHEMA.split(";"):
        if stmt.strip():
            conn.execute(stmt)


def _source_id(path: str, sha: str) -> str:
    stem = re.sub(r"[^a-z0-9]+", "-", Path(path).stem.lower()).strip("-")[:40] or "doc"
    return f"{stem}-{sha[:8]}"


def _curated_source(db: sqlite3.Connection, sha: str) -> str | None:
    """The curated source whose text has this sha256: the document is that source."""
    row = db.execute(
        "SELECT id FROM sources WHERE origin = 'curated' AND json_extract(json, '$.sha256') = ?",
        (sha,),
    ).fetchone()
    return str(row[0]) if row else None


def store_result(store: Store, r: dict[str, Any]) -> dict[str, Any]:
    """Write one document, its passages and its queued assertions in one transaction; a
    copy of a curated source is recorded as that source, and what restates a published
    statement is queued marked "already known"."""
    from .models import Source
    from .review import known_in_store

    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    path = str(Path(r["file"]).resolve())
    with store.atomic() as db:
        if db.execute("SELECT 1 FROM ingest_documents WHERE sha256 = ?", (r["sha256"],)).fetchone():
            return {"file": r["file"], "status": "unchanged", "sha256": r["sha256"]}
        prev = db.execute(
            "SELECT source_id, version FROM ingest_documents WHERE path = ? "
            "ORDER BY version DESC LIMIT 1",
            (path,),
        ).fetchone()
        version = prev["version"] + 1 if prev else 1
        curated = _curated_source(db, r["sha256"])
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
            db.execute(
                "INSERT OR REPLACE INTO sources VALUES (?, 'ingested', ?)",
                (sid, src.model_dump_json()),
            )
        # The curated source's own text (same sha256) supplies its quotes; stored once.
        if not db.execute("SELECT 1 FROM documents WHERE source_id = ?", (sid,)).fetchone():
            db.execute(
                "INSERT INTO documents VALUES (?, 'ingested', ?, ?)",
                (sid, r["sha256"], r["text"]),
            )
            db.executemany(
                "INSERT INTO passage_fts VALUES (?, 'ingested', ?, ?, ?)",
                [(sid, s, e, t) for s, e, t in r["passages"]],
            )
        db.execute(
            "INSERT INTO ingest_documents VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                sid,
                path,
                r["sha256"],
                r["title"],
                r["last_updated"],
                r["format"],
                version,
                prev["source_id"] if prev else None,
                len(r["text"]),
                r["mentions"],
                now,
            ),
        )
        if prev:
            db.execute(
                "UPDATE review_queue SET status = 'superseded', decided_at = ? "
                "WHERE source_id = ? AND status = 'pending'",
                (now, prev["source_id"]),
            )
        rows = []
        known = 0
        for a in r["assertions"]:
            item = {**a, "source": sid, "as_of": r["last_updated"]}
            same = known_in_store(db, item)
            if same is not None:  # restates a published statement: marked, not new
                item["known"] = same
                known += 1
            rows.append(
                (
                    f"{a['id']}-{sid[-8:]}",
                    sid,
                    "pending",
                    a["subject"],
                    a["predicate"],
                    a["object"],
                    json.dumps(item, ensure_ascii=False),
                    now,
                    None,
                )
            )
        db.executemany(
            "INSERT OR IGNORE INTO review_queue VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
        )
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
        "queued": len(rows),
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
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise InvalidInput(
            "--workers", "parallel ingest needs Dask: pip install 'smanav[dask]'"
        ) from None
    cluster = None
    if scheduler is None:
        cluster = LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.CRITICAL,  # shutdown chatter; task errors come back as results
        )
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
        spec_f = client.scatter(spec, broadcast=True)  # type: ignore[no-untyped-call]
        # A few batches per worker in flight, each result released once stored: memory
        # stays flat however large the corpus (all at once held every result until the end).
        nthreads = client.nthreads()  # type: ignore[no-untyped-call]
        threads = sum(nthreads.values()) or max(workers, 1)
        todo = iter(batches)

        def submit(batch: list[str]) -> Any:
            return client.submit(process_batch, batch, spec_f, max_bytes, known, pure=False)

        first = [submit(b) for b in itertools.islice(todo, 2 * threads)]
        running = as_completed(first)  # type: ignore[no-untyped-call]
        del first
        for fut in running:
            result = fut.result()
            fut.release()
            nxt = next(todo, None)
            if nxt is not None:
                running.add(submit(nxt))  # type: ignore[no-untyped-call]
            yield result
            del result
    finally:
        client.close()  # type: ignore[no-untyped-call]
        if cluster is not None:
            cluster.close()


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
) -> dict[str, Any]:
    """Ingest files and folders: store each new document version and queue its assertions."""
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
    with open_store(db) as store:
        ensure_schema(store.conn)
        spec = LexiconSpec.from_kb(KnowledgeBase.from_store(store))
        known = frozenset(r[0] for r in store.conn.execute("SELECT sha256 FROM ingest_documents"))
        size = batch_size or max(1, min(64, len(files) // (max(workers, 1) * 4) or 1))
        done = 0
        for batch in _results(_batches(files, size), spec, max_bytes, known, workers, scheduler):
            for r in batch:
                docs.append(store_result(store, r) if r["status"] == "read" else r)
                done += 1
                if progress is not None:
                    progress(done, len(files), r["file"])
    order = {f: i for i, f in enumerate(files)}
    docs.sort(key=lambda d: order.get(d["file"], 0))
    count = {
        k: sum(d["status"] == k for d in docs)
        for k in ("added", "new_version", "unchanged", "error")
    }
    return {
        "db": str(db),
        "documents": docs,
        **count,
        "queued": sum(d.get("queued", 0) for d in docs),
        "known": sum(d.get("known", 0) for d in docs),
        "disclaimer": DISCLAIMER,
    }
