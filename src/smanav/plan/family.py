"""The family summary: the two pages a parent reads first (issue 10).

Made from the plan dict alone (nothing new in the plan JSON), so every format shows
the same summary: what to talk about first (boxed warnings, then what needs review,
then medicines smanav could not check), each option in one line by care domain, and
one numbered list of questions. Jargon gets plain words beside it (``glossary.yaml``);
rule ids, character offsets, "(unverified)" and ISO dates never appear. The reasons,
rules, evidence and sources stay in the clinician section that follows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from ..kb import source_when
from .status import NEEDS_REVIEW, NOT_OFFERED, TO_DISCUSS

__all__ = ["family_text", "family_view", "glossary", "plain_words", "say_date"]

TITLE = "Summary for the family"
INTRO = (
    "This is a list of things to talk about with the care team. "
    "It is not advice and it does not say what to do."
)
#: How each status reads in the summary: never "suggested", never advice.
FAMILY_STATUS = {
    TO_DISCUSS: "to talk about",
    NEEDS_REVIEW: "the care team needs to check it first",
    NOT_OFFERED: "not offered",
}

_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_ISO = re.compile(r"\b(\d{4})-(\d{2})(?:-\d{2})?\b")
#: Machine noise that never belongs in family text.
_NOISE = (
    re.compile(r"\s*\((?:rule|care standard) [^()]*\)"),
    re.compile(r"\s*\(unverified\)", re.I),
    re.compile(r",?\s*characters \d+\s*[–-]\s*\d+"),
    re.compile(r"\s*\((?:event|as of): [^()]*\)"),
)
_RULE_AT_END = re.compile(r"\(rule ([^()\s]+)\)\s*$")
#: Plain sentences for the label and eligibility checks (their reasons are technical).
_RULE_WORDS = {
    "label-age": "The sources do not cover someone like this.",
    "eligibility": "The sources do not cover someone like this.",
    "label-contraindication": "Its label says it must not be used for someone like this.",
    "label-interaction": "It may not mix well with a medicine already taken.",
    "label-pregnancy": "Its label has advice on pregnancy or breastfeeding to go through.",
    "label-class-member": "Its label warns about one of the medicines in this group.",
}


@dataclass(frozen=True, slots=True)
class Term:
    term: str
    plain: str
    pattern: re.Pattern[str]


@lru_cache(maxsize=1)
def _data() -> dict[str, Any]:
    text = resources.files("smanav").joinpath("data/glossary.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


@lru_cache(maxsize=1)
def glossary() -> tuple[Term, ...]:
    """The glossary's terms, longest spelling first (so "SMN2 splicing modifier" wins)."""
    out = []
    for entry in _data()["terms"]:
        for spelling in (entry["term"], *entry.get("also", ())):
            pattern = re.compile(rf"(?<![\w-]){re.escape(spelling)}(?![\w-])", re.I)
            out.append(Term(entry["term"], entry["plain"], pattern))
    return tuple(sorted(out, key=lambda t: -len(t.pattern.pattern)))


def option_words(concept: str) -> str:
    """What an option is, in one plain line ("" when the glossary has none)."""
    words: str = _data()["options"].get(concept, "")
    return words


#: Longest sentence the summary aims for (NHS and plain-language guides: 15–25 words).
MAX_WORDS = 25
_SENTENCE_END = re.compile(r"(?<=[.?!])\s+")


def sentences(text: str) -> list[str]:
    """Text split into sentences (at ., ? and ! followed by a space)."""
    return [s for line in text.splitlines() for s in _SENTENCE_END.split(line) if s.strip()]


def _longest(text: str) -> int:
    return max((len(s.split()) for s in sentences(text)), default=0)


def _shorter(text: str) -> str:
    """A long sentence split where it has a colon or a semicolon ("X would add to Y: more
    sleepiness" → "X would add to Y. More sleepiness")."""
    while _longest(text) > MAX_WORDS:
        long = max(sentences(text), key=lambda s: len(s.split()))
        i = long.find(": ")
        if i < 0:
            i = long.find("; ")
        if i < 0:
            break
        fixed = f"{long[:i]}. {long[i + 2 : i + 3].upper()}{long[i + 3 :]}"
        text = text.replace(long, fixed, 1)
    return text


def plain_words(text: str, seen: set[str], listed: set[str] | None = None) -> str:
    """Text with machine noise removed and each glossary term explained the first time
    it appears (``seen`` holds the terms already explained in this summary). Where the
    explanation would make a sentence longer than ``MAX_WORDS``, the term goes to
    ``listed`` instead (the summary's "Words used here" list)."""
    for pattern in _NOISE:
        text = pattern.sub("", text)
    text = _shorter(say_date(text))
    spans: list[tuple[int, int, Term]] = []
    for t in glossary():
        for m in t.pattern.finditer(text):
            if any(s < m.end() and m.start() < e for s, e, _ in spans):
                continue
            spans.append((m.start(), m.end(), t))
    out, last = [], 0
    for _start, e, t in sorted(spans, key=lambda x: x[0]):
        out.append(text[last:e])
        last = e
        key = t.term.casefold()
        if key in seen or t.plain.casefold() in text.casefold():
            continue
        seen.add(key)
        explained = f"{''.join(out)} ({t.plain}){text[e:]}"
        if (
            listed is not None
            and _longest(explained) > _longest(text)
            and (_longest(explained) > MAX_WORDS)
        ):
            listed.add(key)
            continue
        out.append(f" ({t.plain})")
    out.append(text[last:])
    return "".join(out)


def lay_first(text: str, seen: set[str]) -> str:
    """Clinical terms turned round for a family: "Dysphagia" → "trouble swallowing
    (dysphagia)" (the words a parent uses first, the term kept beside them)."""
    for t in glossary():
        m = t.pattern.search(text)
        if m is not None:
            seen.add(t.term.casefold())
            text = f"{text[: m.start()]}{t.plain} ({m.group(0).lower()}){text[m.end() :]}"
    return text


def symptom_words(plan: dict[str, Any], names: str, seen: set[str]) -> str:
    """The symptoms in the family's own words first, the plain and clinical words beside:
    "can't swallow (trouble swallowing, dysphagia)"; names not typed read as lay_first."""
    profile = plan.get("profile") or {}
    typed = profile.get("symptom_words") or {}
    ids = profile.get("symptoms") or []
    parts = names.split(", ")
    if not typed or len(parts) != len(ids):
        return lay_first(names, seen)
    out = []
    for cid, name in zip(ids, parts, strict=True):
        lay = lay_first(name, seen)
        words = typed.get(cid)
        if not words or words.casefold() in lay.casefold():
            out.append(lay)
            continue
        m = re.fullmatch(r"(.*) \((.*)\)", lay)
        beside = f"{m.group(1)}, {m.group(2)}" if m and lay != name else name.lower()
        out.append(f"{words} ({beside})")
    return ", ".join(out)


def say_date(text: str) -> str:
    """ISO dates as a person says them: "checked 2026-11" → "checked November 2026"
    (a day is never added; a given day is dropped, the month is enough here)."""

    def month(m: re.Match[str]) -> str:
        n = int(m.group(2))
        return f"{_MONTHS[n - 1]} {m.group(1)}" if 1 <= n <= 12 else m.group(0)

    return _ISO.sub(month, text)


def _first_sentence(text: str) -> str:
    """The first sentence (or clause before a semicolon, outside brackets), without a
    "Boxed warning (US):" style heading."""
    text = re.sub(r"^Boxed warning[^:]*:\s*", "", text.strip())
    depth, end = 0, len(text)
    for i, ch in enumerate(text):
        depth += ch in "(“[" and 1 or ch in ")”]" and -1 or 0
        nxt = text[i + 1 : i + 2]
        if depth <= 0 and ch in ".;" and nxt in ("", " ") and not text[i - 1 : i].isupper():
            end = i
            break
    head = text[:end].rstrip(".")
    return head[:1].upper() + head[1:] + "."


def family_name(o: dict[str, Any]) -> str:
    """The name a family hears: the brand when there is one, with the medicine's name."""
    brands = o.get("brands") or []
    if not brands:
        return str(o["name"])
    generic = str(o["name"])
    for t in glossary():  # "intrathecal" is said by the option's own line instead
        generic = t.pattern.sub("", generic)
    return f"{brands[0]} ({' '.join(generic.split()).lower()})"


def _where(ev: list[dict[str, Any]] | None, sources: dict[str, dict[str, Any]]) -> str:
    """ "Novartis, checked November 2026": who says it and when."""
    for e in ev or []:
        return f"{e['publisher']}, {say_date(source_when(e))}"
    return ""


def _source_where(ids: list[str], sources: dict[str, dict[str, Any]]) -> str:
    for sid in ids:
        s = sources.get(sid)
        if s is not None:
            return f"{s['publisher']}, {say_date(str(s['dated']))}"
    return ""


_QUOTED = re.compile(r"“([^”]+)”")


def _age_words(reason: str, status: str) -> str:
    """A label-age or eligibility reason in plain words, with the limits it quotes."""
    limits = " or ".join(_QUOTED.findall(reason))
    specialist = (
        " Using it outside that is a specialist's decision." if status == NEEDS_REVIEW else ""
    )
    if "does not give" in reason or "does not say" in reason:
        return (
            "The care team needs to check the SMA type, SMN2 copies or weight. "
            f"The limits are: {limits}."
        )
    if "disagree" in reason:
        return "The sources disagree about who may receive it at this age."
    if "outside the ages the sources give" in reason:
        return "It is outside the ages the sources give." + specialist
    if limits and (
        " is outside " in reason or "not eligible" in reason or "not approved" in reason
    ):
        who = "The label covers" if "label" in reason else "The sources cover"
        return f"{who} {limits} only." + specialist
    return ""


def _why(o: dict[str, Any], sources: dict[str, dict[str, Any]]) -> tuple[str, str]:
    """One plain sentence on why an option needs review or is not offered, and where
    that comes from."""
    from .status import status_reasons

    cautions = {c["rule"]: c for c in o.get("cautions") or []}
    for r in status_reasons(o):
        m = _RULE_AT_END.search(r)
        rule = m.group(1) if m else "eligibility"
        c = cautions.get(rule)
        if c is not None and rule not in _RULE_WORDS:
            return _first_sentence(c["text"]), _where(c.get("evidence"), sources)
        if rule in _RULE_WORDS:
            words = _RULE_WORDS[rule]
            if rule in ("label-age", "eligibility"):
                words = _age_words(r, o["status"]) or words
            deciding = [
                sid for e in o.get("eligibility") or [] if not e["eligible"] for sid in e["sources"]
            ]
            where = _where(c.get("evidence"), sources) if c else ""
            return words, where or _source_where(deciding, sources)
    return "A caution from the sources applies.", ""


def family_view(plan: dict[str, Any]) -> dict[str, Any]:
    """The family summary of a plan, arranged for any format (see the module doc)."""
    from .status import BOXED

    sources = {s["source"]: s for s in plan.get("sources") or []}
    seen: set[str] = set()
    listed: set[str] = set()
    first: list[dict[str, str]] = []
    by_id = {o["concept"]: o for o in plan["options"]}

    def item(name: str, text: str, where: str, boxed: bool = False) -> dict[str, Any]:
        return {
            "name": name,
            "boxed": boxed,
            "text": plain_words(text, seen, listed),
            "where": say_date(where),
        }

    said: dict[str, str] = {}  # a warning already given for another option: named once

    for o in plan["options"]:
        if o["status"] == NOT_OFFERED:
            continue
        name, again = family_name(o), []
        for c in o.get("cautions") or []:
            if c["rule"] != BOXED:
                continue
            sentence = _first_sentence(c["text"])
            if sentence in said:
                if said[sentence] not in again:
                    again.append(said[sentence])
                continue
            said[sentence] = name
            listed.add("boxed warning")
            first.append(item(name, sentence, _where(c.get("evidence"), sources), boxed=True))
        if again:
            first.append(item(name, f"It shares the boxed warnings of {', '.join(again)}.", ""))
    for o in plan["options"]:
        if o["status"] == NEEDS_REVIEW:
            text, where = _why(o, sources)
            name = family_name(o)
            if said.get(text) is None:
                said[text] = name
                first.append(item(name, text, where))
            else:
                first.append(item(name, f"The same caution as for {said[text]}.", ""))
    meds = plan.get("medicines") or {}
    if meds.get("not_checked"):
        names = ", ".join(meds["not_checked"])
        first.append(item(names, str(meds.get("note") or ""), ""))
    domains = []
    for d in plan["domains"]:
        rows = []
        for cid in d["options"]:
            o = by_id[cid]
            note = ""
            if o["status"] == NOT_OFFERED:
                note, _ = _why(o, sources)
            rows.append(
                {
                    "name": family_name(o),
                    "what": plain_words(option_words(cid), seen, listed),
                    "status": o["status"],
                    "status_words": FAMILY_STATUS[o["status"]],
                    "note": plain_words(note, seen, listed),
                }
            )
        if rows:
            domains.append({"name": d["name"], "options": rows})
    questions = [plain_words(q, seen, listed) for q in dict.fromkeys(plan.get("questions") or [])]
    about = [
        {
            "label": r["label"],
            "value": symptom_words(plan, r["value"], seen)
            if r["field"] == "symptoms"
            else plain_words(r["value"], seen, listed),
        }
        for r in plan.get("profile_display") or []
        if r["field"] in ("age_months", "sma_type", "symptoms", "medications", "breathing_support")
        or (r["field"] in ("feeding", "weight_kg") and r["value"] != "not given")
    ]
    from .status import REGION_LABELS

    region = plan.get("region") or "US"
    about.append({"label": "Labels", "value": REGION_LABELS.get(region, region)})
    merged: dict[str, dict[str, Any]] = {}
    for f in first:  # one entry per option: its boxed warnings, then why it needs review
        merged.setdefault(f["name"], {"name": f["name"], "notes": []})["notes"].append(f)
    talk_first = list(merged.values())
    plain = {t.term.casefold(): (t.term, t.plain) for t in glossary()}
    words = [{"term": plain[k][0], "plain": plain[k][1]} for k in sorted(listed)]
    return {
        "title": TITLE,
        "intro": INTRO,
        "words": words,
        "about": about,
        "first": talk_first,
        "domains": domains,
        "questions": questions,
    }


def family_text(view: dict[str, Any]) -> str:
    """The summary's words as plain sentences, one a line (for reading-level checks)."""
    lines = [view["intro"]]
    for f in view["first"]:
        lines.append(f"{f['name']}.")
        for n in f["notes"]:
            lines.append(f"Boxed warning. {n['text']}" if n["boxed"] else n["text"])
            if n["where"]:
                lines.append(f"From {n['where']}.")
    for d in view["domains"]:
        lines.append(f"{d['name']}.")
        for o in d["options"]:
            lines.append(f"{o['name']}.")
            if o["what"]:
                lines.append(f"{o['what'][:1].upper()}{o['what'][1:]}.")
            lines.append(f"{o['status_words'][:1].upper()}{o['status_words'][1:]}.")
            if o["note"]:
                lines.append(o["note"])
    lines += view["questions"]
    lines += [f"{w['term']}: {w['plain']}." for w in view["words"]]
    return "\n".join(lines)
