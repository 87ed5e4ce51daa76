"""`smanav plan --fhir FILE`: a patient's FHIR Bundle (or Parameters) read into a plan by
the smanav.fhir library, which works without FastAPI; bad files exit 2 with a sentence."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from fhir.resources.R4B.careplan import CarePlan
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smanav.errors import InvalidInput
from smanav.fhir import load_fhir, plan_from_fhir, validate
from smanav.kb import KnowledgeBase

ICD10 = "http://hl7.org/fhir/sid/icd-10"


def _bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    entries = [{"resource": r} for r in resources]
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


def _born(months: int) -> str:
    today = dt.date.today()
    y, m = divmod(today.year * 12 + today.month - 1 - months, 12)
    return dt.date(y, m + 1, 1).isoformat()


PATIENT = {
    "resourceType": "Patient",
    "id": "p1",
    "birthDate": _born(32),
    "address": [{"country": "FR"}],
}
SMA_2 = {
    "resourceType": "Condition",
    "code": {"coding": [{"system": ICD10, "code": "G12.1"}], "text": "SMA type 2"},
    "subject": {"reference": "Patient/p1"},
}
RECORD = _bundle(
    PATIENT,
    SMA_2,
    {"resourceType": "Observation", "code": {"text": "SMN2 copy number"}, "valueInteger": 3},
    {
        "resourceType": "MedicationStatement",
        "status": "active",
        "medicationCodeableConcept": {"text": "Baclofen"},
        "subject": {"reference": "Patient/p1"},
    },
    {"resourceType": "Observation", "code": {"text": "feeding"}, "valueString": "by balloon"},
)


def _write(tmp_path: Path, content: Any, name: str = "record.json") -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


def test_plan_from_a_fhir_bundle_reads_the_record(cli: Callable[..., Any], tmp_path: Path) -> None:
    path = _write(tmp_path, RECORD)
    res = cli("plan", "--fhir", str(path), "--json")
    assert res.code == 0, res.stderr
    plan = json.loads(res.stdout)
    profile = plan["profile"]
    assert profile["sma_type"] == 2 and profile["smn2_copies"] == 3
    assert profile["region"] == "EU", "an address in France gives the EU labels"
    assert profile["medications"] == ["baclofen"]
    assert 31 <= profile["age_months"] <= 32
    # What the record held but could not be used is said, not dropped.
    assert "Not used from the record: Feeding Observation" in " ".join(res.stderr.split())


def test_plan_fhir_as_a_care_plan_is_what_the_api_answers(
    cli: Callable[..., Any], tmp_path: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from smanav.web import create_app

    path = _write(tmp_path, RECORD)
    res = cli("plan", "--fhir", str(path), "--format", "fhir")
    assert res.code == 0, res.stderr
    from_cli = json.loads(res.stdout)
    CarePlan.model_validate(from_cli)
    validate(from_cli)
    assert from_cli["subject"]["reference"] == "Patient/p1"
    assert any("by balloon" in n["text"] for n in from_cli["note"])
    monkeypatch.setenv("SMANAV_DB", str(db_path))
    api = TestClient(create_app()).post("/fhir/CarePlan/$generate", json=RECORD)
    assert api.status_code == 200, api.text
    assert api.json() == from_cli


def test_plan_fhir_reads_standard_input_and_a_parameters_wrapper(
    cli: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    params = {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "patient", "resource": RECORD},
            {"name": "region", "valueCode": "US"},
        ],
    }
    raw = json.dumps(params).encode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw)))
    res = cli("plan", "--fhir", "-", "--json")
    assert res.code == 0, res.stderr
    assert json.loads(res.stdout)["profile"]["region"] == "US", "the region parameter wins"


BAD_FILES = [
    ("{not json", "is not valid JSON (line 1, column 2)"),
    (b"\xff\xfe\x00binary", "is not UTF-8 text"),
    ("[1, 2]", "holds an array, not a FHIR Bundle"),
    (json.dumps(PATIENT), 'holds a FHIR "Patient" resource, not a Bundle or Parameters'),
    ('{"type": "collection"}', "holds no resourceType, not a Bundle or Parameters"),
    ('{"resourceType": "Bundle", "entry": [{"resource": {"x": NaN}}]}', "holds NaN"),
    ('{"resourceType": "Bundle", "n": ' + "9" * 5000 + "}", "holds an integer of 5000 digits"),
    ("[" * 100_000 + "]" * 100_000, "nests deeper than 64 levels"),
    (
        _bundle({**PATIENT, "birthDate": None}, SMA_2),
        "Bundle.entry[0].resource.birthDate is required",
    ),
    (_bundle({**PATIENT, "birthDate": "2024-02-30"}, SMA_2), '"2024-02-30" is not a calendar date'),
    (_bundle(PATIENT), "no current Condition codes spinal muscular atrophy"),
    (_bundle(SMA_2), "Patient the request has no Patient resource"),
    (
        _bundle(PATIENT, {"resourceType": 5}),
        "resource.resourceType a number is not a FHIR resource type",
    ),
    (_bundle(PATIENT, {"resourceType": "condition"}), '"condition" is not a FHIR resource type'),
    (
        _bundle(PATIENT, {**SMA_2, "code": {"coding": {"code": "G12.0"}}}),
        "Bundle.entry[1].resource.code.coding is an object, not an array",
    ),
    (
        _bundle(PATIENT, {**PATIENT, "id": "p2"}, SMA_2),
        "Bundle.entry[1].resource is a second Patient",
    ),
    (
        _bundle(PATIENT, {**SMA_2, "subject": {"reference": "Patient/p9"}}),
        'is "Patient/p9", not this request\'s Patient',
    ),
    (
        {"resourceType": "Bundle", "entry": {"resource": PATIENT}},
        "Bundle.entry is an object, not an array",
    ),
]


@pytest.mark.parametrize(("content", "says"), BAD_FILES)
def test_a_bad_fhir_file_exits_2_naming_what_is_wrong(
    cli: Callable[..., Any], tmp_path: Path, content: Any, says: str
) -> None:
    path = _write(tmp_path, content)
    res = cli("plan", "--fhir", str(path))
    assert res.code == 2, res.stdout[:300]
    message = " ".join(res.stderr.split())
    assert message.startswith(f"Error: --fhir: {path}"), message
    assert says in message, message
    assert "Traceback" not in res.stderr and res.stdout == ""


def test_fhir_and_profile_flags_are_refused_together(
    cli: Callable[..., Any], tmp_path: Path
) -> None:
    path = _write(tmp_path, RECORD)
    for extra in (["--age", "3y"], ["--profile", str(path)]):
        res = cli("plan", "--fhir", str(path), *extra)
        assert res.code == 2 and "give either --fhir or --profile" in " ".join(res.stderr.split())
    missing = cli("plan", "--fhir", str(tmp_path / "nope.json"))
    assert missing.code == 2 and "nope.json is not a readable file" in missing.stderr
    big = _write(tmp_path, " " * 1_000_001, "big.json")
    res = cli("plan", "--fhir", str(big))
    assert res.code == 2 and "is over 1000000 bytes" in res.stderr


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
_FIELDS = ["resourceType", "birthDate", "code", "coding", "subject", "valueInteger", "entry", "id"]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(entry=st.integers(0, 4), field=st.sampled_from(_FIELDS), value=_JSON)
def test_any_changed_element_gives_a_plan_or_a_named_refusal(
    kb: KnowledgeBase, entry: int, field: str, value: Any
) -> None:
    """One element of the record replaced by any JSON value: the library makes a plan or
    raises InvalidInput naming a field; never another exception."""
    doc = json.loads(json.dumps(RECORD))
    doc["entry"][entry]["resource"][field] = value
    raw = json.dumps(doc).encode()
    try:
        plan, notes, _ = plan_from_fhir(load_fhir(raw, "record.json", "--fhir"), kb)
    except InvalidInput as exc:
        assert exc.field and exc.message and "Traceback" not in exc.message
    else:
        assert plan["options"] and all(isinstance(n, str) for n in notes)


_WITHOUT_FASTAPI = """
import json, sys
sys.modules["fastapi"] = None  # as if the web extra were not installed
sys.modules["starlette"] = None
from smanav.fhir import care_plan_from_fhir, cards_from_plan, plan_definitions, plan_from_fhir
from smanav.kb import KnowledgeBase
from smanav.store import open_store
record = json.loads(sys.argv[1])
from pathlib import Path
with open_store(Path(sys.argv[2])) as store:
    kb = KnowledgeBase.from_store(store)
    plan, notes, pid = plan_from_fhir(record, kb)
    cp = care_plan_from_fhir(record, kb)
    cards = cards_from_plan(plan, kb, "https://smanav.example.org", notes)
    rules = plan_definitions(kb)
print(pid, cp["resourceType"], cp["subject"]["reference"], len(cards) > 0, rules["type"])
print("fastapi" in sys.modules and sys.modules["fastapi"] is not None)
from smanav.cli import main
sys.argv = ["smanav", "--db", sys.argv[2], "plan", "--fhir", sys.argv[3], "--json"]
main()
"""


def test_the_fhir_library_and_plan_fhir_work_without_fastapi(db_path: Path, tmp_path: Path) -> None:
    path = _write(tmp_path, RECORD)
    env = {"SMANAV_DB": str(db_path), "PATH": "/usr/bin:/bin"}
    args = [sys.executable, "-c", _WITHOUT_FASTAPI, json.dumps(RECORD), str(db_path), str(path)]
    r = subprocess.run(args, capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    first, second, rest = r.stdout.split("\n", 2)
    assert first.split() == ["p1", "CarePlan", "Patient/p1", "True", "collection"]
    assert second == "False", "nothing imported FastAPI"
    assert json.loads(rest)["profile"]["smn2_copies"] == 3
