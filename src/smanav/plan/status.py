"""Option statuses: names that cannot read as advice, in every output and the API.

Before issue 10 the names were ``suggested`` and ``not_eligible``; in an EHR
"suggested: amitriptyline" for an infant reads as a recommendation. The names now say
what the plan does with an option: it is something *to discuss*, something that
*needs review* by the care team, or something *not offered* for this person by the
sources shown. The old names are still accepted wherever a client could send a
status or a saved plan (``status_name``, ``upgrade_plan``).
"""

from __future__ import annotations

import re
from typing import Any

__all__ = [
    "BOXED",
    "NEEDS_REVIEW",
    "NOT_OFFERED",
    "OLD_STATUS_NAMES",
    "REGION_LABELS",
    "STATUSES",
    "STATUS_BADGES",
    "STATUS_LABELS",
    "TO_DISCUSS",
    "status_name",
    "status_reasons",
    "upgrade_plan",
]

TO_DISCUSS = "to_discuss"
NEEDS_REVIEW = "needs_review"
NOT_OFFERED = "not_offered"
#: In order of care: a status only ever moves right (to_discuss → not_offered).
STATUSES = (TO_DISCUSS, NEEDS_REVIEW, NOT_OFFERED)

#: The plain label every format shows beside an option (``status_text`` in the JSON).
STATUS_LABELS = {
    TO_DISCUSS: "to discuss with the care team",
    NOT_OFFERED: "not eligible according to the sources shown",
    NEEDS_REVIEW: "needs review by the care team (sources disagree or a caution applies)",
}
#: Short badges on pages, PDFs and Markdown.
STATUS_BADGES = {
    TO_DISCUSS: "To discuss",
    NOT_OFFERED: "Not offered",
    NEEDS_REVIEW: "Needs review",
}
#: Whose labels a plan follows, as every format names it ("Labels: United States (FDA)").
REGION_LABELS = {"US": "United States (FDA)", "EU": "European Union (EMA)"}
BOXED = "boxed-warning"
#: Rules that only ever make a status more careful (engine and safety checks).
_STATUS_RULES = frozenset(
    {
        "label-age",
        "label-contraindication",
        "label-interaction",
        "label-pregnancy",
        "label-class-member",
    }
)
#: Caution rules that never change a status.
_INFO_RULES = frozenset({"already-taken", "same-class", "do-not-combine", BOXED})
_RULE_AT_END = re.compile(r"\(rule ([^()\s]+)\)\s*$")
_RULE_IN = re.compile(r"\(rule ([^()\s]+)\)")
#: Names used before issue 10, accepted on input.
OLD_STATUS_NAMES = {"suggested": TO_DISCUSS, "not_eligible": NOT_OFFERED}


def status_name(name: str) -> str:
    """The current name of a status, old names accepted; ValueError for anything else."""
    current = OLD_STATUS_NAMES.get(name, name)
    if current not in STATUSES:
        raise ValueError(f"unknown status {name!r}: use one of {', '.join(STATUSES)}")
    return current


def upgrade_plan(plan: dict[str, Any]) -> dict[str, Any]:
    """A plan saved before the rename, with the current status names (a shallow copy;
    a current plan is returned as it is)."""
    options = plan.get("options") or []
    summary = plan.get("summary") or {}
    if not any(o.get("status") in OLD_STATUS_NAMES for o in options) and not (
        set(summary) & set(OLD_STATUS_NAMES)
    ):
        return plan
    out = dict(plan)
    out["options"] = [
        {**o, "status": OLD_STATUS_NAMES.get(o.get("status", ""), o.get("status"))} for o in options
    ]
    out["care_standards"] = [
        {**s, "status": OLD_STATUS_NAMES.get(s.get("status", ""), s.get("status"))}
        for s in plan.get("care_standards") or []
    ]
    out["summary"] = {OLD_STATUS_NAMES.get(k, k): v for k, v in summary.items()}
    return out


def status_reasons(o: dict[str, Any]) -> list[str]:
    """The reasons that made an option not eligible or in need of review (empty when it
    is to discuss); its status text when no single reason says so. Shared by the
    clinician part (``plan.render``) and the family summary (``plan.family``)."""
    if o["status"] == "to_discuss":
        return []
    caution_rules = {c["rule"] for c in o.get("cautions") or []} - _INFO_RULES
    out = []
    for r in o["reasons"]:
        at_end = _RULE_AT_END.search(r)
        rule = at_end.group(1) if at_end else None
        inner = _RULE_IN.search(r)
        outside = (
            inner is not None
            and inner.group(1) == "eligibility"
            and (" is outside " in r or "disagree" in r)
            and "shown for information" not in r
            and "shown beside the label" not in r
        )
        if rule in _STATUS_RULES or rule in caution_rules or outside:
            out.append(r)
    return out or [f"{o['status_text'][:1].upper()}{o['status_text'][1:]}."]
