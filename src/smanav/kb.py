"""The curated knowledge: loading and validating the data files shipped in the package.

Data lives in ``smanav/data`` and is read with ``importlib.resources`` (or from a
directory given by path, for tests and editors). Every problem is reported as a
:class:`DataError` naming the file, the record id and the field.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from .errors import DataError
from .models import Assertion, Concept, Source

__all__ = ["CuratedData", "data_root", "load_curated", "span_sha256"]

M = TypeVar("M", bound=BaseModel)


def data_root() -> Traversable:
    return resources.files("smanav") / "data"


def span_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


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
        raw = yaml.safe_load(file.read_text(encoding="utf-8"))
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


def load_curated(root: Traversable | Path | None = None) -> CuratedData:
    """Load and cross-check every data file; raise DataError on the first problem."""
    root = data_root() if root is None else root
    data = CuratedData()
    digest = hashlib.sha256()

    source_file = root / "sources.yaml"
    groups: list[tuple[list[Traversable], type[BaseModel], str, dict[str, Any]]] = [
        ([source_file] if source_file.is_file() else [], Source, "", data.sources),
        (_yaml_files(root, "concepts"), Concept, "concepts/", data.concepts),
        (_yaml_files(root, "assertions"), Assertion, "assertions/", data.assertions),
    ]
    for files, model, prefix, target in groups:
        for f in files:
            digest.update(f.name.encode() + b"\0" + f.read_bytes())
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

    hpo_file = root / "hpo.json"
    if hpo_file.is_file():
        digest.update(hpo_file.read_bytes())
        data.hpo = json.loads(hpo_file.read_text(encoding="utf-8"))["terms"]
    data.digest = digest.hexdigest()
    _cross_check(data)
    return data


def _cross_check(data: CuratedData) -> None:
    names: dict[str, str] = {}
    for cid, c in data.concepts.items():
        label = data.origin[cid]
        for i, code in enumerate(c.codes):
            if code.system == "HPO" and data.hpo and code.code not in data.hpo:
                raise DataError(
                    label, cid, f"codes.{i}.code",
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
                        label, aid, f"{where}.start",
                        f"source {src.id!r} has no text to point into; use a section",
                    )
                assert ev.end is not None and src.length is not None
                if ev.end > src.length:
                    raise DataError(
                        label, aid, f"{where}.end",
                        f"offset {ev.end} is past the end of {src.id!r} ({src.length} characters)",
                    )
