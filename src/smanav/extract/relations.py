"""Assertions between mentions: cue phrases from extract_rules.yaml, sentence by sentence.

Each rule reads one sentence (and, for "these issues" or a section heading such
as "Scoliosis treatment", the sentences around it). Certainty comes from cue
words near the pair: "may" → hedged, "has not been tested" → negated; such
statements are kept and marked, never asserted as fact and never dropped. Sentence
splitting is in ``sentences``, ages and dates in ``qualifiers``.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from .lexicon import Entry, match_form, rules
from .mentions import Mention
from .qualifiers import _AGE, BadDate, _age_qualifiers, _date_in
from .sentences import Sentence, sentences

__all__ = ["Found", "Sentence", "find_assertions", "sentences"]


INTERVENTIONS = frozenset(
    {"drug", "drug_class", "gene_therapy", "therapy", "device", "procedure", "diet"}
)


DRUGS = frozenset({"drug", "drug_class", "gene_therapy"})


CAUSAL = frozenset({"symptom", "condition", "gene", "sma_type", "protein"})


GENES = frozenset({"gene", "protein"})


@dataclass
class Found:
    """An extracted assertion, in repaired-text offsets until the caller maps them."""

    subject: Entry
    predicate: str
    object: Entry | None
    spans: list[tuple[int, int]]
    value: str | None = None
    qualifiers: dict[str, Any] = field(default_factory=dict)
    certainty: str = "asserted"
    confidence: float = 0.9

    @property
    def key(self) -> tuple[str, str, str | None, str | None]:
        return (
            self.subject.concept,
            self.predicate,
            self.object.concept if self.object else None,
            self.value,
        )


# --- cues -----------------------------------------------------------------------------
@lru_cache(maxsize=64)
def _cue_regex(words: tuple[str, ...]) -> re.Pattern[str]:
    alts = sorted({" +".join(match_form(w).split()) for w in words}, key=len, reverse=True)
    return re.compile(r"(?<![^ ])(?:" + "|".join(alts) + r")(?![^ ])")


def _cues(
    form: str, offset: int, words: list[str], mentions: list[Mention]
) -> list[tuple[int, int]]:
    """Cue occurrences (absolute offsets) that are not part of a mention."""
    out = []
    for m in _cue_regex(tuple(words)).finditer(form):
        s, e = m.start() + offset, m.end() + offset
        if not any(x.start < e and s < x.end for x in mentions):
            out.append((s, e))
    return out


_REVERSE_ADDRESS = ["treated with", "managed with", "relieved by", "eased by", "helped by"]


_REVERSE_CAUSE = ["due to", "caused by", "because of", "result of", "a result of"]


_SUPPORT = [
    "need",
    "needs",
    "require",
    "requires",
    "support",
    "encourage",
    "help",
    "helps",
    "necessary",
]


_ANAPHORA = [
    "these issues",
    "these symptoms",
    "these problems",
    "this symptom",
    "this problem",
    "this issue",
]


_DIGIT = re.compile(r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\b")


_STUDIED = ["tested", "studied", "investigated", "trials", "trial", "evaluated"]


_HEADING_TREAT = ["treatment", "treatments", "treating", "management", "managing", "therapy"]


_LIST_SEP = re.compile(r"^(?:[\s,;/()&]|\band\b|\bor\b|\bthe\b|\ba\b|\ban\b|\bas well as\b)*$")


def _unique(ms: list[Mention]) -> list[Mention]:
    """The first mention of each concept, in order. Within one sentence and cue a
    second mention of a concept only repeats an assertion already made (a no-op), so
    rules pair these instead of every mention: a sentence naming many drugs no longer
    costs the product of its mentions."""
    seen: set[str] = set()
    out = []
    for m in ms:
        if m.concept not in seen:
            seen.add(m.concept)
            out.append(m)
    return out


def _is_list_gap(text: str, a: Mention, b: Mention) -> bool:
    return bool(_LIST_SEP.match(text[a.end : b.start]))


def _list_after(text: str, ms: list[Mention], pos: int, kinds: frozenset[str]) -> list[Mention]:
    after = [m for m in ms if m.start >= pos]
    out: list[Mention] = []
    for m in after:
        if out and not _is_list_gap(text, out[-1], m):
            break
        if m.kind not in kinds:
            if out:
                break
            continue
        if not out and len(text[pos : m.start].split()) > 3:
            break
        out.append(m)
    return out


class _Doc:
    def __init__(self, text: str, sents: list[Sentence], warnings: list[str]) -> None:
        self.text = text
        self.sents = sents
        #: What was left out and why ("February 30, 2019" is no date), for the caller.
        self.warnings = warnings
        self.mentions = [m for x in sents for m in x.mentions]
        #: Mention starts in order (sentences and their mentions are sorted), for bisect.
        self._starts = [m.start for m in self.mentions]
        #: Each section's heading (the first heading sentence of that section) and the
        #: index one past its last sentence: sections number sentences in order.
        self._heading: dict[int, Sentence] = {}
        self._section_end: dict[int, int] = {}
        for j, x in enumerate(sents):
            if x.heading:
                self._heading.setdefault(x.section, x)
            self._section_end[x.section] = j + 1
        self._cert: dict[tuple[int, int], tuple[list[tuple[int, int]], bool]] = {}
        self.found: dict[tuple[str, str, str | None, str | None], Found] = {}
        #: (key, span) pairs already added: adding one again is a no-op, skipped early.
        self._done: set[tuple[tuple[str, str, str | None, str | None], tuple[int, int]]] = set()
        r = rules()
        self.cue = r["cues"]
        self.hedges = r["hedge_cues"]
        self.negations = r["negation_cues"]
        self.routes: dict[str, list[str]] = r["routes"]
        self.agencies: dict[str, list[str]] = r["agencies"]

    def add(self, f: Found, cue: tuple[int, int] | None = None) -> None:
        if f.object is not None and f.object.concept == f.subject.concept:
            return
        done = (f.key, f.spans[0])
        if done in self._done:
            return  # the same statement from the same sentence: nothing would change
        self._done.add(done)
        f.certainty = self.certainty(f.spans[0], cue)
        prev = self.found.get(f.key)
        if prev is None:
            self.found[f.key] = f
        elif len(prev.spans) < 3 and f.spans[0] not in prev.spans:
            prev.spans.append(f.spans[0])

    def certainty(self, span: tuple[int, int], cue: tuple[int, int] | None) -> str:
        """Negated if a negation cue (other than the predicate's own words) is in the
        sentence; hedged if a hedge cue is; asserted otherwise."""
        negs, hedged = self._sentence_cues(span)
        if any(not (cue and cue[0] <= n[0] and n[1] <= cue[1]) for n in negs):
            return "negated"
        return "hedged" if hedged else "asserted"

    def _sentence_cues(self, span: tuple[int, int]) -> tuple[list[tuple[int, int]], bool]:
        """Negations outside conditional clauses, and whether a hedge is present (cached)."""
        hit = self._cert.get(span)
        if hit is None:
            s0, e0 = span
            form = match_form(self.text[s0:e0])
            ms = self.mentions[bisect_left(self._starts, s0) : bisect_left(self._starts, e0)]
            conditional = _cues(form, s0, ["if", "unless", "when"], ms)
            negs = [
                n
                for n in _cues(form, s0, self.negations, ms)
                if not any(c[0] < n[0] for c in conditional)  # "if they cannot": a condition
            ]
            hit = self._cert[span] = (negs, bool(_cues(form, s0, self.hedges, ms)))
        return hit

    # -- rules ---------------------------------------------------------------------
    def run(self) -> list[Found]:
        """Each rule runs only on sentences holding the kinds of mention it relates."""
        for i, s in enumerate(self.sents):
            kinds = [m.kind for m in s.mentions]
            has = set(kinds)
            iv = bool(has & INTERVENTIONS)
            if not iv and not s.heading and "condition" not in has and len(kinds) < 2:
                continue
            form = match_form(self.text[s.start : s.end])
            if "drug_class" in has and len(kinds) > 1:
                self.member_of_class(s, form)
            if iv:
                self.addresses(i, s, form)
                if "symptom" in has:
                    self.side_effect(s, form)
                if len(kinds) > 1 and has & (DRUGS | {"substance"}):
                    self.do_not_combine(s, form)
                if "organisation" in has:
                    self.developed_by(s, form)
                    self.approved_by(s, form)
                if _DIGIT.search(form):
                    self.eligibility(s)
                if has & DRUGS:
                    self.route(s, form)
                    if has & GENES:
                        self.mechanism(s, form)
            if sum(k in CAUSAL for k in kinds) > 1:
                self.causes(s, form)
            if "condition" in has:
                self.evidence_in_sma(i, s, form)
        self.inherit()
        return list(self.found.values())

    def inherit(self) -> None:
        """ "Relaxants that reduce spasms include A and B": A and B reduce spasms too."""
        found = list(self.found.values())
        helps: dict[tuple[str, tuple[int, int]], list[Found]] = {}
        for f in found:  # by subject and span, in order: no scan of all of them per member
            if f.predicate == "addresses_symptom" and f.confidence >= 0.9:
                for span in f.spans:
                    helps.setdefault((f.subject.concept, span), []).append(f)
        for m in found:
            if m.predicate != "member_of_class" or m.object is None:
                continue
            for h in helps.get((m.object.concept, m.spans[0]), []):
                f = Found(
                    m.subject,
                    "addresses_symptom",
                    h.object,
                    [m.spans[0]],
                    certainty=h.certainty,
                    confidence=0.8,
                )
                self.found.setdefault(f.key, f)

    def _span(self, s: Sentence) -> list[tuple[int, int]]:
        return [(s.start, s.end)]

    def member_of_class(self, s: Sentence, form: str) -> None:
        ms = s.mentions
        for cs, ce in _cues(
            form,
            s.start,
            ["such as", "include", "includes", "including", "like", "e g", "for example"],
            ms,
        ):
            classes = [m for m in ms if m.end <= cs and m.kind == "drug_class"]
            if not classes:
                continue
            for m in _list_after(self.text, ms, ce, DRUGS):
                self.add(Found(m.entry, "member_of_class", classes[-1].entry, self._span(s)))
        for cs, ce in _cues(
            form, s.start, ["is a", "are a", "belongs to", "member of", "one of the"], ms
        ):
            members = [m for m in ms if m.end <= cs and m.kind in DRUGS]
            classes = [m for m in ms if m.start >= ce and m.kind == "drug_class"]
            if members and classes and len(self.text[ce : classes[0].start].split()) <= 3:
                self.add(
                    Found(members[-1].entry, "member_of_class", classes[0].entry, self._span(s))
                )

    def addresses(self, i: int, s: Sentence, form: str) -> None:
        ms = s.mentions
        ivs = [m for m in ms if m.kind in INTERVENTIONS]
        if not ivs:
            return
        syms = [m for m in ms if m.kind == "symptom"]
        for cue in _cues(form, s.start, self.cue["addresses_symptom"], ms):
            before = _unique([m for m in ivs if m.end <= cue[0]])
            after = _unique([m for m in syms if m.start >= cue[1]])
            if before and not after and _cues(form, s.start, _ANAPHORA, ms):
                after = _unique(self._previous_symptoms(i, same_section=False))
            for a in before:
                for b in after:
                    self.add(Found(a.entry, "addresses_symptom", b.entry, self._span(s)), cue)
        for cue in _cues(form, s.start, _REVERSE_ADDRESS, ms):
            for a in _unique([m for m in ivs if m.start >= cue[1]]):
                for b in _unique([m for m in syms if m.end <= cue[0]]):
                    self.add(Found(a.entry, "addresses_symptom", b.entry, self._span(s)), cue)
        if syms:
            return
        support = _cues(form, s.start, _SUPPORT + self.cue["addresses_symptom"], ms)
        if not support or self.certainty((s.start, s.end), None) == "negated":
            return  # "may help children who cannot speak": the target is elsewhere
        targets = self._heading_symptoms(s) or self._previous_symptoms(i, same_section=True)
        for a in _unique(ivs):
            for b in _unique(targets):
                self.add(
                    Found(a.entry, "addresses_symptom", b.entry, self._span(s), confidence=0.6),
                    support[0],
                )

    def _previous_symptoms(self, i: int, same_section: bool) -> list[Mention]:
        sec = self.sents[i].section
        for j in range(i - 1, max(-1, i - 4), -1):
            prev = self.sents[j]
            if prev.heading or (same_section and prev.section != sec):
                break
            found = [m for m in prev.mentions if m.kind == "symptom"]
            pform = match_form(self.text[prev.start : prev.end])
            causal = _cues(pform, prev.start, self.cue["causes"], prev.mentions)
            if causal:  # "A and B can cause C. X may address these issues": the effect, C
                found = [m for m in found if m.start >= causal[0][1]] or found
            if found:
                return found
        return []

    def _heading_symptoms(self, s: Sentence) -> list[Mention]:
        head = self._heading.get(s.section)
        if head is None or head is s:
            return []
        hform = match_form(self.text[head.start : head.end])
        if not _cues(hform, head.start, _HEADING_TREAT, head.mentions):
            return []
        return [m for m in head.mentions if m.kind == "symptom"]

    def side_effect(self, s: Sentence, form: str) -> None:
        ms = s.mentions
        for cue in _cues(form, s.start, self.cue["side_effect"], ms):
            subj = [m for m in ms if m.kind in INTERVENTIONS]
            if cue[0] > 0 and "cause" in self.text[cue[0] : cue[1]]:
                subj = [m for m in subj if m.end <= cue[0]]
                if not subj:
                    continue
            objs = _unique([m for m in ms if m.kind == "symptom" and m.start >= cue[1]])
            for a in subj[:1]:
                for b in objs:
                    self.add(Found(a.entry, "side_effect", b.entry, self._span(s)), cue)

    def causes(self, s: Sentence, form: str) -> None:
        ms = s.mentions
        for cue in _cues(form, s.start, self.cue["causes"], ms):
            reverse = bool(
                _cues(form[cue[0] - s.start : cue[1] - s.start], cue[0], _REVERSE_CAUSE, [])
            )
            before = [m for m in ms if m.end <= cue[0] and m.kind in CAUSAL]
            after = [m for m in ms if m.start >= cue[1] and m.kind in CAUSAL]
            if any(m.kind in INTERVENTIONS for m in ms if m.end <= cue[0]) and not reverse:
                continue  # "X can cause" with X a treatment is a side effect
            subj, obj = (after, before) if reverse else (before, after)
            for a in _unique(subj):
                for b in obj:
                    near = len(self.text[min(cue[1], b.end) : max(cue[0], b.start)].split()) <= 1
                    if b.kind == "symptom" or (b.kind == "condition" and near):
                        self.add(Found(a.entry, "causes", b.entry, self._span(s)), cue)

    def do_not_combine(self, s: Sentence, form: str) -> None:
        ms = s.mentions
        for cue in _cues(form, s.start, self.cue["do_not_combine_with"], ms):
            subj = [m for m in ms if m.end <= cue[0] and m.kind in INTERVENTIONS]
            objs = _unique([m for m in ms if m.start >= cue[1] and m.kind in DRUGS | {"substance"}])
            for a in subj[-1:]:
                for b in objs:
                    self.add(Found(a.entry, "do_not_combine_with", b.entry, self._span(s)), cue)

    def developed_by(self, s: Sentence, form: str) -> None:
        ms = s.mentions
        for cue in _cues(form, s.start, self.cue["developed_by"], ms):
            subj = [m for m in ms if m.end <= cue[0] and m.kind in INTERVENTIONS]
            orgs = [m for m in ms if m.start >= cue[1] and m.kind == "organisation"]
            if not subj or not orgs or orgs[0].concept in self.agencies:
                continue
            if len(self.text[cue[1] : orgs[0].start].split()) > 1:
                continue
            self.add(Found(subj[-1].entry, "developed_by", orgs[0].entry, self._span(s)), cue)
            if (
                len(orgs) > 1
                and re.match(r",\s+(?:a|an)\s+$", self.text[orgs[0].end : orgs[1].start])
                and self._word_after(orgs[1].end).startswith(("company", "subsidiary"))
            ):
                self.add(Found(subj[-1].entry, "developed_by", orgs[1].entry, self._span(s)))

    def _word_after(self, pos: int) -> str:
        """The lower-cased start (10 characters) of what follows `pos` past white space:
        never a copy of the rest of the document."""
        text = self.text
        while pos < len(text) and text[pos].isspace():
            pos += 1
        return text[pos : pos + 10].lower()

    def approved_by(self, s: Sentence, form: str) -> None:
        ms = s.mentions
        cues = _cues(form, s.start, self.cue["approved_by"], ms)
        if not cues:
            return
        agencies = [m for m in ms if m.concept in self.agencies]
        ivs = [m for m in ms if m.kind in INTERVENTIONS]
        if not agencies or not ivs:
            return
        cue = cues[0]
        subj = min(ivs, key=lambda m: abs(m.start - cue[0]))
        q: dict[str, Any] = {"agency": agencies[0].entry.name}
        try:
            date = _date_in(self.text[s.start : s.end])
        except BadDate as exc:
            date = None
            self.warnings.append(str(exc))
        if date:
            q["date"], q["date_precision"] = date
        self.add(
            Found(subj.entry, "approved_by", agencies[0].entry, self._span(s), qualifiers=q), cue
        )

    def eligibility(self, s: Sentence) -> None:
        ivs = [m for m in s.mentions if m.kind in INTERVENTIONS]
        if not ivs:
            return
        body = self.text[s.start : s.end]
        for m in _AGE.finditer(body):
            q, words = _age_qualifiers(m)
            if not q:
                continue
            pos = s.start + m.start()
            before = [iv for iv in ivs if iv.end <= pos]
            subj = before[-1] if before else ivs[0]
            self.add(
                Found(subj.entry, "eligibility", None, self._span(s), value=words, qualifiers=q),
                (pos, s.start + m.end()),
            )

    def route(self, s: Sentence, form: str) -> None:
        ivs = [m for m in s.mentions if m.kind in DRUGS]
        if not ivs:
            return
        for route, words in self.routes.items():
            cues = _cues(form, s.start, words, s.mentions)
            if cues:
                subj = min(ivs, key=lambda m: abs(m.start - cues[0][0]))
                self.add(
                    Found(
                        subj.entry,
                        "route",
                        None,
                        self._span(s),
                        value=route,
                        qualifiers={"route": route},
                    ),
                    cues[0],
                )
                return  # routes are listed most specific first ("injection" last)

    def mechanism(self, s: Sentence, form: str) -> None:
        ms = s.mentions
        ivs = [m for m in ms if m.kind in DRUGS]
        if not ivs:
            return
        for cue in _cues(form, s.start, self.cue["mechanism"], ms):
            genes = [m for m in ms if m.start >= cue[1] and m.kind in GENES]
            if genes:
                subj = min(ivs, key=lambda m: abs(m.start - cue[0]))
                self.add(Found(subj.entry, "mechanism", genes[0].entry, self._span(s)), cue)
                return

    def evidence_in_sma(self, i: int, s: Sentence, form: str) -> None:
        """ "X has not been tested in SMA"; a section-wide "not studied" covers its drugs."""
        sma = [m for m in s.mentions if m.kind == "condition"]
        cues = _cues(form, s.start, _STUDIED, s.mentions)
        if not sma or not cues:
            return
        ivs = [m for m in s.mentions if m.kind in DRUGS]
        scope = [(s, ivs)]
        if not ivs:  # "Other treatments ... not investigated in SMA": the section's drugs
            scope = [
                (t, [m for m in t.mentions if m.kind in DRUGS])
                for t in self.sents[i + 1 : self._section_end[s.section]]
            ]
        for sent, found in scope:
            for a in found:
                f = Found(
                    a.entry,
                    "evidence_in_sma",
                    sma[0].entry,
                    self._span(sent) + ([] if sent is s else self._span(s)),
                    value="studied in SMA",
                    confidence=0.7 if sent is not s else 0.9,
                )
                if sent is not s:
                    f.certainty = self.certainty((s.start, s.end), cues[0])
                    self.found.setdefault(f.key, f)
                else:
                    self.add(f, cues[0])


def find_assertions(
    text: str, mentions: list[Mention], warnings: list[str] | None = None
) -> Iterator[Found]:
    """Assertions of one text; dates that cannot be read are left out and named in
    `warnings` (when given)."""
    sents = sentences(text, mentions)
    yield from _Doc(text, sents, [] if warnings is None else warnings).run()
