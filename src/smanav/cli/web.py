"""`smanav serve`: the web pages, JSON API, FHIR and CDS Hooks on one port."""

from __future__ import annotations

import errno
import ipaddress
import socket
from typing import Annotated

import typer
from rich.markup import escape

from ..errors import SmanavError
from ._app import app, err, state


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return host == "localhost"


def _check_address(host: str, port: int) -> None:
    """Bind the address once before uvicorn does: a busy port or an unknown host is a
    sentence and exit 2, not uvicorn's "ERROR: [Errno 98]" and exit 3."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as exc:
        raise SmanavError(f"--host {host!r} is not an address of this machine ({exc}).") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise SmanavError(
                    f"port {port} on {host} is in use by another program: "
                    "stop it or choose another with --port."
                ) from None
            raise SmanavError(f"cannot listen on {host}:{port}: {exc.strerror}.") from None


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
    from ..settings import default_db_path, export, settings
    from ..store import open_kb

    _check_address(host, port)
    if settings().base_url is None and not _loopback(host):
        err.print(
            "[yellow]Warning:[/] SMANAV_BASE_URL is not set: CDS Hooks cards link to whatever "
            "host name a client sends. Set it to this server's public address "
            "(SMANAV_BASE_URL=https://smanav.example.org)."
        )
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
    export("SMANAV_DB", str(db))
    uvicorn.run(
        "smanav.web:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
    )
