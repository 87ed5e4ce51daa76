"""How smanav words where a statement comes from and when: one module for every output.

The terminal, the web pages, Markdown/PDF plans, FHIR resources and CDS Hooks cards
all say a source's date, cite it and give age ranges with these functions, so the
same source reads the same everywhere ("checked 2026-11", never "checked None").
Nothing here reads the knowledge base: callers pass a source's fields (the dict
``KnowledgeBase.source_fields`` returns, or a citation entry that contains them).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

if TYPE_CHECKING:
    from .models import Qualifiers

__all__ = [
    "MONTHS",
    "SECTION_TITLES",
    "UNDATED",
    "age_range",
    "citation_line",
    "concept_url",
    "escape_markdown",
    "fact_date",
    "format_date",
    "limit_words",
    "months_words",
    "say_date",
    "short_cite",
    "source_when",
]

#: The one wording for a source that states no date and was never checked on one.
UNDATED = "date not stated"
NO_AGE_LIMIT = "no age limit stated"
MONTHS = ("January", "February", "March", "April", "May", "June") + (
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
#: Headings of a concept's statements, in the order every page and the terminal show them.
SECTION_TITLES = {
    "what_it_is": "What it is",
    "for_whom": "Who it is for",
    "how_it_works": "How it works and how it is given",
    "side_effects": "Side effects",
    "cautions": "Cautions and monitoring",
    "dates": "Approvals and dates",
    "more": "More",
    "related": "Mentioned with",
}

_ISO = re.compile(r"\b(\d{4})-(\d{2})(?:-\d{2})?\b")
#: Markdown punctuation that could start a link, an image, emphasis, code, a heading or
#: a table cell; ``<``, ``>`` and ``&`` become entities so no raw HTML gets through.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|#])")


def format_date(d: dt.date | None, precision: str = "day") -> str | None:
    """A fact's date at the precision its source gives: "2019", "May 2019", "2019-05-24"."""
    if d is None:
        return None
    if precision == "year":
        return f"{d.year}"
    if precision == "month":
        return f"{MONTHS[d.month - 1]} {d.year}"
    return d.isoformat()


def source_when(fields: Mapping[str, Any]) -> str:
    """How old a source is, in words: its update date, else when it was checked (with
    the year its content dates from, when known), else ``UNDATED``.

    ``fields`` holds ``date`` (the update date, ISO), ``retrieved`` and ``content_year``,
    as ``KnowledgeBase.source_fields`` gives them; missing or empty values are absent.
    """
    if fields.get("date"):
        return f"updated {fields['date']}"
    checked = fields.get("retrieved")
    year = fields.get("content_year")
    if checked and year:
        return f"content {year}, checked {checked}"
    if checked:
        return f"checked {checked}"
    if year:
        return f"content {year}"
    return UNDATED


def say_date(text: str) -> str:
    """ISO dates as a person says them: "checked 2026-11" → "checked November 2026"
    (a day is never added; a given day is dropped, the month is enough for a family)."""

    def month(m: re.Match[str]) -> str:
        n = int(m.group(2))
        return f"{MONTHS[n - 1]} {m.group(1)}" if 1 <= n <= 12 else m.group(0)

    return _ISO.sub(month, text)


def short_cite(sources: Iterable[Mapping[str, Any]]) -> str:
    """Who says it and when, short: "Biogen, checked 2026-11; SMA News Today, updated
    2020-06-16, secondary source" (each source once, in the order given)."""
    parts = []
    for s in sources:
        grade = ", secondary source" if s.get("grade") == "secondary" else ""
        parts.append(f"{s['publisher']}, {source_when(s)}{grade}")
    return "; ".join(dict.fromkeys(parts))


def citation_line(ev: Mapping[str, Any], url: bool = True) -> str:
    """One line naming where a statement comes from: title, publisher, date, grade,
    address (unless ``url`` is false: a page shows it as a link) and place in the text."""
    parts = [str(ev["title"]), str(ev["publisher"]), source_when(ev)]
    if ev.get("grade") == "secondary":
        parts.append("secondary source")
    if url and ev.get("url"):
        parts.append(str(ev["url"]))
    if ev.get("start") is not None:
        parts.append(f"characters {ev['start']}–{ev['end']}")
    if ev.get("section"):
        parts.append(f"section “{ev['section']}”")
    return " · ".join(parts)


def months_words(m: float) -> str:
    """An age limit in months as said: "birth", "2 years", "7 months", "1.5 months"."""
    if m == 0:
        return "birth"
    if m % 12 == 0:
        years = int(m // 12)
        return f"{years} year{'s' * (years != 1)}"
    return f"{m:g} month{'s' * (m != 1)}"


def age_range(lo: float | None, hi: float | None, hi_exclusive: bool = False) -> str:
    """An age range in words: "from birth, under 2 years", "2 years and older"."""
    parts = []
    if lo is not None:
        parts.append("from birth" if lo == 0 else f"{months_words(lo)} and older")
    if hi is not None:
        parts.append(
            f"under {months_words(hi)}"
            if hi_exclusive
            else f"up to and including {months_words(hi)}"
        )
    return ", ".join(parts) or NO_AGE_LIMIT


def limit_words(q: Qualifiers) -> str:
    """An eligibility limit in words: the age range with the genetic and weight limits a
    label adds, and its region: "from birth, under 2 years; up to 21 kg (EU)"."""
    words = age_range(q.age_min_months, q.age_max_months, q.age_max_exclusive)
    extra = []
    if q.sma_types or q.smn2_max is not None:
        alts = [f"type {' or '.join(str(t) for t in q.sma_types)}"] if q.sma_types else []
        if q.smn2_max is not None:
            alts.append(f"up to {q.smn2_max} SMN2 copies")
        extra.append(" or ".join(alts))
    if q.weight_min_kg is not None:
        extra.append(f"{q.weight_min_kg:g} kg or more")
    if q.weight_max_kg is not None:
        extra.append(f"up to {q.weight_max_kg:g} kg")
    if extra:
        words = ("" if words == NO_AGE_LIMIT else words + "; ") + "; ".join(extra)
    if q.region:
        words = f"{words} ({q.region})"
    return words


def fact_date(q: Qualifiers) -> str | None:
    """ "dated May 2019" for a fact with a date (an approval, a label change), else None."""
    return f"dated {format_date(q.date, q.date_precision)}" if q.date is not None else None


def escape_markdown(text: object) -> str:
    """Text made inert in Markdown, shown as written: record and ingested text are
    untrusted, and a Markdown viewer renders links, images and (some) raw HTML."""
    s = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    # "](" is where a link's address starts: its bracket is escaped, and so is the paren.
    return _MD_SPECIAL.sub(r"\\\1", s).replace("\\](", "\\]\\(")


def concept_url(concept: Mapping[str, Any] | str, kind: str | None = None) -> str:
    """The page a concept is cited by: treatments and symptoms have their own."""
    from .models import INTERVENTION_KINDS

    if isinstance(concept, Mapping):
        cid, kind = concept["concept"], concept.get("kind")
    else:
        cid = concept
    if kind in {k.value for k in INTERVENTION_KINDS}:
        return f"/treatments/{quote(cid)}"
    if kind == "symptom":
        return f"/symptoms/{quote(cid)}"
    return f"/concepts/{quote(cid)}"
