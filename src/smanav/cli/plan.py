"""`smanav plan`: a care-discussion plan from flags or a JSON profile, in five formats."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer

from ..errors import InvalidInput
from . import app, disclaimer, kb, out

FORMATS = ("json", "markdown", "html", "pdf", "fhir")
MAX_PROFILE_BYTES = 1_000_000


def _read_profile(where: str) -> dict[str, Any]:
    """A JSON profile from a file or stdin ("-"), with a clear message for each failure."""
    if where == "-":
        raw = sys.stdin.buffer.read(MAX_PROFILE_BYTES + 1)
        name = "standard input"
    else:
        path = Path(where)
        if not path.is_file():
            raise InvalidInput("--profile", f"{where} is not a readable file")
        if path.stat().st_size > MAX_PROFILE_BYTES:
            raise InvalidInput("--profile", f"{where} is over {MAX_PROFILE_BYTES} bytes")
        raw = path.read_bytes()
        name = where
    if len(raw) > MAX_PROFILE_BYTES:
        raise InvalidInput("--profile", f"{name} is over {MAX_PROFILE_BYTES} bytes")
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise InvalidInput("--profile", f"{name} is not UTF-8 text (a binary file?)") from None
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            "--profile", f"{name} is not valid JSON (line {exc.lineno}, column {exc.colno})"
        ) from None
    if not isinstance(data, dict):
        raise InvalidInput("--profile", f"{name} must hold a JSON object of profile fields")
    return data


def _write(target: Path, data: bytes) -> None:
    """Write next to the target, then rename: a failed write never leaves half a file."""
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise InvalidInput("--output", f"folder {folder} does not exist")
    if target.is_dir():
        raise InvalidInput("--output", f"{target} is a folder: give a file name")
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".smanav-plan-")
    except OSError as exc:
        raise InvalidInput("--output", f"cannot write in {folder}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise InvalidInput("--output", f"cannot write {target}: {exc.strerror}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@app.command("plan")
def plan_cmd(
    age: Annotated[str | None, typer.Option(help="Age: months (30) or '8m', '3y', '2y6m'.")] = None,
    sma_type: Annotated[
        str | None,
        typer.Option(
            "--type",
            help="SMA type 0-4, 'presymptomatic' (found by screening, no type yet) or 'unknown'.",
        ),
    ] = None,
    smn2: Annotated[str | None, typer.Option(help="SMN2 copy number (1-8), if known.")] = None,
    status: Annotated[
        str | None, typer.Option(help="Functional status: non-sitter, sitter or walker.")
    ] = None,
    symptom: Annotated[
        list[str] | None,
        typer.Option(help="A symptom in everyday words or an HPO id; repeat for more."),
    ] = None,
    medication: Annotated[
        list[str] | None,
        typer.Option(
            help="A medicine taken now, any name (generic or brand); repeat for more. Those "
            "smanav holds no facts for are listed in the plan as not checked."
        ),
    ] = None,
    alcohol: Annotated[bool, typer.Option("--alcohol", help="Alcohol is used.")] = False,
    prior: Annotated[
        list[str] | None,
        typer.Option(help="A treatment received before, e.g. Zolgensma; repeat for more."),
    ] = None,
    spinal_fusion: Annotated[
        bool, typer.Option("--spinal-fusion", help="The spine has been fused (surgery).")
    ] = False,
    weight: Annotated[
        str | None, typer.Option(help="Body weight in kilograms, e.g. 7.5 or '7.5 kg'.")
    ] = None,
    pregnancy: Annotated[
        str | None,
        typer.Option(help="no, pregnant, planning or breastfeeding (asked from 10 years)."),
    ] = None,
    breathing_support: Annotated[
        str | None,
        typer.Option(help="none, night-niv, continuous-niv or tracheostomy."),
    ] = None,
    feeding: Annotated[str | None, typer.Option(help="mouth or tube.")] = None,
    liver_disease: Annotated[
        bool, typer.Option("--liver-disease", help="Has liver disease.")
    ] = False,
    kidney_disease: Annotated[
        bool, typer.Option("--kidney-disease", help="Has kidney disease.")
    ] = False,
    region: Annotated[
        str | None,
        typer.Option(help="Whose labels apply: US (FDA, the default) or EU (EMA)."),
    ] = None,
    profile: Annotated[
        str | None,
        typer.Option(help="A JSON profile file, or '-' for standard input (instead of flags)."),
    ] = None,
    fmt: Annotated[
        str | None, typer.Option("--format", help="json, markdown (default), html, pdf or fhir.")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file instead.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Same as --format json.")] = False,
) -> None:
    """A care-discussion plan: options per care domain, each with its basis, to discuss
    with the care team."""
    from ..plan import make_plan

    if as_json and fmt not in (None, "json"):
        raise InvalidInput("--format", f"--json and --format {fmt} ask for different formats")
    chosen = "json" if as_json else (fmt or "markdown").strip().lower()
    if chosen not in FORMATS:
        import difflib

        raise InvalidInput(
            "--format",
            f"{fmt!r} is not a format: use {', '.join(FORMATS)}",
            difflib.get_close_matches(chosen, FORMATS, n=2, cutoff=0.5),
        )
    flags: dict[str, Any] = {
        "age_months": age,
        "sma_type": sma_type,
        "smn2_copies": smn2,
        "functional_status": status,
        "symptoms": symptom or None,
        "medications": medication or None,
        "alcohol_use": alcohol or None,
        "prior_treatments": prior or None,
        "spinal_fusion": spinal_fusion or None,
        "weight_kg": weight,
        "pregnancy": pregnancy,
        "breathing_support": breathing_support,
        "feeding": feeding,
        "liver_disease": liver_disease or None,
        "kidney_disease": kidney_disease or None,
        "region": region,
    }
    given = {k: v for k, v in flags.items() if v is not None}
    if profile is not None:
        if given:
            raise InvalidInput(
                "--profile", "give either --profile or profile flags (--age, --symptom …), not both"
            )
        data = _read_profile(profile)
    else:
        data = given
    plan = make_plan(data, kb())
    if chosen == "pdf" and output is None and sys.stdout.isatty():
        raise InvalidInput("--output", "a PDF is binary: write it to a file with -o plan.pdf")
    body = _render(plan, chosen)
    if output is not None:
        _write(output, body)
        out.print(f"Wrote the {chosen} plan to {output}.", markup=False)
        disclaimer()
    elif chosen == "pdf":
        sys.stdout.flush()
        sys.stdout.buffer.write(body)
        sys.stdout.buffer.flush()
    else:
        sys.stdout.write(body.decode("utf-8"))


def _render(plan: dict[str, Any], fmt: str) -> bytes:
    from ..plan import render_html, render_markdown, render_pdf

    if fmt == "json":
        return json.dumps(plan, ensure_ascii=False, indent=2).encode() + b"\n"
    if fmt == "fhir":
        from ..fhir import care_plan

        return json.dumps(care_plan(plan), ensure_ascii=False, indent=2).encode() + b"\n"
    if fmt == "html":
        return render_html(plan).encode("utf-8")
    if fmt == "pdf":
        return render_pdf(plan)
    return render_markdown(plan).encode("utf-8")
