"""Terminal rendering with rich: statements, then where each comes from and its quote."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape

from .citations import SECTION_TITLES, citation_line

__all__ = ["SECTION_TITLES", "citation_line", "print_concept", "print_statement"]


def print_statement(con: Console, st: dict[str, Any]) -> None:
    dates = [d for d in (st.get("date"),) if d]
    badge = ""
    if st["certainty"] == "hedged":
        badge = " [yellow](may)[/]"
    elif st["certainty"] == "negated":
        badge = " [magenta](not so / not studied)[/]"
    when = f" [dim](event: {escape(dates[0])})[/]" if dates else ""
    asof = f" [dim](as of {st['as_of']})[/]" if st.get("as_of") else ""
    con.print(f"  • {escape(st['text'])}{badge}{when}{asof}")
    for ev in st["evidence"]:
        con.print(f"    [dim]source:[/] {escape(citation_line(ev))}")
        if ev.get("quote"):
            quote = " ".join(ev["quote"].split())
            con.print(f"    [green]“{escape(quote)}”[/]")


def concept_header(c: dict[str, Any]) -> list[str]:
    """A concept's first lines in the terminal: name, kind, other names and codes."""
    head = f"[bold]{escape(c['name'])}[/] — {escape(c['kind'].replace('_', ' '))}"
    if c.get("domain_name"):
        head += f", care domain: {escape(c['domain_name'])}"
    lines = [head]
    if c["brands"]:
        lines.append(f"Brand names: {escape(', '.join(c['brands']))}")
    if c["synonyms"]:
        lines.append(f"Also called: {escape(', '.join(c['synonyms']))}")
    if c.get("lay_terms"):
        lines.append(f"Everyday words: {escape(', '.join(c['lay_terms']))}")
    for code in c["codes"]:
        mark = "" if code["status"] == "verified" else " (unverified)"
        lines.append(f"[dim]{escape(code['system'])} {escape(code['code'])}{mark}[/]")
    return lines


def print_concept(con: Console, c: dict[str, Any]) -> None:
    for line in concept_header(c):
        con.print(line)
    for key, title in SECTION_TITLES.items():
        rows = c.get(key) or []
        if not rows:
            continue
        con.print(f"\n[bold underline]{title}[/]")
        for st in rows:
            print_statement(con, st)
    if c.get("helped_by"):
        con.print("\n[bold underline]What the sources say may help[/]")
        for t in c["helped_by"]:
            con.print(f"  • {escape(t['name'])} ({escape(t['domain_name'] or '')})")
