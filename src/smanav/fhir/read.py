"""FHIR resources → a smanav profile: one patient's Bundle, Parameters or resources.

A Patient, Conditions, Observations, Procedures, devices and medicine statements
become a profile (the mapping is documented in the README, "FHIR input"); the plan
is then made by ``smanav.plan.make_plan``. Nothing is stored: the profile lives for
one call. Needs no web framework, so ``smanav plan --fhir FILE`` reads the same way
as the ``/fhir/CarePlan/$generate`` and CDS Hooks endpoints.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from ..errors import InvalidInput
from ..kb import KnowledgeBase
from .checks import MAX_DEPTH, Found, check_id, check_json, find_resources, kind_of, root_path, show
from .codes import EU_COUNTRIES, SNOMED_PREGNANT
from .record import (
    Record,
    age_in_months,
    birth_date,
    codes_in,
    concept_labels,
    concept_words,
    effective_date,
    is_current,
    organ_condition,
    read_medication,
    read_observation,
    read_procedure,
    sma_condition,
    support_from_words,
)

__all__ = [
    "care_plan_for",
    "care_plan_from_fhir",
    "load_fhir",
    "plan_from_fhir",
    "profile_from_fhir",
    "read_fhir",
]


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
                                    f"is a second region, {show(param[key])}, after "
                                    f"{show(found[1])} at {found[0]}: give one region",
                                )
                            found = (f"{path}.parameter[{i}].{key}", param[key])
                            break
    return None if found is None else found[1]


def _one_patient(
    found: list[Found], wanted: str | None, wanted_at: str
) -> tuple[Found, str | None]:
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
                f"is {show(pid)}, but {wanted_at} is {show(wanted)}: the answer would be "
                "about another person",
            )
        pid = wanted
    return first, pid


_HISTORY = re.compile(r"/_history/[^/]*$")


def _about_the_patient(found: list[Found], patient: Found, pid: str | None) -> None:
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
                f"is {show(target)}, not {whom}: smanav reads only resources about the one "
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
        [(f"[{i}]", d) for i, d in enumerate(doc)]
        if isinstance(doc, list)
        else [(root_path(doc), doc)]
    )
    for path, d in docs:
        check_json(d, path)
    profile, notes, _ = read_fhir(docs, kb, today)
    return profile, notes


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
    rec = Record()
    profile, notes = rec.profile, rec.notes
    sma, types = False, set[int]()
    found = [f for path, d in docs for f in find_resources(d, path)]
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
        if rtype == "Condition" and is_current(res):
            code = res.get("code")
            is_sma, sma_type = sma_condition(kb, code)
            if is_sma:
                sma = True
                if sma_type is not None:
                    types.add(sma_type)
                continue
            if SNOMED_PREGNANT in codes_in(code, "snomed") or concept_words(code) == "pregnancy":
                rec.pregnancy.append((effective_date(res), "pregnant"))
                continue
            organ = organ_condition(code)
            if organ is not None:
                profile[organ] = True
                continue
            level = support_from_words(concept_words(code))
            if level is not None:
                rec.breathing(level)
                continue
            symptom = next((c for c in map(kb.lookup, concept_labels(code)) if c is not None), None)
            if symptom is not None and symptom.kind == "symptom":
                profile.setdefault("symptoms", []).append(symptom.id)
        elif rtype == "Observation" and res.get("status") not in ("entered-in-error", "cancelled"):
            read_observation(res, rec, f.path)
        elif rtype in ("MedicationStatement", "MedicationRequest", "MedicationUsage"):
            read_medication(kb, res, rec, medicines)
        elif rtype in ("Procedure", "DeviceUseStatement", "DeviceUsage", "DeviceRequest"):
            read_procedure(res, rec)
    born_at = f"{patient_found.path}.birthDate"
    profile["age_months"] = age_in_months(
        birth_date(patient.get("birthDate"), born_at), today, born_at
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
                    f"The patient's address country is {show(country)}: smanav holds US (FDA) "
                    "and EU (EMA) labels only, and used the US labels."
                )
    return profile, notes, pid


#: What a FHIR input must hold for a plan: a current Condition that codes SMA.
NO_SMA = (
    "no current Condition codes spinal muscular atrophy (ICD-10 G12.0, G12.1, G12.9 "
    "or the SNOMED CT codes smanav knows)"
)


def plan_from_fhir(
    doc: Any, kb: KnowledgeBase, today: dt.date | None = None
) -> tuple[dict[str, Any], list[str], str | None]:
    """(plan, notes, the Patient's id) for one posted or saved FHIR document; a document
    with no current SMA Condition is an ``InvalidInput`` (nothing to plan for)."""
    from ..plan import make_plan

    root = root_path(doc)
    check_json(doc, root)
    profile, notes, pid = read_fhir([(root, doc)], kb, today)
    if profile is None:
        raise InvalidInput("Condition", NO_SMA)
    return make_plan(profile, kb), notes, pid  # make_plan validates with this kb


def care_plan_from_fhir(
    doc: Any, kb: KnowledgeBase, today: dt.date | None = None
) -> dict[str, Any]:
    """A CarePlan for one FHIR document (see ``care_plan_for``)."""
    return care_plan_for(*plan_from_fhir(doc, kb, today))


def care_plan_for(plan: dict[str, Any], notes: list[str], pid: str | None) -> dict[str, Any]:
    """The plan's CarePlan about the record's Patient, with the notes on what was read
    from the record but not used."""
    from .careplan import care_plan

    result = care_plan(plan)
    if pid is not None:
        result["subject"] = {**result.get("subject", {}), "reference": f"Patient/{pid}"}
    if notes:
        result.setdefault("note", []).extend({"text": n} for n in notes)
    return result


#: Digits of the longest integer read (FHIR's integer64 has 19; Python refuses over 4,300).
MAX_DIGITS = 30


class _Refused(ValueError):
    """A JSON constant FHIR never holds (NaN, Infinity)."""


def _refuse(text: str) -> Any:
    raise _Refused(f"holds {text}, which is not a JSON number")


def _whole(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_DIGITS:
        raise _Refused(f"holds an integer of {digits} digits, which no FHIR element holds")
    return int(text)


def load_fhir(raw: bytes, name: str, field: str = "body") -> Any:
    """A FHIR JSON document from bytes (a file), refused with a sentence naming ``field``
    and ``name`` when it is not UTF-8, not JSON, nested too deeply, or not a Bundle or
    Parameters: never a traceback."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(field, f"{name} is not UTF-8 text (a binary file?)") from None
    try:
        doc = json.loads(text, parse_int=_whole, parse_constant=_refuse)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            field, f"{name} is not valid JSON (line {exc.lineno}, column {exc.colno})"
        ) from None
    except _Refused as exc:
        raise InvalidInput(field, f"{name} {exc}") from None
    except RecursionError:
        raise InvalidInput(field, f"{name} nests deeper than {MAX_DEPTH} levels") from None
    if not isinstance(doc, dict):
        raise InvalidInput(field, f"{name} holds {kind_of(doc)}, not a FHIR Bundle (an object)")
    rtype = doc.get("resourceType")
    if rtype not in ("Bundle", "Parameters"):
        said = f"a FHIR {show(rtype)} resource" if isinstance(rtype, str) else "no resourceType"
        raise InvalidInput(
            field,
            f"{name} holds {said}, not a Bundle or Parameters: give the patient's record as a "
            "Bundle with a Patient, Conditions, Observations and medicines",
        )
    return doc
