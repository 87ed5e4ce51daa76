"""The curated knowledge: loading and validating the data files shipped in the package.

Data lives in ``smanav/data`` and is read with ``importlib.resources`` (or from a
directory given by path, for tests and editors). Every problem is reported as a
:class:`DataError` naming the file, the record id and the field.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from .citations import format_date
from .citations import source_when as source_when  # where the CLI imports it from
from .errors import DataError, InstallError
from .models import Assertion, CareDomain, Certainty, Concept, Evidence, Predicate, Source
from .names import NameIndex
from .sourcetexts import StoredTexts
from .text import WordBreaker, apply_edits
from .tokens import norm_name

__all__ = [
    "CuratedData",
    "check_installed",
    "KnowledgeBase",
    "StoredTexts",
    "data_digest",
    "data_root",
    "load_curated",
    "norm_name",
    "span_sha256",
]

M = TypeVar("M", bound=BaseModel)


#: libyaml's parser when present (about 10x faster than the pure-Python one).
_YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(text: str) -> Any:
    """Parse trusted package data or a user's data file; only plain YAML types."""
    return yaml.load(text, Loader=_YAML_LOADER)  # noqa: S506 - a safe loader


def data_root() -> Traversable:
    return resources.files("smanav") / "data"


def span_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _data_files(root: Traversable) -> list[Traversable]:
    files = [
        root / "sources.yaml",
        *_yaml_files(root, "concepts"),
        *_yaml_files(root, "assertions"),
        root / "hpo.json",
    ]
    return [f for f in files if f.is_file()]


def data_digest(root: Traversable | Path | None = None) -> str:
    """sha256 over the data files: the knowledge base's version, cheap to recompute."""
    root = data_root() if root is None else root
    digest = hashlib.sha256()
    for f in _data_files(root):
        rel = f.name if f.name in ("sources.yaml", "hpo.json") else f"{f.name}"
        digest.update(rel.encode() + b"\0" + f.read_bytes())
    return digest.hexdigest()


@dataclass
class CuratedData:
    sources: dict[str, Source] = field(default_factory=dict)
    concepts: dict[str, Concept] = field(default_factory=dict)
    assertions: dict[str, Assertion] = field(default_factory=dict)
    #: Which file each record came from, for error messages downstream.
    origin: dict[str, str] = field(default_factory=dict)
    hpo: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: sha256 over all data files: the knowledge base's version.
    digest: str = ""


def _yaml_files(root: Traversable, sub: str) -> list[Traversable]:
    folder = root / sub
    if not folder.is_dir():
        return []
    return sorted((f for f in folder.iterdir() if f.name.endswith(".yaml")), key=lambda f: f.name)


def _records(file: Traversable, label: str) -> list[dict[str, Any]]:
    try:
        raw = read_yaml(file.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise DataError(label, None, None, f"not valid YAML: {exc}") from None
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise DataError(label, None, None, "expected a list of records")
    for i, rec in enumerate(raw):
        if not isinstance(rec, dict):
            raise DataError(label, f"#{i + 1}", None, "expected a mapping")
    return raw


def _validate(model: type[M], rec: dict[str, Any], label: str, index: int) -> M:
    rid = str(rec.get("id") or f"#{index + 1}")
    try:
        return model.model_validate(rec)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"]) or None
        raise DataError(label, rid, loc, err["msg"]) from None


def _load_kind(
    root: Traversable, files: Iterable[Traversable], model: type[M], prefix: str
) -> Iterator[tuple[str, M]]:
    for file in files:
        label = f"{prefix}{file.name}"
        for i, rec in enumerate(_records(file, label)):
            yield label, _validate(model, rec, label, i)


#: The parts every installation has; without one of them the knowledge base would be
#: silently incomplete (issue 11: a reinstall under a running server rebuilt it with 6
#: concepts instead of 80).
REQUIRED_DATA = ("sources.yaml", "hpo.json", "concepts/", "assertions/")


def check_installed(root: Traversable | Path | None = None) -> None:
    """Raise InstallError when a required data file or folder is missing or empty."""
    root = data_root() if root is None else root
    missing: list[str] = []
    for part in REQUIRED_DATA:
        if part.endswith("/"):
            if not _yaml_files(root, part[:-1]):
                folder = root / part[:-1]
                missing.append(f"{part} is {'empty' if folder.is_dir() else 'missing'}")
        else:
            f = root / part
            if not f.is_file():
                missing.append(f"{part} is missing")
            elif not f.read_bytes().strip():
                missing.append(f"{part} is empty")
    if missing:
        what = "; ".join(missing)
        raise InstallError(
            f"smanav's installed data is incomplete ({what}): reinstall smanav "
            "(pip install --force-reinstall smanav); the knowledge base was not rebuilt",
            public="smanav's installed data is incomplete: the server must be reinstalled.",
            detail=f"data folder {root}: {what}",
        )


def load_curated(root: Traversable | Path | None = None) -> CuratedData:
    """Load and cross-check every data file; raise DataError on the first problem and
    InstallError when a required part is missing (never an empty knowledge base)."""
    root = data_root() if root is None else root
    check_installed(root)
    data = CuratedData(digest=data_digest(root))

    source_file = root / "sources.yaml"
    groups: list[tuple[list[Traversable], type[BaseModel], str, dict[str, Any]]] = [
        ([source_file] if source_file.is_file() else [], Source, "", data.sources),
        (_yaml_files(root, "concepts"), Concept, "concepts/", data.concepts),
        (_yaml_files(root, "assertions"), Assertion, "assertions/", data.assertions),
    ]
    for files, model, prefix, target in groups:
        for label, rec in _load_kind(root, files, model, prefix):
            rid = rec.id  # type: ignore[attr-defined]
            if rid in target:
                raise DataError(
                    label, rid, "id", f"duplicate id (first defined in {data.origin[rid]})"
                )
            if rid in data.origin and prefix != "assertions/":
                raise DataError(label, rid, "id", f"id already used in {data.origin[rid]}")
            target[rid] = rec
            data.origin.setdefault(rid, label)

    try:
        hpo = json.loads((root / "hpo.json").read_text(encoding="utf-8"))
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError
        raise DataError("hpo.json", None, None, f"not valid JSON: {exc}") from None
    if not isinstance(hpo, dict) or not isinstance(hpo.get("terms"), dict) or not hpo["terms"]:
        raise DataError("hpo.json", None, "terms", "expected a non-empty mapping of HPO terms")
    data.hpo = hpo["terms"]
    for prefix, group in (("sources.yaml", data.sources), ("concepts/", data.concepts)):
        if not group:
            raise InstallError(
                f"smanav's installed data is incomplete ({prefix} holds no records): "
                "reinstall smanav (pip install --force-reinstall smanav)",
                public="smanav's installed data is incomplete: the server must be reinstalled.",
                detail=f"data folder {root}: {prefix} holds no records",
            )
    _cross_check(data)
    return data


def _cross_check(data: CuratedData) -> None:
    names: dict[str, str] = {}
    for cid, c in data.concepts.items():
        label = data.origin[cid]
        for i, code in enumerate(c.codes):
            if code.system == "HPO" and data.hpo and code.code not in data.hpo:
                raise DataError(
                    label,
                    cid,
                    f"codes.{i}.code",
                    f"{code.code} is not a term of the bundled HPO ontology",
                )
        seen = names.get(c.name.casefold())
        if seen and seen != cid:
            raise DataError(label, cid, "name", f"name {c.name!r} is already used by {seen!r}")
        names[c.name.casefold()] = cid
    for aid, a in data.assertions.items():
        label = data.origin[aid]
        if a.subject not in data.concepts:
            raise DataError(label, aid, "subject", f"unknown concept {a.subject!r}")
        if a.object is not None and a.object not in data.concepts:
            raise DataError(label, aid, "object", f"unknown concept {a.object!r}")
        for i, ev in enumerate(a.evidence):
            src = data.sources.get(ev.source)
            where = f"evidence.{i}"
            if src is None:
                raise DataError(label, aid, f"{where}.source", f"unknown source {ev.source!r}")
            if ev.start is not None:
                if not src.has_text:
                    raise DataError(
                        label,
                        aid,
                        f"{where}.start",
                        f"source {src.id!r} has no text to point into; use a section",
                    )
                assert ev.end is not None and src.length is not None
                if ev.end > src.length:
                    raise DataError(
                        label,
                        aid,
                        f"{where}.end",
                        f"offset {ev.end} is past the end of {src.id!r} ({src.length} characters)",
                    )


# --- The knowledge base at run time -------------------------------------------------

_PHRASES: dict[Predicate, str] = {
    Predicate.definition: "is",
    Predicate.causes: "causes",
    Predicate.has_symptom: "has the symptom",
    Predicate.addresses_symptom: "may help with",
    Predicate.member_of_class: "belongs to",
    Predicate.mechanism: "works by",
    Predicate.indicated_for: "is used for",
    Predicate.eligibility: "is for",
    Predicate.approved_by: "was approved by",
    Predicate.developed_by: "is made by",
    Predicate.route: "is given",
    Predicate.dosing: "dose:",
    Predicate.side_effect: "can cause",
    Predicate.warning: "warning:",
    Predicate.do_not_combine_with: "should not be combined with",
    Predicate.monitoring: "monitoring:",
    Predicate.evidence_in_sma: "evidence in SMA:",
    Predicate.recommended_by: "is guided by",
    Predicate.treatment_note: "note:",
    Predicate.boxed_warning: "boxed warning:",
    Predicate.contraindication: "must not be used with",
    Predicate.interaction: "interacts with",
    Predicate.pregnancy: "pregnancy and fertility:",
    Predicate.not_known: "not known:",
}

#: Words that already tell the reader a statement is hedged.
_HEDGES = frozenset({"may", "might", "can", "could", "possibly", "sometimes"})

#: Which statements answer which question on a treatment page.
SECTIONS: dict[str, tuple[Predicate, ...]] = {
    "what_it_is": (Predicate.definition, Predicate.member_of_class, Predicate.developed_by),
    "for_whom": (
        Predicate.indicated_for,
        Predicate.eligibility,
        Predicate.addresses_symptom,
        Predicate.evidence_in_sma,
    ),
    "how_it_works": (Predicate.mechanism, Predicate.route, Predicate.dosing),
    "side_effects": (Predicate.side_effect,),
    "safety": (
        Predicate.boxed_warning,
        Predicate.contraindication,
        Predicate.interaction,
        Predicate.pregnancy,
        Predicate.not_known,
    ),
    "cautions": (Predicate.warning, Predicate.do_not_combine_with, Predicate.monitoring),
    "dates": (Predicate.approved_by,),
    "more": (
        Predicate.causes,
        Predicate.has_symptom,
        Predicate.recommended_by,
        Predicate.treatment_note,
    ),
}


def _merge_known_evidence(conn: Any, assertions: dict[str, Assertion]) -> None:
    """Evidence an editor accepted for a statement already known (review.py): added to
    that statement at load, so a rebuild of the curated data never drops it."""

    try:
        rows = conn.execute(
            "SELECT source_id, json FROM review_queue WHERE status = 'accepted' "
            "AND json_extract(json, '$.known') IS NOT NULL ORDER BY id"
        ).fetchall()
    except sqlite3.OperationalError:  # a store nothing was ever ingested into
        return
    for sid, raw in rows:
        item = json.loads(raw)
        a = assertions.get(item["known"])
        if a is None:
            continue
        have = {(e.source, e.start, e.end) for e in a.evidence}
        more = [
            Evidence(source=sid, start=e["start"], end=e["end"], sha256=e["sha256"])
            for e in item["evidence"]
            if (sid, e["start"], e["end"]) not in have
        ]
        if more:
            assertions[a.id] = a.model_copy(update={"evidence": [*a.evidence, *more]})


class KnowledgeBase:
    """The published knowledge base, held in memory: planning and lookups do no SQL."""

    def __init__(
        self,
        sources: dict[str, Source],
        concepts: dict[str, Concept],
        assertions: dict[str, Assertion],
        names: list[tuple[str, str, str, str]],
        texts: Mapping[str, str],
    ) -> None:
        #: The SQLite file this was loaded from (search opens it for FTS5 queries).
        self.path: Path | None = None
        #: The curated-data digest the file was built from (plans record it).
        self.version: str = ""
        self.sources = sources
        self.concepts = concepts
        self.assertions = assertions
        self.texts = texts
        #: (concept id, name, normalised name, how it names it): the store's names table,
        #: read by the one name index (`smanav.names`).
        self.name_rows = list(names)
        self._about: dict[str, list[Assertion]] = {}
        self._breaker: WordBreaker | None = None
        self._repaired: dict[str, str | None] = {}
        for a in sorted(assertions.values(), key=lambda a: a.id):
            self._about.setdefault(a.subject, []).append(a)
            if a.object and a.object != a.subject:
                self._about.setdefault(a.object, []).append(a)

    @classmethod
    def from_store(cls, store: Any) -> KnowledgeBase:
        conn = store.conn
        sources = {
            r[0]: Source.model_validate_json(r[1])
            for r in conn.execute("SELECT id, json FROM sources ORDER BY id")
        }
        concepts = {
            r[0]: Concept.model_validate_json(r[1])
            for r in conn.execute("SELECT id, json FROM concepts ORDER BY id")
        }
        assertions = {
            r[0]: Assertion.model_validate_json(r[1])
            for r in conn.execute(
                "SELECT id, json FROM assertions WHERE status IN ('curated', 'accepted') "
                "ORDER BY id"
            )
        }
        _merge_known_evidence(conn, assertions)
        names = [
            (r[0], r[1], r[2], r[3])
            for r in conn.execute("SELECT concept_id, name, norm, type FROM names")
        ]
        path = getattr(store, "path", None)
        texts: Mapping[str, str]
        if path is not None:
            # Read when quoted, not here; a cited article a user ingested (same sha256)
            # supplies its quotes too.
            texts = StoredTexts(Path(path), {i: s.sha256 for i, s in sources.items() if s.sha256})
        else:
            texts = {r[0]: r[1] for r in conn.execute("SELECT source_id, text FROM documents")}
        kb = cls(sources, concepts, assertions, names, texts)
        kb.path = path
        kb.version = store.meta("digest") or ""
        return kb

    # -- names: thin wrappers over the one name index (smanav.names) ------------------
    def lookup(self, name: str) -> Concept | None:
        """Exact lookup (any case, spacing or punctuation); None when nothing matches."""
        return NameIndex.for_kb(self).lookup(name)

    def suggestions(self, name: str, limit: int = 5) -> list[str]:
        return NameIndex.for_kb(self).suggest(name, limit=limit)

    def resolve(self, name: str, field: str = "name") -> Concept:
        """Id, generic, brand, synonym, lay term, lexicon phrase or HPO id, small typos
        forgiven; NotFound with suggestions otherwise."""
        return NameIndex.for_kb(self).resolve(name, field=field)

    # -- statements --------------------------------------------------------------------
    def about(self, cid: str) -> list[Assertion]:
        return list(self._about.get(cid, []))

    def name_of(self, cid: str | None) -> str:
        if cid is None:
            return ""
        c = self.concepts.get(cid)
        return c.name if c else cid

    def statement(self, a: Assertion) -> str:
        """One line in our own words; the quote is separate and comes from the source."""
        subject = self.name_of(a.subject)
        text = a.value or f"{subject} {_PHRASES[a.predicate]} {self.name_of(a.object)}"
        words = set(re.findall(r"[a-z]+", text.casefold()))
        if a.certainty == Certainty.hedged and not words & _HEDGES:
            text = f"{text} (the source says it may)"
        return text

    def quote(self, ev: Evidence) -> str | None:
        """The passage, read through the locator and checked against its hash."""
        text = self.texts.get(ev.source)
        if text is None or ev.start is None or ev.end is None:
            return None
        span = text[ev.start : ev.end]
        return span if span_sha256(span) == ev.sha256 else None

    def source_fields(self, sid: str) -> dict[str, Any]:
        """What a citation says of its source: title, publisher, url, dates, grade."""
        src = self.sources[sid]
        return {
            "title": src.title,
            "publisher": src.publisher,
            "url": src.url,
            "date": src.last_updated.isoformat() if src.last_updated else None,
            "retrieved": src.retrieved,
            "content_year": src.content_year,
            "grade": src.grade,
        }

    def cite(self, ev: Evidence) -> dict[str, Any]:
        """Where a statement comes from; ``quote_repaired`` only when glued words were split."""
        quote = self.quote(ev)
        entry: dict[str, Any] = {
            "source": ev.source,
            **self.source_fields(ev.source),
            "start": ev.start,
            "end": ev.end,
            "section": ev.section,
            "quote": quote,
        }
        repaired = self.repaired_quote(quote) if quote else None
        if repaired is not None:
            entry["quote_repaired"] = repaired
        return entry

    def repaired_quote(self, quote: str) -> str | None:
        """The quote with words the scraped source ran together separated, or None.

        Link text loses its separators ("AmitriptylineRobinul"); a reader gets
        "Amitriptyline, Robinul" marked as repaired while the exact quote, offsets and
        hash stay as they are. The glued words are names of medicines the knowledge
        base holds, so a splitter over its own one-word names is enough (the
        extraction lexicon is too slow to load for a page). Built once, cached per quote.
        """
        if quote in self._repaired:
            return self._repaired[quote]
        if self._breaker is None:
            self._breaker = WordBreaker((r[2] for r in self.name_rows if r[2].isalpha()), ())
        edits = self._breaker.edits(quote)
        repaired = apply_edits(quote, edits).text if edits else None
        self._repaired[quote] = repaired
        return repaired

    def statement_dict(self, a: Assertion) -> dict[str, Any]:
        q = a.qualifiers
        return {
            "id": a.id,
            "subject": a.subject,
            "predicate": a.predicate.value,
            "object": a.object,
            "object_name": self.name_of(a.object) if a.object else None,
            "text": self.statement(a),
            "certainty": a.certainty.value,
            "status": a.status,
            "as_of": a.as_of.isoformat() if a.as_of else None,
            "date": format_date(q.date, q.date_precision),
            "qualifiers": q.model_dump(mode="json", exclude_defaults=True),
            "evidence": [self.cite(ev) for ev in a.evidence],
        }

    def describe(self, cid: str) -> dict[str, Any]:
        """Everything known about one concept, grouped as a treatment page shows it."""
        c = self.concepts[cid]
        out: dict[str, Any] = {
            "concept": c.id,
            "name": c.name,
            "kind": c.kind.value,
            "domain": c.domain.value if c.domain else None,
            "brands": list(c.brands),
            "synonyms": list(c.synonyms),
            "lay_terms": list(c.lay_terms),
            "codes": [code.model_dump() for code in c.codes],
        }
        own = [a for a in self.about(cid) if a.subject == cid]
        used: set[str] = set()
        for section, predicates in SECTIONS.items():
            rows = [a for a in own if a.predicate in predicates]
            used.update(a.id for a in rows)
            out[section] = [self.statement_dict(a) for a in rows]
        out["related"] = [self.statement_dict(a) for a in self.about(cid) if a.subject != cid]
        return out

    def treatments(self, domain: str | None = None) -> list[Concept]:
        from .models import INTERVENTION_KINDS

        out = [
            c
            for c in self.concepts.values()
            if c.kind in INTERVENTION_KINDS and (domain is None or c.domain == domain)
        ]
        order = list(CareDomain)
        return sorted(out, key=lambda c: (order.index(c.domain) if c.domain else 99, c.name))

    def symptoms(self) -> list[Concept]:
        return sorted(
            (c for c in self.concepts.values() if c.kind == "symptom"), key=lambda c: c.name
        )
