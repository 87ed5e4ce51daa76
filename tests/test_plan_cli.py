"""`smanav plan`: flags or a JSON profile in, five formats out; bad input exits 2."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from smanav.kb import KnowledgeBase
from smanav.plan import make_plan
from smanav.settings import DISCLAIMER

Cli = Callable[..., Any]


def test_flags_give_the_same_plan_as_the_python_api(cli: Cli, kb: KnowledgeBase) -> None:
    res = cli(
        "plan", "--age", "2y6m", "--type", "2", "--status", "sitter",
        "--symptom", "curved back", "--symptom", "too much saliva",
        "--medication", "Valium", "--alcohol", "--prior", "Spinraza", "--spinal-fusion", "--json",
    )  # fmt: skip
    assert res.code == 0, res.stderr
    plan = json.loads(res.stdout)
    expected = make_plan(
        {
            "age_months": "2y6m",
            "sma_type": "2",
            "functional_status": "sitter",
            "symptoms": ["curved back", "too much saliva"],
            "medications": ["Valium"],
            "alcohol_use": True,
            "prior_treatments": ["Spinraza"],
            "spinal_fusion": True,
        },
        kb,
    )
    assert plan == json.loads(json.dumps(expected))
    assert plan["disclaimer"] == DISCLAIMER


def test_format_json_equals_json_flag(cli: Cli) -> None:
    a = cli("plan", "--age", "30", "--json")
    b = cli("plan", "--age", "30", "--format", "json")
    assert a.code == b.code == 0 and json.loads(a.stdout) == json.loads(b.stdout)


def test_markdown_is_the_default(cli: Cli) -> None:
    res = cli("plan", "--age", "8m", "--status", "non-sitter")
    assert res.code == 0
    assert res.stdout.startswith("# SMA care-discussion plan")
    assert DISCLAIMER in res.stdout


def test_profile_file_and_stdin(cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    profile = {"age_months": "3y", "symptoms": ["drooling"], "functional_status": "sitter"}
    path = tmp_path / "p.json"
    path.write_text(json.dumps(profile), encoding="utf-8")
    from_file = cli("plan", "--profile", str(path), "--json")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(json.dumps(profile).encode())))
    from_stdin = cli("plan", "--profile", "-", "--json")
    assert from_file.code == from_stdin.code == 0
    assert json.loads(from_file.stdout) == json.loads(from_stdin.stdout)
    assert "glycopyrrolate" in {o["concept"] for o in json.loads(from_file.stdout)["options"]}


@pytest.mark.parametrize(
    ("fmt", "check"),
    [
        ("html", lambda b: b.startswith(b"<!doctype html>") and DISCLAIMER.encode() in b),
        ("markdown", lambda b: b.startswith(b"# SMA care-discussion plan")),
        ("pdf", lambda b: b.startswith(b"%PDF-")),
        ("fhir", lambda b: json.loads(b)["resourceType"] == "CarePlan"),
        ("json", lambda b: json.loads(b)["disclaimer"] == DISCLAIMER),
    ],
)
def test_output_file(cli: Cli, tmp_path: Path, fmt: str, check: Callable[[bytes], bool]) -> None:
    target = tmp_path / f"plan.{fmt}"
    res = cli("plan", "--age", "30", "--symptom", "drooling", "--format", fmt, "-o", str(target))
    assert res.code == 0, res.stderr
    assert check(target.read_bytes())
    assert f"Wrote the {fmt} plan to" in res.stdout
    assert not list(tmp_path.glob(".*.tmp"))


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("--age", "-3"), "negative"),
        (("--age", "500y"), "over 120 years"),
        (("--age", "soon"), "not an age"),
        (("--age", "30", "--type", "9"), "not an SMA type"),
        (("--age", "30", "--status", "flying"), "not a functional status"),
        (("--age", "30", "--smn2", "many"), "not an SMN2 copy number"),
        (("--age", "30", "--symptom", "purple toes"), "not a symptom smanav knows"),
        (("--age", "30", "--symptom", "baclofen"), "not a symptom"),
        (("--age", "30", "--medication", "   "), "medications[0]"),
        (("--age", "30y", "--weight", "-3"), "weight_kg"),
        (("--age", "30y", "--weight", "heavy"), "not a weight"),
        (("--age", "30y", "--pregnancy", "maybe"), "pregnancy: 'maybe' is not a pregnancy status"),
        (("--age", "5y", "--pregnancy", "pregnant"), "pregnancy: 'pregnant' does not fit the age"),
        (("--age", "30y", "--region", "JP"), "region: 'JP' is not a region"),
        (("--age", "30y", "--breathing-support", "sometimes"), "breathing_support"),
        (("--age", "30y", "--feeding", "iv"), "feeding: 'iv' is not a way of feeding"),
        (("--type", "2"), "age_months: is required"),
        (("--age", "30", "--format", "yaml"), "not a format"),
        (("--age", "30", "--json", "--format", "pdf"), "different formats"),
        (("--profile", "/no/such/file.json"), "not a readable file"),
        (("--profile", "x.json", "--age", "3"), "not both"),
        (("--age", "30", "-o", "/no/such/folder/plan.md"), "does not exist"),
        (("--age", "30", "-o", "/"), "is a folder"),
    ],
)
def test_bad_input_exits_2(cli: Cli, args: tuple[str, ...], needle: str) -> None:
    res = cli("plan", *args)
    assert res.code == 2
    assert needle in " ".join(res.stderr.split())
    assert "Traceback" not in res.stderr + res.stdout


def test_unknown_symptom_suggests(cli: Cli) -> None:
    res = cli("plan", "--age", "30", "--symptom", "purple drooling")
    assert res.code == 2
    assert "Did you mean" in res.stderr


def test_json_errors_have_one_shape_with_every_field(cli: Cli) -> None:
    res = cli("plan", "--age", "-1", "--type", "9", "--json")
    assert res.code == 2
    body = json.loads(res.stdout)["error"]
    assert [e["field"] for e in body["errors"]] == ["age_months", "sma_type"]


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00binary", "not UTF-8"),
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "JSON object"),
        (b'{"age_months": [1]}', "expected months"),
        (b'{"age_months": 30, "sma_type": "nine"}', "not an SMA type"),
        (b'{"age_months": 30, "symptoms": "drooling"}', "expected a list"),
        (b'{"age_months": 30, "alcohol_use": 3}', "true or false"),
    ],
)
def test_bad_profile_files_exit_2(cli: Cli, tmp_path: Path, content: bytes, needle: str) -> None:
    path = tmp_path / "profile.json"
    path.write_bytes(content)
    res = cli("plan", "--profile", str(path))
    assert res.code == 2
    assert needle in " ".join(res.stderr.split())


def test_plan_cli_unknown_medicine_listed_not_checked(cli: Cli) -> None:
    """Any medicine name is taken; one smanav holds no facts for is named as not checked."""
    res = cli("plan", "--age", "30y", "--medication", "sertraline", "--medication", "Cipro")
    assert res.code == 0, res.stderr
    md = " ".join(res.stdout.split())
    assert "## Current medicines" in res.stdout
    assert "Checked against the label facts smanav holds: Ciprofloxacin" in md
    assert "**Not checked** (smanav holds no interaction facts for them): sertraline" in md
    assert "smanav holds no interaction facts for sertraline" in md
    as_json = json.loads(cli("plan", "--age", "30y", "--medication", "sertraline", "--json").stdout)
    assert as_json["medicines"]["not_checked"] == ["sertraline"]
    assert as_json["profile"]["unchecked_medications"] == ["sertraline"]


def test_plan_cli_new_flags_reach_the_plan(cli: Cli) -> None:
    args = (
        "--age", "31y", "--type", "3", "--weight", "61.5 kg", "--pregnancy", "planning",
        "--breathing-support", "night-niv", "--feeding", "tube", "--liver-disease",
        "--kidney-disease", "--region", "EU",
    )  # fmt: skip
    res = cli("plan", *args, "--json")
    assert res.code == 0, res.stderr
    profile = json.loads(res.stdout)["profile"]
    assert profile["weight_kg"] == 61.5
    assert profile["pregnancy"] == "planning"
    assert profile["breathing_support"] == "night-niv"
    assert profile["feeding"] == "tube"
    assert profile["liver_disease"] is True and profile["kidney_disease"] is True
    assert profile["region"] == "EU" and json.loads(res.stdout)["region"] == "EU"
    md = " ".join(cli("plan", *args).stdout.split())
    assert "Labels: European Union (EMA)" in md
    for row in ("| Weight | 61.5 kg |", "| Feeding | by tube |", "| Liver disease | yes |"):
        assert row in md


def test_plan_cli_presymptomatic_newborn(cli: Cli) -> None:
    res = cli("plan", "--age", "3w", "--type", "presymptomatic", "--smn2", "2", "--json")
    assert res.code == 0, res.stderr
    plan = json.loads(res.stdout)
    assert plan["profile"]["sma_type"] == "presymptomatic"
    assert plan["region"] == "US"
    md = cli("plan", "--age", "3w", "--type", "presymptomatic", "--smn2", "2").stdout
    assert "Labels: United States (FDA)" in md


def test_plan_cli_help_lists_every_new_flag(cli: Cli) -> None:
    out = " ".join(cli("plan", "--help").stdout.split())
    for flag in (
        "--weight", "--pregnancy", "--breathing-support", "--feeding", "--liver-disease",
        "--kidney-disease", "--region", "presymptomatic",
    ):  # fmt: skip
        assert flag in out, flag
