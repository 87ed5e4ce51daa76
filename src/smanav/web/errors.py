"""The one error shape of every answer, and the handlers that give it.

A JSON client (the API, a page's JSON twin) gets ``{"error": {field, message,
suggestions}}``; a browser gets an HTML page with the same words. Never a traceback.
"""

from __future__ import annotations

import html
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException

from ..errors import DataError, InvalidInput, NotFound, SmanavError
from .body import BadJson
from .deps import request_id
from .templating import render_page, wants_json

__all__ = [
    "error_body",
    "error_response",
    "fault_body",
    "install_handlers",
    "plain_error_page",
    "validation_message",
]

log = logging.getLogger("smanav.web")


def error_body(
    field: str | None, message: str, suggestions: list[str] | None = None
) -> dict[str, Any]:
    """The one error shape of every endpoint, as the CLI prints with --json."""
    return {"error": {"field": field, "message": message, "suggestions": list(suggestions or [])}}


def fault_body(rid: str) -> dict[str, Any]:
    return error_body(
        None,
        f"Something went wrong on our side; nothing was stored. Request id {rid} "
        "(give it to whoever runs this server).",
    )


def validation_message(err: dict[str, Any]) -> tuple[str, str]:
    loc = [str(p) for p in err.get("loc", ())]
    field = ".".join(loc) or "request"
    if err.get("type") == "json_invalid":
        detail = (err.get("ctx") or {}).get("error", "")
        return "body", f"is not valid JSON ({detail} at character {loc[-1] if loc else '?'})"
    return field, str(err.get("msg", "is not valid"))


PLAIN_ERROR_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title} – smanav</title></head>
<body><main id="main"><h1>{title}</h1><p>{message}</p>
<p><a href="/">Go to the home page</a></p></main></body></html>
"""


def plain_error_page(status: int, error: dict[str, Any]) -> HTMLResponse:
    """The error page without templates (for when they cannot be rendered)."""
    field = error.get("field")
    message = (f"{field}: " if field else "") + str(error.get("message", ""))
    title = "Not found" if status == 404 else "There is a problem"
    page = PLAIN_ERROR_PAGE.format(title=title, message=html.escape(message))
    return HTMLResponse(page, status_code=status)


def error_response(request: Request, status: int, body: dict[str, Any]) -> Response:
    """JSON for the API and JSON twins; an HTML page with the same words otherwise.

    If the error page itself cannot be rendered (its template missing from a broken
    install), a plain page says the same words: an error never becomes another error.
    """
    if wants_json(request):
        return JSONResponse(body, status_code=status)
    try:
        return render_page(request, "error.html", {**body["error"], "status": status}, status)
    except Exception as exc:
        log.error(
            "request %s: the error page cannot be rendered (%s: %s)",
            request_id(request),
            type(exc).__name__,
            exc,
        )
        return plain_error_page(status, body["error"])


def _server_fault(request: Request, exc: Exception) -> Response:
    rid = request_id(request)
    log.error("request %s: %s %s: server fault: %s", rid, request.method, request.url.path, exc)
    return error_response(request, 500, fault_body(rid))


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _invalid_request(request: Request, exc: RequestValidationError) -> Response:
        errors = list(exc.errors())
        field, message = validation_message(errors[0]) if errors else ("request", "is not valid")
        more = [" ".join(validation_message(e)) for e in errors[1:]]
        if more:
            message += "; also " + "; ".join(more)
        return error_response(request, 422, error_body(field, message))

    @app.exception_handler(BadJson)
    async def _bad_json(request: Request, exc: BadJson) -> Response:
        return error_response(request, 422, error_body(exc.field, exc.message))

    @app.exception_handler(InvalidInput)
    async def _invalid_input(request: Request, exc: InvalidInput) -> Response:
        status = 404 if isinstance(exc, NotFound) and exc.field == "name" else 422
        return error_response(request, status, {"error": exc.to_dict()})

    @app.exception_handler(SmanavError)
    async def _smanav_error(request: Request, exc: SmanavError) -> Response:
        # A bad data file or a knowledge base that cannot be opened is the server's
        # fault, not the client's: 500, logged with its file path, answered without it.
        if isinstance(exc, DataError) or hasattr(exc, "public"):
            return _server_fault(request, exc)
        return error_response(request, 422, error_body(None, str(exc)))

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException) -> Response:
        messages = {
            404: f"There is no page at {request.url.path}",
            405: f"{request.method} is not allowed here",
        }
        path = request.url.path
        if (
            exc.status_code == 404
            and path.endswith("/")
            and path != "/"
            and not wants_json(request)
        ):
            # A page's address with a slash at its end: the page (no API path redirects).
            # One leading slash only: '//host/' must not become a link to another site.
            target = "/" + path.strip("/") + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(target, status_code=307)
        message = messages.get(exc.status_code, str(exc.detail))
        field = "body" if exc.status_code in (400, 408, 413) else None
        response = error_response(request, exc.status_code, error_body(field, message))
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        return response

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        # Never a traceback to the user; Faults logs it once, with the request id.
        return error_response(request, 500, fault_body(request_id(request)))
