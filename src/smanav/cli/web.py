"""`smanav serve`: the web pages, JSON API, FHIR and CDS Hooks on one port."""

from __future__ import annotations

import os
from typing import Annotated

import typer
from rich.markup import escape

from ..errors import SmanavError
from . import app, err, state


@app.command()
def serve(
    host: Annotated[
        str, typer.Option(help="Address to listen on (127.0.0.1: this machine only).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="Worker processes (each holds the KB in memory).")
    ] = 1,
) -> None:
    """Start the web site and JSON API (builds the knowledge base on first run)."""
    try:
        import uvicorn

        from ..web import create_app
    except ImportError as exc:
        raise SmanavError(
            f"smanav serve needs the web extra ({exc.name} is missing): pip install 'smanav[web]'"
        ) from None
    from ..settings import default_db_path
    from ..store import open_kb

    db = state.db or default_db_path()
    open_kb(db)  # build (or rebuild) before the first request, not during it
    err.print(
        f"smanav on [bold]http://{escape(host)}:{port}[/] (knowledge base {escape(str(db))}); "
        "Ctrl-C stops it. Gives no medical advice."
    )
    if workers == 1:
        uvicorn.run(create_app(db), host=host, port=port, log_level="warning")
        return
    # Several processes need an import string; the database path travels in the environment.
    os.environ["SMANAV_DB"] = str(db)
    uvicorn.run(
        "smanav.web:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
    )
