"""Reading FHIR JSON defensively: what JSON decoding lets through but no FHIR body may
hold, the JSON types of the elements smanav reads, and the resources of a Bundle, a
Parameters or a single resource. Every problem is an ``InvalidInput`` naming its FHIR
path (``Bundle.entry[3].resource.birthDate``) and never repeating a long or odd value.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from typing import Any

from ..errors import InvalidInput

__all__ = ["check_id", "check_json", "codings", "find_resources", "kind_of", "root_path", "show"]

#: FHIR's id datatype: 1-64 letters, digits, '-' and '.'.
FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
MAX_ID = 64
#: How deep a FHIR body may nest (a Bundle of Bundles of resources needs about 12).
MAX_DEPTH = 64
#: FHIR's integer is a signed 32-bit number.
MAX_INTEGER = 2**31 - 1
_RESOURCE_TYPE = re.compile(r"[A-Z][A-Za-z]{0,63}")
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_\-$@]{1,64}")


def kind_of(value: Any) -> str:
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


def show(value: Any, limit: int = 40) -> str:
    """A value for a message: a short quoted string, or its JSON type (never a repr)."""
    if not isinstance(value, str):
        return kind_of(value)
    short = value if len(value) <= limit else value[: limit - 1] + "…"
    return json.dumps(short)


def key_path(path: str, key: str) -> str:
    """``path.key``, or ``path["key"]`` (escaped, shortened) for a key that is not a name."""
    if _PLAIN_KEY.fullmatch(key):
        return f"{path}.{key}" if path else key
    return f"{path}[{show(key, 24)}]" if path else show(key, 24)


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
                stack.append((v, key_path(where, k), depth + 1))


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
            raise InvalidInput(path, f"is {kind_of(value)}, not an array{_ARRAY_NOTE}")
        for i, item in enumerate(value):
            if item is None:
                raise InvalidInput(f"{path}[{i}]", "is null, not an object")
            _check(item, spec[0], f"{path}[{i}]")
    elif isinstance(spec, dict):
        if not isinstance(value, dict):
            raise InvalidInput(path, f"is {kind_of(value)}, not an object")
        for key, sub in spec.items():
            if key in value:
                _check(value[key], sub, f"{path}.{key}")
    elif spec == _STRING:
        if not isinstance(value, str):
            raise InvalidInput(path, f"is {kind_of(value)}, not a string")
    elif isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput(path, f"is {kind_of(value)}, not {spec}")
    elif spec == _INTEGER and (not isinstance(value, int) or abs(value) > MAX_INTEGER):
        raise InvalidInput(path, "is not a FHIR integer (a whole number within ±2147483647)")


def _object(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidInput(path, f"is {kind_of(value)}, not an object")
    return value


def _array(value: Any, path: str) -> list[Any]:
    """A FHIR array element: absent or null is empty; anything but an array is a 422."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidInput(path, f"is {kind_of(value)}, not an array{_ARRAY_NOTE}")
    return value


def check_id(value: Any, path: str) -> str:
    """A FHIR id (a string of 1-64 letters, digits, '-' and '.'), or a 422 that never
    repeats a long or odd value."""
    if not isinstance(value, str):
        raise InvalidInput(path, f"is {kind_of(value)}, not a FHIR id (a string)")
    if len(value) > MAX_ID:
        raise InvalidInput(path, f"is {len(value)} characters long; a FHIR id has at most {MAX_ID}")
    if not FHIR_ID.fullmatch(value):
        raise InvalidInput(
            path, f"{show(value)} is not a FHIR id (1-64 letters, digits, '-' and '.')"
        )
    return value


class Found:
    """A resource read from the request: where it is, and its Bundle entry's fullUrl."""

    __slots__ = ("full_url", "path", "resource")

    def __init__(self, path: str, resource: dict[str, Any], full_url: str | None) -> None:
        self.path, self.resource, self.full_url = path, resource, full_url


def find_resources(doc: Any, path: str, full_url: str | None = None) -> Iterator[Found]:
    """Resources in a Bundle, a Parameters wrapper or a single resource, each element
    type-checked: anything that is not what FHIR says is a 422 naming its FHIR path."""
    doc = _object(doc, path)
    rtype = doc.get("resourceType")
    if rtype is None:
        raise InvalidInput(f"{path}.resourceType", "is required: a FHIR resource names its type")
    if not isinstance(rtype, str) or not _RESOURCE_TYPE.fullmatch(rtype):
        raise InvalidInput(f"{path}.resourceType", f"{show(rtype)} is not a FHIR resource type")
    if rtype == "Bundle":
        for i, entry in enumerate(_array(doc.get("entry"), f"{path}.entry")):
            where = f"{path}.entry[{i}]"
            entry = _object(entry, where)
            _check(entry.get("fullUrl"), _STRING, f"{where}.fullUrl")
            if entry.get("resource") is not None:
                yield from find_resources(
                    entry["resource"], f"{where}.resource", entry.get("fullUrl")
                )
    elif rtype == "Parameters":
        yield from _parameter_resources(doc.get("parameter"), f"{path}.parameter")
    else:
        if "id" in doc and rtype != "Patient":  # a Patient's id is checked with its own words
            _check(doc["id"], _STRING, f"{path}.id")
        _check(doc, {**_COMMON, **_FIELDS.get(rtype, {})}, path)
        yield Found(path, doc, full_url)


def _parameter_resources(params: Any, path: str) -> Iterator[Found]:
    for i, param in enumerate(_array(params, path)):
        where = f"{path}[{i}]"
        param = _object(param, where)
        _check(param, {"name": _STRING, "valueCode": _STRING, "valueString": _STRING}, where)
        if param.get("resource") is not None:
            yield from find_resources(param["resource"], f"{where}.resource")
        if param.get("part") is not None:
            yield from _parameter_resources(param["part"], f"{where}.part")


def codings(concept: Any) -> list[dict[str, Any]]:
    """A (type-checked) CodeableConcept's codings."""
    if not isinstance(concept, dict):
        return []
    return [c for c in concept.get("coding") or [] if isinstance(c, dict)]


def root_path(doc: Any) -> str:
    """The FHIR path of a posted resource: its type (``Bundle``), else empty."""
    rtype = doc.get("resourceType") if isinstance(doc, dict) else None
    return rtype if isinstance(rtype, str) and _RESOURCE_TYPE.fullmatch(rtype) else ""
