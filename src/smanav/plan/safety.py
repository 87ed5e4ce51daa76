"""Clinical-safety checks of a plan's options against the label facts (issue 9).

The rules read the knowledge base's label facts (ages by region, contraindications,
interactions, pregnancy facts, boxed warnings) and the profile, and only ever make an
option's status more careful. Each has an id, shown in the option's basis, and each
is listed in the hazard log (docs/hazards.md) with the tests that show it holds.

- ``label-age``: who the label of the plan's region covers; a primary label decides
  over a secondary article, which stays shown as the older, secondary wording.
- ``label-contraindication``: an age, a condition or a medicine the label rules out.
- ``label-interaction``: an interaction with a current medicine (or alcohol).
- ``label-pregnancy``: what the label says for pregnancy, breastfeeding, contraception.
- ``boxed-warning``: the label's boxed warning, first among the cautions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..models import Assertion
from .rules import BREATHING_SYMPTOMS

if TYPE_CHECKING:
    from .compiled import AgeLimit
    from .engine import _Option, _Planner

__all__ = ["LABEL_AGE", "apply_safety", "eligibility", "member_limits", "profile_conditions"]

LABEL_AGE = "label-age"
CONTRAINDICATION = "label-contraindication"
INTERACTION = "label-interaction"
PREGNANCY = "label-pregnancy"
BOXED = "boxed-warning"
MEMBER = "label-class-member"


_STATE = {True: "within", False: "outside", None: "not decided by the profile for"}
_REGION_WORDS = {"US": "the US", "EU": "the EU", "CH": "Switzerland", "UK": "the UK"}
_EFFECT_STATUS = {"contraindicated": "not_offered", "avoid": "needs_review"}
#: Which pregnancy topics matter for each answer to `pregnancy`.
_TOPICS = {
    "pregnant": {"pregnancy"},
    "planning": {"pregnancy", "contraception", "fertility"},
    "breastfeeding": {"breastfeeding"},
}


def profile_conditions(p: Any) -> set[str]:
    """The label conditions (Qualifiers.condition) this profile presents."""
    out: set[str] = set()
    if p.liver_disease:
        out.add("liver_disease")
    if p.kidney_disease:
        out.add("kidney_disease")
    if p.pregnancy == "pregnant":
        out.add("pregnant")
    if p.pregnancy == "breastfeeding":
        out.add("breastfeeding")
    support = p.breathing_support not in (None, "none")
    if support or set(BREATHING_SYMPTOMS) & set(p.symptoms):
        out.add("weak_breathing")
    if support:
        # Breathing support at night is given for hypoventilation and apnoea in sleep.
        out.add("sleep_apnea")
    return out


def _region_applies(a: Assertion, region: str) -> bool:
    return a.qualifiers.region in (None, region)


def _in_age_range(a: Assertion, age: float) -> bool:
    q = a.qualifiers
    if q.age_min_months is None and q.age_max_months is None:
        return False
    if q.age_min_months is not None and age < q.age_min_months:
        return False
    if q.age_max_months is not None:
        if q.age_max_exclusive and age >= q.age_max_months:
            return False
        if age > q.age_max_months:
            return False
    return True


# --- eligibility: the label of the plan's region decides ------------------------------
def eligibility(pl: _Planner, opt: _Option) -> None:
    """Age (and type, SMN2 copies, weight) against the dated limits of the plan's region.

    Primary facts (labels) of the plan's region decide, any one of them covering the
    person is enough (a drug's forms: risdiplam's solution from birth, its tablet from
    2 years and 20 kg). Secondary wording (the 2020 article's "up to age 2") and other
    regions' labels are shown beside them and never decide. Without a primary fact for
    the region, every current fact counts and disagreement asks for review.
    """
    from .compiled import ELIGIBILITY

    cparts = pl.c.concepts[opt.concept.id]
    el = cparts.eligibility
    if el is None:
        return
    p, words = pl.p, pl.age_words
    region = p.region
    view = el.view(region)
    by_label = view.by_label
    dec: list[tuple[AgeLimit, bool | None]] = []
    for i, lim in enumerate(el.current):
        v = lim.covers(p.age_months, p.sma_type, p.smn2_copies, p.weight_kg)
        if view.deciding[i]:
            dec.append((lim, v))
        opt.reasons.append(f"age {words} is {_STATE[v]} {view.tails[i]}")
        opt.eligibility.append(view.entries[i][v is not False])
    opt.reasons.extend(el.replaced_reasons)
    opt.basis.append(
        {
            "rule": ELIGIBILITY,
            "inputs": [{"field": "age_months", "value": f"{p.age_months:g}"}],
            "assertions": list(el.ids),
        }
    )
    opt.assertions.extend(a for a in el.ids if a not in opt.assertions)
    results = {v for _, v in dec}
    disease_modifying = opt.concept.domain is not None and (
        opt.concept.domain.value == "disease-modifying"
    )
    if not dec:
        return
    if by_label:
        if True in results:
            return
        if None in results:
            opt.flag("needs_review")
            opt.reasons.append(
                f"the {region} label's limits need what the profile does not give "
                f"(SMA type, SMN2 copies or weight): “{'”, “'.join(lim.range for lim, _ in dec)}”; "
                f"the care team checks them (rule {LABEL_AGE})"
            )
            return
        ranges = "”, “".join(lim.range for lim, _ in dec)
        if disease_modifying:
            opt.flag("not_offered")
            opt.reasons.append(
                f"not eligible in {_REGION_WORDS[region]}: the label there covers “{ranges}”, "
                f"and the label decides over older or secondary wording (rule {LABEL_AGE})"
            )
        else:
            opt.flag("needs_review")
            opt.reasons.append(
                f"not approved for this person in {_REGION_WORDS[region]}: the label covers "
                f"“{ranges}”; use outside it is a specialist's decision (rule {LABEL_AGE})"
            )
        return
    if results == {False}:
        opt.flag("not_offered" if disease_modifying else "needs_review")
        if not disease_modifying:
            opt.reasons.append(
                "outside the ages the sources give; use outside them is a specialist's "
                f"decision (rule {LABEL_AGE})"
            )
    elif results == {None} or results == {None, False}:
        opt.flag("needs_review")
        opt.reasons.append(
            "the limits the sources give need what the profile does not say (SMA type, SMN2 "
            f"copies or weight): “{'”, “'.join(lim.range for lim, _ in dec)}”; the care team "
            f"checks them (rule {LABEL_AGE})"
        )
    elif len(results) > 1:
        opt.flag("needs_review")
        yes = [lim.range for lim, v in dec if v]
        no = [lim.range for lim, v in dec if v is not True]
        opt.reasons.append(
            f"the sources disagree at age {words}: “{'”, “'.join(yes) or 'none'}” includes it, "
            f"“{'”, “'.join(no)}” does not; both are shown and the care team decides "
            f"(rule {ELIGIBILITY})"
        )


# --- the other label checks -------------------------------------------------------------
def _status_reason(
    pl: _Planner,
    opt: _Option,
    status: str,
    rule: str,
    text: str,
    a: Assertion,
    inputs: list[tuple[str, str]],
) -> None:
    opt.flag(status)
    verdict = {
        "not_offered": "not offered",
        "needs_review": "needs review",
    }[status]
    opt.reasons.append(f"{verdict}: {text} (rule {rule})")
    opt.basis.append(
        {
            "rule": rule,
            "inputs": [{"field": f, "value": v} for f, v in inputs],
            "assertions": [a.id],
        }
    )
    if a.id not in opt.assertions:
        opt.assertions.append(a.id)


def _members_with(pl: _Planner, cls_or_concept: str, candidates: list[str]) -> list[str]:
    return [m for m in candidates if cls_or_concept in pl.c.lineage[m]]


def apply_safety(pl: _Planner, opt: _Option) -> None:
    """Boxed warnings, contraindications, interactions and pregnancy facts for one option."""
    c, p = pl.c, pl.p
    cid = opt.concept.id
    parts = c.concepts[cid]
    region = p.region
    labels = pl.labels
    for fact in parts.boxed_warnings:
        pl.caution(
            opt,
            f"Boxed warning ({fact['region'] or 'label'}): {fact['text']}",
            "boxed warning",
            None,
            BOXED,
            [fact["assertion"]],
        )
    conditions = pl.conditions
    current = [m for m in p.medications if m != cid]
    if p.alcohol_use and "alcohol" in c.lineage:
        current.append("alcohol")
    for a in parts.contra_facts:
        if not _region_applies(a, region):
            continue
        q = a.qualifiers
        text = c.statements[a.id]
        src = pl.source_words(a)
        if q.condition and q.condition in conditions:
            _status_reason(
                pl,
                opt,
                "not_offered",
                CONTRAINDICATION,
                f"the label rules it out with {q.condition.replace('_', ' ')} — {text} ({src})",
                a,
                [(_CONDITION_FIELD[q.condition], q.condition)],
            )
        elif _in_age_range(a, p.age_months) and not a.object:
            _status_reason(
                pl,
                opt,
                "not_offered",
                CONTRAINDICATION,
                f"the label rules it out at age {pl.age_words} — {text} ({src})",
                a,
                [("age_months", f"{p.age_months:g}")],
            )
        elif a.object:
            status = "needs_review" if q.effect == "avoid" else "not_offered"
            for m in _members_with(pl, a.object, current):
                _status_reason(
                    pl,
                    opt,
                    status,
                    CONTRAINDICATION,
                    f"must not be combined with {labels.get(m, m)}, a current medicine — "
                    f"{text} ({src})",
                    a,
                    [("medications", m)],
                )
                pl.caution(
                    opt,
                    f"{text} (current medicine: {labels.get(m, m)})",
                    labels.get(m, m),
                    m,
                    CONTRAINDICATION,
                    [a.id],
                )
    for a in parts.interaction_facts:
        if not _region_applies(a, region) or not a.object:
            continue
        effect = a.qualifiers.effect or "caution"
        text = c.statements[a.id]
        for m in _members_with(pl, a.object, current):
            with_ = labels.get(m, m)
            pl.caution(opt, f"{text} (current: {with_})", with_, m, INTERACTION, [a.id])
            if effect in _EFFECT_STATUS:
                verb = (
                    "must not be combined with"
                    if effect == "contraindicated"
                    else ("the label says to avoid combining it with")
                )
                _status_reason(
                    pl,
                    opt,
                    _EFFECT_STATUS[effect],
                    INTERACTION,
                    f"{verb} {with_}, a current medicine — {text} ({pl.source_words(a)})",
                    a,
                    [("medications", m)],
                )
    if p.pregnancy in _TOPICS and opt.concept.kind.value in _MEDICINE_KINDS:
        pregnancy(pl, opt)


#: Kinds of option that are medicines (pregnancy facts, or their absence, matter).
_MEDICINE_KINDS = frozenset({"drug", "drug_class", "gene_therapy"})
#: The topic that must be known for each answer to `pregnancy`.
_MAIN_TOPIC = {"pregnant": "pregnancy", "breastfeeding": "breastfeeding", "planning": "pregnancy"}
_TOPIC_WORDS = {"pregnancy": "pregnancy", "breastfeeding": "breastfeeding"}


def pregnancy(pl: _Planner, opt: _Option) -> None:
    """What the labels say for pregnancy, breastfeeding, contraception and fertility.

    While pregnant, breastfeeding or planning a pregnancy, a medicine is a decision for
    the team: any fact of the plan's region on the topic asks for review (contraindicated
    → not offered), and so does the absence of one (what the label says is not known
    here). Other regions' facts are shown for information and decide nothing.
    """
    c, p = pl.c, pl.p
    parts = c.concepts[opt.concept.id]
    region = p.region
    topics = _TOPICS[str(p.pregnancy)]
    main = _MAIN_TOPIC[str(p.pregnancy)]
    known_main = False
    for a in parts.pregnancy_facts:
        q = a.qualifiers
        if q.topic not in topics:
            continue
        text = c.statements[a.id]
        unknown = a.predicate.value == "not_known"
        if not _region_applies(a, region):
            pl.caution(
                opt,
                f"{text} ({q.region} label, shown for information)",
                f"pregnancy: {p.pregnancy}",
                None,
                PREGNANCY,
                [a.id],
            )
            continue
        pl.caution(opt, text, f"pregnancy: {p.pregnancy}", None, PREGNANCY, [a.id])
        if q.topic == main and not unknown:
            known_main = True
        effect = q.effect if q.effect in _EFFECT_STATUS else "avoid"
        if unknown:
            continue
        _status_reason(
            pl,
            opt,
            _EFFECT_STATUS[effect],
            PREGNANCY,
            f"{text} ({pl.source_words(a)})",
            a,
            [("pregnancy", str(p.pregnancy))],
        )
    if not known_main:
        opt.flag("needs_review")
        opt.reasons.append(
            f"needs review: what the {region} label says about {_TOPIC_WORDS[main]} is not "
            f"known to smanav, so it cannot be treated as safe (rule {PREGNANCY})"
        )
        opt.basis.append(
            {
                "rule": PREGNANCY,
                "inputs": [{"field": "pregnancy", "value": str(p.pregnancy)}],
                "assertions": [],
            }
        )


def member_limits(pl: _Planner, opt: _Option) -> None:
    """A class offered as one option (benzodiazepines): what its members' labels rule out.

    Another member may still fit, so the class needs review rather than being ruled
    out; each member's limit is named.
    """
    c, p = pl.c, pl.p
    if opt.concept.kind.value != "drug_class":
        return
    conditions = pl.conditions
    members = sorted(
        a.subject
        for a in c.by_pred_object.get((opt.concept.id, "member_of_class"), [])
        if a.subject in pl.kb.concepts
    )
    for m in members:
        name = pl.labels[m]
        for a in c.by_pred.get((m, "contraindication"), []):
            q = a.qualifiers
            if not _region_applies(a, p.region) or a.object:
                continue
            if (q.condition and q.condition in conditions) or _in_age_range(a, p.age_months):
                _status_reason(
                    pl,
                    opt,
                    "needs_review",
                    MEMBER,
                    f"for {name}, one of this class, the label rules it out here — "
                    f"{c.statements[a.id]} ({pl.source_words(a)})",
                    a,
                    [("age_months", f"{p.age_months:g}")],
                )
        el = c.concepts[m].eligibility
        if el is None:
            continue
        mine = [lim for lim in el.current if lim.region in (None, p.region)]
        verdicts = [
            lim.covers(p.age_months, p.sma_type, p.smn2_copies, p.weight_kg) for lim in mine
        ]
        if mine and not any(v is not False for v in verdicts):
            # No labelled use of this member covers the person (any one would do).
            a = pl.kb.assertions[mine[0].id]
            ranges = "”, “".join(lim.range for lim in mine)
            _status_reason(
                pl,
                opt,
                "needs_review",
                MEMBER,
                f"for {name}, one of this class, the labelled uses cover “{ranges}”; use "
                "outside them is a specialist's decision",
                a,
                [("age_months", f"{p.age_months:g}")],
            )


_CONDITION_FIELD = {
    "liver_disease": "liver_disease",
    "kidney_disease": "kidney_disease",
    "pregnant": "pregnancy",
    "breastfeeding": "pregnancy",
    "weak_breathing": "breathing_support",
    "sleep_apnea": "breathing_support",
}
