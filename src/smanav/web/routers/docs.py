"""/docs: the API's operations, server-rendered from the OpenAPI document.

FastAPI's own docs page loads Swagger UI from a CDN, which an offline machine
cannot reach. Here the operation list is plain HTML (works without JavaScript,
for screen readers too), and Swagger UI, served from the ``swagger-ui-bundle-v2``
package when installed, enhances it with a try-it-out console (mounted by the app).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ...settings import DISCLAIMER
from ..openapi import METHODS
from ..templating import respond

__all__ = ["operations", "router", "swagger_dir"]

router = APIRouter(include_in_schema=False)


def operations(openapi: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per operation: method, path, summary, parameters, body and errors."""
    rows = []
    for path, item in openapi.get("paths", {}).items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            params = [
                {
                    "name": p["name"],
                    "in": p["in"],
                    "required": bool(p.get("required")),
                    "description": p.get("description") or "",
                }
                for p in op.get("parameters", [])
            ]
            rows.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary") or "",
                    "description": op.get("description") or "",
                    "tag": (op.get("tags") or ["other"])[0],
                    "parameters": params,
                    "body": "requestBody" in op,
                    "responses": sorted(op.get("responses", {})),
                }
            )
    return rows


@cache
def swagger_dir() -> str | None:
    """Where the swagger-ui-bundle-v2 package keeps Swagger UI, if installed."""
    try:
        from swagger_ui_bundle import swagger_ui_path  # type: ignore[import-untyped]
    except ImportError:
        return None
    return str(swagger_ui_path)


@router.get("/docs")
@router.get("/docs.json")
async def docs_page(request: Request) -> Response:
    app = request.app
    data = {
        "title": app.title,
        "version": app.version,
        "openapi": "/openapi.json",
        "operations": operations(app.openapi()),
        "swagger_ui": swagger_dir() is not None,
        "disclaimer": DISCLAIMER,
    }
    return respond(request, "docs.html", data)
