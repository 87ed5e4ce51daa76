"""Beside an electronic health record: FHIR PlanDefinition / CarePlan and CDS Hooks 2.0.

A FHIR Patient, Conditions, Observations and MedicationStatements become a smanav
profile (``profile_from_fhir``); the plan comes from ``smanav.plan.make_plan`` and is
shaped as a CarePlan by ``smanav.fhir.care_plan`` or as CDS Hooks cards here.
Nothing from the request is stored: the profile lives for one request.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Body, Request
from fastapi.responses import Response

from ..errors import InvalidInput
from ..fhir import BASE
from ..kb import KnowledgeBase
from ..models import CareDomain, Concept
from .app import get_kb
from .templating import concept_url, json_response

__all__ = ["cards_from_plan", "profile_from_fhir", "router"]

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


# --- FHIR resources → a profile ------------------------------------------------------
def _resources(doc: Any) -> Iterator[dict[str, Any]]:
    """Resources in a Bundle, a Parameters wrapper, a list, or a single resource."""
    if isinstance(doc, list):
        for item in doc:
            yield from _resources(item)
        return
    if not isinstance(doc, dict):
        return
    rtype = doc.get("resourceType")
    if rtype == "Bundle":
        for entry in doc.get("entry") or []:
            if isinstance(entry, dict):
                yield from _resources(entry.get("resource"))
    elif rtype == "Parameters":
        for param in doc.get("parameter") or []:
            if isinstance(param, dict):
                yield from _resources(param.get("resource"))
    elif isinstance(rtype, str):
        yield doc


def _codings(concept: Any) -> list[dict[str, Any]]:
    if not isinstance(concept, dict):
        return []
    return [c for c in concept.get("coding") or [] if isinstance(c, dict)]


def _labels(concept: Any) -> list[str]:
    """Human labels of a CodeableConcept: its text, then each coding's display."""
    if not isinstance(concept, dict):
        return []
    out = [concept["text"]] if isinstance(concept.get("text"), str) else []
    out += [c["display"] for c in _codings(concept) if isinstance(c.get("display"), str)]
    return out


def _birth_date(value: Any) -> dt.date:
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", value):
        raise InvalidInput("Patient.birthDate", f"{value!r} is not a FHIR date (YYYY-MM-DD)")
    parts = [int(p) for p in value.split("-")] + [1, 1]
    try:
        return dt.date(parts[0], parts[1], parts[2])
    except ValueError:
        raise InvalidInput("Patient.birthDate", f"{value!r} is not a calendar date") from None


def _age_months(born: dt.date, today: dt.date) -> int:
    months = (today.year - born.year) * 12 + (today.month - born.month)
    if today.day < born.day:
        months -= 1
    if months < 0:
        raise InvalidInput("Patient.birthDate", f"{born.isoformat()} is in the future")
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
        return None, f"has a value {value!r} that is not a number"
    unit = str(q.get("code") or q.get("unit") or "kg").strip()
    factor = _KG_PER_UNIT.get(unit) or _KG_PER_UNIT.get(unit.lower())
    if factor is None:
        return None, f"is in {unit!r}, not kg, g or [lb_av]"
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


def _observation(obs: dict[str, Any], rec: _Record) -> None:
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
                f"A pregnancy-status Observation answers {text or '(no value)'!r}, not "
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
                    f"Breathing-support Observation {value!r} is not one of none, night-niv, "
                    "continuous-niv, tracheostomy; it was not used."
                )
            rec.breathing(level or "none")
        return
    if own == "feeding" or labels == "feeding":
        value = (_text_value(obs) or "").strip().lower()
        if value in ("mouth", "tube"):
            rec.feeding = "tube" if rec.feeding == "tube" else value
        else:
            notes.append(f"Feeding Observation {value!r} is not mouth or tube; it was not used.")
        return
    if "smn2" in labels:
        copies = obs.get("valueInteger")
        if copies is None and isinstance(obs.get("valueQuantity"), dict):
            copies = obs["valueQuantity"].get("value")
        if copies is None and isinstance(obs.get("valueString"), str):
            copies = obs["valueString"].strip()
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
        notes.append(
            f"Functional-status Observation {' / '.join(texts) or '(no value)'} "
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
    if isinstance(res.get("device"), dict) and isinstance(res["device"].get("concept"), dict):
        concepts.append(res["device"]["concept"])  # R5 DeviceUsage
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


def _parameter_region(doc: Any) -> Any:
    """A Parameters resource's ``region`` parameter (valueCode or valueString), if any."""
    docs = doc if isinstance(doc, list) else [doc]
    for d in docs:
        if isinstance(d, dict) and d.get("resourceType") == "Parameters":
            for param in d.get("parameter") or []:
                if isinstance(param, dict) and param.get("name") == "region":
                    for key in ("valueCode", "valueString"):
                        if key in param:
                            return param[key]
    return None


def profile_from_fhir(
    doc: Any, kb: KnowledgeBase, today: dt.date | None = None
) -> tuple[dict[str, Any] | None, list[str]]:
    """(profile, notes) from FHIR resources; profile is None when no SMA condition is found.

    Notes say, in words, what was read but not used, so nothing is dropped silently.
    The mapping of each resource is documented in the README ("FHIR input").
    """
    from ..plan.profile import MIN_PREGNANCY_AGE_MONTHS

    today = today or dt.date.today()
    rec = _Record()
    profile, notes = rec.profile, rec.notes
    patient: dict[str, Any] | None = None
    sma, types = False, set[int]()
    resources = list(_resources(doc))
    medicines = {
        str(r["id"]): r for r in resources if r["resourceType"] == "Medication" and r.get("id")
    }
    for res in resources:
        rtype = res["resourceType"]
        if rtype == "Patient":
            patient = res
        elif rtype == "Condition" and _is_current(res):
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
            _observation(res, rec)
        elif rtype in ("MedicationStatement", "MedicationRequest", "MedicationUsage"):
            _medication(kb, res, rec, medicines)
        elif rtype in ("Procedure", "DeviceUseStatement", "DeviceUsage", "DeviceRequest"):
            _procedure(res, rec)
    if patient is None:
        raise InvalidInput("Patient", "the bundle has no Patient resource (the age comes from it)")
    profile["age_months"] = _age_months(_birth_date(patient.get("birthDate")), today)
    if not sma:
        return None, notes
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
    region = _parameter_region(doc)
    if region is not None:
        profile["region"] = region  # parse_profile names it when it is not US or EU
    else:
        found, country = _country_region(patient)
        if found is not None:
            profile["region"] = found
            if found == "US" and country and country.upper() not in ("US", "USA"):
                notes.append(
                    f"The patient's address country is {country}: smanav holds US (FDA) and "
                    "EU (EMA) labels only, and used the US labels."
                )
    return profile, notes


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
    "are checked, the others are listed in the CarePlan as not checked.",
)
async def generate_care_plan(
    request: Request, bundle: Annotated[dict[str, Any], Body(examples=[BUNDLE_EXAMPLE])]
) -> Response:
    from ..fhir import care_plan
    from ..plan import make_plan

    kb = get_kb(request)
    profile, notes = profile_from_fhir(bundle, kb)
    if profile is None:
        raise InvalidInput(
            "Condition",
            "no current Condition codes spinal muscular atrophy (ICD-10 G12.0, G12.1, G12.9 "
            "or the SNOMED CT codes smanav knows)",
        )
    plan = make_plan(profile, kb)  # validates with this kb (parse_profile)
    result = care_plan(plan)
    patient = next((r for r in _resources(bundle) if r["resourceType"] == "Patient"), {})
    if patient.get("id"):
        result["subject"] = {**result.get("subject", {}), "reference": f"Patient/{patient['id']}"}
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

    options = plan.get("options", [])
    by_status: dict[str, list[dict[str, Any]]] = {}
    for o in options:
        by_status.setdefault(o.get("status", "suggested"), []).append(o)
    suggested = by_status.get("suggested", [])
    blocked = by_status.get("not_eligible", [])
    review = by_status.get("needs_review", [])
    summary = _short(
        f"SMA: {len(suggested)} options to discuss, {len(review)} to review, "
        f"{len(blocked)} not eligible (cited; not advice)"
    )
    lines = [f"**{plan.get('disclaimer', '')}**", ""]
    for title, rows in (
        ("Options to discuss", suggested),
        ("Needs review", review),
        ("Not eligible", blocked),
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
        for o in suggested[:5]
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


def _prefetched(body: dict[str, Any]) -> list[Any]:
    """The prefetched resources, checked: a wrong shape or another patient is a 422.

    CDS Hooks lets the EHR send null for a prefetch it could not fill; anything else
    that is not a resource or a Bundle would otherwise be dropped without a word.
    """
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
                f"prefetch.{key}", "is not a FHIR resource or Bundle (nor null, if not found)"
            )
    person = prefetch["patient"]
    if person.get("resourceType") != "Patient":
        raise InvalidInput(
            "prefetch.patient", f"is a {person.get('resourceType')!r}, not a FHIR Patient"
        )
    context = body.get("context")
    wanted = context.get("patientId") if isinstance(context, dict) else None
    if wanted is not None and not isinstance(wanted, str):
        raise InvalidInput("context.patientId", "is not a FHIR id (a string)")
    if wanted is not None and person.get("id") not in (None, wanted):
        raise InvalidInput(
            "prefetch.patient",
            f"is Patient/{person.get('id')}, but context.patientId is {wanted!r}: the cards "
            "would be about another person",
        )
    return [v for v in prefetch.values() if v is not None]


@router.post(
    f"/cds-services/{SERVICE_ID}",
    tags=["cds-hooks"],
    summary="patient-view: SMA care-discussion cards from the prefetched record",
)
async def cds_patient_view(request: Request, body: Annotated[dict[str, Any], Body()]) -> Response:
    from ..plan import make_plan

    if body.get("hook") not in (None, "patient-view"):
        raise InvalidInput("hook", f"{body.get('hook')!r}: this service answers patient-view")
    kb = get_kb(request)
    profile, notes = profile_from_fhir(_prefetched(body), kb)
    if profile is None:
        return json_response({"cards": []})
    plan = make_plan(profile, kb)  # validates with this kb (parse_profile)
    base = (os.environ.get("SMANAV_BASE_URL") or str(request.base_url)).rstrip("/")
    response = json_response({"cards": cards_from_plan(plan, kb, base, notes)})
    response.headers["Cache-Control"] = "no-store"
    return response
