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

from ..citations import say_date, source_when
from .status import BOXED, NEEDS_REVIEW, NOT_OFFERED, REGION_LABELS, TO_DISCUSS, status_reasons

__all__ = [
    "caution_keys",
    "family_name",
    "family_text",
    "family_view",
    "glossary",
    "plain_words",
    "say_date",
]

TITLE = "Summary for the family"
INTRO = (
    "This is a list of things to talk about with the care team. "
    "It is not advice and it does not say what to do."
)
#: How each status reads in the summary: never "suggested", never advice.
FAMILY_STATUS = {
    TO_DISCUSS: "to talk about",
    NEEDS_REVIEW: "needs checking first",
    NOT_OFFERED: "not offered",
}

#: Machine noise that never belongs in family text.
_NOISE = (
    re.compile(r"\s*\((?:rule|care standard) [^()]*\)"),
    re.compile(r"\s*\(unverified\)", re.I),
    re.compile(r",?\s*characters \d+\s*[–-]\s*\d+"),
    re.compile(r"\s*\((?:event|as of): [^()]*\)"),
)
_AGE_RULES = ("label-age", "eligibility")
_MEMBER = re.compile(r"for (.+?), one of this class, .*?“([^”]+)”")
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
    that comes from ("" for a needs-review reason that is one of the option's cautions:
    the summary's caution lines already say it, with the other options it applies to)."""

    cautions = {c["rule"]: c for c in o.get("cautions") or []}
    for r in status_reasons(o):
        m = _RULE_AT_END.search(r)
        rule = m.group(1) if m else "eligibility"
        c = cautions.get(rule)
        if c is not None and o["status"] == NEEDS_REVIEW and rule not in _AGE_RULES:
            return "", ""
        if c is not None and rule not in _RULE_WORDS:
            return _first_sentence(c["text"]), _where(c.get("evidence"), sources)
        if rule in _RULE_WORDS:
            words = _RULE_WORDS[rule]
            if rule in _AGE_RULES:
                words = _age_words(r, o["status"]) or words
            member = _MEMBER.search(r)
            if rule == "label-class-member" and member:
                words = (
                    f"For {member.group(1)}, one medicine in this group, "
                    f"the label covers {member.group(2)} only."
                )
            deciding = [
                sid for e in o.get("eligibility") or [] if not e["eligible"] for sid in e["sources"]
            ]
            where = _where(c.get("evidence"), sources) if c else ""
            return words, where or _source_where(deciding, sources)
    return "A caution from the sources applies.", ""


#: What kind of harm a combination caution is about, from words in its text.
_KINDS = (
    ("sedating", re.compile(r"sleep|drows|sedat", re.I)),
    ("drying", re.compile(r"anticholinergic|drying", re.I)),
)
_STACK_KIND = {"SAFE-STACK-SEDATIVES": "sedating", "SAFE-STACK-ANTICHOLINERGIC": "drying"}
_TAKEN = re.compile(r"would add to (.+) \(already taken\)")
_BESIDE = re.compile(r"is listed beside (.+?): they are alternatives")
#: One plain sentence per kind of combination (grounded in the cautions it stands for).
_WITH_WORDS = {
    "sedating": "Together they add to sleepiness and can slow breathing.",
    "drying": "Together their drying effects add up, such as constipation and thick mucus.",
    "same-class": "They are in the same group of medicines.",
}
_BESIDE_WORDS = {
    "sedating": "They are choices, not to take together: each adds to sleepiness, and "
    "together they can slow breathing.",
    "drying": "They are choices, not to take together: their drying effects add up, "
    "such as constipation and thick mucus.",
}


def _kind(text: str) -> str:
    return next((k for k, pattern in _KINDS if pattern.search(text)), "")


def _split_names(text: str) -> list[str]:
    """ "Baclofen (Lioresal), Alcohol" → both names (commas inside brackets kept)."""
    out, depth, cur = [], 0, ""
    for ch in text:
        depth += (ch == "(") - (ch == ")")
        if ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    return [n for n in (*out, cur.strip()) if n]


def caution_keys(o: dict[str, Any], c: dict[str, Any]) -> list[tuple[str, ...]]:
    """The caution lines of the family summary that carry this caution of option ``o``.

    Combinations are grouped by what they clash with ("with alcohol": every medicine
    that must not be mixed with it), alternatives listed together in one line, and any
    other caution by its rule and its wording (the option's own name taken out), so
    one line can name every option it applies to. Every caution of an offered option
    has at least one line: the summary shortens, it never drops (HAZ-21)."""
    rule, text = c["rule"], c["text"]
    if rule == "SAFE-STACK-SEDATIVES" or rule == "SAFE-STACK-ANTICHOLINERGIC":
        kind = _STACK_KIND[rule]
        m = _TAKEN.search(text)
        if m:
            return [("with", name, kind) for name in _split_names(m.group(1))]
        m = _BESIDE.search(text)
        if m:
            return [("beside", kind)]
    if c.get("concept") and rule in ("label-interaction", "do-not-combine", "same-class"):
        kind = "same-class" if rule == "same-class" else _kind(text)
        if kind:
            return [("with", str(c["with"]), kind)]
    sentence = _first_sentence(text)
    for name in (*_labels(o), family_name(o)):
        sentence = sentence.replace(name, "It")
    return [("rule", rule, sentence)]


def _caution_lines(
    plan: dict[str, Any], sources: dict[str, dict[str, Any]], seen: set[str], listed: set[str]
) -> list[dict[str, Any]]:
    """Every safety caution of an offered option, grouped (see ``caution_keys``)."""

    groups: dict[tuple[str, ...], dict[str, Any]] = {}
    for o in plan["options"]:
        if o["status"] == NOT_OFFERED:
            continue
        for c in o.get("cautions") or []:
            if c["rule"] == BOXED:
                continue
            for key in caution_keys(o, c):
                # the same class as a medicine taken goes with the sleepiness it adds
                group = ("with", key[1], "sedating") if key[2:] == ("same-class",) else key
                if group not in groups and key[2:] == ("same-class",):
                    group = key
                g = groups.setdefault(group, {"names": [], "keys": [], "cautions": []})
                if key not in g["keys"]:
                    g["keys"].append(key)
                g["cautions"].append(c)
                names = [family_name(o)]
                if key[0] == "beside":
                    beside = _BESIDE.search(c["text"])
                    assert beside is not None  # the key is only made when it matched
                    names += [_name_of(plan, n) for n in _split_names(beside.group(1))]
                g["names"] += [n for n in names if n not in g["names"]]
    lines: list[dict[str, Any]] = []
    order = {"with": 0, "beside": 1, "rule": 2}
    for key, g in sorted(groups.items(), key=lambda kv: order[kv[0][0]]):
        cautions = g["cautions"]
        if key[0] == "with":
            kinds = [k[2] for k in g["keys"]]
            said = _with_words(_name_of(plan, key[1]), kinds, cautions)
        elif key[0] == "beside":
            said = _BESIDE_WORDS[key[1]]
        else:
            said = key[2]
            if len(g["names"]) > 1:
                said = re.sub(r"^(It|This medicine)\b", "Each of them", said)
        where = next((w for c in cautions if (w := _where(c.get("evidence"), sources))), "")
        same = next((x for x in lines if set(x["names"]) == set(g["names"])), None)
        if same is None:  # lines about the same medicines are one line
            same = {"keys": [], "names": g["names"], "text": "", "where": ""}
            lines.append(same)
        same["keys"] += [list(k) for k in g["keys"]]
        same["text"] = f"{same['text']} {plain_words(said, seen, listed)}".strip()
        if where and say_date(where) not in same["where"]:
            same["where"] = f"{same['where']}; {say_date(where)}".lstrip("; ")
    return lines


def _labels(o: dict[str, Any]) -> list[str]:
    """How the engine's texts name an option: "Baclofen (Lioresal)", longest first."""
    brands = o.get("brands") or []
    out = [f"{o['name']} ({', '.join(brands)})", *(f"{o['name']} ({b})" for b in brands)]
    return [*out, str(o["name"])] if brands else [str(o["name"])]


def _name_of(plan: dict[str, Any], label: str) -> str:
    """The family name of an option given by its label ("Baclofen (Lioresal)")."""
    for o in plan["options"]:
        if label in _labels(o):
            return family_name(o)
    return label


def _with_words(what: str, kinds: list[str], cautions: list[dict[str, Any]]) -> str:
    """ "With alcohol, which is used: do not mix. Together they add to sleepiness…"."""
    used = "which the profile says is used" if what.casefold() == "alcohol" else "already taken"
    head = f"With {'alcohol' if what.casefold() == 'alcohol' else what}, {used}"
    if any(c["rule"] == "do-not-combine" for c in cautions):
        head += ": do not mix them"
    words = [_WITH_WORDS[k] for k in dict.fromkeys(kinds)]
    return " ".join([f"{head}.", *words])


def family_view(plan: dict[str, Any]) -> dict[str, Any]:
    """The family summary of a plan, arranged for any format (see the module doc)."""

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
            if not text:
                continue
            if said.get(text) is None:
                said[text] = name
                first.append(item(name, text, where))
            else:
                first.append(item(name, f"The same caution as for {said[text]}.", ""))
    cautions = _caution_lines(plan, sources, seen, listed)
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
        "cautions": cautions,
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
    for c in view["cautions"]:
        lines.append(f"{', '.join(c['names'])}.")
        lines.append(c["text"])
        if c["where"]:
            lines.append(f"From {c['where']}.")
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
