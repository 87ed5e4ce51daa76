"""Ages and dates a statement is qualified by ("under 2 years", "in May 2019"),
read from its sentence; an impossible date is a BadDate, never a traceback."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

# --- ages and dates -------------------------------------------------------------------
_NUM = r"\d+(?:\.\d+)?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve"


_UNIT = r"years?|yrs?|months?|weeks?|days?"


_AGE = re.compile(
    r"\b(?P<kind>up to(?: the)? age(?: of)?|up to|younger than|less than|under(?: the age of)?|"
    rf"older than|at least|aged|over(?: the age of)?)\s+(?P<n1>{_NUM})(?:\s+(?P<u1>{_UNIT}))?"
    r"(?:\s+(?:of age|old))?(?P<tail>\s+(?:and|or) (?:older|up|above))?|"
    rf"\b(?P<n2>{_NUM})\s+(?P<u2>{_UNIT})(?:\s+(?:of age|old))?\s+"
    r"(?P<tail2>and older|or older|and up|and above)",
    re.IGNORECASE,
)


_WORDS = {
    w: i + 1
    for i, w in enumerate(
        [
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
        ]
    )
}


def _months(n: str, unit: str | None) -> float:
    v = float(_WORDS.get(n.lower(), 0) or n)
    u = (unit or "years").lower()
    if u.startswith("month"):
        return v
    if u.startswith("week"):
        return round(v / 4.345, 2)
    if u.startswith("day"):
        return round(v / 30.44, 2)
    return v * 12


def _age_qualifiers(m: re.Match[str]) -> tuple[dict[str, Any], str]:
    """Age bounds in months from "up to age 2", "younger than 2 years", "2 months and older"."""
    kind = (m.group("kind") or "").lower()
    if not kind:
        return {"age_min_months": _months(m.group("n2"), m.group("u2"))}, m.group(0)
    unit = m.group("u1")
    if unit is None and "age" not in kind:
        return {}, ""  # "up to 3 doses", "under 20 kg": not an age
    months = _months(m.group("n1"), unit)
    if kind.startswith(("younger", "less", "under")):
        return {"age_max_months": months, "age_max_exclusive": True}, m.group(0)
    if kind.startswith("up to"):
        return {"age_max_months": months}, m.group(0)
    if kind == "aged" and not m.group("tail"):
        return {}, ""
    return {"age_min_months": months}, m.group(0)


_MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]


_DATE = re.compile(
    r"\b(?:(?P<month>"
    + "|".join(_MONTHS)
    + r")\s+(?:(?P<day>\d{1,2}),?\s+)?)?(?P<year>(?:19|20)\d\d)\b",
    re.IGNORECASE,
)


class BadDate(ValueError):
    """A written date no calendar has ("February 30, 2019")."""


def _date_in(text: str) -> tuple[str, str] | None:
    m = _DATE.search(text)
    if not m:
        return None
    year = int(m.group("year"))
    if m.group("month"):
        month = _MONTHS.index(m.group("month").lower()) + 1
        if m.group("day"):
            try:
                return dt.date(year, month, int(m.group("day"))).isoformat(), "day"
            except ValueError as exc:
                raise BadDate(f"the date {m.group()!r} was left out: {exc}") from exc
        return dt.date(year, month, 1).isoformat(), "month"
    return dt.date(year, 1, 1).isoformat(), "year"
