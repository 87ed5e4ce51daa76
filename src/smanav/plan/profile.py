"""The patient profile a plan is made for: parsed, resolved and validated in one place.

Families type what they know ("2y6m", "too much saliva", "Spinraza"); the plan engine
needs concept ids and numbers. Every field that cannot be used is reported by name,
all at once, so a form can show each message next to its field.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..errors import InvalidInput
from ..kb import KnowledgeBase
from ..medicines import resolve_medicine
from ..models import INTERVENTION_KINDS, Concept, ConceptKind
from ..names import NameIndex, closest, norm_name

__all__ = [
    "BREATHING_SUPPORT",
    "FEEDING",
    "FIELDS",
    "PREGNANCY",
    "PRESYMPTOMATIC",
    "REGIONS",
    "FUNCTIONAL_STATUSES",
    "MAX_AGE_MONTHS",
    "InvalidProfile",
    "Profile",
    "format_age",
    "parse_age",
    "parse_profile",
    "resolve_medicine",
]

FunctionalStatus = Literal["non-sitter", "sitter", "walker"]
FUNCTIONAL_STATUSES: tuple[FunctionalStatus, ...] = ("non-sitter", "sitter", "walker")
Pregnancy = Literal["no", "pregnant", "planning", "breastfeeding"]
PREGNANCY: tuple[Pregnancy, ...] = ("no", "pregnant", "planning", "breastfeeding")
BreathingSupport = Literal["none", "night-niv", "continuous-niv", "tracheostomy"]
BREATHING_SUPPORT: tuple[BreathingSupport, ...] = (
    "none",
    "night-niv",
    "continuous-niv",
    "tracheostomy",
)
Feeding = Literal["mouth", "tube"]
FEEDING: tuple[Feeding, ...] = ("mouth", "tube")
Region = Literal["US", "EU"]
REGIONS: tuple[Region, ...] = ("US", "EU")
#: A baby found by newborn screening or family testing, before any symptom: no type yet.
PRESYMPTOMATIC: Literal["presymptomatic"] = "presymptomatic"
#: Pregnancy and breastfeeding are not asked of children under this age (10 years).
MIN_PREGNANCY_AGE_MONTHS = 120.0
MIN_WEIGHT_KG, MAX_WEIGHT_KG = 0.3, 350.0
#: Older than this is not a person's age but a typo (120 years).
MAX_AGE_MONTHS = 1440.0
MAX_LIST = 50
MAX_NAME = 200

#: Kinds each list field accepts, so "baclofen" is not taken for a symptom.
_SYMPTOM_KINDS = frozenset({ConceptKind.symptom})
_TREATMENT_KINDS = frozenset(INTERVENTION_KINDS)


class Profile(BaseModel):
    """A normalised profile: numbers, and concept ids sorted so equal profiles compare equal."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    age_months: float = Field(ge=0, le=MAX_AGE_MONTHS)
    #: 0–4, "presymptomatic" (no type yet), or None (not known).
    sma_type: int | Literal["presymptomatic"] | None = None
    smn2_copies: int | None = Field(default=None, ge=1, le=8)
    functional_status: FunctionalStatus | None = None
    symptoms: tuple[str, ...] = ()
    #: The words a person typed for a symptom ("can't swallow" for dysphagia), by concept
    #: id, only where they differ from the concept's name: the family summary shows them.
    symptom_words: dict[str, str] = Field(default_factory=dict)
    #: Medicines smanav knows (concept ids): their label facts are checked.
    medications: tuple[str, ...] = ()
    #: Medicines smanav holds no interaction facts for, as typed (with the generic
    #: name the drug dictionary gives, when it gives one): listed as not checked.
    unchecked_medications: tuple[str, ...] = ()
    alcohol_use: bool = False
    prior_treatments: tuple[str, ...] = ()
    spinal_fusion: bool = False
    weight_kg: float | None = Field(default=None, ge=MIN_WEIGHT_KG, le=MAX_WEIGHT_KG)
    #: None when not given (a child); "no" when asked and answered.
    pregnancy: Pregnancy | None = None
    #: None when not given.
    breathing_support: BreathingSupport | None = None
    feeding: Feeding | None = None
    liver_disease: bool = False
    kidney_disease: bool = False
    #: Whose labels decide ages and statuses: the FDA's (US) or the EMA's (EU).
    region: Region = "US"


#: Fields a profile is given as (``unchecked_medications`` is derived from ``medications``).
FIELDS: tuple[str, ...] = tuple(f for f in Profile.model_fields if f != "unchecked_medications")
_ALIASES = {
    "age": "age_months",
    "type": "sma_type",
    "status": "functional_status",
    "weight": "weight_kg",
}


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
_PRESYMPTOMATIC_WORDS = frozenset(
    {"presymptomatic", "pre-symptomatic", "pre symptomatic", "none yet", "no type yet"}
)


def _sma_type(value: object) -> int | Literal["presymptomatic"] | None:
    if value is None or (isinstance(value, str) and value.strip().lower() in ("unknown", "")):
        return None
    text = value.strip().lower() if isinstance(value, str) else value
    if isinstance(text, str):
        if text in _PRESYMPTOMATIC_WORDS:
            return PRESYMPTOMATIC
        text = re.sub(r"^(sma\s*)?(type\s*)?", "", text)
        if text.isdigit():
            text = int(text)
    if isinstance(text, int) and not isinstance(text, bool) and 0 <= text <= 4:
        return text
    raise InvalidInput(
        "sma_type",
        f"{value!r} is not an SMA type: use 0, 1, 2, 3, 4, 'presymptomatic' (no type yet) "
        "or 'unknown'",
    )


def _choice(value: object, field: str, choices: tuple[str, ...], words: str) -> str | None:
    """One of a few words; spacing, case and _ do not matter; None when not given."""
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "unknown")):
        return None
    if isinstance(value, bool) and field == "pregnancy":
        value = "pregnant" if value else "no"
    if not isinstance(value, str):
        raise InvalidInput(field, f"expected one of {', '.join(choices)}; got {value!r}")
    key = re.sub(r"[\s_]+", "-", value.strip().lower())
    for c in choices:
        if key == c.lower():
            return c
    raise InvalidInput(
        field,
        f"{value!r} is not {words}: use {', '.join(choices)}",
        closest(key, [c.lower() for c in choices], n=2, cutoff=0.5),
    )


def _weight(value: object) -> float | None:
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "unknown")):
        return None
    kg: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        kg = float(value)
    elif isinstance(value, str):
        m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(kg|kgs|kilograms?)?\s*", value.lower())
        if m:
            kg = float(m.group(1))
    if kg is None or math.isnan(kg) or math.isinf(kg):
        raise InvalidInput("weight_kg", f"{value!r} is not a weight: use kilograms, e.g. 7.5")
    if not MIN_WEIGHT_KG <= kg <= MAX_WEIGHT_KG:
        raise InvalidInput(
            "weight_kg",
            f"{value!r} kg is outside {MIN_WEIGHT_KG:g}–{MAX_WEIGHT_KG:g} kg: check the weight",
        )
    return round(kg, 2)


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
        closest(key, FUNCTIONAL_STATUSES, n=2, cutoff=0.5),
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


def _resolve_one(
    kb: KnowledgeBase, name: object, field: str, list_field: str, kinds: frozenset[ConceptKind]
) -> Concept:
    """A typed name through the one name index, of the kinds the field accepts."""
    word = _KIND_WORDS[list_field]
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput(field, f"expected a {word} name as text; got {name!r}")
    if len(name) > MAX_NAME:
        raise InvalidInput(field, f"is {len(name)} characters long: a name is at most {MAX_NAME}")
    index = NameIndex.for_kb(kb)
    found = index.candidates(name)
    fit = [c for c in found if c.kind in kinds and c.id != "alcohol"]
    if fit:
        return fit[0]
    if found and found[0].id == "alcohol":
        raise InvalidInput(field, "alcohol is not a medicine: set alcohol_use (--alcohol) instead")
    close = index.suggest(name, kinds)
    if found:
        c = found[0]
        kind = c.kind.value.replace("_", " ")
        raise InvalidInput(field, f"{name!r} is {c.name}, a {kind}, not a {word}", close)
    where = {"symptoms": "the symptom list"}.get(list_field, "the treatment list")
    raise InvalidInput(field, f"{name!r} is not a {word} smanav knows (see {where})", close)


def _resolve_list(
    kb: KnowledgeBase, value: object, field: str, kinds: frozenset[ConceptKind]
) -> tuple[tuple[str, ...], dict[str, str], list[InvalidInput]]:
    """Concept ids, the words typed where they are not the name, and what was wrong."""
    if value is None:
        return (), {}, []
    if isinstance(value, str) or not isinstance(value, list | tuple):
        example = {"symptoms": '["drooling"]', "medications": '["baclofen"]'}.get(
            field, '["Zolgensma"]'
        )
        return (
            (),
            {},
            [InvalidInput(field, f"expected a list of names, e.g. {example}; got {value!r}")],
        )
    if len(value) > MAX_LIST:
        return (), {}, [InvalidInput(field, f"has {len(value)} entries; at most {MAX_LIST}")]
    return _resolve_typed(kb, value, field, kinds)


def _resolve_typed(
    kb: KnowledgeBase, value: list[Any] | tuple[Any, ...], field: str, kinds: frozenset[ConceptKind]
) -> tuple[tuple[str, ...], dict[str, str], list[InvalidInput]]:
    """Concept ids, and the words typed for each where they are not the concept's name."""
    ids: list[str] = []
    typed: dict[str, str] = {}
    errors: list[InvalidInput] = []
    for i, name in enumerate(value):
        try:
            c = _resolve_one(kb, name, f"{field}[{i}]", field, kinds)
        except InvalidInput as exc:
            errors.append(exc)
            continue
        ids.append(c.id)
        words = " ".join(str(name).split())
        if norm_name(words) not in (norm_name(c.name), norm_name(c.id)):
            typed.setdefault(c.id, words)
    return tuple(sorted(set(ids))), typed, errors


def _symptom_words(
    kb: KnowledgeBase, given: object, symptoms: tuple[str, ...], typed: dict[str, str]
) -> tuple[dict[str, str], list[InvalidInput]]:
    """The typed words for each symptom: from the names typed, or given back as
    ``symptom_words`` (a plan's profile, whose symptoms are concept ids)."""
    if given is None:
        return typed, []
    if not isinstance(given, Mapping):
        msg = 'expected an object of symptom → words typed, e.g. {"dysphagia": "can\'t swallow"}'
        return typed, [InvalidInput("symptom_words", f"{msg}; got {given!r}")]
    errors: list[InvalidInput] = []
    for key, words in given.items():
        field = f"symptom_words[{key!r}]"
        if not isinstance(words, str) or not words.strip() or len(words) > MAX_NAME:
            errors.append(
                InvalidInput(
                    field, f"expected the words typed, 1-{MAX_NAME} characters; got {words!r}"
                )
            )
            continue
        try:
            cid = _resolve_one(kb, key, field, "symptoms", _SYMPTOM_KINDS).id
        except InvalidInput as exc:
            errors.append(exc)
            continue
        if cid not in symptoms:
            errors.append(InvalidInput(field, f"{key!r} is not one of the symptoms given"))
        else:
            typed.setdefault(cid, " ".join(words.split()))
    return typed, errors


# --- medicines: any name is accepted ----------------------------------------------
def _medicines(
    kb: KnowledgeBase, value: object
) -> tuple[tuple[str, ...], tuple[str, ...], bool, list[InvalidInput]]:
    """(checked concept ids, unchecked names, alcohol named, errors) for `medications`."""
    field = "medications"
    if value is None:
        return (), (), False, []
    if isinstance(value, str) or not isinstance(value, list | tuple):
        msg = f'expected a list of names, e.g. ["baclofen"]; got {value!r}'
        return (), (), False, [InvalidInput(field, msg)]
    if len(value) > MAX_LIST:
        return (), (), False, [InvalidInput(field, f"has {len(value)} entries; at most {MAX_LIST}")]
    ids: set[str] = set()
    other: dict[str, str] = {}
    alcohol = False
    errors: list[InvalidInput] = []
    for i, name in enumerate(value):
        where = f"{field}[{i}]"
        if not isinstance(name, str) or not name.strip():
            errors.append(InvalidInput(where, f"expected a medicine name as text; got {name!r}"))
            continue
        if len(name) > MAX_NAME:
            errors.append(
                InvalidInput(where, f"is {len(name)} characters long: a name is at most {MAX_NAME}")
            )
            continue
        concept, shown = resolve_medicine(kb, name)
        if concept is not None and concept.id == "alcohol":
            alcohol = True  # the alcohol cautions apply, as with alcohol_use
        elif concept is not None:
            ids.add(concept.id)
        else:
            other.setdefault(shown.casefold(), shown)
    return (
        tuple(sorted(ids)),
        tuple(sorted(other.values(), key=str.casefold)),
        alcohol,
        errors,
    )


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
                    closest(key, [*FIELDS, *_ALIASES], n=2, cutoff=0.5),
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
    if isinstance(data, Mapping) and "unchecked_medications" in data:
        # A normalised profile given back (a plan's "profile"): its names not checked are
        # medicines like the rest, and come out not checked again.
        data = dict(data)
        extra = data.pop("unchecked_medications")
        meds = data.get("medications") or []
        if isinstance(extra, list | tuple) and isinstance(meds, list | tuple):
            data["medications"] = [*meds, *extra]
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
    take("liver_disease", lambda v: _flag(v, "liver_disease"))
    take("kidney_disease", lambda v: _flag(v, "kidney_disease"))
    take("weight_kg", _weight)
    take("pregnancy", lambda v: _choice(v, "pregnancy", PREGNANCY, "a pregnancy status"))
    take(
        "breathing_support",
        lambda v: _choice(v, "breathing_support", BREATHING_SUPPORT, "a kind of breathing support"),
    )
    take("feeding", lambda v: _choice(v, "feeding", FEEDING, "a way of feeding"))
    take("region", lambda v: _choice(v, "region", REGIONS, "a region smanav has labels for"))
    if clean.get("region") is None:
        clean.pop("region", None)
    lists: Iterable[tuple[str, frozenset[ConceptKind]]] = (
        ("symptoms", _SYMPTOM_KINDS),
        ("prior_treatments", _TREATMENT_KINDS),
    )
    typed: dict[str, dict[str, str]] = {}
    for name, kinds in lists:
        clean[name], typed[name], errs = _resolve_list(kb, raw.get(name), name, kinds)
        errors.extend(errs)
    clean["symptom_words"], errs = _symptom_words(
        kb, raw.get("symptom_words"), clean["symptoms"], typed["symptoms"]
    )
    errors.extend(errs)
    meds, unchecked, alcohol, errs = _medicines(kb, raw.get("medications"))
    clean["medications"], clean["unchecked_medications"] = meds, unchecked
    if alcohol and "alcohol_use" in clean:
        clean["alcohol_use"] = True
    errors.extend(errs)
    age = clean.get("age_months")
    preg = clean.get("pregnancy")
    if preg not in (None, "no") and age is not None and age < MIN_PREGNANCY_AGE_MONTHS:
        errors.append(
            InvalidInput(
                "pregnancy",
                f"{preg!r} does not fit the age given ({format_age(age)}): pregnancy is asked "
                "of the person the plan is for, from 10 years",
            )
        )
    if errors:
        raise InvalidProfile(errors)
    return Profile(**clean)
