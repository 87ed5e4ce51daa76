"""Browsing commands: db build, treatments, symptoms, sources, show."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from . import JsonOpt, app, db_app, disclaimer, emit_json, err, kb, out, state


# --- db -----------------------------------------------------------------------------
@db_app.command("build")
def db_build(
    sources: Annotated[
        Path | None,
        typer.Option(help="Folder with the source articles, so statements show their quotes."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Compile the curated knowledge (and any source texts) into the SQLite file."""
    from ..settings import default_db_path
    from ..store import build

    report = build(state.db or default_db_path(), sources)
    result = {
        "db": str(report.path),
        "sources": report.sources,
        "concepts": report.concepts,
        "assertions": report.assertions,
        "texts": report.texts,
        "warnings": report.warnings,
        "version": report.digest[:12],
    }
    if as_json:
        emit_json(result)
        return
    for w in report.warnings:
        err.print(f"[yellow]warning:[/] {escape(w)}")
    out.print(
        f"Built [bold]{escape(str(report.path))}[/]: {report.concepts} concepts, "
        f"{report.assertions} statements, {report.sources} sources; "
        f"quotes available from {len(report.texts)} source text(s)."
    )


# --- browsing -----------------------------------------------------------------------
@app.command()
def treatments(
    domain: Annotated[
        str | None,
        typer.Option(help="Only one care domain, e.g. breathing, rehabilitation."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """List every treatment, therapy and aid, by care domain."""
    from ..browse import treatments_list

    result = treatments_list(kb(), domain)
    if as_json:
        emit_json(result)
        return
    table = Table(title="SMA treatments and aids, by care domain", show_lines=False)
    for col in ("Care domain", "Treatment", "Kind", "Also called"):
        table.add_column(col)
    last = None
    for t in result["treatments"]:
        dom = t["domain_name"] if t["domain"] != last else ""
        last = t["domain"]
        table.add_row(
            dom, t["name"], t["kind"].replace("_", " "), ", ".join(t["brands"] + t["synonyms"])
        )
    out.print(table)
    disclaimer()


@app.command()
def symptoms(as_json: JsonOpt = False) -> None:
    """List symptoms with the words families use for them and what may help."""
    from ..browse import symptoms_list

    result = symptoms_list(kb())
    if as_json:
        emit_json(result)
        return
    table = Table(title="Symptoms and what the sources say may help")
    for col in ("Symptom", "Also said as", "HPO", "May help"):
        table.add_column(col)
    for s in result["symptoms"]:
        table.add_row(
            s["name"],
            ", ".join(s["lay_terms"][:4]),
            ", ".join(s["hpo"]),
            ", ".join(h["name"] for h in s["helped_by"]),
        )
    out.print(table)
    disclaimer()


@app.command()
def sources(as_json: JsonOpt = False) -> None:
    """List every source with its publisher, date and how many statements rest on it."""
    from ..browse import sources_list
    from ..kb import source_when

    result = sources_list(kb())
    if as_json:
        emit_json(result)
        return
    table = Table(title="Sources")
    for col in ("Source", "Publisher", "Date", "Grade", "Statements"):
        table.add_column(col)
    for s in result["sources"]:
        table.add_row(
            s["title"] + (f"\n[dim]{escape(s['url'])}[/]" if s["url"] else ""),
            s["publisher"],
            source_when(s),
            s["grade"],
            str(s["statements"]),
        )
    out.print(table)
    disclaimer()


@app.command()
def show(
    name: Annotated[str, typer.Argument(help="Generic, brand, synonym or everyday name.")],
    as_json: JsonOpt = False,
) -> None:
    """Everything the sources say about one treatment, symptom or other concept."""
    from ..browse import show_concept
    from ..render import print_concept

    result = show_concept(kb(), name)
    if as_json:
        emit_json(result)
        return
    print_concept(out, result)
    disclaimer()
