"""`smanav plan`: a care-discussion plan from flags or a JSON profile, in five formats."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from ..errors import InvalidInput
from ._app import app, disclaimer, err, kb, nonempty, out, write_output

FORMATS = ("json", "markdown", "html", "pdf", "fhir")
MAX_PROFILE_BYTES = 1_000_000


#: A profile is a flat object of a dozen fields; lists of names are one level down.
MAX_PROFILE_DEPTH = 32
#: Integers longer than this are not ages, weights or copy numbers (and Python refuses
#: to convert over 4,300 digits with a ValueError).
MAX_INT_DIGITS = 30


class _Refused(ValueError):
    """A JSON value the profile parser will not build (huge integer, NaN)."""


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise _Refused(f"holds an integer of {len(text.lstrip('-'))} digits")
    return int(text)


def _parse_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise _Refused(f"holds a number too large to use ({text[:20]}…)")
    return value


def _parse_constant(text: str) -> Any:
    raise _Refused(f"holds {text}, which is not a JSON number")


def parse_profile(raw: bytes, name: str) -> dict[str, Any]:
    """Bytes to a profile object, refusing what JSON allows but a profile never holds:
    deep nesting, huge integers, NaN, lone surrogates (issue 11: each was a traceback)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("--profile", f"{name} is not UTF-8 text (a binary file?)") from None
    try:
        data = json.loads(
            text,
            parse_int=_parse_int,
            parse_float=_parse_float,
            parse_constant=_parse_constant,
        )
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            "--profile", f"{name} is not valid JSON (line {exc.lineno}, column {exc.colno})"
        ) from None
    except _Refused as exc:
        raise InvalidInput("--profile", f"{name} {exc}") from None
    except RecursionError:
        raise InvalidInput(
            "--profile", f"{name} is nested too deeply (at most {MAX_PROFILE_DEPTH} levels)"
        ) from None
    if not isinstance(data, dict):
        raise InvalidInput("--profile", f"{name} must hold a JSON object of profile fields")
    # Walked without recursion: depth and text that cannot be encoded (lone surrogates).
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_PROFILE_DEPTH:
            raise InvalidInput(
                "--profile", f"{name} is nested too deeply (at most {MAX_PROFILE_DEPTH} levels)"
            )
        if isinstance(value, dict):
            for k, v in value.items():
                stack.append((k, depth))
                stack.append((v, depth + 1))
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)
        elif isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise InvalidInput(
                    "--profile",
                    f"{name} holds a lone surrogate (\\u{ord(value[_bad(value)]):04x}),"
                    " which is not text",
                ) from None
    return data


def _bad(text: str) -> int:
    return next(i for i, ch in enumerate(text) if 0xD800 <= ord(ch) <= 0xDFFF)


def _read_bytes(where: str, option: str) -> tuple[bytes, str]:
    """A file's bytes, or standard input's ("-"), and its name for messages: at most
    ``MAX_PROFILE_BYTES``, with a clear message naming ``option`` for each failure."""
    try:
        if where == "-":
            raw = sys.stdin.buffer.read(MAX_PROFILE_BYTES + 1)
            name = "standard input"
        else:
            path = Path(where)
            if not path.is_file():
                raise InvalidInput(option, f"{where} is not a readable file")
            if path.stat().st_size > MAX_PROFILE_BYTES:
                raise InvalidInput(option, f"{where} is over {MAX_PROFILE_BYTES} bytes")
            with path.open("rb") as fh:
                raw = fh.read(MAX_PROFILE_BYTES + 1)
            name = where
    except OSError as exc:
        source = "standard input" if where == "-" else where
        raise InvalidInput(option, f"cannot read {source}: {exc.strerror or exc}") from None
    if len(raw) > MAX_PROFILE_BYTES:
        raise InvalidInput(option, f"{name} is over {MAX_PROFILE_BYTES} bytes")
    return raw, name


def _read_profile(where: str) -> dict[str, Any]:
    """A JSON profile from a file or stdin ("-"), with a clear message for each failure."""
    return parse_profile(*_read_bytes(where, "--profile"))


def _plan_from_fhir(where: str) -> tuple[dict[str, Any], list[str], str | None]:
    """(plan, notes, Patient id) from a FHIR Bundle or Parameters file: what is wrong
    with it is named with the file and the FHIR path (Bundle.entry[0].resource…)."""
    from ..fhir import load_fhir, plan_from_fhir

    raw, name = _read_bytes(where, "--fhir")
    doc = load_fhir(raw, name, "--fhir")
    try:
        return plan_from_fhir(doc, kb())
    except InvalidInput as exc:
        raise InvalidInput(
            "--fhir", f"{name}: {exc.field} {exc.message}", exc.suggestions
        ) from None


@app.command("plan")
def plan_cmd(
    age: Annotated[
        str | None, typer.Option(help="Age: months (30) or '8m', '3y', '2y6m'.", callback=nonempty)
    ] = None,
    sma_type: Annotated[
        str | None,
        typer.Option(
            "--type",
            help="SMA type 0-4, 'presymptomatic' (found by screening, no type yet) or 'unknown'.",
            callback=nonempty,
        ),
    ] = None,
    smn2: Annotated[
        str | None, typer.Option(help="SMN2 copy number (1-8), if known.", callback=nonempty)
    ] = None,
    status: Annotated[
        str | None,
        typer.Option(help="Functional status: non-sitter, sitter or walker.", callback=nonempty),
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
        str | None,
        typer.Option(help="Body weight in kilograms, e.g. 7.5 or '7.5 kg'.", callback=nonempty),
    ] = None,
    pregnancy: Annotated[
        str | None,
        typer.Option(
            help="no, pregnant, planning or breastfeeding (asked from 10 years).", callback=nonempty
        ),
    ] = None,
    breathing_support: Annotated[
        str | None,
        typer.Option(help="none, night-niv, continuous-niv or tracheostomy.", callback=nonempty),
    ] = None,
    feeding: Annotated[str | None, typer.Option(help="mouth or tube.", callback=nonempty)] = None,
    liver_disease: Annotated[
        bool, typer.Option("--liver-disease", help="Has liver disease.")
    ] = False,
    kidney_disease: Annotated[
        bool, typer.Option("--kidney-disease", help="Has kidney disease.")
    ] = False,
    region: Annotated[
        str | None,
        typer.Option(
            help="Whose labels apply: US (FDA, the default) or EU (EMA).", callback=nonempty
        ),
    ] = None,
    profile: Annotated[
        str | None,
        typer.Option(
            help="A JSON profile file, or '-' for standard input (instead of flags).",
            callback=nonempty,
        ),
    ] = None,
    fhir_file: Annotated[
        str | None,
        typer.Option(
            "--fhir",
            help="A FHIR R4 Bundle (or Parameters) JSON file of the patient's record: Patient, "
            "Conditions, Observations, medicines (as POST /fhir/CarePlan/$generate reads it); "
            "'-' for standard input. Instead of flags.",
            callback=nonempty,
        ),
    ] = None,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format", help="json, markdown (default), html, pdf or fhir.", callback=nonempty
        ),
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
        from ..names import closest

        raise InvalidInput(
            "--format",
            f"{fmt!r} is not a format: use {', '.join(FORMATS)}",
            closest(chosen, FORMATS, n=2, cutoff=0.5),
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
    notes: list[str] = []
    pid: str | None = None
    if fhir_file is not None:
        if given or profile is not None:
            raise InvalidInput(
                "--fhir", "give either --fhir or --profile / profile flags (--age …), not both"
            )
        plan, notes, pid = _plan_from_fhir(fhir_file)
    elif profile is not None:
        if given:
            raise InvalidInput(
                "--profile", "give either --profile or profile flags (--age, --symptom …), not both"
            )
        plan = make_plan(_read_profile(profile), kb())
    else:
        plan = make_plan(given, kb())
    if chosen == "pdf" and output is None and sys.stdout.isatty():
        raise InvalidInput("--output", "a PDF is binary: write it to a file with -o plan.pdf")
    for note in notes:  # what the record held but the plan could not use
        err.print(f"Not used from the record: {note}", markup=False)
    body = _render(plan, chosen, notes, pid)
    if output is not None:
        write_output(output, body)
        out.print(f"Wrote the {chosen} plan to {output}.", markup=False)
        disclaimer()
    elif chosen == "pdf":
        sys.stdout.flush()
        sys.stdout.buffer.write(body)
        sys.stdout.buffer.flush()
    else:
        sys.stdout.write(body.decode("utf-8"))


def _render(
    plan: dict[str, Any], fmt: str, notes: list[str] | None = None, pid: str | None = None
) -> bytes:
    from ..plan import render_html, render_markdown, render_pdf

    if fmt == "json":
        return json.dumps(plan, ensure_ascii=False, indent=2).encode() + b"\n"
    if fmt == "fhir":
        from ..fhir import care_plan_for

        doc = care_plan_for(plan, notes or [], pid)
        return json.dumps(doc, ensure_ascii=False, indent=2).encode() + b"\n"
    if fmt == "html":
        return render_html(plan).encode("utf-8")
    if fmt == "pdf":
        return render_pdf(plan)
    return render_markdown(plan).encode("utf-8")
