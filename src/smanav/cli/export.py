"""`smanav export`: the knowledge graph as JSON-LD, CSV or FHIR."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from ..errors import InvalidInput
from . import app, err, kb


@app.command()
def export(
    fmt: Annotated[
        str | None, typer.Option("--format", "-f", help="jsonld (default), csv or fhir.")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write to this file.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Same as --format jsonld.")] = False,
) -> None:
    """Export the knowledge graph (statements, locators, codes) for other tools."""
    from ..export import export as run_export

    if as_json and fmt not in (None, "jsonld"):
        raise InvalidInput("--format", f"--json and --format {fmt} ask for different formats")
    text = run_export(kb(), fmt or "jsonld")
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InvalidInput("-o", f"cannot write {output}: {exc.strerror}") from None
    err.print(f"Wrote {output}")
