"""The objects every command module shares: the Typer app, the consoles, --db state,
and the small helpers commands use (JSON output, the disclaimer, safe file writing).

Command modules import from here and register themselves on `app`; the package
`smanav.cli` imports the command modules and runs `main()`. Nothing here imports a
command module, so the registration has no import cycle.
"""

from __future__ import annotations

import errno
import io
import json
import os
import stat
import sys
import tempfile
from pathlib import Path
from typing import Annotated, Any, TypeVar

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


T = TypeVar("T")


def nonempty(value: T) -> T:
    """Option callback: an empty (or blank) value is an error naming the option, never
    a silent default (issue 11: `export --format ""` exported JSON-LD)."""
    values = value if isinstance(value, list | tuple) else [value]
    for v in values:
        if isinstance(v, str) and not v.strip():
            raise typer.BadParameter("must not be empty")
    return value


@app.callback()
def _root(
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="Knowledge-base file (default: $SMANAV_DB or ~/.local/share/smanav/smanav.db).",
            callback=nonempty,
        ),
    ] = None,
) -> None:
    state.db = Path(db).expanduser() if db is not None else None


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


def _umask() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_output(target: Path, data: bytes, option: str = "--output") -> None:
    """Write `data` to the path a person gave with -o.

    Through a symlink (the link stays, its target gets the data); into a FIFO or a
    device (never replaced by a regular file); a regular file is written next to its
    target and renamed over it, so a failed write never leaves half a file, with the
    old file's permissions or, for a new one, the usual ones (0666 less the umask).
    """
    real = Path(os.path.realpath(target))
    try:
        st: os.stat_result | None = real.stat()
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise InvalidInput(option, f"cannot write {target}: {exc.strerror}") from None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise InvalidInput(option, f"{target} is a folder: give a file name")
    if st is not None and not stat.S_ISREG(st.st_mode):
        try:
            with open(real, "wb") as fh:  # a FIFO or device: write into it
                fh.write(data)
        except OSError as exc:
            raise InvalidInput(option, f"cannot write {target}: {exc.strerror}") from None
        return
    folder = real.parent
    if not folder.is_dir():
        raise InvalidInput(
            option, f"cannot write {target}: the folder {target.parent} does not exist"
        )
    mode = stat.S_IMODE(st.st_mode) if st is not None else 0o666 & ~_umask()
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{real.name}.", suffix=".tmp")
    except OSError as exc:
        raise InvalidInput(option, f"cannot write in {target.parent}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, real)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise InvalidInput(option, f"cannot write {target}: {exc.strerror}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class _ClosedStream(io.TextIOBase):
    """Stands in for a standard stream the shell closed (`>&-`, `<&-`): using it is a
    sentence and exit 2, not an AttributeError on None."""

    def __init__(self, name: str) -> None:
        self.name = name

    @property
    def buffer(self) -> _ClosedStream:
        return self

    def isatty(self) -> bool:
        return False

    def _closed(self, *args: object) -> Any:
        raise OSError(errno.EBADF, f"{self.name} is closed")

    write = read = readline = _closed


def _output_failed(exc: OSError) -> None:
    """Output that cannot be written (a full disk, a closed pipe): one sentence."""
    # Later writes (and Python's flush at exit) go nowhere instead of a second traceback.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass
    reason = exc.strerror or str(exc)
    if exc.errno == errno.EPIPE:
        sys.exit(2)
    err.print(f"[bold red]Error:[/] cannot write the output: {escape(reason)}")
    sys.exit(2)
