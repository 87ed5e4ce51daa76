"""Measuring extraction: precision, recall and F1 against gold annotations, and how much
of the curated knowledge base extraction reproduces from the same articles.

Used by tests/test_extract.py and bench/extract.py, so the README's figures and
the tests come from one definition.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from ..kb import KnowledgeBase, norm_name
from ..models import INTERVENTION_KINDS

__all__ = ["EXTRACTED_PREDICATES", "prf", "reproduction", "score"]

#: Predicates extraction looks for (the issue's list, plus evidence_in_sma for negations).
EXTRACTED_PREDICATES = (
    "addresses_symptom",
    "member_of_class",
    "side_effect",
    "do_not_combine_with",
    "developed_by",
    "mechanism",
    "eligibility",
    "approved_by",
    "route",
    "causes",
    "evidence_in_sma",
)


def prf(tp: int, fp: int, fn: int) -> dict[str, float | int]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "precision": round(p, 3),
        "recall": round(r, 3),
        "f1": round(f, 3),
    }


def _ids(concept: str | None, codes: dict[str, set[str]]) -> set[str | None]:
    """A predicted concept and the codes it carries (gold may name an HPO id)."""
    return {concept, *codes.get(concept or "", set())}


def _tally(rows: Iterable[tuple[str, bool | None]]) -> dict[str, dict[str, float | int]]:
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for key, hit in rows:
        counts[key][0 if hit else 1 if hit is False else 2] += 1
        counts["all"][0 if hit else 1 if hit is False else 2] += 1
    return {k: prf(*v) for k, v in sorted(counts.items())}


def score(predicted: dict[str, Any], gold: dict[str, Any], strict: bool = False) -> dict[str, Any]:
    """Per-kind mention scores and per-predicate assertion scores for one document.

    A mention matches when it names the gold concept (or carries the gold code)
    and its span overlaps the gold span (equals it with `strict`). An assertion
    matches on subject, predicate, object and any gold qualifiers; certainty is
    reported by the assertion itself and not scored here.
    """
    codes: dict[str, set[str]] = defaultdict(set)
    for m in predicted["mentions"]:
        codes[m["concept"]].update(c["code"] for c in m.get("codes", []))
    rows: list[tuple[str, bool | None]] = []
    used: set[int] = set()
    for g in gold["mentions"]:
        hit = None
        for i, m in enumerate(predicted["mentions"]):
            if i in used or g["concept"] not in _ids(m["concept"], codes):
                continue
            same = (m["start"], m["end"]) == (g["start"], g["end"])
            if same or (not strict and m["start"] < g["end"] and g["start"] < m["end"]):
                hit = i
                break
        if hit is not None:
            used.add(hit)
        rows.append((g["kind"], True if hit is not None else None))
    rows += [(m["kind"], False) for i, m in enumerate(predicted["mentions"]) if i not in used]
    arows: list[tuple[str, bool | None]] = []
    aused: set[int] = set()
    for g in gold["assertions"]:
        hit = next(
            (
                i
                for i, a in enumerate(predicted["assertions"])
                if i not in aused and _assertion_matches(a, g, codes)
            ),
            None,
        )
        if hit is not None:
            aused.add(hit)
        arows.append((g["predicate"], True if hit is not None else None))
    arows += [
        (a["predicate"], False) for i, a in enumerate(predicted["assertions"]) if i not in aused
    ]
    return {"mentions": _tally(rows), "assertions": _tally(arows)}


def _assertion_matches(a: dict[str, Any], g: dict[str, Any], codes: dict[str, set[str]]) -> bool:
    if a["predicate"] != g["predicate"] or g["subject"] not in _ids(a["subject"], codes):
        return False
    if g.get("object") is not None and g["object"] not in _ids(a["object"], codes):
        return False
    if g.get("object") is None and a["object"] is not None:
        return False
    q = a.get("qualifiers") or {}
    for k, v in (g.get("qualifiers") or {}).items():
        if k == "date":
            if not str(q.get("date", "")).startswith(str(v)):
                return False
        elif q.get(k) != v:
            return False
    return True


def merge(scores: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Add per-document scores into corpus totals."""
    out: dict[str, Any] = {}
    for part in ("mentions", "assertions"):
        totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
        for s in scores:
            for k, v in s[part].items():
                totals[k][0] += int(v["tp"])
                totals[k][1] += int(v["fp"])
                totals[k][2] += int(v["fn"])
        out[part] = {k: prf(*v) for k, v in sorted(totals.items())}
    return out


def reproduction(results: dict[str, dict[str, Any]], kb: KnowledgeBase) -> dict[str, Any]:
    """Share of curated treatment assertions (interventions as subject, with evidence in
    the given sources) that extraction of those sources reproduces."""
    wanted = [
        a
        for a in kb.assertions.values()
        if a.status == "curated"
        and a.predicate.value in EXTRACTED_PREDICATES
        and kb.concepts[a.subject].kind in INTERVENTION_KINDS
        and any(ev.source in results for ev in a.evidence)
    ]
    found: list[str] = []
    missed: list[str] = []
    for a in sorted(wanted, key=lambda a: a.id):
        preds = [
            (res, p)
            for ev in a.evidence
            if ev.source in results
            for res in [results[ev.source]]
            for p in res["assertions"]
            if p["subject"] == a.subject and p["predicate"] == a.predicate.value
        ]
        ok = any(_reproduces(a, p, res) for res, p in preds)
        (found if ok else missed).append(a.id)
    share = len(found) / len(wanted) if wanted else 0.0
    return {
        "curated": len(wanted),
        "reproduced": len(found),
        "share": round(share, 3),
        "missed": missed,
    }


def _reproduces(a: Any, p: dict[str, Any], res: dict[str, Any]) -> bool:
    if a.object is not None:
        return bool(p["object"] == a.object)
    q = a.qualifiers
    if a.predicate.value == "eligibility":
        pq = p.get("qualifiers") or {}
        return bool(
            pq.get("age_max_months") == q.age_max_months
            and pq.get("age_min_months") == q.age_min_months
        )
    if a.predicate.value == "route":
        return bool(p.get("value") == (q.route or a.value))
    want = norm_name(a.value or "")
    names = {norm_name(p.get("object_name") or "")}
    names |= {norm_name(m["text"]) for m in res["mentions"] if m["concept"] == p["object"]}
    return any(n and want.startswith(n) for n in names)
