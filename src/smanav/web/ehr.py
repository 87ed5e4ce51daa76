"""Beside an electronic health record: FHIR PlanDefinition / CarePlan and CDS Hooks 2.0.

A FHIR Patient, Conditions, Observations and MedicationStatements become a smanav
profile (``profile_from_fhir``); the plan comes from ``smanav.plan.make_plan`` and is
shaped as a CarePlan by ``smanav.fhir.care_plan`` or as CDS Hooks cards here.
Nothing from the request is stored: the profile lives for one request.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ..errors import InvalidInput
from ..fhir import BASE
from ..kb import KnowledgeBase
from ..models import CareDomain, Concept
from ..settings import settings
from .deps import get_kb, json_object
from .templating import concept_url, json_response

__all__ = ["cards_from_plan", "check_id", "check_json", "profile_from_fhir", "read_fhir", "router"]

FHIR_JSON = "application/fhir+json"
SERVICE_ID = "smanav-patient-view"

#: ICD-10 codes for SMA: G12.0 is type 1; G12.1 covers types 2, 3 and 4 (type unknown).
ICD10_SMA = {"G12.0": 1, "G12.1": None, "G12.9": None}

#: LOINC codes read from Observations (README, "FHIR input").
LOINC_BODY_WEIGHT = frozenset({"29463-7", "3141-9"})
LOINC_PREGNANCY = "82810-3"
LOINC_BREASTFEEDING = "63895-7"
#: SNOMED CT answers: pregnant, not pregnant; breastfeeding.
SNOMED_PREGNANT = "77386006"
SNOMED_NOT_PREGNANT = "60001007"
SNOMED_BREASTFEEDING = frozenset({"413712001", "169750002"})
SNOMED_TRACHEOSTOMY = frozenset({"48387007"})
SNOMED_NIV = frozenset({"428311008"})
SNOMED_TUBE_FEEDING = frozenset({"54956002", "61420007"})
#: Conditions that set liver_disease / kidney_disease: ICD-10 K70–K77 and N18
#: (also N17, N19) and SNOMED CT disorders of the liver / kidney.
ICD10_LIVER = re.compile(r"^K7[0-7](\.|$)")
ICD10_KIDNEY = re.compile(r"^N1[789](\.|$)")
SNOMED_LIVER = frozenset({"235856003", "328383001", "19943007"})
SNOMED_KIDNEY = frozenset({"709044004", "90708001", "46177005", "42399005"})
#: smanav's own Observation codes for what no standard code says simply.
PROFILE_CODES = f"{BASE}/CodeSystem/profile"
#: Breathing support, least to most: the most support any resource records is used.
_SUPPORT_RANK = {"none": 0, "night-niv": 1, "continuous-niv": 2, "tracheostomy": 3}

#: European Union member states (ISO 3166-1 alpha-2 and alpha-3, and names): a Patient
#: whose address is in one gets the EU (EMA) labels; anywhere else, the US (FDA) labels.
_EU_CODES = (
    "AT BE BG HR CY CZ DK EE FI FR DE GR EL IE IT LV LT LU MT NL PL PT RO SK SI ES SE "
    "AUT BEL BGR HRV CYP CZE DNK EST FIN FRA DEU GRC IRL ITA LVA LTU LUX MLT NLD POL PRT "
    "ROU SVK SVN ESP SWE"
)
_EU_NAMES = (
    "Austria|Österreich|Belgium|Belgique|België|Bulgaria|Croatia|Hrvatska|Cyprus|Czechia|"
    "Czech Republic|Denmark|Danmark|Estonia|Finland|Suomi|France|Germany|Deutschland|Greece|"
    "Ireland|Italy|Italia|Latvia|Lithuania|Luxembourg|Malta|Netherlands|The Netherlands|"
    "Nederland|Poland|Polska|Portugal|Romania|România|Slovakia|Slovenia|Spain|España|Sweden|"
    "Sverige"
)
EU_COUNTRIES = frozenset(_EU_CODES.split()) | frozenset(_EU_NAMES.casefold().split("|"))

router = APIRouter()


# --- reading FHIR JSON defensively ---------------------------------------------------
#: FHIR's id datatype: 1-64 letters, digits, '-' and '.'.
FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
MAX_ID = 64
#: How deep a FHIR body may nest (a Bundle of Bundles of resources needs about 12).
MAX_DEPTH = 64
#: FHIR's integer is a signed 32-bit number.
MAX_INTEGER = 2**31 - 1
_RESOURCE_TYPE = re.compile(r"[A-Z][A-Za-z]{0,63}")
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_\-$@]{1,64}")


def _kind(value: Any) -> str:
    """The JSON type of a value, in words (never the value itself)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _show(value: Any, limit: int = 40) -> str:
    """A value for a message: a short quoted string, or its JSON type (never a repr)."""
    if not isinstance(value, str):
        return _kind(value)
    short = value if len(value) <= limit else value[: limit - 1] + "…"
    return json.dumps(short)


def _key(path: str, key: str) -> str:
    """``path.key``, or ``path["key"]`` (escaped, shortened) for a key that is not a name."""
    if _PLAIN_KEY.fullmatch(key):
        return f"{path}.{key}" if path else key
    return f"{path}[{_show(key, 24)}]" if path else _show(key, 24)


def _is_text(value: str) -> bool:
    """False for a string with a lone surrogate ("\\ud800"), which is not Unicode text."""
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_json(value: Any, path: str) -> None:
    """Refuse what JSON decoding lets through but no FHIR body may hold, naming its path:
    lone surrogates (in strings or keys), numbers that are not finite (NaN, Infinity)
    and nesting deeper than ``MAX_DEPTH``. Iterative, so no depth can overflow the stack.
    """
    stack: list[tuple[Any, str, int]] = [(value, path, 0)]
    while stack:
        here, where, depth = stack.pop()
        if isinstance(here, str):
            if not _is_text(here):
                raise InvalidInput(
                    where or "body",
                    "holds a lone surrogate (an unpaired \\ud800-\\udfff escape), which is "
                    "not Unicode text",
                )
        elif isinstance(here, float):
            if not math.isfinite(here):
                raise InvalidInput(where or "body", "is not a finite number (NaN or Infinity)")
        elif isinstance(here, dict | list):
            if depth >= MAX_DEPTH:
                raise InvalidInput(where or "body", f"nests deeper than {MAX_DEPTH} levels")
            if isinstance(here, list):
                stack.extend((v, f"{where}[{i}]", depth + 1) for i, v in enumerate(here))
                continue
            for k, v in here.items():
                if not isinstance(k, str) or not _is_text(k):
                    raise InvalidInput(
                        where or "body", "has a key with a lone surrogate, which is not text"
                    )
                stack.append((v, _key(where, k), depth + 1))


# The FHIR elements smanav reads, with their JSON types: a reader relies on them.
_STRING, _INTEGER, _NUMBER = "a string", "a whole number", "a number"
_CODING = {"system": _STRING, "code": _STRING, "display": _STRING}
_CONCEPT: dict[str, Any] = {"text": _STRING, "coding": [_CODING]}
_REFERENCE = {"reference": _STRING, "display": _STRING}
_CODEABLE_REFERENCE = {"concept": _CONCEPT, "reference": _REFERENCE}
_PERIOD = {"start": _STRING, "end": _STRING}
_QUANTITY = {"value": _NUMBER, "unit": _STRING, "code": _STRING, "system": _STRING}
_COMMON: dict[str, Any] = {
    "status": _STRING,
    "subject": _REFERENCE,
    "patient": _REFERENCE,
    "effectiveDateTime": _STRING,
    "effectivePeriod": _PERIOD,
    "issued": _STRING,
    "recordedDate": _STRING,
    "dateAsserted": _STRING,
    "performedDateTime": _STRING,
    "performedPeriod": _PERIOD,
}
_MEDICINE = {
    "medicationCodeableConcept": _CONCEPT,
    "medicationReference": _REFERENCE,
    "medication": _CODEABLE_REFERENCE,
}
_FIELDS: dict[str, dict[str, Any]] = {
    "Patient": {"birthDate": _STRING, "address": [{"use": _STRING, "country": _STRING}]},
    "Condition": {"code": _CONCEPT, "clinicalStatus": _CONCEPT, "verificationStatus": _CONCEPT},
    "Observation": {
        "code": _CONCEPT,
        "valueCodeableConcept": _CONCEPT,
        "valueCode": _STRING,
        "valueString": _STRING,
        "valueInteger": _INTEGER,
        "valueQuantity": _QUANTITY,
    },
    "MedicationStatement": _MEDICINE,
    "MedicationRequest": _MEDICINE,
    "MedicationUsage": _MEDICINE,
    "Medication": {"code": _CONCEPT},
    "Procedure": {"code": _CONCEPT},
    "DeviceUseStatement": {
        "code": _CONCEPT,
        "device": _REFERENCE,
        "deviceCodeableConcept": _CONCEPT,
    },
    "DeviceUsage": {"device": _CODEABLE_REFERENCE},
    "DeviceRequest": {
        "code": {**_CONCEPT, **_CODEABLE_REFERENCE},
        "deviceCodeableConcept": _CONCEPT,
    },
}
_ARRAY_NOTE = " (FHIR JSON gives a repeating element as an array)"


def _check(value: Any, spec: Any, path: str) -> None:
    """``value`` has the JSON types ``spec`` gives (null counts as absent); else a 422."""
    if value is None:
        return
    if isinstance(spec, list):
        if not isinstance(value, list):
            raise InvalidInput(path, f"is {_kind(value)}, not an array{_ARRAY_NOTE}")
        for i, item in enumerate(value):
            if item is None:
                raise InvalidInput(f"{path}[{i}]", "is null, not an object")
            _check(item, spec[0], f"{path}[{i}]")
    elif isinstance(spec, dict):
        if not isinstance(value, dict):
            raise InvalidInput(path, f"is {_kind(value)}, not an object")
        for key, sub in spec.items():
            if key in value:
                _check(value[key], sub, f"{path}.{key}")
    elif spec == _STRING:
        if not isinstance(value, str):
            raise InvalidInput(path, f"is {_kind(value)}, not a string")
    elif isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput(path, f"is {_kind(value)}, not {spec}")
    elif spec == _INTEGER and (not isinstance(value, int) or abs(value) > MAX_INTEGER):
        raise InvalidInput(path, "is not a FHIR integer (a whole number within ±2147483647)")


def _object(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidInput(path, f"is {_kind(value)}, not an object")
    return value


def _array(value: Any, path: str) -> list[Any]:
    """A FHIR array element: absent or null is empty; anything but an array is a 422."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidInput(path, f"is {_kind(value)}, not an array{_ARRAY_NOTE}")
    return value


def check_id(value: Any, path: str) -> str:
    """A FHIR id (a string of 1-64 letters, digits, '-' and '.'), or a 422 that never
    repeats a long or odd value."""
    if not isinstance(value, str):
        raise InvalidInput(path, f"is {_kind(value)}, not a FHIR id (a string)")
    if len(value) > MAX_ID:
        raise InvalidInput(path, f"is {len(value)} characters long; a FHIR id has at most {MAX_ID}")
    if not FHIR_ID.fullmatch(value):
        raise InvalidInput(
            path, f"{_show(value)} is not a FHIR id (1-64 letters, digits, '-' and '.')"
        )
    return value


class _Found:
    """A resource read from the request: where it is, and its Bundle entry's fullUrl."""

    __slots__ = ("full_url", "path", "resource")

    def __init__(self, path: str, resource: dict[str, Any], full_url: str | None) -> None:
        self.path, self.resource, self.full_url = path, resource, full_url


def _resources(doc: Any, path: str, full_url: str | None = None) -> Iterator[_Found]:
    """Resources in a Bundle, a Parameters wrapper or a single resource, each element
    type-checked: anything that is not what FHIR says is a 422 naming its FHIR path."""
    doc = _object(doc, path)
    rtype = doc.get("resourceType")
    if rtype is None:
        raise InvalidInput(f"{path}.resourceType", "is required: a FHIR resource names its type")
    if not isinstance(rtype, str) or not _RESOURCE_TYPE.fullmatch(rtype):
        raise InvalidInput(f"{path}.resourceType", f"{_show(rtype)} is not a FHIR resource type")
    if rtype == "Bundle":
        for i, entry in enumerate(_array(doc.get("entry"), f"{path}.entry")):
            where = f"{path}.entry[{i}]"
            entry = _object(entry, where)
            _check(entry.get("fullUrl"), _STRING, f"{where}.fullUrl")
            if entry.get("resource") is not None:
                yield from _resources(entry["resource"], f"{where}.resource", entry.get("fullUrl"))
    elif rtype == "Parameters":
        yield from _parameter_resources(doc.get("parameter"), f"{path}.parameter")
    else:
        if "id" in doc and rtype != "Patient":  # a Patient's id is checked with its own words
            _check(doc["id"], _STRING, f"{path}.id")
        _check(doc, {**_COMMON, **_FIELDS.get(rtype, {})}, path)
        yield _Found(path, doc, full_url)


def _parameter_resources(params: Any, path: str) -> Iterator[_Found]:
    for i, param in enumerate(_array(params, path)):
        where = f"{path}[{i}]"
        param = _object(param, where)
        _check(param, {"name": _STRING, "valueCode": _STRING, "valueString": _STRING}, where)
        if param.get("resource") is not None:
            yield from _resources(param["resource"], f"{where}.resource")
        if param.get("part") is not None:
            yield from _parameter_resources(param["part"], f"{where}.part")


def _codings(concept: Any) -> list[dict[str, Any]]:
    """A (type-checked) CodeableConcept's codings."""
    if not isinstance(concept, dict):
        return []
    return [c for c in concept.get("coding") or [] if isinstance(c, dict)]


# --- FHIR resources → a profile ------------------------------------------------------
def _labels(concept: Any) -> list[str]:
    """Human labels of a CodeableConcept: its text, then each coding's display."""
    if not isinstance(concept, dict):
        return []
    out = [concept["text"]] if isinstance(concept.get("text"), str) else []
    out += [c["display"] for c in _codings(concept) if isinstance(c.get("display"), str)]
    return out


def _birth_date(value: Any, path: str) -> dt.date:
    if value is None:
        raise InvalidInput(path, "is required: the age comes from it")
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", value):
        raise InvalidInput(path, f"{_show(value)} is not a FHIR date (YYYY-MM-DD)")
    parts = [int(p) for p in value.split("-")] + [1, 1]
    try:
        return dt.date(parts[0], parts[1], parts[2])
    except ValueError:
        raise InvalidInput(path, f"{_show(value)} is not a calendar date") from None


def _age_months(born: dt.date, today: dt.date, path: str) -> int:
    months = (today.year - born.year) * 12 + (today.month - born.month)
    if today.day < born.day:
        months -= 1
    if months < 0:
        raise InvalidInput(path, f"{born.isoformat()} is in the future")
    return months


def _is_current(resource: dict[str, Any]) -> bool:
    """Refuted, entered-in-error, resolved or inactive conditions do not count."""
    for key, bad in (
        ("verificationStatus", {"refuted", "entered-in-error"}),
        ("clinicalStatus", {"inactive", "resolved", "remission"}),
    ):
        codes = {c.get("code") for c in _codings(resource.get(key))}
        if codes & bad:
            return False
    return True


def _sma_type(kb: KnowledgeBase, code: Any) -> tuple[bool, int | None]:
    """(is SMA, its type if the code says) for a Condition.code."""
    found, types = False, set[int]()
    for c in _codings(code):
        system, value = str(c.get("system", "")).lower(), str(c.get("code", "")).upper()
        if "icd-10" in system and value in ICD10_SMA:
            found = True
            known = ICD10_SMA[value]
            if known is not None:
                types.add(known)
        if "snomed" in system:
            for concept in _by_code(kb, "SNOMED CT", value):
                found, types = _note_concept(concept, found, types)
    for label in _labels(code):
        named = kb.lookup(label)
        if named is not None:
            found, types = _note_concept(named, found, types)
    return found, (types.pop() if len(types) == 1 else None)


def _note_concept(concept: Concept, found: bool, types: set[int]) -> tuple[bool, set[int]]:
    if concept.id == "sma":
        return True, types
    if concept.kind == "sma_type":
        return True, types | {int(concept.id.rsplit("-", 1)[1])}
    return found, types


def _by_code(kb: KnowledgeBase, system: str, code: str) -> list[Concept]:
    return [
        c
        for c in kb.concepts.values()
        if any(k.system == system and k.code.upper() == code for k in c.codes)
    ]


def _functional(value: str) -> str | None:
    key = re.sub(r"[^a-z]", "", value.lower())
    for status in ("nonsitter", "sitter", "walker"):
        if status in key:
            return "non-sitter" if status == "nonsitter" else status
    return None


def _codes(concept: Any, system_word: str) -> set[str]:
    """The codes of a CodeableConcept in systems whose URL contains ``system_word``."""
    return {
        str(c.get("code", "")).strip().upper()
        for c in _codings(concept)
        if system_word in str(c.get("system", "")).lower()
    }


def _words(concept: Any) -> str:
    return " ".join(_labels(concept)).lower()


def _own_code(concept: Any) -> str | None:
    """smanav's profile code of an Observation (PROFILE_CODES), or None."""
    for c in _codings(concept):
        if str(c.get("system", "")) == PROFILE_CODES and isinstance(c.get("code"), str):
            return str(c["code"])
    return None


def _text_value(obs: dict[str, Any]) -> str | None:
    """An Observation's value as a word: valueCode, valueString or the concept's code/label."""
    for key in ("valueCode", "valueString"):
        if isinstance(obs.get(key), str):
            return str(obs[key]).strip()
    value = obs.get("valueCodeableConcept")
    for c in _codings(value):
        if isinstance(c.get("code"), str) and str(c.get("system", "")) == PROFILE_CODES:
            return str(c["code"])
    labels = _labels(value)
    return labels[0] if labels else None


_KG_PER_UNIT = {"kg": 1.0, "g": 0.001, "[lb_av]": 0.45359237, "lb": 0.45359237, "lbs": 0.45359237}


def _weight_kg(obs: dict[str, Any]) -> tuple[float | None, str | None]:
    """(kilograms, problem) from a body-weight Observation's valueQuantity."""
    q = obs.get("valueQuantity")
    if not isinstance(q, dict) or isinstance(q.get("value"), bool):
        return None, "has no valueQuantity"
    value = q.get("value")
    if not isinstance(value, int | float):
        return None, f"has a value that is {_kind(value)}, not a number"
    unit = str(q.get("code") or q.get("unit") or "kg").strip()
    factor = _KG_PER_UNIT.get(unit) or _KG_PER_UNIT.get(unit.lower())
    if factor is None:
        return None, f"is in {_show(unit)}, not kg, g or [lb_av]"
    return round(float(value) * factor, 2), None


class _Record:
    """What the resources say, collected before they become a profile."""

    def __init__(self) -> None:
        self.profile: dict[str, Any] = {}
        self.notes: list[str] = []
        #: (date, kg): the most recent weight wins.
        self.weights: list[tuple[str, float]] = []
        self.pregnancy: list[tuple[str, str]] = []
        self.support: str | None = None
        self.feeding: str | None = None
        self.region: str | None = None

    def breathing(self, level: str) -> None:
        if self.support is None or _SUPPORT_RANK[level] > _SUPPORT_RANK[self.support]:
            self.support = level


def _effective(res: dict[str, Any]) -> str:
    for key in ("effectiveDateTime", "issued", "recordedDate", "dateAsserted", "performedDateTime"):
        if isinstance(res.get(key), str):
            return str(res[key])
    period = res.get("effectivePeriod") or res.get("performedPeriod")
    if isinstance(period, dict) and isinstance(period.get("start"), str):
        return str(period["start"])
    return ""


def _support_from_words(words: str) -> str | None:
    """Breathing support named in a procedure's, device's or observation's words."""
    if re.search(r"tracheost|tracheot|\btrach\b", words):
        return "tracheostomy"
    if re.search(r"non-?invasive ventilation|\bniv\b|bipap|bi-?level|\bbpap\b|\bcpap\b", words):
        continuous = re.search(r"continuous|24 ?h|day and night|daytime|full[- ]time", words)
        return "continuous-niv" if continuous else "night-niv"
    return None


def _observation(obs: dict[str, Any], rec: _Record, path: str) -> None:
    profile, notes = rec.profile, rec.notes
    code = obs.get("code")
    labels = _words(code)
    loinc = _codes(code, "loinc")
    own = _own_code(code)
    if loinc & LOINC_BODY_WEIGHT or own == "weight" or labels in ("body weight", "weight"):
        kg, problem = _weight_kg(obs)
        if kg is None:
            notes.append(f"A body-weight Observation {problem}; it was not used.")
        else:
            rec.weights.append((_effective(obs), kg))
        return
    if LOINC_PREGNANCY in loinc or own == "pregnancy" or labels == "pregnancy status":
        answer = obs.get("valueCodeableConcept")
        snomed = _codes(answer, "snomed")
        text = (_text_value(obs) or "").lower()
        if SNOMED_PREGNANT in snomed or text in ("pregnant", "yes"):
            rec.pregnancy.append((_effective(obs), "pregnant"))
        elif SNOMED_NOT_PREGNANT in snomed or text in ("no", "not pregnant"):
            rec.pregnancy.append((_effective(obs), "no"))
        elif text in ("planning", "breastfeeding"):
            rec.pregnancy.append((_effective(obs), text))
        else:
            notes.append(
                f"A pregnancy-status Observation answers {_show(text or '(no value)')}, not "
                "pregnant or not pregnant; it was not used."
            )
        return
    if LOINC_BREASTFEEDING in loinc or own == "breastfeeding":
        answer = obs.get("valueCodeableConcept")
        text = (_text_value(obs) or "").lower()
        if _codes(answer, "snomed") & SNOMED_BREASTFEEDING or (
            "breast" in text and "not" not in text
        ):
            rec.pregnancy.append((_effective(obs), "breastfeeding"))
        return
    if own == "breathing-support" or labels == "breathing support":
        value = (_text_value(obs) or "").strip().lower()
        if value in _SUPPORT_RANK:
            rec.breathing(value)
        else:
            level = _support_from_words(value)
            if level is None and value not in ("", "none"):
                notes.append(
                    f"Breathing-support Observation {_show(value)} is not one of none, night-niv, "
                    "continuous-niv, tracheostomy; it was not used."
                )
            rec.breathing(level or "none")
        return
    if own == "feeding" or labels == "feeding":
        value = (_text_value(obs) or "").strip().lower()
        if value in ("mouth", "tube"):
            rec.feeding = "tube" if rec.feeding == "tube" else value
        else:
            notes.append(
                f"Feeding Observation {_show(value)} is not mouth or tube; it was not used."
            )
        return
    if "smn2" in labels:
        copies = obs.get("valueInteger")
        if copies is None and isinstance(obs.get("valueQuantity"), dict):
            copies = obs["valueQuantity"].get("value")
        if copies is None and isinstance(obs.get("valueString"), str):
            copies = obs["valueString"].strip()
            if len(copies) > 20:
                raise InvalidInput(
                    f"{path}.valueString",
                    f"is {len(copies)} characters long: not an SMN2 copy number (1-8)",
                )
        if copies is None:
            notes.append("An SMN2 copy-number Observation has no value; it was not used.")
        else:
            profile["smn2_copies"] = copies
        return
    if any(w in labels for w in ("functional", "motor", "sitting", "walking", "ambulat")):
        texts = _labels(obs.get("valueCodeableConcept"))
        if isinstance(obs.get("valueString"), str):
            texts.append(obs["valueString"])
        for text in texts:
            status = _functional(text)
            if status:
                profile["functional_status"] = status
                return
        shown = " / ".join(_show(t) for t in texts[:3])
        notes.append(
            f"Functional-status Observation {shown or '(no value)'} "
            "is not one of non-sitter, sitter, walker; it was not used."
        )


def _procedure(res: dict[str, Any], rec: _Record) -> None:
    """A Procedure or DeviceUseStatement / DeviceUsage of breathing support or tube feeding."""
    status = str(res.get("status", ""))
    ended = {"entered-in-error", "not-done", "stopped", "revoked", "cancelled"}
    if res["resourceType"] != "Procedure":
        ended |= {"completed", "not-taken"}  # a device no longer used
    if status in ended:
        return
    concepts = [res.get("code"), res.get("device"), res.get("deviceCodeableConcept")]
    for key in ("device", "code"):  # R5 DeviceUsage.device, DeviceRequest.code
        if isinstance(res.get(key), dict) and isinstance(res[key].get("concept"), dict):
            concepts.append(res[key]["concept"])
    snomed: set[str] = set()
    words: list[str] = []
    for concept in concepts:
        snomed |= _codes(concept, "snomed")
        words += _labels(concept)
        if isinstance(concept, dict) and isinstance(concept.get("display"), str):
            words.append(concept["display"])  # a Reference's display
    text = " ".join(words).lower()
    if snomed & SNOMED_TRACHEOSTOMY:
        rec.breathing("tracheostomy")
    elif snomed & SNOMED_NIV:
        rec.breathing(_support_from_words(text + " niv") or "night-niv")
    else:
        level = _support_from_words(text)
        if level is not None:
            rec.breathing(level)
    if snomed & SNOMED_TUBE_FEEDING or re.search(
        r"gastrostom|g-tube|\bpeg\b|feeding tube|tube feed|nasogastric|\bng tube|jejunostom", text
    ):
        rec.feeding = "tube"


def _organ_condition(code: Any) -> str | None:
    """liver_disease or kidney_disease when a Condition codes one (README, FHIR input)."""
    icd = _codes(code, "icd-10")
    snomed = _codes(code, "snomed")
    words = _words(code)
    if any(ICD10_LIVER.match(c) for c in icd) or snomed & SNOMED_LIVER:
        return "liver_disease"
    if any(ICD10_KIDNEY.match(c) for c in icd) or snomed & SNOMED_KIDNEY:
        return "kidney_disease"
    if re.search(
        r"\b(liver disease|hepatic (disease|impairment|failure)|cirrhosis|hepatitis)", words
    ):
        return "liver_disease"
    if re.search(
        r"\b(kidney (disease|failure|impairment)|renal (disease|failure|impairment|insufficiency))",
        words,
    ):
        return "kidney_disease"
    return None


def _medicine_name(
    kb: KnowledgeBase, concept_field: Any, medicines: dict[str, dict[str, Any]]
) -> tuple[str | None, Concept | None]:
    """(the name as the record gives it, the concept smanav checks it as) for a medicine."""
    from ..plan.profile import MAX_NAME, resolve_medicine

    if isinstance(concept_field, dict) and isinstance(concept_field.get("reference"), str):
        # medicationReference → a Medication resource in the same bundle
        target = medicines.get(concept_field["reference"].rsplit("/", 1)[-1])
        concept_field = target.get("code") if target else None
        if concept_field is None:
            return None, None
    labels = [" ".join(x.split()) for x in _labels(concept_field) if x.strip()]
    for c in _codings(concept_field):
        system = str(c.get("system", "")).lower()
        if "rxnorm" in system and c.get("code"):
            found = _by_code(kb, "RxNorm", str(c["code"]).upper())
            if found:
                return (labels[0] if labels else found[0].name), found[0]
    for label in labels:
        if len(label) <= MAX_NAME:
            known, _ = resolve_medicine(kb, label)
            if known is not None:
                return label, known
    return (labels[0] if labels else None), None


def _medication(
    kb: KnowledgeBase, med: dict[str, Any], rec: _Record, medicines: dict[str, dict[str, Any]]
) -> None:
    """Any medicine is taken by name: those smanav knows are checked, the rest are listed
    in the plan as not checked (never rejected, never dropped silently)."""
    from ..plan.profile import MAX_LIST, MAX_NAME

    profile, notes = rec.profile, rec.notes
    status = str(med.get("status", "active"))
    if status in ("entered-in-error", "not-taken", "stopped", "cancelled"):
        return
    concept_field = med.get("medicationCodeableConcept")
    if concept_field is None:
        concept_field = med.get("medicationReference")
    if concept_field is None and isinstance(med.get("medication"), dict):
        r5 = med["medication"]  # FHIR R5 CodeableReference
        concept_field = r5.get("concept") or r5.get("reference")
    name, concept = _medicine_name(kb, concept_field, medicines)
    if name is None:
        notes.append("A medicine statement names no medicine (no text or display); not used.")
        return
    if concept is not None and concept.id == "alcohol":
        profile["alcohol_use"] = True
        return
    if (
        concept is not None
        and status == "completed"
        and concept.domain == CareDomain.disease_modifying
    ):
        if concept.id not in profile.setdefault("prior_treatments", []):
            profile["prior_treatments"].append(concept.id)
        return
    if len(name) > MAX_NAME:
        name = name[: MAX_NAME - 1].rstrip() + "…"
    entry = concept.id if concept is not None else name
    current = profile.setdefault("medications", [])
    if entry in current or any(
        isinstance(x, str) and x.casefold() == entry.casefold() for x in current
    ):
        return
    if len(current) >= MAX_LIST:
        notes.append(
            f"More than {MAX_LIST} current medicines: {name} was not checked; ask the care "
            "team or a pharmacist to check it against every option."
        )
        return
    current.append(entry)


def _country_region(patient: dict[str, Any]) -> tuple[str | None, str | None]:
    """(region, country) from the Patient's address: an EU member state → EU; else US."""
    for addr in patient.get("address") or []:
        if not isinstance(addr, dict) or not isinstance(addr.get("country"), str):
            continue
        if addr.get("use") == "old":
            continue
        country = addr["country"].strip()
        if not country:
            continue
        key = country.upper() if len(country) <= 3 else country.casefold()
        return ("EU" if key in EU_COUNTRIES else "US"), country
    return None, None


def _parameter_region(docs: list[tuple[str, Any]]) -> Any:
    """A Parameters resource's ``region`` parameter (valueCode or valueString), if any;
    two that differ are a 422 (never a silent choice)."""
    found: tuple[str, Any] | None = None
    for path, d in docs:
        if isinstance(d, dict) and d.get("resourceType") == "Parameters":
            for i, param in enumerate(d.get("parameter") or []):
                if isinstance(param, dict) and param.get("name") == "region":
                    for key in ("valueCode", "valueString"):
                        if param.get(key) is not None:
                            if found is not None and found[1] != param[key]:
                                raise InvalidInput(
                                    f"{path}.parameter[{i}].{key}",
                                    f"is a second region, {_show(param[key])}, after "
                                    f"{_show(found[1])} at {found[0]}: give one region",
                                )
                            found = (f"{path}.parameter[{i}].{key}", param[key])
                            break
    return None if found is None else found[1]


def _one_patient(
    found: list[_Found], wanted: str | None, wanted_at: str
) -> tuple[_Found, str | None]:
    """The request's one Patient and its id; a second Patient anywhere, or one whose id
    is not ``wanted`` (CDS Hooks' context.patientId), is a 422 naming its path."""
    patients = [f for f in found if f.resource["resourceType"] == "Patient"]
    if not patients:
        raise InvalidInput("Patient", "the request has no Patient resource (the age comes from it)")
    first = patients[0]
    if len(patients) > 1:
        raise InvalidInput(
            patients[1].path,
            f"is a second Patient (the first is {first.path}): a request is about one person, "
            "and smanav will not choose between two records; send one Patient",
        )
    pid = first.resource.get("id")
    if pid is not None:
        pid = check_id(pid, f"{first.path}.id")
    if wanted is not None:
        if pid is not None and pid != wanted:
            raise InvalidInput(
                f"{first.path}.id",
                f"is {_show(pid)}, but {wanted_at} is {_show(wanted)}: the answer would be "
                "about another person",
            )
        pid = wanted
    return first, pid


_HISTORY = re.compile(r"/_history/[^/]*$")


def _about_the_patient(found: list[_Found], patient: _Found, pid: str | None) -> None:
    """Every resource that names a patient (subject or patient) names this one; a resource
    about anyone or anything else is a 422 naming its path, never read into the plan."""
    me = f"Patient/{pid}" if pid else None
    for f in found:
        if f is patient:
            continue
        for key in ("subject", "patient"):
            ref = f.resource.get(key)
            target = ref.get("reference") if isinstance(ref, dict) else None
            if target is None:
                continue  # no reference (an identifier or display only): nothing says otherwise
            if patient.full_url is not None and target == patient.full_url:
                continue
            bare = _HISTORY.sub("", target)
            if me is not None and (bare == me or bare.endswith("/" + me)):
                continue
            whom = (
                f"this request's Patient ({me})"
                if me
                else "this request's Patient, which has no id to check it against"
            )
            raise InvalidInput(
                f"{f.path}.{key}.reference",
                f"is {_show(target)}, not {whom}: smanav reads only resources about the one "
                "patient the request is for",
            )


def profile_from_fhir(
    doc: Any, kb: KnowledgeBase, today: dt.date | None = None
) -> tuple[dict[str, Any] | None, list[str]]:
    """(profile, notes) from FHIR resources; profile is None when no SMA condition is found.

    ``doc`` is a Bundle, a Parameters or one resource (or a list of them). Notes say, in
    words, what was read but not used, so nothing is dropped silently. The mapping of
    each resource is documented in the README ("FHIR input"). A body FHIR would not
    accept — an element of the wrong JSON type, a second Patient, a resource about
    another patient, a lone surrogate — is an ``InvalidInput`` naming its FHIR path.
    """
    docs = (
        [(f"[{i}]", d) for i, d in enumerate(doc)] if isinstance(doc, list) else [(_root(doc), doc)]
    )
    for path, d in docs:
        check_json(d, path)
    profile, notes, _ = read_fhir(docs, kb, today)
    return profile, notes


def _root(doc: Any) -> str:
    """The FHIR path of a posted resource: its type (``Bundle``), else empty."""
    rtype = doc.get("resourceType") if isinstance(doc, dict) else None
    return rtype if isinstance(rtype, str) and _RESOURCE_TYPE.fullmatch(rtype) else ""


def read_fhir(
    docs: list[tuple[str, Any]],
    kb: KnowledgeBase,
    today: dt.date | None = None,
    patient_id: str | None = None,
    patient_id_at: str = "context.patientId",
) -> tuple[dict[str, Any] | None, list[str], str | None]:
    """(profile, notes, the Patient's id) from (FHIR path, document) pairs, after
    ``check_json``; ``patient_id`` is the id the request is about, when it says."""
    from ..plan.profile import MIN_PREGNANCY_AGE_MONTHS

    today = today or dt.date.today()
    rec = _Record()
    profile, notes = rec.profile, rec.notes
    sma, types = False, set[int]()
    found = [f for path, d in docs for f in _resources(d, path)]
    patient_found, pid = _one_patient(found, patient_id, patient_id_at)
    _about_the_patient(found, patient_found, pid)
    patient = patient_found.resource
    resources = [f.resource for f in found]
    medicines = {
        str(r["id"]): r for r in resources if r["resourceType"] == "Medication" and r.get("id")
    }
    for f in found:
        res, rtype = f.resource, f.resource["resourceType"]
        if rtype == "Patient":
            continue
        if rtype == "Condition" and _is_current(res):
            code = res.get("code")
            is_sma, sma_type = _sma_type(kb, code)
            if is_sma:
                sma = True
                if sma_type is not None:
                    types.add(sma_type)
                continue
            if SNOMED_PREGNANT in _codes(code, "snomed") or _words(code) == "pregnancy":
                rec.pregnancy.append((_effective(res), "pregnant"))
                continue
            organ = _organ_condition(code)
            if organ is not None:
                profile[organ] = True
                continue
            level = _support_from_words(_words(code))
            if level is not None:
                rec.breathing(level)
                continue
            symptom = next((c for c in map(kb.lookup, _labels(code)) if c is not None), None)
            if symptom is not None and symptom.kind == "symptom":
                profile.setdefault("symptoms", []).append(symptom.id)
        elif rtype == "Observation" and res.get("status") not in ("entered-in-error", "cancelled"):
            _observation(res, rec, f.path)
        elif rtype in ("MedicationStatement", "MedicationRequest", "MedicationUsage"):
            _medication(kb, res, rec, medicines)
        elif rtype in ("Procedure", "DeviceUseStatement", "DeviceUsage", "DeviceRequest"):
            _procedure(res, rec)
    born_at = f"{patient_found.path}.birthDate"
    profile["age_months"] = _age_months(
        _birth_date(patient.get("birthDate"), born_at), today, born_at
    )
    if not sma:
        return None, notes, pid
    if len(types) == 1:
        profile["sma_type"] = types.pop()
    elif len(types) > 1:
        notes.append(
            f"Conditions give different SMA types ({', '.join(map(str, sorted(types)))}); "
            "the type was left as not known."
        )
    if rec.weights:
        profile["weight_kg"] = max(rec.weights, key=lambda w: w[0])[1]
    if rec.support is not None:
        profile["breathing_support"] = rec.support
    if rec.feeding is not None:
        profile["feeding"] = rec.feeding
    if rec.pregnancy:
        status = max(rec.pregnancy, key=lambda p: p[0])[1]
        if profile["age_months"] >= MIN_PREGNANCY_AGE_MONTHS:
            profile["pregnancy"] = status
        elif status != "no":
            notes.append(
                f"A pregnancy or breastfeeding status ({status}) was recorded for a patient "
                "under 10 years; it was not used."
            )
    region = _parameter_region(docs)
    if region is not None:
        profile["region"] = region  # parse_profile names it when it is not US or EU
    else:
        by_country, country = _country_region(patient)
        if by_country is not None:
            profile["region"] = by_country
            if by_country == "US" and country and country.upper() not in ("US", "USA"):
                notes.append(
                    f"The patient's address country is {_show(country)}: smanav holds US (FDA) "
                    "and EU (EMA) labels only, and used the US labels."
                )
    return profile, notes, pid


# --- FHIR endpoints -----------------------------------------------------------------
BUNDLE_EXAMPLE = {
    "resourceType": "Bundle",
    "type": "collection",
    "entry": [
        {"resource": {"resourceType": "Patient", "id": "p1", "birthDate": "2025-03-01"}},
        {
            "resource": {
                "resourceType": "Condition",
                "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "G12.0"}]},
                "subject": {"reference": "Patient/p1"},
            }
        },
    ],
}


def _json_body(title: str, example: dict[str, Any] | None = None) -> dict[str, Any]:
    """The OpenAPI entry FastAPI writes for a ``dict`` body (the body is read by json_object)."""
    schema: dict[str, Any] = {"additionalProperties": True, "type": "object", "title": title}
    if example is not None:
        schema["examples"] = [example]
    return {"content": {"application/json": {"schema": schema}}, "required": True}


@router.get(
    "/fhir/PlanDefinition",
    tags=["fhir"],
    summary="The planning rules as a Bundle of FHIR R4 PlanDefinition resources",
)
async def plan_definitions(request: Request) -> Response:
    from ..fhir import plan_definitions as build

    return json_response(build(get_kb(request)), media_type=FHIR_JSON)


@router.post(
    "/fhir/CarePlan/$generate",
    tags=["fhir"],
    summary="A CarePlan from a Bundle with a Patient, Conditions, Observations, medications",
    description="Patient.birthDate gives the age; a Condition coded ICD-10 G12.0 / G12.1 / "
    "G12.9 or SNOMED CT SMA codes gives the diagnosis (and type when the code says); "
    "Observations named SMN2 give copy numbers, functional-status Observations give "
    "non-sitter / sitter / walker; body weight (LOINC 29463-7, kg, g or [lb_av]), pregnancy "
    "status (LOINC 82810-3, or a Condition SNOMED CT 77386006) and breastfeeding status "
    "(LOINC 63895-7); breathing support from Procedures or DeviceUseStatements (tracheostomy, "
    "non-invasive ventilation) or an Observation coded " + PROFILE_CODES + " 'breathing-support' "
    "(none, night-niv, continuous-niv, tracheostomy); tube feeding from a gastrostomy or "
    "feeding-tube Procedure or device; liver disease (ICD-10 K70-K77) and kidney disease "
    "(ICD-10 N17-N19) from Conditions; the region from a Parameters 'region' (US or EU) or "
    "the Patient's address country (an EU member state: EU; elsewhere: US). "
    "MedicationStatements of any medicine are taken by name: those smanav holds facts for "
    "are checked, the others are listed in the CarePlan as not checked. One request is "
    "about one patient: a second Patient, or a resource whose subject is another patient, "
    "is a 422 naming its FHIR path (Bundle.entry[3].resource), as is any element of the "
    "wrong JSON type.",
    openapi_extra={"requestBody": _json_body("Bundle", BUNDLE_EXAMPLE)},
)
async def generate_care_plan(request: Request) -> Response:
    from ..fhir import care_plan
    from ..plan import make_plan

    body = await json_object(request)
    root = _root(body)
    check_json(body, root)
    kb = get_kb(request)
    profile, notes, pid = read_fhir([(root, body)], kb)
    if profile is None:
        raise InvalidInput(
            "Condition",
            "no current Condition codes spinal muscular atrophy (ICD-10 G12.0, G12.1, G12.9 "
            "or the SNOMED CT codes smanav knows)",
        )
    plan = make_plan(profile, kb)  # validates with this kb (parse_profile)
    result = care_plan(plan)
    if pid is not None:
        result["subject"] = {**result.get("subject", {}), "reference": f"Patient/{pid}"}
    if notes:
        result.setdefault("note", []).extend({"text": n} for n in notes)
    response = json_response(result, media_type=FHIR_JSON)
    response.headers["Cache-Control"] = "no-store"
    return response


# --- CDS Hooks 2.0 ------------------------------------------------------------------
DISCOVERY = {
    "services": [
        {
            "hook": "patient-view",
            "id": SERVICE_ID,
            "title": "smanav: SMA care-discussion options",
            "description": "For a patient with spinal muscular atrophy, lists treatment options "
            "to discuss by care domain, who is not eligible and why, and cautions with the "
            "patient's medicines, each with its cited source. Gives no medical advice.",
            "prefetch": {
                "patient": "Patient/{{context.patientId}}",
                "conditions": "Condition?patient={{context.patientId}}",
                "observations": "Observation?patient={{context.patientId}}",
                "medications": "MedicationStatement?patient={{context.patientId}}",
            },
        }
    ]
}


@router.get("/cds-services", tags=["cds-hooks"], summary="CDS Hooks discovery")
async def cds_discovery() -> Response:
    return json_response(DISCOVERY)


def _short(text: str, limit: int = 139) -> str:
    """CDS Hooks wants summaries under 140 characters."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _source_of(kb: KnowledgeBase, option: dict[str, Any], base: str) -> dict[str, str]:
    for ev in option.get("evidence") or []:
        src = kb.sources.get(ev.get("source", ""))
        if src is not None:
            # Ingested sources are untrusted: only a web address becomes a link in the EHR.
            web = src.url if src.url and src.url.startswith(("https://", "http://")) else None
            return {"label": f"{src.title} ({src.publisher})", "url": web or f"{base}/sources"}
    return {"label": "smanav (SMA Navigator)", "url": f"{base}/sources"}


#: Markdown punctuation that could make links, images, emphasis or headings.
_MARKDOWN_SPECIAL = str.maketrans(
    {c: "\\" + c for c in "\\`*_{}[]()#+!|~"} | {"<": "&lt;", ">": "&gt;", "&": "&amp;"}
)


def _md(text: object) -> str:
    """Text for a card's Markdown detail, shown as written: record and ingested text are
    untrusted, and the EHR renders the detail (links, images, raw HTML in some viewers)."""
    return str(text).translate(_MARKDOWN_SPECIAL)


def _card_id(*parts: str) -> str:
    digest = hashlib.sha256("\0".join(parts).encode()).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"


def cards_from_plan(
    plan: dict[str, Any], kb: KnowledgeBase, base: str, notes: list[str] | None = None
) -> list[dict[str, Any]]:
    """CDS Hooks cards: an overview (with the region and the medicines checked and not
    checked), a 'warning' card naming the medicines smanav could not check, then one
    'info' card per caution; all cited."""
    from ..plan.render import medicines_lines, region_line
    from ..plan.status import upgrade_plan

    plan = upgrade_plan(plan)
    options = plan.get("options", [])
    by_status: dict[str, list[dict[str, Any]]] = {}
    for o in options:
        by_status.setdefault(o.get("status", "to_discuss"), []).append(o)
    to_discuss = by_status.get("to_discuss", [])
    blocked = by_status.get("not_offered", [])
    review = by_status.get("needs_review", [])
    summary = _short(
        f"SMA: {len(to_discuss)} options to discuss, {len(review)} to review, "
        f"{len(blocked)} not offered (cited; not advice)"
    )
    lines = [f"**{plan.get('disclaimer', '')}**", ""]
    for title, rows in (
        ("Options to discuss", to_discuss),
        ("Needs review", review),
        ("Not offered", blocked),
    ):
        if not rows:
            continue
        lines.append(f"### {title}")
        for o in rows:
            reason = (o.get("reasons") or [""])[0]
            lines.append(f"- **{_md(o['name'])}**: {_md(reason)}")
        lines.append("")
    lines.append(
        f"**{_md(region_line(plan))}**: who may receive a treatment, and its cautions, "
        "follow this region's labels."
    )
    lines.append("")
    meds = medicines_lines(plan)
    if meds["checked"] or meds["not_checked"]:
        lines.append("### Current medicines")
        lines.append(
            "- Checked against the label facts smanav holds: "
            + (_md(", ".join(meds["checked"])) or "none")
        )
        lines.append(
            "- **Not checked** (smanav holds no interaction facts for them): "
            + (_md(", ".join(meds["not_checked"])) or "none")
        )
        lines.append("")
    if plan.get("questions"):
        lines.append("### Questions for the care team")
        lines += [f"- {_md(q)}" for q in plan["questions"]]
    if notes:
        lines.append("")
        lines.append("### Not used from the record")
        lines += [f"- {_md(n)}" for n in notes]
    links = [{"label": "Open the smanav plan wizard", "url": f"{base}/plan", "type": "absolute"}]
    links += [
        {"label": f"{o['name']} (smanav)", "url": base + concept_url(o), "type": "absolute"}
        for o in to_discuss[:5]
    ]
    cards = [
        {
            "uuid": _card_id("overview", summary),
            "summary": summary,
            "detail": "\n".join(lines).strip(),
            "indicator": "info",
            "source": {"label": "smanav (SMA Navigator)", "url": f"{base}/sources"},
            "links": links,
        }
    ]
    if meds["not_checked"]:
        names = ", ".join(meds["not_checked"])
        cards.append(
            {
                "uuid": _card_id("not-checked", names),
                "summary": _short(f"Not checked by smanav: {names}"),
                "detail": _md(meds["note"]),
                "indicator": "warning",
                "source": {"label": "smanav (SMA Navigator)", "url": f"{base}/sources"},
                "links": [
                    {
                        "label": "Open the smanav plan wizard",
                        "url": f"{base}/plan",
                        "type": "absolute",
                    }
                ],
            }
        )
    for o in options:
        for caution in o.get("cautions") or []:
            text = str(caution.get("text", ""))
            cards.append(
                {
                    "uuid": _card_id("caution", o["concept"], text),
                    "summary": _short(f"{o['name']}: {text}"),
                    "detail": _md(text),
                    "indicator": "info",
                    "source": _source_of(kb, caution, base)
                    if caution.get("evidence")
                    else _source_of(kb, o, base),
                    "links": [
                        {
                            "label": f"{o['name']} (smanav)",
                            "url": base + concept_url(o),
                            "type": "absolute",
                        }
                    ],
                }
            )
    return cards


def _prefetched(body: dict[str, Any]) -> tuple[list[tuple[str, Any]], str | None]:
    """The prefetched resources with their paths, and context.patientId, checked: a wrong
    shape is a 422 (``read_fhir`` then checks that they are about that one patient).

    CDS Hooks lets the EHR send null for a prefetch it could not fill; anything else
    that is not a resource or a Bundle would otherwise be dropped without a word.
    """
    context = body.get("context")
    if context is not None and not isinstance(context, dict):
        raise InvalidInput("context", f"is {_kind(context)}, not an object")
    wanted = context.get("patientId") if isinstance(context, dict) else None
    if wanted is not None:
        wanted = check_id(wanted, "context.patientId")
    prefetch = body.get("prefetch")
    if not isinstance(prefetch, dict) or not isinstance(prefetch.get("patient"), dict):
        raise InvalidInput(
            "prefetch.patient",
            "is required: this service reads the prefetched Patient (it does not call the "
            "FHIR server)",
        )
    for key, value in prefetch.items():
        if value is not None and not (isinstance(value, dict) and "resourceType" in value):
            raise InvalidInput(
                _key("prefetch", key), "is not a FHIR resource or Bundle (nor null, if not found)"
            )
    person = prefetch["patient"]
    if person.get("resourceType") != "Patient":
        raise InvalidInput(
            "prefetch.patient", f"is {_show(person.get('resourceType'))}, not a FHIR Patient"
        )
    docs = [(_key("prefetch", k), v) for k, v in prefetch.items() if v is not None]
    return docs, wanted


@router.post(
    f"/cds-services/{SERVICE_ID}",
    tags=["cds-hooks"],
    summary="patient-view: SMA care-discussion cards from the prefetched record",
    description="A CDS Hooks 2.0 patient-view request: context.patientId and the prefetched "
    "Patient, Conditions, Observations and MedicationStatements. One request is about one "
    "patient: a second Patient anywhere in the prefetch, a Patient whose id is not "
    "context.patientId, or a resource whose subject is another patient is a 422 naming its "
    "path (prefetch.conditions.entry[0].resource), as is any element of the wrong JSON type.",
    openapi_extra={"requestBody": _json_body("Body")},
)
async def cds_patient_view(request: Request) -> Response:
    from ..plan import make_plan

    body = await json_object(request)
    check_json(body, "")
    hook = body.get("hook")
    if hook is not None and not isinstance(hook, str):
        raise InvalidInput("hook", f"is {_kind(hook)}, not a string")
    if hook not in (None, "patient-view"):
        raise InvalidInput("hook", f"{_show(hook)}: this service answers patient-view")
    docs, wanted = _prefetched(body)
    kb = get_kb(request)
    profile, notes, _ = read_fhir(docs, kb, patient_id=wanted)
    if profile is None:
        return json_response({"cards": []})
    plan = make_plan(profile, kb)  # validates with this kb (parse_profile)
    base = settings().base_url or str(request.base_url).rstrip("/")
    response = json_response({"cards": cards_from_plan(plan, kb, base, notes)})
    response.headers["Cache-Control"] = "no-store"
    return response
