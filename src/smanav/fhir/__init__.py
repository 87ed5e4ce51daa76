"""FHIR R4 and CDS Hooks beside an electronic health record, as a library.

Out: a plan as a CarePlan (``care_plan``), the planning rules as PlanDefinitions
(``plan_definitions``), CDS Hooks cards (``cards_from_plan``). In: a Bundle, a
Parameters or single resources read into a profile (``profile_from_fhir``,
``read_fhir``). Plain dicts throughout; fhir.resources (the ``fhir`` extra, its R4B
models) validates them in the tests and in ``validate``. No web framework is needed:
the web app only routes to these functions, and ``smanav plan --fhir FILE`` uses them.
"""

from __future__ import annotations

from .careplan import ACTIVITY_STATUS, care_plan
from .cds import DISCOVERY, SERVICE_ID, cards_from_plan, patient_view, prefetched
from .checks import check_id, check_json
from .codes import (
    BASE,
    EXT,
    REQUIRED_CODES,
    SUBJECT_DISPLAY,
    SYSTEMS,
    check_codes,
    codeable_concept,
    validate,
)
from .plandefinition import plan_definitions
from .read import (
    care_plan_for,
    care_plan_from_fhir,
    load_fhir,
    plan_from_fhir,
    profile_from_fhir,
    read_fhir,
)

__all__ = [
    "ACTIVITY_STATUS",
    "BASE",
    "DISCOVERY",
    "EXT",
    "REQUIRED_CODES",
    "SERVICE_ID",
    "SUBJECT_DISPLAY",
    "SYSTEMS",
    "care_plan",
    "care_plan_for",
    "care_plan_from_fhir",
    "cards_from_plan",
    "check_codes",
    "check_id",
    "codeable_concept",
    "check_json",
    "load_fhir",
    "patient_view",
    "plan_definitions",
    "plan_from_fhir",
    "prefetched",
    "profile_from_fhir",
    "read_fhir",
    "validate",
]
