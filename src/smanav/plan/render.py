"""A plan as Markdown, HTML (Jinja2, autoescaped) and a printable PDF (WeasyPrint).

The renderers only format the plan dict that ``make_plan`` returns, so every
format shows the same options, reasons, cautions, evidence, sources and dates,
and always the disclaimer. Heavy libraries are imported when first used.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from ..citations import citation_line, escape_markdown
from ..errors import SmanavError
from ..settings import DISCLAIMER
from .status import BOXED, REGION_LABELS, STATUS_BADGES, status_reasons, upgrade_plan

if TYPE_CHECKING:
    import jinja2

__all__ = [
    "REGION_LABELS",
    "medicines_lines",
    "option_view",
    "plan_view",
    "region_line",
    "render_html",
    "render_markdown",
    "render_pdf",
    "status_reasons",
]

TITLE = "SMA care-discussion plan"
#: The heading of everything after the family summary.
CLINICIAN_TITLE = "For the care team: reasons, evidence and sources"
INTRO = (
    "Options to discuss with the care team, by care domain. Each shows why it is listed "
    "(the profile details and the rule), cautions, what to watch for, and the sources it "
    "rests on, with their dates."
)

#: Why an option is not simply "to discuss", as a heading.
STATUS_WHY = {"not_offered": "Why it is not offered", "needs_review": "Why it needs review"}
#: The label facts shown with each option, in order, with their headings.
LABEL_FACTS = (
    ("contraindications", "Label: who must not receive it (contraindications)"),
    ("interactions", "Label: interactions with other medicines"),
    ("pregnancy", "Label: pregnancy, breastfeeding and contraception"),
    ("not_known", "Not known: what the label does not say or was not read"),
)


def region_line(plan: dict[str, Any]) -> str:
    """ "Labels: United States (FDA)": whose labels decide ages, statuses and cautions."""
    region = plan.get("region") or plan.get("profile", {}).get("region") or "US"
    return f"Labels: {REGION_LABELS.get(region, region)}"


def medicines_lines(plan: dict[str, Any]) -> dict[str, Any]:
    """The current medicines: which were checked against the label facts, which not.

    Plans made before the ``medicines`` key existed read as "none given".
    """
    meds = plan.get("medicines") or {}
    checked = [m["name"] for m in meds.get("checked") or []]
    not_checked = list(meds.get("not_checked") or [])
    note = meds.get("note") or "No current medicines were given."
    return {"checked": checked, "not_checked": not_checked, "note": note}


def option_view(o: dict[str, Any]) -> dict[str, Any]:
    """An option arranged for reading: boxed warnings first, then why its status, then the
    other cautions; the label facts (absent from plans made before them) as empty lists."""
    cautions = o.get("cautions") or []
    why = status_reasons(o)
    view = {
        **o,
        "boxed": [c for c in cautions if c["rule"] == BOXED],
        "other_cautions": [c for c in cautions if c["rule"] != BOXED],
        "why_status": why,
        "why_title": STATUS_WHY.get(o["status"], ""),
        "listed_reasons": [r for r in o["reasons"] if r not in why],
        "label_facts": [
            {"key": key, "title": title, "rows": list(o.get(key) or [])}
            for key, title in LABEL_FACTS
            if o.get(key)
        ],
    }
    return view


def fact_region(f: dict[str, Any]) -> str:
    """ " (EU label)" after a fact that holds for one region only."""
    return f" ({f['region']} label)" if f.get("region") else ""


def citation(ev: dict[str, Any]) -> str:
    """One line naming where a statement comes from (the address is shown as a link)."""
    return citation_line(ev, url=False)


#: What "[repaired]" beside a quote means, for readers and screen readers.
REPAIRED_NOTE = "words that were run together in the source are separated"


def _quote(ev: dict[str, Any]) -> str | None:
    q = ev.get("quote")
    return " ".join(q.split()) if q else None


def _repaired(ev: dict[str, Any]) -> str | None:
    """The repaired quote (glued words split), only where it differs from the exact one."""
    q = ev.get("quote_repaired")
    return " ".join(q.split()) if q else None


def plan_view(plan: dict[str, Any]) -> dict[str, Any]:
    """The plan arranged for reading: options and care standards grouped by domain.

    A plan saved before the status rename reads with the current names."""
    plan = upgrade_plan(plan)
    by_id = {o["concept"]: option_view(o) for o in plan["options"]}
    standards = {s["id"]: s for s in plan["care_standards"]}
    domains = []
    for d in plan["domains"]:
        opts = [by_id[c] for c in d["options"]]
        stds = [standards[s] for s in d["care_standards"]]
        if opts or stds or d["questions"]:
            domains.append({**d, "option_list": opts, "standard_list": stds})
    from .family import family_view

    return {
        "title": TITLE,
        "intro": INTRO,
        "clinician_title": CLINICIAN_TITLE,
        "family": family_view(plan),
        "plan": plan,
        "domains": domains,
        "badges": STATUS_BADGES,
        "disclaimer": plan.get("disclaimer") or DISCLAIMER,
        "source_numbers": {src["source"]: i for i, src in enumerate(plan["sources"], 1)},
        "region_line": region_line(plan),
        "medicines": medicines_lines(plan),
    }


# --- Markdown -----------------------------------------------------------------------
_md = escape_markdown


def _md_evidence(lines: list[str], evidence: list[dict[str, Any]], indent: str = "") -> None:
    for ev in evidence:
        lines.append(f"{indent}- {_md(ev.get('statement') or '')} — {_md(citation(ev))}")
        q, fixed = _quote(ev), _repaired(ev)
        if q and fixed:
            lines.append(f"{indent}  > “{_md(fixed)}” \\[repaired: {REPAIRED_NOTE}\\]")
            lines.append(f"{indent}  > Exact text in the source: “{_md(q)}”")
        elif q:
            lines.append(f"{indent}  > “{_md(q)}”")


def _md_option(lines: list[str], o: dict[str, Any]) -> None:
    brands = f" ({_md(', '.join(o['brands']))})" if o["brands"] else ""
    lines += [f"### {_md(o['name'])}{brands} — {STATUS_BADGES[o['status']]}", ""]
    lines.append(f"*Status: {_md(o['status_text'])}.*")
    if o["members"]:
        lines.append(f"Includes: {_md(', '.join(o['members']))}.")
    if o["boxed"]:
        lines += ["", "**⚠ Boxed warning**", ""]
        for c in o["boxed"]:
            lines.append(f"- ⚠ **{_md(c['text'])}** (rule {_md(c['rule'])})")
            _md_evidence(lines, c["evidence"], "  ")
    if o["why_status"]:
        lines += ["", f"**{o['why_title']}**", ""]
        lines += [f"- {_md(r)}" for r in o["why_status"]]
    lines += ["", "**Why it is listed**", ""]
    lines += [f"- {_md(r)}" for r in o["listed_reasons"]]
    if o["other_cautions"]:
        lines += ["", "**Cautions**", ""]
        for c in o["other_cautions"]:
            lines.append(f"- ⚠ {_md(c['text'])} (with: {_md(c['with'])}; rule {_md(c['rule'])})")
            _md_evidence(lines, c["evidence"], "  ")
    for group in o["label_facts"]:
        lines += ["", f"**{group['title']}**", ""]
        for f in group["rows"]:
            cite = f" — {_md(citation(f['evidence'][0]))}" if f["evidence"] else ""
            lines.append(f"- {_md(f['text'])}{_md(fact_region(f))}{cite}")
    if o["side_effects"]:
        lines += ["", f"**Side effects to watch for:** {_md(', '.join(o['side_effects']))}"]
    watch = o["warnings"] + o["monitoring"]
    if watch:
        lines += ["", "**Warnings and monitoring**", ""]
        lines += [f"- {_md(w['text'])} — {_md(citation(w['evidence'][0]))}" for w in watch]
    dated = o["approvals"] + o["studied_in_sma"]
    if dated:
        lines += ["", "**Dates and study status**", ""]
        lines += [f"- {_md(f['text'])} — {_md(citation(f['evidence'][0]))}" for f in dated]
    lines += ["", "**Evidence**", ""]
    _md_evidence(lines, o["evidence"])
    lines.append("")


def _md_family(fam: dict[str, Any]) -> list[str]:
    """The family summary in Markdown: the same parts as the HTML one, in the same order."""
    lines = [f"## {fam['title']}", "", fam["intro"], ""]
    lines.append(" ".join(f"**{_md(r['label'])}:** {_md(r['value'])}." for r in fam["about"]))
    lines.append("")
    if fam["first"]:
        lines += ["### Talk about these first", ""]
        for f in fam["first"]:
            lines.append(f"- **{_md(f['name'])}**")
            for n in f["notes"]:
                mark = "⚠ **Boxed warning:** " if n["boxed"] else ""
                where = f" *From {_md(n['where'])}.*" if n["where"] else ""
                lines.append(f"  - {mark}{_md(n['text'])}{where}")
        lines.append("")
    if fam["cautions"]:
        lines += ["### Safety cautions to go through", ""]
        for c in fam["cautions"]:
            where = f" *From {_md(c['where'])}.*" if c["where"] else ""
            lines.append(f"- **{_md(', '.join(c['names']))}:** {_md(c['text'])}{where}")
        lines.append("")
    lines += ["### The options, by area of care", ""]
    for d in fam["domains"]:
        lines += [f"#### {_md(d['name'])}", ""]
        for o in d["options"]:
            what = f": {_md(o['what'])}" if o["what"] else ""
            status = o["status_words"][:1].upper() + o["status_words"][1:]
            note = f" {_md(o['note'])}" if o["note"] else ""
            lines.append(f"- **{_md(o['name'])}**{what}. *{status}.*{note}")
        lines.append("")
    if fam["questions"]:
        lines += ["### Questions to ask the care team", ""]
        lines += [f"{i}. {_md(q)}" for i, q in enumerate(fam["questions"], 1)]
        lines.append("")
    if fam["words"]:
        lines += ["### Words used here", ""]
        lines += [f"- **{_md(w['term'])}:** {_md(w['plain'])}" for w in fam["words"]]
        lines.append("")
    return lines


def render_markdown(plan: dict[str, Any]) -> str:
    """The plan as Markdown: headings per care domain, every line with its basis."""
    plan = upgrade_plan(plan)
    view = plan_view(plan)
    lines = [f"# {TITLE}", "", f"> **{_md(view['disclaimer'])}**", ""]
    lines += _md_family(view["family"])
    lines += ["---", "", f"## {CLINICIAN_TITLE}", "", INTRO, "", "## Profile", ""]
    lines += ["| Detail | Value |", "|---|---|"]
    lines += [f"| {_md(r['label'])} | {_md(r['value'])} |" for r in plan["profile_display"]]
    s = plan["summary"]
    meds = view["medicines"]
    lines += [
        "",
        f"**{_md(view['region_line'])}** — who may receive a treatment, and its cautions, "
        "follow this region's labels.",
        "",
        f"**Summary:** {s['to_discuss']} to discuss, {s['needs_review']} needing review, "
        f"{s['not_offered']} not offered according to the sources shown.",
        "",
        "## Current medicines",
        "",
        "- Checked against the label facts smanav holds: "
        + (_md(", ".join(meds["checked"])) if meds["checked"] else "none"),
        "- **Not checked** (smanav holds no interaction facts for them): "
        + (_md(", ".join(meds["not_checked"])) if meds["not_checked"] else "none"),
        "",
        _md(meds["note"]),
        "",
    ]
    for d in view["domains"]:
        lines += [f"## {_md(d['name'])}", ""]
        for o in d["option_list"]:
            _md_option(lines, o)
        if d["standard_list"]:
            lines += ["### Care standards (from care-standard summaries, 2018)", ""]
            for st in d["standard_list"]:
                sec = " [secondary source only]" if st["secondary"] else ""
                lines.append(
                    f"- **{_md(st['id'])}** (for {_md(st['applies_to'])}): {_md(st['text'])}{sec}"
                )
                for ev in st["evidence"]:
                    lines.append(f"  - {_md(citation(ev))}")
            lines.append("")
        if d["questions"]:
            lines += ["### Questions for the care team", ""]
            lines += [f"{i}. {_md(q)}" for i, q in enumerate(d["questions"], 1)]
            lines.append("")
    lines += ["## Sources", ""]
    for src in plan["sources"]:
        url = src.get("url") or ""
        url = (
            f" — <{url}>"
            if _is_web_url(url) and " " not in url
            else f" — {_md(url)}"
            if url
            else ""
        )
        lines.append(
            f"- {_md(src['title'])} — {_md(src['publisher'])} — {_md(src['dated'])}"
            f"{' — secondary source' if src['grade'] == 'secondary' else ''}{url}"
        )
    g = plan["generated_from"]
    lines += [
        "",
        "---",
        "",
        f"Generated by {_md(g['generator'])} from knowledge base {_md(g['kb_version'] or 'n/a')}"
        f" and rules {_md(g['rules_version'])}.",
        "",
        f"*{_md(view['disclaimer'])}*",
        "",
    ]
    return "\n".join(lines)


# --- HTML and PDF -------------------------------------------------------------------
@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    try:
        import jinja2
    except ImportError:  # pragma: no cover - jinja2 is a base dependency
        raise SmanavError("HTML output needs Jinja2: pip install jinja2") from None
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("smanav", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["citation"] = citation
    env.filters["quote"] = _quote
    env.filters["repaired"] = _repaired
    env.globals["REPAIRED_NOTE"] = REPAIRED_NOTE
    env.filters["basis_groups"] = _basis_groups
    env.filters["ref"] = jinja2.pass_context(_ref)
    env.filters["is_web_url"] = _is_web_url
    env.filters["fact_region"] = fact_region
    return env


def _is_web_url(url: object) -> bool:
    """Only http(s) addresses become links (a javascript: URL stays plain text)."""
    return isinstance(url, str) and url.lower().startswith(("http://", "https://"))


def _ref(ctx: Any, ev: dict[str, Any]) -> str:
    """[n]: the number of an evidence entry's source in the plan's source list."""
    n = ctx["source_numbers"].get(ev["source"])
    return f"[{n}]" if n else ""


def _basis_groups(evidence: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Evidence for a compact sheet: each passage once (a span inside a longer span of the
    same source is dropped), and citations of one statement to several sources merged."""
    spans = [(e["source"], e["start"], e["end"]) for e in evidence if e["start"] is not None]

    def inside(e: dict[str, Any]) -> bool:
        return any(
            src == e["source"]
            and s <= e["start"]
            and e["end"] <= end
            and (s, end) != (e["start"], e["end"])
            for src, s, end in spans
        )

    groups: dict[tuple[Any, ...], dict[str, Any]] = {}
    for e in evidence:
        if e["start"] is not None and inside(e):
            continue
        text = _quote(e) or e.get("statement") or ""
        key = (e["source"], e["start"], e["end"]) if e["start"] is not None else ("", text)
        group = groups.setdefault(key, {"ev": e, "evs": [], "text": text})
        if e["source"] not in {x["source"] for x in group["evs"]}:
            group["evs"].append(e)
    return list(groups.values())


def render_html(plan: dict[str, Any], *, standalone: bool = True, print_css: bool = False) -> str:
    """The plan as HTML: a whole page, or (standalone=False) a fragment for a site's layout."""
    env = _env()
    view = plan_view(plan)
    template = "plan/sheet.html" if print_css else "plan/body.html"
    body = env.get_template(template).render(**view)
    if not standalone:
        return body
    return env.get_template("plan/page.html").render(body=body, print_css=print_css, **view)


@lru_cache(maxsize=1)
def pdf_available() -> bool:
    """Whether this installation can make PDFs (WeasyPrint importable): the web page
    offers "Download as PDF" only then, instead of an install instruction for a parent."""
    import importlib.util

    try:
        return importlib.util.find_spec("weasyprint") is not None
    except (ImportError, ValueError):  # a module blocked in sys.modules, a broken package
        return False


def render_pdf(plan: dict[str, Any]) -> bytes:
    """A printable care-discussion sheet (A4) with the disclaimer, sources and dates."""
    try:
        from weasyprint import HTML  # type: ignore[import-untyped]
    except ImportError:
        raise SmanavError(
            "PDF output needs the pdf extra: pip install 'smanav[pdf]' (WeasyPrint)"
        ) from None
    pdf = HTML(string=render_html(plan, print_css=True)).write_pdf(
        pdf_tags=True
    )  # tagged: screen readers get its structure
    assert pdf is not None
    return bytes(pdf)
