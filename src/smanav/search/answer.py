"""Cited answers: a question in everyday words, answered only with knowledge-base statements.

Nothing here generates text about medicine. The answer is a list of curated
statements (our own words, each with its evidence locators), chosen by the concepts
the question names and the kind of question it is. When no statement answers, the
answer says so and shows the closest passages instead of guessing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from ..browse import classes_of, region_label, statement_view
from ..kb import KnowledgeBase
from ..models import INTERVENTION_KINDS, Assertion, ConceptKind, Predicate
from ..settings import DISCLAIMER
from .lexicon import Intent, load_question_types
from .retrieve import Hits, find, passage_dict
from .text import STOPWORDS, check_query, stem, words

__all__ = ["INTENTS", "Intent", "ask", "detect_intents"]

P = Predicate


INTENTS: tuple[Intent, ...] = tuple(load_question_types())
_BY_NAME = {i.name: i for i in INTENTS}

#: A plain "what is X" answer: what it is, who it is for, what it helps with, how.
_ABOUT = (
    P.definition,
    P.member_of_class,
    P.developed_by,
    P.indicated_for,
    P.addresses_symptom,
    P.mechanism,
    P.evidence_in_sma,
    P.recommended_by,
)
#: Statements a class passes on to its members (what is said of muscle relaxants holds
#: for baclofen, as the source says it).
_INHERITED = frozenset(
    {
        P.side_effect,
        P.do_not_combine_with,
        P.warning,
        P.addresses_symptom,
        P.evidence_in_sma,
        P.mechanism,
        P.boxed_warning,
        P.contraindication,
        P.interaction,
        P.pregnancy,
        P.not_known,
    }
)
#: Safety questions that are answered on their own topic: when one is asked, the
#: general "is it safe / any warnings" reading of the same words is dropped, so that
#: "is Evrysdi safe during pregnancy?" answers with pregnancy facts, not every warning.
_SPECIFIC_SAFETY = ("boxed", "pregnancy", "stopping")
#: For those intents, which statements of the secondary predicates are on the topic
#: (a warning about harm to an unborn baby answers a pregnancy question; a warning
#: about the liver does not). The first predicate of each intent always answers.
_TOPIC = {
    "boxed": re.compile(r"\bbox", re.IGNORECASE),
    "pregnancy": re.compile(
        r"pregnan|breast|fertil|contracep|embryo|unborn|f[o]?etus|sperm|placenta|newborn",
        re.IGNORECASE,
    ),
    "stopping": re.compile(
        r"withdraw|abrupt|sudden|discontinu|taper|stop|step by step|run(s)? out|refill",
        re.IGNORECASE,
    ),
}
#: The predicate that answers a safety topic whatever its words (stopping has none: a
#: boxed warning answers it only when it speaks of stopping).
_TOPIC_PREDICATE = {"boxed": P.boxed_warning, "pregnancy": P.pregnancy}
#: Kinds a "can I take X with Y" question can name on either side.
_MEDICINE_KINDS = frozenset(
    {
        ConceptKind.drug,
        ConceptKind.drug_class,
        ConceptKind.gene_therapy,
        ConceptKind.substance,
        ConceptKind.interaction_class,
    }
)
#: Statements that link two medicines (or a medicine and a class the other belongs to).
_PAIR_PREDICATES = frozenset(
    {P.contraindication, P.interaction, P.do_not_combine_with, P.boxed_warning, P.warning}
)
#: Words that join the two sides of a pair question.
_JOINS = frozenset({"with", "and", "plus", "alongside", "together", "while", "on"})
_TAKE = frozenset(
    {
        "take",
        "taking",
        "taken",
        "took",
        "use",
        "using",
        "used",
        "give",
        "giving",
        "given",
        "have",
        "having",
        "mix",
        "mixing",
        "mixed",
        "combine",
        "combined",
        "combining",
        "start",
        "starting",
        "add",
        "adding",
        "prescribed",
        "drink",
        "drinking",
    }
)
#: Words never part of the other medicine's name in a pair question.
_NOT_A_NAME = (
    STOPWORDS
    | _TAKE
    | frozenset(
        {
            "safe",
            "safely",
            # Pregnancy, feeding and food are topics, not medicines taken with X.
            "pregnant",
            "pregnancy",
            "breastfeed",
            "breastfeeding",
            "breastfed",
            "nursing",
            "food",
            "meal",
            "meals",
            "milk",
            "ok",
            "okay",
            "fine",
            "alright",
            "together",
            "alongside",
            "plus",
            "time",
            "same",
            "drug",
            "drugs",
            "medicine",
            "medicines",
            "medication",
            "medications",
            "pill",
            "pills",
            "tablet",
            "tablets",
            "dose",
            "doses",
            "s",
            "t",
            "interact",
            "interaction",
            "interactions",
            "problem",
            "problems",
            "risk",
            "risky",
            "dangerous",
            "also",
            "still",
            "already",
            "currently",
            "daily",
            "day",
            "each",
            "well",
            "bad",
        }
    )
)
#: Named in passing, never the topic when something more specific is named.
_BACKGROUND = frozenset(
    {"sma", "care-team", "fda", "european-commission", "alcohol", "metformin", "smn-protein"}
)
#: Linked to nearly everything: part of an answer's concepts only when the question names it.
_GENERIC = frozenset({"sma", "care-team"})
_SUBSTANCE_KINDS = frozenset({ConceptKind.substance})
_TREATMENT_KINDS = INTERVENTION_KINDS
_MAX_STATEMENTS = 12


def _cue_keys() -> list[tuple[str, tuple[str, ...]]]:
    return [(i.name, tuple(stem(w) for w in words(c))) for i in INTENTS for c in i.cues]


_CUES = _cue_keys()


def detect_intents(question: str) -> list[str]:
    """Kinds of question asked, in the order of INTENTS (a question can be several)."""
    keys = [stem(w) for w in words(question)]
    found: set[str] = set()
    for name, cue in _CUES:
        n = len(cue)
        if any(tuple(keys[i : i + n]) == cue for i in range(len(keys) - n + 1)):
            found.add(name)
    return [i.name for i in INTENTS if i.name in found]


def _classes(kb: KnowledgeBase, cid: str) -> list[str]:
    """The classes a drug belongs to, nearest first (diazepam → benzodiazepines → …)."""
    return classes_of(kb, cid)


def _siblings(kb: KnowledgeBase, cid: str) -> list[str]:
    """Other forms of the same medicine (same ATC code): Itvisma beside Zolgensma."""
    codes = {c.code for c in kb.concepts[cid].codes if c.system == "ATC"}
    return sorted(
        o.id
        for o in kb.concepts.values()
        if o.id != cid and codes & {c.code for c in o.codes if c.system == "ATC"}
    )


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


def _focus(kb: KnowledgeBase, hits: Hits, intents: list[str]) -> list[str]:
    mentioned = [m.concept for m in hits.mentions if m.concept in kb.concepts]
    specific = [c for c in mentioned if c not in _BACKGROUND]
    if specific:
        # "Is Spinraza a cure?": what the sources say of a cure is said of SMA itself.
        return specific + ["sma"] if "cure" in intents and "sma" not in specific else specific
    if "cure" in intents:
        return ["sma"]
    # Nothing specific named: a concept close in meaning (dense retrieval only) may be.
    close = [c for c in hits.dense_concepts if c not in _BACKGROUND][:1]
    return close or mentioned


def ask(question: str, kb: KnowledgeBase, dense: bool | None = None) -> dict[str, Any]:
    """Answer a question with cited knowledge-base statements (DESIGN.md ask contract)."""
    q = check_query(question, "question")
    hits = find(q, kb, 5, dense)
    intents = detect_intents(q)
    if any(i in intents for i in _SPECIFIC_SAFETY):
        intents = [i for i in intents if i not in ("warning", "side_effects", "help")]
    focus = _focus(kb, hits, intents)
    if hits.other:
        # Something the sources never mention: answer only on the specific things named.
        focus = [c for c in focus if c not in _BACKGROUND]
    ans = _Answer(kb, (m.concept for m in hits.mentions))
    substances = [
        m.concept
        for m in hits.mentions
        if m.concept in kb.concepts and kb.concepts[m.concept].kind in _SUBSTANCE_KINDS
    ]
    if substances and "combine" not in intents:
        intents.append("combine")
    if focus and focus[0] in hits.dense_concepts:
        ans.lines.append(
            "The question names nothing smanav knows by name; the closest in meaning is "
            f"{ans.label(focus[0])}."
        )
    pair = _pair(kb, q, hits, focus, intents)
    pair_result: dict[str, Any] | None = None
    if pair is not None:
        # "Can I take X with Y?": answered on that pair alone; X's other asked points
        # (pregnancy, age …) still follow.
        x, y, y_name = pair
        pair_found = _answer_pair(kb, ans, x, y, y_name)
        pair_result = {
            "medicine": x,
            "medicine_name": kb.name_of(x),
            "with": y,
            "with_name": kb.name_of(y) if y else y_name,
            "found": pair_found,
        }
        rest = [i for i in intents if i not in ("combine", "warning", "help", "members")]
        focus = [x] if rest else []
        intents = rest
        substances = []
    for cid in focus:
        ans.concept(cid)
        _answer_concept(kb, ans, cid, intents, substances, focus)
    if not focus and "cure" in intents:
        _answer_concept(kb, ans, "sma", intents, substances, focus)
    # A question about something the sources never mention is not answered by statements
    # on the rest of it: say so first.
    found = bool(ans.used) and not hits.other
    if pair_result is not None:
        found = pair_result["found"] and not hits.other
    lines = list(ans.lines)
    if hits.other:
        lines.insert(
            0,
            "The sources smanav holds say nothing about "
            + ", ".join(f"{o['text']} ({o['name']}, {o['hpo']})" for o in hits.other)
            + ".",
        )
    if ans.missing:
        lines += ans.missing
    if not found:
        if not focus and pair_result is None:
            lines.insert(0, "smanav's knowledge base has no statement that answers this question.")
        lines.append(
            "The closest passages in its sources are listed below; none of them was "
            "judged to answer the question."
        )
    statements = [statement_view(kb, a, ans.inherited.get(a.id)) for a in ans.used]
    citations = _citations(statements)
    result: dict[str, Any] = {
        "question": q,
        "answer": "\n".join(lines),
        "found": found,
        "intents": intents,
        "concepts": [{"concept": c, "name": kb.name_of(c)} for c in ans.concepts],
        "citations": citations,
        "statements": statements,
        "not_covered": hits.other,
        "closest": [] if found else [passage_dict(kb, p, s) for p, s in hits.passages[:3]],
        "retrieval": "lexical+dense" if hits.dense else "lexical",
        "disclaimer": DISCLAIMER,
    }
    if pair_result is not None:
        result["pair"] = pair_result
    return result


def _citations(statements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    seen: set[tuple[Any, ...]] = set()
    for st in statements:
        for ev in st["evidence"]:
            key = (ev["source"], ev["start"], ev["end"], ev["section"])
            if key in seen:
                continue
            seen.add(key)
            out.append(
                {
                    k: ev[k]
                    for k in (
                        "source",
                        "start",
                        "end",
                        "quote",
                        "title",
                        "publisher",
                        "url",
                        "date",
                        "retrieved",
                        "content_year",
                        "section",
                        "grade",
                    )
                }
            )
    return out


def _answer_concept(
    kb: KnowledgeBase,
    ans: _Answer,
    cid: str,
    intents: list[str],
    substances: list[str],
    focus: list[str],
) -> None:
    c = kb.concepts[cid]
    name = ans.label(cid)
    before = len(ans.used)
    asked = [i for i in intents if i not in ("members", "help", "causes", "cure")]
    if c.kind == ConceptKind.symptom:
        _symptom(kb, ans, cid, intents)
    elif c.kind == ConceptKind.drug_class and ("members" in intents or not asked):
        members = [a for a in kb.about(cid) if a.predicate == P.member_of_class and a.object == cid]
        ans.add(f"{name} — what belongs to this group:", members)
        if not asked:
            ans.add(f"{name} — what it is and what it may help with:", _own(kb, cid, _ABOUT))
    if c.kind in _SUBSTANCE_KINDS:
        rows = [
            a
            for a in kb.about(cid)
            if a.object == cid and a.predicate in (P.do_not_combine_with, P.warning)
        ]
        ans.add(f"What the sources say about {name} with medicines:", rows)
    elif "cure" in intents and cid == "sma":
        ans.add("Is there a cure?", _own(kb, "sma", (P.treatment_note,)))
    for intent in asked:
        if c.kind == ConceptKind.symptom or c.kind in _SUBSTANCE_KINDS:
            break
        if intent == "cure":
            continue
        _intent_rows(kb, ans, cid, _BY_NAME[intent], substances)
    if c.kind in _TREATMENT_KINDS and not asked and len(ans.used) == before:
        ans.add(f"{name} — what the sources say:", _own(kb, cid, _ABOUT))
        for cls in _classes(kb, cid):
            ans.add(
                f"Said of {kb.name_of(cls)}, which include {c.name}:",
                _own(kb, cls, (P.addresses_symptom, P.evidence_in_sma)),
                via=None,
            )
    if (
        c.kind not in _TREATMENT_KINDS | {ConceptKind.symptom} | _SUBSTANCE_KINDS
        and len(ans.used) == before
    ):
        preds = (
            _ABOUT + (P.causes, P.has_symptom, P.treatment_note)
            if not asked
            else tuple(p for i in asked for p in _BY_NAME[i].predicates)
        )
        rows = _own(kb, cid, preds)
        if c.kind == ConceptKind.organisation:
            # What a company or a professional does is said of the treatment it is linked to.
            rows += [a for a in kb.about(cid) if a.object == cid]
        ans.add(f"{name} — what the sources say:", rows)
    # A type of SMA shares what is said of a cure for SMA, answered beside it.
    of_sma = c.kind == ConceptKind.sma_type and "cure" in intents and "sma" in focus
    if len(ans.used) == before and c.kind not in _SUBSTANCE_KINDS and not of_sma:
        wanted = [_BY_NAME[i].missing for i in intents if i in _BY_NAME] or [
            "anything about {name}"
        ]
        ans.missing.append(f"The sources smanav holds do not say {wanted[0].format(name=name)}.")


def _on_topic(intent: Intent, rows: list[Assertion], kb: KnowledgeBase) -> list[Assertion]:
    """Rows in the intent's order of predicates; for a safety topic (pregnancy, stopping,
    boxed warning) only those of the secondary predicates that speak of that topic."""
    order = {p: i for i, p in enumerate(intent.predicates)}
    topic = _TOPIC.get(intent.name)
    if topic is not None:
        main = _TOPIC_PREDICATE.get(intent.name)
        rows = [a for a in rows if a.predicate == main or topic.search(kb.statement(a))]
    return sorted(rows, key=lambda a: order.get(a.predicate, len(order)))


def _intent_rows(
    kb: KnowledgeBase, ans: _Answer, cid: str, intent: Intent, substances: list[str]
) -> None:
    name = ans.label(cid)
    rows = _on_topic(intent, _own(kb, cid, intent.predicates), kb)
    if intent.name == "combine" and substances:
        named = [a for a in rows if a.object in substances]
        rows = named
    titles = {
        "boxed": "boxed warning",
        "pregnancy": "pregnancy, breastfeeding, contraception and fertility",
        "stopping": "stopping it suddenly (withdrawal)",
        "side_effects": "side effects and warnings",
        "maker": "who makes it",
        "approval": "approvals, with dates",
        "age": "who it is for (ages)",
        "combine": "combining with other things",
        "mechanism": "how it works",
        "route": "how it is given",
        "monitoring": "tests and checks",
        "warning": "warnings",
    }
    ans.add(f"{name} — {titles.get(intent.name, intent.name)}:", rows)
    if intent.name in ("side_effects", "combine", "warning", "mechanism", *_SPECIFIC_SAFETY):
        for cls in _classes(kb, cid):
            inherited = [a for a in _own(kb, cls, intent.predicates) if a.predicate in _INHERITED]
            inherited = _on_topic(intent, inherited, kb)
            if intent.name == "combine" and substances:
                inherited = [a for a in inherited if a.object in substances]
            ans.add(
                f"Said of {kb.name_of(cls)}, which include {kb.name_of(cid)}:",
                inherited,
                from_class=cls,
            )
    if intent.name == "age":
        # Newer or other forms of the same medicine, with their own dated limits.
        for sib in _siblings(kb, cid):
            sib_rows = _own(kb, sib, (P.eligibility, P.approved_by))
            ans.add(f"A related form, {ans.label(sib)}, with its own age range and date:", sib_rows)
            ans.concept(sib)


def _symptom(kb: KnowledgeBase, ans: _Answer, cid: str, intents: list[str]) -> None:
    """What may help a symptom, what it is, and what it leads to (and what helps that)."""
    name = ans.label(cid)
    if "causes" in intents or "help" not in intents:
        ans.add(
            f"{name} — what it is and what causes it:",
            _own(kb, cid, (P.definition,))
            + [
                a
                for a in kb.about(cid)
                if a.object == cid and a.predicate in (P.causes, P.has_symptom)
            ],
        )
    helpers = [a for a in kb.about(cid) if a.predicate == P.addresses_symptom and a.object == cid]
    ans.add(f"What the sources say may help with {kb.name_of(cid).lower()}:", helpers)
    studied: list[Assertion] = []
    for a in helpers:
        for cls_member in kb.about(a.subject):
            if cls_member.predicate == P.member_of_class and cls_member.object == a.subject:
                ans.concept(cls_member.subject)
        studied += _own(kb, a.subject, (P.evidence_in_sma,))[:1]
    ans.add("How far each has been studied in SMA:", studied)
    if not helpers:
        leads = [a for a in kb.about(cid) if a.subject == cid and a.predicate == P.causes]
        ans.add(f"{name} — what it can lead to:", leads)
        for a in leads:
            if a.object is None:
                continue
            more = [
                b
                for b in kb.about(a.object)
                if b.predicate == P.addresses_symptom and b.object == a.object
            ]
            ans.add(f"What the sources say may help with {kb.name_of(a.object).lower()}:", more)


# --- "Can I take X with Y?" for any Y (issue 9) --------------------------------------
def _pair(
    kb: KnowledgeBase, q: str, hits: Hits, focus: list[str], intents: list[str]
) -> tuple[str, str | None, str] | None:
    """(X, Y's concept or None, Y as shown) when the question asks about taking a
    medicine X together with something else Y; None otherwise.

    Y is another medicine or substance the question names, or — after "with", "and",
    "plus" — a name smanav may not know, resolved only through the drug dictionary
    (``resolve_medicine``: "Cipro" → ciprofloxacin), never fuzzy-matched to an unrelated
    concept. The two sides must be joined by a word of taking or combining, or one side
    must be a substance (alcohol), so "are Valium and Xanax benzodiazepines?" is no pair.
    """
    toks = words(q)
    medicines = [
        m
        for m in hits.mentions
        if m.concept in kb.concepts
        and kb.concepts[m.concept].kind in _MEDICINE_KINDS
        and m.concept not in _GENERIC
    ]
    if not medicines:
        return None
    kinds = {m.concept: kb.concepts[m.concept].kind for m in medicines}
    # X: the treatment the question is about (a substance only when nothing else is).
    treatments = [m for m in medicines if kinds[m.concept] in _TREATMENT_KINDS]
    x_mention = (treatments or medicines)[0]
    x = x_mention.concept
    others = [m for m in medicines if m.concept != x and m.concept not in classes_of(kb, x)]
    taking = bool(_TAKE & set(toks)) or "combine" in intents
    joined = bool(_JOINS & set(toks))
    if others:
        y = others[0].concept
        if kinds[y] == ConceptKind.substance or (taking and joined):
            return x, y, kb.name_of(y)
        return None
    if not (taking and joined):
        return None
    masked: set[int] = set()
    for m in hits.mentions:
        masked.update(range(m.start, m.end))
    # The words after a joining word (or before "while on X"), not X, not filler.
    runs: list[list[str]] = []
    cur: list[str] = []
    for i, w in enumerate(toks):
        if i in masked or w in _NOT_A_NAME or w.isdigit():
            if cur:
                runs.append(cur)
                cur = []
            if i in masked and any(i == m.start for m in hits.mentions if m.concept != x):
                return None  # something else smanav knows (a symptom …): not a pair
            continue
        cur.append(w)
    if cur:
        runs.append(cur)
    runs = [r for r in runs if len(r) <= 4]
    if not runs:
        return None
    from ..plan.profile import resolve_medicine

    name = " ".join(runs[-1])
    concept, shown = resolve_medicine(kb, name)
    if concept is not None and concept.id != x:
        return x, concept.id, concept.name if norm(shown) == norm(name) else shown
    if concept is not None:
        return None
    return x, None, shown


def norm(text: str) -> str:
    return " ".join(words(text))


def _links(kb: KnowledgeBase, x: str, y: str) -> list[tuple[Assertion, str | None, str | None]]:
    """Statements linking X (or a class of X) with Y (or a class of Y), either way round,
    each with the class of X and of Y it goes through (None: said of the medicine)."""
    x_side = [x, *classes_of(kb, x)]
    y_side = [y, *classes_of(kb, y)]
    out: list[tuple[Assertion, str | None, str | None]] = []
    seen: set[str] = set()
    for a_side, b_side, flip in ((x_side, y_side, False), (y_side, x_side, True)):
        for s in a_side:
            for a in kb.about(s):
                if a.subject != s or a.predicate not in _PAIR_PREDICATES or a.id in seen:
                    continue
                if a.object not in b_side:
                    continue
                seen.add(a.id)
                s_cls = None if s in (x, y) else s
                o_cls = None if a.object in (x, y) else a.object
                out.append((a, o_cls, s_cls) if flip else (a, s_cls, o_cls))
    rank = {P.contraindication: 0, P.boxed_warning: 1, P.interaction: 2}
    return sorted(out, key=lambda t: (rank.get(t[0].predicate, 3), t[0].id))


def _membership(kb: KnowledgeBase, member: str, cls: str) -> list[Assertion]:
    """The statement(s) that put `member` in `cls`, directly or through another class."""
    chain: list[Assertion] = []
    todo = [member]
    seen = {member}
    while todo:
        cur = todo.pop(0)
        for a in kb.about(cur):
            if a.subject == cur and a.predicate == P.member_of_class and a.object:
                if a.object == cls:
                    return [*chain, a]
                if a.object not in seen:
                    seen.add(a.object)
                    todo.append(a.object)
    return chain


def _answer_pair(kb: KnowledgeBase, ans: _Answer, x: str, y: str | None, y_name: str) -> bool:
    """Say what the sources hold on X with Y, or plainly that they hold nothing."""
    x_label = ans.label(x)
    ans.concept(x)
    links = _links(kb, x, y) if y is not None and y != x else []
    if links:
        ans.concept(y)
        ans.add(
            f"{x_label} with {y_name} — what the sources say:",
            [a for a, _xc, _yc in links],
        )
        for a, x_cls, y_cls in links:
            if x_cls:
                ans.inherited.setdefault(a.id, x_cls)
                ans.add(
                    f"Why it applies: {kb.name_of(x)} is one of {kb.name_of(x_cls)}:",
                    _membership(kb, x, x_cls),
                )
            if y_cls and y is not None:
                ans.add(
                    f"Why it applies: {y_name} is one of {kb.name_of(y_cls)}:",
                    _membership(kb, y, y_cls),
                )
        return True
    unknown = "" if y is not None else f"; it holds no facts on {y_name} at all"
    ans.lines.append(
        f"smanav holds no facts about taking {x_label} with {y_name}{unknown}. That does not "
        "mean the two are safe together: ask the care team or a pharmacist."
    )
    if y is not None:
        ans.concept(y)
    context = [
        a
        for cid in (x, *classes_of(kb, x))
        for a in _own(
            kb, cid, (P.contraindication, P.interaction, P.do_not_combine_with, P.not_known)
        )
        if a.object is not None
        or (a.predicate == P.not_known and "interaction" in kb.statement(a).casefold())
    ]
    ans.add(
        f"For context only — what the sources say of {kb.name_of(x)}'s interactions in "
        f"general (none of it is about {y_name}):",
        context,
    )
    return False
