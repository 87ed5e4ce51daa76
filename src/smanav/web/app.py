"""The web app's factory: ``create_app`` wires the routers, middleware and handlers.

Pages (``routers.pages``), the JSON API (``routers.api``), the docs page and the
FHIR / CDS Hooks endpoints (``routers.ehr``) only format what the library returns. What
they share lives beside them: ``deps`` (the knowledge base, JSON bodies),
``errors`` (one error shape), ``middleware`` (security headers, body limits).
Routers never import this module. Nothing about a patient is stored: plans are
computed per request and answered with ``Cache-Control: no-store``.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp

from .._version import __version__
from .deps import KBHolder
from .errors import install_handlers
from .middleware import MAX_BODY_BYTES, BodyGuard, Faults, SecurityHeaders
from .openapi import describe
from .pdfpool import PdfPool
from .routers import api, docs, ehr, pages
from .routers.docs import swagger_dir
from .templating import STATIC_DIR

__all__ = ["SmanavApp", "create_app"]


class SmanavApp(FastAPI):
    """FastAPI with the security headers outside everything, the 500 handler included.

    ``add_middleware`` puts middleware inside Starlette's ServerErrorMiddleware, so an
    unexpected error's page would go out without CSP or nosniff.
    """

    def openapi(self) -> dict[str, Any]:
        if self.openapi_schema is None:
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
    install_handlers(app)
    app.add_middleware(BodyGuard, limit=MAX_BODY_BYTES)
    # Routes are matched in order, a few microseconds each: the API first (no path of
    # the static files or the docs starts with /api/, so nothing else changes).
    app.include_router(api.router)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    swagger = swagger_dir()
    if swagger is not None:
        app.mount("/vendor/swagger-ui", StaticFiles(directory=swagger), name="swagger")
    app.include_router(docs.router)
    app.include_router(ehr.router)
    app.include_router(pages.router)
    return app
