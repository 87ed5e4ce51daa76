"""The web app: what every response shares, and the factory that wires the routers.

Pages (``pages``), the JSON API (``api``) and the FHIR / CDS Hooks endpoints
(``ehr``) only format what the library returns. This module holds the common
parts: one knowledge base per process, one error shape, security headers, and a
request-size limit. Nothing about a patient is stored: plans are computed per
request and answered with ``Cache-Control: no-store``.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .. import __version__
from ..errors import InvalidInput, NotFound, SmanavError
from ..kb import KnowledgeBase
from .templating import STATIC_DIR, render_page, wants_json

__all__ = ["MAX_BODY_BYTES", "KBHolder", "create_app", "error_body", "json_object"]

#: Largest request body accepted (a profile or a FHIR bundle is a few kilobytes).
MAX_BODY_BYTES = 1_000_000

#: How often (seconds) to look whether the knowledge base file was republished.
RECHECK_SECONDS = 2.0

#: No inline scripts anywhere: every script is a file served from this origin.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)

SECURITY_HEADERS: list[tuple[bytes, bytes]] = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), interest-cohort=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


def error_body(
    field: str | None, message: str, suggestions: list[str] | None = None
) -> dict[str, Any]:
    """The one error shape of every endpoint, as the CLI prints with --json."""
    return {"error": {"field": field, "message": message, "suggestions": list(suggestions or [])}}


class KBHolder:
    """The knowledge base for this process: loaded once, reloaded when republished.

    ``open_kb`` checks the data digest on every call (milliseconds); a web request
    cannot pay that, so the generation counter is read at most every few seconds.
    """

    def __init__(self, db_path: str | Path | None) -> None:
        self.db_path = Path(db_path) if db_path is not None else None
        self._kb: KnowledgeBase | None = None
        self._generation: str | None = None
        self._checked = 0.0
        self._lock = threading.Lock()

    def get(self) -> KnowledgeBase:
        now = time.monotonic()
        kb = self._kb
        if kb is not None and now - self._checked < RECHECK_SECONDS:
            return kb
        with self._lock:
            if self._kb is None or self._read_generation() != self._generation:
                self._load()
            self._checked = time.monotonic()
            assert self._kb is not None
            return self._kb

    def _load(self) -> None:
        from ..store import open_kb

        self._kb = open_kb(self.db_path)
        self._generation = self._read_generation()

    def _read_generation(self) -> str | None:
        path = self._kb.path if self._kb is not None else None
        if path is None or not Path(path).exists():
            return None
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            row = conn.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
        except sqlite3.Error:
            return None
        finally:
            conn.close()
        return None if row is None else str(row[0])


async def json_object(request: Request) -> dict[str, Any]:
    """The body as a JSON object, answering bad bodies as FastAPI's ``Body()`` would.

    A ``dict`` body parameter costs FastAPI an email-package parse of the content
    type and a pydantic pass over the decoded dict, per request; the engine
    validates every field anyway. Same rules here: a JSON content type
    (``application/json`` or ``+json``), invalid JSON named by character, a missing
    or non-object body a 422 on ``body``.
    """
    raw = await request.body()
    value: Any = raw
    if raw:
        ctype = request.headers.get("content-type", "").partition(";")[0].strip().lower()
        main, _, sub = ctype.partition("/")
        if main == "application" and (sub == "json" or sub.endswith("+json")):
            try:
                value = json.loads(raw)
            except json.JSONDecodeError as exc:
                where = ("body", exc.pos)
                error = {"type": "json_invalid", "loc": where, "msg": "JSON decode error"}
                raise RequestValidationError([{**error, "ctx": {"error": exc.msg}}]) from exc
            except ValueError:  # not UTF-8 (or -16/-32)
                raise HTTPException(400, "There was an error parsing the body") from None
    if value is None or value == b"":
        raise RequestValidationError(
            [{"type": "missing", "loc": ("body",), "msg": "Field required"}]
        )
    if not isinstance(value, dict):
        raise RequestValidationError(
            [{"type": "dict_type", "loc": ("body",), "msg": "Input should be a valid dictionary"}]
        )
    return value


def get_kb(request: Request) -> KnowledgeBase:
    holder: KBHolder = request.app.state.kb
    return holder.get()


NO_STORE = [(b"cache-control", b"no-store")]


class SecurityHeaders:
    """Adds the security headers to every response (pure ASGI: no per-request objects).

    Answers to a POST carry what someone typed about a person (a plan, or an error
    that repeats the value), so they get ``Cache-Control: no-store`` unless the
    handler set a cache policy itself.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        posted = scope["method"] not in ("GET", "HEAD")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if posted and not any(name.lower() == b"cache-control" for name, _ in headers):
                    headers += NO_STORE
                message["headers"] = headers + SECURITY_HEADERS
            await send(message)

        await self.app(scope, receive, send_with_headers)


class TooLarge(HTTPException):
    """Raised while a body is read (FastAPI re-raises HTTPExceptions unchanged)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than {limit} bytes")


class BodyLimit:
    """Refuses bodies over ``limit`` bytes: by Content-Length, or while streaming."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length" and (not value.isdigit() or int(value) > self.limit):
                await _send_json(send, 413, _too_large(self.limit))
                return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise TooLarge(self.limit)
            return message

        await self.app(scope, limited, send)


def _too_large(limit: int) -> dict[str, Any]:
    return error_body("body", f"the request body is larger than {limit} bytes")


async def _send_json(send: Send, status: int, body: dict[str, Any]) -> None:
    raw = JSONResponse(body).body
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(raw)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": raw})


def _validation_message(err: dict[str, Any]) -> tuple[str, str]:
    loc = [str(p) for p in err.get("loc", ())]
    field = ".".join(loc) or "request"
    if err.get("type") == "json_invalid":
        detail = (err.get("ctx") or {}).get("error", "")
        return "body", f"is not valid JSON ({detail} at character {loc[-1] if loc else '?'})"
    return field, str(err.get("msg", "is not valid"))


def error_response(request: Request, status: int, body: dict[str, Any]) -> Response:
    """JSON for the API and JSON twins; an HTML page with the same words otherwise."""
    if wants_json(request):
        return JSONResponse(body, status_code=status)
    return render_page(request, "error.html", {**body["error"], "status": status}, status)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _invalid_request(request: Request, exc: RequestValidationError) -> Response:
        errors = list(exc.errors())
        field, message = _validation_message(errors[0]) if errors else ("request", "is not valid")
        more = [" ".join(_validation_message(e)) for e in errors[1:]]
        if more:
            message += "; also " + "; ".join(more)
        return error_response(request, 422, error_body(field, message))

    @app.exception_handler(InvalidInput)
    async def _invalid_input(request: Request, exc: InvalidInput) -> Response:
        status = 404 if isinstance(exc, NotFound) and exc.field == "name" else 422
        return error_response(request, status, {"error": exc.to_dict()})

    @app.exception_handler(SmanavError)
    async def _smanav_error(request: Request, exc: SmanavError) -> Response:
        return error_response(request, 422, error_body(None, str(exc)))

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException) -> Response:
        messages = {
            404: f"There is no page at {request.url.path}",
            405: f"{request.method} is not allowed here",
        }
        message = messages.get(exc.status_code, str(exc.detail))
        field = "body" if exc.status_code == 413 else None
        response = error_response(request, exc.status_code, error_body(field, message))
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        return response

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        # Never a traceback to the user; the server log keeps it.
        return error_response(
            request, 500, error_body(None, "Something went wrong on our side; nothing was stored.")
        )


class SmanavApp(FastAPI):
    """FastAPI with the security headers outside everything, the 500 handler included.

    ``add_middleware`` puts middleware inside Starlette's ServerErrorMiddleware, so an
    unexpected error's page would go out without CSP or nosniff.
    """

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeaders(super().build_middleware_stack())


def create_app(db_path: str | Path | None = None) -> FastAPI:
    """The whole site over the knowledge base at ``db_path`` (default: the user's)."""
    from . import api, docs, ehr, pages

    app = SmanavApp(
        title="smanav",
        version=__version__,
        description=(
            "Cited information on spinal muscular atrophy (SMA) treatments, care-discussion "
            "plans, FHIR and CDS Hooks. smanav gives no medical advice."
        ),
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.kb = KBHolder(db_path)
    _install_error_handlers(app)
    app.add_middleware(BodyLimit, limit=MAX_BODY_BYTES)
    # Routes are matched in order, a few microseconds each: the API first (no path of
    # the static files or the docs starts with /api/, so nothing else changes).
    app.include_router(api.router)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    docs.install(app)
    app.include_router(ehr.router)
    app.include_router(pages.router)
    return app
