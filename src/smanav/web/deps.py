"""What routes depend on: the knowledge base of this process and a request's JSON object.

Routers import this module (and ``errors``, ``templating``), never ``app``.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException

from ..kb import KnowledgeBase
from .body import DECODED, MAX_JSON_DEPTH, NOT_JSON, BadJson, is_json_type

__all__ = ["REQUEST_ID", "KBHolder", "get_kb", "json_object", "request_id"]

#: How often (seconds) to look whether the knowledge base file was republished.
RECHECK_SECONDS = 2.0

#: Scope key: the request id (set by the Faults middleware).
REQUEST_ID = "smanav.request_id"


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
    or non-object body a 422 on ``body``. ``BodyGuard`` has already decoded and
    checked a JSON body (depth, surrogates, numbers); its value is reused.
    """
    raw = await request.body()
    value: Any = raw
    if raw and is_json_type(request.headers.get("content-type", "")):
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
def request_id(request: Request) -> str:
    return str(request.scope.get(REQUEST_ID, "-"))


def get_kb(request: Request) -> KnowledgeBase:
    holder: KBHolder = request.app.state.kb
    return holder.get()
