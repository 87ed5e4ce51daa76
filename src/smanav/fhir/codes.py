"""Code systems, value sets and smanav's own codes: what the FHIR output uses and the
FHIR input reads, and the check of required codes fhir.resources does not enforce."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ..errors import SmanavError

__all__ = [
    "BASE",
    "EU_COUNTRIES",
    "EXT",
    "PROFILE_CODES",
    "REQUIRED_CODES",
    "SYSTEMS",
    "check_codes",
    "codeable_concept",
    "validate",
]

#: Canonical base for smanav's own definitions (an example domain: nothing is served there).
BASE = "https://smanav.example.org/fhir"
EXT = f"{BASE}/StructureDefinition"
SUBJECT_DISPLAY = "Patient (not stored)"

SYSTEMS = {
    "ATC": "http://www.whocc.no/atc",
    "RxNorm": "http://www.nlm.nih.gov/research/umls/rxnorm",
    "SNOMED CT": "http://snomed.info/sct",
    "HPO": "http://human-phenotype-ontology.org",
    "MONDO": "http://purl.obolibrary.org/obo/mondo.owl",
    "ICD-10": "http://hl7.org/fhir/sid/icd-10",
    "ICD-10-CM": "http://hl7.org/fhir/sid/icd-10-cm",
    "OMIM": "https://omim.org",
    "Orphanet": "http://www.orpha.net",
    "MeSH": "http://id.nlm.nih.gov/mesh",
    "UMLS": "http://www.nlm.nih.gov/research/umls",
}

#: Required bindings fhir.resources does not enforce (R4B value sets).
REQUIRED_CODES: dict[str, frozenset[str]] = {
    "CarePlan.status": frozenset(
        {"draft", "active", "on-hold", "revoked", "completed", "entered-in-error", "unknown"}
    ),
    "CarePlan.intent": frozenset({"proposal", "plan", "order", "option"}),
    "CarePlan.activity.detail.status": frozenset(
        {
            "not-started",
            "scheduled",
            "in-progress",
            "on-hold",
            "completed",
            "cancelled",
            "stopped",
            "unknown",
            "entered-in-error",
        }
    ),
    "CarePlan.activity.detail.kind": frozenset(
        {
            "Appointment",
            "CommunicationRequest",
            "DeviceRequest",
            "MedicationRequest",
            "NutritionOrder",
            "Task",
            "ServiceRequest",
            "VisionPrescription",
        }
    ),
    "Narrative.status": frozenset({"generated", "extensions", "additional", "empty"}),
    "PlanDefinition.status": frozenset({"draft", "active", "retired", "unknown"}),
    "PlanDefinition.action.condition.kind": frozenset({"applicability", "start", "stop"}),
    "RelatedArtifact.type": frozenset(
        {
            "documentation",
            "justification",
            "citation",
            "predecessor",
            "successor",
            "derived-from",
            "depends-on",
            "composed-of",
        }
    ),
    "Bundle.type": frozenset(
        {
            "document",
            "message",
            "transaction",
            "transaction-response",
            "batch",
            "batch-response",
            "history",
            "searchset",
            "collection",
        }
    ),
}

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
SUPPORT_RANK = {"none": 0, "night-niv": 1, "continuous-niv": 2, "tracheostomy": 3}

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


def codeable_concept(name: str, codes: list[dict[str, Any]]) -> dict[str, Any]:
    """A CodeableConcept: verified codes only (unverified ones are never passed on as fact)."""
    coding = [
        {"system": SYSTEMS[c["system"]], "code": c["code"]}
        for c in codes
        if c.get("status") == "verified" and c["system"] in SYSTEMS
    ]
    out: dict[str, Any] = {"text": name}
    if coding:
        out["coding"] = coding
    return out


def _walk(obj: Any, path: str) -> Iterator[tuple[str, Any]]:
    if isinstance(obj, dict):
        rtype = obj.get("resourceType")
        here = rtype if isinstance(rtype, str) else path
        for k, v in obj.items():
            yield from _walk(v, f"{here}.{k}")
    elif isinstance(obj, list):
        for v in obj:
            yield from _walk(v, path)
    else:
        yield path, obj


_CODE_PATHS = {
    "CarePlan.status": "CarePlan.status",
    "CarePlan.intent": "CarePlan.intent",
    "CarePlan.activity.detail.status": "CarePlan.activity.detail.status",
    "CarePlan.activity.detail.kind": "CarePlan.activity.detail.kind",
    "CarePlan.text.status": "Narrative.status",
    "PlanDefinition.status": "PlanDefinition.status",
    "PlanDefinition.action.condition.kind": "PlanDefinition.action.condition.kind",
    "PlanDefinition.relatedArtifact.type": "RelatedArtifact.type",
    "Bundle.type": "Bundle.type",
}


def check_codes(resource: dict[str, Any]) -> list[str]:
    """Problems with required codes (fhir.resources does not check them): [] when fine."""
    problems = []
    for path, value in _walk(resource, ""):
        binding = _CODE_PATHS.get(path)
        if binding and value not in REQUIRED_CODES[binding]:
            problems.append(f"{path}: {value!r} is not in the required value set")
    return problems


def validate(resource: dict[str, Any]) -> None:
    """Validate with fhir.resources' R4B models and the required codes; raise if invalid."""
    try:
        from fhir.resources.R4B import get_fhir_model_class
    except ImportError:
        raise SmanavError(
            "FHIR validation needs the fhir extra: pip install 'smanav[fhir]'"
        ) from None
    model = get_fhir_model_class(resource["resourceType"])
    model.model_validate(resource)
    problems = check_codes(resource)
    if problems:
        raise SmanavError("; ".join(problems))
