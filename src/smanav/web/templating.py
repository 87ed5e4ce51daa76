"""HTML rendering and JSON twins: one function computes a page's data, both formats show it.

As datasette does, every page answers ``?format=json`` and a ``.json`` suffix with
the very dict its template receives. Jinja2 autoescapes everything: ingested
documents are untrusted, so no template marks text as safe.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from ..browse import DOMAIN_NAMES
from ..citations import SECTION_TITLES, citation_line, concept_url, source_when
from ..settings import DISCLAIMER

__all__ = [
    "STATIC_DIR",
    "TEMPLATE_DIR",
    "concept_url",
    "json_response",
    "render_page",
    "respond",
    "twin_url",
    "wants_json",
]

TEMPLATE_DIR = Path(str(resources.files("smanav") / "templates" / "web"))
STATIC_DIR = TEMPLATE_DIR / "static"

#: Prefixes whose every answer is JSON (errors included).
JSON_PREFIXES = ("/api/", "/fhir/", "/cds-services", "/openapi.json")

NAV = (
    ("/", "Home"),
    ("/treatments", "Treatments"),
    ("/symptoms", "Symptoms"),
    ("/ask", "Ask"),
    ("/plan", "Care plan"),
    ("/sources", "Sources"),
    ("/docs", "API"),
)


def wants_json(request: Request) -> bool:
    path = request.url.path
    return (
        path.startswith(JSON_PREFIXES)
        or path == "/api"
        or path.endswith(".json")
        or request.query_params.get("format") == "json"
    )


def twin_url(request: Request) -> str:
    """The JSON twin of the page being shown."""
    path = request.url.path
    query = str(request.url.query)
    if path == "/":
        path = "/index"
    base = path.rstrip("/") + ".json"
    return f"{base}?{query}" if query else base


def _blocks(text: str) -> list[dict[str, Any]]:
    """Plain-text answer → paragraphs and bullet lists ("- " lines), still as text."""
    out: list[dict[str, Any]] = []
    for line in (ln.strip() for ln in text.splitlines()):
        if not line:
            continue
        if line.startswith(("- ", "• ", "* ")):
            if not out or "bullets" not in out[-1]:
                out.append({"bullets": []})
            out[-1]["bullets"].append(line[2:].strip())
        else:
            out.append({"text": line})
    return out


def _quote_text(text: str | None) -> str:
    return " ".join(text.split()) if text else ""


@cache
def _env() -> Any:
    import jinja2

    env = jinja2.Environment(
        # templates/ too, for the plan partials both renderers share (plan/family.html).
        loader=jinja2.FileSystemLoader([str(TEMPLATE_DIR), str(TEMPLATE_DIR.parent)]),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.ChainableUndefined,
    )
    env.globals.update(
        DISCLAIMER=DISCLAIMER,
        NAV=NAV,
        SECTION_TITLES=SECTION_TITLES,
        DOMAIN_NAMES={str(k): v for k, v in DOMAIN_NAMES.items()},
        concept_url=concept_url,
        citation_line=citation_line,
        source_when=source_when,
    )
    env.filters["quote_text"] = _quote_text
    env.filters["blocks"] = _blocks
    env.filters["pretty_json"] = lambda v: json.dumps(v, indent=2, ensure_ascii=False)
    env.filters["words"] = lambda v: str(v).replace("_", " ").replace("-", " ")
    return env


def render_page(
    request: Request, template: str, data: dict[str, Any], status: int = 200
) -> HTMLResponse:
    context = {
        "data": data,
        "request_path": request.url.path,
        "json_url": twin_url(request),
        "disclaimer": data.get("disclaimer") or DISCLAIMER,
    }
    html = _env().get_template(template).render(**context)
    return HTMLResponse(html, status_code=status)


def _dumps(data: Any) -> bytes:
    """Compact UTF-8 JSON; orjson (the web extra) is ~8x faster on a 100 kB plan."""
    try:
        import orjson
    except ImportError:  # pragma: no cover - the web extra installs it
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str)
        return text.encode("utf-8")
    return orjson.dumps(data, default=str)


def json_response(data: Any, status: int = 200, media_type: str = "application/json") -> Response:
    """The body as JSON; dates (if any slip through) as ISO strings."""
    return Response(_dumps(data), status_code=status, media_type=media_type)


def respond(request: Request, template: str, data: dict[str, Any], status: int = 200) -> Response:
    """The page, or its JSON twin: the same dict either way."""
    if wants_json(request):
        return json_response(data, status)
    return render_page(request, template, data, status)
