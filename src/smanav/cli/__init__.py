"""The `smanav` command: a few lines per command over the library.

Every command takes --json (the same shape the Python API returns), and every
error a person can cause prints a message naming what is wrong and exits 2.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from ..errors import InvalidInput, SmanavError
from ..settings import DISCLAIMER

app = typer.Typer(
    name="smanav",
    help="SMA Navigator: cited information on spinal muscular atrophy treatments. "
    "Gives no medical advice.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Build or inspect the knowledge-base file.", no_args_is_help=True)
app.add_typer(db_app, name="db")

out = Console(highlight=False, soft_wrap=False)
err = Console(stderr=True, highlight=False)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON (stable, documented shape).")]


class State:
    db: Path | None = None


state = State()


@app.callback()
def _root(
    db: Annotated[
        Path | None,
        typer.Option(
            "--db",
            help="Knowledge-base file (default: $SMANAV_DB or ~/.local/share/smanav/smanav.db).",
            envvar="SMANAV_DB",
        ),
    ] = None,
) -> None:
    state.db = db


def kb() -> Any:
    from ..store import open_kb

    return open_kb(state.db)


def emit_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=2, default=str) + "\n")


def disclaimer() -> None:
    out.print(f"\n[dim italic]{escape(DISCLAIMER)}[/]")


def _print_error(exc: SmanavError) -> None:
    if "--json" in sys.argv:
        body: dict[str, Any] = {"message": str(exc)}
        if isinstance(exc, InvalidInput):
            body = exc.to_dict()
        emit_json({"error": body})
    err.print(f"[bold red]Error:[/] {escape(str(exc))}")
    if isinstance(exc, InvalidInput) and exc.suggestions:
        err.print("Did you mean: " + ", ".join(escape(s) for s in exc.suggestions) + "?")


# Command modules register themselves on `app`; one import line per module.
from . import (  # noqa: E402
    browse,  # noqa: F401
    export,  # noqa: F401
    ingest,  # noqa: F401
    plan,  # noqa: F401
    search,  # noqa: F401
    web,  # noqa: F401
)


def main() -> None:
    """Entry point: turns expected failures into a message and exit status 2."""
    try:
        rv = app(standalone_mode=False)
    except typer.TyperException as exc:  # usage errors: typer's vendored click
        show = getattr(exc, "show", None)
        if show is not None:
            show()
        sys.exit(int(getattr(exc, "exit_code", 2)))
    except (typer.Abort, KeyboardInterrupt):
        err.print("Interrupted; nothing half-written was kept.")
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except SmanavError as exc:
        _print_error(exc)
        sys.exit(2)
    sys.exit(rv if isinstance(rv, int) else 0)
