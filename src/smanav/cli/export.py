"""`smanav export`: the knowledge graph as JSON-LD, CSV or FHIR."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from ..errors import InvalidInput
from ._app import app, err, kb, nonempty, write_output


@app.command()
def export(
    fmt: Annotated[
        str | None,
        typer.Option("--format", "-f", help="jsonld (default), csv or fhir.", callback=nonempty),
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
    text = run_export(kb(), "jsonld" if fmt is None else fmt)
    if output is None:
        sys.stdout.write(text)
        return
    write_output(output, text.encode("utf-8"), "-o")
    err.print(f"Wrote {output}", markup=False)
