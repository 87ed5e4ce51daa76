"""The `smanav` command: a few lines per command over the library.

Every command takes --json (the same shape the Python API returns), and every
error a person can cause prints a message naming what is wrong and exits 2.
"""

from __future__ import annotations

import errno
import sqlite3
import sys

import typer

from ..errors import SmanavError
from ._app import (
    JsonOpt,
    State,
    _ClosedStream,
    _output_failed,
    _print_error,
    app,
    db_app,
    disclaimer,
    emit_json,
    err,
    kb,
    nonempty,
    out,
    state,
    write_output,
)

__all__ = [
    "JsonOpt",
    "State",
    "app",
    "db_app",
    "disclaimer",
    "emit_json",
    "err",
    "kb",
    "main",
    "nonempty",
    "out",
    "state",
    "write_output",
]


# Command modules register themselves on `app`; one import line per module.
from . import (
    browse,  # noqa: F401
    export,  # noqa: F401
    ingest,  # noqa: F401
    plan,  # noqa: F401
    search,  # noqa: F401
    web,  # noqa: F401
)


def main() -> None:
    """Entry point: turns expected failures into a message and exit status 2."""
    if sys.stdout is None:
        sys.stdout = _ClosedStream("standard output")
    if sys.stdin is None:
        sys.stdin = _ClosedStream("standard input")
    try:
        rv = app(standalone_mode=False)
        sys.stdout.flush()  # a full disk shows here, not as a traceback at exit
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
    except sqlite3.Error as exc:
        # Store translates what it knows; anything else SQLite says is still one sentence.
        from ..settings import default_db_path
        from ..store import store_error

        path = state.db or default_db_path()
        fault = store_error(exc, path)
        _print_error(fault or SmanavError(f"--db (or SMANAV_DB) {path}: SQLite error: {exc}"))
        sys.exit(2)
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EPIPE, errno.EBADF, errno.EIO, errno.EDQUOT):
            _output_failed(exc)
        raise
    sys.exit(rv if isinstance(rv, int) else 0)
