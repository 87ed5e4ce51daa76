""" "Can I take X with Y?" for any Y (issue 9): what links the two in the sources, or
plainly that nothing does, never a guess."""

from __future__ import annotations

from ..browse import classes_of
from ..kb import KnowledgeBase
from ..models import Assertion, ConceptKind, Predicate
from .retrieve import Hits
from .statements import _GENERIC, _TREATMENT_KINDS, _Answer, _own
from .text import STOPWORDS, words

P = Predicate

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
