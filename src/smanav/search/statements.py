"""The statements gathered for one answer, each with its headings, where it holds
(a label's region) and where and when it comes from."""

from __future__ import annotations

from collections.abc import Iterable

from ..browse import region_label
from ..kb import KnowledgeBase
from ..models import INTERVENTION_KINDS, Assertion, Predicate

P = Predicate

#: Linked to nearly everything: part of an answer's concepts only when the question names it.
_GENERIC = frozenset({"sma", "care-team"})


_TREATMENT_KINDS = INTERVENTION_KINDS


_MAX_STATEMENTS = 12


def _own(kb: KnowledgeBase, cid: str, preds: Iterable[Predicate]) -> list[Assertion]:
    want = set(preds)
    return [a for a in kb.about(cid) if a.subject == cid and a.predicate in want]


class _Answer:
    """Statements gathered for one question, with the headings they go under."""

    def __init__(self, kb: KnowledgeBase, mentioned: Iterable[str] = ()) -> None:
        self.kb = kb
        self.mentioned = set(mentioned)
        self.lines: list[str] = []
        self.used: list[Assertion] = []
        self.concepts: list[str] = []
        self.missing: list[str] = []
        #: Statement id → the class it was said of, for statements a member inherits.
        self.inherited: dict[str, str] = {}

    def concept(self, cid: str | None) -> None:
        if cid and cid in self.kb.concepts and cid not in self.concepts:
            self.concepts.append(cid)

    def label(self, cid: str) -> str:
        c = self.kb.concepts[cid]
        return f"{c.name} ({', '.join(c.brands)})" if c.brands else c.name

    def add(
        self,
        heading: str,
        rows: list[Assertion],
        via: str | None = None,
        from_class: str | None = None,
    ) -> None:
        rows = [a for a in rows if a not in self.used][: _MAX_STATEMENTS - len(self.used)]
        if not rows:
            return
        differ = _disagree(rows)
        self.lines.append(
            heading + (" The sources differ; each is shown with its date." if differ else "")
        )
        for a in rows:
            who = self.label(a.subject)
            said = f" (said of {self.kb.name_of(via)})" if via else ""
            text = self.kb.statement(a)
            if a.predicate == P.not_known:
                text = f"NOT KNOWN: {text}"
            elif a.predicate == P.boxed_warning:
                text = f"Boxed warning: {text}"
            if a.contested_by:
                text = f"CONTESTED: {text}"
            where = _where(self.kb, a)
            self.lines.append(f"- {who}: {text}{said}{where} [{_when(self.kb, a)}]")
            self.used.append(a)
            if from_class:
                self.inherited.setdefault(a.id, from_class)
            self.concept(a.subject)
            if a.object not in _GENERIC or a.object in self.mentioned:
                self.concept(a.object)
            for fix_id in a.contested_by:
                # Never alone as fact: the correction, with its own source, right beside it.
                fix = self.kb.assertions.get(fix_id)
                if fix is None:
                    continue
                self.lines.append(
                    f"- Contradicted by {self.label(fix.subject)}: {self.kb.statement(fix)}"
                    f"{_where(self.kb, fix)} [{_when(self.kb, fix)}]"
                )
                if fix not in self.used:
                    self.used.append(fix)


def _when(kb: KnowledgeBase, a: Assertion) -> str:
    """Where and when a statement comes from, short: 'SMA News Today, 2020-06-16'."""
    parts = []
    for ev in a.evidence[:2]:
        src = kb.sources[ev.source]
        if src.last_updated:
            date = src.last_updated.isoformat()
        elif src.retrieved:
            date = f"checked {src.retrieved}"
        else:
            date = "date not stated"
        mark = ", news source" if src.grade == "secondary" and src.kind == "news" else ""
        parts.append(f"{src.publisher}, {date}{mark}")
    if a.qualifiers.date is not None and a.predicate == P.approved_by:
        parts.insert(0, f"event {a.qualifiers.date.year}")
    return "; ".join(parts)


def _where(kb: KnowledgeBase, a: Assertion) -> str:
    """' (US label)' for a label fact, so a reader knows where it holds."""
    label = region_label(kb, a)
    return f" ({label})" if label else ""


def _disagree(rows: list[Assertion]) -> bool:
    """Several sources on one point (eligibility, approval) with different words."""
    by_point: dict[tuple[str, str], set[str]] = {}
    for a in rows:
        if a.predicate in (P.eligibility, P.indicated_for, P.approved_by):
            key = (a.subject, a.predicate.value)
            by_point.setdefault(key, set()).add(a.evidence[0].source)
    return any(len(s) > 1 for s in by_point.values())
