"""smanav's web site and JSON API (FastAPI; the ``web`` extra).

``create_app(db_path)`` builds the app; ``smanav serve`` runs it with uvicorn.
The import of FastAPI waits until the app is made, so ``import smanav.web``
stays cheap.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = ["create_app"]


def create_app(db_path: str | Path | None = None) -> FastAPI:
    """The web app over the knowledge base at ``db_path`` (default: $SMANAV_DB or per user)."""
    from .app import create_app as _create

    return _create(db_path)
