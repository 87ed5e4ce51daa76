"""Editors' commands: ingest, extract, review (a few lines each over the library)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from ..errors import InvalidInput
from ..settings import DISCLAIMER
from ._app import JsonOpt, app, disclaimer, emit_json, err, nonempty, out, state

PathsArg = Annotated[
    list[Path],
    typer.Argument(help="Files or folders (.txt, .md, .html, .pdf).", show_default=False),
]
MaxBytesOpt = Annotated[
    int | None,
    typer.Option(
        "--max-bytes",
        help="Refuse files larger than this (default 20 MB, or $SMANAV_MAX_BYTES).",
        min=1,
    ),
]


def _phrase(a: dict[str, Any]) -> str:
    from ..kb import _PHRASES
    from ..models import Predicate

    obj = a.get("object_name") or a.get("value") or ""
    text = f"{a['subject_name']} {_PHRASES[Predicate(a['predicate'])]} {obj}".strip()
    if a["predicate"] == "eligibility" and a.get("value"):
        text = f"{a['subject_name']} {_PHRASES[Predicate.eligibility]} {a['value']}"
    elif a["predicate"] == "route":
        text = f"{a['subject_name']} route: {a['value']}"
    elif a["predicate"] == "evidence_in_sma":
        text = f"{a['subject_name']}: studied in SMA"
    q = a.get("qualifiers") or {}
    if q.get("date"):
        text += f" ({q['date'][:4] if q.get('date_precision') == 'year' else q['date']})"
    if a["certainty"] != "asserted":
        text += f" [{a['certainty']}]"
    return text


@app.command()
def ingest(
    paths: PathsArg,
    workers: Annotated[
        int,
        typer.Option(help="Extract in N Dask worker processes (0: in this process)."),
    ] = 0,
    scheduler: Annotated[
        str | None,
        typer.Option(
            help="Address of an existing Dask scheduler, e.g. tcp://10.0.0.5:8786.",
            callback=nonempty,
        ),
    ] = None,
    max_bytes: MaxBytesOpt = None,
    batch_size: Annotated[
        int | None, typer.Option(help="Documents per Dask task (default: automatic).", min=1)
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Store documents (each version once), extract what they say, and queue it for review."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from ..ingest import ingest_paths
    from ..settings import default_db_path

    show = not as_json and sys.stderr.isatty()
    db = Path(state.db or default_db_path())
    stream = _IngestJson(db) if as_json else _IngestText()
    with Progress(
        TextColumn("[bold]Ingesting"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        console=err,
        transient=True,
        disable=not show,
    ) as bar:
        task = bar.add_task("", total=None)

        def tick(done: int, total: int, name: str) -> None:
            bar.update(task, completed=done, total=total, description=escape(Path(name).name))

        result = ingest_paths(
            paths,
            db,
            workers=workers,
            scheduler=scheduler,
            max_bytes=max_bytes,
            batch_size=batch_size,
            progress=tick,
            on_document=stream.document,
        )
    from ..search.retrieve import dense_mode

    if dense_mode(None):  # the embeddings extra, not switched off: vectors stored now
        from .browse import embed_vectors

        result["embedded"] = embed_vectors(Path(result["db"]), show)
    stream.close(result)
    if result["error"]:
        raise typer.Exit(2)


class _IngestText:
    """One line per document as soon as it is stored (a long ingest shows its work and
    keeps nothing), then the totals."""

    def document(self, d: dict[str, Any]) -> None:
        if d["status"] == "error":
            err.print(f"[bold red]Error:[/] {escape(d['file'])}: {escape(d['message'])}")
        elif d["status"] == "unchanged":
            out.print(f"[dim]unchanged[/]  {escape(d['file'])}")
        else:
            label = "new version" if d["status"] == "new_version" else "added"
            same = " (the curated source of that name)" if d.get("curated_source") else ""
            known = f", {d['known']} already known" if d.get("known") else ""
            out.print(
                f"[green]{label}[/]  {escape(d['file'])} → [bold]{d['source']}[/]{same} "
                f"(v{d['version']}, {d['mentions']} mentions, {d['queued']} to review{known})"
            )
            for w in d.get("warnings", []):
                _warn(d["file"], w)

    def close(self, result: dict[str, Any]) -> None:
        out.print(
            f"{result['added']} added, {result['new_version']} new versions, "
            f"{result['unchanged']} unchanged, {result['error']} rejected; "
            f"{result['queued']} assertions queued, {result.get('known', 0)} of them already "
            "known (see `smanav review`)."
        )
        disclaimer()


class _IngestJson:
    """The --json document `emit_json` would write for the whole result, byte for byte,
    written one document at a time. Nothing is printed before the first document is
    stored, so input refused up front leaves stdout empty."""

    def __init__(self, db: Path) -> None:
        self.db = db
        self.count = 0

    def document(self, d: dict[str, Any]) -> None:
        if not self.count:
            db = json.dumps(str(self.db), ensure_ascii=False)
            sys.stdout.write('{\n  "db": ' + db + ',\n  "documents": [\n    ')
        else:
            sys.stdout.write(",\n    ")
        sys.stdout.write(_dump(d, 4))
        sys.stdout.flush()
        self.count += 1

    def close(self, result: dict[str, Any]) -> None:
        tail = {k: v for k, v in result.items() if k not in ("db", "documents")}
        if not self.count:
            emit_json({"db": result["db"], "documents": [], **tail})
            return
        body = _dump(tail, 0)
        sys.stdout.write("\n  ],\n" + body[2:] + "\n")


@app.command()
def extract(
    paths: PathsArg,
    max_bytes: MaxBytesOpt = None,
    as_json: JsonOpt = False,
    jsonl: Annotated[
        bool,
        typer.Option(
            "--jsonl",
            help="Print one JSON object per line as each document is done: a document, "
            '{"file", "error"} for a file that cannot be read, and last {"disclaimer", '
            '"documents", "errors"}.',
        ),
    ] = False,
) -> None:
    """Show the mentions and assertions found in documents, storing nothing.

    Every form is written one document at a time, so memory stays flat however large
    the corpus (the --json document is the same as ever, written as it goes).
    """
    from ..extract import iter_extract
    from ._app import kb

    if as_json and jsonl:
        raise InvalidInput("--jsonl", "give --json or --jsonl, not both")
    items = iter_extract(paths, kb(), max_bytes)
    if jsonl:
        errors = _extract_jsonl(items)
    elif as_json:
        errors = _extract_json(items)
    else:
        errors = _extract_text(items)
    if errors:
        raise typer.Exit(2)


def _dump(obj: Any, indent: int) -> str:
    """`obj` as `emit_json` writes it, nested `indent` spaces deep."""
    text = json.dumps(obj, ensure_ascii=False, indent=2, default=str)
    return text.replace("\n", "\n" + " " * indent)


def _extract_json(items: Iterator[tuple[str, dict[str, Any]]]) -> int:
    """The --json document, byte for byte as before, written one document at a time."""
    from ..extract import document_warnings

    errors: list[dict[str, Any]] = []
    warnings: list[dict[str, str]] = []
    first = True
    w = sys.stdout.write
    for kind, item in items:
        if kind == "error":
            errors.append(item)
            continue
        warnings += document_warnings([item])
        w(('{\n  "documents": [\n    ' if first else ",\n    ") + _dump(item, 4))
        first = False
        sys.stdout.flush()
    w('{\n  "documents": [],' if first else "\n  ],")
    w('\n  "errors": ' + _dump(errors, 2) + ",")
    w('\n  "warnings": ' + _dump(warnings, 2) + ",")
    w('\n  "disclaimer": ' + json.dumps(DISCLAIMER, ensure_ascii=False) + "\n}\n")
    return len(errors)


def _extract_jsonl(items: Iterator[tuple[str, dict[str, Any]]]) -> int:
    counts = {"document": 0, "error": 0, "warning": 0}
    for kind, item in items:
        counts[kind] += 1
        counts["warning"] += len(item.get("warnings", []))
        line = item if kind == "document" else {"file": item["file"], "error": item["message"]}
        sys.stdout.write(json.dumps(line, ensure_ascii=False, default=str) + "\n")
        sys.stdout.flush()
    end = {
        "disclaimer": DISCLAIMER,
        "documents": counts["document"],
        "errors": counts["error"],
        "warnings": counts["warning"],
    }
    sys.stdout.write(json.dumps(end, ensure_ascii=False) + "\n")
    return counts["error"]


def _extract_text(items: Iterator[tuple[str, dict[str, Any]]]) -> int:
    from ..extract import document_warnings

    errors: list[dict[str, Any]] = []
    warnings: list[dict[str, str]] = []
    for kind, doc in items:
        if kind == "error":
            errors.append(doc)
            continue
        warnings += document_warnings([doc])
        out.print(f"\n[bold]{escape(doc['title'])}[/]  [dim]{escape(doc['source'])}[/]")
        table = Table(title="Mentions", show_lines=False)
        for col in ("Text", "Concept", "Kind", "Offsets"):
            table.add_column(col)
        for m in doc["mentions"]:
            cid = m["concept"] + (" (new)" if m["new"] else "")
            table.add_row(escape(m["text"]), cid, m["kind"], f"{m['start']}-{m['end']}")
        out.print(table)
        for a in doc["assertions"]:
            ev = a["evidence"][0]
            out.print(f"- {escape(_phrase(a))}  [dim]{ev['start']}-{ev['end']}[/]")
    for e in errors:
        err.print(f"[bold red]Error:[/] {escape(e['file'])}: {escape(e['message'])}")
    for wn in warnings:
        _warn(wn["file"], wn["message"])
    disclaimer()
    return len(errors)


def _warn(file: str, message: str) -> None:
    err.print(f"[bold yellow]Warning:[/] {escape(file)}: {escape(message)}")


def _ids(values: list[str] | None) -> list[str]:
    return [v.strip() for raw in values or [] for v in raw.split(",") if v.strip()]


@app.command()
def review(
    document: Annotated[
        str | None,
        typer.Option(
            help="Only this document (source id, path, file name or title).", callback=nonempty
        ),
    ] = None,
    status: Annotated[
        str,
        typer.Option(
            help="List pending, accepted, rejected, superseded or all assertions.",
            callback=nonempty,
        ),
    ] = "pending",
    limit: Annotated[
        int, typer.Option(help="List at most this many assertions (a page).", min=1)
    ] = 200,
    offset: Annotated[
        int, typer.Option(help="Skip this many first (the next page: --offset 200).", min=0)
    ] = 0,
    accept: Annotated[
        list[str] | None,
        typer.Option(
            "--accept", help="Accept these ids (repeat or comma-separate).", callback=nonempty
        ),
    ] = None,
    reject: Annotated[
        list[str] | None,
        typer.Option(
            "--reject", help="Reject these ids (repeat or comma-separate).", callback=nonempty
        ),
    ] = None,
    accept_all: Annotated[
        bool, typer.Option("--accept-all", help="Accept every pending one (of --document).")
    ] = False,
    reject_all: Annotated[
        bool, typer.Option("--reject-all", help="Reject every pending one (of --document).")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """List queued assertions with their passages, or accept/reject them."""
    from ..review import review_decide, review_list

    db = state.db
    if accept or reject or accept_all or reject_all:
        result = review_decide(db, _ids(accept), _ids(reject), accept_all, reject_all, document)
        if as_json:
            emit_json(result)
            return
        merged = result.get("merged") or {}
        out.print(f"{len(result['accepted'])} accepted, {len(result['rejected'])} rejected.")
        for qid, known in merged.items():
            out.print(f"  {qid}: already known, its evidence added to [bold]{known}[/]")
        for c in result["conflicts"]:
            _print_conflict(c["id"], c)
        more = result["conflict_count"] - len(result["conflicts"])
        if more > 0:
            out.print(
                f"    [yellow]and {more} more conflicts[/] (see `smanav review --status accepted`)"
            )
        disclaimer()
        return
    listing = review_list(db, document, status, limit, offset)
    if as_json:
        emit_json(listing)
        return
    if not listing["documents"]:
        out.print(f"No {status} assertions.")
    for d in listing["documents"]:
        date = f", updated {d['last_updated']}" if d["last_updated"] else ""
        out.print(f"\n[bold]{escape(d['title'])}[/] [dim]({d['source']}, v{d['version']}{date})[/]")
        for a in d["assertions"]:
            known = ""
            if a.get("known"):
                known = f"  [green]already known as {a['known']}[/]"
                if a.get("known_certainty") not in (None, a["certainty"]):
                    known += f" [dim](there: {a['known_certainty']})[/]"
            out.print(f"  [cyan]{a['id']}[/] {escape(_phrase(a))}{known}")
            for p in a["passages"]:
                passage = " ".join(p["text"].split())
                out.print(f"    [dim]“{escape(passage)}” ({p['start']}-{p['end']})[/]")
            for c in a["conflicts"]:
                _print_conflict(a["id"], c)
            more = a["conflict_count"] - len(a["conflicts"])
            if more > 0:
                out.print(f"    [yellow]and {more} more conflicts[/] (smanav show {a['subject']})")
    shown = f"{listing['count']} of {listing['total']} shown"
    if listing["offset"]:
        shown += f" (from {listing['offset'] + 1})"
    if listing["next_offset"] is not None:
        shown += f"; the next page: --offset {listing['next_offset']}"
    out.print(
        f"\n{shown}. Accept with `smanav review --accept ID`, or `--accept-all --document X`."
    )
    disclaimer()


def _print_conflict(aid: str, c: dict[str, Any]) -> None:
    from ..kb import source_when

    ex = c["existing"]
    cites = "; ".join(f"{e['title']} ({source_when(e)})" for e in ex["evidence"])
    out.print(
        f"    [yellow]conflict[/] ({escape(c['reason'])}): {aid} from {c['source']} "
        f"({c['date'] or 'undated'}) disagrees with {ex['id']}: {escape(ex['text'])} "
        f"— {escape(cites)}"
    )
