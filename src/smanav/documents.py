"""Reading documents: the first stage of the pipeline ("read, normalise, keep offsets").

``read_document(path)`` checks one file (type, size, encoding), turns HTML, Markdown
or PDF into text whose every character maps back to the original (``Mapped``), and
finds its title and "last updated" date. Nothing here knows about extraction or the
database: ``text → documents → extract → ingest → store``.
"""

from __future__ import annotations

import datetime as dt
import html
import logging
import re
import warnings
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from .errors import InvalidInput
from .kb import span_sha256
from .settings import settings
from .text import Edit, Mapped, apply_edits

__all__ = [
    "SUFFIXES",
    "Document",
    "collect_files",
    "read_document",
    "strip_markdown",
    "strip_markup",
]

log = logging.getLogger(__name__)
SUFFIXES = {
    ".txt": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
}


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


# --- files ----------------------------------------------------------------------------
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
