"""Search and ask: `smanav search QUERY`, `smanav ask "QUESTION"`."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape

from ._app import JsonOpt, app, disclaimer, emit_json, kb, nonempty, out

DenseOpt = Annotated[
    bool | None,
    typer.Option(
        "--dense/--no-dense",
        help="Use dense retrieval (needs the embeddings extra); default: when installed.",
    ),
]


def _quote(text: str | None, width: int = 400) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= width else flat[: width - 1].rstrip() + "…"


@app.command("search")
def search_cmd(
    query: Annotated[
        str, typer.Argument(help="Words to look for, in everyday language.", callback=nonempty)
    ],
    limit: Annotated[
        int, typer.Option("--limit", "-n", help="How many results (1-100).", min=1, max=100)
    ] = 10,
    dense: DenseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Ranked passages and concepts for a query, with everyday words understood."""
    from ..search import search

    result = search(query, kb(), limit, dense=dense)
    if as_json:
        emit_json(result)
        return
    for note in result["notes"]:
        out.print(f"[yellow]{escape(note)}[/]")
    if result["recognised"]:
        said = "; ".join(f"'{m['text']}' → {m['name']}" for m in result["recognised"])
        out.print(f"[dim]Understood: {escape(said)}[/]")
    if result["concepts"]:
        out.print("\n[bold underline]Concepts[/]")
        for c in result["concepts"]:
            extra = f" ({', '.join(c['brands'])})" if c["brands"] else ""
            out.print(
                f"  • {escape(c['name'] + extra)} [dim]{escape(c['kind'])} · {c['concept']}[/]"
            )
    if result["passages"]:
        out.print("\n[bold underline]Passages[/]")
        for p in result["passages"]:
            _print_passage(p)
    out.print(f"\n[dim]Retrieval: {result['retrieval']}[/]")
    disclaimer()


def _print_passage(p: dict[str, Any]) -> None:
    where = " · ".join(
        str(x) for x in (p["title"], p["publisher"], p["date"] or "date not stated") if x
    )
    out.print(f"  [bold]{escape(where)}[/] [dim]characters {p['start']}-{p['end']}[/]")
    out.print(f"    [green]“{escape(_quote(p['quote']))}”[/]")


@app.command("ask")
def ask_cmd(
    question: Annotated[
        str, typer.Argument(help="A question in everyday words.", callback=nonempty)
    ],
    dense: DenseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Answer a question with cited statements from the knowledge base (never a guess)."""
    from ..render import citation_line
    from ..search import ask

    result = ask(question, kb(), dense=dense)
    if as_json:
        emit_json(result)
        return
    for line in result["answer"].splitlines():
        if line.startswith("- "):
            out.print(f"  • {escape(line[2:])}")
        else:
            out.print(f"[bold]{escape(line)}[/]")
    if result["citations"]:
        out.print("\n[bold underline]Sources and quoted passages[/]")
        for n, ev in enumerate(result["citations"], 1):
            out.print(f"  [{n}] {escape(citation_line(ev))}")
            if ev.get("quote"):
                out.print(f"      [green]“{escape(_quote(ev['quote']))}”[/]")
    if result["closest"]:
        out.print("\n[bold underline]Closest passages (not an answer)[/]")
        for p in result["closest"]:
            _print_passage(p)
    disclaimer()
