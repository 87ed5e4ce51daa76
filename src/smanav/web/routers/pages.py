"""The HTML pages; each also answers as JSON (``?format=json`` or ``.json``).

Handlers compute a page's dict with a library function and hand it to
``respond``; names that are not a page's canonical id (a brand, a synonym, a
lay term, a small typo) redirect to the canonical page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from ...browse import (
    SOURCES_MAX_PAGE,
    SOURCES_PAGE,
    home_view,
    show_concept,
    sources_view,
    symptoms_list,
    treatments_list,
)
from ...kb import KnowledgeBase
from ...models import INTERVENTION_KINDS, Concept
from ...settings import DISCLAIMER
from ..deps import get_kb
from ..errors import error_body, error_response
from ..templating import concept_url, respond, wants_json

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

KB = Depends(get_kb)


def page(path: str, methods: tuple[str, ...] = ("GET",)) -> Callable[[Any], Any]:
    """Register a handler at ``path`` and at its JSON twin (``path.json``)."""
    if "GET" in methods:  # link checkers and some assistive tools send HEAD first
        methods = (*methods, "HEAD")

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        twin = "/index.json" if path == "/" else f"{path}.json"
        # The twin first: '/treatments/{name}' would otherwise swallow 'x.json'.
        router.add_api_route(twin, fn, methods=list(methods))
        router.add_api_route(path, fn, methods=list(methods))
        return fn

    return register


def _canonical(request: Request, concept: Concept) -> RedirectResponse:
    url = concept_url(concept.id, concept.kind.value)
    if request.url.path.endswith(".json"):
        url += ".json"
    if request.url.query:
        url += "?" + request.url.query
    return RedirectResponse(url, status_code=301)


def _resolve(kb: KnowledgeBase, name: str) -> Concept:
    return kb.resolve(name, field="name")


@page("/")
async def home(request: Request, kb: KnowledgeBase = KB) -> Response:
    return respond(request, "home.html", home_view(kb))


@page("/treatments")
async def treatments(
    request: Request,
    kb: KnowledgeBase = KB,
    domain: str | None = Query(None, description="Only one care domain, e.g. breathing."),
) -> Response:
    data = treatments_list(kb, domain or None)
    return respond(request, "treatments.html", data)


@page("/treatments/{name}")
async def treatment(request: Request, name: str, kb: KnowledgeBase = KB) -> Response:
    concept = kb.concepts.get(name)
    if concept is None or concept.kind not in INTERVENTION_KINDS:
        return _canonical(request, _resolve(kb, name))
    return respond(request, "concept.html", show_concept(kb, concept.id))


@page("/symptoms")
async def symptoms(request: Request, kb: KnowledgeBase = KB) -> Response:
    return respond(request, "symptoms.html", symptoms_list(kb))


@page("/symptoms/{name}")
async def symptom(request: Request, name: str, kb: KnowledgeBase = KB) -> Response:
    concept = kb.concepts.get(name)
    if concept is None or concept.kind != "symptom":
        return _canonical(request, _resolve(kb, name))
    return respond(request, "symptom.html", show_concept(kb, concept.id))


@page("/concepts/{name}")
async def concept_page(request: Request, name: str, kb: KnowledgeBase = KB) -> Response:
    """Any concept by any name: conditions, genes and organisations live here."""
    concept = kb.concepts.get(name) or _resolve(kb, name)
    if concept.kind in INTERVENTION_KINDS or concept.kind == "symptom" or concept.id != name:
        return _canonical(request, concept)
    return respond(request, "concept.html", show_concept(kb, concept.id))


@page("/sources")
async def sources(
    request: Request,
    kb: KnowledgeBase = KB,
    limit: int = Query(SOURCES_PAGE, ge=1, le=SOURCES_MAX_PAGE, description="Sources per page."),
    offset: int = Query(0, ge=0, le=1_000_000, description="Sources to skip."),
) -> Response:
    path = "/sources.json" if wants_json(request) else "/sources"
    data = await run_in_threadpool(sources_view, kb, limit, offset, path)
    return respond(request, "sources.html", data)


NO_STORE = {"Cache-Control": "no-store"}


@page("/search")
def search_page(
    request: Request,
    kb: KnowledgeBase = KB,
    q: str = Query("", max_length=500, description="Words to look for."),
) -> Response:
    data: dict[str, Any] = {"query": q, "results": [], "disclaimer": DISCLAIMER}
    if q.strip():
        from ...search import search

        data = {**search(q, kb), "disclaimer": DISCLAIMER}
        data.setdefault("query", q)
    response = respond(request, "search.html", data)
    response.headers.update(NO_STORE)  # the words may be about a person
    return response


@page("/ask")
def ask_page(
    request: Request,
    kb: KnowledgeBase = KB,
    q: str = Query("", max_length=500, description="A question in plain words."),
) -> Response:
    data: dict[str, Any] = {"question": q, "answer": None, "citations": [], "concepts": []}
    if q.strip():
        from ...search import ask

        data = dict(ask(q, kb))
    data.setdefault("disclaimer", DISCLAIMER)
    response = respond(request, "ask.html", data)
    response.headers.update(NO_STORE)  # "my son is 3 …": never kept by a cache
    return response


# --- the plan wizard ----------------------------------------------------------------
@page("/plan")
async def plan_form(request: Request, kb: KnowledgeBase = KB) -> Response:
    from ..wizard import blank_form

    return respond(request, "plan_form.html", blank_form(kb))


@router.post("/plan.pdf")
async def plan_pdf(request: Request, kb: KnowledgeBase = KB) -> Response:
    from ..wizard import plan_from_form

    plan, form = plan_from_form(kb, await request.form())
    if plan is None:
        return respond(request, "plan_form.html", form, 422)
    from ...plan.render import pdf_available
    from ..pdfpool import PdfBusy

    if not pdf_available():  # the plan page shows no PDF button then; say so plainly
        body = error_body(
            None,
            "PDF download is not available on this server. "
            "Use your browser's Print command on the plan page instead.",
        )
        return error_response(request, 503, body)

    try:
        pdf = await request.app.state.pdf.render(plan)  # in a worker process
    except PdfBusy:
        busy = error_body(None, "Many PDFs are being made just now; try again in a few seconds.")
        response = error_response(request, 503, busy)
        response.headers["Retry-After"] = "5"
        return response
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": 'attachment; filename="smanav-care-discussion-plan.pdf"',
            "Cache-Control": "no-store",
        },
    )


@router.post("/plan.json")
@router.post("/plan")
async def plan_result(request: Request, kb: KnowledgeBase = KB) -> Response:
    """The plan from the wizard's fields; errors go back to the form, next to the field."""
    from ..wizard import plan_from_form

    plan, form = plan_from_form(kb, await request.form())
    if plan is None:
        if wants_json(request):
            return respond(request, "plan_form.html", {"error": form["error"]}, 422)
        response = respond(request, "plan_form.html", form, 422)
    elif wants_json(request):
        response = respond(request, "plan.html", plan)
    else:
        from ...plan.render import pdf_available, plan_view

        full = str((await request.form()).get("full") or "") in ("1", "yes", "on")
        data = {**plan_view(plan), "form": form["values"], "full": full, "pdf": pdf_available()}
        response = respond(request, "plan.html", data)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/plan/edit")
async def plan_edit(request: Request, kb: KnowledgeBase = KB) -> Response:
    """Back to the form with the answers kept (no JavaScript, nothing stored)."""
    from ..wizard import blank_form, form_values

    state = {**blank_form(kb), "values": form_values(await request.form())}
    response = respond(request, "plan_form.html", state)
    response.headers["Cache-Control"] = "no-store"
    return response
