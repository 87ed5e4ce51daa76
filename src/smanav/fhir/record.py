"""What a patient's FHIR resources say, one resource at a time: Conditions, Observations,
Procedures, devices and medicines, collected into a ``Record`` that ``read`` turns into
a profile. Anything read but not used becomes a note in words, never dropped silently.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from ..errors import InvalidInput
from ..kb import KnowledgeBase
from ..models import CareDomain, Concept
from .checks import codings, kind_of, show
from .codes import (
    ICD10_KIDNEY,
    ICD10_LIVER,
    ICD10_SMA,
    LOINC_BODY_WEIGHT,
    LOINC_BREASTFEEDING,
    LOINC_PREGNANCY,
    PROFILE_CODES,
    SNOMED_BREASTFEEDING,
    SNOMED_KIDNEY,
    SNOMED_LIVER,
    SNOMED_NIV,
    SNOMED_NOT_PREGNANT,
    SNOMED_PREGNANT,
    SNOMED_TRACHEOSTOMY,
    SNOMED_TUBE_FEEDING,
    SUPPORT_RANK,
)


def concept_labels(concept: Any) -> list[str]:
    """Human labels of a CodeableConcept: its text, then each coding's display."""
    if not isinstance(concept, dict):
        return []
    out = [concept["text"]] if isinstance(concept.get("text"), str) else []
    out += [c["display"] for c in codings(concept) if isinstance(c.get("display"), str)]
    return out


def birth_date(value: Any, path: str) -> dt.date:
    if value is None:
        raise InvalidInput(path, "is required: the age comes from it")
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", value):
        raise InvalidInput(path, f"{show(value)} is not a FHIR date (YYYY-MM-DD)")
    parts = [int(p) for p in value.split("-")] + [1, 1]
    try:
        return dt.date(parts[0], parts[1], parts[2])
    except ValueError:
        raise InvalidInput(path, f"{show(value)} is not a calendar date") from None


def age_in_months(born: dt.date, today: dt.date, path: str) -> int:
    months = (today.year - born.year) * 12 + (today.month - born.month)
    if today.day < born.day:
        months -= 1
    if months < 0:
        raise InvalidInput(path, f"{born.isoformat()} is in the future")
    return months


def is_current(resource: dict[str, Any]) -> bool:
    """Refuted, entered-in-error, resolved or inactive conditions do not count."""
    for key, bad in (
        ("verificationStatus", {"refuted", "entered-in-error"}),
        ("clinicalStatus", {"inactive", "resolved", "remission"}),
    ):
        codes = {c.get("code") for c in codings(resource.get(key))}
        if codes & bad:
            return False
    return True


def sma_condition(kb: KnowledgeBase, code: Any) -> tuple[bool, int | None]:
    """(is SMA, its type if the code says) for a Condition.code."""
    found, types = False, set[int]()
    for c in codings(code):
        system, value = str(c.get("system", "")).lower(), str(c.get("code", "")).upper()
        if "icd-10" in system and value in ICD10_SMA:
            found = True
            known = ICD10_SMA[value]
            if known is not None:
                types.add(known)
        if "snomed" in system:
            for concept in _by_code(kb, "SNOMED CT", value):
                found, types = _note_concept(concept, found, types)
    for label in concept_labels(code):
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


def codes_in(concept: Any, system_word: str) -> set[str]:
    """The codes of a CodeableConcept in systems whose URL contains ``system_word``."""
    return {
        str(c.get("code", "")).strip().upper()
        for c in codings(concept)
        if system_word in str(c.get("system", "")).lower()
    }


def concept_words(concept: Any) -> str:
    return " ".join(concept_labels(concept)).lower()


def _own_code(concept: Any) -> str | None:
    """smanav's profile code of an Observation (PROFILE_CODES), or None."""
    for c in codings(concept):
        if str(c.get("system", "")) == PROFILE_CODES and isinstance(c.get("code"), str):
            return str(c["code"])
    return None


def _text_value(obs: dict[str, Any]) -> str | None:
    """An Observation's value as a word: valueCode, valueString or the concept's code/label."""
    for key in ("valueCode", "valueString"):
        if isinstance(obs.get(key), str):
            return str(obs[key]).strip()
    value = obs.get("valueCodeableConcept")
    for c in codings(value):
        if isinstance(c.get("code"), str) and str(c.get("system", "")) == PROFILE_CODES:
            return str(c["code"])
    labels = concept_labels(value)
    return labels[0] if labels else None


_KG_PER_UNIT = {"kg": 1.0, "g": 0.001, "[lb_av]": 0.45359237, "lb": 0.45359237, "lbs": 0.45359237}


def _weight_kg(obs: dict[str, Any]) -> tuple[float | None, str | None]:
    """(kilograms, problem) from a body-weight Observation's valueQuantity."""
    q = obs.get("valueQuantity")
    if not isinstance(q, dict) or isinstance(q.get("value"), bool):
        return None, "has no valueQuantity"
    value = q.get("value")
    if not isinstance(value, int | float):
        return None, f"has a value that is {kind_of(value)}, not a number"
    unit = str(q.get("code") or q.get("unit") or "kg").strip()
    factor = _KG_PER_UNIT.get(unit) or _KG_PER_UNIT.get(unit.lower())
    if factor is None:
        return None, f"is in {show(unit)}, not kg, g or [lb_av]"
    return round(float(value) * factor, 2), None


class Record:
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
        if self.support is None or SUPPORT_RANK[level] > SUPPORT_RANK[self.support]:
            self.support = level


def effective_date(res: dict[str, Any]) -> str:
    for key in ("effectiveDateTime", "issued", "recordedDate", "dateAsserted", "performedDateTime"):
        if isinstance(res.get(key), str):
            return str(res[key])
    period = res.get("effectivePeriod") or res.get("performedPeriod")
    if isinstance(period, dict) and isinstance(period.get("start"), str):
        return str(period["start"])
    return ""


def support_from_words(words: str) -> str | None:
    """Breathing support named in a procedure's, device's or observation's words."""
    if re.search(r"tracheost|tracheot|\btrach\b", words):
        return "tracheostomy"
    if re.search(r"non-?invasive ventilation|\bniv\b|bipap|bi-?level|\bbpap\b|\bcpap\b", words):
        continuous = re.search(r"continuous|24 ?h|day and night|daytime|full[- ]time", words)
        return "continuous-niv" if continuous else "night-niv"
    return None


def read_observation(obs: dict[str, Any], rec: Record, path: str) -> None:
    profile, notes = rec.profile, rec.notes
    code = obs.get("code")
    labels = concept_words(code)
    loinc = codes_in(code, "loinc")
    own = _own_code(code)
    if loinc & LOINC_BODY_WEIGHT or own == "weight" or labels in ("body weight", "weight"):
        kg, problem = _weight_kg(obs)
        if kg is None:
            notes.append(f"A body-weight Observation {problem}; it was not used.")
        else:
            rec.weights.append((effective_date(obs), kg))
        return
    if LOINC_PREGNANCY in loinc or own == "pregnancy" or labels == "pregnancy status":
        answer = obs.get("valueCodeableConcept")
        snomed = codes_in(answer, "snomed")
        text = (_text_value(obs) or "").lower()
        if SNOMED_PREGNANT in snomed or text in ("pregnant", "yes"):
            rec.pregnancy.append((effective_date(obs), "pregnant"))
        elif SNOMED_NOT_PREGNANT in snomed or text in ("no", "not pregnant"):
            rec.pregnancy.append((effective_date(obs), "no"))
        elif text in ("planning", "breastfeeding"):
            rec.pregnancy.append((effective_date(obs), text))
        else:
            notes.append(
                f"A pregnancy-status Observation answers {show(text or '(no value)')}, not "
                "pregnant or not pregnant; it was not used."
            )
        return
    if LOINC_BREASTFEEDING in loinc or own == "breastfeeding":
        answer = obs.get("valueCodeableConcept")
        text = (_text_value(obs) or "").lower()
        if codes_in(answer, "snomed") & SNOMED_BREASTFEEDING or (
            "breast" in text and "not" not in text
        ):
            rec.pregnancy.append((effective_date(obs), "breastfeeding"))
        return
    if own == "breathing-support" or labels == "breathing support":
        value = (_text_value(obs) or "").strip().lower()
        if value in SUPPORT_RANK:
            rec.breathing(value)
        else:
            level = support_from_words(value)
            if level is None and value not in ("", "none"):
                notes.append(
                    f"Breathing-support Observation {show(value)} is not one of none, night-niv, "
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
                f"Feeding Observation {show(value)} is not mouth or tube; it was not used."
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
        texts = concept_labels(obs.get("valueCodeableConcept"))
        if isinstance(obs.get("valueString"), str):
            texts.append(obs["valueString"])
        for text in texts:
            status = _functional(text)
            if status:
                profile["functional_status"] = status
                return
        shown = " / ".join(show(t) for t in texts[:3])
        notes.append(
            f"Functional-status Observation {shown or '(no value)'} "
            "is not one of non-sitter, sitter, walker; it was not used."
        )


def read_procedure(res: dict[str, Any], rec: Record) -> None:
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
        snomed |= codes_in(concept, "snomed")
        words += concept_labels(concept)
        if isinstance(concept, dict) and isinstance(concept.get("display"), str):
            words.append(concept["display"])  # a Reference's display
    text = " ".join(words).lower()
    if snomed & SNOMED_TRACHEOSTOMY:
        rec.breathing("tracheostomy")
    elif snomed & SNOMED_NIV:
        rec.breathing(support_from_words(text + " niv") or "night-niv")
    else:
        level = support_from_words(text)
        if level is not None:
            rec.breathing(level)
    if snomed & SNOMED_TUBE_FEEDING or re.search(
        r"gastrostom|g-tube|\bpeg\b|feeding tube|tube feed|nasogastric|\bng tube|jejunostom", text
    ):
        rec.feeding = "tube"


def organ_condition(code: Any) -> str | None:
    """liver_disease or kidney_disease when a Condition codes one (README, FHIR input)."""
    icd = codes_in(code, "icd-10")
    snomed = codes_in(code, "snomed")
    words = concept_words(code)
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
    labels = [" ".join(x.split()) for x in concept_labels(concept_field) if x.strip()]
    for c in codings(concept_field):
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


def read_medication(
    kb: KnowledgeBase, med: dict[str, Any], rec: Record, medicines: dict[str, dict[str, Any]]
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
