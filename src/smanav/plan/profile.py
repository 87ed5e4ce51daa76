"""The patient profile a plan is made for: parsed, resolved and validated in one place.

Families type what they know ("2y6m", "too much saliva", "Spinraza"); the plan engine
needs concept ids and numbers. Every field that cannot be used is reported by name,
all at once, so a form can show each message next to its field.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..errors import InvalidInput, NotFound
from ..kb import KnowledgeBase, norm_name
from ..models import INTERVENTION_KINDS, Concept, ConceptKind

__all__ = [
    "FIELDS",
    "FUNCTIONAL_STATUSES",
    "MAX_AGE_MONTHS",
    "InvalidProfile",
    "Profile",
    "format_age",
    "parse_age",
    "parse_profile",
]

FunctionalStatus = Literal["non-sitter", "sitter", "walker"]
FUNCTIONAL_STATUSES: tuple[FunctionalStatus, ...] = ("non-sitter", "sitter", "walker")
#: Older than this is not a person's age but a typo (120 years).
MAX_AGE_MONTHS = 1440.0
MAX_LIST = 50
MAX_NAME = 200

#: Kinds each list field accepts, so "baclofen" is not taken for a symptom.
_SYMPTOM_KINDS = frozenset({ConceptKind.symptom})
_MEDICATION_KINDS = frozenset(
    {ConceptKind.drug, ConceptKind.drug_class, ConceptKind.gene_therapy, ConceptKind.substance}
)
_TREATMENT_KINDS = frozenset(INTERVENTION_KINDS)


class Profile(BaseModel):
    """A normalised profile: numbers, and concept ids sorted so equal profiles compare equal."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    age_months: float = Field(ge=0, le=MAX_AGE_MONTHS)
    sma_type: int | None = Field(default=None, ge=0, le=4)
    smn2_copies: int | None = Field(default=None, ge=1, le=8)
    functional_status: FunctionalStatus | None = None
    symptoms: tuple[str, ...] = ()
    medications: tuple[str, ...] = ()
    alcohol_use: bool = False
    prior_treatments: tuple[str, ...] = ()
    spinal_fusion: bool = False


FIELDS: tuple[str, ...] = tuple(Profile.model_fields)
_ALIASES = {"age": "age_months", "type": "sma_type", "status": "functional_status"}


class InvalidProfile(InvalidInput):
    """Every bad field of a profile at once; `errors` holds one InvalidInput per field."""

    def __init__(self, errors: list[InvalidInput]) -> None:
        self.errors = list(errors)
        if len(errors) == 1:
            e = errors[0]
            super().__init__(e.field, e.message, e.suggestions)
            return
        fields = ", ".join(e.field for e in errors)
        message = "; ".join(f"{e.field}: {e.message}" for e in errors)
        suggestions = [s for e in errors for s in e.suggestions]
        super().__init__(fields, message, suggestions)

    def __str__(self) -> str:
        if len(self.errors) == 1:
            return str(self.errors[0])
        lines = "".join(f"\n  - {e}" for e in self.errors)
        return f"{len(self.errors)} profile fields are not valid:{lines}"

    def to_dict(self) -> dict[str, object]:
        body = super().to_dict()
        body["errors"] = [e.to_dict() for e in self.errors]
        return body


# --- age ----------------------------------------------------------------------------
_AGE = re.compile(
    r"^(?:(?P<y>\d+(?:\.\d+)?)\s*(?:y|yr|yrs|year|years))?\s*,?\s*"
    r"(?:(?P<m>\d+(?:\.\d+)?)\s*(?:m|mo|mos|month|months))?\s*"
    r"(?:(?P<w>\d+(?:\.\d+)?)\s*(?:w|wk|wks|week|weeks))?\s*"
    r"(?:(?P<d>\d+(?:\.\d+)?)\s*(?:d|day|days))?$"
)
_DAYS_PER_MONTH = 365.25 / 12


def parse_age(value: object, field: str = "age_months") -> float:
    """Months from a number of months or a text age: "8m", "3y", "2y6m", "6 weeks"."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise InvalidInput(
            field, f"expected months as a number or an age like '8m', '3y', '2y6m'; got {value!r}"
        )
    if isinstance(value, str):
        text = value.strip().lower()
        if re.fullmatch(r"-\s*\d.*", text):
            raise InvalidInput(field, f"{value!r} is negative: an age is 0 or more")
        if re.fullmatch(r"\d+(?:\.\d+)?", text):
            months = float(text)
        else:
            m = _AGE.match(text)
            if not text or m is None or not any(m.groupdict().values()):
                raise InvalidInput(
                    field,
                    f"{value!r} is not an age: use months (30) or '8m', '3y', '2y6m', '6w'",
                )
            y, mo, w, d = (float(m.group(k) or 0) for k in "ymwd")
            months = y * 12 + mo + (w * 7 + d) / _DAYS_PER_MONTH
    else:
        months = float(value)
    if math.isnan(months) or math.isinf(months):
        raise InvalidInput(field, f"{value!r} is not a number of months")
    if months < 0:
        raise InvalidInput(field, f"{value!r} is negative: an age is 0 or more")
    if months > MAX_AGE_MONTHS:
        raise InvalidInput(
            field, f"{value!r} is over 120 years ({MAX_AGE_MONTHS:g} months): check the age"
        )
    return round(months, 2)


def format_age(months: float) -> str:
    """Words for an age in months: "2 years 6 months", "8 months", "3 weeks"."""
    if months < 1:
        weeks = round(months * _DAYS_PER_MONTH / 7)
        return "newborn" if weeks == 0 else f"{weeks} week{'s' * (weeks != 1)}"
    years, rest = divmod(months, 12)
    rest = round(rest, 1)
    parts = []
    if years:
        parts.append(f"{int(years)} year{'s' * (years != 1)}")
    if rest:
        parts.append(f"{rest:g} month{'s' * (rest != 1)}")
    return " ".join(parts)


# --- small fields -------------------------------------------------------------------
def _sma_type(value: object) -> int | None:
    if value is None or (isinstance(value, str) and value.strip().lower() in ("unknown", "")):
        return None
    text = value.strip().lower() if isinstance(value, str) else value
    if isinstance(text, str):
        text = re.sub(r"^(sma\s*)?(type\s*)?", "", text)
        if text.isdigit():
            text = int(text)
    if isinstance(text, int) and not isinstance(text, bool) and 0 <= text <= 4:
        return text
    raise InvalidInput("sma_type", f"{value!r} is not an SMA type: use 0, 1, 2, 3, 4 or 'unknown'")


def _smn2(value: object) -> int | None:
    if value is None or (isinstance(value, str) and value.strip().lower() in ("unknown", "")):
        return None
    text = value.strip() if isinstance(value, str) else value
    if isinstance(text, str) and text.isdigit():
        text = int(text)
    if isinstance(text, int) and not isinstance(text, bool) and 1 <= text <= 8:
        return text
    raise InvalidInput(
        "smn2_copies", f"{value!r} is not an SMN2 copy number: use a whole number 1-8 or 'unknown'"
    )


def _status(value: object) -> FunctionalStatus | None:
    if value is None or (isinstance(value, str) and value.strip().lower() in ("unknown", "")):
        return None
    if not isinstance(value, str):
        raise InvalidInput(
            "functional_status", f"expected non-sitter, sitter or walker; got {value!r}"
        )
    key = re.sub(r"[\s_]+", "-", value.strip().lower()).replace("nonsitter", "non-sitter")
    for status in FUNCTIONAL_STATUSES:
        if key in (status, status + "s"):
            return status
    raise InvalidInput(
        "functional_status",
        f"{value!r} is not a functional status: use non-sitter, sitter, walker or 'unknown'",
        difflib.get_close_matches(key, FUNCTIONAL_STATUSES, n=2, cutoff=0.5),
    )


_YES = {"yes", "true", "y", "1"}
_NO = {"no", "false", "n", "0", "none"}


def _flag(value: object, field: str) -> bool:
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    if isinstance(value, str) and value.strip().lower() in _YES | _NO:
        return value.strip().lower() in _YES
    raise InvalidInput(field, f"expected true or false (yes/no); got {value!r}")


# --- names --------------------------------------------------------------------------
_KIND_WORDS = {
    "symptoms": "symptom",
    "medications": "medicine",
    "prior_treatments": "treatment",
}


def _close_names(kb: KnowledgeBase, name: str, kinds: frozenset[ConceptKind]) -> list[str]:
    """Names of the right kind close to what was typed, for "did you mean"."""
    names: dict[str, str] = {}
    for c in kb.concepts.values():
        if c.kind in kinds:
            for n in c.all_names:
                names.setdefault(norm_name(n), n)
    close = difflib.get_close_matches(norm_name(name), list(names), n=5, cutoff=0.6)
    return [names[k] for k in close]


def _resolve_one(
    kb: KnowledgeBase, name: object, field: str, list_field: str, kinds: frozenset[ConceptKind]
) -> Concept:
    word = _KIND_WORDS[list_field]
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput(field, f"expected a {word} name as text; got {name!r}")
    if len(name) > MAX_NAME:
        raise InvalidInput(field, f"is {len(name)} characters long: a name is at most {MAX_NAME}")
    exact = kb.concepts.get(name.strip())
    if exact is not None and exact.kind in kinds and exact.id != "alcohol":
        return exact
    try:
        found = kb.resolve(name, field)
    except NotFound:
        where = {"symptoms": "the symptom list"}.get(list_field, "the treatment list")
        raise InvalidInput(
            field,
            f"{name!r} is not a {word} smanav knows (see {where})",
            _close_names(kb, name, kinds),
        ) from None
    if found.id == "alcohol":
        raise InvalidInput(field, "alcohol is not a medicine: set alcohol_use (--alcohol) instead")
    if found.kind in kinds:
        return found
    raise InvalidInput(
        field,
        f"{name!r} is {found.name}, a {found.kind.value.replace('_', ' ')}, not a {word}",
        _close_names(kb, name, kinds),
    )


def _resolve_list(
    kb: KnowledgeBase, value: object, field: str, kinds: frozenset[ConceptKind]
) -> tuple[tuple[str, ...], list[InvalidInput]]:
    if value is None:
        return (), []
    if isinstance(value, str) or not isinstance(value, list | tuple):
        example = {"symptoms": '["drooling"]', "medications": '["baclofen"]'}.get(
            field, '["Zolgensma"]'
        )
        return (), [InvalidInput(field, f"expected a list of names, e.g. {example}; got {value!r}")]
    if len(value) > MAX_LIST:
        return (), [InvalidInput(field, f"has {len(value)} entries; at most {MAX_LIST}")]
    ids: list[str] = []
    errors: list[InvalidInput] = []
    for i, name in enumerate(value):
        try:
            ids.append(_resolve_one(kb, name, f"{field}[{i}]", field, kinds).id)
        except InvalidInput as exc:
            errors.append(exc)
    return tuple(sorted(set(ids))), errors


# --- the whole profile --------------------------------------------------------------
def _canonical_keys(data: Mapping[Any, Any]) -> tuple[dict[str, Any], list[InvalidInput]]:
    out: dict[str, Any] = {}
    errors: list[InvalidInput] = []
    for key, value in data.items():
        if not isinstance(key, str):
            errors.append(InvalidInput(str(key), "field names are text"))
            continue
        name = _ALIASES.get(key, key)
        if name not in FIELDS:
            errors.append(
                InvalidInput(
                    key,
                    f"is not a profile field (fields: {', '.join(FIELDS)})",
                    difflib.get_close_matches(key, [*FIELDS, *_ALIASES], n=2, cutoff=0.5),
                )
            )
        elif name in out:
            errors.append(InvalidInput(key, f"given twice (as {name} and as an alias)"))
        else:
            out[name] = value
    return out, errors


def parse_profile(data: Mapping[str, Any] | Profile, kb: KnowledgeBase | None = None) -> Profile:
    """Validate and normalise a profile; raise InvalidProfile naming every bad field."""
    if isinstance(data, Profile):
        data = data.model_dump()
    if not isinstance(data, Mapping):
        raise InvalidProfile(
            [InvalidInput("profile", f"expected an object of fields; got {type(data).__name__}")]
        )
    if kb is None:
        from ..store import open_kb

        kb = open_kb()
    raw, errors = _canonical_keys(data)
    clean: dict[str, Any] = {}

    def take(name: str, fn: Any) -> None:
        try:
            clean[name] = fn(raw.get(name))
        except InvalidInput as exc:
            errors.append(exc)

    if "age_months" not in raw or raw["age_months"] is None:
        errors.append(InvalidInput("age_months", "is required: months (30) or an age like '2y6m'"))
    else:
        take("age_months", parse_age)
    take("sma_type", _sma_type)
    take("smn2_copies", _smn2)
    take("functional_status", _status)
    take("alcohol_use", lambda v: _flag(v, "alcohol_use"))
    take("spinal_fusion", lambda v: _flag(v, "spinal_fusion"))
    lists: Iterable[tuple[str, frozenset[ConceptKind]]] = (
        ("symptoms", _SYMPTOM_KINDS),
        ("medications", _MEDICATION_KINDS),
        ("prior_treatments", _TREATMENT_KINDS),
    )
    for name, kinds in lists:
        clean[name], errs = _resolve_list(kb, raw.get(name), name, kinds)
        errors.extend(errs)
    if errors:
        raise InvalidProfile(errors)
    return Profile(**clean)
