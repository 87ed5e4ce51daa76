"""/docs: the API's operations, server-rendered from the OpenAPI document.

FastAPI's own docs page loads Swagger UI from a CDN, which an offline machine
cannot reach. Here the operation list is plain HTML (works without JavaScript,
for screen readers too), and Swagger UI, served from the ``swagger-ui-bundle-v2``
package when installed, enhances it with a try-it-out console.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.staticfiles import StaticFiles

from ..settings import DISCLAIMER
from .templating import respond

__all__ = ["install", "operations"]

METHODS = ("get", "post", "put", "patch", "delete")


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


def _swagger_dir() -> str | None:
    try:
        from swagger_ui_bundle import swagger_ui_path  # type: ignore[import-untyped]
    except ImportError:
        return None
    return str(swagger_ui_path)


def install(app: FastAPI) -> None:
    swagger = _swagger_dir()
    if swagger is not None:
        app.mount("/vendor/swagger-ui", StaticFiles(directory=swagger), name="swagger")

    @app.get("/docs", include_in_schema=False)
    @app.get("/docs.json", include_in_schema=False)
    async def docs_page(request: Request) -> Response:
        data = {
            "title": app.title,
            "version": app.version,
            "openapi": "/openapi.json",
            "operations": operations(app.openapi()),
            "swagger_ui": swagger is not None,
            "disclaimer": DISCLAIMER,
        }
        return respond(request, "docs.html", data)
