"""Middleware around every response: security headers, request ids, body limits.

Pure ASGI (no per-request objects), so they cost microseconds.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from typing import Any

from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .body import DECODED, BadJson, check_json, is_json_type
from .deps import REQUEST_ID
from .errors import error_body, fault_body

__all__ = [
    "BODY_TIMEOUT",
    "CSP",
    "MAX_BODY_BYTES",
    "SECURITY_HEADERS",
    "BodyGuard",
    "BodyLimit",
    "BodyTimeout",
    "Faults",
    "SecurityHeaders",
    "TooLarge",
]

log = logging.getLogger("smanav.web")

#: Largest request body accepted (a profile or a FHIR bundle is a few kilobytes).
MAX_BODY_BYTES = 1_000_000

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
        if done or not (ctype == "" or is_json_type(ctype)):
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
