"""Cited answers: a question in everyday words, answered only with knowledge-base statements.

Nothing here generates text about medicine. The answer is a list of curated
statements (our own words, each with its evidence locators), chosen by the concepts
the question names and the kind of question it is. When no statement answers, the
answer says so and shows the closest passages instead of guessing. The kinds of
question are in ``intents``, the statement gathering in ``statements``, and "can I
take X with Y?" in ``pairs``.
"""

from __future__ import annotations

import re
from typing import Any

from ..browse import classes_of, statement_view
from ..kb import KnowledgeBase
from ..models import Assertion, ConceptKind, Predicate
from ..settings import DISCLAIMER
from .intents import _BY_NAME, INTENTS, detect_intents
from .lexicon import Intent
from .pairs import _answer_pair, _pair
from .retrieve import Hits, find, passage_dict
from .statements import _TREATMENT_KINDS, _Answer, _own
from .text import check_query

__all__ = ["INTENTS", "Intent", "ask", "detect_intents"]


P = Predicate


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


#: Named in passing, never the topic when something more specific is named.
_BACKGROUND = frozenset(
    {"sma", "care-team", "fda", "european-commission", "alcohol", "metformin", "smn-protein"}
)


_SUBSTANCE_KINDS = frozenset({ConceptKind.substance})


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
