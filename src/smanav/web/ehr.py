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
from ..kb import KnowledgeBase
from ..models import CareDomain, Concept
from .app import get_kb
from .templating import concept_url, json_response

__all__ = ["cards_from_plan", "profile_from_fhir", "router"]

FHIR_JSON = "application/fhir+json"
SERVICE_ID = "smanav-patient-view"

#: ICD-10 codes for SMA: G12.0 is type 1; G12.1 covers types 2, 3 and 4 (type unknown).
ICD10_SMA = {"G12.0": 1, "G12.1": None, "G12.9": None}

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


def _observation(obs: dict[str, Any], profile: dict[str, Any], notes: list[str]) -> None:
    labels = " ".join(_labels(obs.get("code"))).lower()
    if "smn2" in labels:
        value = obs.get("valueInteger")
        if value is None and isinstance(obs.get("valueQuantity"), dict):
            value = obs["valueQuantity"].get("value")
        if value is None and isinstance(obs.get("valueString"), str):
            value = obs["valueString"].strip()
        if value is None:
            notes.append("An SMN2 copy-number Observation has no value; it was not used.")
        else:
            profile["smn2_copies"] = value
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


def _medication(
    kb: KnowledgeBase, med: dict[str, Any], profile: dict[str, Any], notes: list[str]
) -> None:
    status = str(med.get("status", "active"))
    if status in ("entered-in-error", "not-taken", "stopped", "cancelled"):
        return
    concept_field = med.get("medicationCodeableConcept")
    if concept_field is None and isinstance(med.get("medication"), dict):
        concept_field = med["medication"].get("concept")  # FHIR R5
    labels = _labels(concept_field)
    if not labels:
        notes.append("A MedicationStatement names no medicine; it was not used.")
        return
    concept = next((c for c in map(kb.lookup, labels) if c is not None), None)
    if concept is None:
        notes.append(f"{labels[0]} is not in the smanav knowledge base; it was not used.")
        return
    if status == "completed" and concept.domain == CareDomain.disease_modifying:
        key = "prior_treatments"
    else:
        key = "medications"
    if concept.id not in profile.setdefault(key, []):
        profile[key].append(concept.id)


def profile_from_fhir(
    doc: Any, kb: KnowledgeBase, today: dt.date | None = None
) -> tuple[dict[str, Any] | None, list[str]]:
    """(profile, notes) from FHIR resources; profile is None when no SMA condition is found.

    Notes say, in words, what was read but not used, so nothing is dropped silently.
    """
    today = today or dt.date.today()
    profile: dict[str, Any] = {}
    notes: list[str] = []
    patient: dict[str, Any] | None = None
    sma, types = False, set[int]()
    for res in _resources(doc):
        rtype = res["resourceType"]
        if rtype == "Patient":
            patient = res
        elif rtype == "Condition" and _is_current(res):
            is_sma, sma_type = _sma_type(kb, res.get("code"))
            if is_sma:
                sma = True
                if sma_type is not None:
                    types.add(sma_type)
                continue
            symptom = next(
                (c for c in map(kb.lookup, _labels(res.get("code"))) if c is not None), None
            )
            if symptom is not None and symptom.kind == "symptom":
                profile.setdefault("symptoms", []).append(symptom.id)
        elif rtype == "Observation" and res.get("status") not in ("entered-in-error", "cancelled"):
            _observation(res, profile, notes)
        elif rtype in ("MedicationStatement", "MedicationRequest"):
            _medication(kb, res, profile, notes)
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
    "non-sitter / sitter / walker; MedicationStatements give current and past medicines.",
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
    """CDS Hooks cards: one overview, then one per caution; all 'info', all cited."""
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
