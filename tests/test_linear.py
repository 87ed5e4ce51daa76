"""Inputs that must not hang: every scan of ingest, repair and extraction is linear in
its input, adversarial text included (long runs of "[", "(", "*", "<", spaces, blank
lines, full stops, glued letters), and reading or extracting arbitrary bytes never
raises anything but the per-file error.

Each size test times a function at n and at 4n: linear work gives a ratio near 4,
quadratic work near 16; the bound is 8. Time is the process's CPU time with the garbage
collector paused, the best of three rounds, so other work on a busy machine (CI shares
two cores) does not decide the ratio. The scanners that replaced regular
expressions are checked against those expressions on small inputs, so that they
find exactly what the expressions found."""

from __future__ import annotations

import gc
import re
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smanav.documents import (
    _drop_angles,
    _html_title,
    _last_updated,
    _title,
    read_document,
    strip_markdown,
    strip_markup,
)
from smanav.errors import InvalidInput
from smanav.extract import extract_text, lexicon
from smanav.extract.mentions import find_mentions
from smanav.extract.relations import find_assertions, sentences
from smanav.kb import KnowledgeBase
from smanav.text import WordBreaker, repair

BOUND = 8.0


def _best(fn: Callable[[], object], rounds: int = 3, repeat: int = 1) -> float:
    best = float("inf")
    enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(rounds):
            t0 = time.process_time()
            for _ in range(repeat):
                fn()
            best = min(best, time.process_time() - t0)
    finally:
        if enabled:
            gc.enable()
    return best


def _ratio(make: Callable[[int], Callable[[], object]], n: int, floor: float = 0.02) -> float:
    """Time at 4n over time at n, n doubled (at most 4 times over) until the small
    run takes `floor` seconds, so that timer noise does not decide; a function still
    faster than that is called repeatedly, the same number of times at n and at 4n
    (larger inputs would measure the memory caches, not the algorithm)."""
    make(n)()  # warm caches (compiled expressions, the lexicon)
    limit = 4 * n
    small = _best(make(n))
    while small < floor and n < limit:
        n *= 2
        small = _best(make(n))
    repeat = 1
    if small < floor:
        repeat = min(1000, int(floor / max(small, 1e-6)) + 1)
        small = _best(make(n), repeat=repeat)
    return _best(make(4 * n), repeat=repeat) / small


ADVERSARIAL: dict[str, tuple[Callable[[str], object], Callable[[int], str], int]] = {
    # name: (function, input of size ~n, n)
    "markdown [": (strip_markdown, lambda n: "[" * n, 20_000),
    "markdown [](": (strip_markdown, lambda n: "[](" * (n // 3), 20_000),
    "markdown ![x]": (strip_markdown, lambda n: "![x]" * (n // 4), 20_000),
    "markdown blank lines": (strip_markdown, lambda n: "\n" * n + "x", 20_000),
    "markdown spaces *": (strip_markdown, lambda n: " " * n + "*" * n, 20_000),
    "markdown # and spaces": (strip_markdown, lambda n: "#" + " \n" * (n // 2), 20_000),
    "html <": (strip_markup, lambda n: "<" * n, 20_000),
    "html <a": (strip_markup, lambda n: "<a" * (n // 2), 20_000),
    "html <a quote": (strip_markup, lambda n: '<a "' * (n // 4), 20_000),
    "html quotes alternate": (strip_markup, lambda n: "<a'<a\"" * (n // 6), 20_000),
    "html <a-": (strip_markup, lambda n: "<" + "a-" * (n // 2), 20_000),
    "html <script": (strip_markup, lambda n: "<script " * (n // 8), 20_000),
    "html <!--": (strip_markup, lambda n: "<!--" * (n // 4), 20_000),
    "html <?": (strip_markup, lambda n: "<?" * (n // 2), 20_000),
    "html <!DOCTYPE": (strip_markup, lambda n: "<!DOCTYPE" * (n // 9), 20_000),
    "html <![CDATA[": (strip_markup, lambda n: "<![CDATA[" * (n // 9), 20_000),
    "html title": (
        lambda s: _title(s, "", "html"),
        lambda n: "<title>" + "<a" * (n // 2) + "</title>",
        20_000,
    ),
    "html unclosed titles": (
        lambda s: _title(s, "", "html"),
        lambda n: "<title" * (n // 6),
        20_000,
    ),
    "last updated spaces": (_last_updated, lambda n: "last updated" + " " * n + "!", 20_000),
    "sentences: full stops": (lambda s: sentences(s, []), lambda n: "." * n, 20_000),
    "sentences: many on a line": (lambda s: sentences(s, []), lambda n: "A. " * (n // 3), 20_000),
    "sentences: one long line": (lambda s: sentences(s, []), lambda n: "word " * (n // 5), 20_000),
}


@pytest.mark.parametrize("name", list(ADVERSARIAL))
def test_adversarial_text_is_linear(name: str) -> None:
    fn, make, n = ADVERSARIAL[name]
    ratio = _ratio(lambda k: (lambda text: lambda: fn(text))(make(k)), n)
    assert ratio < BOUND, f"{name}: 4x the input took {ratio:.1f}x the time"


@pytest.fixture(scope="module")
def breaker(kb: KnowledgeBase) -> WordBreaker:
    return lexicon(kb).breaker


@pytest.mark.parametrize(
    "unit", ["a", "aB", "baclofen", "Baclofen", "baclofenTizanidine"], ids=lambda u: u
)
def test_glued_letters_are_linear(breaker: WordBreaker, unit: str) -> None:
    ratio = _ratio(lambda k: lambda: repair(unit * (k // len(unit)), breaker), 20_000)
    assert ratio < BOUND, f"{unit!r} glued: 4x the input took {ratio:.1f}x the time"


SENTENCE = "Baclofen may ease spasticity, and Robinul may help with drooling. "
STUFFED = "baclofen helps drooling tizanidine eases spasticity "


@pytest.mark.parametrize(
    "text",
    [
        SENTENCE,  # many short sentences: each statement checked against its own only
        STUFFED,  # one line without a full stop: cut into bounded sentences
        "Baclofen.\nSpasticity treatment\n" + SENTENCE,  # headings and sections
        "a moulded night splint and knee ankle foot orthoses chest brace ",  # grammar heads
    ],
    ids=["sentences", "no-full-stop", "sections", "modified-heads"],
)
def test_extraction_is_linear_in_document_size(kb: KnowledgeBase, text: str) -> None:
    lex = lexicon(kb)

    def make(k: int) -> Callable[[], object]:
        doc = text * (k // len(text))
        return lambda: extract_text(doc, lex)

    ratio = _ratio(make, 30_000)
    assert ratio < BOUND, f"4x the document took {ratio:.1f}x the time"


# --- never raises -------------------------------------------------------------------
_DIR = Path(tempfile.mkdtemp(prefix="smanav-fuzz-"))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    raw=st.one_of(
        st.binary(max_size=3000),
        st.text(max_size=3000).map(lambda t: t.encode("utf-8")),
        st.sampled_from([b"%PDF-1.4\n", b"%PDF-1.4\njunk\n%%EOF", b"\xef\xbb\xbf", b"x\x00"]),
    ),
    suffix=st.sampled_from([".txt", ".md", ".html", ".pdf"]),
)
def test_extract_text_never_raises(kb: KnowledgeBase, raw: bytes, suffix: str) -> None:
    """Any file: read_document gives a document or the per-file error, and extraction
    of what it read, and of the raw text, never raises."""
    lex = lexicon(kb)
    path = _DIR / f"doc{suffix}"
    path.write_bytes(raw)
    try:
        doc = read_document(path)
    except InvalidInput as exc:
        assert str(path) in str(exc)
    else:
        result = extract_text(doc.mapped, lex)
        for m in result["mentions"]:
            assert 0 <= m["start"] <= m["end"] <= len(doc.text)
    text = raw.decode("utf-8", "replace")
    extract_text(text, lex)
    fixed = repair(text, lex.breaker)
    list(find_assertions(fixed.text, find_mentions(lex, fixed.text)))


_PIECES = st.sampled_from(
    ["[", "]", "(", ")", "!", "*", "**", "_", "__", "`", "#", "> ", "- ", "+", " ", "\n"]
    + ["\t", "\x1c", "\u2028", "a", "b c", "<", ">", '"', "'", "=", "/", "&amp;", "-->"]
    + ["<!--", "<script>", "</script>", "<SCRIPT", "</script >", "<style", "</style>"]
    + ["<!DOCTYPE", "<![CDATA[", "]]>", "<?", "?>", "<a", "<br/>", "<p>", "<h1>", "</h1>"]
    + ["<title>", "</TITLE>", "<a-", "-é", "_"]
)
_DOCS = st.lists(_PIECES, max_size=40).map("".join)


# The regular expressions the scanners replace, as they were.
_OLD_MD_LINK = re.compile(r"!?\[([^\]\n]*)\]\([^)\n]*\)")
_OLD_MD_MARK = re.compile(r"^(?:#{1,6}\s+|>\s?|\s*[-*+]\s+)|\*\*|__|`", re.MULTILINE)
_OLD_DROP = re.compile(
    r"<(script|style|noscript|template|svg|iframe|object)\b.*?</\1\s*>|<!--.*?-->"
    r"|<!\[CDATA\[.*?\]\]>|<!DOCTYPE[^>]*>|<\?.*?\?>",
    re.IGNORECASE | re.DOTALL,
)
_OLD_TAG = re.compile(r"</?([A-Za-z][A-Za-z0-9-]*)\b(?:[^>\"']|\"[^\"]*\"|'[^']*')*>")


def _old_markdown(source: str) -> list[tuple[int, int]]:
    edits = []
    for m in _OLD_MD_LINK.finditer(source):
        edits += [(m.start(), m.start(1)), (m.end(1), m.end())]
    taken = set(edits)
    for m in _OLD_MD_MARK.finditer(source):
        if not any(s <= m.start() < e for s, e in taken):
            edits.append((m.start(), m.end()))
    return sorted(edits)


def _old_markup(source: str) -> list[tuple[int, int, str]]:
    edits = []
    taken = bytearray(len(source) + 1)
    for m in _OLD_DROP.finditer(source):
        edits.append((m.start(), m.end(), ""))
        taken[m.start() : m.end()] = b"\x01" * (m.end() - m.start())
    for m in _OLD_TAG.finditer(source):
        if 1 not in taken[m.start() : m.end()]:
            edits.append((m.start(), m.end(), m.group(1).lower()))
            taken[m.start() : m.end()] = b"\x01" * (m.end() - m.start())
    return sorted(edits)


def _old_title(source: str) -> str | None:
    m = re.search(r"<title[^>]*>(.*?)</title>|<h1[^>]*>(.*?)</h1>", source, re.I | re.S)
    if not m:
        return None
    return re.sub(r"<[^>]+>", "", m.group(1) or m.group(2) or "")


@settings(max_examples=400, deadline=None)
@given(source=_DOCS)
def test_markdown_scanner_finds_what_the_expressions_found(source: str) -> None:
    got = sorted((e.start, e.end) for e in strip_markdown(source).edits)
    assert got == _old_markdown(source)


@settings(max_examples=400, deadline=None)
@given(source=_DOCS)
def test_html_scanners_find_what_the_expressions_found(source: str) -> None:
    mapped = strip_markup(source)
    got = sorted((e.start, e.end) for e in mapped.edits if e.reason == "markup")
    assert got == [(s, e) for s, e, _ in _old_markup(source)]
    inner = _html_title(source)
    assert (None if inner is None else _drop_angles(inner)) == _old_title(source)
