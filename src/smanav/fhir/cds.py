"""CDS Hooks 2.0: the patient-view service's discovery entry, reading its request (the
prefetched record) and the cards it answers with, each cited."""

from __future__ import annotations

import hashlib
from typing import Any

from ..citations import concept_url, escape_markdown, source_when
from ..errors import InvalidInput
from ..kb import KnowledgeBase
from .checks import check_id, check_json, key_path, kind_of, show

__all__ = [
    "DISCOVERY",
    "SERVICE_ID",
    "cards_from_plan",
    "patient_view",
    "prefetched",
]

SERVICE_ID = "smanav-patient-view"

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


def _short(text: str, limit: int = 139) -> str:
    """CDS Hooks wants summaries under 140 characters."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _source_of(kb: KnowledgeBase, option: dict[str, Any], base: str) -> dict[str, str]:
    for ev in option.get("evidence") or []:
        src = kb.sources.get(ev.get("source", ""))
        if src is not None:
            # Ingested sources are untrusted: only a web address becomes a link in the EHR.
            web = src.url if src.url and src.url.startswith(("https://", "http://")) else None
            when = source_when(kb.source_fields(src.id))
            label = f"{src.title} ({src.publisher}, {when})"
            return {"label": label, "url": web or f"{base}/sources"}
    return {"label": "smanav (SMA Navigator)", "url": f"{base}/sources"}


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
            lines.append(f"- **{escape_markdown(o['name'])}**: {escape_markdown(reason)}")
        lines.append("")
    lines.append(
        f"**{escape_markdown(region_line(plan))}**: who may receive a treatment, and its cautions, "
        "follow this region's labels."
    )
    lines.append("")
    meds = medicines_lines(plan)
    if meds["checked"] or meds["not_checked"]:
        lines.append("### Current medicines")
        lines.append(
            "- Checked against the label facts smanav holds: "
            + (escape_markdown(", ".join(meds["checked"])) or "none")
        )
        lines.append(
            "- **Not checked** (smanav holds no interaction facts for them): "
            + (escape_markdown(", ".join(meds["not_checked"])) or "none")
        )
        lines.append("")
    if plan.get("questions"):
        lines.append("### Questions for the care team")
        lines += [f"- {escape_markdown(q)}" for q in plan["questions"]]
    if notes:
        lines.append("")
        lines.append("### Not used from the record")
        lines += [f"- {escape_markdown(n)}" for n in notes]
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
                "detail": escape_markdown(meds["note"]),
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
                    "detail": escape_markdown(text),
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


def prefetched(body: dict[str, Any]) -> tuple[list[tuple[str, Any]], str | None]:
    """The prefetched resources with their paths, and context.patientId, checked: a wrong
    shape is a 422 (``read_fhir`` then checks that they are about that one patient).

    CDS Hooks lets the EHR send null for a prefetch it could not fill; anything else
    that is not a resource or a Bundle would otherwise be dropped without a word.
    """
    context = body.get("context")
    if context is not None and not isinstance(context, dict):
        raise InvalidInput("context", f"is {kind_of(context)}, not an object")
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
                key_path("prefetch", key),
                "is not a FHIR resource or Bundle (nor null, if not found)",
            )
    person = prefetch["patient"]
    if person.get("resourceType") != "Patient":
        raise InvalidInput(
            "prefetch.patient", f"is {show(person.get('resourceType'))}, not a FHIR Patient"
        )
    docs = [(key_path("prefetch", k), v) for k, v in prefetch.items() if v is not None]
    return docs, wanted


def patient_view(body: dict[str, Any], kb: KnowledgeBase, base: str) -> dict[str, Any]:
    """The answer to a CDS Hooks patient-view request: cards for the prefetched record
    (none when it holds no SMA Condition). ``base`` is where the cards' links point."""
    from ..plan import make_plan
    from .read import read_fhir

    check_json(body, "")
    hook = body.get("hook")
    if hook is not None and not isinstance(hook, str):
        raise InvalidInput("hook", f"is {kind_of(hook)}, not a string")
    if hook not in (None, "patient-view"):
        raise InvalidInput("hook", f"{show(hook)}: this service answers patient-view")
    docs, wanted = prefetched(body)
    profile, notes, _ = read_fhir(docs, kb, patient_id=wanted)
    if profile is None:
        return {"cards": []}
    plan = make_plan(profile, kb)  # validates with this kb (parse_profile)
    return {"cards": cards_from_plan(plan, kb, base, notes)}
