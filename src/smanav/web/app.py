"""The web app: what every response shares, and the factory that wires the routers.

Pages (``pages``), the JSON API (``api``) and the FHIR / CDS Hooks endpoints
(``ehr``) only format what the library returns. This module holds the common
parts: one knowledge base per process, one error shape, security headers, and a
request-size limit. Nothing about a patient is stored: plans are computed per
request and answered with ``Cache-Control: no-store``.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import logging
import math
import re
import sqlite3
import threading
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .._version import __version__
from ..errors import DataError, InvalidInput, NotFound, SmanavError
from ..kb import KnowledgeBase
from .templating import STATIC_DIR, render_page, wants_json

__all__ = [
    "BODY_TIMEOUT",
    "MAX_BODY_BYTES",
    "MAX_INT_DIGITS",
    "MAX_JSON_DEPTH",
    "KBHolder",
    "check_json",
    "create_app",
    "error_body",
    "json_object",
]

log = logging.getLogger("smanav.web")

#: Largest request body accepted (a profile or a FHIR bundle is a few kilobytes).
MAX_BODY_BYTES = 1_000_000

#: Deepest nesting of a JSON body (a FHIR Bundle is about 8 levels deep).
MAX_JSON_DEPTH = 64

#: Longest integer in a JSON body, in digits (any 64-bit integer fits).
MAX_INT_DIGITS = 18

#: Seconds a client has to send the whole request body once it has started the request;
#: then the answer is a 408 and the connection is closed.
BODY_TIMEOUT = 30.0

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


class _Refused:
    """A JSON number smanav does not take (too long, not finite): kept to name its path."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def _parse_int(text: str) -> Any:
    # Decided on the digits, before int(): a 5,000-digit number is never converted.
    return _Refused(text) if len(text.lstrip("-")) > MAX_INT_DIGITS else int(text)


def _parse_float(text: str) -> Any:
    value = float(text)
    return value if math.isfinite(value) else _Refused(text)


def _parse_constant(text: str) -> Any:
    return _Refused(text)  # NaN, Infinity, -Infinity: not JSON


#: A JSON string, or the rest of the body after an unterminated one (never backtracks,
#: so the scan is linear in the body on any input).
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*+(?:"|\\?\Z)', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_OPENERS = frozenset(b"[{")


def json_depth(raw: bytes, limit: int = MAX_JSON_DEPTH) -> int:
    """How deeply the body's arrays and objects nest, counted without decoding it.

    Strings are skipped (a bracket inside a string is text). Exact above ``limit`` (it
    stops counting there); at or under it, an upper bound (the number of openers).
    """
    brackets = _STRING.sub(b"", raw).translate(None, _NOT_BRACKETS)
    openers = brackets.count(b"[") + brackets.count(b"{")
    if openers <= limit:  # cannot nest deeper than it opens: no need to count
        return openers
    depth = deepest = 0
    for b in brackets:
        if b in _OPENERS:
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    return deepest
        else:
            depth -= 1
    return deepest


class BadJson(Exception):
    """A body that is JSON but not one smanav reads: too deep, a lone surrogate, a huge number."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


#: What ``check_json`` answers for a body that is not JSON at all (the route says why).
NOT_JSON = object()


def _path(parent: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{parent}[{key}]" if parent else f"body[{key}]"
    return f"{parent}.{key}" if parent else key


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def check_json(raw: bytes) -> Any:
    """The decoded body, checked before and while decoding; ``NOT_JSON`` if it is not JSON.

    Raises ``BadJson`` naming the field (``symptoms[0]``, ``entry[3].resource.id``) or
    ``body``: nesting deeper than ``MAX_JSON_DEPTH`` (counted before decoding, so a
    70,000-deep body never reaches the recursive decoder), a lone UTF-16 surrogate
    (``"\\ud800"``, which is not text), an integer longer than ``MAX_INT_DIGITS``
    digits, a number too large for a float, NaN or Infinity.
    """
    depth = json_depth(raw)
    if depth > MAX_JSON_DEPTH:
        raise BadJson("body", f"nests deeper than {MAX_JSON_DEPTH} levels of arrays and objects")
    try:
        value = json.loads(
            raw,
            parse_int=_parse_int,
            parse_float=_parse_float,
            parse_constant=_parse_constant,
        )
    except RecursionError:  # pragma: no cover - the depth is counted first
        raise BadJson("body", f"nests deeper than {MAX_JSON_DEPTH} levels") from None
    except ValueError:  # not JSON, or not UTF-8: the route answers as it always has
        return NOT_JSON
    stack: list[tuple[Any, str]] = [(value, "")]
    while stack:
        item, where = stack.pop()
        if isinstance(item, dict):
            for key, sub in item.items():
                if _has_surrogate(key):
                    raise BadJson(
                        where or "body", "has a key with a lone UTF-16 surrogate, which is not text"
                    )
                stack.append((sub, _path(where, key)))
        elif isinstance(item, list):
            stack.extend((sub, _path(where, i)) for i, sub in enumerate(item))
        elif isinstance(item, str):
            if _has_surrogate(item):
                raise BadJson(
                    where or "body",
                    "holds a lone UTF-16 surrogate (such as \\ud800), which is not text",
                )
        elif isinstance(item, _Refused):
            shown = item.text if len(item.text) <= 24 else item.text[:20] + "…"
            raise BadJson(
                where or "body",
                f"{shown} is not a number smanav takes: at most {MAX_INT_DIGITS} digits, "
                "finite, not NaN",
            )
    return value


def _is_json_type(content_type: str) -> bool:
    main, _, sub = content_type.partition(";")[0].strip().lower().partition("/")
    return main == "application" and (sub == "json" or sub.endswith("+json"))


async def json_object(request: Request) -> dict[str, Any]:
    """The body as a JSON object, answering bad bodies as FastAPI's ``Body()`` would.

    A ``dict`` body parameter costs FastAPI an email-package parse of the content
    type and a pydantic pass over the decoded dict, per request; the engine
    validates every field anyway. Same rules here: a JSON content type
    (``application/json`` or ``+json``), invalid JSON named by character, a missing
    or non-object body a 422 on ``body``. ``BodyGuard`` has already decoded and
    checked a JSON body (depth, surrogates, numbers); its value is reused.
    """
    raw = await request.body()
    value: Any = raw
    if raw and _is_json_type(request.headers.get("content-type", "")):
        value = request.scope.get(DECODED, NOT_JSON)
        if value is NOT_JSON:
            try:
                value = json.loads(raw)
            except json.JSONDecodeError as exc:
                where = ("body", exc.pos)
                error = {"type": "json_invalid", "loc": where, "msg": "JSON decode error"}
                raise RequestValidationError([{**error, "ctx": {"error": exc.msg}}]) from exc
            except ValueError:  # not UTF-8 (or -16/-32)
                raise HTTPException(400, "There was an error parsing the body") from None
            except RecursionError:  # pragma: no cover - BodyGuard counts the depth first
                raise BadJson("body", f"nests deeper than {MAX_JSON_DEPTH} levels") from None
    if value is None or value == b"":
        raise RequestValidationError(
            [{"type": "missing", "loc": ("body",), "msg": "Field required"}]
        )
    if not isinstance(value, dict):
        raise RequestValidationError(
            [{"type": "dict_type", "loc": ("body",), "msg": "Input should be a valid dictionary"}]
        )
    return value


#: Scope keys: the JSON body decoded by BodyGuard, and the request id.
DECODED = "smanav.json"
REQUEST_ID = "smanav.request_id"


def request_id(request: Request) -> str:
    return str(request.scope.get(REQUEST_ID, "-"))


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


class BodyTimeout(HTTPException):
    def __init__(self) -> None:
        super().__init__(408, f"the request body did not arrive within {BODY_TIMEOUT:g} seconds")


_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class BodyGuard:
    """Every request body: at most ``limit`` bytes (by Content-Length, or while streaming),
    all of it within ``BODY_TIMEOUT`` seconds, and a JSON body checked before any route
    decodes it (``check_json``: depth, lone surrogates, numbers), FHIR and CDS Hooks too.

    A JSON body (``application/json``, ``+json``, or no content type, which FastAPI
    decodes as JSON) is read here whole, checked, and handed on unchanged; its decoded
    value goes along in the scope so ``json_object`` does not decode it again.
    """

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        content_type = b""
        for name, value in scope["headers"]:
            if name == b"content-length" and (not value.isdigit() or int(value) > self.limit):
                await _send_json(send, 413, _too_large(self.limit))
                return
            if name == b"content-type":
                content_type = value
        seen = 0
        done = scope["method"] not in _BODY_METHODS
        deadline = time.monotonic() + BODY_TIMEOUT

        async def limited() -> Message:
            nonlocal seen, done
            if done:  # the body is in: later receives wait for a disconnect, untimed
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), deadline - time.monotonic())
            except TimeoutError:
                raise BodyTimeout() from None
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise TooLarge(self.limit)
                done = not message.get("more_body", False)
            else:
                done = True
            return message

        ctype = content_type.decode("latin-1")
        if done or not (ctype == "" or _is_json_type(ctype)):
            await self.app(scope, limited, send)
            return
        chunks: list[bytes] = []
        try:
            while not done:
                message = await limited()
                if message["type"] == "http.disconnect":
                    log.info(
                        "request %s: the client left before its body arrived",
                        scope.get(REQUEST_ID, "-"),
                    )
                    return
                chunks.append(message.get("body", b""))
        except HTTPException as exc:
            await _send_json(send, exc.status_code, error_body("body", str(exc.detail)))
            return
        raw = b"".join(chunks)
        if raw:
            try:
                scope[DECODED] = check_json(raw)
            except BadJson as exc:
                await _send_json(send, 422, error_body(exc.field, exc.message))
                return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": raw, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


#: Kept for code that imported the old name.
BodyLimit = BodyGuard


class Faults:
    """Every request gets an id (``X-Request-ID``); an unexpected error is logged once,
    with that id and the traceback, and answered 500 in the one error shape.

    Starlette's ServerErrorMiddleware answers with the app's handler and then re-raises
    so the server can log it; here it is logged and stopped, so uvicorn never prints
    "Exception in ASGI application". A client that leaves mid-request is an INFO line.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = uuid.uuid4().hex[:16]
        scope[REQUEST_ID] = rid
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except ClientDisconnect:
            log.info("request %s: the client left before its body arrived", rid)
        except Exception as exc:
            log.error(
                "request %s: %s %s failed: %s: %s",
                rid,
                scope.get("method"),
                scope.get("path"),
                type(exc).__name__,
                exc,
                exc_info=exc,
            )
            if not started:
                await _send_json(send_with_id, 500, fault_body(rid))


def fault_body(rid: str) -> dict[str, Any]:
    return error_body(
        None,
        f"Something went wrong on our side; nothing was stored. Request id {rid} "
        "(give it to whoever runs this server).",
    )


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


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _invalid_request(request: Request, exc: RequestValidationError) -> Response:
        errors = list(exc.errors())
        field, message = _validation_message(errors[0]) if errors else ("request", "is not valid")
        more = [" ".join(_validation_message(e)) for e in errors[1:]]
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


class SmanavApp(FastAPI):
    """FastAPI with the security headers outside everything, the 500 handler included.

    ``add_middleware`` puts middleware inside Starlette's ServerErrorMiddleware, so an
    unexpected error's page would go out without CSP or nosniff.
    """

    def openapi(self) -> dict[str, Any]:
        if self.openapi_schema is None:
            from .docs import describe

            self.openapi_schema = describe(super().openapi())
        return self.openapi_schema

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeaders(Faults(super().build_middleware_stack()))


def warm(app: FastAPI) -> None:
    """Load the knowledge base, its search index and (with the embeddings extra) the
    model and stored vectors in the background at start-up, so no request waits for them.

    A failure here is only logged: the first request that needs the part reports it.
    """
    try:
        from ..search.index import index_for
        from ..search.retrieve import dense_mode

        kb = app.state.kb.get()
        idx = index_for(kb)
        if dense_mode(None):
            from ..search import dense

            dense.dense_index(kb, idx)
    except Exception as exc:  # a damaged file, a missing extra: the request will say
        logging.getLogger("smanav").warning("warming up at start-up failed: %s", exc)
        from ..search import dense

        dense.WARMING.clear()  # requests load what they need themselves, and report it
    finally:
        app.state.warm.set()


def create_app(db_path: str | Path | None = None) -> FastAPI:
    """The whole site over the knowledge base at ``db_path`` (default: the user's)."""
    from . import api, docs, ehr, pages
    from .pdfpool import PdfPool

    pdf = PdfPool()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from ..search import dense
        from ..search.retrieve import dense_mode

        if dense_mode(None):
            dense.WARMING.set()  # before any request: until vectors are in, answer lexically
            # Importing torch holds the GIL for seconds (it loads large shared libraries),
            # which would freeze every request; so the model loads before the server
            # listens, and only the vectors load in the background.
            try:
                dense.model()
            except Exception as exc:  # the first dense request reports it
                logging.getLogger("smanav").warning("loading the model failed: %s", exc)
                dense.WARMING.clear()
        threading.Thread(target=warm, args=(app,), name="smanav-warm", daemon=True).start()
        yield
        pdf.shutdown()

    app = SmanavApp(
        lifespan=lifespan,
        # A name is never a path: /api/treatments/.. (which clients send as /api) is a
        # 404, not a redirect; pages still redirect a trailing slash (see _http_error).
        redirect_slashes=False,
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
    #: set when the background warm-up at start-up has finished (or failed)
    app.state.warm = threading.Event()
    app.state.pdf = pdf
    _install_error_handlers(app)
    app.add_middleware(BodyGuard, limit=MAX_BODY_BYTES)
    # Routes are matched in order, a few microseconds each: the API first (no path of
    # the static files or the docs starts with /api/, so nothing else changes).
    app.include_router(api.router)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    docs.install(app)
    app.include_router(ehr.router)
    app.include_router(pages.router)
    return app
